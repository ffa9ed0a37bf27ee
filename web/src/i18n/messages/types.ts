/** One area's messages: the Portuguese object has exactly the English keys. */
export function messages<const E extends Record<string, string>>(en: E, ptBR: { [K in keyof E]: string }): { en: E; "pt-BR": { [K in keyof E]: string } } {
  return { en, "pt-BR": ptBR };
}

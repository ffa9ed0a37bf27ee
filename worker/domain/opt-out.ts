/** Herald's default opt-out keywords (Portuguese and English). */
export const DEFAULT_OPT_OUT_KEYWORDS = ["STOP", "PARAR", "SAIR", "CANCELAR", "UNSUBSCRIBE"] as const;

/** Upper case, accents removed, surrounding spaces and punctuation dropped: "  Parar! " → "PARAR". */
export function normalizeKeyword(text: string): string {
  return text
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toUpperCase()
    .replace(/^[\s\p{P}]+|[\s\p{P}]+$/gu, "")
    .replace(/\s+/g, " ");
}

/**
 * True when a whole inbound message is an opt-out keyword. Only the whole message counts, so
 * "don't stop sending me offers" is not an opt-out.
 * @example isOptOut("Parar.", ["PARAR"]) // true
 */
export function isOptOut(text: string | undefined, keywords: readonly string[]): boolean {
  if (!text) return false;
  const said = normalizeKeyword(text);
  return said !== "" && keywords.some((k) => normalizeKeyword(k) === said);
}

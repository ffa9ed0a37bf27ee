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

export type OptedOutPhone = { path: string; phone: string; optedOutAt: number };

/**
 * Why a single or test message to contacts who opted out is refused: Herald never sends to them
 * (a campaign leaves them out of its audience). `details` names each field.
 * @example optOutRefusal([{ path: "to", phone: "+5511987654321", optedOutAt: 1767225600 }]).message
 * // "+5511987654321 opted out of messages on 2026-01-01; Herald does not send to contacts who opted out"
 */
export function optOutRefusal(phones: readonly OptedOutPhone[]): { message: string; details: { path: string; message: string }[] } {
  const said = phones.map((p) => `${p.phone} opted out of messages on ${new Date(p.optedOutAt * 1000).toISOString().slice(0, 10)}`);
  return {
    message: `${said.join("; ")}; Herald does not send to contacts who opted out`,
    details: phones.map((p) => ({ path: p.path, message: `${p.phone} opted out of messages` })),
  };
}

import { type CountryCode, isSupportedCountry, parsePhoneNumberFromString } from "libphonenumber-js/max";

export type PhoneResult = { ok: true; e164: string } | { ok: false; reason: string };

// Digits plus the punctuation people type around them; letters (extensions, "tel:") are rejected
// because WhatsApp can only reach the bare number.
const ALLOWED_CHARS = /^[0-9+\-()./\s]+$/;
const LETTER = /\p{L}/u;
// E.164 allows 15 digits; "00" plus a carrier code in front can add up to 4 more.
const MAX_DIGITS = 19;

/**
 * Normalizes a phone number as typed by a person to E.164, using `defaultCountry` (ISO alpha-2)
 * for numbers written without a country code.
 *
 * @example
 * normalizePhone("(11) 98765-4321", "BR"); // { ok: true, e164: "+5511987654321" }
 * normalizePhone("00 55 11 98765-4321", "BR"); // { ok: true, e164: "+5511987654321" }
 * normalizePhone("'+5511987654321", "BR"); // { ok: true, e164: "+5511987654321" }
 * normalizePhone("123", "BR"); // { ok: false, reason: 'not a valid phone number for BR: "123"' }
 */
export function normalizePhone(raw: string, defaultCountry: string): PhoneResult {
  // A leading apostrophe is how spreadsheet-safe CSV exports (Herald's own included) keep
  // "+5511…" from being read as a formula; the number is what follows it.
  const text = raw.trim().replace(/^'\s*/, "");
  if (text === "") return { ok: false, reason: "phone number is empty" };
  if (LETTER.test(text)) return { ok: false, reason: `phone number contains letters: ${quoteForReason(text)}` };
  if (!ALLOWED_CHARS.test(text)) {
    return { ok: false, reason: `phone number contains characters that are not allowed: ${quoteForReason(text)}` };
  }

  const digits = text.replace(/\D/g, "");
  if (digits === "") return { ok: false, reason: `phone number has no digits: ${quoteForReason(text)}` };
  if (digits.length > MAX_DIGITS) return { ok: false, reason: `phone number is too long: ${quoteForReason(text)}` };

  const international = text.startsWith("+");
  const country = isCountryCode(defaultCountry) ? (defaultCountry as CountryCode) : undefined;

  const candidates = [text];
  if (!international) {
    // "00" is the international prefix almost everywhere, but some countries' metadata (e.g. BR)
    // expects a carrier code after it, so "0055 11 ..." would otherwise be misread.
    if (digits.startsWith("00")) candidates.push(`+${digits.slice(2)}`);
    // Parentheses mark a national area code, so a missing "+" is not the likely mistake there.
    else if (!text.includes("(")) candidates.push(`+${digits}`);
  }

  for (const candidate of candidates) {
    const parsed = parsePhoneNumberFromString(candidate, country);
    if (parsed?.isValid()) return { ok: true, e164: parsed.number };
  }

  if (international || !country) return { ok: false, reason: `not a valid phone number: ${quoteForReason(text)}` };
  return { ok: false, reason: `not a valid phone number for ${country}: ${quoteForReason(text)}` };
}

/**
 * Tells whether `code` is an upper-case ISO 3166-1 alpha-2 code that libphonenumber-js knows.
 *
 * @example
 * isCountryCode("BR"); // true
 * isCountryCode("br"); // false
 * isCountryCode("XX"); // false
 */
export function isCountryCode(code: string): boolean {
  return /^[A-Z]{2}$/.test(code) && isSupportedCountry(code);
}

function quoteForReason(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

/**
 * The country of a phone number from its first digits. WhatsApp prices a message by the
 * recipient's country calling code, and inside the North American plan (+1) by the area code,
 * so the first PREFIX_DIGITS digits after the "+" always tell the market. Audiences are grouped
 * by that prefix in SQL (one aggregate, however many contacts) and each prefix is mapped to a
 * country here, once.
 *
 * Where a calling code is shared, the country is the one libphonenumber's metadata gives those
 * digits: the area code inside +1 (US, CA, DO, JM, PR…), the leading digits that set Kazakhstan
 * apart within +7; territories told apart only by longer prefixes (Guernsey, Jersey and the Isle
 * of Man within +44, Vatican City within +39, the Åland Islands within +358…) count as the calling
 * code's main country, which is also the market WhatsApp bills them in.
 */
import { type CountryCode, getCountries, getCountryCallingCode, Metadata, parsePhoneNumberFromString } from "libphonenumber-js/max";

/** Digits after the "+" that decide the country (calling code plus, for +1, the area code). */
export const PREFIX_DIGITS = 4;

/**
 * The digits that decide the country of an E.164 phone.
 * @example phonePrefix("+5511987654321"); // "5511"
 */
export const phonePrefix = (e164: string) => e164.replace(/^\+/, "").slice(0, PREFIX_DIGITS);

/** Every country libphonenumber knows (ISO 3166-1 alpha-2), in alphabetical order of code. */
export const PHONE_COUNTRIES: readonly CountryCode[] = [...getCountries()].sort();

/** The countries of each geographic calling code, the main one first (from libphonenumber's metadata). */
type SharedPlans = { getCountryCodesForCallingCode(code: string): CountryCode[] | undefined };

const metadata = new Metadata();
const callingCodes = new Set(PHONE_COUNTRIES.map((c) => getCountryCallingCode(c) as string));
const known = new Map<string, CountryCode | null>();

/**
 * The ISO 3166-1 alpha-2 country of phones starting with `prefix` (digits, "+" optional), or null
 * when no country has that calling code (international services such as +800, +881).
 *
 * @example
 * countryOfPrefix("5511"); // "BR"
 * countryOfPrefix("1416"); // "CA"
 * countryOfPrefix("1809"); // "DO"
 * countryOfPrefix("7701"); // "KZ"
 * countryOfPrefix("8812"); // null
 */
export function countryOfPrefix(prefix: string): CountryCode | null {
  const digits = prefix.replace(/^\+/, "").slice(0, PREFIX_DIGITS);
  let country = known.get(digits);
  if (country === undefined) {
    country = lookUp(digits);
    known.set(digits, country);
  }
  return country;
}

/** The country of a whole E.164 phone, by its prefix. */
export const countryOfPhone = (e164: string) => countryOfPrefix(phonePrefix(e164));

function lookUp(digits: string): CountryCode | null {
  const code = [1, 2, 3].map((n) => digits.slice(0, n)).find((c) => callingCodes.has(c));
  if (code === undefined) return null;
  const countries = (metadata as unknown as SharedPlans).getCountryCodesForCallingCode(code) ?? [];
  if (countries.length <= 1) return countries[0] ?? null;
  const national = digits.slice(code.length);
  // The North American plan assigns area codes to countries: any number of that area code tells.
  if (code === "1") return parsePhoneNumberFromString(`+1${national.padEnd(3, "0")}2345678`)?.country ?? countries[0]!;
  for (const country of countries.slice(1)) {
    metadata.selectNumberingPlan(country);
    const leading = metadata.numberingPlan?.leadingDigits();
    if (typeof leading === "string" && leading !== "" && new RegExp(`^(?:${leading})`).test(national)) return country;
  }
  return countries[0]!;
}

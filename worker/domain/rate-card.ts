/**
 * What WhatsApp charges per delivered template message, as shipped with Herald: the per-message
 * rate card in US dollars, and which market each country belongs to. Meta bills a delivered
 * template by its category (marketing, utility, authentication) and by the market of the
 * recipient's country calling code; free text and utility templates inside an open 24 h customer
 * service window, and every message inside a free entry point window, are free. An admin's
 * override of one country and category wins over the card (see `rateFor`).
 *
 * Source: Meta, "Pricing on the WhatsApp Business Platform", rate card in USD (list rates, the
 * first volume tier), effective 1 January 2026, https://developers.facebook.com/docs/whatsapp/pricing
 * (figures cross-checked against two independent transcriptions of that card). Markets and the
 * countries in each regional group are Meta's; Zimbabwe is in "Rest of Africa" since
 * 1 October 2025. Left out, so unknown rather than zero: authentication-international rates
 * (they depend on where the sending business is based) and the lower rates of higher volume tiers.
 */
import { type Micros, parseUsd } from "./money";

/** The template categories WhatsApp prices, as its webhooks name them. */
export const PRICED_CATEGORIES = ["marketing", "utility", "authentication"] as const;
export type PricedCategory = (typeof PRICED_CATEGORIES)[number];

export const isPricedCategory = (category: string | null | undefined): category is PricedCategory =>
  (PRICED_CATEGORIES as readonly string[]).includes(category ?? "");

type CardRates = Record<PricedCategory, string>;

/** A market of the card: its name as Meta writes it, its countries ("rest": every country not in another market). */
type CardMarket = { name: string; countries: readonly string[] | "rest"; rates: CardRates };

const rates = (marketing: string, utility: string, authentication: string): CardRates => ({ marketing, utility, authentication });

const MARKETS: readonly CardMarket[] = [
  { name: "Argentina", countries: ["AR"], rates: rates("0.0618", "0.0260", "0.0260") },
  { name: "Brazil", countries: ["BR"], rates: rates("0.0625", "0.0068", "0.0068") },
  { name: "Chile", countries: ["CL"], rates: rates("0.0889", "0.0200", "0.0200") },
  { name: "Colombia", countries: ["CO"], rates: rates("0.0125", "0.0008", "0.0008") },
  { name: "Egypt", countries: ["EG"], rates: rates("0.0644", "0.0036", "0.0036") },
  { name: "France", countries: ["FR"], rates: rates("0.0859", "0.0300", "0.0300") },
  { name: "Germany", countries: ["DE"], rates: rates("0.1365", "0.0550", "0.0550") },
  { name: "India", countries: ["IN"], rates: rates("0.0118", "0.0014", "0.0014") },
  { name: "Indonesia", countries: ["ID"], rates: rates("0.0411", "0.0250", "0.0250") },
  { name: "Israel", countries: ["IL"], rates: rates("0.0353", "0.0053", "0.0053") },
  { name: "Italy", countries: ["IT"], rates: rates("0.0691", "0.0300", "0.0300") },
  { name: "Malaysia", countries: ["MY"], rates: rates("0.0860", "0.0140", "0.0140") },
  { name: "Mexico", countries: ["MX"], rates: rates("0.0305", "0.0085", "0.0085") },
  { name: "Netherlands", countries: ["NL"], rates: rates("0.1597", "0.0500", "0.0500") },
  { name: "Nigeria", countries: ["NG"], rates: rates("0.0516", "0.0067", "0.0067") },
  { name: "Pakistan", countries: ["PK"], rates: rates("0.0473", "0.0054", "0.0054") },
  { name: "Peru", countries: ["PE"], rates: rates("0.0703", "0.0200", "0.0200") },
  { name: "Russia", countries: ["RU"], rates: rates("0.0802", "0.0400", "0.0400") },
  { name: "Saudi Arabia", countries: ["SA"], rates: rates("0.0455", "0.0107", "0.0107") },
  { name: "South Africa", countries: ["ZA"], rates: rates("0.0379", "0.0076", "0.0076") },
  { name: "Spain", countries: ["ES"], rates: rates("0.0615", "0.0200", "0.0200") },
  { name: "Turkey", countries: ["TR"], rates: rates("0.0109", "0.0053", "0.0053") },
  { name: "United Arab Emirates", countries: ["AE"], rates: rates("0.0499", "0.0157", "0.0157") },
  { name: "United Kingdom", countries: ["GB"], rates: rates("0.0529", "0.0220", "0.0220") },
  { name: "North America", countries: ["US", "CA"], rates: rates("0.0250", "0.0034", "0.0034") },
  {
    name: "Rest of Africa",
    countries: [
      "DZ",
      "AO",
      "BJ",
      "BW",
      "BF",
      "BI",
      "CM",
      "TD",
      "CG",
      "ER",
      "ET",
      "GA",
      "GM",
      "GH",
      "GW",
      "CI",
      "KE",
      "LS",
      "LR",
      "LY",
      "MG",
      "MW",
      "ML",
      "MR",
      "MA",
      "MZ",
      "NA",
      "NE",
      "RW",
      "SN",
      "SL",
      "SO",
      "SS",
      "SD",
      "SZ",
      "TZ",
      "TG",
      "TN",
      "UG",
      "ZM",
      "ZW",
    ],
    rates: rates("0.0225", "0.0040", "0.0040"),
  },
  {
    name: "Rest of Asia Pacific",
    countries: ["AF", "AU", "BD", "KH", "CN", "HK", "JP", "LA", "MN", "NP", "NZ", "PG", "PH", "SG", "LK", "TW", "TJ", "TH", "TM", "UZ", "VN"],
    rates: rates("0.0732", "0.0113", "0.0113"),
  },
  {
    name: "Rest of Central & Eastern Europe",
    countries: ["AL", "AM", "AZ", "BY", "BG", "HR", "CZ", "GE", "GR", "HU", "LV", "LT", "MK", "MD", "PL", "RO", "RS", "SK", "SI", "UA"],
    rates: rates("0.0860", "0.0212", "0.0212"),
  },
  {
    name: "Rest of Latin America",
    countries: ["BO", "CR", "DO", "EC", "SV", "GT", "HT", "HN", "JM", "NI", "PA", "PY", "PR", "UY", "VE"],
    rates: rates("0.0740", "0.0113", "0.0113"),
  },
  { name: "Rest of Middle East", countries: ["BH", "IQ", "JO", "KW", "LB", "OM", "QA", "YE"], rates: rates("0.0341", "0.0091", "0.0091") },
  { name: "Rest of Western Europe", countries: ["AT", "BE", "DK", "FI", "IE", "NO", "PT", "SE", "CH"], rates: rates("0.0592", "0.0171", "0.0171") },
  { name: "Other", countries: "rest", rates: rates("0.0604", "0.0077", "0.0077") },
];

/** The shipped card's identity, shown wherever an amount is computed from it. */
export const RATE_CARD = {
  currency: "USD",
  effectiveDate: "2026-01-01",
  source: "Meta, Pricing on the WhatsApp Business Platform: per-message rate card in USD (list rates), https://developers.facebook.com/docs/whatsapp/pricing",
} as const;

export type Market = { name: string; countries: readonly string[] | null; rates: Record<PricedCategory, Micros> };

function toMicros(market: string, category: string, text: string): Micros {
  const micros = parseUsd(text);
  if (micros === null) throw new Error(`rate card: ${market} ${category}: not an amount: ${text}`);
  return micros;
}

/** Every market of the card with its rates in micro-dollars ("Other" lists no countries: it takes the rest). */
export const CARD_MARKETS: readonly Market[] = MARKETS.map((m) => ({
  name: m.name,
  countries: m.countries === "rest" ? null : m.countries,
  rates: Object.fromEntries(PRICED_CATEGORIES.map((c) => [c, toMicros(m.name, c, m.rates[c])])) as Record<PricedCategory, Micros>,
}));

const REST = CARD_MARKETS.find((m) => m.countries === null)!;
const marketOfCountry = new Map(CARD_MARKETS.flatMap((m) => (m.countries ?? []).map((c) => [c, m] as const)));

/**
 * The market a country (ISO 3166-1 alpha-2) is billed in.
 * @example marketOf("BR").name; // "Brazil"
 * @example marketOf("BO").name; // "Rest of Latin America"
 * @example marketOf("KR").name; // "Other"
 */
export const marketOf = (country: string): Market => marketOfCountry.get(country) ?? REST;

/** An admin's rate for one country and category, in micro-dollars. */
export type RateOverride = { country: string; category: PricedCategory; rate: Micros };

/** Overrides keyed by `overrideKey`. */
export type Overrides = ReadonlyMap<string, Micros>;

export const overrideKey = (country: string, category: string) => `${country}:${category}`;

export const overridesOf = (list: readonly RateOverride[]): Overrides => new Map(list.map((o) => [overrideKey(o.country, o.category), o.rate]));

/** A rate and where it comes from. */
export type Rate = { rate: Micros; source: "card" | "override" };

/**
 * What one delivered message of `category` to `country` costs: the workspace's override when
 * there is one, else the card's rate of the country's market; null when it is not known (no
 * country, or a category the card does not price, such as authentication_international).
 *
 * @example rateFor("BR", "marketing", new Map()); // { rate: 62500, source: "card" }
 * @example rateFor("BR", "marketing", new Map([["BR:marketing", 70000]])); // { rate: 70000, source: "override" }
 * @example rateFor(null, "marketing", new Map()); // null
 */
export function rateFor(country: string | null, category: string | null, overrides: Overrides): Rate | null {
  if (country === null || !isPricedCategory(category)) return null;
  const override = overrides.get(overrideKey(country, category));
  if (override !== undefined) return { rate: override, source: "override" };
  return { rate: marketOf(country).rates[category], source: "card" };
}

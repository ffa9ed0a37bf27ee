/** Money, countries, markets and template categories as the chosen locale writes them. */
import { locale, type MessageKey, t } from "../i18n";

const currencies = new Map<string, Intl.NumberFormat>();
const regions = new Map<string, Intl.DisplayNames>();

/**
 * An amount of US dollars from the API (a decimal string, exact to the micro-dollar) in the
 * locale's currency format, keeping every decimal the amount has: "US$ 0,0625", "$12.50".
 */
export function formatMoney(amount: string): string {
  let f = currencies.get(locale.value);
  if (!f)
    currencies.set(
      locale.value,
      (f = new Intl.NumberFormat(locale.value, { style: "currency", currency: "USD", minimumFractionDigits: 2, maximumFractionDigits: 6 })),
    );
  // Six decimals at most: the nearest double of such a decimal prints back as the same decimal.
  return f.format(Number(amount));
}

/** A country's name from its ISO 3166-1 alpha-2 code ("Unknown country" for null). */
export function countryName(code: string | null): string {
  if (code === null) return t("cost.unknownCountry");
  let names = regions.get(locale.value);
  if (!names) regions.set(locale.value, (names = new Intl.DisplayNames(locale.value, { type: "region" })));
  try {
    return names.of(code) ?? code;
  } catch {
    return code;
  }
}

const GROUPS: Record<string, MessageKey> = {
  "North America": "cost.market.northAmerica",
  "Rest of Africa": "cost.market.restOfAfrica",
  "Rest of Asia Pacific": "cost.market.restOfAsiaPacific",
  "Rest of Central & Eastern Europe": "cost.market.restOfCentralEasternEurope",
  "Rest of Latin America": "cost.market.restOfLatinAmerica",
  "Rest of Middle East": "cost.market.restOfMiddleEast",
  "Rest of Western Europe": "cost.market.restOfWesternEurope",
  Other: "cost.market.other",
};

/** A group of countries' name in the locale; null for a market that is one country (its name is the country's). */
export function groupName(market: string | null): string | null {
  const key = market === null ? undefined : GROUPS[market];
  return key ? t(key) : null;
}

/** "Bolivia (Rest of Latin America)", or just "Brazil" for a country priced on its own. */
export function countryWithMarket(country: string | null, market: string | null): string {
  const group = groupName(market);
  return group ? `${countryName(country)} (${group})` : countryName(country);
}

const CATEGORIES: Record<string, MessageKey> = {
  marketing: "cost.category.marketing",
  utility: "cost.category.utility",
  authentication: "cost.category.authentication",
  service: "cost.category.service",
};

/** A pricing category in the locale; one Herald does not know is shown as WhatsApp names it. */
export const categoryName = (category: string | null) =>
  category === null ? t("cost.category.unknown") : CATEGORIES[category] ? t(CATEGORIES[category]!) : category;

/** The rate card's effective date (YYYY-MM-DD) as the locale writes dates. */
export const cardDate = (date: string) => new Intl.DateTimeFormat(locale.value, { dateStyle: "long", timeZone: "UTC" }).format(new Date(`${date}T00:00:00Z`));

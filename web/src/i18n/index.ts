/**
 * Herald speaks English and Brazilian Portuguese. Every string the UI shows comes from a message
 * catalogue (one per area in `messages/`, each with both languages and the same keys); `t`
 * looks it up in the chosen locale. The locale is the one the user picked (remembered in this
 * browser), else the browser's language when it is Portuguese, else English.
 */
import { signal } from "@preact/signals";
import { catalogue, type MessageKey } from "./catalogue";

export const LOCALES = ["en", "pt-BR"] as const;
export type Locale = (typeof LOCALES)[number];
export type { MessageKey };

const STORAGE_KEY = "herald.locale";

function initialLocale(): Locale {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved && (LOCALES as readonly string[]).includes(saved)) return saved as Locale;
  } catch {
    // storage unavailable (private mode): fall through to the browser's language
  }
  const languages = typeof navigator === "undefined" ? [] : (navigator.languages ?? [navigator.language]);
  return languages.some((l) => l.toLowerCase().startsWith("pt")) ? "pt-BR" : "en";
}

/** The UI's language; pages re-render when it changes. */
export const locale = signal<Locale>(initialLocale());

function apply(l: Locale) {
  if (typeof document !== "undefined") document.documentElement.lang = l;
}
apply(locale.value);

export function setLocale(l: Locale): void {
  locale.value = l;
  apply(l);
  try {
    localStorage.setItem(STORAGE_KEY, l);
  } catch {
    // not remembered, still applied
  }
}

export type Vars = Record<string, string | number>;

const fill = (text: string, vars?: Vars) =>
  vars
    ? text.replace(/\{(\w+)\}/g, (m, name: string) =>
        name in vars ? (typeof vars[name] === "number" ? formatNumberIn(locale.value, vars[name] as number) : String(vars[name])) : m,
      )
    : text;

const numberFormats = new Map<string, Intl.NumberFormat>();
function formatNumberIn(l: Locale, n: number): string {
  let f = numberFormats.get(l);
  if (!f) numberFormats.set(l, (f = new Intl.NumberFormat(l)));
  return f.format(n);
}

/**
 * The message for `key` in the current locale, with `{name}` placeholders filled (numbers are
 * written the locale's way).
 *
 * @example t("campaigns.title") // "Campaigns" or "Campanhas"
 * @example t("audience.receive", { count: 1200 }) // "1,200 contacts receive…" / "1.200 contatos recebem…"
 */
export function t(key: MessageKey, vars?: Vars): string {
  return fill(catalogue[locale.value][key], vars);
}

const pluralRules = new Map<string, Intl.PluralRules>();

/**
 * A message that depends on a count: `key` + "_one" when the locale's plural rule says "one",
 * else `key` + "_other"; `{count}` is filled.
 *
 * @example tn("recipients", 1) // "1 recipient"; tn("recipients", 3) // "3 recipients"
 */
export function tn(key: string, count: number, vars?: Vars): string {
  let rules = pluralRules.get(locale.value);
  if (!rules) pluralRules.set(locale.value, (rules = new Intl.PluralRules(locale.value)));
  const form = rules.select(count) === "one" ? "one" : "other";
  return t(`${key}_${form}` as MessageKey, { count, ...vars });
}

/** Numbers, dates and durations as the chosen locale writes them. */
import { locale, t } from "../i18n";

const cache = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();
function cached<T extends Intl.NumberFormat | Intl.DateTimeFormat>(key: string, make: () => T): T {
  let f = cache.get(key) as T | undefined;
  if (!f) cache.set(key, (f = make()));
  return f;
}

export const formatNumber = (n: number) => cached(`n:${locale.value}`, () => new Intl.NumberFormat(locale.value)).format(n);

/** "42 %" of `of`, or "–" when there is nothing to divide by. */
export function percent(n: number, of: number): string {
  return of > 0 ? cached(`p:${locale.value}`, () => new Intl.NumberFormat(locale.value, { style: "percent" })).format(n / of) : "–";
}

export function formatDateTime(iso: string | null | undefined): string {
  return iso ? cached(`d:${locale.value}`, () => new Intl.DateTimeFormat(locale.value, { dateStyle: "medium", timeStyle: "short" })).format(new Date(iso)) : "";
}

/** A duration in words, rounded to what matters: "45 s", "12 min", "3 h 20 min", "2 days 4 h". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return t("format.seconds", { n: s });
  const min = Math.round(s / 60);
  if (min < 60) return t("format.minutes", { n: min });
  const h = Math.floor(min / 60);
  if (h < 48) return min % 60 ? t("format.hoursMinutes", { h, m: min % 60 }) : t("format.hours", { h });
  const days = Math.floor(h / 24);
  return h % 24 ? t("format.daysHours", { d: days, h: h % 24 }) : t("format.days", { d: days });
}

/** The browser's IANA time zone, e.g. "America/Sao_Paulo". */
export const browserTimeZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

/** Every time zone the browser knows, the browser's own included. */
export function timeZones(): string[] {
  const own = browserTimeZone();
  const all = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return all.includes(own) ? all : [own, ...all];
}

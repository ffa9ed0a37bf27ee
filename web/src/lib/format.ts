/** Numbers, dates and durations as the browser's locale writes them. */

const numberFormat = new Intl.NumberFormat();

export const formatNumber = (n: number) => numberFormat.format(n);

/** "42 %" of `of`, or "–" when there is nothing to divide by. */
export function percent(n: number, of: number): string {
  return of > 0 ? `${Math.round((n / of) * 100)} %` : "–";
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function formatDateTime(iso: string | null | undefined): string {
  return iso ? dateTime.format(new Date(iso)) : "";
}

/** A duration in words, rounded to what matters: "45 s", "12 min", "3 h 20 min", "2 days 4 h". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return min % 60 ? `${h} h ${min % 60} min` : `${h} h`;
  const days = Math.floor(h / 24);
  return h % 24 ? `${days} days ${h % 24} h` : `${days} days`;
}

/** The browser's IANA time zone, e.g. "America/Sao_Paulo". */
export const browserTimeZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

/** Every time zone the browser knows, the browser's own included. */
export function timeZones(): string[] {
  const own = browserTimeZone();
  const all = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return all.includes(own) ? all : [own, ...all];
}

/**
 * Wall-clock time in IANA time zones with `Intl.DateTimeFormat` (no time zone library): what a
 * zone's clock shows at an instant, and its offset from UTC then. Daylight-saving changes are
 * whatever the runtime's ICU data says they are.
 */

const TIME_ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;

/** A zone's clock reading: calendar date and time of day (month 1–12, hour 0–23). */
export type WallClock = { year: number; month: number; day: number; hour: number; minute: number; second: number };

/** Epoch ms of a wall time read as UTC. Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not. */
export function utc(year: number, month: number, day: number, hour = 0, minute = 0, second = 0, ms = 0): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  return date.getTime();
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/**
 * What the zone's clock shows at an instant.
 *
 * @example wallClock("America/Sao_Paulo", Date.UTC(2026, 11, 1, 12, 30)); // { year: 2026, month: 12, day: 1, hour: 9, minute: 30, second: 0 }
 */
export function wallClock(timeZone: string, instant: number): WallClock {
  const parts = formatterFor(timeZone).formatToParts(instant);
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  return { year: get("year"), month: get("month"), day: get("day"), hour: get("hour"), minute: get("minute"), second: get("second") };
}

/** The zone's offset from UTC at an instant, in ms (e.g. -3 h for São Paulo). */
export function offsetAt(timeZone: string, instant: number): number {
  const w = wallClock(timeZone, instant);
  return utc(w.year, w.month, w.day, w.hour, w.minute, w.second) - Math.floor(instant / 1000) * 1000;
}

/** True for a time zone name Intl knows, such as "America/Sao_Paulo" or "UTC". Offsets like "+03:00" are not names. */
export function isTimeZone(name: string): boolean {
  if (!TIME_ZONE_NAME.test(name)) return false;
  try {
    formatterFor(name);
    return true;
  } catch {
    return false;
  }
}

/**
 * The name Intl gives a zone it knows (its canonical spelling and case); call `isTimeZone` first.
 *
 * @example canonicalTimeZone("america/sao_paulo"); // "America/Sao_Paulo"
 */
export const canonicalTimeZone = (name: string): string => formatterFor(name).resolvedOptions().timeZone;

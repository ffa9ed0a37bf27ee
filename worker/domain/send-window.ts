/**
 * Send windows: the days and local hours a campaign may send in, read in a time zone. Whether a
 * window is open at an instant, when it opens next, and when a campaign would start and end.
 *
 * A window is a series of intervals, one per chosen day: from the first instant the zone's clock
 * shows `from` on that day until the first instant it shows `to` (on the next day for an
 * overnight window, whose `to` is earlier than its `from`). Across daylight-saving changes:
 * - a time the clock skips opens (or closes) the window when the clock jumps past it: a window
 *   opening at 00:00 on a day clocks go from 00:00 to 01:00 opens at 01:00;
 * - a time the clock shows twice counts at its first occurrence, and the window stays open
 *   through the repeated hour (a 01:30–05:00 window on a fall-back day lasts 4½ hours of
 *   clock time plus the repeated hour).
 */
import { estimateDurationMs, type PacingSettings } from "./campaign-pacing";
import type { SendWindow } from "./campaign-settings";
import { isTimeZone, offsetAt, utc, wallClock } from "./time-zone";

/** Days of the week, Monday first, as a send window names them. */
export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** The part of a send window its intervals depend on. */
export type WindowHours = Pick<SendWindow, "days" | "from" | "to">;

/** Half-open interval of epoch ms, [start, end). */
export type OpenInterval = { start: number; end: number };

/** The zone a window is read in when neither the window nor the campaign names one. */
export const FALLBACK_TIME_ZONE = "UTC";

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

type LocalDate = { year: number; month: number; day: number };

const minutesOf = (clock: string) => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5));

function addDays(date: LocalDate, days: number): LocalDate {
  const d = new Date(utc(date.year, date.month, date.day) + days * DAY_MS);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

const weekdayOf = (date: LocalDate): Weekday => WEEKDAYS[(new Date(utc(date.year, date.month, date.day)).getUTCDay() + 6) % 7]!;

/** What the zone's clock shows at an instant, as epoch ms read as UTC. */
const shown = (timeZone: string, instant: number) => instant + offsetAt(timeZone, instant);

/**
 * The first instant at which the zone's clock shows `minutes` past midnight of `date`: the
 * earlier one when the clock shows it twice, the moment the clock jumps past it when it skips it.
 *
 * @example localInstant("America/New_York", { year: 2026, month: 3, day: 8 }, 150); // Date.UTC(2026, 2, 8, 7, 0): 02:30 is skipped, 03:00 EDT
 */
export function localInstant(timeZone: string, date: LocalDate, minutes: number): number {
  const wall = utc(date.year, date.month, date.day, 0, minutes);
  // The offsets in force around that wall time (a day either side covers any single change).
  const offsets = new Set([offsetAt(timeZone, wall - DAY_MS), offsetAt(timeZone, wall), offsetAt(timeZone, wall + DAY_MS)]);
  const candidates = [...offsets].map((offset) => wall - offset);
  const valid = candidates.filter((instant) => shown(timeZone, instant) === wall);
  if (valid.length) return Math.min(...valid);
  // Skipped: the clock jumped over it between the candidates. Find the jump to the second.
  let before = Math.floor(Math.min(...candidates) / 1000);
  let after = Math.ceil(Math.max(...candidates) / 1000);
  while (after - before > 1) {
    const mid = Math.floor((before + after) / 2);
    if (shown(timeZone, mid * 1000) >= wall) after = mid;
    else before = mid;
  }
  return after * 1000;
}

const intervals = new Map<string, OpenInterval | null>();

/** The window's interval that opens on a local date (null on a day it does not open, or when a clock change leaves it empty). */
function intervalOn(window: WindowHours, timeZone: string, date: LocalDate): OpenInterval | null {
  if (!window.days.includes(weekdayOf(date))) return null;
  const key = `${timeZone}|${window.from}|${window.to}|${date.year}-${date.month}-${date.day}`;
  let interval = intervals.get(key);
  if (interval === undefined) {
    const from = minutesOf(window.from);
    const to = minutesOf(window.to);
    const start = localInstant(timeZone, date, from);
    const end = localInstant(timeZone, to > from ? date : addDays(date, 1), to);
    interval = end > start ? { start, end } : null;
    if (intervals.size >= 5_000) intervals.clear();
    intervals.set(key, interval);
  }
  return interval;
}

/**
 * The window's interval open at `instant`, or else the next one to open.
 * Throws a RangeError for a window with no day (the settings schema refuses those).
 */
export function currentOrNextInterval(window: WindowHours, timeZone: string, instant: number): OpenInterval {
  const today = wallClock(timeZone, instant);
  // Yesterday's interval may still be open (overnight); a week and a day ahead covers every day.
  for (let i = -1; i <= 8; i++) {
    const interval = intervalOn(window, timeZone, addDays(today, i));
    if (interval && interval.end > instant) return interval;
  }
  throw new RangeError(`the send window never opens (days: ${JSON.stringify(window.days)})`);
}

/**
 * Whether the window is open at `instant` in the zone.
 *
 * @example
 * const weekdays = { days: ["mon", "tue", "wed", "thu", "fri"], from: "09:00", to: "18:00" };
 * isOpen(weekdays, "America/Sao_Paulo", Date.UTC(2026, 2, 4, 13, 0)); // true: Wednesday 10:00 there
 * isOpen(weekdays, "America/Sao_Paulo", Date.UTC(2026, 2, 7, 13, 0)); // false: Saturday
 */
export function isOpen(window: WindowHours, timeZone: string, instant: number): boolean {
  return currentOrNextInterval(window, timeZone, instant).start <= instant;
}

/**
 * The next instant the window opens: `instant` itself when it is open then.
 *
 * @example
 * nextOpening({ days: ["mon"], from: "09:00", to: "18:00" }, "America/Sao_Paulo", Date.UTC(2026, 2, 7, 13, 0));
 * // Date.UTC(2026, 2, 9, 12, 0): Monday 09:00 there
 */
export function nextOpening(window: WindowHours, timeZone: string, instant: number): number {
  return Math.max(instant, currentOrNextInterval(window, timeZone, instant).start);
}

/**
 * How long the window is open in a week, by the clock (a clock change makes one week an hour
 * longer or shorter).
 *
 * @example openMsPerWeek({ days: ["mon", "fri"], from: "20:00", to: "02:00" }); // 43200000 (2 × 6 h)
 */
export function openMsPerWeek(window: WindowHours): number {
  const span = (minutesOf(window.to) - minutesOf(window.from) + 1440) % 1440;
  return new Set(window.days).size * span * 60_000;
}

/** The instant by which the window has been open for `openMs` counted from `start`. */
function afterOpenTime(window: WindowHours, timeZone: string, start: number, openMs: number): number {
  let cursor = start;
  let remaining = openMs;
  const weekly = openMsPerWeek(window);
  // Whole weeks at once (by the clock), the last ones walked interval by interval.
  if (weekly > 0 && remaining > 2 * weekly) {
    const weeks = Math.floor(remaining / weekly) - 1;
    cursor += weeks * WEEK_MS;
    remaining -= weeks * weekly;
  }
  for (;;) {
    const interval = currentOrNextInterval(window, timeZone, cursor);
    const from = Math.max(cursor, interval.start);
    if (remaining <= interval.end - from) return from + remaining;
    remaining -= interval.end - from;
    cursor = interval.end;
  }
}

export type ScheduleEstimate = {
  /** When the first message goes: `start`, or the window's next opening after it. */
  startsAt: number;
  /** When the last one is expected to go. */
  endsAt: number;
  /** From start to end, in days (two decimals). */
  days: number;
};

/**
 * When a campaign starting at `start` sends its first and last message: its sending time is
 * `estimateDurationMs` (the mean gap or the inbox's cap, and the batch pauses), spent only while
 * the window is open in `timeZone`. Recipients in other zones (per-contact windows) are counted
 * in `timeZone`. Retries and the messaging limit can only make it longer.
 *
 * @example
 * estimateSchedule({
 *   recipients: 5_001, settings: { min_delay_s: 6, max_delay_s: 6, batch_size: 1_000, batch_pause_s: 0 }, capPerSecond: 80,
 *   start: Date.UTC(2026, 2, 6, 21, 0), window: { days: ["mon", "tue", "wed", "thu", "fri"], from: "09:00", to: "17:00" }, timeZone: "UTC",
 * });
 * // { startsAt: Date.UTC(2026, 2, 9, 9, 0), endsAt: Date.UTC(2026, 2, 10, 9, 20), days: 1.01 }
 * // 5,000 gaps of 6 s (8 h 20 min of sending): Monday 09:00–17:00, then Tuesday 09:00–09:20
 */
export function estimateSchedule(input: {
  recipients: number;
  settings: PacingSettings;
  capPerSecond: number;
  start: number;
  window?: WindowHours | null | undefined;
  timeZone: string;
}): ScheduleEstimate {
  const sendingMs = estimateDurationMs(input.recipients, input.settings, input.capPerSecond);
  const { window, timeZone, start } = input;
  const startsAt = window ? nextOpening(window, timeZone, start) : start;
  const endsAt = window ? afterOpenTime(window, timeZone, startsAt, sendingMs) : start + sendingMs;
  return { startsAt, endsAt, days: Math.round(((endsAt - startsAt) / DAY_MS) * 100) / 100 };
}

/**
 * The zone a window is read in: its own, else the campaign's (a scheduled campaign's), else UTC.
 *
 * @example windowZone({ timezone: undefined }, "America/Sao_Paulo"); // "America/Sao_Paulo"
 */
export function windowZone(window: Pick<SendWindow, "timezone">, campaignZone: string | null | undefined): string {
  return window.timezone ?? campaignZone ?? FALLBACK_TIME_ZONE;
}

/**
 * The zone a recipient's window is read in: the contact's `timezone` attribute when it names a
 * zone Intl knows, else `fallback` (the window's zone).
 *
 * @example recipientZone({ timezone: "Asia/Tokyo" }, "UTC"); // "Asia/Tokyo"
 * @example recipientZone({ timezone: "Mars/Base" }, "UTC"); // "UTC"
 */
export function recipientZone(attributes: Record<string, unknown>, fallback: string): string {
  const zone = attributes.timezone;
  return typeof zone === "string" && isTimeZone(zone.trim()) ? zone.trim() : fallback;
}

const WAIT_NOTE = "waiting for the send window until ";

/**
 * The status note of a sending campaign whose window is closed.
 *
 * @example windowWaitNote(Date.UTC(2026, 2, 9, 12)); // "waiting for the send window until 2026-03-09T12:00:00.000Z"
 */
export const windowWaitNote = (until: number) => `${WAIT_NOTE}${new Date(until).toISOString()}`;

/** The ISO time a window wait note names, or null for any other note. */
export function windowWaitUntil(note: string | null | undefined): string | null {
  if (!note?.startsWith(WAIT_NOTE)) return null;
  const iso = note.slice(WAIT_NOTE.length);
  return Number.isNaN(Date.parse(iso)) ? null : iso;
}

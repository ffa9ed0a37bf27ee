/**
 * The pace of a campaign: which variant a recipient gets, when the next
 * recipient is released, when failures should pause the campaign, and how long a retry waits.
 */

import type { SendSettings } from "./campaign-settings";
import type { ErrorPolicy } from "./provider";

/** A random number in [0, 1), like `Math.random`; injected so tests can pin it. */
export type Random = () => number;

/** 32-bit FNV-1a followed by murmur3's finalizer, so that similar keys land far apart. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export type VariantChoice = {
  randomize: boolean;
  campaignId: string | number;
  contactId: string | number;
  /** 0-based position of the recipient in send order; used when `randomize` is off. */
  sequence: number;
};

/**
 * The variant (0-based) a recipient gets. Randomized: a hash of campaign and contact, so the same
 * recipient always gets the same variant (a retry or a re-run tick cannot switch it). Otherwise
 * the variants rotate in send order.
 *
 * @example
 * pickVariant(3, { randomize: false, campaignId: 7, contactId: 42, sequence: 4 }); // 1
 * pickVariant(3, { randomize: true, campaignId: 7, contactId: 42, sequence: 4 }); // the same index on every call
 */
export function pickVariant(variantCount: number, choice: VariantChoice): number {
  if (!Number.isInteger(variantCount) || variantCount < 1) throw new RangeError(`variantCount must be a positive integer, got ${variantCount}`);
  if (variantCount === 1) return 0;
  if (choice.randomize) return hash32(`${choice.campaignId}:${choice.contactId}`) % variantCount;
  return ((Math.trunc(choice.sequence) % variantCount) + variantCount) % variantCount;
}

/**
 * A gap drawn uniformly from [minS, maxS] seconds, as whole milliseconds (both ends included).
 *
 * @example drawGapMs(1, 3, () => 0); // 1000
 * @example drawGapMs(1, 3, () => 0.999999); // 3000
 */
export function drawGapMs(minS: number, maxS: number, random: Random = Math.random): number {
  const min = Math.round(minS * 1000);
  const max = Math.round(maxS * 1000);
  if (max <= min) return min;
  return Math.min(max, min + Math.floor(random() * (max - min + 1)));
}

export type PacingState = {
  /** When the previous recipient was actually released (the tick's `now`), or null before the first. */
  lastReleaseAt: number | null;
  /** Releases so far in the current batch, the previous one included (0 before the first). */
  inBatch: number;
};

export type PacingSettings = Pick<SendSettings, "min_delay_s" | "max_delay_s" | "batch_size" | "batch_pause_s">;

export const INITIAL_PACING: PacingState = { lastReleaseAt: null, inBatch: 0 };

/**
 * When the next recipient is due.
 *
 * - The first release is due at `now`.
 * - Otherwise it is due a gap drawn from [min_delay_s, max_delay_s] after the previous release.
 * - When the previous release filled a batch (`inBatch ≥ batch_size`), `batch_pause_s` is added
 *   to that gap and `batchEnded` is true: the next release opens a new batch.
 * - Never earlier than `now`: after a late alarm or a resume the next recipient goes at once,
 *   and the gaps after it are measured from then, so lateness never causes a burst.
 *
 * With min = max = 0 every release of a batch is due at the same instant, so a tick that releases
 * everything due releases the whole batch at once; it should end its tick when `batchEnded` is
 * true (even if the next batch is due right away) so that one tick never releases more than a batch.
 *
 * Callers pass the instant a release actually happened to `recordRelease` (not its due time).
 *
 * @example
 * nextReleaseAt({ lastReleaseAt: null, inBatch: 0 }, settings, 1_000); // { at: 1000, batchEnded: false }
 * nextReleaseAt({ lastReleaseAt: 1_000, inBatch: 1 }, { min_delay_s: 2, max_delay_s: 2, batch_size: 50, batch_pause_s: 0 }, 1_000);
 * // { at: 3000, batchEnded: false }
 */
export function nextReleaseAt(state: PacingState, settings: PacingSettings, now: number, random: Random = Math.random): { at: number; batchEnded: boolean } {
  if (state.lastReleaseAt === null) return { at: now, batchEnded: false };
  const batchEnded = state.inBatch >= settings.batch_size;
  const rest = batchEnded ? Math.round(settings.batch_pause_s * 1000) : 0;
  const at = state.lastReleaseAt + drawGapMs(settings.min_delay_s, settings.max_delay_s, random) + rest;
  return { at: Math.max(at, now), batchEnded };
}

/**
 * The state after releasing one recipient at `releasedAt`: a release after a full batch opens
 * the next batch.
 *
 * @example recordRelease({ lastReleaseAt: 0, inBatch: 50 }, 9_000, { batch_size: 50 }); // { lastReleaseAt: 9000, inBatch: 1 }
 */
export function recordRelease(state: PacingState, releasedAt: number, settings: Pick<SendSettings, "batch_size">): PacingState {
  return { lastReleaseAt: releasedAt, inBatch: state.inBatch >= settings.batch_size ? 1 : state.inBatch + 1 };
}

/**
 * Share of a number's throughput cap an inbox actually sends at: arrival times jitter by a few
 * milliseconds, and pacing at exactly the cap puts the 81st request of some rolling second over
 * an 80/s limit. The inbox limiter spaces its send times by it.
 */
export const THROUGHPUT_HEADROOM = 0.95;

/**
 * Expected time from a campaign's first release to its last send, in ms: `recipients − 1` gaps,
 * each the larger of the mean drawn gap ((min + max) / 2) and the inbox's spacing at
 * `THROUGHPUT_HEADROOM` of `capPerSecond`, plus `batch_pause_s` after every full batch except
 * the last. 0 for one recipient or none. Retries, throttling and the messaging limit can only
 * make a campaign longer.
 *
 * @example
 * estimateDurationMs(101, { min_delay_s: 2, max_delay_s: 4, batch_size: 50, batch_pause_s: 60 }, 80); // 420000
 * estimateDurationMs(96, { min_delay_s: 0, max_delay_s: 0, batch_size: 1000, batch_pause_s: 0 }, 80); // 1250 (95 gaps of 1/76 s)
 */
export function estimateDurationMs(recipients: number, settings: PacingSettings, capPerSecond: number): number {
  const n = Math.floor(recipients);
  if (!(n > 1)) return 0;
  const meanGapMs = ((settings.min_delay_s + settings.max_delay_s) / 2) * 1000;
  const inboxGapMs = 1000 / Math.max(1, capPerSecond * THROUGHPUT_HEADROOM);
  const batchSize = Math.max(1, Math.floor(settings.batch_size));
  const pauses = Math.floor((n - 1) / batchSize);
  return Math.round((n - 1) * Math.max(meanGapMs, inboxGapMs) + pauses * settings.batch_pause_s * 1000);
}

export type SendOutcome = "ok" | "failed";

/**
 * The outcomes of the last `size` sends of a campaign, for auto-pause. Serializable through
 * `outcomes()`; rebuild with `new FailureWindow(size, saved)`. Clear it on resume, or a campaign
 * paused for failures pauses again at the first failure after it.
 *
 * @example
 * const window = new FailureWindow(10);
 * for (let i = 0; i < 10; i++) window.record(i < 5 ? "failed" : "ok");
 * window.shouldPause(0.5); // true
 */
export class FailureWindow {
  readonly size: number;
  #outcomes: SendOutcome[];

  constructor(size: number, outcomes: Iterable<SendOutcome> = []) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`size must be a positive integer, got ${size}`);
    this.size = size;
    this.#outcomes = [...outcomes].slice(-size);
  }

  record(outcome: SendOutcome): this {
    this.#outcomes.push(outcome);
    if (this.#outcomes.length > this.size) this.#outcomes.shift();
    return this;
  }

  isFull(): boolean {
    return this.#outcomes.length === this.size;
  }

  failures(): number {
    return this.#outcomes.filter((o) => o === "failed").length;
  }

  /** True once the window holds `size` outcomes and at least `threshold` (0–1) of them failed. */
  shouldPause(threshold: number): boolean {
    return this.isFull() && this.failures() / this.size >= threshold;
  }

  /** True once the window is full and every send in it failed. */
  allFailed(): boolean {
    return this.isFull() && this.failures() === this.size;
  }

  clear(): void {
    this.#outcomes = [];
  }

  /** Oldest first. */
  outcomes(): SendOutcome[] {
    return [...this.#outcomes];
  }
}

/** Attempts a recipient gets under `retry_recipient_later`, the first send included. */
export const MAX_ATTEMPTS = 5;
/** Longest wait before a retry. */
export const MAX_RETRY_DELAY_MS = 15 * 60_000;
/** First wait when the error gave no hint: a throttled inbox recovers within a second or so. */
const DEFAULT_RETRY_DELAY_MS: Partial<Record<ErrorPolicy, number>> = { retry_inbox_later: 1_000, retry_recipient_later: 5_000 };

/**
 * Whether a recipient whose latest attempt failed under `policy` is tried again, after `attempts`
 * attempts in all. Only the retry policies retry (`unknown` never: it may have been delivered);
 * `retry_recipient_later` stops after `MAX_ATTEMPTS`, `retry_inbox_later` (throttling, not the
 * recipient's fault) has no limit.
 *
 * @example canRetry("retry_recipient_later", 4); // true
 * @example canRetry("retry_recipient_later", 5); // false
 */
export function canRetry(policy: ErrorPolicy, attempts: number): boolean {
  if (policy === "retry_inbox_later") return true;
  return policy === "retry_recipient_later" && attempts < MAX_ATTEMPTS;
}

/**
 * How long to wait before the next attempt after `attempts` failed ones (1 after the first send):
 * `hintMs × 2^(attempts−1)` — the hint being the error's `retryAfterMs`, or 1 s for a throttled
 * inbox and 5 s otherwise — capped at 15 minutes, with ±20 % jitter so that retries spread out.
 * Never more than 15 minutes. Whether to retry at all is `canRetry`'s call.
 *
 * @example
 * retryDelayMs("retry_recipient_later", 1, 6_000, () => 0.5); // 6000
 * retryDelayMs("retry_recipient_later", 3, 6_000, () => 0.5); // 24000
 * retryDelayMs("retry_inbox_later", 20, undefined, () => 0.5); // 900000
 */
export function retryDelayMs(policy: ErrorPolicy, attempts: number, hintMs?: number, random: Random = Math.random): number {
  const base = hintMs !== undefined && hintMs > 0 ? hintMs : (DEFAULT_RETRY_DELAY_MS[policy] ?? 5_000);
  const exponent = Math.min(30, Math.max(0, Math.floor(attempts) - 1));
  const capped = Math.min(MAX_RETRY_DELAY_MS, base * 2 ** exponent);
  const jitter = 0.8 + 0.4 * random();
  return Math.min(MAX_RETRY_DELAY_MS, Math.round(capped * jitter));
}

import { describe, expect, it } from "vitest";
import {
  canRetry,
  drawGapMs,
  estimateDurationMs,
  FailureWindow,
  INITIAL_PACING,
  MAX_ATTEMPTS,
  MAX_RETRY_DELAY_MS,
  nextReleaseAt,
  type PacingSettings,
  type PacingState,
  pickVariant,
  type Random,
  recordRelease,
  retryDelayMs,
  THROUGHPUT_HEADROOM,
} from "../../worker/domain/campaign-pacing";
import type { ErrorPolicy } from "../../worker/domain/provider";

const ALMOST_ONE = 1 - Number.EPSILON;
const constant =
  (value: number): Random =>
  () =>
    value;

/** A seeded generator (mulberry32), so the statistical tests are reproducible. */
function seeded(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("pickVariant", () => {
  const choice = { randomize: true, campaignId: 7, contactId: 42, sequence: 0 };

  it("gives a recipient the same variant every time, whatever its position", () => {
    const first = pickVariant(4, choice);
    for (let sequence = 0; sequence < 20; sequence++) expect(pickVariant(4, { ...choice, sequence })).toBe(first);
    expect(pickVariant(4, { ...choice, campaignId: "7", contactId: "42" })).toBe(first);
  });

  it("depends on the campaign as well as the contact", () => {
    const perCampaign = Array.from({ length: 50 }, (_, campaignId) => pickVariant(4, { ...choice, campaignId }));
    expect(new Set(perCampaign).size).toBe(4);
  });

  it.each([2, 3, 4, 10])("spreads 10,000 contacts roughly evenly over %i variants", (count) => {
    const counts = new Array<number>(count).fill(0);
    for (let contactId = 1; contactId <= 10_000; contactId++) counts[pickVariant(count, { ...choice, contactId })]!++;
    const expected = 10_000 / count;
    for (const n of counts) expect(Math.abs(n - expected) / expected).toBeLessThan(0.1);
    // Chi-square against uniform; the 99.9th percentile for 9 degrees of freedom is 27.9.
    const chiSquare = counts.reduce((sum, n) => sum + (n - expected) ** 2 / expected, 0);
    expect(chiSquare).toBeLessThan(27.9);
  });

  it("rotates in send order when not randomized", () => {
    const rotation = Array.from({ length: 7 }, (_, sequence) => pickVariant(3, { ...choice, randomize: false, sequence }));
    expect(rotation).toEqual([0, 1, 2, 0, 1, 2, 0]);
    expect(pickVariant(3, { ...choice, randomize: false, contactId: 999, sequence: 4 })).toBe(1);
  });

  it("always picks the only variant, and refuses zero variants", () => {
    expect(pickVariant(1, choice)).toBe(0);
    expect(pickVariant(1, { ...choice, randomize: false, sequence: 5 })).toBe(0);
    expect(() => pickVariant(0, choice)).toThrow(RangeError);
    expect(() => pickVariant(2.5, choice)).toThrow(RangeError);
  });
});

describe("drawGapMs", () => {
  it("spans [min, max] in whole milliseconds, both ends included", () => {
    expect(drawGapMs(1, 3, constant(0))).toBe(1_000);
    expect(drawGapMs(1, 3, constant(ALMOST_ONE))).toBe(3_000);
    expect(drawGapMs(1, 3, constant(0.5))).toBe(2_000);
    expect(drawGapMs(0.25, 0.75, constant(0))).toBe(250);
    expect(drawGapMs(1.234, 1.236, constant(ALMOST_ONE))).toBe(1_236);
  });

  it("gives min when min equals max, including zero", () => {
    expect(drawGapMs(2, 2, constant(0.7))).toBe(2_000);
    expect(drawGapMs(0, 0, constant(ALMOST_ONE))).toBe(0);
  });

  it("never leaves the range, even with a random source returning 1", () => {
    expect(drawGapMs(1, 3, constant(1))).toBe(3_000);
  });

  it("is uniform: the mean of many draws is the middle of the range", () => {
    const random = seeded(1);
    const draws = Array.from({ length: 20_000 }, () => drawGapMs(1, 3, random));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(1_000);
    expect(Math.max(...draws)).toBeLessThanOrEqual(3_000);
    expect(draws.every(Number.isInteger)).toBe(true);
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    expect(Math.abs(mean - 2_000)).toBeLessThan(20);
  });
});

const settings = (overrides: Partial<PacingSettings> = {}): PacingSettings => ({
  min_delay_s: 1,
  max_delay_s: 3,
  batch_size: 50,
  batch_pause_s: 0,
  ...overrides,
});

/**
 * Plays a campaign's alarm the way the Durable Object runs it: each tick releases everything
 * due, stopping at the end of a batch, and re-arms at the next due time. Returns the release times.
 */
function simulate(recipients: number, s: PacingSettings, random: Random, start = 1_000_000, lateness = 0) {
  const released: number[] = [];
  let state: PacingState = INITIAL_PACING;
  let due = nextReleaseAt(state, s, start, random).at;
  let ticks = 0;
  while (released.length < recipients) {
    const now = due + lateness;
    ticks++;
    for (;;) {
      released.push(now);
      state = recordRelease(state, now, s);
      if (released.length === recipients) break;
      const next = nextReleaseAt(state, s, now, random);
      due = next.at;
      if (next.at > now || next.batchEnded) break;
    }
  }
  return { released, ticks, gaps: released.slice(1).map((t, i) => t - released[i]!) };
}

describe("nextReleaseAt", () => {
  it("releases the first recipient now", () => {
    expect(nextReleaseAt(INITIAL_PACING, settings(), 5_000, constant(0.5))).toEqual({ at: 5_000, batchEnded: false });
  });

  it("separates consecutive releases by a gap from [min, max]", () => {
    expect(nextReleaseAt({ lastReleaseAt: 10_000, inBatch: 1 }, settings(), 10_000, constant(0))).toEqual({ at: 11_000, batchEnded: false });
    expect(nextReleaseAt({ lastReleaseAt: 10_000, inBatch: 1 }, settings(), 10_000, constant(ALMOST_ONE))).toEqual({ at: 13_000, batchEnded: false });
    const { gaps } = simulate(200, settings(), seeded(2));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1_000);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(3_000);
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    expect(Math.abs(mean - 2_000) / 2_000).toBeLessThan(0.1);
  });

  it("adds batch_pause_s after batch_size releases", () => {
    const s = settings({ min_delay_s: 1, max_delay_s: 1, batch_size: 3, batch_pause_s: 60 });
    expect(nextReleaseAt({ lastReleaseAt: 0, inBatch: 2 }, s, 0, constant(0))).toEqual({ at: 1_000, batchEnded: false });
    expect(nextReleaseAt({ lastReleaseAt: 0, inBatch: 3 }, s, 0, constant(0))).toEqual({ at: 61_000, batchEnded: true });
    const { gaps } = simulate(10, s, constant(0));
    expect(gaps).toEqual([1_000, 1_000, 61_000, 1_000, 1_000, 61_000, 1_000, 1_000, 61_000]);
  });

  it("with zero delay releases a whole batch at once, one batch per tick", () => {
    const s = settings({ min_delay_s: 0, max_delay_s: 0, batch_size: 50, batch_pause_s: 0 });
    const { released, ticks } = simulate(120, s, seeded(3));
    expect(ticks).toBe(3);
    expect(new Set(released).size).toBe(1);

    const paused = simulate(120, { ...s, batch_pause_s: 10 }, seeded(3), 0);
    expect(paused.ticks).toBe(3);
    expect(paused.released.filter((t) => t === 0)).toHaveLength(50);
    expect(paused.released.filter((t) => t === 10_000)).toHaveLength(50);
    expect(paused.released.filter((t) => t === 20_000)).toHaveLength(20);
  });

  it("never schedules in the past, and a late alarm causes no burst", () => {
    // Resumed long after the last release: due at once.
    expect(nextReleaseAt({ lastReleaseAt: 0, inBatch: 1 }, settings(), 1_000_000, constant(0))).toEqual({ at: 1_000_000, batchEnded: false });
    // Every alarm 700 ms late: gaps stay at least min.
    const { gaps } = simulate(100, settings(), seeded(4), 0, 700);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1_000);
  });
});

describe("recordRelease", () => {
  it("counts releases in the batch and opens a new batch after a full one", () => {
    const s = { batch_size: 2 };
    let state = recordRelease(INITIAL_PACING, 10, s);
    expect(state).toEqual({ lastReleaseAt: 10, inBatch: 1 });
    state = recordRelease(state, 20, s);
    expect(state).toEqual({ lastReleaseAt: 20, inBatch: 2 });
    expect(recordRelease(state, 30, s)).toEqual({ lastReleaseAt: 30, inBatch: 1 });
  });
});

describe("FailureWindow", () => {
  const fill = (window: FailureWindow, failed: number, ok: number) => {
    for (let i = 0; i < failed; i++) window.record("failed");
    for (let i = 0; i < ok; i++) window.record("ok");
    return window;
  };

  it("does not pause before the window is full", () => {
    const window = fill(new FailureWindow(10), 9, 0);
    expect(window.isFull()).toBe(false);
    expect(window.shouldPause(0.05)).toBe(false);
    expect(window.allFailed()).toBe(false);
  });

  it("pauses when failures reach the threshold", () => {
    expect(fill(new FailureWindow(10), 5, 5).shouldPause(0.5)).toBe(true);
    expect(fill(new FailureWindow(10), 4, 6).shouldPause(0.5)).toBe(false);
    expect(fill(new FailureWindow(20), 1, 19).shouldPause(0.05)).toBe(true);
    expect(fill(new FailureWindow(20), 0, 20).shouldPause(0.05)).toBe(false);
    expect(fill(new FailureWindow(10), 9, 1).shouldPause(1)).toBe(false);
    expect(fill(new FailureWindow(10), 10, 0).shouldPause(1)).toBe(true);
  });

  it("keeps only the last N outcomes", () => {
    const window = fill(new FailureWindow(10), 10, 0);
    expect(window.allFailed()).toBe(true);
    window.record("ok");
    expect(window.allFailed()).toBe(false);
    expect(window.failures()).toBe(9);
    fill(window, 0, 6);
    expect(window.failures()).toBe(3);
    expect(window.outcomes()).toHaveLength(10);
    expect(window.shouldPause(0.5)).toBe(false);
  });

  it("rebuilds from saved outcomes and clears", () => {
    const saved = [...Array<"ok">(5).fill("ok"), ...Array<"failed">(10).fill("failed")];
    const window = new FailureWindow(10, saved);
    expect(window.outcomes()).toEqual(Array(10).fill("failed"));
    expect(window.allFailed()).toBe(true);
    window.clear();
    expect(window.outcomes()).toEqual([]);
    expect(window.shouldPause(0.05)).toBe(false);
  });

  it("refuses a size below 1", () => {
    expect(() => new FailureWindow(0)).toThrow(RangeError);
  });
});

describe("retryDelayMs", () => {
  it("doubles the hint with each attempt", () => {
    const delays = [1, 2, 3, 4].map((attempts) => retryDelayMs("retry_recipient_later", attempts, 6_000, constant(0.5)));
    expect(delays).toEqual([6_000, 12_000, 24_000, 48_000]);
  });

  it("defaults the hint to 5 s, or 1 s for a throttled inbox", () => {
    expect(retryDelayMs("retry_recipient_later", 1, undefined, constant(0.5))).toBe(5_000);
    expect(retryDelayMs("retry_inbox_later", 1, undefined, constant(0.5))).toBe(1_000);
    expect(retryDelayMs("retry_inbox_later", 3, 0, constant(0.5))).toBe(4_000);
  });

  it("caps at 15 minutes", () => {
    expect(retryDelayMs("retry_recipient_later", 5, 60_000, constant(0.5))).toBe(MAX_RETRY_DELAY_MS);
    expect(retryDelayMs("retry_inbox_later", 100, 1_000, constant(0.5))).toBe(MAX_RETRY_DELAY_MS);
    for (const r of [0, 0.5, ALMOST_ONE]) expect(retryDelayMs("retry_inbox_later", 40, 60_000, constant(r))).toBeLessThanOrEqual(MAX_RETRY_DELAY_MS);
  });

  it("jitters by ±20 %", () => {
    expect(retryDelayMs("retry_recipient_later", 2, 5_000, constant(0))).toBe(8_000);
    expect(retryDelayMs("retry_recipient_later", 2, 5_000, constant(ALMOST_ONE))).toBe(12_000);
    expect(retryDelayMs("retry_inbox_later", 40, 60_000, constant(0))).toBe(720_000);
    const random = seeded(5);
    const draws = Array.from({ length: 1_000 }, () => retryDelayMs("retry_recipient_later", 1, 10_000, random));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(8_000);
    expect(Math.max(...draws)).toBeLessThanOrEqual(12_000);
    expect(new Set(draws).size).toBeGreaterThan(100);
  });
});

describe("canRetry", () => {
  it(`retries a recipient up to ${MAX_ATTEMPTS} attempts in all`, () => {
    expect(MAX_ATTEMPTS).toBe(5);
    expect([1, 2, 3, 4, 5, 6].map((attempts) => canRetry("retry_recipient_later", attempts))).toEqual([true, true, true, true, false, false]);
  });

  it("retries a throttled inbox without limit", () => {
    expect(canRetry("retry_inbox_later", 1)).toBe(true);
    expect(canRetry("retry_inbox_later", 500)).toBe(true);
  });

  it.each(["fail_recipient", "stop_marketing", "pause_campaign", "unknown"] satisfies ErrorPolicy[])("never retries %s", (policy) => {
    expect(canRetry(policy, 1)).toBe(false);
  });
});

describe("estimateDurationMs", () => {
  const pace = (overrides: Partial<PacingSettings> = {}) => settings({ min_delay_s: 2, max_delay_s: 4, batch_size: 1_000, batch_pause_s: 0, ...overrides });

  it("is 0 for one recipient or none", () => {
    expect(estimateDurationMs(0, pace(), 80)).toBe(0);
    expect(estimateDurationMs(1, pace({ batch_size: 1, batch_pause_s: 60 }), 80)).toBe(0);
  });

  it("counts n − 1 gaps of the mean drawn gap", () => {
    expect(estimateDurationMs(2, pace(), 80)).toBe(3_000);
    expect(estimateDurationMs(11, pace(), 80)).toBe(30_000);
    expect(estimateDurationMs(11, pace({ min_delay_s: 5, max_delay_s: 5 }), 80)).toBe(50_000);
  });

  it("adds batch_pause_s after every full batch except the last", () => {
    const batched = pace({ min_delay_s: 1, max_delay_s: 1, batch_size: 50, batch_pause_s: 60 });
    expect(estimateDurationMs(50, batched, 80)).toBe(49_000);
    expect(estimateDurationMs(51, batched, 80)).toBe(50_000 + 60_000);
    expect(estimateDurationMs(100, batched, 80)).toBe(99_000 + 60_000);
    expect(estimateDurationMs(101, batched, 80)).toBe(100_000 + 120_000);
  });

  it("never goes faster than the inbox paces sends, a little under its cap", () => {
    expect(THROUGHPUT_HEADROOM).toBe(0.95);
    const fast = pace({ min_delay_s: 0, max_delay_s: 0 });
    expect(estimateDurationMs(96, fast, 80)).toBe(1_250);
    // 2/s paced at 1.9/s: 19 gaps of 1/1.9 s.
    expect(estimateDurationMs(20, fast, 2)).toBe(10_000);
    expect(estimateDurationMs(20, pace({ min_delay_s: 0.2, max_delay_s: 0.4 }), 2)).toBe(10_000);
    // A mean gap longer than the inbox's spacing wins.
    expect(estimateDurationMs(20, pace({ min_delay_s: 1, max_delay_s: 3 }), 2)).toBe(38_000);
  });

  it("matches the mean of the simulated alarm loop", () => {
    const s = settings({ min_delay_s: 1, max_delay_s: 3, batch_size: 10, batch_pause_s: 30 });
    const { released } = simulate(200, s, seeded(9));
    const simulated = released[released.length - 1]! - released[0]!;
    expect(Math.abs(simulated - estimateDurationMs(200, s, 80)) / simulated).toBeLessThan(0.05);
  });
});

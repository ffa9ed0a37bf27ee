import { DurableObject } from "cloudflare:workers";

/** How long a throttled inbox (130429, 4, 80007) rests before sending again. */
const THROTTLE_REST_MS = 1_000;
/** After throttling the number sends at this share of its cap for SLOW_FOR_MS. */
const SLOW_FACTOR = 0.75;
const SLOW_FOR_MS = 10_000;
/**
 * Sends are paced a little under the cap: arrival times jitter by a few milliseconds, and pacing
 * at exactly the cap puts the 81st request of some rolling second over an 80/s limit.
 */
const HEADROOM = 0.95;

/**
 * The throughput cap of one WhatsApp number, shared by every campaign sending from it. Senders
 * reserve send times; reservations are spaced a little over 1/cap seconds apart, so requests reach WhatsApp
 * evenly whatever the number of campaigns. State is in memory: after an eviction the schedule
 * simply starts again from now.
 */
export class InboxLimiter extends DurableObject<Env> {
  private nextFree = 0;
  private slowUntil = 0;

  /**
   * Reserves up to `count` send times (epoch ms) no further than `maxWaitMs` ahead.
   * @example const { slots } = await limiter.reserve(10, 80, 2000) // 10 times 12.5 ms apart
   */
  reserve(count: number, capPerSecond: number, maxWaitMs: number): { slots: number[] } {
    const now = Date.now();
    const cap = Math.max(1, capPerSecond * HEADROOM * (now < this.slowUntil ? SLOW_FACTOR : 1));
    const spacing = 1000 / cap;
    const slots: number[] = [];
    let next = Math.max(now, this.nextFree);
    while (slots.length < count && next - now <= maxWaitMs) {
      slots.push(Math.round(next));
      next += spacing;
    }
    this.nextFree = next;
    return { slots };
  }

  /** WhatsApp said the number is over its limit: nothing is sent for a moment, then a little slower for a while. */
  throttled(restMs = THROTTLE_REST_MS): void {
    const now = Date.now();
    this.nextFree = Math.max(this.nextFree, now + restMs);
    this.slowUntil = now + restMs + SLOW_FOR_MS;
  }
}

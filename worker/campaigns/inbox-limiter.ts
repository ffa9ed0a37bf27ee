import { DurableObject } from "cloudflare:workers";
import { THROUGHPUT_HEADROOM } from "../domain/campaign-pacing";

/** How long a throttled inbox (130429, 4, 80007) rests before sending again, when WhatsApp gave no hint. */
const THROTTLE_REST_MS = 250;
/** On throttling the rate is multiplied by this (multiplicative decrease)... */
const DECREASE_FACTOR = 0.7;
/** ...at most once per this interval (the refusals of one burst count once)... */
const DECREASE_EVERY_MS = 1_000;
/** ...and grows back by this share of the aimed rate per second (additive increase). */
const INCREASE_PER_S = 0.02;
const DAY_MS = 24 * 3600_000;

/** Unique users outside the service window an inbox's tier allows per rolling 24 h (null: unlimited). */
export function tierLimit(tier: string): number | null {
  return tier === "unlimited" ? null : Number(tier) || 250;
}

export type Admission = { ok: true; used: number } | { ok: false; used: number; retryAt: number };

/** One message's turn: a send time (epoch ms), the messaging limit's refusal, or no time free soon enough. */
export type Turn = { slot: number } | { deferred: { used: number; retryAt: number } } | { later: true };

/**
 * The throughput cap and the messaging limit of one WhatsApp number, shared by every campaign and
 * every single message sent from it.
 *
 * Throughput: senders reserve send times spaced 1/rate apart, so requests reach WhatsApp evenly
 * whatever the number of campaigns. The rate aims at THROUGHPUT_HEADROOM of the configured cap;
 * when WhatsApp throttles the number anyway (its real limit is lower), the rate is cut by
 * DECREASE_FACTOR and then grows back by INCREASE_PER_S of the aim per second, so it settles just
 * under the number's real limit with few refusals. This state is in memory: after an eviction the
 * schedule starts again from now at the aimed rate.
 *
 * Messaging limit: the unique users messaged outside their 24 h service window in the rolling
 * 24 h, one row each, indexed by time, with a running count.
 */
export class InboxLimiter extends DurableObject<Env> {
  private nextFree = 0;
  /** The rate sends are spaced at now (msgs/s), null until the first reservation. */
  private rate: number | null = null;
  private rateAt = 0;
  private aim = 0;
  private lastDecrease = 0;
  /** Rows of business_initiated (null until counted once after the object starts). */
  private used: number | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(`
      CREATE TABLE IF NOT EXISTS business_initiated (phone TEXT PRIMARY KEY, first_at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS business_initiated_first_at ON business_initiated (first_at);
    `);
  }

  /** Drops users counted more than 24 h ago (an index range) and returns the running count. */
  private expire(now: number): number {
    const sql = this.ctx.storage.sql;
    this.used ??= sql.exec<{ n: number }>("SELECT count(*) AS n FROM business_initiated").one().n;
    this.used -= sql.exec("DELETE FROM business_initiated WHERE first_at <= ? RETURNING phone", now - DAY_MS).toArray().length;
    return this.used;
  }

  /**
   * The messaging-limit guard: whether a message to `phone` outside its 24 h service window may go
   * now without exceeding `limit` unique users in the rolling 24 h. A user already counted, or one
   * inside the window, always may. When the tier is full the answer says when a place frees up.
   * @example await limiter.admit("+5511987654321", 250, true) // { ok: true, used: 1 }
   */
  admit(phone: string, limit: number | null, outsideWindow: boolean): Admission {
    const sql = this.ctx.storage.sql;
    const now = Date.now();
    const used = this.expire(now);
    if (!outsideWindow || limit === null) return { ok: true, used };
    if (sql.exec("SELECT 1 FROM business_initiated WHERE phone = ?", phone).toArray().length) return { ok: true, used };
    if (used >= limit) {
      const oldest = sql.exec<{ first_at: number }>("SELECT first_at FROM business_initiated ORDER BY first_at LIMIT 1").one().first_at;
      return { ok: false, used, retryAt: oldest + DAY_MS };
    }
    sql.exec("INSERT INTO business_initiated (phone, first_at) VALUES (?, ?)", phone, now);
    this.used = used + 1;
    return { ok: true, used: this.used };
  }

  /** Unique users messaged outside their service window in the last 24 h. */
  usage(): { used: number } {
    return { used: this.expire(Date.now()) };
  }

  /** The rate to space sends at now: additive increase since the last look, never above the aim. */
  private currentRate(capPerSecond: number, now: number): number {
    const aim = Math.max(1, capPerSecond * THROUGHPUT_HEADROOM);
    if (this.rate === null || aim !== this.aim) {
      this.aim = aim;
      this.rate = aim;
    } else {
      this.rate = Math.min(aim, this.rate + ((now - this.rateAt) / 1000) * Math.max(0.5, aim * INCREASE_PER_S));
    }
    this.rateAt = now;
    return this.rate;
  }

  private nextSlot(capPerSecond: number, maxWaitMs: number, now: number): number | null {
    const spacing = 1000 / this.currentRate(capPerSecond, now);
    const next = Math.max(now, this.nextFree);
    if (next - now > maxWaitMs) return null;
    this.nextFree = next + spacing;
    return Math.round(next);
  }

  /**
   * Reserves up to `count` send times (epoch ms) no further than `maxWaitMs` ahead.
   * @example const { slots } = await limiter.reserve(10, 80, 2000) // 10 times 13.2 ms apart (at 95 % of 80/s)
   */
  reserve(count: number, capPerSecond: number, maxWaitMs: number): { slots: number[] } {
    const now = Date.now();
    const slots: number[] = [];
    while (slots.length < count) {
      const slot = this.nextSlot(capPerSecond, maxWaitMs, now);
      if (slot === null) break;
      slots.push(slot);
    }
    return { slots };
  }

  /**
   * One turn per message, in order: the messaging limit is checked first (a refused message takes
   * no send time), then a send time no further than `maxWaitMs` ahead is reserved.
   * @example await limiter.acquire([{ phone: "+5511987654321", outsideWindow: true }], 80, 250, 2000) // { turns: [{ slot: 1767225600000 }] }
   */
  acquire(messages: { phone: string; outsideWindow: boolean }[], capPerSecond: number, limit: number | null, maxWaitMs: number): { turns: Turn[] } {
    const now = Date.now();
    const turns: Turn[] = messages.map((m) => {
      const admitted = this.admit(m.phone, limit, m.outsideWindow);
      if (!admitted.ok) return { deferred: { used: admitted.used, retryAt: admitted.retryAt } };
      const slot = this.nextSlot(capPerSecond, maxWaitMs, now);
      return slot === null ? { later: true } : { slot };
    });
    return { turns };
  }

  /**
   * WhatsApp said the number is over its limit: nothing is sent for a moment, and the rate is cut
   * (once per burst of refusals).
   */
  throttled(restMs = THROTTLE_REST_MS): { rate: number | null } {
    const now = Date.now();
    this.nextFree = Math.max(this.nextFree, now + restMs);
    if (this.rate !== null && now - this.lastDecrease >= DECREASE_EVERY_MS) {
      this.rate = Math.max(1, this.currentRate(this.aim / THROUGHPUT_HEADROOM, now) * DECREASE_FACTOR);
      this.lastDecrease = now;
    }
    return { rate: this.rate };
  }
}

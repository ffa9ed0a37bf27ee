import { DurableObject } from "cloudflare:workers";
import { THROUGHPUT_HEADROOM } from "../domain/campaign-pacing";

/** How long a throttled inbox (130429, 4, 80007) rests before sending again. */
const THROTTLE_REST_MS = 1_000;
/** After throttling the number sends at this share of its cap for SLOW_FOR_MS. */
const SLOW_FACTOR = 0.75;
const SLOW_FOR_MS = 10_000;
const DAY_MS = 24 * 3600_000;

/** Unique users outside the service window an inbox's tier allows per rolling 24 h (null: unlimited). */
export function tierLimit(tier: string): number | null {
  return tier === "unlimited" ? null : Number(tier) || 250;
}

/**
 * The throughput cap of one WhatsApp number, shared by every campaign sending from it. Senders
 * reserve send times; reservations are spaced a little over 1/cap seconds apart (pacing at
 * THROUGHPUT_HEADROOM of the cap), so requests reach WhatsApp evenly whatever the number of
 * campaigns. State is in memory: after an eviction the schedule simply starts again from now.
 */
export class InboxLimiter extends DurableObject<Env> {
  private nextFree = 0;
  private slowUntil = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS business_initiated (phone TEXT PRIMARY KEY, first_at INTEGER NOT NULL)");
  }

  /**
   * The messaging-limit guard: whether a message to `phone` outside its 24 h service window may go
   * now without exceeding `limit` unique users in the rolling 24 h. A user already counted, or one
   * inside the window, always may. When the tier is full the answer says when a place frees up.
   * @example await limiter.admit("+5511987654321", 250, true) // { ok: true, used: 1 }
   */
  admit(phone: string, limit: number | null, outsideWindow: boolean): { ok: true; used: number } | { ok: false; used: number; retryAt: number } {
    const sql = this.ctx.storage.sql;
    const now = Date.now();
    sql.exec("DELETE FROM business_initiated WHERE first_at <= ?", now - DAY_MS);
    const used = () => sql.exec<{ n: number }>("SELECT count(*) AS n FROM business_initiated").one().n;
    if (!outsideWindow || limit === null) return { ok: true, used: used() };
    if (sql.exec("SELECT 1 FROM business_initiated WHERE phone = ?", phone).toArray().length) return { ok: true, used: used() };
    const count = used();
    if (count >= limit) {
      const oldest = sql.exec<{ t: number }>("SELECT min(first_at) AS t FROM business_initiated").one().t;
      return { ok: false, used: count, retryAt: oldest + DAY_MS };
    }
    sql.exec("INSERT INTO business_initiated (phone, first_at) VALUES (?, ?)", phone, now);
    return { ok: true, used: count + 1 };
  }

  /** Unique users messaged outside their service window in the last 24 h. */
  usage(): { used: number } {
    const sql = this.ctx.storage.sql;
    sql.exec("DELETE FROM business_initiated WHERE first_at <= ?", Date.now() - DAY_MS);
    return { used: sql.exec<{ n: number }>("SELECT count(*) AS n FROM business_initiated").one().n };
  }

  /**
   * Reserves up to `count` send times (epoch ms) no further than `maxWaitMs` ahead.
   * @example const { slots } = await limiter.reserve(10, 80, 2000) // 10 times 12.5 ms apart
   */
  reserve(count: number, capPerSecond: number, maxWaitMs: number): { slots: number[] } {
    const now = Date.now();
    const cap = Math.max(1, capPerSecond * THROUGHPUT_HEADROOM * (now < this.slowUntil ? SLOW_FACTOR : 1));
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

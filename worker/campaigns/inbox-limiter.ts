import { DurableObject } from "cloudflare:workers";
import type { Inbox } from "../db/schema";
import { THROUGHPUT_HEADROOM } from "../domain/campaign-pacing";
import { tierLimit } from "../domain/messaging-limit";
import { ApiError } from "../lib/errors";
import { limiterOf } from "../lib/objects";
import { outsideServiceWindow } from "./audience";

/** How long a throttled inbox (130429, 4, 80007) rests before sending again, when WhatsApp gave no hint. */
const THROTTLE_REST_MS = 250;
/** On throttling the rate drops to this share of what WhatsApp accepted in the last second... */
const DECREASE_TO = 0.95;
/** ...and at least by this factor (multiplicative decrease)... */
const DECREASE_FACTOR = 0.7;
/** ...then grows back by this share of the aimed rate per second (additive increase). */
const INCREASE_PER_S = 0.01;
/** A sender not seen for this long no longer counts when the send times ahead are shared out. */
const ACTIVE_MS = 3_000;
const DAY_MS = 24 * 3600_000;

export type Admission = { ok: true; used: number } | { ok: false; used: number; retryAt: number };

/** One message's turn: a send time (epoch ms), the messaging limit's refusal, or no time free soon enough. */
/**
 * One message's turn: a send time (epoch ms) with the limiter's epoch at the time (a throttle
 * starts a new epoch and revokes the send times handed out before), the messaging limit's
 * refusal, or `later`: no send time free soon enough, and when to ask again.
 */
export type Turn = { slot: number; epoch: number } | { deferred: { used: number; retryAt: number } } | { later: number };

/**
 * The throughput cap and the messaging limit of one WhatsApp number, shared by every campaign and
 * every single message sent from it.
 *
 * Throughput: senders reserve send times spaced 1/rate apart, so requests reach WhatsApp evenly
 * whatever the number of campaigns; the send times ahead are shared out evenly between the
 * senders asking (each campaign, and single messages), so campaigns on one number progress at
 * the same pace. The rate aims at THROUGHPUT_HEADROOM of the configured cap. When WhatsApp
 * throttles the number anyway (its real limit is lower), the rate drops to just under what it
 * accepted in the last second, the send times already handed out are revoked (a new epoch), and
 * the rate grows back by INCREASE_PER_S of the aim per second: it settles just under the number's
 * real limit with few refusals. This state is in memory: after an eviction the schedule starts
 * again from now at the aimed rate.
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
  private epoch = 0;
  /** Send times handed out (last second only), and refusals for throttling (last second only). */
  private issued: number[] = [];
  private refusals: number[] = [];
  /** Send times still ahead, per sender, and when each sender last asked. */
  private ahead = new Map<string, number[]>();
  private seen = new Map<string, number>();
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
    this.issued.push(next);
    return Math.round(next);
  }

  private forget(now: number): void {
    while (this.issued.length && this.issued[0]! <= now - 1000) this.issued.shift();
    while (this.refusals.length && this.refusals[0]! <= now - 1000) this.refusals.shift();
    for (const [key, times] of this.ahead) {
      while (times.length && times[0]! <= now) times.shift();
      if (times.length === 0 && (this.seen.get(key) ?? 0) < now - ACTIVE_MS) {
        this.ahead.delete(key);
        this.seen.delete(key);
      }
    }
  }

  /**
   * Reserves up to `count` send times (epoch ms) no further than `maxWaitMs` ahead, outside the
   * shares (a send that woke up late and needs a new time).
   * @example const { slots } = await limiter.reserve(1, 80, 2000) // { slots: [1767225600013], epoch: 0 }
   */
  reserve(count: number, capPerSecond: number, maxWaitMs: number): { slots: number[]; epoch: number } {
    const now = Date.now();
    this.forget(now);
    const slots: number[] = [];
    while (slots.length < count) {
      const slot = this.nextSlot(capPerSecond, maxWaitMs, now);
      if (slot === null) break;
      slots.push(slot);
    }
    return { slots, epoch: this.epoch };
  }

  /**
   * One turn per message of sender `key` (a campaign, or single messages), in order: a send time
   * no further than `maxWaitMs` ahead and within the sender's share of the times ahead (or
   * `later`: when to ask again), then the messaging limit (a message it refuses leaves its send
   * time unused, but a message without a send time never takes a place in the limit).
   * @example await limiter.acquire("campaign:7", [{ phone: "+5511987654321", outsideWindow: true }], 80, 250, 2000) // { turns: [{ slot: 1767225600000, epoch: 0 }] }
   */
  acquire(
    key: string,
    messages: { phone: string; outsideWindow: boolean }[],
    capPerSecond: number,
    limit: number | null,
    maxWaitMs: number,
  ): { turns: Turn[] } {
    const now = Date.now();
    this.forget(now);
    this.seen.set(key, now);
    const mine = this.ahead.get(key) ?? [];
    this.ahead.set(key, mine);
    let active = 0;
    for (const at of this.seen.values()) if (at >= now - ACTIVE_MS) active++;
    const share = Math.max(1, Math.floor(((maxWaitMs / 1000) * this.currentRate(capPerSecond, now)) / Math.max(1, active)));
    const turns: Turn[] = messages.map((m) => {
      if (mine.length >= share) return { later: mine[mine.length - share]! + 1 };
      const slot = this.nextSlot(capPerSecond, maxWaitMs, now);
      if (slot === null) return { later: Math.round(this.nextFree - maxWaitMs) };
      const admitted = this.admit(m.phone, limit, m.outsideWindow);
      if (!admitted.ok) return { deferred: { used: admitted.used, retryAt: admitted.retryAt } };
      mine.push(slot);
      return { slot, epoch: this.epoch };
    });
    return { turns };
  }

  /** The current epoch, and the earliest free send time: a send time of an older epoch was revoked. */
  current(): { epoch: number; nextFree: number } {
    return { epoch: this.epoch, nextFree: Math.max(Date.now(), Math.round(this.nextFree)) };
  }

  /**
   * WhatsApp refused a send of epoch `epoch` for throttling: nothing is sent for `restMs`, the
   * rate drops to just under what WhatsApp accepted in the last second (and at least by
   * DECREASE_FACTOR), and the send times handed out so far are revoked. Refusals of send times
   * already revoked only count.
   */
  throttled(restMs = THROTTLE_REST_MS, epoch = this.epoch): { rate: number | null; epoch: number } {
    const now = Date.now();
    this.forget(now);
    this.refusals.push(now);
    if (this.rate !== null && epoch === this.epoch) {
      const accepted = this.issued.filter((t) => t <= now).length - this.refusals.length;
      const rate = this.currentRate(this.aim / THROUGHPUT_HEADROOM, now);
      this.rate = Math.max(1, Math.min(rate * DECREASE_FACTOR, accepted * DECREASE_TO));
      this.epoch++;
      this.nextFree = now + restMs;
      this.ahead.clear();
    } else {
      this.nextFree = Math.max(this.nextFree, now + restMs);
    }
    return { rate: this.rate, epoch: this.epoch };
  }
}

/** How long a single message waits for a send time before the API answers that the number is busy. */
const SINGLE_SEND_WAIT_MS = 10_000;

/**
 * Takes the send turn of one message sent outside a campaign (a one-to-one or a test message):
 * the same messaging limit and throughput cap as the number's campaigns. Resolves at the send
 * time; refuses with 409 when the messaging limit is reached, 429 when no send time is free
 * within SINGLE_SEND_WAIT_MS.
 */
export async function takeTurn(
  env: Env,
  inbox: Pick<Inbox, "id" | "throughputCap" | "messagingLimitTier">,
  phone: string,
  lastInboundAt: number | null,
): Promise<void> {
  const limiter = limiterOf(env, inbox.id);
  const { turns } = await limiter.acquire(
    "single",
    [{ phone, outsideWindow: outsideServiceWindow(lastInboundAt) }],
    inbox.throughputCap,
    tierLimit(inbox.messagingLimitTier),
    SINGLE_SEND_WAIT_MS,
  );
  const turn = turns[0]!;
  if ("deferred" in turn) {
    throw new ApiError(
      "conflict",
      `the inbox's messaging limit is reached: ${turn.deferred.used} users outside the 24-hour window in the last 24 hours (tier ${inbox.messagingLimitTier}); a place frees up at ${new Date(turn.deferred.retryAt).toISOString()}`,
    );
  }
  if ("later" in turn) throw new ApiError("too_many_requests", "the inbox is sending at its throughput cap; try again in a few seconds");
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, turn.slot - Date.now())));
}

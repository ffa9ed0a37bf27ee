import { inArray, lt, or, type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { nowSeconds } from "../db/client";
import { loginAttempts } from "../db/schema";

const WINDOW_S = 15 * 60;
const LOCK_S = 15 * 60;

/**
 * Failed sign-ins are counted per window of WINDOW_S under three keys:
 * - `clientEmail`: one client guessing one email; locked for LOCK_S at this many failures.
 *   Only the guessing client is stopped: the owner of the email signs in from theirs.
 * - `client`: one client failing across any emails; locked at this many failures.
 * - `emailPressure`: failures of one email from every client together. It never locks the
 *   email (a stranger could then keep its owner out); past this many, each further failure
 *   locks its own client for that email at once, which slows guessing spread over many
 *   clients while a client that has not failed is never stopped.
 */
export const LOGIN_LIMITS = { clientEmail: 5, client: 30, emailPressure: 20 } as const;

/** Requests that did not cross Cloudflare's edge (tests, local tools) have no client address and count as this one client. */
const UNKNOWN_CLIENT = "unknown";

export type ThrottleKeys = { email: string; client: string | null; clientEmail: string };

/**
 * The throttle keys of a sign-in attempt; `address` is the CF-Connecting-IP header, which
 * Cloudflare's edge sets and a client cannot forge.
 * @example throttleKeys("ana@example.test", "203.0.113.7").clientEmail // "client:203.0.113.7|email:ana@example.test"
 */
export function throttleKeys(email: string, address: string | undefined): ThrottleKeys {
  const normalized = email.toLowerCase();
  const client = address?.trim() || null;
  return {
    email: `email:${normalized}`,
    client: client ? `client:${client}` : null,
    clientEmail: `client:${client ?? UNKNOWN_CLIENT}|email:${normalized}`,
  };
}

/** Seconds until this client may try this email again (0 when it may now). */
export async function lockedFor(db: Db, keys: ThrottleKeys): Promise<number> {
  const now = nowSeconds();
  const rows = await db
    .select({ lockedUntil: loginAttempts.lockedUntil })
    .from(loginAttempts)
    .where(inArray(loginAttempts.key, keys.client ? [keys.clientEmail, keys.client] : [keys.clientEmail]));
  const until = Math.max(0, ...rows.map((r) => r.lockedUntil ?? 0));
  return until > now ? until - now : 0;
}

/** Counts one failure under `key`, locking it once its failures in the window reach `limit` (never when null). */
function countFailure(db: Db, key: string, limit: number | SQL | null, now: number) {
  const fresh = sql`${loginAttempts.windowStartedAt} <= ${now - WINDOW_S}`;
  const failures = sql`CASE WHEN ${fresh} THEN 1 ELSE ${loginAttempts.failures} + 1 END`;
  return db
    .insert(loginAttempts)
    .values({ key, failures: 1, windowStartedAt: now, lockedUntil: limit === null ? null : sql`CASE WHEN 1 >= ${limit} THEN ${now + LOCK_S} END` })
    .onConflictDoUpdate({
      target: loginAttempts.key,
      set: {
        failures,
        windowStartedAt: sql`CASE WHEN ${fresh} THEN ${now} ELSE ${loginAttempts.windowStartedAt} END`,
        lockedUntil: limit === null ? null : sql`CASE WHEN ${failures} >= ${limit} THEN ${now + LOCK_S} ELSE ${loginAttempts.lockedUntil} END`,
      },
    });
}

export async function recordFailure(db: Db, keys: ThrottleKeys): Promise<void> {
  const now = nowSeconds();
  // The email's count is written first in the batch, so this reads it with the current failure.
  const clientEmailLimit = sql`CASE WHEN coalesce((SELECT e.failures FROM login_attempts AS e WHERE e.key = ${keys.email}), 0) > ${LOGIN_LIMITS.emailPressure} THEN 1 ELSE ${LOGIN_LIMITS.clientEmail} END`;
  await db.batch([
    countFailure(db, keys.email, null, now),
    ...(keys.client ? [countFailure(db, keys.client, LOGIN_LIMITS.client, now)] : []),
    countFailure(db, keys.clientEmail, clientEmailLimit, now),
  ]);
}

/** After a successful sign-in: this client's failures for this email are forgotten (not the email's nor the client's totals). */
export async function clearFailures(db: Db, keys: ThrottleKeys): Promise<void> {
  await db.delete(loginAttempts).where(inArray(loginAttempts.key, [keys.clientEmail]));
}

/** Drops rows whose window and lock are both over; run by the cron trigger. */
export async function purgeLoginAttempts(db: Db): Promise<void> {
  const now = nowSeconds();
  await db
    .delete(loginAttempts)
    .where(
      or(
        sql`${loginAttempts.windowStartedAt} <= ${now - WINDOW_S} AND (${loginAttempts.lockedUntil} IS NULL OR ${loginAttempts.lockedUntil} <= ${now})`,
        lt(loginAttempts.lockedUntil, now - WINDOW_S),
      ),
    );
}

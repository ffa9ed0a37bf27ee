import { inArray, lt, or, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { nowSeconds } from "../db/client";
import { loginAttempts } from "../db/schema";

const WINDOW_S = 15 * 60;
const LOCK_S = 15 * 60;

/** Failures allowed per window before the key is locked for LOCK_S. */
export const LOGIN_LIMITS = { email: 5, address: 30 } as const;

export function throttleKeys(email: string, address: string | undefined) {
  return [
    { key: `email:${email.toLowerCase()}`, limit: LOGIN_LIMITS.email },
    ...(address ? [{ key: `ip:${address}`, limit: LOGIN_LIMITS.address }] : []),
  ];
}

/** Seconds until every key is unlocked (0 when none is locked). */
export async function lockedFor(db: Db, keys: { key: string }[]): Promise<number> {
  const now = nowSeconds();
  const rows = await db
    .select({ lockedUntil: loginAttempts.lockedUntil })
    .from(loginAttempts)
    .where(inArray(loginAttempts.key, keys.map((k) => k.key)));
  const until = Math.max(0, ...rows.map((r) => r.lockedUntil ?? 0));
  return until > now ? until - now : 0;
}

export async function recordFailure(db: Db, keys: { key: string; limit: number }[]): Promise<void> {
  const now = nowSeconds();
  const fresh = sql`${loginAttempts.windowStartedAt} <= ${now - WINDOW_S}`;
  await db.batch(
    keys.map(({ key, limit }) =>
      db
        .insert(loginAttempts)
        .values({ key, failures: 1, windowStartedAt: now, lockedUntil: limit <= 1 ? now + LOCK_S : null })
        .onConflictDoUpdate({
          target: loginAttempts.key,
          set: {
            failures: sql`CASE WHEN ${fresh} THEN 1 ELSE ${loginAttempts.failures} + 1 END`,
            windowStartedAt: sql`CASE WHEN ${fresh} THEN ${now} ELSE ${loginAttempts.windowStartedAt} END`,
            lockedUntil: sql`CASE WHEN (CASE WHEN ${fresh} THEN 1 ELSE ${loginAttempts.failures} + 1 END) >= ${limit} THEN ${now + LOCK_S} ELSE ${loginAttempts.lockedUntil} END`,
          },
        }),
    ) as [any, ...any[]],
  );
}

export async function clearFailures(db: Db, key: string): Promise<void> {
  await db.delete(loginAttempts).where(inArray(loginAttempts.key, [key]));
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

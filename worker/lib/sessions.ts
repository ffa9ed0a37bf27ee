import { and, eq, gt, ne, sql } from "drizzle-orm";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { Db } from "../db/client";
import { nowSeconds } from "../db/client";
import { apiTokens, sessions, users } from "../db/schema";
import type { AppEnv, Principal } from "./context";
import { randomToken, sha256Hex } from "./crypto";

/**
 * The session cookie's name over http (local development). Over https it is
 * `__Host-herald_session`: browsers accept that name only when Secure, with Path=/ and no
 * Domain, so neither a sibling subdomain nor a plain-http page can set or shadow it.
 */
export const SESSION_COOKIE = "herald_session";
/** A session unused for this long ends. */
export const SESSION_IDLE_S = 7 * 24 * 3600;
/** Every session ends this long after sign-in, however much it is used. */
export const SESSION_LIFETIME_S = 30 * 24 * 3600;
/** A session used after this much of its idle time has passed is extended, at most once a day. */
const SESSION_RENEW_AFTER_S = 24 * 3600;
export const API_TOKEN_PREFIX = "hrld_";

function isLocalHost(url: URL): boolean {
  const host = url.hostname;
  return host === "localhost" || host === "127.0.0.1" || host === "[::1]" || host.endsWith(".localhost");
}

/** The session cookie's name prefix and flags for this request's scheme and host. */
function cookieOptions(c: Context<AppEnv>) {
  const url = new URL(c.req.url);
  const https = url.protocol === "https:";
  return {
    httpOnly: true,
    sameSite: "Lax" as const,
    path: "/",
    secure: https || !isLocalHost(url),
    ...(https ? { prefix: "host" as const } : {}),
  };
}

/** When a session used now expires: after the idle time, but never past its lifetime. */
const expiryAt = (createdAt: number, now: number) => Math.min(now + SESSION_IDLE_S, createdAt + SESSION_LIFETIME_S);

/** Opens a session for `user` and sets its cookie; the cookie holds the only copy of the id. */
export async function startSession(c: Context<AppEnv>, user: { id: number; workspaceId: number }): Promise<void> {
  const id = randomToken(32);
  const now = nowSeconds();
  const expiresAt = expiryAt(now, now);
  await c
    .get("db")
    .insert(sessions)
    .values({
      idHash: await sha256Hex(id),
      userId: user.id,
      workspaceId: user.workspaceId,
      createdAt: now,
      expiresAt,
    });
  setCookie(c, SESSION_COOKIE, id, { ...cookieOptions(c), maxAge: expiresAt - now });
}

/** The id in this request's session cookie (of the name its scheme uses), if any. */
function sessionId(c: Context<AppEnv>): string | undefined {
  return getCookie(c, SESSION_COOKIE, cookieOptions(c).prefix) || undefined;
}

/** The stored hash of the session this request carries, if it carries one. */
export async function currentSessionHash(c: Context<AppEnv>): Promise<string | null> {
  const id = sessionId(c);
  return id ? sha256Hex(id) : null;
}

export async function endSession(c: Context<AppEnv>): Promise<void> {
  const id = sessionId(c);
  if (id)
    await c
      .get("db")
      .delete(sessions)
      .where(eq(sessions.idHash, await sha256Hex(id)));
  deleteCookie(c, SESSION_COOKIE, cookieOptions(c));
}

const principalColumns = {
  userId: users.id,
  workspaceId: users.workspaceId,
  role: users.role,
  email: users.email,
  name: users.name,
};

async function principalFromSession(c: Context<AppEnv>, db: Db, id: string): Promise<Principal | null> {
  const idHash = await sha256Hex(id);
  const now = nowSeconds();
  const row = await db
    .select({ ...principalColumns, expiresAt: sessions.expiresAt, createdAt: sessions.createdAt })
    .from(sessions)
    .innerJoin(users, and(eq(users.id, sessions.userId), eq(users.workspaceId, sessions.workspaceId)))
    .where(and(eq(sessions.idHash, idHash), gt(sessions.expiresAt, now), gt(sessions.createdAt, now - SESSION_LIFETIME_S)))
    .get();
  if (!row) return null;
  const expiresAt = expiryAt(row.createdAt, now);
  // Extended at most once a day, and once more to reach the end of its lifetime; a session
  // stored with a later expiry than these rules give is brought back to it.
  const end = row.createdAt + SESSION_LIFETIME_S;
  if (expiresAt !== row.expiresAt && (expiresAt - row.expiresAt >= SESSION_RENEW_AFTER_S || expiresAt === end || expiresAt < row.expiresAt)) {
    c.executionCtx.waitUntil(db.update(sessions).set({ expiresAt }).where(eq(sessions.idHash, idHash)).run());
    setCookie(c, SESSION_COOKIE, id, { ...cookieOptions(c), maxAge: expiresAt - now });
  }
  const { expiresAt: _expiresAt, createdAt: _createdAt, ...principal } = row;
  return { ...principal, via: "session", tokenId: null };
}

async function principalFromToken(c: Context<AppEnv>, db: Db, token: string): Promise<Principal | null> {
  if (!token.startsWith(API_TOKEN_PREFIX)) return null;
  const tokenHash = await sha256Hex(token);
  const row = await db
    .select({ ...principalColumns, tokenId: apiTokens.id, lastUsedAt: apiTokens.lastUsedAt })
    .from(apiTokens)
    .innerJoin(users, and(eq(users.id, apiTokens.userId), eq(users.workspaceId, apiTokens.workspaceId)))
    .where(eq(apiTokens.tokenHash, tokenHash))
    .get();
  if (!row) return null;
  const now = nowSeconds();
  if (row.lastUsedAt === null || now - row.lastUsedAt >= 60) {
    c.executionCtx.waitUntil(db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, row.tokenId)).run());
  }
  const { tokenId, lastUsedAt: _lastUsedAt, ...principal } = row;
  return { ...principal, via: "token", tokenId };
}

export function bearerToken(c: Context<AppEnv>): string | null {
  const header = c.req.header("authorization");
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? "";
}

/** Resolves the caller from `Authorization: Bearer` first, then the session cookie. */
export async function resolvePrincipal(c: Context<AppEnv>): Promise<Principal | null> {
  const db = c.get("db");
  const token = bearerToken(c);
  if (token !== null) return token ? principalFromToken(c, db, token) : null;
  const id = sessionId(c);
  return id ? principalFromSession(c, db, id) : null;
}

/**
 * The deletes that go with a new password for `user`, for one batch with the password update:
 * every session but `keepSessionHash` (the caller's own session when they change their own
 * password) and every API token, since whoever knew the old password could have made one.
 */
export function passwordChangeRevocations(db: Db, user: { id: number; workspaceId: number }, keepSessionHash: string | null) {
  const ofUser = and(eq(sessions.userId, user.id), eq(sessions.workspaceId, user.workspaceId));
  return [
    db.delete(sessions).where(keepSessionHash ? and(ofUser, ne(sessions.idHash, keepSessionHash)) : ofUser),
    db.delete(apiTokens).where(and(eq(apiTokens.userId, user.id), eq(apiTokens.workspaceId, user.workspaceId))),
  ] as const;
}

/** Removes sessions past their idle expiry or their lifetime; run by the cron trigger. */
export async function purgeExpiredSessions(db: Db): Promise<void> {
  const now = nowSeconds();
  await db.delete(sessions).where(sql`${sessions.expiresAt} <= ${now} OR ${sessions.createdAt} <= ${now - SESSION_LIFETIME_S}`);
}

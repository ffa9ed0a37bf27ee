import { and, eq, gt, sql } from "drizzle-orm";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { Db } from "../db/client";
import { nowSeconds } from "../db/client";
import { apiTokens, sessions, users } from "../db/schema";
import type { AppEnv, Principal } from "./context";
import { randomToken, sha256Hex } from "./crypto";

export const SESSION_COOKIE = "herald_session";
export const SESSION_TTL_S = 30 * 24 * 3600;
/** A session used after this much of its life has passed is extended, at most once a day. */
const SESSION_RENEW_AFTER_S = 24 * 3600;
export const API_TOKEN_PREFIX = "hrld_";

function isLocalHost(url: string): boolean {
  const host = new URL(url).hostname;
  return host === "localhost" || host === "127.0.0.1" || host === "[::1]" || host.endsWith(".localhost");
}

function cookieOptions(c: Context<AppEnv>) {
  return {
    httpOnly: true,
    sameSite: "Lax" as const,
    path: "/",
    secure: !isLocalHost(c.req.url),
    maxAge: SESSION_TTL_S,
  };
}

/** Opens a session for `user` and sets its cookie; the cookie holds the only copy of the id. */
export async function startSession(c: Context<AppEnv>, user: { id: number; workspaceId: number }): Promise<void> {
  const id = randomToken(32);
  await c.get("db").insert(sessions).values({
    idHash: await sha256Hex(id),
    userId: user.id,
    workspaceId: user.workspaceId,
    expiresAt: nowSeconds() + SESSION_TTL_S,
  });
  setCookie(c, SESSION_COOKIE, id, cookieOptions(c));
}

export async function endSession(c: Context<AppEnv>): Promise<void> {
  const id = getCookie(c, SESSION_COOKIE);
  if (id) await c.get("db").delete(sessions).where(eq(sessions.idHash, await sha256Hex(id)));
  deleteCookie(c, SESSION_COOKIE, { path: "/", secure: cookieOptions(c).secure });
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
    .select({ ...principalColumns, expiresAt: sessions.expiresAt })
    .from(sessions)
    .innerJoin(users, and(eq(users.id, sessions.userId), eq(users.workspaceId, sessions.workspaceId)))
    .where(and(eq(sessions.idHash, idHash), gt(sessions.expiresAt, now)))
    .get();
  if (!row) return null;
  if (row.expiresAt - now < SESSION_TTL_S - SESSION_RENEW_AFTER_S) {
    c.executionCtx.waitUntil(
      db.update(sessions).set({ expiresAt: now + SESSION_TTL_S }).where(eq(sessions.idHash, idHash)).run(),
    );
    setCookie(c, SESSION_COOKIE, id, cookieOptions(c));
  }
  const { expiresAt: _expiresAt, ...principal } = row;
  return { ...principal, via: "session" };
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
    c.executionCtx.waitUntil(
      db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, row.tokenId)).run(),
    );
  }
  const { tokenId: _tokenId, lastUsedAt: _lastUsedAt, ...principal } = row;
  return { ...principal, via: "token" };
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
  const id = getCookie(c, SESSION_COOKIE);
  return id ? principalFromSession(c, db, id) : null;
}

/** Removes sessions past their expiry; run by the cron trigger. */
export async function purgeExpiredSessions(db: Db): Promise<void> {
  await db.delete(sessions).where(sql`${sessions.expiresAt} <= ${nowSeconds()}`);
}

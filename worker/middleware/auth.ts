import type { Context, MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import { createDb } from "../db/client";
import type { AppEnv } from "../lib/context";
import { ApiError } from "../lib/errors";
import { bearerToken, resolvePrincipal } from "../lib/sessions";

/** Routes under /api that answer without credentials. */
const PUBLIC_ROUTES = new Set([
  "GET /api/health",
  "GET /api/openapi.json",
  "GET /api/auth/setup",
  "POST /api/auth/setup",
  "POST /api/auth/login",
  "POST /api/auth/logout",
]);

export const withDb = createMiddleware<AppEnv>(async (c, next) => {
  c.set("db", createDb(c.env.DB));
  await next();
});

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Refuses cross-site writes that ride on the session cookie. Browsers send Sec-Fetch-Site
 * and Origin on every cross-site POST; a request carrying neither comes from a script, which
 * a forged page cannot make with the victim's cookie. Bearer-token requests carry no ambient
 * credential and are not checked.
 */
export const csrfGuard = createMiddleware<AppEnv>(async (c, next) => {
  if (SAFE_METHODS.has(c.req.method) || bearerToken(c) !== null) return next();
  const site = c.req.header("sec-fetch-site");
  const origin = c.req.header("origin");
  if (origin !== undefined) {
    if (!originAllowed(c, origin)) throw new ApiError("csrf_rejected", `cross-origin request from ${origin} refused`);
  } else if (site !== undefined && site !== "same-origin" && site !== "none") {
    throw new ApiError("csrf_rejected", `cross-site request (Sec-Fetch-Site: ${site}) refused`);
  }
  await next();
});

/** Whether `origin` is the app's own origin or one of TRUSTED_ORIGINS (comma-separated). */
export function originAllowed(c: { req: { url: string }; env: Env }, origin: string): boolean {
  if (origin === new URL(c.req.url).origin) return true;
  return (c.env.TRUSTED_ORIGINS ?? "")
    .split(",")
    .map((o) => o.trim())
    .filter(Boolean)
    .includes(origin);
}

/**
 * A WebSocket handshake is a GET, which the CSRF guard lets through; a browser always sends its
 * page's Origin with one, so a page of another origin cannot open a socket on the user's cookie.
 * Requests with an API token, or without an Origin (not a browser), are not concerned.
 */
export function assertSocketOrigin(c: Context<AppEnv>): void {
  const origin = c.req.header("origin");
  if (origin === undefined || bearerToken(c) !== null) return;
  if (!originAllowed(c, origin)) throw new ApiError("csrf_rejected", `a WebSocket from ${origin} is refused`);
}

/** Every /api route needs a signed-in user or an API token, except PUBLIC_ROUTES. */
export const requireUser = createMiddleware<AppEnv>(async (c, next) => {
  const method = c.req.method === "HEAD" ? "GET" : c.req.method;
  if (PUBLIC_ROUTES.has(`${method} ${c.req.path}`)) return next();
  const principal = await resolvePrincipal(c);
  if (!principal) throw new ApiError("unauthorized", "sign in or send a valid API token");
  c.set("principal", principal);
  await next();
});

export const requireAdmin: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.get("principal").role !== "admin") throw new ApiError("forbidden", "this needs the admin role");
  await next();
};

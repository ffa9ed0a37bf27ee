import type { MiddlewareHandler } from "hono";
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
  const own = new URL(c.req.url).origin;
  const trusted = (c.env.TRUSTED_ORIGINS ?? "")
    .split(",")
    .map((o) => o.trim())
    .filter(Boolean);
  if (origin !== undefined) {
    if (origin !== own && !trusted.includes(origin)) {
      throw new ApiError("csrf_rejected", `cross-origin request from ${origin} refused`);
    }
  } else if (site !== undefined && site !== "same-origin" && site !== "none") {
    throw new ApiError("csrf_rejected", `cross-site request (Sec-Fetch-Site: ${site}) refused`);
  }
  await next();
});

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

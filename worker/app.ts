import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { secureHeaders } from "hono/secure-headers";
import { z } from "zod";
import type { AppEnv } from "./lib/context";
import { ApiError, type ErrorBody } from "./lib/errors";
import { logEvent } from "./lib/log";
import { buildOpenApi } from "./lib/openapi";
import { describe } from "./lib/validate";
import { csrfGuard, requireUser, withDb } from "./middleware/auth";
import { bodyLimit } from "./middleware/body-limit";
import { audienceRoutes } from "./routes/audience";
import { auditRoutes, campaignHistoryRoutes } from "./routes/audit";
import { authRoutes } from "./routes/auth";
import { campaignCostRoutes } from "./routes/campaign-cost";
import { campaignRoutes } from "./routes/campaigns";
import { contactRoutes } from "./routes/contacts";
import { deadLetterRoutes } from "./routes/dead-letters";
import { demoRoutes } from "./routes/demo";
import { inboxMessagingRoutes } from "./routes/inbox-messaging";
import { inboxRoutes } from "./routes/inboxes";
import { labelRoutes } from "./routes/labels";
import { rateRoutes } from "./routes/rates";
import { tokenRoutes } from "./routes/tokens";
import { userRoutes } from "./routes/users";
import { workspaceRoutes } from "./routes/workspace";
import { sandboxControlRoutes, sandboxGraphRoutes } from "./sandbox/routes";
import { webhookRoutes } from "./webhooks/routes";

export const VERSION = "0.1.0";

const api = new Hono<AppEnv>()
  .use(bodyLimit, withDb, csrfGuard, requireUser)
  .get(
    "/health",
    describe({
      summary: "Liveness and database reachability",
      tags: ["health"],
      access: "public",
      responses: { 200: { description: "healthy", schema: z.object({ ok: z.boolean(), version: z.string() }) } },
    }),
    async (c) => {
      await c.env.DB.prepare("SELECT 1").first();
      return c.json({ ok: true, version: VERSION });
    },
  )
  .route("/auth", authRoutes)
  .route("/workspace", workspaceRoutes)
  .route("/users", userRoutes)
  .route("/tokens", tokenRoutes)
  .route("/labels", labelRoutes)
  .route("/contacts", contactRoutes)
  .route("/inboxes", inboxRoutes)
  .route("/inboxes", inboxMessagingRoutes)
  .route("/audience", audienceRoutes)
  .route("/demo", demoRoutes)
  .route("/campaigns", campaignRoutes)
  .route("/campaigns", campaignCostRoutes)
  .route("/rates", rateRoutes)
  .route("/campaigns", campaignHistoryRoutes)
  .route("/audit", auditRoutes)
  .route("/dead-letters", deadLetterRoutes)
  .route("/sandbox", sandboxControlRoutes);

let openApiDocument: unknown;
api.get("/openapi.json", (c) => {
  openApiDocument ??= buildOpenApi(app, { title: "Herald API", version: VERSION });
  return c.json(openApiDocument);
});

function errorResponse(status: number, body: ErrorBody, headers?: Record<string, string>) {
  return Response.json(body, { status, headers });
}

export const app = new Hono<AppEnv>()
  .use(secureHeaders({ crossOriginEmbedderPolicy: false }))
  .route("/sandbox/graph", sandboxGraphRoutes)
  .route("/api", api)
  .route("/webhooks", webhookRoutes)
  .all("/api/*", () => {
    throw new ApiError("not_found", "no such API route");
  })
  .get("*", (c) => c.env.ASSETS.fetch(c.req.raw));

app.onError((error, c) => {
  if (error instanceof ApiError) return errorResponse(error.status, error.toBody(), error.headers);
  if (error instanceof HTTPException) {
    const malformed = /malformed json/i.test(error.message);
    const code = malformed ? "invalid_json" : error.status === 413 ? "payload_too_large" : "bad_request";
    return errorResponse(error.status, {
      error: { code, message: malformed ? "the request body is not valid JSON" : error.message || "bad request" },
    });
  }
  logEvent("error", "api.request_failed", { method: c.req.method, path: c.req.path, error });
  return errorResponse(500, { error: { code: "internal", message: "something went wrong; the error was logged" } });
});

import { and, asc, eq } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { isoOrNull, nowSeconds, isUniqueViolation, isForeignKeyViolation, deleteOwned, type Db } from "../db/client";
import { inboxSecretUpdate, sealNewInboxSecrets } from "../db/inbox-secrets";
import { inboxes, type Inbox } from "../db/schema";
import { CLOUD_API_BASE_URL, cloudBaseUrlAllowed, SANDBOX_PATH, sandboxBaseUrl } from "../domain/api-base-url";
import { extraApiBaseUrls, sandboxEnabled } from "../lib/config";
import type { AppEnv } from "../lib/context";
import { assertEncryptionKey, randomToken } from "../lib/crypto";
import { ApiError, notFound } from "../lib/errors";
import { describe, idParam, validate } from "../lib/validate";
import { requireAdmin } from "../middleware/auth";
import { forgetWebhookAuth } from "../webhooks/routes";

export const MESSAGING_LIMIT_TIERS = ["250", "2000", "10000", "100000", "unlimited"] as const;

const graphId = z.string().trim().regex(/^\d{1,32}$/, "must be the numeric id Meta shows");
const baseUrl = z
  .url({ message: "must be a URL" })
  .refine((u) => {
    const url = new URL(u);
    return url.protocol === "https:" || (url.protocol === "http:" && ["localhost", "127.0.0.1"].includes(url.hostname));
  }, "must use https (http only for localhost)")
  .transform((u) => u.replace(/\/+$/, ""));

const inboxFields = {
  name: z.string().trim().min(1, "is required").max(100),
  phone_number_id: graphId,
  waba_id: graphId,
  display_phone: z.string().trim().max(40),
  access_token: z.string().trim().min(1).max(2000),
  app_secret: z.string().trim().min(1).max(200),
  verify_token: z.string().trim().min(8, "must be at least 8 characters").max(200),
  api_base_url: baseUrl.describe(
    "Graph API root without the version: Meta's https://graph.facebook.com (the default for a Cloud API inbox; others only if EXTRA_API_BASE_URLS lists them). Changing it needs access_token and app_secret in the same request.",
  ),
  api_version: z.string().regex(/^v\d+\.\d+$/, "must look like v23.0"),
  throughput_cap: z.number().int().min(1).max(1000),
  messaging_limit_tier: z.enum(MESSAGING_LIMIT_TIERS),
};

const createInput = z
  .object({
    ...inboxFields,
    provider: z.enum(["cloud", "sandbox"]),
    phone_number_id: inboxFields.phone_number_id.optional().describe("required for cloud; a sandbox inbox without one gets a new simulated number"),
    waba_id: inboxFields.waba_id.optional().describe("required for cloud; generated for a sandbox inbox without one"),
    display_phone: inboxFields.display_phone.optional(),
    access_token: inboxFields.access_token.optional(),
    app_secret: inboxFields.app_secret.optional(),
    verify_token: inboxFields.verify_token.optional(),
    api_base_url: inboxFields.api_base_url.optional(),
    api_version: inboxFields.api_version.default("v23.0"),
    throughput_cap: inboxFields.throughput_cap.default(80),
    messaging_limit_tier: inboxFields.messaging_limit_tier.default("250"),
  })
  .superRefine((v, ctx) => {
    if (v.provider !== "cloud") return;
    if (!v.phone_number_id) ctx.addIssue({ code: "custom", path: ["phone_number_id"], message: "is required for a Cloud API inbox" });
    if (!v.waba_id) ctx.addIssue({ code: "custom", path: ["waba_id"], message: "is required for a Cloud API inbox" });
    if (!v.access_token) ctx.addIssue({ code: "custom", path: ["access_token"], message: "is required for a Cloud API inbox" });
    if (!v.app_secret) ctx.addIssue({ code: "custom", path: ["app_secret"], message: "is required for a Cloud API inbox" });
  });

const patchInput = z
  .object(inboxFields)
  .partial()
  .refine((v) => Object.keys(v).length > 0, "give at least one field to change");

const inboxView = z.object({
  id: z.number(),
  name: z.string(),
  provider: z.enum(["cloud", "sandbox"]),
  phone_number_id: z.string(),
  waba_id: z.string(),
  display_phone: z.string(),
  api_base_url: z.string(),
  api_version: z.string(),
  throughput_cap: z.number(),
  messaging_limit_tier: z.enum(MESSAGING_LIMIT_TIERS),
  has_access_token: z.boolean(),
  has_app_secret: z.boolean(),
  webhook_url: z.string(),
  verify_token: z.string().optional().describe("shown to admins only"),
  created_at: z.string().nullable(),
  updated_at: z.string().nullable(),
});

function toInboxView(inbox: Inbox, origin: string, isAdmin: boolean): z.infer<typeof inboxView> {
  return {
    id: inbox.id,
    name: inbox.name,
    provider: inbox.provider,
    phone_number_id: inbox.phoneNumberId,
    waba_id: inbox.wabaId,
    display_phone: inbox.displayPhone,
    api_base_url: inbox.apiBaseUrl,
    api_version: inbox.apiVersion,
    throughput_cap: inbox.throughputCap,
    messaging_limit_tier: inbox.messagingLimitTier as (typeof MESSAGING_LIMIT_TIERS)[number],
    has_access_token: inbox.accessTokenEnc !== null,
    has_app_secret: inbox.appSecretEnc !== null,
    webhook_url: `${origin}/webhooks/whatsapp/${inbox.id}`,
    ...(isAdmin ? { verify_token: inbox.verifyToken } : {}),
    created_at: isoOrNull(inbox.createdAt),
    updated_at: isoOrNull(inbox.updatedAt),
  };
}

/** A 400 naming `field`, shaped like the ones `validate()` answers. */
function invalidField(field: string, message: string): ApiError {
  return new ApiError("validation_failed", `invalid body: ${field}: ${message}`, [{ path: field, message }]);
}

/**
 * Refuses an `api_base_url` the inbox may not use. A Cloud API inbox sends its access token to
 * that host, so only Meta's Graph API (and EXTRA_API_BASE_URLS) will do; a sandbox inbox's API is
 * the app's own simulator, reached in-process.
 */
function checkApiBaseUrl(env: Env, provider: Inbox["provider"], url: string) {
  if (provider === "sandbox") {
    if (!sandboxBaseUrl(url)) throw invalidField("api_base_url", `a sandbox inbox's API is this app's simulator at ${SANDBOX_PATH}`);
    return;
  }
  const extra = extraApiBaseUrls(env);
  if (!cloudBaseUrlAllowed(url, extra)) {
    throw invalidField("api_base_url", `must be Meta's Graph API, ${CLOUD_API_BASE_URL}${extra.length ? ` (or under ${extra.join(", ")})` : ""}`);
  }
}

const duplicateNumber = (id: string) => new ApiError("conflict", `an inbox for phone number id ${id} already exists`);

export { createInput as inboxInput };

export const inboxRoutes = new Hono<AppEnv>()
  .get(
    "/",
    describe({ summary: "List inboxes (credentials are never returned)", tags: ["inboxes"], access: "user", responses: { 200: { description: "inboxes", schema: z.object({ data: z.array(inboxView) }) } } }),
    async (c) => {
      const p = c.get("principal");
      const rows = await c.get("db").select().from(inboxes).where(eq(inboxes.workspaceId, p.workspaceId)).orderBy(asc(inboxes.id));
      const origin = new URL(c.req.url).origin;
      return c.json({ data: rows.map((r) => toInboxView(r, origin, p.role === "admin")) });
    },
  )
  .get(
    "/:id",
    describe({ summary: "One inbox", tags: ["inboxes"], access: "user", responses: { 200: { description: "inbox", schema: inboxView } } }),
    validate("param", idParam),
    async (c) => {
      const { id } = c.req.valid("param");
      const p = c.get("principal");
      const row = await c.get("db").select().from(inboxes).where(and(eq(inboxes.id, id), eq(inboxes.workspaceId, p.workspaceId))).get();
      if (!row) throw notFound("inbox", id);
      return c.json(toInboxView(row, new URL(c.req.url).origin, p.role === "admin"));
    },
  )
  .post(
    "/",
    requireAdmin,
    describe({ summary: "Connect an inbox (a WhatsApp number): Cloud API or the built-in sandbox", tags: ["inboxes"], access: "admin", responses: { 201: { description: "created", schema: inboxView } } }),
    validate("json", createInput),
    async (c) => {
      const origin = new URL(c.req.url).origin;
      const row = await insertInbox(c.env, c.get("db"), c.get("principal").workspaceId, origin, c.req.valid("json"));
      return c.json(toInboxView(row, origin, true), 201);
    },
  )
  .patch(
    "/:id",
    requireAdmin,
    describe({ summary: "Change an inbox; a secret sent here replaces the stored one, and a new api_base_url needs both secrets again", tags: ["inboxes"], access: "admin", responses: { 200: { description: "updated", schema: inboxView } } }),
    validate("param", idParam),
    validate("json", patchInput),
    async (c) => {
      const { id } = c.req.valid("param");
      const input = c.req.valid("json");
      const { workspaceId } = c.get("principal");
      const db = c.get("db");
      const scope = and(eq(inboxes.id, id), eq(inboxes.workspaceId, workspaceId));
      const current = await db.select().from(inboxes).where(scope).get();
      if (!current) throw notFound("inbox", id);
      if (input.api_base_url !== undefined) {
        checkApiBaseUrl(c.env, current.provider, input.api_base_url);
        // The stored credentials were given for the old host: a new host gets new ones, or none
        // would be sent to it. Required here so the inbox is never left without them unnoticed.
        if (current.provider === "cloud" && input.api_base_url !== current.apiBaseUrl.replace(/\/+$/, "")) {
          const missing = (["access_token", "app_secret"] as const).filter((field) => input[field] === undefined);
          if (missing.length) {
            const message = "is required when api_base_url changes: the stored one stays with the old host";
            throw new ApiError(
              "validation_failed",
              `invalid body: ${missing[0]}: ${message}${missing.length > 1 ? ` (and ${missing.length - 1} more)` : ""}`,
              missing.map((path) => ({ path, message })),
            );
          }
        }
      }
      try {
        const row = await db
          .update(inboxes)
          .set({
            ...(input.name === undefined ? {} : { name: input.name }),
            ...(input.phone_number_id === undefined ? {} : { phoneNumberId: input.phone_number_id }),
            ...(input.waba_id === undefined ? {} : { wabaId: input.waba_id }),
            ...(input.display_phone === undefined ? {} : { displayPhone: input.display_phone }),
            ...(await inboxSecretUpdate(c.env, current, {
              ...(input.access_token === undefined ? {} : { access_token: input.access_token }),
              ...(input.app_secret === undefined ? {} : { app_secret: input.app_secret }),
            })),
            ...(input.verify_token === undefined ? {} : { verifyToken: input.verify_token }),
            ...(input.api_base_url === undefined ? {} : { apiBaseUrl: input.api_base_url }),
            ...(input.api_version === undefined ? {} : { apiVersion: input.api_version }),
            ...(input.throughput_cap === undefined ? {} : { throughputCap: input.throughput_cap }),
            ...(input.messaging_limit_tier === undefined ? {} : { messagingLimitTier: input.messaging_limit_tier }),
            updatedAt: nowSeconds(),
          })
          .where(scope)
          .returning()
          .get();
        forgetWebhookAuth(id);
        return c.json(toInboxView(row!, new URL(c.req.url).origin, true));
      } catch (e) {
        if (isUniqueViolation(e)) throw duplicateNumber(input.phone_number_id ?? "");
        throw e;
      }
    },
  )
  .delete(
    "/:id",
    requireAdmin,
    describe({ summary: "Remove an inbox", tags: ["inboxes"], access: "admin", responses: { 204: { description: "deleted" } } }),
    validate("param", idParam),
    async (c) => {
      const { id } = c.req.valid("param");
      try {
        await deleteOwned(c.get("db"), inboxes, id, c.get("principal").workspaceId, "inbox");
      } catch (error) {
        if (isForeignKeyViolation(error)) throw new ApiError("conflict", "campaigns use this inbox; delete them first");
        throw error;
      }
      forgetWebhookAuth(id);
      return c.body(null, 204);
    },
  );

export type InboxInput = z.output<typeof createInput>;

/** `prefix` followed by random decimal digits, `length` digits in all: a simulated Graph id. */
function simulatedId(prefix: string, length: number): string {
  const digits = Array.from(crypto.getRandomValues(new Uint8Array(length - prefix.length)), (b) => String(b % 10)).join("");
  return `${prefix}${digits}`;
}

/**
 * A new simulated number for a sandbox inbox: phone number id and WhatsApp Business Account id
 * shaped like Meta's (15 digits), and a display number in the +1 555 range kept for fiction.
 */
export function simulatedNumber(): { phone_number_id: string; waba_id: string; display_phone: string } {
  const phone = simulatedId("1556", 15);
  return { phone_number_id: phone, waba_id: simulatedId("2556", 15), display_phone: `+1 555-${phone.slice(-7, -4)}-${phone.slice(-4)}` };
}

/**
 * Creates an inbox with its secrets sealed. A sandbox inbox gets generated credentials, so the
 * simulator exercises the same signed paths as Meta, and a new simulated number when the input
 * names none.
 */
export async function insertInbox(env: Env, db: Db, workspaceId: number, origin: string, input: InboxInput): Promise<Inbox> {
  if (input.provider === "sandbox" && !sandboxEnabled(env)) {
    throw new ApiError("validation_failed", "provider: the sandbox is turned off on this deployment (SANDBOX_ENABLED)", [
      { path: "provider", message: "the sandbox is turned off on this deployment" },
    ]);
  }
  if (input.api_base_url !== undefined) checkApiBaseUrl(env, input.provider, input.api_base_url);
  const generated = input.provider === "sandbox" ? simulatedNumber() : null;
  const phoneNumberId = input.phone_number_id ?? generated?.phone_number_id;
  const wabaId = input.waba_id ?? generated?.waba_id;
  // The schema requires both for a Cloud API inbox.
  if (!phoneNumberId || !wabaId) throw new ApiError("validation_failed", "phone_number_id and waba_id are required", [{ path: phoneNumberId ? "waba_id" : "phone_number_id", message: "is required" }]);
  const displayPhone = input.display_phone ?? (input.phone_number_id ? "" : (generated?.display_phone ?? ""));
  const accessToken = input.access_token ?? (input.provider === "sandbox" ? randomToken(24) : undefined);
  const appSecret = input.app_secret ?? (input.provider === "sandbox" ? randomToken(24) : undefined);
  // The inbox id is part of each secret's encryption context, so the secrets are sealed once the
  // row exists; a key problem is found before it is written.
  try {
    await assertEncryptionKey(env.HERALD_ENCRYPTION_KEY);
  } catch (error) {
    throw new ApiError("not_configured", `cannot store secrets: ${(error as Error).message}`);
  }
  let row: Inbox;
  try {
    row = (await db
      .insert(inboxes)
      .values({
        workspaceId,
        name: input.name,
        provider: input.provider,
        phoneNumberId,
        wabaId,
        displayPhone,
        verifyToken: input.verify_token ?? randomToken(18),
        apiBaseUrl: input.api_base_url ?? (input.provider === "sandbox" ? `${origin}${SANDBOX_PATH}` : CLOUD_API_BASE_URL),
        apiVersion: input.api_version,
        throughputCap: input.throughput_cap,
        messagingLimitTier: input.messaging_limit_tier,
      })
      .returning()
      .get())!;
  } catch (e) {
    if (isUniqueViolation(e)) throw duplicateNumber(phoneNumberId);
    throw e;
  }
  try {
    const sealed = await sealNewInboxSecrets(env, row, { ...(accessToken ? { access_token: accessToken } : {}), ...(appSecret ? { app_secret: appSecret } : {}) });
    const created = (await db.update(inboxes).set(sealed).where(eq(inboxes.id, row.id)).returning().get())!;
    // The webhook route of this isolate may have been asked for this id before it existed.
    forgetWebhookAuth(created.id);
    return created;
  } catch (e) {
    // No inbox is left behind without the secrets it was created with.
    await db.delete(inboxes).where(eq(inboxes.id, row.id));
    throw e;
  }
}

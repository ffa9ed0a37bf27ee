import { and, asc, eq } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { auditStatement, recordAudit } from "../audit/record";
import { duplicateAs, findOwned, isForeignKeyViolation, isoOrNull, nowSeconds } from "../db/client";
import { type Inbox, inboxes } from "../db/schema";
import { changedFields, INBOX_SECRET_FIELDS } from "../domain/audit";
import type { MessagingLimitTier } from "../domain/messaging-limit";
import { checkApiBaseUrl, duplicateNumber, inboxFields, inboxInput, insertInbox } from "../inboxes/connect";
import { inboxSecretUpdate } from "../inboxes/secrets";
import type { AppEnv } from "../lib/context";
import { ApiError, notFound } from "../lib/errors";
import { describe, idParam, validate } from "../lib/validate";
import { requireAdmin } from "../middleware/auth";
import { inboxView } from "../views/inbox";
import { forgetWebhookAuth } from "../webhooks/inbox-directory";

const patchInput = z
  .object(inboxFields)
  .partial()
  .refine((v) => Object.keys(v).length > 0, "give at least one field to change");

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
    messaging_limit_tier: inbox.messagingLimitTier as MessagingLimitTier,
    has_access_token: inbox.accessTokenEnc !== null,
    has_app_secret: inbox.appSecretEnc !== null,
    webhook_url: `${origin}/webhooks/whatsapp/${inbox.id}`,
    ...(isAdmin ? { verify_token: inbox.verifyToken } : {}),
    created_at: isoOrNull(inbox.createdAt),
    updated_at: isoOrNull(inbox.updatedAt),
  };
}

export const inboxRoutes = new Hono<AppEnv>()
  .get(
    "/",
    describe({
      summary: "List inboxes (credentials are never returned)",
      tags: ["inboxes"],
      access: "user",
      responses: { 200: { description: "inboxes", schema: z.object({ data: z.array(inboxView) }) } },
    }),
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
      const row = await findOwned(c.get("db"), inboxes, id, p.workspaceId, "inbox");
      return c.json(toInboxView(row, new URL(c.req.url).origin, p.role === "admin"));
    },
  )
  .post(
    "/",
    requireAdmin,
    describe({
      summary: "Connect an inbox (a WhatsApp number): Cloud API or the built-in sandbox",
      tags: ["inboxes"],
      access: "admin",
      responses: { 201: { description: "created", schema: inboxView } },
    }),
    validate("json", inboxInput),
    async (c) => {
      const origin = new URL(c.req.url).origin;
      const input = c.req.valid("json");
      const row = await insertInbox(c.env, c.get("db"), c.get("principal").workspaceId, origin, input);
      await recordAudit(c.get("db"), c, { action: "inbox.create", subjectId: row.id, detail: { name: row.name, provider: row.provider } });
      return c.json(toInboxView(row, origin, true), 201);
    },
  )
  .patch(
    "/:id",
    requireAdmin,
    describe({
      summary: "Change an inbox; a secret sent here replaces the stored one, and a new api_base_url needs both secrets again",
      tags: ["inboxes"],
      access: "admin",
      responses: { 200: { description: "updated", schema: inboxView } },
    }),
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
      const movesHost = input.api_base_url !== undefined && input.api_base_url !== current.apiBaseUrl.replace(/\/+$/, "");
      if (input.api_base_url !== undefined) {
        checkApiBaseUrl(c.env, current.provider, input.api_base_url);
        // The stored credentials were given for the old host: a new host gets new ones, or none
        // would be sent to it. Required here so the inbox is never left without them unnoticed.
        if (current.provider === "cloud" && movesHost) {
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
      const fields = changedFields(input);
      const secrets = fields.filter((f) => (INBOX_SECRET_FIELDS as readonly string[]).includes(f));
      try {
        const update = db
          .update(inboxes)
          .set({
            ...(input.name === undefined ? {} : { name: input.name }),
            ...(input.phone_number_id === undefined ? {} : { phoneNumberId: input.phone_number_id }),
            ...(input.waba_id === undefined ? {} : { wabaId: input.waba_id }),
            ...(input.display_phone === undefined ? {} : { displayPhone: input.display_phone }),
            ...(await inboxSecretUpdate(
              c.env,
              current,
              {
                ...(input.access_token === undefined ? {} : { access_token: input.access_token }),
                ...(input.app_secret === undefined ? {} : { app_secret: input.app_secret }),
              },
              // The old host's credentials are not kept: nothing may send them to the new one.
              { keepPrevious: !movesHost },
            )),
            ...(input.verify_token === undefined ? {} : { verifyToken: input.verify_token }),
            ...(input.api_base_url === undefined ? {} : { apiBaseUrl: input.api_base_url }),
            ...(input.api_version === undefined ? {} : { apiVersion: input.api_version }),
            ...(input.throughput_cap === undefined ? {} : { throughputCap: input.throughput_cap }),
            ...(input.messaging_limit_tier === undefined ? {} : { messagingLimitTier: input.messaging_limit_tier }),
            updatedAt: nowSeconds(),
          })
          .where(scope)
          .returning();
        const [[row]] = await db.batch([
          update,
          auditStatement(db, c, { action: secrets.length ? "inbox.secret_change" : "inbox.update", subjectId: id, detail: { fields } }),
        ]);
        forgetWebhookAuth(id);
        return c.json(toInboxView(row!, new URL(c.req.url).origin, true));
      } catch (e) {
        throw await duplicateAs(e, () => duplicateNumber(input.phone_number_id ?? ""));
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
      const db = c.get("db");
      const inbox = await findOwned(db, inboxes, id, c.get("principal").workspaceId, "inbox");
      try {
        const [deleted] = await db.batch([
          db
            .delete(inboxes)
            .where(and(eq(inboxes.id, id), eq(inboxes.workspaceId, inbox.workspaceId)))
            .returning({ id: inboxes.id }),
          auditStatement(db, c, { action: "inbox.delete", subjectId: id, detail: { name: inbox.name } }, { ifChanged: true }),
        ]);
        if (deleted.length === 0) throw notFound("inbox", id);
      } catch (error) {
        if (isForeignKeyViolation(error)) throw new ApiError("conflict", "campaigns use this inbox; delete them first");
        throw error;
      }
      forgetWebhookAuth(id);
      return c.body(null, 204);
    },
  );

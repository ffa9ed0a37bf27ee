import { and, asc, desc, eq } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { recordAudit } from "../audit/record";
import { type Db, findOwned, isoOrNull, nowSeconds } from "../db/client";
import { contacts, type Inbox, inboxes, type Message, messageEvents, messages, type Template, templates } from "../db/schema";
import { workspaceCountry } from "../db/workspaces";
import { optOutRefusal } from "../domain/opt-out";
import { normalizePhone } from "../domain/phone";
import { type TemplateValues, type TemplateVariable, toTemplateMessage } from "../domain/templates";
import type { AppEnv } from "../lib/context";
import { ApiError, notFound } from "../lib/errors";
import { describe, idParam, validate } from "../lib/validate";
import { sendOneMessage } from "../messages/send";
import { requireAdmin } from "../middleware/auth";
import { providerFor } from "../provider";
import { syncTemplates, templateSnapshot } from "../templates/sync";
import { assertTemplateValues } from "../templates/values";
import { connectionCheckView } from "../views/inbox";
import { eventView, messageView, templateSyncView, templateView } from "../views/messaging";
import { toProviderErrorView } from "../views/provider-error";
import { forgetWebhookAuth } from "../webhooks/inbox-directory";

const findInbox = (db: Db, workspaceId: number, id: number): Promise<Inbox> => findOwned(db, inboxes, id, workspaceId, "inbox");

export function toTemplateView(t: Template): z.infer<typeof templateView> {
  const variables = JSON.parse(t.variables) as TemplateVariable[];
  return {
    id: t.id,
    meta_id: t.metaId,
    name: t.name,
    language: t.language,
    status: t.status,
    category: t.category,
    parameter_format: t.parameterFormat,
    components: JSON.parse(t.components) as unknown[],
    variables: variables.map(({ buttonIndex, ...v }) => ({ ...v, ...(buttonIndex === undefined ? {} : { button_index: buttonIndex }) })),
    synced_at: isoOrNull(t.syncedAt),
  };
}

const toMessageView = (m: Message): z.infer<typeof messageView> => ({
  id: m.id,
  inbox_id: m.inboxId,
  contact_id: m.contactId,
  to: m.toPhone,
  kind: m.kind,
  template_name: m.templateName,
  content: JSON.parse(m.content) as unknown,
  wamid: m.wamid,
  status: m.status,
  error_code: m.errorCode,
  error_title: m.errorTitle,
  created_at: isoOrNull(m.createdAt),
  updated_at: isoOrNull(m.updatedAt),
});

const textValues = z.record(z.string().regex(/^[A-Za-z0-9_]{1,64}$/, "variable names are like 1 or first_name"), z.string().max(1024));
const sendInput = z
  .object({
    to: z.string().trim().min(1, "is required").max(40),
    text: z.object({ body: z.string().min(1, "is required").max(4096, "must be at most 4096 characters"), preview_url: z.boolean().default(false) }).optional(),
    template: z
      .object({
        name: z.string().trim().min(1, "is required").max(512),
        language: z.string().trim().min(2, "is required").max(15),
        header: textValues.optional(),
        media: z
          .object({ link: z.url({ message: "must be a URL" }).optional(), id: z.string().max(100).optional(), filename: z.string().max(240).optional() })
          .optional(),
        body: textValues.optional(),
        buttons: z.record(z.string().regex(/^\d$/, "button indexes are 0 to 9"), z.string().max(1024)).optional(),
      })
      .optional(),
    reply_to: z.string().max(200).optional(),
  })
  .refine((v) => Boolean(v.text) !== Boolean(v.template), { message: "give exactly one of text or template", path: ["text"] });

const listTemplatesQuery = z.object({
  status: z.enum(["APPROVED", "PENDING", "REJECTED", "PAUSED", "DISABLED"]).optional(),
  q: z.string().trim().max(100).optional(),
});
const messageParams = idParam.extend({
  messageId: z
    .string()
    .regex(/^[1-9]\d{0,15}$/, "must be a positive whole number")
    .transform(Number),
});

export const inboxMessagingRoutes = new Hono<AppEnv>()
  .post(
    "/:id/test",
    requireAdmin,
    describe({
      summary: "Check the inbox's credentials against its provider; on success the number's display name and messaging-limit tier are stored",
      tags: ["inboxes"],
      access: "admin",
      responses: {
        200: {
          description: "the check's outcome",
          schema: connectionCheckView,
        },
      },
    }),
    validate("param", idParam),
    async (c) => {
      const db = c.get("db");
      const inbox = await findInbox(db, c.get("principal").workspaceId, c.req.valid("param").id);
      const result = await (await providerFor(c.env, inbox, c.executionCtx)).phoneNumberInfo();
      if (!result.ok) return c.json({ ok: false, error: toProviderErrorView(result.error) });
      const info = result.value;
      await db
        .update(inboxes)
        .set({
          ...(info.displayPhoneNumber ? { displayPhone: info.displayPhoneNumber } : {}),
          ...(info.messagingLimitTier ? { messagingLimitTier: info.messagingLimitTier } : {}),
          updatedAt: nowSeconds(),
        })
        .where(eq(inboxes.id, inbox.id));
      forgetWebhookAuth(inbox.id);
      return c.json({
        ok: true,
        display_phone_number: info.displayPhoneNumber,
        verified_name: info.verifiedName,
        quality_rating: info.qualityRating,
        messaging_limit_tier: info.messagingLimitTier,
        throughput_level: info.throughputLevel,
      });
    },
  )
  .post(
    "/:id/templates/sync",
    describe({
      summary: "Pull every page of the inbox's message templates from its WhatsApp Business Account into Herald",
      tags: ["templates"],
      access: "user",
      responses: { 200: { description: "what changed", schema: templateSyncView } },
    }),
    validate("param", idParam),
    async (c) => {
      const db = c.get("db");
      const inbox = await findInbox(db, c.get("principal").workspaceId, c.req.valid("param").id);
      const result = await syncTemplates(c.env, db, inbox, c.executionCtx);
      await recordAudit(db, c, { action: "inbox.templates_sync", subjectId: inbox.id, detail: { synced: result.synced, removed: result.removed } });
      return c.json(result);
    },
  )
  .get(
    "/:id/templates",
    describe({
      summary: "The inbox's synced templates with their variables (positional {{1}} or named {{first_name}}, in header, body and buttons)",
      tags: ["templates"],
      access: "user",
      responses: { 200: { description: "templates", schema: z.object({ data: z.array(templateView) }) } },
    }),
    validate("param", idParam),
    validate("query", listTemplatesQuery),
    async (c) => {
      const db = c.get("db");
      const inbox = await findInbox(db, c.get("principal").workspaceId, c.req.valid("param").id);
      const { status, q } = c.req.valid("query");
      const rows = await db
        .select()
        .from(templates)
        .where(and(eq(templates.inboxId, inbox.id), status ? eq(templates.status, status) : undefined))
        .orderBy(asc(templates.name), asc(templates.language));
      const filtered = q ? rows.filter((t) => t.name.toLowerCase().includes(q.toLowerCase())) : rows;
      return c.json({ data: filtered.map(toTemplateView) });
    },
  )
  .post(
    "/:id/messages",
    describe({
      summary: "Send one message (an approved template with its values, or text) to one phone through this inbox",
      tags: ["messages"],
      access: "user",
      responses: {
        201: { description: "accepted by WhatsApp", schema: messageView },
        409: { description: "`opted_out`: the phone belongs to a contact who opted out; nothing was sent", schema: z.object({ error: z.unknown() }) },
        502: { description: "refused by WhatsApp; the error says why and what Herald's policy is", schema: z.object({ error: z.unknown() }) },
      },
    }),
    validate("param", idParam),
    validate("json", sendInput),
    async (c) => {
      const input = c.req.valid("json");
      const principal = c.get("principal");
      const db = c.get("db");
      const inbox = await findInbox(db, principal.workspaceId, c.req.valid("param").id);
      const country = await workspaceCountry(db, principal.workspaceId);
      const phone = normalizePhone(input.to, country);
      if (!phone.ok) throw new ApiError("validation_failed", `to: ${phone.reason}`, [{ path: "to", message: phone.reason }]);
      const contact = await db
        .select({ id: contacts.id, lastInboundAt: contacts.lastInboundAt, optedOutAt: contacts.optedOutAt })
        .from(contacts)
        .where(and(eq(contacts.workspaceId, principal.workspaceId), eq(contacts.phone, phone.e164)))
        .get();
      if (contact && contact.optedOutAt !== null) {
        const refusal = optOutRefusal([{ path: "to", phone: phone.e164, optedOutAt: contact.optedOutAt }]);
        throw new ApiError("opted_out", refusal.message, refusal.details);
      }

      let template: Template | undefined;
      let values: TemplateValues = {};
      if (input.template) {
        const t = input.template;
        template = await db
          .select()
          .from(templates)
          .where(and(eq(templates.inboxId, inbox.id), eq(templates.name, t.name), eq(templates.language, t.language)))
          .get();
        if (!template)
          throw new ApiError("validation_failed", `template ${t.name} (${t.language}) is not synced for this inbox; sync the templates first`, [
            { path: "template.name", message: "unknown template" },
          ]);
        if (template.status !== "APPROVED")
          throw new ApiError("conflict", `template ${t.name} (${t.language}) is ${template.status}; only APPROVED templates can be sent`);
        values = { header: t.header, media: t.media, body: t.body, buttons: t.buttons };
        assertTemplateValues(JSON.parse(template.variables) as TemplateVariable[], values, "template");
      }
      const content = input.template ? { template: input.template } : { text: input.text };
      // Set up before the row is written, so a failure here leaves no row stuck in `sending`.
      const provider = await providerFor(c.env, inbox, c.executionCtx);
      const { message: updated, error } = await sendOneMessage(db, c.env, {
        workspaceId: principal.workspaceId,
        userId: principal.userId,
        inbox,
        provider,
        to: phone.e164,
        contact: contact ?? null,
        message: template
          ? { kind: "template", name: template.name, message: toTemplateMessage(templateSnapshot(template), values) }
          : { kind: "text", body: input.text!.body, ...(input.text!.preview_url === undefined ? {} : { previewUrl: input.text!.preview_url }) },
        stored: content,
        ...(input.reply_to ? { replyTo: input.reply_to } : {}),
      });
      if (error) {
        throw new ApiError("provider_unavailable", `WhatsApp refused the message: ${error.title}`, {
          message: toMessageView(updated),
          provider: toProviderErrorView(error),
        });
      }
      return c.json(toMessageView(updated), 201);
    },
  )
  .get(
    "/:id/messages",
    describe({
      summary: "Recent single messages of the inbox, newest first",
      tags: ["messages"],
      access: "user",
      responses: { 200: { description: "messages", schema: z.object({ data: z.array(messageView) }) } },
    }),
    validate("param", idParam),
    async (c) => {
      const db = c.get("db");
      const inbox = await findInbox(db, c.get("principal").workspaceId, c.req.valid("param").id);
      const rows = await db.select().from(messages).where(eq(messages.inboxId, inbox.id)).orderBy(desc(messages.id)).limit(100);
      return c.json({ data: rows.map(toMessageView) });
    },
  )
  .get(
    "/:id/messages/:messageId",
    describe({
      summary: "One message with every status WhatsApp reported for it",
      tags: ["messages"],
      access: "user",
      responses: { 200: { description: "message and events", schema: messageView.extend({ events: z.array(eventView) }) } },
    }),
    validate("param", messageParams),
    async (c) => {
      const { id, messageId } = c.req.valid("param");
      const db = c.get("db");
      const inbox = await findInbox(db, c.get("principal").workspaceId, id);
      const message = await db
        .select()
        .from(messages)
        .where(and(eq(messages.id, messageId), eq(messages.inboxId, inbox.id)))
        .get();
      if (!message) throw notFound("message", messageId);
      const events = message.wamid
        ? await db
            .select()
            .from(messageEvents)
            .where(and(eq(messageEvents.inboxId, inbox.id), eq(messageEvents.wamid, message.wamid)))
            .orderBy(asc(messageEvents.occurredAt), asc(messageEvents.id))
        : [];
      return c.json({
        ...toMessageView(message),
        events: events.map((e) => ({
          status: e.status,
          occurred_at: isoOrNull(e.occurredAt),
          received_at: isoOrNull(e.receivedAt),
          error_code: e.errorCode,
          error_title: e.errorTitle,
        })),
      });
    },
  );

import { and, eq, sql } from "drizzle-orm";
import { type Context, Hono, type MiddlewareHandler } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "zod";
import { campaigns, contacts, inboxes } from "../db/schema";
import { sandboxEnabled } from "../lib/config";
import type { AppEnv } from "../lib/context";
import { ApiError, notFound } from "../lib/errors";
import { logEvent } from "../lib/log";
import { sandboxOf } from "../lib/objects";
import { describe, idParam, validate } from "../lib/validate";
import { requireAdmin } from "../middleware/auth";
import { type GraphResponse, metaError } from "./graph-errors";
import { authenticate, graphToken } from "./inbox-auth";
import { campaignOf, phoneContentView } from "./phone";
import type { PhoneMessage, PhoneSummary } from "./sandbox-do";
import { scenarioPatchSchema, scenarioSchema } from "./scenario";

const GRAPH_VERSION = /^v\d+\.\d+$/;
const GRAPH_ID = /^\d{1,32}$/;
/** Meta refuses bodies far smaller than this; the sandbox only guards its own memory. */
const MAX_BODY_BYTES = 256 * 1024;

const graphJson = (c: Context, r: GraphResponse) => c.json(r.body, r.status as ContentfulStatusCode);
const unknownPath = (c: Context) =>
  graphJson(
    c,
    metaError({ code: 2500, message: `Unknown path components: ${c.req.path.replace(/^\/sandbox\/graph/, "")}`, details: "Unknown path components" }),
  );
const noSuchObject = (c: Context, id: string) =>
  graphJson(
    c,
    metaError({
      code: 100,
      subcode: 33,
      message: `Unsupported ${c.req.method.toLowerCase()} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
      details: `No sandbox inbox has the id ${id}.`,
    }),
  );

/**
 * Meta's Graph API as the sandbox plays it, mounted at `/sandbox/graph` (a sandbox inbox's
 * `api_base_url`). Authenticated like Meta, by the inbox's access token, never by a session.
 * @example POST /sandbox/graph/v23.0/106540352242922/messages  (Authorization: Bearer <inbox access token>)
 */
export const sandboxGraphRoutes = new Hono<AppEnv>()
  .use(async (c, next) => {
    if (!sandboxEnabled(c.env)) {
      return graphJson(
        c,
        metaError({
          code: 100,
          status: 404,
          message: "The WhatsApp sandbox is not enabled on this deployment.",
          details: 'Set SANDBOX_ENABLED to "true" to serve /sandbox/graph.',
        }),
      );
    }
    if (!GRAPH_VERSION.test(c.req.path.split("/")[3] ?? "")) return unknownPath(c);
    await next();
  })
  .post("/:version/:id/messages", async (c) => {
    const { id } = c.req.param();
    if (!GRAPH_ID.test(id)) return noSuchObject(c, id);
    const body = await c.req.text();
    if (body.length > MAX_BODY_BYTES) return graphJson(c, metaError({ code: 100, details: "The request body is too large." }));
    const result = await sandboxOf(c.env, id).sendMessage({ path: c.req.path, phoneNumberId: id, token: graphToken(c.req.raw), body });
    return graphJson(c, result);
  })
  .get("/:version/:id/message_templates", async (c) => {
    const { id } = c.req.param();
    if (!GRAPH_ID.test(id)) return noSuchObject(c, id);
    const auth = await authenticate(c.env, "waba_id", id, graphToken(c.req.raw));
    if (!auth.ok) return auth.reason === "bad_token" ? graphJson(c, metaError({ code: 190 })) : noSuchObject(c, id);
    const q = c.req.query();
    const filters: Record<string, string> = {};
    for (const key of ["name", "status", "category", "language"]) if (q[key]) filters[key] = q[key]!;
    const result = await sandboxOf(c.env, auth.inbox.phoneNumberId).listTemplates({
      path: c.req.path,
      url: c.req.url,
      inboxId: auth.inbox.id,
      ...(q.limit === undefined ? {} : { limit: q.limit }),
      ...(q.after === undefined ? {} : { after: q.after }),
      filters,
    });
    return graphJson(c, result);
  })
  .get("/:version/:id", async (c) => {
    const { id } = c.req.param();
    if (!GRAPH_ID.test(id)) return noSuchObject(c, id);
    const fields = c.req.query("fields");
    const result = await sandboxOf(c.env, id).phoneNumberInfo({
      path: c.req.path,
      phoneNumberId: id,
      token: graphToken(c.req.raw),
      ...(fields ? { fields } : {}),
    });
    return graphJson(c, result);
  })
  .all("*", unknownPath)
  .onError((error, c) => {
    logEvent("error", "sandbox.request_failed", { method: c.req.method, path: c.req.path, error });
    return graphJson(c, metaError({ code: 1, status: 500, details: "The sandbox failed to handle this request; the error was logged." }));
  });

// ---- Control API (/api/sandbox) ------------------------------------------------------------

const enabledOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!sandboxEnabled(c.env)) throw new ApiError("not_found", "the WhatsApp sandbox is not enabled on this deployment");
  await next();
};

/** The caller's sandbox inbox, or a 404 exactly as for a missing one. */
async function ownSandboxInbox(c: Context<AppEnv>, id: number) {
  const row = await c
    .get("db")
    .select()
    .from(inboxes)
    .where(and(eq(inboxes.id, id), eq(inboxes.workspaceId, c.get("principal").workspaceId), eq(inboxes.provider, "sandbox")))
    .get();
  if (!row) throw notFound("sandbox inbox", id);
  return row;
}

const recordView = z.object({
  seq: z.number(),
  at: z.number().describe("arrival time, epoch milliseconds"),
  method: z.string(),
  path: z.string(),
  kind: z.enum(["message", "templates", "phone_number"]),
  inbox_id: z.number().nullable(),
  to: z.string().nullable(),
  wa_id: z.string().nullable(),
  type: z.string().nullable(),
  template_name: z.string().nullable(),
  template_language: z.string().nullable(),
  biz_opaque_callback_data: z.string().nullable(),
  status: z.number().describe("HTTP status the sandbox answered"),
  error_code: z.number().nullable().describe("Meta's error.code when refused"),
  wamid: z.string().nullable(),
});

const recordsQuery = z.object({
  since_ms: z.coerce.number().int().min(0).optional().describe("only requests that arrived at or after this epoch millisecond"),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  cursor: z
    .string()
    .regex(/^\d+\.\d+$/, "must be the next_cursor of a previous page")
    .optional(),
});

const statsView = z.object({
  requests: z.number(),
  accepted: z.number(),
  rejected_by_code: z.record(z.string(), z.number()),
  sends_per_recipient_max: z.number(),
  duplicates: z.number().describe("recipients with more than one accepted send"),
  pending_webhooks: z.number().describe("webhook events not delivered yet (not due, or awaiting a retry)"),
  delivered_webhooks: z.number().describe("webhook events delivered with a 2xx answer"),
  dead_webhooks: z.number().describe("webhook events given up on after repeated failures"),
  failed_webhook_attempts: z.number(),
  envelopes: z.object({ pending: z.number(), delivered: z.number(), dead: z.number() }),
});

const deliveryView = z.object({
  id: z.number(),
  inbox_id: z.number(),
  kind: z.enum(["statuses", "inbound", "preferences"]),
  body: z.string().describe("the exact JSON text that was signed and POSTed"),
  signature: z.string().nullable(),
  event_count: z.number(),
  state: z.enum(["pending", "delivered", "dead"]),
  attempts: z.number(),
  last_status: z.number().nullable(),
  last_error: z.string().nullable(),
  created_at: z.number(),
  last_attempt_at: z.number().nullable(),
  next_attempt_at: z.number(),
  delivered_at: z.number().nullable(),
});

const waId = z
  .string()
  .regex(/^\+?[1-9]\d{6,14}$/, "must be a phone number in international format")
  .transform((v) => v.replace(/^\+/, ""));

const preferenceInput = z.object({
  from: waId,
  value: z.enum(["stop", "resume"]).describe("stop or resume the number's marketing messages"),
  name: z.string().trim().min(1).max(100).optional(),
});

const inboundInput = z
  .object({
    from: waId,
    text: z.string().min(1, "must not be empty").max(4096, "must be at most 4096 characters").optional().describe("a text message; give text or button"),
    button: z
      .object({
        text: z.string().min(1, "must not be empty").max(256, "must be at most 256 characters").describe("the button's label"),
        payload: z
          .string()
          .min(1, "must not be empty")
          .max(1000, "must be at most 1000 characters")
          .optional()
          .describe("defaults to the button's label, as Meta sends when the send set no payload"),
      })
      .optional()
      .describe("a tap on a template's quick-reply button (an inbound message of type button); give text or button"),
    name: z.string().trim().min(1).max(100).optional(),
    reply_to: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe("wamid of the message the customer quotes (context.id); a button tap quotes the template message it belongs to"),
  })
  .superRefine((v, ctx) => {
    if (v.text === undefined && v.button === undefined) ctx.addIssue({ code: "custom", path: ["text"], message: "give text or button" });
    if (v.text !== undefined && v.button !== undefined) ctx.addIssue({ code: "custom", path: ["button"], message: "give text or button, not both" });
  });

/** The Herald contact with a simulated phone's number, when the workspace has one. */
const phoneContactView = z.object({ id: z.number(), name: z.string(), opted_out: z.boolean(), marketing_stopped: z.boolean() }).nullable();

const phoneView = z.object({
  wa_id: z.string().describe("the phone's WhatsApp id (digits)"),
  phone: z.string().describe("E.164"),
  contact: phoneContactView,
  last_at: z.number().describe("latest message, epoch milliseconds"),
  messages: z.number(),
  last_direction: z.enum(["out", "in"]),
  last_preview: z.string(),
});

const phoneMessageView = z.object({
  id: z.number(),
  at: z.number().describe("when the phone shows it, epoch milliseconds"),
  direction: z.enum(["out", "in"]).describe("out: the number sent it to the phone; in: the phone's contact sent it"),
  wamid: z.string(),
  status: z.string().describe("outbound: accepted, sent, delivered, read or failed; inbound: received or read"),
  content: phoneContentView,
  context_wamid: z.string().nullable().describe("wamid of the message this one quotes"),
  campaign: z
    .object({ id: z.number(), title: z.string(), recipient_id: z.number() })
    .nullable()
    .describe("the Herald campaign that sent it (from its callback data)"),
});

const phonesQuery = z.object({
  q: z
    .string()
    .trim()
    .max(20)
    .transform((v) => v.replace(/\D/g, ""))
    .optional()
    .describe("digits the number contains"),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** The workspace's contacts with these WhatsApp ids, by id. */
async function contactsByWaId(c: Context<AppEnv>, waIds: string[]): Promise<Map<string, z.infer<typeof phoneContactView>>> {
  const out = new Map<string, z.infer<typeof phoneContactView>>();
  if (waIds.length === 0) return out;
  const rows = await c
    .get("db")
    .select({ id: contacts.id, name: contacts.name, phone: contacts.phone, optedOutAt: contacts.optedOutAt, marketingStoppedAt: contacts.marketingStoppedAt })
    .from(contacts)
    .where(
      and(
        eq(contacts.workspaceId, c.get("principal").workspaceId),
        sql`${contacts.phone} IN (SELECT value FROM json_each(${JSON.stringify(waIds.map((w) => `+${w}`))}))`,
      ),
    );
  for (const r of rows)
    out.set(r.phone.slice(1), { id: r.id, name: r.name, opted_out: r.optedOutAt !== null, marketing_stopped: r.marketingStoppedAt !== null });
  return out;
}

const tags = ["sandbox"];

/**
 * Controls the simulated number behind a sandbox inbox: its request record, scenario, stats and
 * webhooks. Admins only; mounted at `/api/sandbox`.
 */
export const sandboxControlRoutes = new Hono<AppEnv>()
  .use(enabledOnly)
  .get(
    "/inboxes/:id/requests",
    requireAdmin,
    describe({
      summary: "Graph requests the sandbox number received, in arrival order (arrival times in epoch ms)",
      tags,
      access: "admin",
      responses: { 200: { description: "a page of records", schema: z.object({ data: z.array(recordView), next_cursor: z.string().nullable() }) } },
    }),
    validate("param", idParam),
    validate("query", recordsQuery),
    async (c) => {
      const inbox = await ownSandboxInbox(c, c.req.valid("param").id);
      const q = c.req.valid("query");
      const page = await sandboxOf(c.env, inbox.phoneNumberId).records({
        limit: q.limit,
        ...(q.since_ms === undefined ? {} : { sinceMs: q.since_ms }),
        ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
      });
      return c.json(page);
    },
  )
  .delete(
    "/inboxes/:id/requests",
    requireAdmin,
    describe({
      summary: "Forget the record, the throughput window and the pair-rate state (?webhooks=true also drops queued webhooks)",
      tags,
      access: "admin",
      responses: { 204: { description: "reset" } },
    }),
    validate("param", idParam),
    validate("query", z.object({ webhooks: z.enum(["true", "false"]).optional() })),
    async (c) => {
      const inbox = await ownSandboxInbox(c, c.req.valid("param").id);
      await sandboxOf(c.env, inbox.phoneNumberId).reset({ webhooks: c.req.valid("query").webhooks === "true" });
      return c.body(null, 204);
    },
  )
  .get(
    "/inboxes/:id/scenario",
    requireAdmin,
    describe({
      summary: "The sandbox number's scenario (rates, delays, limits)",
      tags,
      access: "admin",
      responses: { 200: { description: "scenario", schema: scenarioSchema } },
    }),
    validate("param", idParam),
    async (c) => {
      const inbox = await ownSandboxInbox(c, c.req.valid("param").id);
      return c.json(await sandboxOf(c.env, inbox.phoneNumberId).getScenario());
    },
  )
  .put(
    "/inboxes/:id/scenario",
    requireAdmin,
    describe({
      summary: "Change some scenario fields; answers the whole scenario",
      tags,
      access: "admin",
      responses: { 200: { description: "scenario", schema: scenarioSchema } },
    }),
    validate("param", idParam),
    validate("json", scenarioPatchSchema),
    async (c) => {
      const inbox = await ownSandboxInbox(c, c.req.valid("param").id);
      const result = await sandboxOf(c.env, inbox.phoneNumberId).updateScenario(c.req.valid("json"));
      if (!result.ok) throw new ApiError("validation_failed", `invalid body: ${result.issues[0]?.message ?? "bad scenario"}`, result.issues);
      return c.json(result.scenario);
    },
  )
  .get(
    "/inboxes/:id/stats",
    requireAdmin,
    describe({
      summary: "Counts: requests, accepted, refusals by code, sends per recipient, webhooks",
      tags,
      access: "admin",
      responses: { 200: { description: "stats", schema: statsView } },
    }),
    validate("param", idParam),
    async (c) => {
      const inbox = await ownSandboxInbox(c, c.req.valid("param").id);
      return c.json(await sandboxOf(c.env, inbox.phoneNumberId).stats());
    },
  )
  .get(
    "/inboxes/:id/webhooks",
    requireAdmin,
    describe({
      summary: "Webhook envelopes the sandbox built, with their delivery attempts",
      tags,
      access: "admin",
      responses: { 200: { description: "envelopes, oldest first", schema: z.object({ data: z.array(deliveryView) }) } },
    }),
    validate("param", idParam),
    validate("query", z.object({ after_id: z.coerce.number().int().min(0).optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) })),
    async (c) => {
      const inbox = await ownSandboxInbox(c, c.req.valid("param").id);
      const q = c.req.valid("query");
      const data = await sandboxOf(c.env, inbox.phoneNumberId).webhookDeliveries({
        limit: q.limit,
        ...(q.after_id === undefined ? {} : { afterId: q.after_id }),
      });
      return c.json({ data });
    },
  )
  .post(
    "/inboxes/:id/inbound",
    requireAdmin,
    describe({
      summary:
        "Simulate a customer writing to the sandbox number (a text) or tapping a quick-reply button of its template message: delivers an inbound webhook now",
      tags,
      access: "admin",
      responses: { 201: { description: "scheduled", schema: z.object({ wamid: z.string() }) } },
    }),
    validate("param", idParam),
    validate("json", inboundInput),
    async (c) => {
      const inbox = await ownSandboxInbox(c, c.req.valid("param").id);
      const input = c.req.valid("json");
      const common = {
        inboxId: inbox.id,
        from: input.from,
        ...(input.name ? { name: input.name } : {}),
        ...(input.reply_to ? { replyTo: input.reply_to } : {}),
      };
      const result = await sandboxOf(c.env, inbox.phoneNumberId).simulateInbound(
        input.button
          ? { ...common, button: { text: input.button.text, payload: input.button.payload ?? input.button.text } }
          : { ...common, text: input.text! },
      );
      return c.json(result, 201);
    },
  )
  .post(
    "/inboxes/:id/marketing-preference",
    requireAdmin,
    describe({
      summary:
        "Simulate a customer stopping or resuming the number's marketing messages: delivers a signed user_preferences webhook now; while stopped, marketing templates to them are refused with 131050",
      tags,
      access: "admin",
      responses: { 201: { description: "scheduled", schema: z.object({ marketing_stopped: z.boolean() }) } },
    }),
    validate("param", idParam),
    validate("json", preferenceInput),
    async (c) => {
      const inbox = await ownSandboxInbox(c, c.req.valid("param").id);
      const input = c.req.valid("json");
      const result = await sandboxOf(c.env, inbox.phoneNumberId).simulateMarketingPreference({
        inboxId: inbox.id,
        from: input.from,
        value: input.value,
        ...(input.name ? { name: input.name } : {}),
      });
      return c.json(result, 201);
    },
  )
  .get(
    "/inboxes/:id/phones",
    requireAdmin,
    describe({
      summary: "The simulated contacts of a sandbox inbox: phones it sent to or heard from, the latest conversation first",
      tags,
      access: "admin",
      responses: { 200: { description: "phones", schema: z.object({ data: z.array(phoneView) }) } },
    }),
    validate("param", idParam),
    validate("query", phonesQuery),
    async (c) => {
      const inbox = await ownSandboxInbox(c, c.req.valid("param").id);
      const q = c.req.valid("query");
      const phones: PhoneSummary[] = await sandboxOf(c.env, inbox.phoneNumberId).phones({
        inboxId: inbox.id,
        limit: q.limit,
        ...(q.q ? { digits: q.q } : {}),
      });
      const known = await contactsByWaId(
        c,
        phones.map((p) => p.wa_id),
      );
      return c.json({ data: phones.map((p) => ({ ...p, phone: `+${p.wa_id}`, contact: known.get(p.wa_id) ?? null })) });
    },
  )
  .get(
    "/inboxes/:id/phones/:wa_id/messages",
    requireAdmin,
    describe({
      summary: "What one simulated contact's phone shows, oldest first: messages the number sent it (rendered) and what it sent back",
      tags,
      access: "admin",
      responses: {
        200: {
          description: "the conversation",
          schema: z.object({
            wa_id: z.string(),
            phone: z.string(),
            contact: phoneContactView,
            marketing_stopped: z.boolean().describe("the simulated user stopped the number's marketing messages"),
            data: z.array(phoneMessageView),
          }),
        },
      },
    }),
    validate("param", idParam.extend({ wa_id: waId })),
    validate("query", z.object({ limit: z.coerce.number().int().min(1).max(1000).default(200) })),
    async (c) => {
      const params = c.req.valid("param");
      const inbox = await ownSandboxInbox(c, params.id);
      const sandbox = sandboxOf(c.env, inbox.phoneNumberId);
      const messages: PhoneMessage[] = await sandbox.conversation({
        inboxId: inbox.id,
        waId: params.wa_id,
        limit: c.req.valid("query").limit,
      });
      const marketingStopped = await sandbox.stoppedMarketing(inbox.id, params.wa_id);
      const refs = messages.map((m) => campaignOf(m.biz_opaque_callback_data));
      const ids = [...new Set(refs.flatMap((r) => (r ? [r.campaignId] : [])))];
      const titles = new Map<number, string>();
      if (ids.length > 0) {
        const rows = await c
          .get("db")
          .select({ id: campaigns.id, title: campaigns.title })
          .from(campaigns)
          .where(and(eq(campaigns.workspaceId, c.get("principal").workspaceId), sql`${campaigns.id} IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`));
        for (const r of rows) titles.set(r.id, r.title);
      }
      const contact = (await contactsByWaId(c, [params.wa_id])).get(params.wa_id) ?? null;
      return c.json({
        wa_id: params.wa_id,
        phone: `+${params.wa_id}`,
        contact,
        marketing_stopped: marketingStopped,
        data: messages.map((m, i) => {
          const ref = refs[i];
          return {
            id: m.id,
            at: m.at,
            direction: m.direction,
            wamid: m.wamid,
            status: m.status,
            content: m.content,
            context_wamid: m.context_wamid,
            // Only a campaign of the caller's workspace is named and linked.
            campaign: ref && titles.has(ref.campaignId) ? { id: ref.campaignId, title: titles.get(ref.campaignId)!, recipient_id: ref.recipientId } : null,
          };
        }),
      });
    },
  );

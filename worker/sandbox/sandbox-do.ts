import { DurableObject } from "cloudflare:workers";
import type { MetaTemplate } from "../domain/templates";
import { loopbackFetch } from "../lib/loopback";
import { DEMO_TEMPLATES } from "./demo-templates";
import { type GraphFailure, type GraphResponse, metaError } from "./graph-errors";
import { authenticate, type SandboxInbox, sandboxInboxes } from "./inbox-auth";
import { PHONE_STATUS_RANK, type PhoneContent, previewOf, renderTemplateSend } from "./phone";
import { mergeScenario, type Scenario, scenarioPatchSchema } from "./scenario";
import { checkTemplateParameters, parseSendRequest, type SendRequest } from "./send-checks";
import {
  type Category,
  displayDigits,
  type InboundEvent,
  inboundButton,
  inboundEnvelope,
  inboundText,
  MAX_DELIVERY_ATTEMPTS,
  MAX_STATUSES_PER_ENVELOPE,
  marketingPreference,
  type NumberRef,
  newWamid,
  type PlannedEvent,
  type PreferenceEvent,
  planEvents,
  preferenceEnvelope,
  retryDelayMs,
  type StatusEvent,
  signatureHeader,
  statusEnvelope,
} from "./webhooks";

/** One Graph request as the sandbox recorded it. `at` is its arrival, in epoch milliseconds. */
export type SandboxRecord = {
  seq: number;
  at: number;
  method: string;
  path: string;
  kind: "message" | "templates" | "phone_number";
  inbox_id: number | null;
  to: string | null;
  wa_id: string | null;
  type: string | null;
  template_name: string | null;
  template_language: string | null;
  biz_opaque_callback_data: string | null;
  status: number;
  error_code: number | null;
  wamid: string | null;
};

export type SandboxStats = {
  requests: number;
  accepted: number;
  rejected_by_code: Record<string, number>;
  sends_per_recipient_max: number;
  duplicates: number;
  pending_webhooks: number;
  delivered_webhooks: number;
  dead_webhooks: number;
  failed_webhook_attempts: number;
  envelopes: { pending: number; delivered: number; dead: number };
};

/** One webhook envelope and what became of it. `body` is the exact JSON text that is signed and sent. */
export type WebhookDelivery = {
  id: number;
  inbox_id: number;
  kind: "statuses" | "inbound" | "preferences";
  body: string;
  signature: string | null;
  event_count: number;
  state: "pending" | "delivered" | "dead";
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  created_at: number;
  last_attempt_at: number | null;
  next_attempt_at: number;
  delivered_at: number | null;
};

/** One message on a simulated contact's phone: sent to it by the number (`out`) or by it (`in`). `at` is epoch ms. */
export type PhoneMessage = {
  id: number;
  at: number;
  direction: "out" | "in";
  wamid: string;
  /** Outbound: accepted, sent, delivered, read or failed as the status webhooks fall due. Inbound: received, or read once the business marks it read. */
  status: string;
  content: PhoneContent;
  biz_opaque_callback_data: string | null;
  /** wamid of the message this one quotes. */
  context_wamid: string | null;
};

/** A simulated contact of one inbox: a phone the number sent to or heard from. */
export type PhoneSummary = { wa_id: string; last_at: number; messages: number; last_direction: "out" | "in"; last_preview: string };

export type SendCall = { path: string; phoneNumberId: string; token: string | null; body: string };
export type PhoneNumberCall = { path: string; phoneNumberId: string; token: string | null; fields?: string };
export type TemplatesCall = { path: string; url: string; inboxId: number; limit?: string; after?: string; filters?: Record<string, string> };

type Draft = Omit<SandboxRecord, "seq" | "status" | "error_code" | "wamid">;

const DEFAULT_TEMPLATE_PAGE = 25;
const MAX_TEMPLATE_PAGE = 1000;
const EVENTS_PER_TICK = 2_000;
const DELIVERIES_PER_TICK = 50;
/** A delivery in flight is hidden from other ticks this long; a crash mid-delivery retries after it. */
const DELIVERY_LEASE_MS = 60_000;
const DELIVERY_TIMEOUT_MS = 10_000;
/** Finished envelopes (delivered or given up) and their events are kept this long, for inspection. */
const FINISHED_WEBHOOK_RETENTION_MS = 24 * 3_600_000;

/** Cursors look like Meta's (`MAZDZD`): base64 of the position, padding spelled `ZD`. */
const encodeCursor = (position: number) => btoa(String(position)).replace(/=/g, "ZD");
function decodeCursor(cursor: string): number | null {
  try {
    const text = atob(cursor.replace(/(ZD)+$/, (m) => "=".repeat(m.length / 2)));
    return /^\d{1,9}$/.test(text) ? Number(text) : null;
  } catch {
    return null;
  }
}

/** Fields of a raw body worth recording even when the body is invalid. */
function peek(raw: string): Pick<Draft, "to" | "wa_id" | "type" | "template_name" | "template_language" | "biz_opaque_callback_data"> {
  let body: Record<string, any> = {};
  try {
    const parsed = JSON.parse(raw);
    if (typeof parsed === "object" && parsed !== null) body = parsed;
  } catch {
    // Recorded with empty fields; the answer says why.
  }
  const str = (v: unknown, max = 1024) => (typeof v === "string" ? v.slice(0, max) : null);
  const to = str(body.to, 64);
  return {
    to,
    wa_id: to ? to.replace(/\D/g, "") || null : null,
    type: str(body.type, 64) ?? (body.status === "read" ? "read" : body.text !== undefined || body.to !== undefined ? "text" : null),
    template_name: str(body.template?.name, 512),
    template_language: str(body.template?.language?.code, 32),
    biz_opaque_callback_data: str(body.biz_opaque_callback_data, 1024),
  };
}

/** The customer service window: a contact who wrote within it can be sent free text and free utility templates. */
const SERVICE_WINDOW_MS = 24 * 3_600_000;

const STATUS_FAILURE: Record<string, GraphFailure["code"]> = { PENDING: 132001, REJECTED: 132001, PAUSED: 132015, DISABLED: 132016 };

/**
 * The simulated WhatsApp Cloud API for one phone number (one object per `phone_number_id`).
 * It answers sends like Meta, records every request with its arrival time, enforces the
 * throughput cap and the pair rate limit, and later delivers signed status webhooks and
 * simulated replies from rows in its SQLite storage, driven by one alarm.
 */
export class WhatsAppSandbox extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private cachedScenario?: Scenario;
  /** How webhook envelopes leave the sandbox: to this Worker's own router. Tests replace it. */
  deliver: (request: Request) => Promise<Response>;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS requests (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        method TEXT NOT NULL,
        path TEXT NOT NULL,
        kind TEXT NOT NULL,
        inbox_id INTEGER,
        to_input TEXT,
        wa_id TEXT,
        type TEXT,
        template_name TEXT,
        template_language TEXT,
        biz_opaque_callback_data TEXT,
        status INTEGER NOT NULL,
        error_code INTEGER,
        wamid TEXT,
        accepted INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX IF NOT EXISTS requests_accepted_at ON requests (accepted, at);
      CREATE INDEX IF NOT EXISTS requests_recipient ON requests (wa_id, accepted, at);
      CREATE INDEX IF NOT EXISTS requests_at ON requests (at);
      CREATE TABLE IF NOT EXISTS events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        due_at INTEGER NOT NULL,
        inbox_id INTEGER NOT NULL,
        waba_id TEXT NOT NULL,
        phone_number_id TEXT NOT NULL,
        display_phone_number TEXT NOT NULL,
        kind TEXT NOT NULL,
        wamid TEXT,
        payload TEXT NOT NULL,
        delivery_id INTEGER
      );
      CREATE INDEX IF NOT EXISTS events_due ON events (delivery_id, due_at);
      CREATE TABLE IF NOT EXISTS deliveries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        inbox_id INTEGER NOT NULL,
        kind TEXT NOT NULL,
        body TEXT NOT NULL,
        signature TEXT,
        event_count INTEGER NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        last_status INTEGER,
        last_error TEXT,
        created_at INTEGER NOT NULL,
        last_attempt_at INTEGER,
        next_attempt_at INTEGER NOT NULL,
        delivered_at INTEGER
      );
      CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (state, next_attempt_at);
      CREATE TABLE IF NOT EXISTS phone_messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        inbox_id INTEGER NOT NULL,
        wa_id TEXT NOT NULL,
        direction TEXT NOT NULL,
        wamid TEXT NOT NULL,
        status TEXT NOT NULL,
        content TEXT NOT NULL,
        biz_opaque_callback_data TEXT,
        context_wamid TEXT
      );
      CREATE INDEX IF NOT EXISTS phone_messages_chat ON phone_messages (inbox_id, wa_id, at);
      CREATE INDEX IF NOT EXISTS phone_messages_wamid ON phone_messages (wamid);
      CREATE TABLE IF NOT EXISTS marketing_stops (inbox_id INTEGER NOT NULL, wa_id TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (inbox_id, wa_id));
    `);
    this.deliver = (request) => loopbackFetch(this.env, this.ctx)(request);
  }

  // ---- Graph API -------------------------------------------------------------------------

  /** `POST /{version}/{phone_number_id}/messages`: Meta's answer as `{status, body}`. */
  async sendMessage(call: SendCall): Promise<GraphResponse> {
    const arrivedAt = Date.now();
    const draft: Draft = { at: arrivedAt, method: "POST", path: call.path, kind: "message", inbox_id: null, ...peek(call.body) };
    const auth = await authenticate(this.env, "phone_number_id", call.phoneNumberId, call.token);
    // Everything below is synchronous, so concurrent sends see each other's records (cap and pair limit are exact).
    if (!auth.ok) return this.refuse(draft, this.authFailure(auth.reason, call.phoneNumberId, "post"));
    draft.inbox_id = auth.inbox.id;
    const scenario = this.scenario();
    if (scenario.token_expired) return this.refuse(draft, expiredToken(arrivedAt));

    const parsed = parseSendRequest(call.body);
    if (!parsed.ok) return this.refuse(draft, parsed.failure);
    const send = parsed.value;
    if (send.kind === "mark_read") {
      this.sql.exec("UPDATE phone_messages SET status = 'read' WHERE wamid = ? AND direction = 'in' AND inbox_id = ?", send.messageId, auth.inbox.id);
      return this.answer(draft, { status: 200, body: { success: true } });
    }

    let category: Category = "service";
    if (send.template) {
      const problem = this.templateProblem(send, scenario);
      if (typeof problem !== "string") return this.refuse(draft, problem);
      category = problem;
    }
    // Like WhatsApp, a user who stopped the number's marketing messages gets none.
    if (category === "marketing" && this.stoppedMarketing(auth.inbox.id, send.waId)) return this.refuse(draft, { code: 131050 });
    const inWindow = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM requests WHERE accepted = 1 AND at > ?", arrivedAt - 1000).one().n;
    if (inWindow >= scenario.throughput_cap) return this.refuse(draft, { code: 130429 });
    if (scenario.pair_rate_limit_ms > 0) {
      const last = this.sql.exec<{ t: number | null }>("SELECT MAX(at) AS t FROM requests WHERE wa_id = ? AND accepted = 1", send.waId).one().t;
      if (last !== null && arrivedAt - last < scenario.pair_rate_limit_ms) return this.refuse(draft, { code: 131056 });
    }
    const undeliverable =
      (scenario.undeliverable_suffix !== "" && send.waId.endsWith(scenario.undeliverable_suffix)) || scenario.undeliverable.includes(send.waId);
    if (undeliverable) return this.refuse(draft, { code: 131026, details: "Message Undeliverable." });
    if (scenario.random_failure_rate > 0 && Math.random() < scenario.random_failure_rate) {
      const codes = scenario.random_failure_codes;
      return this.refuse(draft, { code: codes[Math.floor(Math.random() * codes.length)]! });
    }

    const wamid = newWamid(send.waId);
    this.answer(draft, { status: 200, body: null }, { wamid, accepted: true });
    this.addToPhone({
      at: arrivedAt,
      inboxId: auth.inbox.id,
      waId: send.waId,
      direction: "out",
      wamid,
      status: "accepted",
      content: this.phoneContent(send, scenario),
      callback: send.bizOpaqueCallbackData ?? null,
      contextWamid: send.replyTo ?? null,
    });
    if (scenario.webhooks_enabled) {
      const ref = numberRef(auth.inbox);
      const events = planEvents(
        {
          wamid,
          waId: send.waId,
          category,
          inServiceWindow: this.wroteWithin(auth.inbox.id, send.waId, arrivedAt - SERVICE_WINDOW_MS, arrivedAt),
          acceptedAt: arrivedAt,
          businessNumber: ref.displayPhoneNumber,
          ...(send.bizOpaqueCallbackData === undefined ? {} : { bizOpaqueCallbackData: send.bizOpaqueCallbackData }),
        },
        scenario,
      );
      this.schedule(auth.inbox.id, ref, events);
      await this.armAlarm(false);
    }
    if (scenario.slow_response_rate > 0 && Math.random() < scenario.slow_response_rate) {
      await new Promise((resolve) => setTimeout(resolve, scenario.slow_response_ms));
    }
    return {
      status: 200,
      body: {
        messaging_product: "whatsapp",
        contacts: [{ input: send.to, wa_id: send.waId }],
        messages: [{ id: wamid, ...(send.type === "template" ? { message_status: "accepted" } : {}) }],
      },
    };
  }

  /** `GET /{version}/{phone_number_id}?fields=…`. */
  async phoneNumberInfo(call: PhoneNumberCall): Promise<GraphResponse> {
    const draft: Draft = { ...emptyDraft(Date.now(), "GET", call.path, "phone_number") };
    const auth = await authenticate(this.env, "phone_number_id", call.phoneNumberId, call.token);
    if (!auth.ok) return this.refuse(draft, this.authFailure(auth.reason, call.phoneNumberId, "get"));
    draft.inbox_id = auth.inbox.id;
    const scenario = this.scenario();
    if (scenario.token_expired) return this.refuse(draft, expiredToken(draft.at));
    const inbox = auth.inbox;
    const all: Record<string, unknown> = {
      verified_name: inbox.name,
      code_verification_status: "VERIFIED",
      display_phone_number: inbox.displayPhone || `+${displayDigits("", inbox.phoneNumberId)}`,
      quality_rating: scenario.quality_rating,
      platform_type: "CLOUD_API",
      throughput: { level: scenario.throughput_cap >= 1000 ? "HIGH" : "STANDARD" },
      messaging_limit_tier: scenario.messaging_limit_tier,
      name_status: "APPROVED",
      status: "CONNECTED",
      account_mode: "LIVE",
      is_official_business_account: false,
    };
    const wanted = call.fields
      ?.split(",")
      .map((f) => f.trim())
      .filter(Boolean);
    const body: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(all)) if (!wanted || wanted.includes(key)) body[key] = value;
    body.id = inbox.phoneNumberId;
    return this.answer(draft, { status: 200, body });
  }

  /** `GET /{version}/{waba_id}/message_templates`, for an inbox the route already authenticated. */
  async listTemplates(call: TemplatesCall): Promise<GraphResponse> {
    const draft: Draft = { ...emptyDraft(Date.now(), "GET", call.path, "templates"), inbox_id: call.inboxId };
    const scenario = this.scenario();
    if (scenario.token_expired) return this.refuse(draft, expiredToken(draft.at));
    const limit = call.limit === undefined || call.limit === "" ? DEFAULT_TEMPLATE_PAGE : Number(call.limit);
    if (!Number.isInteger(limit) || limit < 1) return this.refuse(draft, { code: 100, details: "Param limit must be a positive integer." });
    const start = call.after === undefined ? 0 : decodeCursor(call.after);
    if (start === null) return this.refuse(draft, { code: 100, details: "Param after is not a valid cursor." });
    const filters = call.filters ?? {};
    const all = this.templates(scenario).filter(
      (t) =>
        (!filters.name || t.name.includes(filters.name)) &&
        (!filters.status || filters.status.split(",").includes(t.status)) &&
        (!filters.category || filters.category.split(",").includes(t.category)) &&
        (!filters.language || t.language === filters.language),
    );
    const from = call.after === undefined ? 0 : start + 1;
    const page = all.slice(from, from + Math.min(limit, MAX_TEMPLATE_PAGE));
    const body: Record<string, unknown> = { data: page };
    if (page.length > 0) {
      const last = from + page.length - 1;
      const paging: Record<string, unknown> = { cursors: { before: encodeCursor(from), after: encodeCursor(last) } };
      if (last < all.length - 1) {
        const next = new URL(call.url);
        next.searchParams.set("limit", String(limit));
        next.searchParams.set("after", encodeCursor(last));
        next.searchParams.delete("before");
        paging.next = next.toString();
      }
      body.paging = paging;
    }
    return this.answer(draft, { status: 200, body });
  }

  // ---- Control ---------------------------------------------------------------------------

  /**
   * Recorded requests in arrival order (then record order), from `sinceMs` on. `cursor` is the
   * `next_cursor` of the previous page; it is null on the last page.
   */
  records(query: { sinceMs?: number; cursor?: string; limit?: number } = {}): { data: SandboxRecord[]; next_cursor: string | null } {
    const limit = Math.min(Math.max(query.limit ?? 1000, 1), 10_000);
    const [afterAt, afterSeq] = (query.cursor ?? "").split(".").map(Number) as [number, number];
    const hasCursor = Number.isInteger(afterAt) && Number.isInteger(afterSeq) && query.cursor !== undefined;
    const rows = this.sql
      .exec<Record<string, SqlStorageValue>>(
        `SELECT seq, at, method, path, kind, inbox_id, to_input, wa_id, type, template_name, template_language,
                biz_opaque_callback_data, status, error_code, wamid
         FROM requests WHERE at >= ? AND (at > ? OR (at = ? AND seq > ?)) ORDER BY at, seq LIMIT ?`,
        query.sinceMs ?? 0,
        hasCursor ? afterAt : -1,
        hasCursor ? afterAt : -1,
        hasCursor ? afterSeq : 0,
        limit + 1,
      )
      .toArray();
    const data = rows.slice(0, limit).map(
      (r): SandboxRecord => ({
        seq: r.seq as number,
        at: r.at as number,
        method: r.method as string,
        path: r.path as string,
        kind: r.kind as SandboxRecord["kind"],
        inbox_id: r.inbox_id as number | null,
        to: r.to_input as string | null,
        wa_id: r.wa_id as string | null,
        type: r.type as string | null,
        template_name: r.template_name as string | null,
        template_language: r.template_language as string | null,
        biz_opaque_callback_data: r.biz_opaque_callback_data as string | null,
        status: r.status as number,
        error_code: r.error_code as number | null,
        wamid: r.wamid as string | null,
      }),
    );
    const last = data[data.length - 1];
    return { data, next_cursor: rows.length > limit && last ? `${last.at}.${last.seq}` : null };
  }

  /** Forgets the record (and with it the throughput and pair-rate state) and the phones; `webhooks` also drops queued webhooks. */
  reset(options: { webhooks?: boolean } = {}): { ok: true } {
    this.sql.exec("DELETE FROM requests");
    this.sql.exec("DELETE FROM phone_messages");
    this.sql.exec("DELETE FROM marketing_stops");
    if (options.webhooks) {
      this.sql.exec("DELETE FROM events");
      this.sql.exec("DELETE FROM deliveries");
    }
    return { ok: true };
  }

  getScenario(): Scenario {
    return this.scenario();
  }

  /** Applies a partial update; an invalid one changes nothing and says why. */
  updateScenario(patch: unknown): { ok: true; scenario: Scenario } | { ok: false; issues: { path: string; message: string }[] } {
    const parsed = scenarioPatchSchema.safeParse(patch);
    if (!parsed.success) return { ok: false, issues: parsed.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message })) };
    const scenario = mergeScenario(this.scenario(), parsed.data);
    this.sql.exec("INSERT INTO kv (key, value) VALUES ('scenario', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", JSON.stringify(scenario));
    this.cachedScenario = scenario;
    return { ok: true, scenario };
  }

  stats(): SandboxStats {
    const totals = this.sql.exec<{ requests: number; accepted: number | null }>("SELECT COUNT(*) AS requests, SUM(accepted) AS accepted FROM requests").one();
    const rejected: Record<string, number> = {};
    for (const row of this.sql.exec<{ code: number; n: number }>(
      "SELECT error_code AS code, COUNT(*) AS n FROM requests WHERE error_code IS NOT NULL GROUP BY error_code",
    )) {
      rejected[String(row.code)] = row.n;
    }
    const perRecipient = this.sql
      .exec<{ max: number | null; dups: number | null }>(
        "SELECT MAX(n) AS max, SUM(n > 1) AS dups FROM (SELECT COUNT(*) AS n FROM requests WHERE accepted = 1 GROUP BY wa_id)",
      )
      .one();
    const events = this.sql
      .exec<{ pending: number | null; delivered: number | null; dead: number | null }>(
        `SELECT SUM(e.delivery_id IS NULL OR d.state = 'pending') AS pending, SUM(d.state = 'delivered') AS delivered, SUM(d.state = 'dead') AS dead
         FROM events e LEFT JOIN deliveries d ON d.id = e.delivery_id`,
      )
      .one();
    const envelopes = this.sql
      .exec<{ pending: number | null; delivered: number | null; dead: number | null; failed: number | null }>(
        `SELECT SUM(state = 'pending') AS pending, SUM(state = 'delivered') AS delivered, SUM(state = 'dead') AS dead,
                SUM(attempts - (state = 'delivered')) AS failed FROM deliveries`,
      )
      .one();
    return {
      requests: totals.requests,
      accepted: totals.accepted ?? 0,
      rejected_by_code: rejected,
      sends_per_recipient_max: perRecipient.max ?? 0,
      duplicates: perRecipient.dups ?? 0,
      pending_webhooks: events.pending ?? 0,
      delivered_webhooks: events.delivered ?? 0,
      dead_webhooks: events.dead ?? 0,
      failed_webhook_attempts: envelopes.failed ?? 0,
      envelopes: { pending: envelopes.pending ?? 0, delivered: envelopes.delivered ?? 0, dead: envelopes.dead ?? 0 },
    };
  }

  /** Webhook envelopes, oldest first, with their delivery attempts. */
  webhookDeliveries(query: { afterId?: number; limit?: number } = {}): WebhookDelivery[] {
    const limit = Math.min(Math.max(query.limit ?? 100, 1), 1000);
    return this.sql
      .exec<WebhookDelivery>(
        `SELECT id, inbox_id, kind, body, signature, event_count, state, attempts, last_status, last_error, created_at,
                last_attempt_at, next_attempt_at, delivered_at FROM deliveries WHERE id > ? ORDER BY id LIMIT ?`,
        query.afterId ?? 0,
        limit,
      )
      .toArray();
  }

  /**
   * A customer writes to the number (a text) or taps a quick-reply button of one of its template
   * messages (`button`): one inbound webhook, due now.
   */
  async simulateInbound(
    input: { inboxId: number; from: string; name?: string; replyTo?: string } & ({ text: string } | { button: { text: string; payload: string } }),
  ): Promise<{ wamid: string }> {
    const [inbox] = await sandboxInboxes(this.env, "id", String(input.inboxId));
    if (!inbox) throw new Error(`sandbox inbox ${input.inboxId} not found`);
    const ref = numberRef(inbox);
    const at = Date.now();
    const common = {
      from: input.from,
      at,
      ...(input.name ? { name: input.name } : {}),
      ...(input.replyTo ? { replyTo: { wamid: input.replyTo, businessNumber: ref.displayPhoneNumber } } : {}),
    };
    const event = "button" in input ? inboundButton({ ...common, ...input.button }) : inboundText({ ...common, body: input.text });
    this.schedule(inbox.id, ref, [{ dueAt: at, kind: "inbound", event }]);
    await this.armAlarm(false);
    return { wamid: event.messages[0].id };
  }

  /**
   * A simulated contact stops (or resumes) the number's marketing messages: one signed
   * `user_preferences` webhook, due now. While stopped, marketing templates to them are refused
   * with 131050.
   */
  async simulateMarketingPreference(input: {
    inboxId: number;
    from: string;
    value: "stop" | "resume";
    name?: string;
  }): Promise<{ marketing_stopped: boolean }> {
    const [inbox] = await sandboxInboxes(this.env, "id", String(input.inboxId));
    if (!inbox) throw new Error(`sandbox inbox ${input.inboxId} not found`);
    const at = Date.now();
    if (input.value === "stop") {
      this.sql.exec("INSERT INTO marketing_stops (inbox_id, wa_id, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", inbox.id, input.from, at);
    } else {
      this.sql.exec("DELETE FROM marketing_stops WHERE inbox_id = ? AND wa_id = ?", inbox.id, input.from);
    }
    const event = marketingPreference({ from: input.from, value: input.value, at, ...(input.name ? { name: input.name } : {}) });
    this.schedule(inbox.id, numberRef(inbox), [{ dueAt: at, kind: "preference", event }]);
    await this.armAlarm(false);
    return { marketing_stopped: input.value === "stop" };
  }

  /** Whether a simulated contact stopped the inbox's marketing messages. */
  stoppedMarketing(inboxId: number, waId: string): boolean {
    return this.sql.exec("SELECT 1 FROM marketing_stops WHERE inbox_id = ? AND wa_id = ?", inboxId, waId).toArray().length > 0;
  }

  /** The phones of an inbox's simulated contacts, the latest conversation first; `digits` keeps numbers containing them. */
  phones(query: { inboxId: number; digits?: string; limit?: number }): PhoneSummary[] {
    const limit = Math.min(Math.max(query.limit ?? 100, 1), 1000);
    return this.sql
      .exec<{ wa_id: string; last_at: number; messages: number; direction: string; content: string }>(
        `SELECT wa_id, MAX(at) AS last_at, COUNT(*) AS messages, direction, content FROM phone_messages
         WHERE inbox_id = ? AND at <= ? AND instr(wa_id, ?) > 0 GROUP BY wa_id ORDER BY last_at DESC, wa_id LIMIT ?`,
        query.inboxId,
        Date.now(),
        query.digits ?? "",
        limit,
      )
      .toArray()
      .map((r) => ({
        wa_id: r.wa_id,
        last_at: r.last_at,
        messages: r.messages,
        last_direction: r.direction === "in" ? "in" : "out",
        last_preview: previewOf(JSON.parse(r.content) as PhoneContent),
      }));
  }

  /** What one simulated contact's phone shows for an inbox, oldest first: the latest `limit` messages that arrived by now. */
  conversation(query: { inboxId: number; waId: string; limit?: number }): PhoneMessage[] {
    const limit = Math.min(Math.max(query.limit ?? 200, 1), 1000);
    return this.sql
      .exec<Record<string, SqlStorageValue>>(
        `SELECT id, at, direction, wamid, status, content, biz_opaque_callback_data, context_wamid FROM phone_messages
         WHERE inbox_id = ? AND wa_id = ? AND at <= ? ORDER BY at DESC, id DESC LIMIT ?`,
        query.inboxId,
        query.waId,
        Date.now(),
        limit,
      )
      .toArray()
      .reverse()
      .map((r) => ({
        id: r.id as number,
        at: r.at as number,
        direction: r.direction === "in" ? "in" : "out",
        wamid: r.wamid as string,
        status: r.status as string,
        content: JSON.parse(r.content as string) as PhoneContent,
        biz_opaque_callback_data: r.biz_opaque_callback_data as string | null,
        context_wamid: r.context_wamid as string | null,
      }));
  }

  // ---- Webhook delivery ------------------------------------------------------------------

  override async alarm(): Promise<void> {
    await this.tick();
  }

  /**
   * One pass of webhook work: wraps due events into envelopes, delivers due envelopes, re-arms
   * the alarm at the next due row. Safe to run twice or concurrently: events are wrapped once
   * (synchronously) and an envelope in flight is leased.
   */
  async tick(): Promise<{ delivered: number; failed: number }> {
    const now = Date.now();
    this.pruneFinishedWebhooks(now);
    this.wrapDueEvents(now);
    const due = this.sql
      .exec<{ id: number; inbox_id: number; body: string; attempts: number }>(
        "SELECT id, inbox_id, body, attempts FROM deliveries WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?",
        now,
        DELIVERIES_PER_TICK,
      )
      .toArray();
    for (const d of due) this.sql.exec("UPDATE deliveries SET next_attempt_at = ? WHERE id = ?", now + DELIVERY_LEASE_MS, d.id);
    let delivered = 0;
    let failed = 0;
    // In order, so envelopes reach the webhook in the order their events fell due.
    for (const d of due) {
      if (await this.attempt(d)) delivered++;
      else failed++;
    }
    await this.armAlarm(true);
    return { delivered, failed };
  }

  private async attempt(d: { id: number; inbox_id: number; body: string; attempts: number }): Promise<boolean> {
    const attempts = d.attempts + 1;
    const at = Date.now();
    const [inbox] = await sandboxInboxes(this.env, "id", String(d.inbox_id)).catch(() => [] as SandboxInbox[]);
    if (!inbox?.appSecret) {
      this.sql.exec(
        "UPDATE deliveries SET state = 'dead', attempts = ?, last_attempt_at = ?, last_error = ? WHERE id = ?",
        attempts,
        at,
        inbox ? "the inbox has no app secret to sign with" : "the inbox no longer exists",
        d.id,
      );
      return false;
    }
    const signature = await signatureHeader(inbox.appSecret, d.body);
    let status: number | null = null;
    let error: string | null = null;
    try {
      const request = new Request(`http://sandbox.internal/webhooks/whatsapp/${d.inbox_id}`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-hub-signature-256": signature, "user-agent": "facebookexternalua" },
        body: d.body,
      });
      let timer: number | null = null;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${DELIVERY_TIMEOUT_MS} ms`)), DELIVERY_TIMEOUT_MS);
      });
      try {
        const response = await Promise.race([this.deliver(request), timeout]);
        status = response.status;
        await response.body?.cancel();
      } finally {
        clearTimeout(timer);
      }
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    const now = Date.now();
    if (status !== null && status >= 200 && status < 300) {
      this.sql.exec(
        "UPDATE deliveries SET state = 'delivered', attempts = ?, last_status = ?, last_error = NULL, last_attempt_at = ?, delivered_at = ?, signature = ? WHERE id = ?",
        attempts,
        status,
        at,
        now,
        signature,
        d.id,
      );
      return true;
    }
    const dead = attempts >= MAX_DELIVERY_ATTEMPTS;
    this.sql.exec(
      "UPDATE deliveries SET state = ?, attempts = ?, last_status = ?, last_error = ?, last_attempt_at = ?, next_attempt_at = ?, signature = ? WHERE id = ?",
      dead ? "dead" : "pending",
      attempts,
      status,
      error ?? `HTTP ${status}`,
      at,
      now + retryDelayMs(attempts),
      signature,
      d.id,
    );
    return false;
  }

  private pruneFinishedWebhooks(now: number): void {
    const old = this.sql
      .exec<{ id: number }>("SELECT id FROM deliveries WHERE state != 'pending' AND created_at < ? ORDER BY id LIMIT 500", now - FINISHED_WEBHOOK_RETENTION_MS)
      .toArray();
    for (const { id } of old) {
      this.sql.exec("DELETE FROM events WHERE delivery_id = ?", id);
      this.sql.exec("DELETE FROM deliveries WHERE id = ?", id);
    }
  }

  /** Groups due events into envelopes: statuses of one inbox together (up to 50), each inbound message and preference alone. */
  private wrapDueEvents(now: number): void {
    const rows = this.sql
      .exec<{ id: number; inbox_id: number; waba_id: string; phone_number_id: string; display_phone_number: string; kind: string; payload: string }>(
        "SELECT id, inbox_id, waba_id, phone_number_id, display_phone_number, kind, payload FROM events WHERE delivery_id IS NULL AND due_at <= ? ORDER BY due_at, id LIMIT ?",
        now,
        EVENTS_PER_TICK,
      )
      .toArray();
    const statusGroups = new Map<string, { ref: NumberRef; inboxId: number; ids: number[]; statuses: StatusEvent[] }>();
    const envelope = (inboxId: number, kind: WebhookDelivery["kind"], body: string, ids: number[]) => {
      const id = this.sql
        .exec<{ id: number }>(
          "INSERT INTO deliveries (inbox_id, kind, body, event_count, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
          inboxId,
          kind,
          body,
          ids.length,
          now,
          now,
        )
        .one().id;
      for (const eventId of ids) this.sql.exec("UPDATE events SET delivery_id = ? WHERE id = ?", id, eventId);
    };
    const flush = (key: string) => {
      const group = statusGroups.get(key);
      if (!group) return;
      statusGroups.delete(key);
      envelope(group.inboxId, "statuses", JSON.stringify(statusEnvelope(group.ref, group.statuses)), group.ids);
    };
    for (const row of rows) {
      const ref: NumberRef = { wabaId: row.waba_id, phoneNumberId: row.phone_number_id, displayPhoneNumber: row.display_phone_number };
      if (row.kind === "inbound") {
        envelope(row.inbox_id, "inbound", JSON.stringify(inboundEnvelope(ref, JSON.parse(row.payload) as InboundEvent)), [row.id]);
        continue;
      }
      if (row.kind === "preference") {
        envelope(row.inbox_id, "preferences", JSON.stringify(preferenceEnvelope(ref, JSON.parse(row.payload) as PreferenceEvent)), [row.id]);
        continue;
      }
      const key = `${row.inbox_id}:${row.waba_id}:${row.display_phone_number}`;
      const group = statusGroups.get(key) ?? { ref, inboxId: row.inbox_id, ids: [], statuses: [] };
      statusGroups.set(key, group);
      group.ids.push(row.id);
      const status = JSON.parse(row.payload) as StatusEvent;
      group.statuses.push(status);
      this.showStatusOnPhone(row.inbox_id, status);
      if (group.statuses.length >= MAX_STATUSES_PER_ENVELOPE) flush(key);
    }
    for (const key of [...statusGroups.keys()]) flush(key);
  }

  private schedule(inboxId: number, ref: NumberRef, events: PlannedEvent[]): void {
    for (const e of events) {
      if (e.kind === "inbound") {
        const m = e.event.messages[0];
        this.addToPhone({
          at: e.dueAt,
          inboxId,
          waId: m.from,
          direction: "in",
          wamid: m.id,
          status: "received",
          content: m.type === "button" ? { type: "button", text: m.button.text, payload: m.button.payload } : { type: "text", body: m.text.body },
          callback: null,
          contextWamid: m.context?.id ?? null,
        });
      }
      this.sql.exec(
        "INSERT INTO events (due_at, inbox_id, waba_id, phone_number_id, display_phone_number, kind, wamid, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        e.dueAt,
        inboxId,
        ref.wabaId,
        ref.phoneNumberId,
        ref.displayPhoneNumber,
        e.kind,
        e.kind === "status" ? e.event.id : e.kind === "inbound" ? e.event.messages[0].id : null,
        JSON.stringify(e.event),
      );
    }
  }

  /**
   * Keeps the one alarm at the earliest due row, clamped to now. From the alarm handler it is
   * always (re)set; elsewhere it is only moved earlier.
   */
  private async armAlarm(fromTick: boolean): Promise<void> {
    const next = this.sql
      .exec<{ t: number | null }>(
        `SELECT MIN(t) AS t FROM (
           SELECT MIN(due_at) AS t FROM events WHERE delivery_id IS NULL
           UNION ALL SELECT MIN(next_attempt_at) AS t FROM deliveries WHERE state = 'pending')`,
      )
      .one().t;
    if (next === null) return;
    const at = Math.max(next, Date.now());
    const current = fromTick ? null : await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  // ---- Helpers ---------------------------------------------------------------------------

  /** Whether the contact wrote to the number between `from` and `to` (epoch ms): its service window is open. */
  private wroteWithin(inboxId: number, waId: string, from: number, to: number): boolean {
    return (
      this.sql
        .exec("SELECT 1 FROM phone_messages WHERE inbox_id = ? AND wa_id = ? AND direction = 'in' AND at > ? AND at <= ? LIMIT 1", inboxId, waId, from, to)
        .toArray().length > 0
    );
  }

  /** Puts a message on a simulated contact's phone; an inbound one shows from its due time on. */
  private addToPhone(m: {
    at: number;
    inboxId: number;
    waId: string;
    direction: "out" | "in";
    wamid: string;
    status: string;
    content: PhoneContent;
    callback: string | null;
    contextWamid: string | null;
  }): void {
    this.sql.exec(
      `INSERT INTO phone_messages (at, inbox_id, wa_id, direction, wamid, status, content, biz_opaque_callback_data, context_wamid)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      m.at,
      m.inboxId,
      m.waId,
      m.direction,
      m.wamid,
      m.status,
      JSON.stringify(m.content),
      m.callback,
      m.contextWamid,
    );
  }

  /** A status that fell due moves the outbound message on the phone forward (never back). */
  private showStatusOnPhone(inboxId: number, status: StatusEvent): void {
    const rank = PHONE_STATUS_RANK[status.status];
    if (rank === undefined) return;
    const ranks = Object.entries(PHONE_STATUS_RANK)
      .map(([s, r]) => `WHEN '${s}' THEN ${r}`)
      .join(" ");
    this.sql.exec(
      `UPDATE phone_messages SET status = ? WHERE wamid = ? AND inbox_id = ? AND direction = 'out' AND (CASE status ${ranks} ELSE 0 END) < ?`,
      status.status,
      status.id,
      inboxId,
      rank,
    );
  }

  /** An accepted send as the recipient's phone shows it. */
  private phoneContent(send: Extract<SendRequest, { kind: "message" }>, scenario: Scenario): PhoneContent {
    if (!send.template) return { type: "text", body: send.text ?? "" };
    const wanted = send.template;
    const template = this.templates(scenario).find((t) => t.name === wanted.name && t.language === wanted.language.code);
    if (!template) return { type: "text", body: `[template ${wanted.name}]` };
    return renderTemplateSend(template, wanted);
  }

  private scenario(): Scenario {
    if (!this.cachedScenario) {
      const row = this.sql.exec<{ value: string }>("SELECT value FROM kv WHERE key = 'scenario'").toArray()[0];
      let stored: unknown = {};
      try {
        stored = row ? JSON.parse(row.value) : {};
      } catch {
        // An unreadable scenario falls back to the defaults.
      }
      this.cachedScenario = mergeScenario(stored);
    }
    return this.cachedScenario;
  }

  /** The demo templates with the scenario's status overrides applied. */
  private templates(scenario: Scenario): MetaTemplate[] {
    return DEMO_TEMPLATES.map((t) => {
      const status = scenario.template_statuses[t.name];
      return status ? { ...t, status } : t;
    });
  }

  /** The template's billing category when it can be sent, else Meta's error for it. */
  private templateProblem(send: Extract<SendRequest, { kind: "message" }>, scenario: Scenario): GraphFailure | Category {
    const wanted = send.template!;
    const named = this.templates(scenario).filter((t) => t.name === wanted.name);
    const template = named.find((t) => t.language === wanted.language.code);
    if (!template) {
      return {
        code: 132001,
        details:
          named.length === 0
            ? `template name (${wanted.name}) does not exist in ${wanted.language.code}`
            : `template name (${wanted.name}) does not exist in ${wanted.language.code}; it exists in ${named.map((t) => t.language).join(", ")}`,
      };
    }
    const statusCode = STATUS_FAILURE[template.status];
    if (statusCode === 132001)
      return { code: 132001, details: `template name (${wanted.name}) does not exist in ${wanted.language.code} (status ${template.status})` };
    if (statusCode) return { code: statusCode, details: `Template ${wanted.name} (${wanted.language.code}) is ${template.status}` };
    const problem = checkTemplateParameters(template, wanted.components);
    if (problem) return problem;
    return template.category.toLowerCase() as Category;
  }

  private authFailure(reason: "no_such_object" | "bad_token", id: string, verb: "get" | "post"): GraphFailure {
    if (reason === "bad_token") return { code: 190 };
    return {
      code: 100,
      subcode: 33,
      message: `Unsupported ${verb} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
      details: `No sandbox inbox has the phone number id ${id}.`,
    };
  }

  private refuse(draft: Draft, failure: GraphFailure): GraphResponse {
    return this.answer(draft, metaError(failure), { code: failure.code });
  }

  private answer(draft: Draft, response: GraphResponse, extra: { code?: number; wamid?: string; accepted?: boolean } = {}): GraphResponse {
    this.sql.exec(
      `INSERT INTO requests (at, method, path, kind, inbox_id, to_input, wa_id, type, template_name, template_language,
                             biz_opaque_callback_data, status, error_code, wamid, accepted)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      draft.at,
      draft.method,
      draft.path,
      draft.kind,
      draft.inbox_id,
      draft.to,
      draft.wa_id,
      draft.type,
      draft.template_name,
      draft.template_language,
      draft.biz_opaque_callback_data,
      response.status,
      extra.code ?? null,
      extra.wamid ?? null,
      extra.accepted ? 1 : 0,
    );
    return response;
  }
}

function emptyDraft(at: number, method: string, path: string, kind: SandboxRecord["kind"]): Draft {
  return {
    at,
    method,
    path,
    kind,
    inbox_id: null,
    to: null,
    wa_id: null,
    type: null,
    template_name: null,
    template_language: null,
    biz_opaque_callback_data: null,
  };
}

function numberRef(inbox: SandboxInbox): NumberRef {
  return { wabaId: inbox.wabaId, phoneNumberId: inbox.phoneNumberId, displayPhoneNumber: displayDigits(inbox.displayPhone, inbox.phoneNumberId) };
}

function expiredToken(now: number): GraphFailure {
  const when = new Date(now - 3_600_000).toUTCString();
  return {
    code: 190,
    subcode: 463,
    message: `Error validating access token: Session has expired on ${when}. The current time is ${new Date(now).toUTCString()}.`,
    details: "The access token has expired.",
  };
}

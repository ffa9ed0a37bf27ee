import type { StatusUpdate } from "../campaigns/campaign-sender";
import { type MarketingPreference, marketingPreferencesStatement } from "../contacts/marketing-preferences";
import { deliveryRank, deliveryRankSql } from "../domain/delivery-status";
import { MARKETING_STOPPED_ERROR } from "../domain/error-policy";
import { DEFAULT_OPT_OUT_KEYWORDS, isOptOut } from "../domain/opt-out";
import { normalizePhone } from "../domain/phone";
import {
  type InboundEvent,
  type MarketingPreferenceEvent,
  parseEnvelopeText,
  type StatusEvent,
  type TemplateStatusEvent,
  type WebhookEvent,
} from "../domain/webhook-envelope";
import { logEvent } from "../lib/log";
import { senderOf } from "../lib/objects";
import type { WebhookJob } from "./job";

/** Inbound types that are not a person writing: they neither open the service window nor count as replies. */
const IGNORED_INBOUND_TYPES = new Set(["system", "unsupported", "unknown", "ephemeral", "errors"]);

function e164(from: string): string {
  const result = normalizePhone(`+${from.replace(/\D/g, "")}`, "US");
  return result.ok ? result.e164 : `+${from.replace(/\D/g, "")}`;
}

type Group = {
  inboxId: number;
  workspaceId: number;
  statuses: StatusEvent[];
  inbound: InboundEvent[];
  templates: TemplateStatusEvent[];
  preferences: MarketingPreferenceEvent[];
};

/**
 * Applies queued webhook events: statuses are stored once per (message, status) and move the
 * message forward only; inbound messages refresh the contact's service window (creating unknown
 * contacts) and opt-out keywords opt the contact out; marketing preferences (and error 131050)
 * stop or resume the contact's marketing messages; template status changes update the template.
 * An inbox's statuses are applied in D1 batches of STATUS_SLICE events (one
 * transaction each) and the rest in one more; every statement is idempotent, so a batch that is
 * redelivered, whole or after a part of it was applied, changes nothing twice.
 */
export async function applyWebhookJobs(jobs: readonly WebhookJob[], env: Env): Promise<void> {
  const groups = new Map<number, Group>();
  for (const job of jobs) {
    const group = groups.get(job.inboxId) ?? {
      inboxId: job.inboxId,
      workspaceId: job.workspaceId,
      statuses: [],
      inbound: [],
      templates: [],
      preferences: [],
    };
    for (const event of eventsOf(job)) {
      if (event.kind === "status") group.statuses.push(event);
      else if (event.kind === "inbound") {
        if (!IGNORED_INBOUND_TYPES.has(event.type)) group.inbound.push(event);
      } else if (event.kind === "template_status") group.templates.push(event);
      else if (event.kind === "marketing_preference") group.preferences.push(event);
    }
    groups.set(job.inboxId, group);
  }
  for (const group of groups.values()) {
    await applyGroup(env.DB, group);
    await routeToCampaigns(env, group);
  }
}

/** Status events per D1 batch: keeps each transaction and its JSON parameter small. */
const STATUS_SLICE = 100;

/** The events of one job: a raw body is parsed here; one that is not a WhatsApp envelope is dropped (retrying would not help). */
function eventsOf(job: WebhookJob): readonly WebhookEvent[] {
  if ("events" in job) return job.events;
  const parsed = parseEnvelopeText(job.body);
  if (!parsed.ok) {
    logEvent("warn", "webhooks.payload_ignored", { workspace_id: job.workspaceId, inbox_id: job.inboxId, reason: parsed.reason });
    return [];
  }
  // Malformed items and changes Herald does not handle are dropped, and said so.
  if (parsed.ignored > 0) logEvent("warn", "webhooks.items_ignored", { workspace_id: job.workspaceId, inbox_id: job.inboxId, ignored: parsed.ignored });
  return parsed.events;
}

const CAMPAIGN_CALLBACK = /^herald:c:(\d+):(\d+)$/;
/** How the callback data of a campaign's message starts. */
const CAMPAIGN_CALLBACK_PREFIX = "herald:c:";

type SendRef = { campaign_id: number; recipient_id: number };

/**
 * Hands campaign statuses and replies to the campaigns' Durable Objects, one call per campaign:
 * statuses are matched by the callback data Herald set on the send (or by wamid through
 * campaign_sends), replies by the message they quote or, failing that, by the latest campaign
 * message from this inbox to that phone within the attribution window. Only campaigns sending
 * from the inbox the webhook came through are touched, whatever the callback data names.
 */
async function routeToCampaigns(env: Env, group: Group): Promise<void> {
  const { inboxId, workspaceId } = group;
  const statuses = new Map<number, StatusUpdate[]>();
  const unmatched: StatusEvent[] = [];
  const add = (campaignId: number, update: StatusUpdate) => statuses.set(campaignId, [...(statuses.get(campaignId) ?? []), update]);
  const tracked = (s: string): s is StatusUpdate["status"] => s === "sent" || s === "delivered" || s === "read" || s === "failed";
  const updateOf = (s: StatusEvent, recipientId: number): StatusUpdate => ({
    recipientId,
    wamid: s.wamid,
    status: s.status as StatusUpdate["status"],
    timestamp: s.timestamp,
    ...(s.errors[0] ? { errorCode: s.errors[0].code, errorTitle: s.errors[0].title } : {}),
    ...(s.billing ? { billing: { billable: s.billing.billable, category: s.billing.category } } : {}),
  });
  for (const s of group.statuses) {
    if (!tracked(s.status)) continue;
    const match = CAMPAIGN_CALLBACK.exec(s.bizOpaqueCallbackData ?? "");
    if (match) add(Number(match[1]), updateOf(s, Number(match[2])));
    else if (!s.bizOpaqueCallbackData?.startsWith("herald:")) unmatched.push(s);
  }
  if (unmatched.length) {
    const refs = await sendsByWamid(
      env.DB,
      inboxId,
      unmatched.map((s) => s.wamid),
    );
    for (const s of unmatched) {
      const ref = refs.get(s.wamid);
      if (ref) add(ref.campaign_id, updateOf(s, ref.recipient_id));
    }
  }

  const replies = new Map<number, { recipientId: number; timestamp: number }[]>();
  // Any message within the workspace's attribution window after a campaign message answers it.
  const windowS =
    group.inbound.length > 0
      ? ((await env.DB.prepare("SELECT attribution_window_hours AS h FROM workspaces WHERE id = ?").bind(workspaceId).first<{ h: number }>())?.h ?? 72) * 3600
      : 0;
  const sender = (id: number) => senderOf(env, id);
  /** The campaign send each inbound message answers: the one it quotes, else the latest to that phone within the window. */
  const resolve = async (inbound: InboundEvent[]) => {
    const byContext = await sendsByWamid(
      env.DB,
      inboxId,
      inbound.filter((m) => m.contextId).map((m) => m.contextId!),
    );
    const out: [InboundEvent, SendRef | undefined][] = [];
    for (const m of inbound) {
      let ref = m.contextId ? byContext.get(m.contextId) : undefined;
      if (!ref && m.from) {
        ref =
          (await env.DB.prepare(
            `SELECT campaign_id, recipient_id FROM campaign_sends
             WHERE workspace_id = ? AND phone = ? AND sent_at <= ? AND sent_at >= ? AND inbox_id = ? ORDER BY sent_at DESC LIMIT 1`,
          )
            .bind(workspaceId, e164(m.from), m.timestamp, m.timestamp - windowS, inboxId)
            .first<SendRef>()) ?? undefined;
      }
      out.push([m, ref]);
    }
    return out;
  };
  let resolved = await resolve(group.inbound);
  const unresolved = resolved.filter(([, ref]) => !ref).map(([m]) => m);
  if (unresolved.length) {
    // A sending campaign copies its sends to D1 about once a second: a quick reply can arrive
    // before its send is there. Copy them now and look again.
    const active = await env.DB.prepare("SELECT id FROM campaigns WHERE inbox_id = ? AND status IN ('sending', 'paused')").bind(inboxId).all<{ id: number }>();
    if (active.results.length) {
      await Promise.all(active.results.map(({ id }) => sender(id).flushSendsNow()));
      resolved = [...resolved.filter(([, ref]) => ref), ...(await resolve(unresolved))];
    }
  }
  for (const [m, ref] of resolved) {
    if (ref) replies.set(ref.campaign_id, [...(replies.get(ref.campaign_id) ?? []), { recipientId: ref.recipient_id, timestamp: m.timestamp }]);
  }

  // The callback data is whatever the webhook says: only campaigns sending from this inbox are touched.
  const named = [...new Set([...statuses.keys(), ...replies.keys()])];
  const own = await campaignsOfInbox(env.DB, workspaceId, inboxId, named);
  for (const id of named) {
    if (own.has(id)) continue;
    logEvent("warn", "webhooks.foreign_campaign", {
      message: "events naming a campaign that does not send from this inbox were ignored",
      workspace_id: workspaceId,
      inbox_id: inboxId,
      campaign_id: id,
      statuses: statuses.get(id)?.length ?? 0,
      replies: replies.get(id)?.length ?? 0,
    });
    statuses.delete(id);
    replies.delete(id);
  }

  await Promise.all([
    ...[...statuses].map(([id, updates]) => sender(id).applyStatuses(updates)),
    ...[...replies].map(([id, list]) => sender(id).markReplied(list)),
  ]);

  // A template WhatsApp paused or disabled stops the campaigns sending it, with the reason.
  const stopped = group.templates.filter((t) => t.status === "PAUSED" || t.status === "DISABLED");
  if (stopped.length) {
    const running = await env.DB.prepare("SELECT id, content FROM campaigns WHERE inbox_id = ? AND status = 'sending'")
      .bind(inboxId)
      .all<{ id: number; content: string }>();
    for (const campaign of running.results) {
      const content = JSON.parse(campaign.content) as { type: string; template_name?: string; language?: string };
      const hit = stopped.find((t) => content.type === "template" && t.name === content.template_name && t.language === content.language);
      if (hit) {
        await sender(campaign.id).pause(`template ${hit.name} (${hit.language}) is now ${hit.status} at WhatsApp${hit.reason ? `: ${hit.reason}` : ""}`);
      }
    }
  }
}

/** Which of `ids` are campaigns of the workspace that send from the inbox. */
async function campaignsOfInbox(d1: D1Database, workspaceId: number, inboxId: number, ids: number[]): Promise<Set<number>> {
  if (ids.length === 0) return new Set();
  const rows = await d1
    .prepare("SELECT id FROM campaigns WHERE workspace_id = ? AND inbox_id = ? AND id IN (SELECT value FROM json_each(?))")
    .bind(workspaceId, inboxId, JSON.stringify(ids))
    .all<{ id: number }>();
  return new Set(rows.results.map((r) => r.id));
}

async function sendsByWamid(d1: D1Database, inboxId: number, wamids: string[]): Promise<Map<string, SendRef>> {
  const out = new Map<string, SendRef>();
  if (wamids.length === 0) return out;
  const rows = await d1
    .prepare("SELECT wamid, campaign_id, recipient_id FROM campaign_sends WHERE inbox_id = ? AND wamid IN (SELECT value FROM json_each(?))")
    .bind(inboxId, JSON.stringify([...new Set(wamids)]))
    .all<SendRef & { wamid: string }>();
  for (const r of rows.results) out.set(r.wamid, { campaign_id: r.campaign_id, recipient_id: r.recipient_id });
  return out;
}

/** Stores a group's events: statuses in slices of STATUS_SLICE (one D1 batch each), the rest in one batch. */
async function applyGroup(d1: D1Database, group: Group): Promise<void> {
  for (let i = 0; i < group.statuses.length; i += STATUS_SLICE) {
    // A slice of campaign statuses that are not failures writes nothing to D1.
    const statements = statusStatements(d1, group, group.statuses.slice(i, i + STATUS_SLICE));
    if (statements.length > 0) await d1.batch(statements);
  }
  const statements = [...(await inboundStatements(d1, group)), ...templateStatements(d1, group), ...preferenceStatements(d1, group)];
  if (statements.length > 0) await d1.batch(statements);
}

/** Each status stored once per (message, status); messages sent from the inbox move forward only; 131050 stops marketing. */
function statusStatements(d1: D1Database, group: Group, statuses: readonly StatusEvent[]): D1PreparedStatement[] {
  const { inboxId, workspaceId } = group;
  const statements: D1PreparedStatement[] = [];
  const events = statuses.map((s) => ({
    wamid: s.wamid,
    status: s.status,
    occurred_at: s.timestamp,
    recipient_id: s.recipientId ?? null,
    callback: s.bizOpaqueCallbackData ?? null,
    error_code: s.errors[0]?.code ?? null,
    error_title: s.errors[0]?.title ?? null,
    error_details: s.errors[0]?.details ?? s.errors[0]?.message ?? null,
    billing: s.conversation || s.pricing ? JSON.stringify({ conversation: s.conversation, pricing: s.pricing }) : null,
    rank: deliveryRank(s.status) ?? 0,
  }));
  const payload = JSON.stringify(events);
  // A campaign's sent, delivered and read statuses are kept by its Durable Object, per recipient
  // (with their times); D1 keeps a row only for its failures (their error codes are counted across
  // the workspace). Statuses of other messages are all kept: they are their message's timeline.
  const kept = events.filter((e) => e.status === "failed" || !e.callback?.startsWith(CAMPAIGN_CALLBACK_PREFIX));
  if (kept.length > 0) {
    statements.push(
      d1
        .prepare(
          `INSERT INTO message_events (workspace_id, inbox_id, wamid, status, occurred_at, recipient_id, biz_opaque_callback_data, error_code, error_title, error_details, billing)
           SELECT ?1, ?2, j.value ->> 'wamid', j.value ->> 'status', j.value ->> 'occurred_at', j.value ->> 'recipient_id', j.value ->> 'callback',
                  j.value ->> 'error_code', j.value ->> 'error_title', j.value ->> 'error_details', j.value ->> 'billing'
           FROM json_each(?3) AS j WHERE true
           ON CONFLICT (inbox_id, wamid, status) DO NOTHING`,
        )
        .bind(workspaceId, inboxId, kept.length === events.length ? payload : JSON.stringify(kept)),
    );
  }
  // The best status of each single message among these events, applied only if it moves the message
  // forward. Campaign messages are not in `messages` (their Durable Object tracks them), so they are left out.
  const single = events.filter((e) => !e.callback?.startsWith(CAMPAIGN_CALLBACK_PREFIX));
  if (single.length > 0) {
    statements.push(
      d1
        .prepare(
          `UPDATE messages SET status = best.status, error_code = best.error_code, error_title = best.error_title, updated_at = unixepoch()
           FROM (
             SELECT j.value ->> 'wamid' AS wamid, j.value ->> 'status' AS status, j.value ->> 'error_code' AS error_code,
                    j.value ->> 'error_title' AS error_title, j.value ->> 'rank' AS rank,
                    row_number() OVER (PARTITION BY j.value ->> 'wamid' ORDER BY j.value ->> 'rank' DESC) AS n
             FROM json_each(?2) AS j
           ) AS best
           WHERE best.n = 1 AND messages.inbox_id = ?1 AND messages.wamid = best.wamid AND ${deliveryRankSql("messages.status")} < best.rank`,
        )
        .bind(inboxId, single.length === events.length ? payload : JSON.stringify(single)),
    );
  }
  // WhatsApp refused a marketing message because the user stopped marketing: a stop as of the refusal.
  const stopped: MarketingPreference[] = statuses
    .filter((s) => s.status === "failed" && s.errors.some((e) => e.code === MARKETING_STOPPED_ERROR))
    .map((s) => ({ ...(s.recipientId ? { phone: e164(s.recipientId) } : { wamid: s.wamid }), value: "stop", at: s.timestamp }));
  if (stopped.length > 0) statements.push(marketingPreferencesStatement(d1, workspaceId, inboxId, stopped));

  return statements;
}

/** Inbound messages: unknown senders become contacts, the service window moves, opt-out keywords opt out. */
async function inboundStatements(d1: D1Database, group: Group): Promise<D1PreparedStatement[]> {
  const { inboxId, workspaceId } = group;
  const statements: D1PreparedStatement[] = [];
  if (group.inbound.length > 0) {
    const keywordsRow = await d1.prepare("SELECT opt_out_keywords FROM workspaces WHERE id = ?").bind(workspaceId).first<{ opt_out_keywords: string }>();
    const keywords = parseKeywords(keywordsRow?.opt_out_keywords);
    const messages = group.inbound.map((m) => ({
      wamid: m.wamid,
      phone: e164(m.from),
      type: m.type,
      text: m.text ?? null,
      payload: m.payload ?? null,
      context: m.contextId ?? null,
      opt_out: isOptOut(m.text, keywords) || isOptOut(m.payload, keywords) ? 1 : 0,
      occurred_at: m.timestamp,
      name: m.profileName ?? "",
    }));
    const payload = JSON.stringify(messages);
    statements.push(
      // Unknown senders become contacts; the service window follows the latest message, whatever the arrival order.
      d1
        .prepare(
          `INSERT INTO contacts (workspace_id, phone, name, last_inbound_at)
           SELECT ?1, j.value ->> 'phone', max(j.value ->> 'name'), max(j.value ->> 'occurred_at') FROM json_each(?2) AS j GROUP BY j.value ->> 'phone'
           ON CONFLICT (workspace_id, phone) DO UPDATE SET
             last_inbound_at = max(coalesce(contacts.last_inbound_at, 0), excluded.last_inbound_at),
             name = CASE WHEN contacts.name = '' THEN excluded.name ELSE contacts.name END,
             updated_at = unixepoch()`,
        )
        .bind(workspaceId, payload),
      d1
        .prepare(
          `INSERT INTO inbound_messages (workspace_id, inbox_id, contact_id, wamid, from_phone, type, text, payload, context_wamid, opt_out, occurred_at)
           SELECT ?1, ?2, c.id, j.value ->> 'wamid', j.value ->> 'phone', j.value ->> 'type', j.value ->> 'text', j.value ->> 'payload',
                  j.value ->> 'context', j.value ->> 'opt_out', j.value ->> 'occurred_at'
           FROM json_each(?3) AS j LEFT JOIN contacts AS c ON c.workspace_id = ?1 AND c.phone = j.value ->> 'phone' WHERE true
           ON CONFLICT (inbox_id, wamid) DO NOTHING`,
        )
        .bind(workspaceId, inboxId, payload),
    );
    const optOuts = messages.filter((m) => m.opt_out);
    if (optOuts.length > 0) {
      statements.push(
        d1
          .prepare(
            `UPDATE contacts SET opted_out_at = coalesce(opted_out_at, (SELECT min(j.value ->> 'occurred_at') FROM json_each(?2) AS j WHERE j.value ->> 'phone' = contacts.phone)), updated_at = unixepoch()
             WHERE workspace_id = ?1 AND phone IN (SELECT j.value ->> 'phone' FROM json_each(?2) AS j)`,
          )
          .bind(workspaceId, JSON.stringify(optOuts)),
      );
    }
  }

  return statements;
}

function templateStatements(d1: D1Database, group: Group): D1PreparedStatement[] {
  return group.templates.map((t) =>
    d1
      .prepare("UPDATE templates SET status = ?1, updated_at = unixepoch() WHERE inbox_id = ?2 AND (meta_id = ?3 OR (name = ?4 AND language = ?5))")
      .bind(t.status, group.inboxId, t.templateId, t.name, t.language),
  );
}

/** Marketing preferences (stop, resume) applied to the workspace's contacts with those numbers; unknown numbers create nothing. */
function preferenceStatements(d1: D1Database, group: Group): D1PreparedStatement[] {
  if (group.preferences.length === 0) return [];
  const preferences: MarketingPreference[] = group.preferences.map((p) => ({ phone: e164(p.waId), value: p.value, at: p.timestamp }));
  return [marketingPreferencesStatement(d1, group.workspaceId, group.inboxId, preferences)];
}

function parseKeywords(raw: string | undefined): readonly string[] {
  try {
    const list = JSON.parse(raw ?? "");
    if (Array.isArray(list) && list.every((k) => typeof k === "string")) return list;
  } catch {}
  return DEFAULT_OPT_OUT_KEYWORDS;
}

/** The workspace of each inbox among `ids` that still exists. */
async function liveInboxes(d1: D1Database, ids: number[]): Promise<Map<number, number>> {
  const rows = await d1
    .prepare("SELECT id, workspace_id FROM inboxes WHERE id IN (SELECT value FROM json_each(?))")
    .bind(JSON.stringify([...new Set(ids)]))
    .all<{ id: number; workspace_id: number }>();
  return new Map(rows.results.map((r) => [r.id, r.workspace_id]));
}

const retryLater = (message: Message<WebhookJob>) => message.retry({ delaySeconds: Math.min(2 ** message.attempts, 300) });

/**
 * The queue handler. Each message is acknowledged or retried on its own: jobs for an inbox that
 * no longer exists are logged and dropped; the jobs of one inbox are applied together and, when
 * that fails, one by one, so only a job that fails by itself is retried (with exponential
 * backoff; the application is idempotent). After max_retries Queues moves it to the dead-letter
 * queue.
 */
export async function consumeWebhookBatch(batch: MessageBatch<WebhookJob>, env: Env): Promise<void> {
  let live: Map<number, number>;
  try {
    live = await liveInboxes(
      env.DB,
      batch.messages.map((m) => m.body.inboxId),
    );
  } catch (error) {
    logEvent("error", "webhooks.batch_unreadable", { jobs: batch.messages.length, message: "retrying", error });
    for (const message of batch.messages) retryLater(message);
    return;
  }
  const byInbox = new Map<number, Message<WebhookJob>[]>();
  for (const message of batch.messages) {
    const { inboxId, workspaceId } = message.body;
    if (live.get(inboxId) !== workspaceId) {
      logEvent("warn", "webhooks.job_dropped", {
        message: "the inbox no longer exists",
        workspace_id: workspaceId,
        inbox_id: inboxId,
        queue_message_id: message.id,
      });
      message.ack();
      continue;
    }
    byInbox.set(inboxId, [...(byInbox.get(inboxId) ?? []), message]);
  }
  for (const [inboxId, messages] of byInbox) {
    try {
      await applyWebhookJobs(
        messages.map((m) => m.body),
        env,
      );
      for (const message of messages) message.ack();
      continue;
    } catch (error) {
      if (messages.length === 1) {
        logEvent("error", "webhooks.job_failed", { inbox_id: inboxId, message: "retrying", error });
        retryLater(messages[0]!);
        continue;
      }
    }
    for (const message of messages) {
      try {
        await applyWebhookJobs([message.body], env);
        message.ack();
      } catch (error) {
        logEvent("error", "webhooks.job_failed", { inbox_id: inboxId, message: "retrying", error });
        retryLater(message);
      }
    }
  }
}

/**
 * Shared set-up for the campaign engine tests: a workspace with a sandbox inbox, synced demo
 * templates, a label and contacts; helpers to read the sandbox's request record, to hold a
 * campaign's outbound queue messages, and to check that every recipient ended in one state.
 */
import { createExecutionContext, createMessageBatch, getQueueResult, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import type { CampaignSender, OutboundJob, Progress } from "../../worker/campaigns/campaign-sender";
import worker from "../../worker/index";
import { type Account, callJson, seedWorkspace } from "../helpers";

export type Inbox = { id: number; phone_number_id: string };
export type World = { admin: Account; inbox: Inbox; labelId: number; phones: string[] };
export type SandboxRecord = {
  seq: number;
  at: number;
  to: string | null;
  wa_id: string | null;
  status: number;
  error_code: number | null;
  kind: string;
  biz_opaque_callback_data: string | null;
  template_name: string | null;
  type: string | null;
};

let seq = 0;
const unique = () => `${Date.now() % 1e9}${seq++}`;

/** E.164 phone of contact `i` of a world (never ends in 0000: the sandbox treats those as not on WhatsApp). */
const phoneOf = (base: number, i: number) => `+55119${String(base + i + 1).padStart(8, "0")}`;

/**
 * A workspace with a sandbox inbox (pair rate off, webhooks off unless given), its templates
 * synced, one label "Audience" and `count` contacts carrying it (attribute `city` unless
 * `city(i)` says otherwise; "" leaves it out).
 */
export async function world(
  count: number,
  opts: { scenario?: Record<string, unknown>; city?: (i: number) => string; admin?: Account; sync?: boolean } = {},
): Promise<World> {
  const admin = opts.admin ?? (await seedWorkspace());
  const n = unique();
  const inbox = await callJson<Inbox>("/api/inboxes", {
    json: { name: "Sandbox", provider: "sandbox", phone_number_id: `6${n}`, waba_id: `5${n}` },
    auth: admin,
  });
  await setScenario(admin, inbox.id, { pair_rate_limit_ms: 0, webhooks_enabled: false, ...opts.scenario });
  if (opts.sync !== false) await callJson(`/api/inboxes/${inbox.id}/templates/sync`, { method: "POST", expect: 200, auth: admin });
  const label = await callJson<{ id: number }>("/api/labels", { json: { name: `Audience ${n}` }, auth: admin });
  const base = 60_000_000 + (seq % 3_000) * 10_000;
  const phones = Array.from({ length: count }, (_, i) => phoneOf(base, i));
  if (count > 0) {
    const lines = ["name,phone,labels,city", ...phones.map((p, i) => `Person ${i},${p},Audience ${n},${opts.city ? opts.city(i) : "Recife"}`)];
    const imported = await callJson<{ created: number }>("/api/contacts/import", {
      method: "POST",
      body: lines.join("\n"),
      headers: { "content-type": "text/csv" },
      expect: 200,
      auth: admin,
    });
    expect(imported.created).toBe(count);
  }
  return { admin, inbox, labelId: label.id, phones };
}

/** A sandbox number whose statuses (sent, delivered, read) come at once, for every message; nobody replies or opts out. */
export const INSTANT_STATUSES = {
  webhooks_enabled: true,
  sent_delay_ms: [0, 0],
  delivered_delay_ms: [0, 0],
  read_delay_ms: [0, 0],
  failed_rate: 0,
  unread_rate: 0,
  reply_rate: 0,
  opt_out_rate: 0,
};

export const setScenario = (admin: Account, inboxId: number, scenario: Record<string, unknown>) =>
  callJson(`/api/sandbox/inboxes/${inboxId}/scenario`, { method: "PUT", json: scenario, expect: 200, auth: admin });

/** A template campaign (welcome_offer, pt_BR) at full speed unless settings say otherwise. */
export const templateCampaign = (w: Pick<World, "inbox" | "labelId">, settings: Record<string, unknown> = {}) => ({
  title: "Welcome",
  inbox_id: w.inbox.id,
  audience: { labels: [w.labelId] },
  content: {
    type: "template",
    template_name: "welcome_offer",
    language: "pt_BR",
    values: {
      header: { "1": { source: "contact", field: "name", fallback: "cliente" } },
      body: { "1": { source: "contact", field: "name" }, "2": { source: "fixed", value: "BEMVINDO15" } },
    },
  },
  settings: { min_delay_s: 0, max_delay_s: 0, batch_size: 50, ...settings },
});

export const textCampaign = (
  w: Pick<World, "inbox" | "labelId">,
  variants: string[] = ['Oi {{contact.name | "cliente"}}!'],
  settings: Record<string, unknown> = {},
) => ({
  title: "Free text",
  inbox_id: w.inbox.id,
  audience: { labels: [w.labelId] },
  content: { type: "text", variants },
  settings: { min_delay_s: 0, max_delay_s: 0, batch_size: 50, ...settings },
});

export async function createCampaign(w: World, body: unknown, auth: Account = w.admin): Promise<number> {
  const created = await callJson<{ id: number; status: string }>("/api/campaigns", { json: body, auth });
  expect(created.status).toBe("draft");
  return created.id;
}

export const senderOf = (campaignId: number) => env.CAMPAIGNS.get(env.CAMPAIGNS.idFromName(String(campaignId)));

/** Every message send the inbox's sandbox recorded (template syncs and other reads left out), in arrival order. */
export async function sandboxRecords(w: Pick<World, "admin" | "inbox">): Promise<SandboxRecord[]> {
  return (await allSandboxRecords(w)).filter((r) => r.kind === "message");
}

/** Every record of the inbox's sandbox, in arrival order (paged through the control API). */
export async function allSandboxRecords(w: Pick<World, "admin" | "inbox">): Promise<SandboxRecord[]> {
  const out: SandboxRecord[] = [];
  let cursor: string | null = null;
  do {
    const page: { data: SandboxRecord[]; next_cursor: string | null } = await callJson(
      `/api/sandbox/inboxes/${w.inbox.id}/requests?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      { auth: w.admin },
    );
    out.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor);
  return out;
}

/** A phone as digits only: the client sends `to` without the "+", contacts hold E.164. */
export const digits = (phone: string) => phone.replace(/\D/g, "");

/** Accepted sends (status 200 message records) per `to`, keyed by digits. */
export async function acceptedPerRecipient(w: Pick<World, "admin" | "inbox">): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const r of await sandboxRecords(w)) {
    if (r.status !== 200 || !r.to) continue;
    counts.set(digits(r.to), (counts.get(digits(r.to)) ?? 0) + 1);
  }
  return counts;
}

/** Fails unless no recipient got more than one accepted send; returns the counts. */
export async function expectAtMostOnce(w: Pick<World, "admin" | "inbox">): Promise<Map<string, number>> {
  const counts = await acceptedPerRecipient(w);
  const over = [...counts].filter(([, n]) => n > 1);
  expect(over, "recipients sent more than once").toEqual([]);
  return counts;
}

export type RecipientRow = { id: number; phone: string; state: string; reason: string | null; error_code: number | null; wamid: string | null };

/** Every recipient of the campaign, through the API (all pages). */
export async function allRecipients(admin: Account, campaignId: number, state?: string): Promise<RecipientRow[]> {
  const out: RecipientRow[] = [];
  let cursor: string | null = null;
  do {
    const page: { data: RecipientRow[]; next_cursor: string | null } = await callJson(
      `/api/campaigns/${campaignId}/recipients?limit=500${state ? `&state=${state}` : ""}${cursor ? `&cursor=${cursor}` : ""}`,
      { auth: admin },
    );
    out.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor);
  return out;
}

const FINAL_STATES = new Set(["sent", "delivered", "read", "replied", "failed", "skipped", "cancelled", "unknown"]);

/**
 * Every recipient is in exactly one final state: the object's per-state counts add up to the
 * total, none is pending/released/sending, and the recipients listing holds each phone once.
 */
export async function expectAllFinal(w: Pick<World, "admin">, campaignId: number, total: number): Promise<Progress> {
  const progress = (await senderOf(campaignId).progress()) as Progress;
  expect(progress.total).toBe(total);
  expect(Object.values(progress.states).reduce((a, b) => a + b, 0)).toBe(total);
  expect({ pending: progress.states.pending, released: progress.states.released, sending: progress.states.sending }).toEqual({
    pending: 0,
    released: 0,
    sending: 0,
  });
  const rows = await allRecipients(w.admin, campaignId);
  expect(rows).toHaveLength(total);
  expect(new Set(rows.map((r) => r.phone)).size).toBe(total);
  for (const r of rows) expect(FINAL_STATES.has(r.state), `recipient ${r.phone} is ${r.state}`).toBe(true);
  const view = await callJson<{ progress: Record<string, number> }>(`/api/campaigns/${campaignId}`, { auth: w.admin });
  expect(view.progress.total).toBe(total);
  expect(view.progress.pending).toBe(0);
  return progress;
}

export async function campaignView(admin: Account, campaignId: number): Promise<any> {
  return callJson(`/api/campaigns/${campaignId}`, { auth: admin });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the object's alarm (if one is set) until `until` holds, polling the campaign. */
export async function drive(admin: Account, campaignId: number, until: (c: any) => boolean, timeoutMs = 15_000): Promise<any> {
  const stub = senderOf(campaignId);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await runDurableObjectAlarm(stub);
    const campaign = await campaignView(admin, campaignId);
    if (until(campaign) || Date.now() > deadline) return campaign;
    await sleep(50);
  }
}

/**
 * Makes the campaign's object hand its outbound messages to the test instead of the queue:
 * every job it would send is pushed to the returned array. The object must not have released
 * anything yet (call before launching).
 */
export async function holdOutbound(campaignId: number): Promise<OutboundJob[]> {
  const held: OutboundJob[] = [];
  await runInDurableObject(senderOf(campaignId), (instance: CampaignSender) => {
    const self = instance as unknown as { env: Env };
    const fake = {
      async send(body: OutboundJob) {
        held.push(body);
      },
      async sendBatch(messages: { body: OutboundJob }[]) {
        for (const m of messages) held.push(m.body);
      },
    };
    self.env = Object.assign(Object.create(self.env) as Env, { OUTBOUND: fake });
  });
  return held;
}

/** Delivers outbound jobs to the Worker's queue consumer as one batch; resolves when it settled. */
export async function deliver(jobs: OutboundJob[]) {
  const batch = createMessageBatch<OutboundJob>(
    "herald-outbound",
    jobs.map((body, i) => ({ id: `m${seq++}-${i}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  return getQueueResult(batch, ctx);
}

/** Reads the object's recipients straight from its SQLite storage. */
export function rowsOf(campaignId: number) {
  return runInDurableObject(senderOf(campaignId), (_: CampaignSender, state) =>
    state.storage.sql
      .exec<{ id: number; phone: string; state: string; claimed_at: number | null; released_at: number | null }>(
        "SELECT id, phone, state, claimed_at, released_at FROM recipients ORDER BY id",
      )
      .toArray(),
  );
}

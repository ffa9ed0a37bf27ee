import { createExecutionContext, createMessageBatch, getQueueResult, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { RecipientStore } from "../../worker/campaigns/sender/store";
import { parseWebhookEnvelope } from "../../worker/domain/webhook-envelope";
import worker from "../../worker/index";
import type { WebhookJob } from "../../worker/webhooks/job";
import { callJson } from "../helpers";
import {
  allRecipients,
  createCampaign,
  drive,
  INSTANT_STATUSES,
  senderOf,
  setScenario,
  sleep,
  templateCampaign,
  textCampaign,
  type World,
  world,
} from "./world";

type Cost = {
  currency: string;
  total: string;
  billable: number;
  free: number;
  unknown_rate: number;
  no_pricing: number;
  by_variant: { variant: number; total: string; billable: number; free: number; unknown_rate: number; no_pricing: number }[];
  by_country: {
    country: string | null;
    market: string | null;
    category: string | null;
    billable: number;
    free: number;
    rate: string | null;
    subtotal: string | null;
  }[];
  rate_card: { effective_date: string; source: string };
  estimate: { total: string; billable: number } | null;
};

const costOf = (w: World, id: number) => callJson<Cost>(`/api/campaigns/${id}/cost`, { auth: w.admin });
const estimateOf = async (w: World, id: number) => (await callJson<any>(`/api/campaigns/${id}/preview`, { auth: w.admin })).cost_estimate;
const launch = (w: World, id: number) => callJson(`/api/campaigns/${id}/launch`, { json: {}, expect: 200, auth: w.admin });

/** A reminder (appointment_reminder, a UTILITY template) for the world's audience. */
const reminderCampaign = (w: World) => ({
  ...templateCampaign(w),
  title: "Reminder",
  content: {
    type: "template",
    template_name: "appointment_reminder",
    language: "en_US",
    values: {
      body: { "1": { source: "contact", field: "name" }, "2": { source: "fixed", value: "June 3" }, "3": { source: "fixed", value: "10:30" } },
    },
  },
});

/** Marks the first `count` contacts of the world as having written a minute ago: their service window is open. */
async function wroteJustNow(w: World, count: number) {
  const phones = JSON.stringify(w.phones.slice(0, count));
  await env.DB.prepare("UPDATE contacts SET last_inbound_at = unixepoch() - 60 WHERE workspace_id = ? AND phone IN (SELECT value FROM json_each(?))")
    .bind(w.admin.workspaceId, phones)
    .run();
}

const envelope = (w: World, statuses: unknown[]) => ({
  object: "whatsapp_business_account",
  entry: [
    {
      id: "1",
      changes: [
        {
          field: "messages",
          value: { messaging_product: "whatsapp", metadata: { display_phone_number: "1", phone_number_id: w.inbox.phone_number_id }, statuses },
        },
      ],
    },
  ],
});

const PRICED = { billable: true, pricing_model: "PMP", category: "marketing", type: "regular" };
const FREE = { billable: false, pricing_model: "PMP", category: "service", type: "free_customer_service" };

const status = (id: number, r: { id: number; wamid: string | null; phone: string }, s: string, ts: number, pricing?: unknown) => ({
  id: r.wamid,
  status: s,
  timestamp: String(ts),
  recipient_id: r.phone.slice(1),
  biz_opaque_callback_data: `herald:c:${id}:${r.id}`,
  ...(pricing ? { pricing } : {}),
});

/** Runs the webhook consumer on envelopes received through `w`'s inbox, one queue message each. */
async function consume(w: World, ...envelopes: unknown[]) {
  const messages = envelopes.map((e, i) => {
    const parsed = parseWebhookEnvelope(e);
    if (!parsed.ok) throw new Error(parsed.reason);
    const body: WebhookJob = { inboxId: w.inbox.id, workspaceId: w.admin.workspaceId, receivedAt: Date.now(), events: parsed.events };
    return { id: `c${i}-${Math.random()}`, timestamp: new Date(), attempts: 1, body };
  });
  const batch = createMessageBatch("herald-webhooks", messages);
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch<WebhookJob>, env, ctx);
  expect((await getQueueResult(batch, ctx)).retryMessages).toEqual([]);
}

describe("the estimate in the launch preview", () => {
  it("prices a marketing template per recipient at the card's rate for their country, inside the window too", async () => {
    const w = await world(4);
    await wroteJustNow(w, 2);
    // One more recipient, in the United States.
    await callJson("/api/contacts", { json: { name: "Sam", phone: "+12125550123", label_ids: [w.labelId] }, auth: w.admin });
    const id = await createCampaign(w, templateCampaign(w));
    expect(await estimateOf(w, id)).toEqual({
      currency: "USD",
      category: "marketing",
      // 4 × 0.0625 + 1 × 0.025
      total: "0.275",
      billable: 5,
      free: 0,
      unknown_rate: 0,
      lines: [
        { country: "BR", market: "Brazil", recipients: 4, billable: 4, rate: "0.0625", subtotal: "0.25" },
        { country: "US", market: "North America", recipients: 1, billable: 1, rate: "0.025", subtotal: "0.025" },
      ],
      rate_card: { effective_date: "2026-01-01", source: expect.stringContaining("whatsapp/pricing") },
    });
  });

  it("counts utility recipients inside the 24 h window as free, and applies the workspace's override", async () => {
    const w = await world(5);
    await wroteJustNow(w, 2);
    const id = await createCampaign(w, reminderCampaign(w));
    expect(await estimateOf(w, id)).toMatchObject({ category: "utility", total: "0.0204", billable: 3, free: 2, unknown_rate: 0 });
    await callJson("/api/rates/overrides", { method: "PUT", json: { country: "BR", category: "utility", rate: "0.01" }, expect: 200, auth: w.admin });
    expect(await estimateOf(w, id)).toMatchObject({ total: "0.03", lines: [{ country: "BR", rate: "0.01", subtotal: "0.03" }] });
  });

  it("costs nothing for free text, which only reaches recipients inside the window", async () => {
    const w = await world(5);
    await wroteJustNow(w, 3);
    const id = await createCampaign(w, textCampaign(w));
    expect(await estimateOf(w, id)).toMatchObject({ category: null, total: "0.00", billable: 0, free: 3, unknown_rate: 0 });
  });

  it("counts recipients apart when their rate is unknown (a template that is no longer synced)", async () => {
    const w = await world(3);
    const id = await createCampaign(w, templateCampaign(w));
    await env.DB.prepare("DELETE FROM templates WHERE inbox_id = ?").bind(w.inbox.id).run();
    expect(await estimateOf(w, id)).toMatchObject({
      category: null,
      total: "0.00",
      billable: 3,
      unknown_rate: 3,
      lines: [{ country: "BR", rate: null, subtotal: null }],
    });
  });
});

describe("the cost so far", () => {
  it("is the billable deliveries × the rate; duplicates, reordering, failures and sends without pricing change nothing twice", async () => {
    const w = await world(5);
    const id = await createCampaign(w, templateCampaign(w));
    await launch(w, id);
    await drive(w.admin, id, (c) => c.status === "completed");
    const [a, b, c, d, e] = (await allRecipients(w.admin, id)) as [any, any, any, any, any];
    const t = Math.floor(Date.now() / 1000);
    expect(await costOf(w, id)).toMatchObject({ total: "0.00", billable: 0, estimate: { total: "0.3125", billable: 5 } });

    await consume(
      w,
      // a: sent and delivered, both priced; b: read before its priced delivered status; c: delivered twice.
      envelope(w, [status(id, a, "sent", t, PRICED), status(id, a, "delivered", t + 1, PRICED), status(id, b, "read", t + 3)]),
      envelope(w, [status(id, b, "delivered", t + 2, PRICED), status(id, c, "delivered", t + 1, PRICED)]),
      envelope(w, [status(id, c, "delivered", t + 1, PRICED), status(id, a, "delivered", t + 1, PRICED)]),
      // d: priced when sent, then failed: not billed. e: delivered with no pricing at all.
      envelope(w, [status(id, d, "sent", t, PRICED), status(id, d, "failed", t + 2), status(id, e, "delivered", t + 2)]),
    );
    const cost = await costOf(w, id);
    expect(cost).toMatchObject({ currency: "USD", total: "0.1875", billable: 3, free: 0, unknown_rate: 0, no_pricing: 1 });
    expect(cost.by_country).toEqual([{ country: "BR", market: "Brazil", category: "marketing", billable: 3, free: 0, rate: "0.0625", subtotal: "0.1875" }]);
    expect(cost.by_variant).toEqual([{ variant: 0, total: "0.1875", billable: 3, free: 0, unknown_rate: 0, no_pricing: 1 }]);
    expect(cost.estimate).toMatchObject({ total: "0.3125" });

    // The same events again, in another order: nothing moves.
    await consume(w, envelope(w, [status(id, c, "delivered", t + 1, PRICED), status(id, b, "delivered", t + 2, PRICED), status(id, a, "read", t + 5, PRICED)]));
    expect(await costOf(w, id)).toMatchObject({ total: "0.1875", billable: 3 });

    // Priced at the rates in force: an override applies to what was delivered already.
    await callJson("/api/rates/overrides", { method: "PUT", json: { country: "BR", category: "marketing", rate: "0.1" }, expect: 200, auth: w.admin });
    expect(await costOf(w, id)).toMatchObject({ total: "0.30", billable: 3 });
  });

  it("is split per variant", async () => {
    const w = await world(4);
    await wroteJustNow(w, 4);
    const id = await createCampaign(w, textCampaign(w, ["Oi {{contact.name}}!", "Olá {{contact.name}}!"], { randomize_variants: false }));
    await launch(w, id);
    await drive(w.admin, id, (c) => c.status === "completed");
    const recipients = (await allRecipients(w.admin, id)) as any[];
    const t = Math.floor(Date.now() / 1000);
    // Free text inside the window is free; one message's statuses carry no pricing.
    await consume(
      w,
      envelope(
        w,
        recipients.map((r, i) => status(id, r, "delivered", t, i === 3 ? undefined : FREE)),
      ),
    );
    const variants = recipients.map((r) => r.variant as number);
    const count = (v: number, upTo = 3) => variants.slice(0, upTo).filter((x) => x === v).length;
    const cost = await costOf(w, id);
    expect(new Set(variants)).toEqual(new Set([0, 1]));
    expect(cost).toMatchObject({ total: "0.00", billable: 0, free: 3, no_pricing: 1 });
    expect(cost.by_variant).toEqual(
      [0, 1].map((v) => ({ variant: v, total: "0.00", billable: 0, free: count(v), unknown_rate: 0, no_pricing: variants[3] === v ? 1 : 0 })),
    );
    expect(cost.by_country).toEqual([{ country: "BR", market: "Brazil", category: "service", billable: 0, free: 3, rate: null, subtotal: "0.00" }]);
  });

  it("is nothing for a campaign not launched", async () => {
    const w = await world(2);
    const id = await createCampaign(w, templateCampaign(w));
    expect(await costOf(w, id)).toMatchObject({ total: "0.00", billable: 0, by_variant: [], by_country: [], estimate: null });
  });

  it("answers 404 for another workspace's campaign", async () => {
    const w = await world(1);
    const other = await world(0, { sync: false });
    const id = await createCampaign(w, templateCampaign(w));
    const res = await callJson<{ error: { code: string } }>(`/api/campaigns/${id}/cost`, { auth: other.admin, expect: 404 });
    expect(res.error.code).toBe("not_found");
  });

  it("follows the pricing the sandbox reports on its signed status webhooks", async () => {
    const w = await world(4);
    await setScenario(w.admin, w.inbox.id, INSTANT_STATUSES);
    const id = await createCampaign(w, templateCampaign(w));
    await launch(w, id);
    await drive(w.admin, id, (c) => c.status === "completed");
    const sandbox = env.SANDBOX.get(env.SANDBOX.idFromName(w.inbox.phone_number_id));
    let cost = await costOf(w, id);
    for (let i = 0; i < 60 && cost.billable < 4; i++) {
      await runDurableObjectAlarm(sandbox);
      await sleep(100);
      cost = await costOf(w, id);
    }
    // Each message's sent and delivered statuses both carry its pricing: billed once.
    expect(cost).toMatchObject({ total: "0.25", billable: 4, free: 0, no_pricing: 0, estimate: { total: "0.25" } });
    expect(cost.by_variant).toEqual([{ variant: 0, total: "0.25", billable: 4, free: 0, unknown_rate: 0, no_pricing: 0 }]);
  });

  it("counts the deliveries of an object created before pricing was kept, once, and prices them as pricing arrives", async () => {
    const groups = await runInDurableObject(senderOf(900_000_000 + Math.floor(Math.random() * 1e6)), (_instance, state) => {
      const sql = state.storage.sql;
      // The recipients table as its first release created it.
      sql.exec(`CREATE TABLE recipients (id INTEGER PRIMARY KEY, contact_id INTEGER NOT NULL, phone TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
        attributes TEXT NOT NULL, state TEXT NOT NULL, due_at INTEGER, attempts INTEGER NOT NULL DEFAULT 0, variant INTEGER, wamid TEXT,
        error_code INTEGER, error_title TEXT, error_details TEXT, reason TEXT, content TEXT, released_at INTEGER, claimed_at INTEGER,
        sent_at INTEGER, delivered_at INTEGER, read_at INTEGER, replied_at INTEGER, failed_at INTEGER, updated_at INTEGER)`);
      const add = (id: number, phone: string, st: string) =>
        sql.exec(
          "INSERT INTO recipients (id, contact_id, phone, name, attributes, state, variant, wamid) VALUES (?, ?, ?, '', '{}', ?, 0, ?)",
          id,
          id,
          phone,
          st,
          `w${id}`,
        );
      add(1, "+5511900000001", "delivered");
      add(2, "+5511900000002", "read");
      add(3, "+5511900000003", "sent");
      const store = new RecipientStore(sql);
      const before = store.billing();
      expect(store.recordBilling(1, "w1", { billable: true, category: "marketing" })).toBe(true);
      expect(store.recordBilling(1, "w1", { billable: false, category: "service" })).toBe(false);
      expect(store.recordBilling(2, "other-wamid", { billable: true, category: "marketing" })).toBe(false);
      expect(store.recordBilling(3, "w3", { billable: true, category: "marketing" })).toBe(true);
      return { before, after: store.billing() };
    });
    expect(groups.before).toEqual([{ variant: 0, prefix: "5511", category: null, billable: null, count: 2 }]);
    // Recipient 3 is priced but not delivered: it is not counted until it is.
    expect(groups.after).toEqual([
      { variant: 0, prefix: "5511", category: null, billable: null, count: 1 },
      { variant: 0, prefix: "5511", category: "marketing", billable: true, count: 1 },
    ]);
  });
});

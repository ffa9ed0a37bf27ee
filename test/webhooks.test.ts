import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { parseWebhookEnvelope } from "../worker/domain/webhook-envelope";
import worker from "../worker/index";
import { forgetWebhookAuth, webhookInboxes } from "../worker/webhooks/inbox-directory";
import type { WebhookJob } from "../worker/webhooks/job";
import { hmacKey, signBody } from "../worker/webhooks/signature";
import { type Account, call, callJson, seedWorkspace } from "./helpers";

const APP_SECRET = "webhook-app-secret-0123456789";
const VERIFY_TOKEN = "verify-token-for-tests";

type Inbox = { id: number; phone_number_id: string; waba_id: string };

async function cloudInbox(account: Account): Promise<Inbox> {
  return callJson<Inbox>("/api/inboxes", {
    json: {
      name: "Webhooks",
      provider: "cloud",
      phone_number_id: String(100000 + Math.floor(Math.random() * 1e9)),
      waba_id: "419561257915477",
      access_token: "token",
      app_secret: APP_SECRET,
      verify_token: VERIFY_TOKEN,
    },
    auth: account,
  });
}

const envelope = (inbox: Inbox, value: Record<string, unknown>, field = "messages") => ({
  object: "whatsapp_business_account",
  entry: [
    {
      id: inbox.waba_id,
      changes: [
        {
          field,
          value: { messaging_product: "whatsapp", metadata: { display_phone_number: "15550783881", phone_number_id: inbox.phone_number_id }, ...value },
        },
      ],
    },
  ],
});

const status = (wamid: string, s: string, ts: number, extra: Record<string, unknown> = {}) => ({
  id: wamid,
  status: s,
  timestamp: String(ts),
  recipient_id: "5511987654321",
  ...extra,
});

const inbound = (from: string, wamid: string, ts: number, text: string, extra: Record<string, unknown> = {}) => ({
  from,
  id: wamid,
  timestamp: String(ts),
  type: "text",
  text: { body: text },
  ...extra,
});

async function post(inboxId: number, body: string, signature?: string | null) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (signature !== null) headers["x-hub-signature-256"] = signature ?? (await signBody(await hmacKey(APP_SECRET), body));
  return call(`/webhooks/whatsapp/${inboxId}`, { method: "POST", body, headers });
}

/** Runs the queue consumer on jobs built from envelopes, as the queue would deliver them. */
async function consume(inbox: Inbox, account: Account, ...envelopes: unknown[]) {
  const messages = envelopes.map((e, i) => {
    const parsed = parseWebhookEnvelope(e);
    if (!parsed.ok) throw new Error(parsed.reason);
    const body: WebhookJob = { inboxId: inbox.id, workspaceId: account.workspaceId, receivedAt: Date.now(), events: parsed.events };
    return { id: `m${i}-${Math.random()}`, timestamp: new Date(), attempts: 1, body };
  });
  const batch = createMessageBatch("herald-webhooks", messages);
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch<WebhookJob>, env, ctx);
  const result = await getQueueResult(batch, ctx);
  expect(result.explicitAcks.length + (result.ackAll ? messages.length : 0)).toBe(messages.length);
  expect(result.retryMessages).toEqual([]);
}

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const eventsOf = (inboxId: number) =>
  env.DB.prepare("SELECT wamid, status, occurred_at FROM message_events WHERE inbox_id = ? ORDER BY wamid, status")
    .bind(inboxId)
    .all<{ wamid: string; status: string; occurred_at: number }>();

describe("verification handshake", () => {
  it("echoes the challenge for the right verify token only", async () => {
    const account = await seedWorkspace();
    const inbox = await cloudInbox(account);
    const ok = await call(`/webhooks/whatsapp/${inbox.id}?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1158201444`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe("1158201444");
    const wrong = await call(`/webhooks/whatsapp/${inbox.id}?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1`);
    expect(wrong.status).toBe(403);
    expect(await wrong.text()).not.toContain("1");
    const mode = await call(`/webhooks/whatsapp/${inbox.id}?hub.mode=unsubscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1`);
    expect(mode.status).toBe(403);
    expect((await call(`/webhooks/whatsapp/999999?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1`)).status).toBe(403);
  });
});

/** Status, body and headers of a response, to compare two answers whole. */
const answerOf = async (res: Response) => ({ status: res.status, body: await res.text(), headers: [...res.headers] });

const postTo = (path: string, body: string, signature: string) =>
  call(`/webhooks/whatsapp/${path}`, { method: "POST", body, headers: { "content-type": "application/json", "x-hub-signature-256": signature } });

describe("inboxes that do not exist", () => {
  it("get the same answer as a known inbox given a wrong signature, a body too large or a wrong verify token", async () => {
    const account = await seedWorkspace();
    const inbox = await cloudInbox(account);
    const body = JSON.stringify(envelope(inbox, { statuses: [status("wamid.PROBE", "sent", 1750000000)] }));
    const forged = await signBody(await hmacKey("not the app secret"), body);
    const unknown = [String(inbox.id + 1), String(inbox.id + 100_000), "999999999999", "0", "abc"];

    const badSignature = await answerOf(await postTo(String(inbox.id), body, forged));
    expect(badSignature.status).toBe(401);
    for (const id of unknown) expect(await answerOf(await postTo(id, body, forged)), id).toEqual(badSignature);

    const huge = `{"pad":"${"z".repeat(3 * 1024 * 1024)}"}`;
    const tooLarge = await answerOf(await postTo(String(inbox.id), huge, forged));
    expect(tooLarge.status).toBe(413);
    expect(await answerOf(await postTo(unknown[1]!, huge, forged))).toEqual(tooLarge);

    // The handshake proves the verify token, nothing more: with the right token, an unknown inbox
    // is refused exactly as a known one given a wrong token.
    const handshake = (id: string, token: string) => call(`/webhooks/whatsapp/${id}?hub.mode=subscribe&hub.verify_token=${token}&hub.challenge=1158201444`);
    const wrongToken = await answerOf(await handshake(String(inbox.id), "not-the-verify-token"));
    expect(wrongToken.status).toBe(403);
    for (const id of unknown) expect(await answerOf(await handshake(id, VERIFY_TOKEN)), id).toEqual(wrongToken);
    expect(await answerOf(await handshake(String(inbox.id), VERIFY_TOKEN))).toMatchObject({ status: 200, body: "1158201444" });
  });

  it("are not looked up in D1 again and again", async () => {
    const account = await seedWorkspace();
    const deleted = await cloudInbox(account);
    const inbox = await cloudInbox(account);
    await callJson(`/api/inboxes/${deleted.id}`, { method: "DELETE", expect: 204, auth: account });
    const body = JSON.stringify(envelope(inbox, { statuses: [status("wamid.PROBE", "sent", 1750000000)] }));
    const forged = await signBody(await hmacKey("not the app secret"), body);
    // As in a fresh isolate, which knows no inbox id yet; the clock stands still meanwhile.
    forgetWebhookAuth();
    const clock = vi.spyOn(Date, "now").mockReturnValue(Date.now());
    try {
      const before = webhookInboxes.reads;
      for (let i = 1; i <= 10; i++) {
        expect((await postTo(String(inbox.id + 1000 * i), body, forged)).status).toBe(401);
        expect((await postTo(String(inbox.id + 1), body, forged)).status).toBe(401);
        expect((await postTo(String(deleted.id), body, forged)).status).toBe(401);
        expect((await call(`/webhooks/whatsapp/${deleted.id}?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1`)).status).toBe(403);
      }
      // The highest inbox id, read for the first far id and again for the next id (an inbox that
      // could have been created since), then the deleted inbox's row; nothing for the other 37.
      expect(webhookInboxes.reads - before).toBe(3);
    } finally {
      clock.mockRestore();
    }
  });

  it("a new inbox is accepted at once, even when its very id was asked for just before (in another isolate: within seconds)", async () => {
    const account = await seedWorkspace();
    const first = await cloudInbox(account);
    let now = Date.now();
    const clock = vi.spyOn(Date, "now").mockImplementation(() => now);
    const unsigned = `sha256=${"0".repeat(64)}`;
    const signed = (inbox: Inbox) => post(inbox.id, JSON.stringify(envelope(inbox, { statuses: [status(`wamid.NEW${inbox.id}`, "sent", 1750000000)] })));
    const handshake = (inbox: Inbox) => call(`/webhooks/whatsapp/${inbox.id}?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=42`);
    try {
      // Unknown ids far above the highest are being asked for: the new inbox answers at once all the same.
      expect((await postTo(String(first.id + 100_000), "{}", unsigned)).status).toBe(401);
      const second = await cloudInbox(account);
      expect((await handshake(second)).status).toBe(200);
      expect((await signed(second)).status).toBe(200);
      expect((await postTo(String(first.id + 200_000), "{}", unsigned)).status).toBe(401);
      const third = await cloudInbox(account);
      expect((await signed(third)).status).toBe(200);

      // Its very id was asked for before it existed: creating it tells this isolate's route at once.
      expect((await postTo(String(third.id + 1), "{}", unsigned)).status).toBe(401);
      const fourth = await cloudInbox(account);
      expect(fourth.id).toBe(third.id + 1);
      expect((await handshake(fourth)).status).toBe(200);
      expect((await signed(fourth)).status).toBe(200);

      // An isolate that did not see it created (its record forgotten here by hand) rechecks the id
      // once NEW_ID_RECHECK_MS has passed.
      expect((await postTo(String(fourth.id + 1), "{}", unsigned)).status).toBe(401);
      const fifth = await cloudInbox(account);
      webhookInboxes.forget(fifth.id);
      (webhookInboxes as unknown as { remember(id: number, m: { at: number; forGood: boolean }): void }).remember(fifth.id, { at: now, forGood: false });
      expect((await signed(fifth)).status).toBe(401);
      now += 5_000;
      expect((await handshake(fifth)).status).toBe(200);
      expect((await signed(fifth)).status).toBe(200);
    } finally {
      clock.mockRestore();
    }
  });
});

describe("signature check", () => {
  it("accepts a correctly signed POST and the events reach the database through the queue", async () => {
    const account = await seedWorkspace();
    const inbox = await cloudInbox(account);
    const now = Math.floor(Date.now() / 1000);
    const body = JSON.stringify(envelope(inbox, { statuses: [status("wamid.SIGNED", "sent", now)] }));
    const res = await post(inbox.id, body);
    expect(res.status).toBe(200);
    const rows = await waitFor(
      () => eventsOf(inbox.id),
      (r) => r.results.length > 0,
    );
    expect(rows.results).toEqual([{ wamid: "wamid.SIGNED", status: "sent", occurred_at: now }]);
  });

  it("refuses a wrong, malformed or missing signature with 401 and stores nothing", async () => {
    const account = await seedWorkspace();
    const inbox = await cloudInbox(account);
    const body = JSON.stringify(envelope(inbox, { statuses: [status("wamid.FORGED", "read", 1750000000)] }));
    const otherKey = await signBody(await hmacKey("another secret"), body);
    const tampered = await signBody(await hmacKey(APP_SECRET), body.replace("read", "sent"));
    for (const signature of [otherKey, tampered, "sha256=zz", "sha1=abc", "", null]) {
      const res = await post(inbox.id, body, signature);
      expect(res.status, String(signature)).toBe(401);
    }
    // An unsigned body that is not even JSON is refused before it is parsed.
    expect((await post(inbox.id, "{not json", null)).status).toBe(401);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await eventsOf(inbox.id)).results).toEqual([]);
  });

  it("answers 401 for an unknown inbox; a signed body that is not an envelope is acknowledged and dropped", async () => {
    const account = await seedWorkspace();
    const inbox = await cloudInbox(account);
    expect((await post(987654, "{}")).status).toBe(401);
    // Signed, so from Meta: a retry would bring the same body again, so it is acknowledged, and
    // the consumer drops it without holding up the valid envelope queued after it.
    expect((await post(inbox.id, "not json")).status).toBe(200);
    expect((await post(inbox.id, JSON.stringify({ object: "page", entry: [] }))).status).toBe(200);
    const now = Math.floor(Date.now() / 1000);
    expect((await post(inbox.id, JSON.stringify(envelope(inbox, { statuses: [status("wamid.AFTER", "sent", now)] })))).status).toBe(200);
    const rows = await waitFor(
      () => eventsOf(inbox.id),
      (r) => r.results.length > 0,
    );
    expect(rows.results).toEqual([{ wamid: "wamid.AFTER", status: "sent", occurred_at: now }]);
  });

  it("splits a body too large for one queue message into parts, and every event arrives", async () => {
    const account = await seedWorkspace();
    const inbox = await cloudInbox(account);
    const now = Math.floor(Date.now() / 1000);
    // 1,000 statuses with long callback data: about 400 KB, four times what one queue message takes.
    const statuses = Array.from({ length: 1000 }, (_, i) =>
      status(`wamid.BIG${String(i).padStart(4, "0")}`, "delivered", now, { biz_opaque_callback_data: `x${"y".repeat(300)}` }),
    );
    const body = JSON.stringify(envelope(inbox, { statuses }));
    expect(body.length).toBeGreaterThan(384 * 1024);
    expect((await post(inbox.id, body)).status).toBe(200);
    const rows = await waitFor(
      () => eventsOf(inbox.id),
      (r) => r.results.length >= 1000,
      15_000,
    );
    expect(rows.results.length).toBe(1000);
    expect(new Set(rows.results.map((r) => r.wamid)).size).toBe(1000);
    expect(rows.results.every((r) => r.status === "delivered" && r.occurred_at === now)).toBe(true);
  });

  it("refuses a body over 3 MB with 413 before reading it whole", async () => {
    const account = await seedWorkspace();
    const inbox = await cloudInbox(account);
    expect((await post(inbox.id, `{"pad":"${"z".repeat(3 * 1024 * 1024)}"}`)).status).toBe(413);
  });

  it("refuses a streamed body without Content-Length with 413 once it passes 3 MB, and stops reading it", async () => {
    const account = await seedWorkspace();
    const inbox = await cloudInbox(account);
    const chunk = new Uint8Array(64 * 1024).fill(0x7a);
    const total = 32 * 1024 * 1024;
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled >= total) return controller.close();
        pulled += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    // A stream of unknown length: the request carries no Content-Length.
    const res = await call(`/webhooks/whatsapp/${inbox.id}`, {
      method: "POST",
      body,
      headers: { "content-type": "application/json", "x-hub-signature-256": `sha256=${"0".repeat(64)}` },
    });
    expect(res.status).toBe(413);
    expect(await res.text()).toBe("payload too large");
    // Whatever the runtime buffers between the two sides, far less than the 32 MB offered was read.
    expect(pulled).toBeLessThan(8 * 1024 * 1024);
  });
});

describe("applying events", () => {
  it("stores each status once, whatever the duplicates and order", async () => {
    const account = await seedWorkspace();
    const inbox = await cloudInbox(account);
    const read = envelope(inbox, { statuses: [status("wamid.A", "read", 1750000030)] });
    const delivered = envelope(inbox, { statuses: [status("wamid.A", "delivered", 1750000020)] });
    const sent = envelope(inbox, { statuses: [status("wamid.A", "sent", 1750000010)] });
    await consume(inbox, account, read, read, delivered);
    await consume(inbox, account, sent, delivered, read);
    expect((await eventsOf(inbox.id)).results.map((r) => r.status)).toEqual(["delivered", "read", "sent"]);
  });

  it("parses a POST with several entries and changes, and statuses without recipient_id", async () => {
    const account = await seedWorkspace();
    const inbox = await cloudInbox(account);
    const base = envelope(inbox, {});
    const multi = {
      object: "whatsapp_business_account",
      entry: [
        {
          ...base.entry[0],
          changes: [
            base.entry[0]!.changes[0],
            { ...base.entry[0]!.changes[0], value: { ...base.entry[0]!.changes[0]!.value, statuses: [status("wamid.M1", "sent", 1750000001)] } },
          ],
        },
        {
          ...base.entry[0],
          changes: [
            {
              ...base.entry[0]!.changes[0],
              value: {
                ...base.entry[0]!.changes[0]!.value,
                statuses: [{ id: "wamid.M2", status: "delivered", timestamp: "1750000002" }, status("wamid.M3", "read", 1750000003)],
              },
            },
          ],
        },
      ],
    };
    await consume(inbox, account, multi);
    expect((await eventsOf(inbox.id)).results.map((r) => `${r.wamid}:${r.status}`)).toEqual(["wamid.M1:sent", "wamid.M2:delivered", "wamid.M3:read"]);
  });

  it("an inbound message refreshes the service window, creates unknown contacts and keeps the profile name", async () => {
    const account = await seedWorkspace();
    const inbox = await cloudInbox(account);
    const known = await callJson<{ id: number }>("/api/contacts", { json: { name: "Known", phone: "+5511987650001" }, auth: account });
    await consume(
      inbox,
      account,
      envelope(inbox, {
        contacts: [{ profile: { name: "Stranger Name" }, wa_id: "5511987650002" }],
        messages: [inbound("5511987650001", "wamid.IN1", 1750000100, "oi"), inbound("5511987650002", "wamid.IN2", 1750000200, "hello")],
      }),
    );
    // An older message arriving later does not move the window back.
    await consume(inbox, account, envelope(inbox, { messages: [inbound("5511987650001", "wamid.IN0", 1750000050, "earlier")] }));
    const knownRow = await env.DB.prepare("SELECT name, last_inbound_at FROM contacts WHERE id = ?").bind(known.id).first();
    expect(knownRow).toEqual({ name: "Known", last_inbound_at: 1750000100 });
    const stranger = await env.DB.prepare("SELECT name, last_inbound_at, opted_out_at FROM contacts WHERE workspace_id = ? AND phone = '+5511987650002'")
      .bind(account.workspaceId)
      .first();
    expect(stranger).toEqual({ name: "Stranger Name", last_inbound_at: 1750000200, opted_out_at: null });
    const stored = await env.DB.prepare("SELECT count(*) AS n FROM inbound_messages WHERE inbox_id = ?").bind(inbox.id).first<{ n: number }>();
    expect(stored!.n).toBe(3);
    // A duplicate delivery changes nothing.
    await consume(inbox, account, envelope(inbox, { messages: [inbound("5511987650001", "wamid.IN1", 1750000100, "oi")] }));
    expect((await env.DB.prepare("SELECT count(*) AS n FROM inbound_messages WHERE inbox_id = ?").bind(inbox.id).first<{ n: number }>())!.n).toBe(3);
  });

  it("opt-out keywords (the workspace's list, any case or accents) opt the contact out; error 131050 stops only marketing", async () => {
    const account = await seedWorkspace();
    const inbox = await cloudInbox(account);
    await callJson("/api/workspace", { method: "PATCH", json: { opt_out_keywords: ["STOP", "PARAR", "Não quero"] }, auth: account });
    const phones = ["5511987651001", "5511987651002", "5511987651003", "5511987651004", "5511987651005"];
    await consume(
      inbox,
      account,
      envelope(inbox, {
        messages: [
          inbound(phones[0]!, "wamid.O1", 1750000001, "  parar! "),
          inbound(phones[1]!, "wamid.O2", 1750000002, "nao QUERO"),
          inbound(phones[2]!, "wamid.O3", 1750000003, "please don't stop the offers"),
          { from: phones[3], id: "wamid.O4", timestamp: "1750000004", type: "button", button: { payload: "STOP", text: "Stop promotions" } },
        ],
      }),
    );
    const cloudStatus = envelope(inbox, {
      statuses: [status("wamid.F1", "failed", 1750000005, { recipient_id: phones[4], errors: [{ code: 131050, title: "User stopped marketing messages" }] })],
    });
    await consume(inbox, account, cloudStatus);
    const rows = await env.DB.prepare("SELECT phone, opted_out_at FROM contacts WHERE workspace_id = ? ORDER BY phone")
      .bind(account.workspaceId)
      .all<{ phone: string; opted_out_at: number | null }>();
    const optedOut = Object.fromEntries(rows.results.map((r) => [r.phone, r.opted_out_at !== null]));
    expect(optedOut).toEqual({
      "+5511987651001": true,
      "+5511987651002": true,
      "+5511987651003": false,
      "+5511987651004": true,
    });
    // 131050 records an existing contact's marketing stop as of the failure, and does not opt them out
    // (the failed status names no new contact).
    await callJson("/api/contacts", { json: { phone: `+${phones[4]}` }, auth: account });
    await consume(inbox, account, cloudStatus);
    const fifth = await env.DB.prepare("SELECT opted_out_at, marketing_stopped_at FROM contacts WHERE workspace_id = ? AND phone = ?")
      .bind(account.workspaceId, `+${phones[4]}`)
      .first<{ opted_out_at: number | null; marketing_stopped_at: number | null }>();
    expect(fifth).toEqual({ opted_out_at: null, marketing_stopped_at: 1750000005 });
  });

  it("ignores system and unsupported messages without failing the batch", async () => {
    const account = await seedWorkspace();
    const inbox = await cloudInbox(account);
    await consume(
      inbox,
      account,
      envelope(inbox, {
        messages: [
          {
            from: "16505551234",
            id: "wamid.SYS",
            timestamp: "1750269342",
            type: "system",
            system: { body: "changed number", wa_id: "12195555358", type: "user_changed_number" },
          },
          { from: "16505551234", id: "wamid.UNS", timestamp: "1750269343", type: "unsupported", errors: [{ code: 131051, title: "Message type unknown" }] },
        ],
      }),
      { object: "whatsapp_business_account", entry: [{ id: "1", changes: [{ field: "account_update", value: { event: "VERIFIED_ACCOUNT" } }] }] },
    );
    const n = await env.DB.prepare("SELECT count(*) AS n FROM inbound_messages WHERE inbox_id = ?").bind(inbox.id).first<{ n: number }>();
    expect(n!.n).toBe(0);
    const contacts = await env.DB.prepare("SELECT count(*) AS n FROM contacts WHERE workspace_id = ?").bind(account.workspaceId).first<{ n: number }>();
    expect(contacts!.n).toBe(0);
  });

  it("moves a single message's status forward only; failed yields to a later delivery", async () => {
    const account = await seedWorkspace();
    const inbox = await cloudInbox(account);
    const insert = (wamid: string) =>
      env.DB.prepare(
        "INSERT INTO messages (workspace_id, inbox_id, to_phone, kind, content, wamid, status) VALUES (?, ?, '+5511987650000', 'text', '{}', ?, 'accepted') RETURNING id",
      )
        .bind(account.workspaceId, inbox.id, wamid)
        .first<{ id: number }>();
    await insert("wamid.S1");
    await insert("wamid.S2");
    await consume(
      inbox,
      account,
      envelope(inbox, {
        statuses: [status("wamid.S1", "read", 3), status("wamid.S2", "failed", 2, { errors: [{ code: 131026, title: "Message undeliverable" }] })],
      }),
    );
    await consume(
      inbox,
      account,
      envelope(inbox, { statuses: [status("wamid.S1", "delivered", 2), status("wamid.S1", "sent", 1), status("wamid.S2", "sent", 1)] }),
    );
    const statusOf = async (wamid: string) => (await env.DB.prepare("SELECT status, error_code FROM messages WHERE wamid = ?").bind(wamid).first()) as any;
    expect(await statusOf("wamid.S1")).toEqual({ status: "read", error_code: null });
    expect(await statusOf("wamid.S2")).toEqual({ status: "failed", error_code: 131026 });
    await consume(inbox, account, envelope(inbox, { statuses: [status("wamid.S2", "delivered", 5)] }));
    expect((await statusOf("wamid.S2")).status).toBe("delivered");
  });

  it("template status changes update the synced template", async () => {
    const account = await seedWorkspace();
    const inbox = await cloudInbox(account);
    await env.DB.prepare(
      "INSERT INTO templates (workspace_id, inbox_id, meta_id, name, language, status, category, parameter_format, components, variables, synced_at) VALUES (?, ?, '555', 'promo', 'pt_BR', 'APPROVED', 'MARKETING', 'positional', '[]', '[]', 0)",
    )
      .bind(account.workspaceId, inbox.id)
      .run();
    await consume(
      inbox,
      account,
      envelope(
        inbox,
        { event: "PAUSED", message_template_id: 555, message_template_name: "promo", message_template_language: "pt_BR", reason: "LOW_QUALITY" },
        "message_template_status_update",
      ),
    );
    const row = await env.DB.prepare("SELECT status FROM templates WHERE inbox_id = ?").bind(inbox.id).first<{ status: string }>();
    expect(row!.status).toBe("PAUSED");
  });
});

describe("acknowledging queue messages", () => {
  const job = (inbox: Inbox, account: Account, events: unknown[]): WebhookJob => ({
    inboxId: inbox.id,
    workspaceId: account.workspaceId,
    receivedAt: Date.now(),
    events: events as WebhookJob extends { events: infer E } ? E : never,
  });
  const statusEvent = (inbox: Inbox, wamid: string | null, ts: number) => ({
    kind: "status",
    wabaId: inbox.waba_id,
    phoneNumberId: inbox.phone_number_id,
    wamid,
    status: "delivered",
    timestamp: ts,
    errors: [],
  });

  it("a job for a deleted inbox is dropped and one that fails is retried alone; the rest of the batch is applied and acknowledged", async () => {
    const account = await seedWorkspace();
    const inbox = await cloudInbox(account);
    const other = await cloudInbox(account);
    const gone = await cloudInbox(account);
    await callJson(`/api/inboxes/${gone.id}`, { method: "DELETE", expect: 204, auth: account });
    const bodies = [
      job(inbox, account, [statusEvent(inbox, "wamid.B1", 1750000001)]),
      job(gone, account, [statusEvent(gone, "wamid.GONE", 1750000002)]),
      // A status without a wamid cannot be stored: this job fails every time.
      job(inbox, account, [statusEvent(inbox, null, 1750000003)]),
      job(inbox, account, [statusEvent(inbox, "wamid.B2", 1750000004)]),
      job(other, account, [statusEvent(other, "wamid.B3", 1750000005)]),
    ];
    const batch = createMessageBatch(
      "herald-webhooks",
      bodies.map((body, i) => ({ id: `ack-${i}`, timestamp: new Date(), attempts: 3, body })),
    );
    const ctx = createExecutionContext();
    await worker.queue(batch as MessageBatch<WebhookJob>, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.ackAll).toBe(false);
    expect(result.retryBatch.retry).toBe(false);
    expect([...result.explicitAcks].sort()).toEqual(["ack-0", "ack-1", "ack-3", "ack-4"]);
    expect(result.retryMessages.map((m: { msgId: string }) => m.msgId)).toEqual(["ack-2"]);
    expect((await eventsOf(inbox.id)).results.map((r) => r.wamid)).toEqual(["wamid.B1", "wamid.B2"]);
    expect((await eventsOf(other.id)).results.map((r) => r.wamid)).toEqual(["wamid.B3"]);
  });
});

describe("marketing preferences (user_preferences)", () => {
  const preferences = (inbox: Inbox, ...items: { wa_id: string; value: string; timestamp: number; category?: string }[]) =>
    envelope(
      inbox,
      {
        contacts: items.map((i) => ({ profile: { name: "Ana" }, wa_id: i.wa_id })),
        user_preferences: items.map((i) => ({ detail: "", category: "marketing_messages", ...i, timestamp: String(i.timestamp) })),
      },
      "user_preferences",
    );
  type Row = { opted_out_at: number | null; marketing_stopped_at: number | null; marketing_preference_at: number | null };
  const contactRow = (account: Account, phone: string) =>
    env.DB.prepare("SELECT opted_out_at, marketing_stopped_at, marketing_preference_at FROM contacts WHERE workspace_id = ? AND phone = ?")
      .bind(account.workspaceId, phone)
      .first<Row>();

  it("a signed webhook stops a contact's marketing messages and a later one resumes them, through the route and the queue", async () => {
    const account = await seedWorkspace();
    const inbox = await cloudInbox(account);
    const contact = await callJson<{ id: number }>("/api/contacts", { json: { phone: "+5511987652001", name: "Ana" }, auth: account });
    const t = Math.floor(Date.now() / 1000) - 60;
    expect((await post(inbox.id, JSON.stringify(preferences(inbox, { wa_id: "5511987652001", value: "stop", timestamp: t })))).status).toBe(200);
    const stopped = await waitFor(
      () => contactRow(account, "+5511987652001"),
      (r) => r?.marketing_stopped_at !== null,
    );
    expect(stopped).toEqual({ opted_out_at: null, marketing_stopped_at: t, marketing_preference_at: t });
    const view = await callJson(`/api/contacts/${contact.id}`, { auth: account });
    expect(view).toMatchObject({ opted_out: false, marketing_stopped_at: new Date(t * 1000).toISOString() });
    const listed = await callJson<{ data: { id: number }[] }>("/api/contacts?marketing_stopped=true", { auth: account });
    expect(listed.data.map((c) => c.id)).toEqual([contact.id]);
    expect((await callJson<{ count: number }>("/api/contacts/count?marketing_stopped=false", { auth: account })).count).toBe(0);

    expect((await post(inbox.id, JSON.stringify(preferences(inbox, { wa_id: "5511987652001", value: "resume", timestamp: t + 30 })))).status).toBe(200);
    const resumed = await waitFor(
      () => contactRow(account, "+5511987652001"),
      (r) => r?.marketing_stopped_at === null,
    );
    expect(resumed).toEqual({ opted_out_at: null, marketing_stopped_at: null, marketing_preference_at: t + 30 });
    // Read-only: an operator cannot set or clear it.
    const patch = await call(`/api/contacts/${contact.id}`, { method: "PATCH", json: { marketing_stopped_at: null }, auth: account });
    expect(patch.status).toBe(400);
  });

  it("an event older than the latest applied changes nothing, whatever the order of arrival; a repeat neither", async () => {
    const account = await seedWorkspace();
    const inbox = await cloudInbox(account);
    const phone = "+5511987652002";
    await callJson("/api/contacts", { json: { phone }, auth: account });
    const wa = "5511987652002";
    const apply = (value: string, timestamp: number) => consume(inbox, account, preferences(inbox, { wa_id: wa, value, timestamp }));

    await apply("stop", 1_750_000_100);
    await apply("resume", 1_750_000_050); // older: Meta delivered it late
    expect(await contactRow(account, phone)).toMatchObject({ marketing_stopped_at: 1_750_000_100, marketing_preference_at: 1_750_000_100 });
    await apply("stop", 1_750_000_100); // a retry
    await apply("stop", 1_750_000_150); // still stopped: the first stop's time stays
    expect(await contactRow(account, phone)).toMatchObject({ marketing_stopped_at: 1_750_000_100, marketing_preference_at: 1_750_000_150 });
    await apply("resume", 1_750_000_200);
    await apply("stop", 1_750_000_120); // older than the resume
    expect(await contactRow(account, phone)).toMatchObject({ marketing_stopped_at: null, marketing_preference_at: 1_750_000_200 });
    // Within one delivery the latest wins, and a stop wins a tie.
    await consume(
      inbox,
      account,
      preferences(
        inbox,
        { wa_id: wa, value: "stop", timestamp: 1_750_000_300 },
        { wa_id: wa, value: "resume", timestamp: 1_750_000_400 },
        { wa_id: wa, value: "stop", timestamp: 1_750_000_400 },
      ),
    );
    expect(await contactRow(account, phone)).toMatchObject({ marketing_stopped_at: 1_750_000_400, marketing_preference_at: 1_750_000_400 });
  });

  it("resume lifts only the marketing stop: an opt-out by STOP keyword stays in force", async () => {
    const account = await seedWorkspace();
    const inbox = await cloudInbox(account);
    const phone = "+5511987652003";
    await callJson("/api/contacts", { json: { phone }, auth: account });
    await consume(inbox, account, envelope(inbox, { messages: [inbound("5511987652003", "wamid.STOP3", 1_750_000_000, "STOP")] }));
    await consume(inbox, account, preferences(inbox, { wa_id: "5511987652003", value: "stop", timestamp: 1_750_000_010 }));
    await consume(inbox, account, preferences(inbox, { wa_id: "5511987652003", value: "resume", timestamp: 1_750_000_020 }));
    expect(await contactRow(account, phone)).toEqual({ opted_out_at: 1_750_000_000, marketing_stopped_at: null, marketing_preference_at: 1_750_000_020 });
  });

  it("a number that is no contact of the workspace creates nothing; malformed items and other categories are dropped, the rest applied", async () => {
    const account = await seedWorkspace();
    const other = await seedWorkspace();
    const inbox = await cloudInbox(account);
    await callJson("/api/contacts", { json: { phone: "+5511987652004" }, auth: account });
    await callJson("/api/contacts", { json: { phone: "+5511987652005" }, auth: other });
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      await consume(
        inbox,
        account,
        preferences(
          inbox,
          { wa_id: "5511987652099", value: "stop", timestamp: 1_750_000_000 },
          { wa_id: "5511987652004", value: "stop", timestamp: 1_750_000_000, category: "utility_messages" },
          { wa_id: "5511987652004", value: "maybe", timestamp: 1_750_000_000 },
          { wa_id: "5511987652005", value: "stop", timestamp: 1_750_000_000 },
        ),
      );
      expect(await contactRow(account, "+5511987652004")).toMatchObject({ marketing_stopped_at: null, marketing_preference_at: null });
      expect(await contactRow(account, "+5511987652099")).toBeNull();
      // Another workspace's contact with that number is not touched through this inbox.
      expect(await contactRow(other, "+5511987652005")).toMatchObject({ marketing_stopped_at: null });
      await consume(inbox, account, preferences(inbox, { wa_id: "5511987652004", value: "stop", timestamp: 1_750_000_000 }));
      expect(await contactRow(account, "+5511987652004")).toMatchObject({ marketing_stopped_at: 1_750_000_000 });
    } finally {
      warn.mockRestore();
    }
  });
});

import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import type { WhatsAppSandbox } from "../../worker/sandbox/sandbox-do";
import { DEFAULT_SCENARIO } from "../../worker/sandbox/scenario";
import { newWamid, planEvents, retryDelayMs, signatureHeader, statusEnvelope } from "../../worker/sandbox/webhooks";
import { callJson } from "../helpers";
import { freshPhone, type SandboxFixture, sandboxInbox, send, stubOf, templateMessage, text } from "./helpers";

type Captured = { url: string; signature: string | null; contentType: string | null; body: string; json: any };

const INSTANT = {
  sent_delay_ms: [0, 0],
  delivered_delay_ms: [0, 0],
  read_delay_ms: [0, 0],
  reply_delay_ms: [0, 0],
  failed_rate: 0,
  unread_rate: 0,
  reply_rate: 0,
  opt_out_rate: 0,
};

/** Replaces the sandbox's webhook delivery with a recorder answering `status`. */
async function intercept(fx: SandboxFixture, status: () => number = () => 200): Promise<Captured[]> {
  const captured: Captured[] = [];
  await runInDurableObject(stubOf(fx), (instance: WhatsAppSandbox) => {
    instance.deliver = async (request) => {
      const body = await request.text();
      captured.push({
        url: request.url,
        signature: request.headers.get("x-hub-signature-256"),
        contentType: request.headers.get("content-type"),
        body,
        json: JSON.parse(body),
      });
      return new Response(null, { status: status() });
    };
  });
  return captured;
}

async function hmacHex(secret: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(body)));
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
}

const statusesOf = (captured: Captured[]) => captured.flatMap((c) => c.json.entry.flatMap((e: any) => e.changes.flatMap((ch: any) => ch.value.statuses ?? [])));
const inboundOf = (captured: Captured[]) => captured.flatMap((c) => c.json.entry.flatMap((e: any) => e.changes.flatMap((ch: any) => ch.value.messages ?? [])));

describe("status webhooks delivered by the alarm", () => {
  it("delivers sent, delivered and read in order, signed with the app secret, echoing biz_opaque_callback_data", async () => {
    const fx = await sandboxInbox({ webhooks: true, scenario: INSTANT });
    const captured = await intercept(fx);
    const to = freshPhone();
    const { json } = await send(fx, templateMessage(to, "hello_world", "en_US", undefined, { biz_opaque_callback_data: "c:1:r:9" }));
    const wamid = json.messages[0].id;
    await runDurableObjectAlarm(stubOf(fx));
    await vi.waitFor(() => expect(statusesOf(captured)).toHaveLength(3));

    expect(statusesOf(captured).map((s: any) => s.status)).toEqual(["sent", "delivered", "read"]);
    for (const c of captured) {
      expect(c.url).toBe(`http://sandbox.internal/webhooks/whatsapp/${fx.inboxId}`);
      expect(c.contentType).toBe("application/json");
      expect(c.signature).toBe(`sha256=${await hmacHex(fx.appSecret, c.body)}`);
      expect(c.json).toMatchObject({
        object: "whatsapp_business_account",
        entry: [
          {
            id: fx.wabaId,
            changes: [
              {
                field: "messages",
                value: { messaging_product: "whatsapp", metadata: { display_phone_number: "551140001234", phone_number_id: fx.phoneNumberId } },
              },
            ],
          },
        ],
      });
    }
    const [sent, delivered, read] = statusesOf(captured);
    for (const s of [sent, delivered, read]) {
      expect(s).toMatchObject({ id: wamid, recipient_id: to, biz_opaque_callback_data: "c:1:r:9", timestamp: expect.stringMatching(/^\d{10}$/) });
    }
    expect(sent).toMatchObject({
      conversation: { id: expect.any(String), expiration_timestamp: expect.stringMatching(/^\d+$/), origin: { type: "marketing" } },
      pricing: { billable: true, pricing_model: "PMP", category: "marketing" },
    });
    expect(delivered).toMatchObject({ conversation: { origin: { type: "marketing" } }, pricing: { category: "marketing" } });
    expect(read.conversation).toBeUndefined();

    const stats = await callJson(`/api/sandbox/inboxes/${fx.inboxId}/stats`, { auth: fx.admin });
    expect(stats).toMatchObject({ pending_webhooks: 0, delivered_webhooks: 3, failed_webhook_attempts: 0 });
    const { data } = await callJson(`/api/sandbox/inboxes/${fx.inboxId}/webhooks`, { auth: fx.admin });
    expect(data.map((d: any) => d.state)).toEqual(captured.map(() => "delivered"));
    expect(data.map((d: any) => d.body)).toEqual(captured.map((c) => c.body));
  });

  it("groups statuses that fall due together into one envelope, up to 50", async () => {
    const fx = await sandboxInbox({ webhooks: true, scenario: { ...INSTANT, unread_rate: 1, pair_rate_limit_ms: 0 } });
    const captured = await intercept(fx);
    // Paused delivery: nothing due until the scenario's delays pass, so all sends are wrapped in one tick.
    await callJson(`/api/sandbox/inboxes/${fx.inboxId}/scenario`, {
      method: "PUT",
      json: { sent_delay_ms: [300, 300], delivered_delay_ms: [300, 300] },
      auth: fx.admin,
      expect: 200,
    });
    await Promise.all(Array.from({ length: 30 }, () => send(fx, text(freshPhone()))));
    await new Promise((resolve) => setTimeout(resolve, 350));
    await runDurableObjectAlarm(stubOf(fx));
    await vi.waitFor(() => expect(statusesOf(captured)).toHaveLength(60));
    expect(captured.length).toBeLessThan(60);
    for (const c of captured) expect(statusesOf([c]).length).toBeLessThanOrEqual(50);
  });

  it("failed_rate 1.0: sent then failed with Meta's error, never delivered or read", async () => {
    const fx = await sandboxInbox({ webhooks: true, scenario: { ...INSTANT, failed_rate: 1, reply_rate: 1 } });
    const captured = await intercept(fx);
    const { json } = await send(fx, text(freshPhone(), "Oi", { biz_opaque_callback_data: "x" }));
    await runDurableObjectAlarm(stubOf(fx));
    await vi.waitFor(() => expect(statusesOf(captured)).toHaveLength(2));
    const [sent, failed] = statusesOf(captured);
    expect(sent.status).toBe("sent");
    expect(sent.pricing).toMatchObject({ billable: false, category: "service" });
    expect(failed).toMatchObject({
      id: json.messages[0].id,
      status: "failed",
      biz_opaque_callback_data: "x",
      errors: [{ code: 131026, title: "Message undeliverable", message: "Message undeliverable", error_data: { details: expect.any(String) } }],
    });
    expect(inboundOf(captured)).toEqual([]);
  });

  it("reply_rate 1.0: an inbound text quoting the message through context.id", async () => {
    const fx = await sandboxInbox({ webhooks: true, scenario: { ...INSTANT, reply_rate: 1 } });
    const captured = await intercept(fx);
    const to = freshPhone();
    const { json } = await send(fx, text(to));
    await runDurableObjectAlarm(stubOf(fx));
    await vi.waitFor(() => expect(inboundOf(captured)).toHaveLength(1));
    const envelope = captured.find((c) => c.json.entry[0].changes[0].value.messages)!;
    expect(envelope.signature).toBe(`sha256=${await hmacHex(fx.appSecret, envelope.body)}`);
    const value = envelope.json.entry[0].changes[0].value;
    expect(value.contacts).toEqual([{ profile: { name: expect.any(String) }, wa_id: to }]);
    expect(value.messages[0]).toEqual({
      context: { from: "551140001234", id: json.messages[0].id },
      from: to,
      id: expect.stringMatching(/^wamid\./),
      timestamp: expect.stringMatching(/^\d+$/),
      type: "text",
      text: { body: expect.any(String) },
    });
    expect(value.messages[0].id).not.toBe(json.messages[0].id);
  });

  it("opt_out_rate 1.0: the customer answers STOP", async () => {
    const fx = await sandboxInbox({ webhooks: true, scenario: { ...INSTANT, opt_out_rate: 1 } });
    const captured = await intercept(fx);
    const to = freshPhone();
    await send(fx, text(to));
    await runDurableObjectAlarm(stubOf(fx));
    await vi.waitFor(() => expect(inboundOf(captured)).toHaveLength(1));
    expect(inboundOf(captured)[0]).toMatchObject({ from: to, type: "text", text: { body: "STOP" } });
  });

  it("prices like WhatsApp: a utility template is free inside the customer's 24 h window, a marketing one never", async () => {
    const fx = await sandboxInbox({ webhooks: true, scenario: { ...INSTANT, unread_rate: 1, pair_rate_limit_ms: 0 } });
    const captured = await intercept(fx);
    const [wrote, silent] = [freshPhone(), freshPhone()];
    await callJson(`/api/sandbox/inboxes/${fx.inboxId}/inbound`, { json: { from: wrote, text: "Where is my order?" }, auth: fx.admin });
    const reminder = (to: string) =>
      templateMessage(to, "appointment_reminder", "en_US", [
        {
          type: "body",
          parameters: [
            { type: "text", text: "Alex" },
            { type: "text", text: "June 3" },
            { type: "text", text: "10:30" },
          ],
        },
      ]);
    const sends = [reminder(wrote), reminder(silent), templateMessage(wrote, "hello_world", "en_US"), text(wrote)];
    const wamids: string[] = [];
    for (const body of sends) {
      const { status, json } = await send(fx, body);
      expect(status, JSON.stringify(json)).toBe(200);
      wamids.push(json.messages[0].id);
    }
    await runDurableObjectAlarm(stubOf(fx));
    await vi.waitFor(() => expect(statusesOf(captured)).toHaveLength(8));
    const pricing = (wamid: string) => statusesOf(captured).filter((s: any) => s.id === wamid && s.status === "delivered")[0].pricing;
    expect(wamids.map(pricing)).toEqual([
      { billable: false, pricing_model: "PMP", category: "utility", type: "free_customer_service" },
      { billable: true, pricing_model: "PMP", category: "utility", type: "regular" },
      { billable: true, pricing_model: "PMP", category: "marketing", type: "regular" },
      { billable: false, pricing_model: "PMP", category: "service", type: "free_customer_service" },
    ]);
  });

  it("unread_rate 1.0: delivered, never read", async () => {
    const fx = await sandboxInbox({ webhooks: true, scenario: { ...INSTANT, unread_rate: 1 } });
    const captured = await intercept(fx);
    await send(fx, text(freshPhone()));
    await runDurableObjectAlarm(stubOf(fx));
    await vi.waitFor(() => expect(statusesOf(captured)).toHaveLength(2));
    expect(statusesOf(captured).map((s: any) => s.status)).toEqual(["sent", "delivered"]);
  });

  it("retries an envelope the webhook refused, and records the attempts", async () => {
    const fx = await sandboxInbox({ webhooks: true, scenario: { ...INSTANT, unread_rate: 1 } });
    let answers = 0;
    const captured = await intercept(fx, () => (++answers === 1 ? 500 : 200));
    await send(fx, text(freshPhone()));
    await runDurableObjectAlarm(stubOf(fx));
    await vi.waitFor(async () => {
      const { data } = await callJson(`/api/sandbox/inboxes/${fx.inboxId}/webhooks`, { auth: fx.admin });
      expect(data).toHaveLength(1);
      expect(data[0]).toMatchObject({ state: "pending", attempts: 1, last_status: 500, last_error: "HTTP 500" });
    });
    // The retry is due a second later; the alarm fires it by itself.
    await vi.waitFor(
      async () => {
        const { data } = await callJson(`/api/sandbox/inboxes/${fx.inboxId}/webhooks`, { auth: fx.admin });
        expect(data[0]).toMatchObject({ state: "delivered", attempts: 2, last_status: 200 });
      },
      { timeout: 5000, interval: 100 },
    );
    expect(captured).toHaveLength(2);
    expect(captured[1]!.body).toBe(captured[0]!.body);
    const stats = await callJson(`/api/sandbox/inboxes/${fx.inboxId}/stats`, { auth: fx.admin });
    expect(stats).toMatchObject({ delivered_webhooks: 2, failed_webhook_attempts: 1, pending_webhooks: 0 });
  });

  it("schedules nothing when webhooks_enabled is false", async () => {
    const fx = await sandboxInbox({ webhooks: false, scenario: INSTANT });
    const captured = await intercept(fx);
    await send(fx, text(freshPhone()));
    expect(await runDurableObjectAlarm(stubOf(fx))).toBe(false);
    expect(captured).toEqual([]);
    expect((await callJson(`/api/sandbox/inboxes/${fx.inboxId}/stats`, { auth: fx.admin })).pending_webhooks).toBe(0);
  });

  it("keeps the alarm at the earliest due event and leaves later ones pending", async () => {
    const fx = await sandboxInbox({ webhooks: true, scenario: { ...INSTANT, read_delay_ms: [60_000, 60_000] } });
    const captured = await intercept(fx);
    await send(fx, text(freshPhone()));
    await runDurableObjectAlarm(stubOf(fx));
    await vi.waitFor(() => expect(statusesOf(captured)).toHaveLength(2));
    const alarm = await runInDurableObject(stubOf(fx), (_i, state) => state.storage.getAlarm());
    expect(alarm).toBeGreaterThan(Date.now() + 50_000);
    expect((await callJson(`/api/sandbox/inboxes/${fx.inboxId}/stats`, { auth: fx.admin })).pending_webhooks).toBe(1);
  });

  it("a simulated inbound message is delivered at once", async () => {
    const fx = await sandboxInbox({ webhooks: true });
    const captured = await intercept(fx);
    const created = await callJson(`/api/sandbox/inboxes/${fx.inboxId}/inbound`, {
      json: { from: "+5511987654321", text: "Quero comprar", name: "Ana" },
      auth: fx.admin,
    });
    await runDurableObjectAlarm(stubOf(fx));
    await vi.waitFor(() => expect(inboundOf(captured)).toHaveLength(1));
    expect(inboundOf(captured)[0]).toMatchObject({ id: created.wamid, from: "5511987654321", text: { body: "Quero comprar" } });
    expect(captured[0]!.json.entry[0].changes[0].value.contacts[0].profile.name).toBe("Ana");
  });
});

describe("webhook building blocks", () => {
  it("plans delays inside the scenario's ranges, in order", () => {
    const scenario = { ...DEFAULT_SCENARIO, failed_rate: 0, unread_rate: 0, reply_rate: 1, opt_out_rate: 0 };
    for (let i = 0; i < 50; i++) {
      const events = planEvents({ wamid: "wamid.X", waId: "5511987654321", category: "utility", acceptedAt: 1_000_000, businessNumber: "15550001" }, scenario);
      expect(events.map((e) => (e.kind === "status" ? e.event.status : "reply"))).toEqual(["sent", "delivered", "read", "reply"]);
      const [sent, delivered, read, reply] = events.map((e) => e.dueAt - 1_000_000) as [number, number, number, number];
      expect(sent).toBeGreaterThanOrEqual(50);
      expect(sent).toBeLessThanOrEqual(300);
      expect(delivered).toBeGreaterThanOrEqual(Math.max(sent, 300));
      expect(delivered).toBeLessThanOrEqual(1500);
      expect(read).toBeGreaterThanOrEqual(Math.max(delivered, 1000));
      expect(read).toBeLessThanOrEqual(5000);
      expect(reply - read).toBeGreaterThanOrEqual(2000);
      expect(reply - read).toBeLessThanOrEqual(10_000);
    }
  });

  it("signs the exact body bytes like Meta", async () => {
    const body = JSON.stringify(statusEnvelope({ wabaId: "1", phoneNumberId: "2", displayPhoneNumber: "3" }, []));
    expect(await signatureHeader("secret", body)).toBe(`sha256=${await hmacHex("secret", body)}`);
    expect(await signatureHeader("secret", `${body} `)).not.toBe(await signatureHeader("secret", body));
  });

  it("makes wamids shaped like Meta's, different every time", () => {
    const a = newWamid("5511987654321");
    expect(a).toMatch(/^wamid\.HBg[A-Za-z0-9+/]+=*$/);
    expect(atob(a.slice(6))).toContain("5511987654321");
    expect(newWamid("5511987654321")).not.toBe(a);
  });

  it("backs off retries exponentially, capped", () => {
    expect([1, 2, 3, 4].map(retryDelayMs)).toEqual([1000, 2000, 4000, 8000]);
    expect(retryDelayMs(20)).toBe(300_000);
  });
});

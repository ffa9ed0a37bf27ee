import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { parseWebhookEnvelope } from "../../worker/domain/webhook-envelope";
import { findDemoTemplate } from "../../worker/sandbox/demo-templates";
import { renderTemplateSend } from "../../worker/sandbox/phone";
import type { WhatsAppSandbox } from "../../worker/sandbox/sandbox-do";
import { call, callJson, errorCode } from "../helpers";
import { freshPhone, type SandboxFixture, sandboxInbox, send, stubOf, templateMessage, text } from "./helpers";

const base = (id: number) => `/api/sandbox/inboxes/${id}`;
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

/** Replaces the sandbox's webhook delivery with a recorder answering 200. */
async function intercept(fx: SandboxFixture): Promise<any[]> {
  const captured: any[] = [];
  await runInDurableObject(stubOf(fx), (instance: WhatsAppSandbox) => {
    instance.deliver = async (request) => {
      captured.push(JSON.parse(await request.text()));
      return new Response(null, { status: 200 });
    };
  });
  return captured;
}
const inboundOf = (captured: any[]) => captured.flatMap((c) => c.entry.flatMap((e: any) => e.changes.flatMap((ch: any) => ch.value.messages ?? [])));

const welcomeOffer = (to: string, extra: Record<string, unknown> = {}) =>
  templateMessage(
    to,
    "welcome_offer",
    "pt_BR",
    [
      { type: "header", parameters: [{ type: "text", text: "Ana" }] },
      {
        type: "body",
        parameters: [
          { type: "text", text: "Ana" },
          { type: "text", text: "OI10" },
        ],
      },
      { type: "button", sub_type: "quick_reply", index: "1", parameters: [{ type: "payload", payload: "stop-promos" }] },
    ],
    extra,
  );

async function campaignRow(workspaceId: number, inboxId: number, title: string): Promise<number> {
  const row = await env.DB.prepare(
    "INSERT INTO campaigns (workspace_id, inbox_id, title, status, audience, content, settings) VALUES (?, ?, ?, 'sending', '{}', '{}', '{}') RETURNING id",
  )
    .bind(workspaceId, inboxId, title)
    .first<{ id: number }>();
  return row!.id;
}

describe("sandbox phone: what a simulated contact's phone shows", () => {
  it("lists the phones an inbox sent to, latest first, with the workspace's contact of that number", async () => {
    const fx = await sandboxInbox({ scenario: { pair_rate_limit_ms: 0 } });
    const ana = freshPhone();
    const bruno = freshPhone();
    const contact = await callJson(`/api/contacts`, { json: { name: "Ana Souza", phone: `+${ana}`, opted_out: true }, auth: fx.admin });
    await send(fx, text(ana, "Primeira"));
    await send(fx, text(bruno, "Oi Bruno"));
    await new Promise((r) => setTimeout(r, 5));
    await send(fx, text(ana, "Segunda mensagem"));
    await send(fx, text("5511999990000")); // refused (not on WhatsApp): no phone shows it

    const { data } = await callJson(`${base(fx.inboxId)}/phones`, { auth: fx.admin });
    expect(data.map((p: any) => p.wa_id)).toEqual([ana, bruno]);
    expect(data[0]).toMatchObject({
      wa_id: ana,
      phone: `+${ana}`,
      contact: { id: contact.id, name: "Ana Souza", opted_out: true },
      messages: 2,
      last_direction: "out",
      last_preview: "Segunda mensagem",
    });
    expect(data[1]).toMatchObject({ wa_id: bruno, contact: null, messages: 1 });
    expect(typeof data[0].last_at).toBe("number");

    const filtered = await callJson(`${base(fx.inboxId)}/phones?q=${bruno.slice(-8)}`, { auth: fx.admin });
    expect(filtered.data.map((p: any) => p.wa_id)).toEqual([bruno]);
  });

  it("renders a template send with its parameters and quick-reply payloads, and links its campaign", async () => {
    const fx = await sandboxInbox();
    const to = freshPhone();
    const campaignId = await campaignRow(fx.admin.workspaceId, fx.inboxId, "Boas-vindas");
    const sent = await send(fx, welcomeOffer(to, { biz_opaque_callback_data: `herald:c:${campaignId}:77` }));
    expect(sent.status).toBe(200);

    const chat = await callJson(`${base(fx.inboxId)}/phones/${to}/messages`, { auth: fx.admin });
    expect(chat).toMatchObject({ wa_id: to, phone: `+${to}`, contact: null });
    expect(chat.data).toHaveLength(1);
    expect(chat.data[0]).toMatchObject({
      direction: "out",
      wamid: sent.json.messages[0].id,
      status: "accepted",
      context_wamid: null,
      campaign: { id: campaignId, title: "Boas-vindas", recipient_id: 77 },
      content: {
        type: "template",
        name: "welcome_offer",
        language: "pt_BR",
        header: { format: "TEXT", text: "Oferta para Ana" },
        body: "Olá Ana! Preparamos um presente de boas-vindas: use o cupom OI10 e ganhe 15% de desconto na sua primeira compra.",
        footer: "Não quer receber ofertas? Toque em Parar promoções",
        buttons: [
          { type: "QUICK_REPLY", text: "Quero!", payload: "Quero!" },
          { type: "QUICK_REPLY", text: "Parar promoções", payload: "stop-promos" },
        ],
      },
    });
  });

  it("renders named parameters, URL buttons and media headers", () => {
    const order = renderTemplateSend(findDemoTemplate("order_update", "en_US")!, {
      name: "order_update",
      language: { code: "en_US" },
      components: [
        {
          type: "body",
          parameters: [
            { type: "text", text: "A-1", parameter_name: "order_id" },
            { type: "text", text: "Jo", parameter_name: "first_name" },
          ],
        },
        { type: "button", sub_type: "url", index: "0", parameters: [{ type: "text", text: "A-1" }] },
      ],
    });
    expect(order).toMatchObject({
      body: "Hi Jo, your order A-1 is on its way. Track it with the button below.",
      buttons: [{ type: "URL", text: "Track order", url: "https://example.com/orders/A-1" }],
    });
    const collection = renderTemplateSend(findDemoTemplate("new_collection", "pt_BR")!, {
      name: "new_collection",
      language: { code: "pt_BR" },
      components: [
        { type: "header", parameters: [{ type: "image", image: { link: "https://example.com/a.jpg" } }] },
        { type: "body", parameters: [{ type: "text", text: "Bia" }] },
      ],
    });
    expect(collection).toMatchObject({ header: { format: "IMAGE", link: "https://example.com/a.jpg" }, body: expect.stringMatching(/^Bia, a nova coleção/) });
  });

  it("does not link a campaign of another workspace", async () => {
    const fx = await sandboxInbox();
    const other = await sandboxInbox();
    const foreign = await campaignRow(other.admin.workspaceId, other.inboxId, "Not yours");
    const to = freshPhone();
    await send(fx, text(to, "Oi", { biz_opaque_callback_data: `herald:c:${foreign}:1` }));
    const chat = await callJson(`${base(fx.inboxId)}/phones/${to}/messages`, { auth: fx.admin });
    expect(chat.data[0].campaign).toBeNull();
    expect(JSON.stringify(chat)).not.toContain("Not yours");
  });

  it("moves outbound messages through sent, delivered and read as their webhooks fall due", async () => {
    const fx = await sandboxInbox({ webhooks: true, scenario: INSTANT });
    await intercept(fx);
    const to = freshPhone();
    await send(fx, text(to, "Oi"));
    await runDurableObjectAlarm(stubOf(fx));
    await vi.waitFor(async () => {
      const chat = await callJson(`${base(fx.inboxId)}/phones/${to}/messages`, { auth: fx.admin });
      expect(chat.data[0].status).toBe("read");
    });
  });

  it("shows a planned reply only once it is due, quoting the message it answers", async () => {
    const fx = await sandboxInbox({ webhooks: true, scenario: { ...INSTANT, reply_rate: 1, reply_delay_ms: [60_000, 60_000] } });
    await intercept(fx);
    const to = freshPhone();
    const sent = await send(fx, text(to, "Oi"));
    let chat = await callJson(`${base(fx.inboxId)}/phones/${to}/messages`, { auth: fx.admin });
    expect(chat.data.map((m: any) => m.direction)).toEqual(["out"]);
    // Sixty seconds later, the reply is on the phone.
    await runInDurableObject(stubOf(fx), (_i, state) => {
      state.storage.sql.exec("UPDATE phone_messages SET at = at - 61000");
    });
    chat = await callJson(`${base(fx.inboxId)}/phones/${to}/messages`, { auth: fx.admin });
    expect(chat.data.map((m: any) => m.direction)).toEqual(["out", "in"]);
    expect(chat.data[1]).toMatchObject({
      status: "received",
      context_wamid: sent.json.messages[0].id,
      content: { type: "text", body: expect.any(String) },
      campaign: null,
    });
  });

  it("a simulated text quoting a message, and the business marking it read", async () => {
    const fx = await sandboxInbox({ webhooks: true });
    const captured = await intercept(fx);
    const to = freshPhone();
    const sent = await send(fx, text(to, "Oi"));
    const wamid = sent.json.messages[0].id;
    const inbound = await callJson(`${base(fx.inboxId)}/inbound`, { json: { from: to, text: "Quero saber mais", reply_to: wamid }, auth: fx.admin });
    await runDurableObjectAlarm(stubOf(fx));
    await vi.waitFor(() => expect(inboundOf(captured)).toHaveLength(1));
    expect(inboundOf(captured)[0]).toMatchObject({ id: inbound.wamid, type: "text", text: { body: "Quero saber mais" }, context: { id: wamid } });

    let chat = await callJson(`${base(fx.inboxId)}/phones/${to}/messages`, { auth: fx.admin });
    expect(chat.data[1]).toMatchObject({
      direction: "in",
      wamid: inbound.wamid,
      status: "received",
      context_wamid: wamid,
      content: { type: "text", body: "Quero saber mais" },
    });
    await send(fx, { messaging_product: "whatsapp", status: "read", message_id: inbound.wamid });
    chat = await callJson(`${base(fx.inboxId)}/phones/${to}/messages`, { auth: fx.admin });
    expect(chat.data[1].status).toBe("read");
  });

  it("a tap on a quick-reply button arrives as Meta sends it: type button, with payload and context", async () => {
    const fx = await sandboxInbox({ webhooks: true });
    const captured = await intercept(fx);
    const to = freshPhone();
    const wamid = (await send(fx, welcomeOffer(to))).json.messages[0].id;
    const tap = await callJson(`${base(fx.inboxId)}/inbound`, {
      json: { from: `+${to}`, button: { text: "Parar promoções", payload: "stop-promos" }, reply_to: wamid },
      auth: fx.admin,
    });
    const plain = await callJson(`${base(fx.inboxId)}/inbound`, { json: { from: to, button: { text: "Quero!" }, reply_to: wamid }, auth: fx.admin });
    await runDurableObjectAlarm(stubOf(fx));
    await vi.waitFor(() => expect(inboundOf(captured)).toHaveLength(2));
    const [first, second] = inboundOf(captured);
    expect(first).toMatchObject({
      id: tap.wamid,
      from: to,
      type: "button",
      button: { text: "Parar promoções", payload: "stop-promos" },
      context: { id: wamid },
    });
    expect(first.text).toBeUndefined();
    expect(second).toMatchObject({ id: plain.wamid, type: "button", button: { text: "Quero!", payload: "Quero!" } });
    // Herald's own webhook parser reads the tap's label and payload.
    const parsed = parseWebhookEnvelope(captured.find((c) => c.entry[0].changes[0].value.messages?.[0]?.id === tap.wamid));
    expect(parsed.ok && parsed.events[0]).toMatchObject({ kind: "inbound", type: "button", text: "Parar promoções", payload: "stop-promos", contextId: wamid });

    const chat = await callJson(`${base(fx.inboxId)}/phones/${to}/messages`, { auth: fx.admin });
    expect(chat.data.slice(1).map((m: any) => m.content)).toEqual([
      { type: "button", text: "Parar promoções", payload: "stop-promos" },
      { type: "button", text: "Quero!", payload: "Quero!" },
    ]);
  });

  it("a contact that only wrote in is listed too; resetting the record empties the phones", async () => {
    const fx = await sandboxInbox();
    const to = freshPhone();
    await callJson(`${base(fx.inboxId)}/inbound`, { json: { from: to, text: "Olá" }, auth: fx.admin });
    const { data } = await callJson(`${base(fx.inboxId)}/phones`, { auth: fx.admin });
    expect(data).toEqual([expect.objectContaining({ wa_id: to, last_direction: "in", last_preview: "Olá", messages: 1 })]);
    expect((await call(`${base(fx.inboxId)}/requests`, { method: "DELETE", auth: fx.admin })).status).toBe(204);
    expect((await callJson(`${base(fx.inboxId)}/phones`, { auth: fx.admin })).data).toEqual([]);
  });
});

describe("sandbox phone: errors", () => {
  it("refuses an inbound message without text or button, with both, or with bad fields", async () => {
    const fx = await sandboxInbox();
    for (const [json, path] of [
      [{ from: "5511987654321" }, "text"],
      [{ from: "5511987654321", text: "Oi", button: { text: "Quero!" } }, "button"],
      [{ from: "5511987654321", button: { text: "" } }, "button.text"],
      [{ from: "5511987654321", button: {} }, "button.text"],
      [{ from: "abc", text: "Oi" }, "from"],
      [{ from: "5511987654321", text: "" }, "text"],
    ] as const) {
      const res = await call(`${base(fx.inboxId)}/inbound`, { json, auth: fx.admin });
      expect(res.status, JSON.stringify(json)).toBe(400);
      const body = (await res.json()) as any;
      expect(body.error.code).toBe("validation_failed");
      expect(
        body.error.details.map((d: any) => d.path),
        JSON.stringify(json),
      ).toContain(path);
    }
  });

  it("validates the phone in the path and the query", async () => {
    const fx = await sandboxInbox();
    for (const path of [
      `${base(fx.inboxId)}/phones/abc/messages`,
      `${base(fx.inboxId)}/phones/123/messages`,
      `${base(fx.inboxId)}/phones?limit=0`,
      `${base(fx.inboxId)}/phones/5511987654321/messages?limit=5000`,
    ]) {
      const res = await call(path, { auth: fx.admin });
      expect(res.status, path).toBe(400);
      expect(await errorCode(res)).toBe("validation_failed");
    }
  });
});

import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { parseWebhookEnvelope } from "../../worker/domain/webhook-envelope";
import type { WhatsAppSandbox } from "../../worker/sandbox/sandbox-do";
import { signatureHeader } from "../../worker/sandbox/webhooks";
import { call, callJson } from "../helpers";
import { freshPhone, metaErrorOf, type SandboxFixture, sandboxInbox, send, stubOf, templateMessage } from "./helpers";

const base = (id: number) => `/api/sandbox/inboxes/${id}`;
const prefer = (fx: SandboxFixture, from: string, value: "stop" | "resume") =>
  callJson<{ marketing_stopped: boolean }>(`${base(fx.inboxId)}/marketing-preference`, { json: { from, value }, auth: fx.admin });

/** A marketing template with no parameters, and a utility one. */
const helloWorld = (to: string) => templateMessage(to, "hello_world", "en_US");
const reminder = (to: string) =>
  templateMessage(to, "appointment_reminder", "en_US", [
    {
      type: "body",
      parameters: [
        { type: "text", text: "Ana" },
        { type: "text", text: "June 3" },
        { type: "text", text: "10:30" },
      ],
    },
  ]);

describe("the sandbox phone's marketing preference", () => {
  it("emits a signed user_preferences webhook Herald reads, and refuses marketing templates with 131050 until resumed", async () => {
    // No pair rate limit: the same phone gets several sends in a row.
    const fx = await sandboxInbox({ webhooks: true, scenario: { pair_rate_limit_ms: 0 } });
    const captured: { body: string; signature: string | null }[] = [];
    await runInDurableObject(stubOf(fx), (instance: WhatsAppSandbox) => {
      instance.deliver = async (request) => {
        captured.push({ body: await request.text(), signature: request.headers.get("x-hub-signature-256") });
        return new Response(null, { status: 200 });
      };
    });
    const to = freshPhone();
    expect(await prefer(fx, `+${to}`, "stop")).toEqual({ marketing_stopped: true });
    await runDurableObjectAlarm(stubOf(fx));
    await vi.waitFor(() => expect(captured).toHaveLength(1));
    const [delivery] = captured;
    expect(delivery!.signature).toBe(await signatureHeader(fx.appSecret, delivery!.body));
    const change = JSON.parse(delivery!.body).entry[0].changes[0];
    expect(change).toMatchObject({
      field: "user_preferences",
      value: { metadata: { phone_number_id: fx.phoneNumberId }, user_preferences: [{ wa_id: to, category: "marketing_messages", value: "stop" }] },
    });
    const parsed = parseWebhookEnvelope(JSON.parse(delivery!.body));
    expect(parsed.ok && parsed.events).toEqual([expect.objectContaining({ kind: "marketing_preference", waId: to, value: "stop" })]);

    expect(metaErrorOf((await send(fx, helloWorld(to))).json).code).toBe(131050);
    expect((await send(fx, reminder(to))).status).toBe(200);
    expect((await send(fx, helloWorld(freshPhone()))).status).toBe(200);
    expect((await callJson(`${base(fx.inboxId)}/phones/${to}/messages`, { auth: fx.admin })).marketing_stopped).toBe(true);

    expect(await prefer(fx, to, "resume")).toEqual({ marketing_stopped: false });
    expect((await send(fx, helloWorld(to))).status).toBe(200);
    expect((await callJson(`${base(fx.inboxId)}/phones/${to}/messages`, { auth: fx.admin })).marketing_stopped).toBe(false);
    expect((await call(`${base(fx.inboxId)}/marketing-preference`, { json: { from: to, value: "pause" }, auth: fx.admin })).status).toBe(400);
  });

  it("reaches the workspace's contact through the webhook route and the queue", async () => {
    const fx = await sandboxInbox({ webhooks: true });
    const to = freshPhone();
    await callJson("/api/contacts", { json: { phone: `+${to}`, name: "Ana" }, auth: fx.admin });
    const marketing = () =>
      env.DB.prepare("SELECT marketing_stopped_at AS at, opted_out_at FROM contacts WHERE workspace_id = ? AND phone = ?")
        .bind(fx.admin.workspaceId, `+${to}`)
        .first<{ at: number | null; opted_out_at: number | null }>();
    await prefer(fx, to, "stop");
    await runDurableObjectAlarm(stubOf(fx));
    await vi.waitFor(async () => expect((await marketing())?.at).not.toBeNull(), { timeout: 5_000 });
    const chat = await callJson(`${base(fx.inboxId)}/phones/${to}/messages`, { auth: fx.admin });
    expect(chat.contact).toMatchObject({ opted_out: false, marketing_stopped: true });
    // A second later, so the resume is newer than the stop.
    await new Promise((r) => setTimeout(r, 1_100));
    await prefer(fx, to, "resume");
    await runDurableObjectAlarm(stubOf(fx));
    await vi.waitFor(async () => expect(await marketing()).toEqual({ at: null, opted_out_at: null }), { timeout: 5_000 });
  });
});

import { createExecutionContext, runDurableObjectAlarm, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { createDb } from "../../worker/db/client";
import { inboxes } from "../../worker/db/schema";
import { providerFor } from "../../worker/provider";
import { DEMO_TEMPLATES } from "../../worker/sandbox/demo-templates";
import { callJson } from "../helpers";
import { freshPhone, sandboxInbox, stubOf } from "./helpers";

// Herald's own Cloud API client against the sandbox, in-process through loopbackFetch: the path
// every sandbox inbox takes in dev, tests and benchmarks.
async function clientFor(inboxId: number) {
  const row = await createDb(env.DB).select().from(inboxes).where(eq(inboxes.id, inboxId)).get();
  const ctx = createExecutionContext();
  return { provider: await providerFor(env, row!, ctx), ctx };
}

describe("Herald's Cloud API client against the sandbox", () => {
  it("sends text and templates, lists every template page and reads the number", async () => {
    const fx = await sandboxInbox();
    const { provider, ctx } = await clientFor(fx.inboxId);

    const textSent = await provider.sendText({ to: `+${freshPhone()}`, body: "Olá!", bizOpaqueCallbackData: "c:1" });
    expect(textSent).toMatchObject({ ok: true, value: { wamid: expect.stringMatching(/^wamid\./) } });

    const offer = await provider.sendTemplate({
      to: `+${freshPhone()}`,
      name: "welcome_offer",
      language: "pt_BR",
      parameterFormat: "positional",
      header: { text: { "1": "Maria" } },
      body: { "1": "Maria", "2": "BEMVINDO15" },
    });
    expect(offer).toMatchObject({ ok: true, value: { messageStatus: "accepted" } });

    const order = await provider.sendTemplate({
      to: freshPhone(),
      name: "order_update",
      language: "en_US",
      parameterFormat: "named",
      body: { first_name: "Jessica", order_id: "A-1001" },
      buttons: [{ index: 0, subType: "url", text: "A-1001" }],
    });
    expect(order.ok, JSON.stringify(order)).toBe(true);

    const mismatch = await provider.sendTemplate({
      to: freshPhone(),
      name: "appointment_reminder",
      language: "en_US",
      parameterFormat: "positional",
      body: { "1": "Alex" },
    });
    expect(mismatch).toMatchObject({ ok: false, error: { code: 132000 } });
    const undeliverable = await provider.sendText({ to: "+5511999990000", body: "Oi" });
    expect(undeliverable).toMatchObject({ ok: false, error: { code: 131026 } });

    const names: string[] = [];
    let page = await provider.listTemplates();
    while (page.ok) {
      names.push(...page.value.templates.map((t) => t.name));
      if (!page.value.next) break;
      page = await provider.listTemplates(page.value.next);
    }
    expect(names).toEqual(DEMO_TEMPLATES.map((t) => t.name));

    const info = await provider.phoneNumberInfo();
    expect(info).toMatchObject({ ok: true, value: { id: fx.phoneNumberId, messagingLimitTier: "250", throughputLevel: "STANDARD", qualityRating: "GREEN" } });
    await waitOnExecutionContext(ctx);
  });

  it("maps throttling to retry policies", async () => {
    const fx = await sandboxInbox({ scenario: { throughput_cap: 1 } });
    const { provider, ctx } = await clientFor(fx.inboxId);
    const to = freshPhone();
    expect((await provider.sendText({ to, body: "1" })).ok).toBe(true);
    expect(await provider.sendText({ to: freshPhone(), body: "2" })).toMatchObject({ ok: false, error: { code: 130429, policy: "retry_inbox_later" } });
    await waitOnExecutionContext(ctx);
  });
});

describe("sandbox webhooks into Herald's webhook route", () => {
  it("are accepted: the route verifies the signature and answers 2xx", async () => {
    const fx = await sandboxInbox({
      webhooks: true,
      scenario: { sent_delay_ms: [0, 0], delivered_delay_ms: [0, 0], read_delay_ms: [0, 0], failed_rate: 0, unread_rate: 0, reply_rate: 0, opt_out_rate: 0 },
    });
    const { provider, ctx } = await clientFor(fx.inboxId);
    expect((await provider.sendText({ to: freshPhone(), body: "Oi" })).ok).toBe(true);
    await runDurableObjectAlarm(stubOf(fx));
    await vi.waitFor(async () => {
      const { data } = await callJson(`/api/sandbox/inboxes/${fx.inboxId}/webhooks`, { auth: fx.admin });
      expect(data.length).toBeGreaterThan(0);
      expect(data.map((d: any) => [d.state, d.last_status])).toEqual(data.map(() => ["delivered", 200]));
    });
    await waitOnExecutionContext(ctx);
  });
});

import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../../worker/app";
import { DEMO_TEMPLATES } from "../../worker/sandbox/demo-templates";
import { freshPhone, GRAPH, graph, metaErrorOf, sandboxInbox, setScenario, text } from "./helpers";

describe("templates list", () => {
  it("pages through every demo template with limit=2, following paging.next to the end", async () => {
    const fx = await sandboxInbox();
    let url: string | undefined = `${GRAPH}/${fx.wabaId}/message_templates?limit=2`;
    const names: string[] = [];
    let pages = 0;
    while (url) {
      const res = await graph(url, { token: fx.token });
      expect(res.status).toBe(200);
      const page = (await res.json()) as any;
      pages++;
      expect(page.data.length).toBeLessThanOrEqual(2);
      expect(page.paging.cursors).toEqual({ before: expect.any(String), after: expect.any(String) });
      names.push(...page.data.map((t: any) => `${t.name}/${t.language}`));
      if (page.paging.next) {
        const next = new URL(page.paging.next);
        expect(next.origin).toBe("http://localhost");
        expect(next.pathname).toBe(`/sandbox/graph/v23.0/${fx.wabaId}/message_templates`);
        expect(next.searchParams.get("limit")).toBe("2");
        expect(next.searchParams.get("after")).toBe(page.paging.cursors.after);
      }
      url = page.paging.next;
    }
    expect(pages).toBe(Math.ceil(DEMO_TEMPLATES.length / 2));
    expect(names).toEqual(DEMO_TEMPLATES.map((t) => `${t.name}/${t.language}`));
  });

  it("lists 25 per page by default, in Meta's shape, with the scenario's status overrides", async () => {
    const fx = await sandboxInbox({ scenario: { template_statuses: { welcome_offer: "PAUSED" } } });
    const res = await graph(`/${fx.wabaId}/message_templates`, { token: fx.token });
    const page = (await res.json()) as any;
    expect(page.data).toHaveLength(DEMO_TEMPLATES.length);
    expect(page.paging.next).toBeUndefined();
    const welcome = page.data.find((t: any) => t.name === "welcome_offer");
    expect(welcome).toMatchObject({ id: expect.stringMatching(/^\d+$/), language: "pt_BR", status: "PAUSED", category: "MARKETING" });
    expect(welcome.components.find((c: any) => c.type === "BODY").example).toEqual({ body_text: [["Maria", "BEMVINDO15"]] });
    const order = page.data.find((t: any) => t.name === "order_update");
    expect(order.parameter_format).toBe("NAMED");
    expect(new Set(page.data.map((t: any) => t.status))).toEqual(new Set(["APPROVED", "PENDING", "REJECTED", "PAUSED", "DISABLED"]));
  });

  it("filters by status like Meta", async () => {
    const fx = await sandboxInbox();
    const page = (await (await graph(`/${fx.wabaId}/message_templates?status=APPROVED`, { token: fx.token })).json()) as any;
    expect(page.data.every((t: any) => t.status === "APPROVED")).toBe(true);
    expect(page.data.length).toBe(DEMO_TEMPLATES.filter((t) => t.status === "APPROVED").length);
  });

  it("needs the token of a sandbox inbox of that WABA", async () => {
    const fx = await sandboxInbox();
    const other = await sandboxInbox();
    const wrong = await graph(`/${fx.wabaId}/message_templates`, { token: other.token });
    expect(wrong.status).toBe(401);
    expect(metaErrorOf(await wrong.json()).code).toBe(190);
    const missing = await graph(`/${fx.wabaId}/message_templates`);
    expect(missing.status).toBe(401);
    const unknown = await graph(`/998877665544/message_templates`, { token: fx.token });
    expect(metaErrorOf(await unknown.json())).toMatchObject({ code: 100, error_subcode: 33 });
  });

  it("refuses a bad limit or cursor with 100", async () => {
    const fx = await sandboxInbox();
    for (const query of ["limit=0", "limit=abc", "after=%21%21"]) {
      const res = await graph(`/${fx.wabaId}/message_templates?${query}`, { token: fx.token });
      expect(res.status, query).toBe(400);
      expect(metaErrorOf(await res.json()).code).toBe(100);
    }
  });
});

describe("phone number info", () => {
  it("answers the number's name, quality, tier and throughput", async () => {
    const fx = await sandboxInbox();
    const res = await graph(`/${fx.phoneNumberId}?fields=display_phone_number,verified_name,quality_rating,messaging_limit_tier,throughput`, {
      token: fx.token,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      id: fx.phoneNumberId,
      display_phone_number: "+55 11 4000-1234",
      verified_name: "Loja Sandbox",
      quality_rating: "GREEN",
      messaging_limit_tier: "TIER_250",
      throughput: { level: "STANDARD" },
    });
  });

  it("follows the scenario", async () => {
    const fx = await sandboxInbox({ scenario: { messaging_limit_tier: "TIER_10K", throughput_cap: 1000, quality_rating: "YELLOW" } });
    const info = (await (await graph(`/${fx.phoneNumberId}`, { token: fx.token })).json()) as any;
    expect(info).toMatchObject({ messaging_limit_tier: "TIER_10K", throughput: { level: "HIGH" }, quality_rating: "YELLOW" });
  });

  it("needs the number's token", async () => {
    const fx = await sandboxInbox();
    const res = await graph(`/${fx.phoneNumberId}`, { token: "nope" });
    expect(res.status).toBe(401);
    expect(metaErrorOf(await res.json()).code).toBe(190);
  });
});

describe("graph routing", () => {
  it("refuses versions that do not look like v23.0 and unknown paths, Meta-style", async () => {
    const fx = await sandboxInbox();
    const badVersion = await graph(`http://localhost/sandbox/graph/23/${fx.phoneNumberId}/messages`, { token: fx.token, json: text(freshPhone()) });
    expect(badVersion.status).toBe(400);
    expect(metaErrorOf(await badVersion.json()).code).toBe(2500);
    const unknown = await graph(`/${fx.phoneNumberId}/media`, { token: fx.token, json: {} });
    expect(metaErrorOf(await unknown.json()).code).toBe(2500);
  });

  it('answers 404 for every graph route when SANDBOX_ENABLED is not "true"', async () => {
    const fx = await sandboxInbox();
    const disabled = { ...env, SANDBOX_ENABLED: "false" };
    for (const request of [
      new Request(`${GRAPH}/${fx.phoneNumberId}/messages`, {
        method: "POST",
        headers: { authorization: `Bearer ${fx.token}`, "content-type": "application/json" },
        body: JSON.stringify(text(freshPhone())),
      }),
      new Request(`${GRAPH}/${fx.wabaId}/message_templates`, { headers: { authorization: `Bearer ${fx.token}` } }),
      new Request(`${GRAPH}/${fx.phoneNumberId}`, { headers: { authorization: `Bearer ${fx.token}` } }),
    ]) {
      const ctx = createExecutionContext();
      const res = await app.fetch(request, disabled, ctx);
      await waitOnExecutionContext(ctx);
      expect(res.status).toBe(404);
      expect(metaErrorOf(await res.json()).message).toContain("not enabled");
    }
  });

  it("does not need a session: the access token is the only credential", async () => {
    const fx = await sandboxInbox();
    await setScenario(fx, { pair_rate_limit_ms: 0 });
    const res = await graph(`/${fx.phoneNumberId}/messages`, { token: fx.token, json: text(freshPhone()) });
    expect(res.status).toBe(200);
  });
});

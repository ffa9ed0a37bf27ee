import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../../worker/app";
import { DEFAULT_SCENARIO } from "../../worker/sandbox/scenario";
import { call, callJson, errorCode, ORIGIN, seedOperator, seedWorkspace } from "../helpers";
import { freshPhone, graph, sandboxInbox, send, setScenario, templateMessage, text } from "./helpers";

const base = (id: number) => `/api/sandbox/inboxes/${id}`;

describe("control API: happy path", () => {
  it("records every graph request with its arrival time in ms, oldest first", async () => {
    const fx = await sandboxInbox();
    const before = Date.now();
    const to = freshPhone();
    const ok = await send(fx, text(`+${to}`, "Oi", { biz_opaque_callback_data: "campaign:7:recipient:42" }));
    await send(fx, text(to));
    await send(fx, templateMessage(freshPhone(), "flash_sale", "pt_BR"));
    await send(fx, text(freshPhone()), "bad-token");
    await graph(`/${fx.wabaId}/message_templates?limit=2`, { token: fx.token });
    await graph(`/${fx.phoneNumberId}`, { token: fx.token });

    const { data, next_cursor } = await callJson(`${base(fx.inboxId)}/requests`, { auth: fx.admin });
    expect(next_cursor).toBeNull();
    expect(data).toHaveLength(6);
    for (const r of data) {
      expect(Number.isInteger(r.at)).toBe(true);
      expect(r.at).toBeGreaterThanOrEqual(before - 1);
    }
    expect(data.map((r: any) => r.at)).toEqual([...data.map((r: any) => r.at)].sort((a, b) => a - b));
    expect(data[0]).toMatchObject({
      method: "POST",
      path: `/sandbox/graph/v23.0/${fx.phoneNumberId}/messages`,
      kind: "message",
      inbox_id: fx.inboxId,
      to: `+${to}`,
      wa_id: to,
      type: "text",
      template_name: null,
      biz_opaque_callback_data: "campaign:7:recipient:42",
      status: 200,
      error_code: null,
      wamid: ok.json.messages[0].id,
    });
    expect(data[1]).toMatchObject({ wa_id: to, status: 400, error_code: 131056, wamid: null });
    expect(data[2]).toMatchObject({ type: "template", template_name: "flash_sale", template_language: "pt_BR", error_code: 132015 });
    expect(data[3]).toMatchObject({ status: 401, error_code: 190, inbox_id: null });
    expect(data[4]).toMatchObject({ method: "GET", kind: "templates", status: 200 });
    expect(data[5]).toMatchObject({ method: "GET", kind: "phone_number", status: 200 });
  });

  it("filters by since_ms and pages with limit and cursor", async () => {
    const fx = await sandboxInbox({ scenario: { pair_rate_limit_ms: 0 } });
    for (let i = 0; i < 5; i++) await send(fx, text(freshPhone()));
    const all = (await callJson(`${base(fx.inboxId)}/requests`, { auth: fx.admin })).data;
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await callJson(`${base(fx.inboxId)}/requests?limit=2${cursor ? `&cursor=${cursor}` : ""}`, { auth: fx.admin });
      seen.push(...page.data.map((r: any) => r.seq));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(all.map((r: any) => r.seq));
    const later = (await callJson(`${base(fx.inboxId)}/requests?since_ms=${Date.now() + 60_000}`, { auth: fx.admin })).data;
    expect(later).toEqual([]);
    const since = (await callJson(`${base(fx.inboxId)}/requests?since_ms=${all[2].at}`, { auth: fx.admin })).data;
    expect(since.every((r: any) => r.at >= all[2].at)).toBe(true);
  });

  it("counts requests, acceptances, refusals by code and sends per recipient", async () => {
    const fx = await sandboxInbox({ scenario: { pair_rate_limit_ms: 0 } });
    const twice = freshPhone();
    await send(fx, text(twice));
    await send(fx, text(twice));
    await send(fx, text(freshPhone()));
    await send(fx, text("5511999990000"));
    await send(fx, templateMessage(freshPhone(), "nope", "en_US"));
    await send(fx, templateMessage(freshPhone(), "nope", "en_US"));
    const stats = await callJson(`${base(fx.inboxId)}/stats`, { auth: fx.admin });
    expect(stats).toEqual({
      requests: 6,
      accepted: 3,
      rejected_by_code: { "131026": 1, "132001": 2 },
      sends_per_recipient_max: 2,
      duplicates: 1,
      pending_webhooks: 0,
      delivered_webhooks: 0,
      dead_webhooks: 0,
      failed_webhook_attempts: 0,
      envelopes: { pending: 0, delivered: 0, dead: 0 },
    });
  });

  it("DELETE forgets the record, the pair-rate state and the throughput window", async () => {
    const fx = await sandboxInbox({ scenario: { throughput_cap: 1 } });
    const to = freshPhone();
    expect((await send(fx, text(to))).status).toBe(200);
    expect((await send(fx, text(freshPhone()))).json.error.code).toBe(130429);
    expect((await call(`${base(fx.inboxId)}/requests`, { method: "DELETE", auth: fx.admin })).status).toBe(204);
    expect((await callJson(`${base(fx.inboxId)}/stats`, { auth: fx.admin })).requests).toBe(0);
    expect((await send(fx, text(to))).status).toBe(200);
  });

  it("scenario: defaults, partial updates, full answer", async () => {
    const fx = await sandboxInbox();
    const current = await callJson(`${base(fx.inboxId)}/scenario`, { auth: fx.admin });
    expect(current).toEqual({ ...DEFAULT_SCENARIO, webhooks_enabled: false });
    const updated = await setScenario(fx, { throughput_cap: 5, read_delay_ms: [0, 10], reply_rate: 0.5 });
    expect(updated).toEqual({ ...DEFAULT_SCENARIO, webhooks_enabled: false, throughput_cap: 5, read_delay_ms: [0, 10], reply_rate: 0.5 });
    expect(await callJson(`${base(fx.inboxId)}/scenario`, { auth: fx.admin })).toEqual(updated);
  });
});

describe("control API: errors", () => {
  it("refuses invalid scenario updates and changes nothing", async () => {
    const fx = await sandboxInbox();
    const before = await callJson(`${base(fx.inboxId)}/scenario`, { auth: fx.admin });
    for (const [patch, field] of [
      [{ reply_rate: 1.5 }, "reply_rate"],
      [{ read_delay_ms: [500, 100] }, "read_delay_ms"],
      [{ throughput_cap: 0 }, "throughput_cap"],
      [{ undeliverable_suffix: "abc" }, "undeliverable_suffix"],
      [{ random_failure_codes: [] }, "random_failure_codes"],
      [{ template_statuses: { hello_world: "GONE" } }, "template_statuses.hello_world"],
      [{ messaging_limit_tier: "TIER_3" }, "messaging_limit_tier"],
      [{ bogus: true }, ""],
      [{}, ""],
    ] as const) {
      const res = await call(`${base(fx.inboxId)}/scenario`, { method: "PUT", json: patch, auth: fx.admin });
      expect(res.status, JSON.stringify(patch)).toBe(400);
      const body = (await res.json()) as any;
      expect(body.error.code).toBe("validation_failed");
      if (field) expect(body.error.details.map((d: any) => d.path)).toContain(field);
    }
    expect(await callJson(`${base(fx.inboxId)}/scenario`, { auth: fx.admin })).toEqual(before);
  });

  it("validates query parameters", async () => {
    const fx = await sandboxInbox();
    for (const query of ["limit=0", "limit=abc", "since_ms=-1", "cursor=xyz"]) {
      const res = await call(`${base(fx.inboxId)}/requests?${query}`, { auth: fx.admin });
      expect(res.status, query).toBe(400);
    }
  });
});

describe("control API: security", () => {
  const routes = (id: number): [string, string, unknown?][] => [
    ["GET", `${base(id)}/requests`],
    ["DELETE", `${base(id)}/requests`],
    ["GET", `${base(id)}/scenario`],
    ["PUT", `${base(id)}/scenario`, { throughput_cap: 10 }],
    ["GET", `${base(id)}/stats`],
    ["GET", `${base(id)}/webhooks`],
    ["POST", `${base(id)}/inbound`, { from: "5511987654321", text: "Oi" }],
    ["POST", `${base(id)}/inbound`, { from: "5511987654321", button: { text: "Quero!" } }],
    ["POST", `${base(id)}/marketing-preference`, { from: "5511987654321", value: "stop" }],
    ["GET", `${base(id)}/phones`],
    ["GET", `${base(id)}/phones/5511987654321/messages`],
  ];

  it("is admin only: operators get 403", async () => {
    const fx = await sandboxInbox();
    const operator = await seedOperator(fx.admin);
    for (const [method, path, json] of routes(fx.inboxId)) {
      const res = await call(path, { method, json, auth: operator });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(await errorCode(res)).toBe("forbidden");
    }
  });

  it("answers 404 for another workspace's inbox, a missing one, or a Cloud API inbox", async () => {
    const fx = await sandboxInbox();
    const stranger = await seedWorkspace();
    const cloud = await callJson<{ id: number }>("/api/inboxes", {
      json: { name: "Meta", provider: "cloud", phone_number_id: "123456789012", waba_id: "2233445566", access_token: "tok-123", app_secret: "sec-123" },
      auth: fx.admin,
    });
    for (const [auth, id] of [
      [stranger, fx.inboxId],
      [fx.admin, 99_999_999],
      [fx.admin, cloud.id],
    ] as const) {
      for (const [method, path, json] of routes(id)) {
        const res = await call(path, { method, json, auth });
        expect(res.status, `${method} ${path}`).toBe(404);
        expect(await errorCode(res)).toBe("not_found");
      }
    }
  });

  it('answers 404 for every control route when SANDBOX_ENABLED is not "true"', async () => {
    const fx = await sandboxInbox();
    const disabled = { ...env, SANDBOX_ENABLED: "false" };
    for (const [method, path, json] of routes(fx.inboxId)) {
      const headers: Record<string, string> = { origin: ORIGIN, cookie: fx.admin.cookie! };
      if (json) headers["content-type"] = "application/json";
      const ctx = createExecutionContext();
      const res = await app.fetch(new Request(`${ORIGIN}${path}`, { method, headers, body: json ? JSON.stringify(json) : undefined }), disabled, ctx);
      await waitOnExecutionContext(ctx);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(await errorCode(res)).toBe("not_found");
    }
  });

  it("needs credentials like every other API route", async () => {
    const fx = await sandboxInbox();
    for (const [method, path, json] of routes(fx.inboxId)) {
      expect((await call(path, { method, json })).status, `${method} ${path}`).toBe(401);
    }
  });

  it("is described in the OpenAPI document as admin routes", async () => {
    const doc = await callJson("/api/openapi.json");
    for (const [method, path] of [
      ["get", "/api/sandbox/inboxes/{id}/requests"],
      ["delete", "/api/sandbox/inboxes/{id}/requests"],
      ["get", "/api/sandbox/inboxes/{id}/scenario"],
      ["put", "/api/sandbox/inboxes/{id}/scenario"],
      ["get", "/api/sandbox/inboxes/{id}/stats"],
      ["post", "/api/sandbox/inboxes/{id}/inbound"],
      ["post", "/api/sandbox/inboxes/{id}/marketing-preference"],
      ["get", "/api/sandbox/inboxes/{id}/phones"],
      ["get", "/api/sandbox/inboxes/{id}/phones/{wa_id}/messages"],
    ]) {
      expect(doc.paths[path!]?.[method!]?.description, `${method} ${path}`).toBe("Requires the admin role.");
    }
    expect(Object.keys(doc.paths).some((p) => p.startsWith("/sandbox/graph"))).toBe(false);
  });
});

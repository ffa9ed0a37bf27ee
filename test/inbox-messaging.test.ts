import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb } from "../worker/db/client";
import { inboxInput, insertInbox } from "../worker/inboxes/connect";
import { type Account, call, callJson, errorCode, seedOperator, seedWorkspace } from "./helpers";

type Inbox = { id: number; phone_number_id: string; waba_id: string; messaging_limit_tier: string; display_phone: string };
type Template = {
  name: string;
  language: string;
  status: string;
  parameter_format: string;
  variables: { component: string; name: string; kind: string; button_index?: number }[];
};

let numberSeq = 0;
async function sandboxInbox(account: Account, scenario: Record<string, unknown> = {}): Promise<Inbox> {
  const n = `${Date.now() % 1e9}${numberSeq++}`;
  const inbox = await callJson<Inbox>("/api/inboxes", {
    json: { name: "Sandbox", provider: "sandbox", phone_number_id: `7${n}`, waba_id: `8${n}` },
    auth: account,
  });
  await callJson(`/api/sandbox/inboxes/${inbox.id}/scenario`, {
    method: "PUT",
    json: {
      pair_rate_limit_ms: 0,
      failed_rate: 0,
      unread_rate: 0,
      reply_rate: 0,
      opt_out_rate: 0,
      sent_delay_ms: [0, 0],
      delivered_delay_ms: [0, 0],
      read_delay_ms: [0, 0],
      ...scenario,
    },
    auth: account,
  });
  return inbox;
}

async function synced(account: Account, inbox: Inbox) {
  return callJson<{ synced: number; removed: number }>(`/api/inboxes/${inbox.id}/templates/sync`, { method: "POST", expect: 200, auth: account });
}

const send = (account: Account, inbox: Inbox, json: unknown) => call(`/api/inboxes/${inbox.id}/messages`, { json, auth: account });

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("templates", () => {
  it("syncs every page from the sandbox and lists approved templates with their variables", async () => {
    const admin = await seedWorkspace();
    const inbox = await sandboxInbox(admin);
    const result = await synced(admin, inbox);
    expect(result.synced).toBeGreaterThanOrEqual(9);
    const all = await callJson<{ data: Template[] }>(`/api/inboxes/${inbox.id}/templates`, { auth: admin });
    expect(all.data).toHaveLength(result.synced);
    const approved = await callJson<{ data: Template[] }>(`/api/inboxes/${inbox.id}/templates?status=APPROVED`, { auth: admin });
    expect(approved.data.every((t) => t.status === "APPROVED")).toBe(true);
    expect(approved.data.map((t) => t.name)).not.toContain("summer_sale_draft");

    const byName = (name: string) => all.data.find((t) => t.name === name)!;
    expect(byName("welcome_offer").variables).toEqual([
      expect.objectContaining({ component: "header", name: "1", kind: "text" }),
      expect.objectContaining({ component: "body", name: "1", kind: "text" }),
      expect.objectContaining({ component: "body", name: "2", kind: "text" }),
    ]);
    expect(byName("order_update").parameter_format).toBe("named");
    expect(byName("order_update").variables).toEqual([
      expect.objectContaining({ component: "body", name: "first_name" }),
      expect.objectContaining({ component: "body", name: "order_id" }),
      expect.objectContaining({ component: "button", button_index: 0, name: "1" }),
    ]);
    expect(byName("new_collection").variables[0]).toMatchObject({ component: "header", kind: "image" });

    // A second sync updates in place.
    expect((await synced(admin, inbox)).synced).toBe(result.synced);
    expect((await callJson<{ data: Template[] }>(`/api/inboxes/${inbox.id}/templates`, { auth: admin })).data).toHaveLength(result.synced);
  });

  it("another workspace's inbox is a 404 for sync and templates", async () => {
    const admin = await seedWorkspace();
    const stranger = await seedWorkspace();
    const inbox = await sandboxInbox(stranger);
    expect((await call(`/api/inboxes/${inbox.id}/templates/sync`, { method: "POST", auth: admin })).status).toBe(404);
    expect((await call(`/api/inboxes/${inbox.id}/templates`, { auth: admin })).status).toBe(404);
    expect((await call(`/api/inboxes/${inbox.id}/messages`, { json: { to: "+5511987654321", text: { body: "hi" } }, auth: admin })).status).toBe(404);
  });
});

describe("checking an inbox", () => {
  it("reads the number's details from the provider and stores its tier", async () => {
    const admin = await seedWorkspace();
    const inbox = await sandboxInbox(admin, { messaging_limit_tier: "TIER_10K" });
    const result = await callJson(`/api/inboxes/${inbox.id}/test`, { method: "POST", expect: 200, auth: admin });
    expect(result).toMatchObject({ ok: true, messaging_limit_tier: "10000", quality_rating: "GREEN" });
    expect(await callJson(`/api/inboxes/${inbox.id}`, { auth: admin })).toMatchObject({ messaging_limit_tier: "10000" });
  });

  it("reports bad credentials as a failed check with the provider's error", async () => {
    const admin = await seedWorkspace();
    const inbox = await sandboxInbox(admin, { token_expired: true });
    const result = await callJson<any>(`/api/inboxes/${inbox.id}/test`, { method: "POST", expect: 200, auth: admin });
    expect(result).toMatchObject({ ok: false, error: { code: 190, policy: "pause_campaign" } });
  });

  it("is for admins only", async () => {
    const admin = await seedWorkspace();
    const operator = await seedOperator(admin);
    const inbox = await sandboxInbox(admin);
    expect((await call(`/api/inboxes/${inbox.id}/test`, { method: "POST", auth: operator })).status).toBe(403);
  });
});

describe("sending one message", () => {
  it("sends text and templates; the sandbox records exactly what the client sent", async () => {
    const admin = await seedWorkspace();
    const inbox = await sandboxInbox(admin);
    await synced(admin, inbox);
    const text = await send(admin, inbox, { to: "(11) 98765-1111", text: { body: "Olá!" } });
    expect(text.status).toBe(201);
    const sentText = (await text.json()) as any;
    expect(sentText).toMatchObject({ to: "+5511987651111", kind: "text", status: "accepted" });
    expect(sentText.wamid).toMatch(/^wamid\./);

    const template = await send(admin, inbox, {
      to: "+5511987651112",
      template: { name: "welcome_offer", language: "pt_BR", header: { "1": "Ana" }, body: { "1": "Ana", "2": "BEMVINDO15" } },
    });
    expect(template.status).toBe(201);
    const named = await send(admin, inbox, {
      to: "+5511987651113",
      template: { name: "order_update", language: "en_US", body: { first_name: "Jess", order_id: "A-1" }, buttons: { "0": "A-1" } },
    });
    expect(named.status).toBe(201);

    const record = await callJson<{ data: any[] }>(`/api/sandbox/inboxes/${inbox.id}/requests`, { auth: admin });
    const sends = record.data.filter((r) => r.method === "POST");
    expect(sends.map((r) => r.to)).toEqual(["5511987651111", "5511987651112", "5511987651113"]);
    expect(sends.every((r) => r.status === 200)).toBe(true);
    expect(sends.every((r) => Number.isInteger(r.at_ms ?? r.arrived_at_ms ?? r.at))).toBe(true);
    expect(sends[0].biz_opaque_callback_data).toBe(`herald:m:${sentText.id}`);
  });

  it("checks template values against the synced template before calling WhatsApp", async () => {
    const admin = await seedWorkspace();
    const inbox = await sandboxInbox(admin);
    await synced(admin, inbox);
    const missing = await send(admin, inbox, {
      to: "+5511987651114",
      template: { name: "welcome_offer", language: "pt_BR", header: { "1": "Ana" }, body: { "1": "Ana" } },
    });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as any).error.details).toEqual([{ path: "template.body.2", message: "is required" }]);
    const unknown = await send(admin, inbox, { to: "+5511987651114", template: { name: "nope", language: "pt_BR" } });
    expect(unknown.status).toBe(400);
    const pending = await send(admin, inbox, { to: "+5511987651114", template: { name: "summer_sale_draft", language: "en_US" } });
    expect(pending.status).toBe(409);
    const both = await send(admin, inbox, { to: "+5511987651114", text: { body: "x" }, template: { name: "hello_world", language: "en_US" } });
    expect(both.status).toBe(400);
    const badPhone = await send(admin, inbox, { to: "12", text: { body: "x" } });
    expect(badPhone.status).toBe(400);
    const record = await callJson<{ data: unknown[] }>(`/api/sandbox/inboxes/${inbox.id}/requests`, { auth: admin });
    expect(record.data.filter((r: any) => r.method === "POST")).toHaveLength(0);
  });

  it("answers 502 with WhatsApp's error and Herald's policy, and records the failed message", async () => {
    const admin = await seedWorkspace();
    const inbox = await sandboxInbox(admin);
    const res = await send(admin, inbox, { to: "+5511987650000", text: { body: "hi" } });
    expect(res.status).toBe(502);
    const body = (await res.json()) as any;
    expect(body.error.code).toBe("provider_unavailable");
    expect(body.error.details.provider).toMatchObject({ code: 131026, policy: "fail_recipient" });
    expect(body.error.details.message).toMatchObject({ status: "failed", error_code: 131026 });
  });

  it("receives sent → delivered → read back through the signed webhook path", async () => {
    const admin = await seedWorkspace();
    const inbox = await sandboxInbox(admin);
    const sent = await callJson<{ id: number }>(`/api/inboxes/${inbox.id}/messages`, {
      json: { to: "+5511987651115", text: { body: "status please" } },
      auth: admin,
    });
    const stub = env.SANDBOX.get(env.SANDBOX.idFromName(inbox.phone_number_id));
    for (let i = 0; i < 5; i++) await runDurableObjectAlarm(stub);
    const message = await waitFor(
      () => callJson<{ status: string; events: { status: string }[] }>(`/api/inboxes/${inbox.id}/messages/${sent.id}`, { auth: admin }),
      (m) => m.events.length === 3,
    );
    expect(message.events.map((e) => e.status)).toEqual(["sent", "delivered", "read"]);
    expect(message.status).toBe("read");
  });

  it("is open to operators, and the sandbox's control API is not", async () => {
    const admin = await seedWorkspace();
    const operator = await seedOperator(admin);
    const inbox = await sandboxInbox(admin);
    expect((await send(operator, inbox, { to: "+5511987651116", text: { body: "hi" } })).status).toBe(201);
    expect((await call(`/api/sandbox/inboxes/${inbox.id}/requests`, { auth: operator })).status).toBe(403);
  });
});

describe("single sends and opt-outs", () => {
  const messageRows = async (account: Account) =>
    (await env.DB.prepare("SELECT count(*) AS n FROM messages WHERE workspace_id = ?").bind(account.workspaceId).first<{ n: number }>())!.n;
  const sandboxSends = async (account: Account, inbox: Inbox) =>
    (await callJson<{ data: { method: string }[] }>(`/api/sandbox/inboxes/${inbox.id}/requests`, { auth: account })).data.filter((r) => r.method === "POST");

  it("refuses a contact who opted out, before writing a message or calling WhatsApp", async () => {
    const admin = await seedWorkspace();
    const inbox = await sandboxInbox(admin);
    await synced(admin, inbox);
    await callJson("/api/contacts", { json: { name: "Ana", phone: "+5511987652221", opted_out: true }, auth: admin });
    for (const body of [
      { to: "(11) 98765-2221", text: { body: "Olá!" } },
      { to: "+5511987652221", template: { name: "welcome_offer", language: "pt_BR", header: { "1": "Ana" }, body: { "1": "Ana", "2": "X" } } },
    ]) {
      const res = await send(admin, inbox, body);
      expect(res.status).toBe(409);
      const error = ((await res.json()) as any).error;
      expect(error.code).toBe("opted_out");
      expect(error.message).toContain("+5511987652221");
      expect(error.details).toEqual([expect.objectContaining({ path: "to" })]);
    }
    expect(await messageRows(admin)).toBe(0);
    expect(await sandboxSends(admin, inbox)).toEqual([]);
    // A contact who did not opt out is sent to as before.
    await callJson("/api/contacts", { json: { name: "Bia", phone: "+5511987652222" }, auth: admin });
    expect((await send(admin, inbox, { to: "+5511987652222", text: { body: "Olá!" } })).status).toBe(201);
  });

  it("writes no message when the inbox's provider cannot be set up", async () => {
    const admin = await seedWorkspace();
    const inbox = await sandboxInbox(admin);
    await env.DB.prepare("UPDATE inboxes SET access_token_enc = 'v1:AAAA:AAAA' WHERE id = ?").bind(inbox.id).run();
    const res = await send(admin, inbox, { to: "+5511987652223", text: { body: "Olá!" } });
    expect(res.status).toBe(500);
    expect(await errorCode(res)).toBe("not_configured");
    expect(await messageRows(admin)).toBe(0);
  });
});

describe("sandbox switch", () => {
  it("a deployment without the sandbox refuses sandbox inboxes", async () => {
    const admin = await seedWorkspace();
    const input = inboxInput.parse({ name: "x", provider: "sandbox", phone_number_id: "123", waba_id: "456" });
    await expect(insertInbox({ ...env, SANDBOX_ENABLED: "false" }, createDb(env.DB), admin.workspaceId, "http://localhost", input)).rejects.toThrow(
      /sandbox is turned off/,
    );
  });
});

describe("demo", () => {
  it("loads a sandbox inbox, templates, labels and contacts once; loading again changes nothing", async () => {
    const admin = await seedWorkspace();
    const first = await callJson<any>("/api/demo", { method: "POST", expect: 200, auth: admin });
    expect(first).toMatchObject({ labels: 6, contacts_created: 300 });
    expect(first.templates).toBeGreaterThanOrEqual(9);
    const counts = async () => ({
      contacts: (await env.DB.prepare("SELECT count(*) AS n FROM contacts WHERE workspace_id = ?").bind(admin.workspaceId).first<{ n: number }>())!.n,
      links: (await env.DB.prepare("SELECT count(*) AS n FROM contact_labels WHERE workspace_id = ?").bind(admin.workspaceId).first<{ n: number }>())!.n,
      inboxes: (await env.DB.prepare("SELECT count(*) AS n FROM inboxes WHERE workspace_id = ?").bind(admin.workspaceId).first<{ n: number }>())!.n,
      labels: (await env.DB.prepare("SELECT count(*) AS n FROM labels WHERE workspace_id = ?").bind(admin.workspaceId).first<{ n: number }>())!.n,
      templates: (await env.DB.prepare("SELECT count(*) AS n FROM templates WHERE workspace_id = ?").bind(admin.workspaceId).first<{ n: number }>())!.n,
    });
    const before = await counts();
    expect(before).toMatchObject({ contacts: 300, inboxes: 1, labels: 6, templates: first.templates });
    const second = await callJson<any>("/api/demo", { method: "POST", expect: 200, auth: admin });
    expect(second).toMatchObject({ inbox_id: first.inbox_id, contacts_created: 0 });
    expect(await counts()).toEqual(before);

    const preview = await callJson<any>("/api/audience/preview", {
      json: { labels: [(await callJson<any>("/api/labels", { auth: admin })).data.find((l: any) => l.name === "Customers").id] },
      expect: 200,
      auth: admin,
    });
    expect(preview.total).toBeGreaterThan(100);
    expect(preview.opted_out_excluded).toBeGreaterThan(0);
    const operator = await seedOperator(admin);
    expect((await call("/api/demo", { method: "POST", auth: operator })).status).toBe(403);
  });
});

import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import type { Inbox } from "../worker/db/schema";
import { inboxSecrets } from "../worker/inboxes/secrets";
import { type Auth, call, callJson, errorCode, seedOperator, seedWorkspace } from "./helpers";

const ACCESS_TOKEN = "EAAG-secret-access-token-1234567890";
const APP_SECRET = "app-secret-abcdef0123456789";

const cloudInbox = (overrides: Record<string, unknown> = {}) => ({
  name: "Sales",
  provider: "cloud",
  phone_number_id: `10654${Math.floor(Math.random() * 1e9)}`,
  waba_id: "419561257915477",
  display_phone: "+55 11 4000-0000",
  access_token: ACCESS_TOKEN,
  app_secret: APP_SECRET,
  verify_token: "verify-me-please",
  ...overrides,
});

async function rawInbox(id: number): Promise<Inbox> {
  const row = await env.DB.prepare("SELECT * FROM inboxes WHERE id = ?").bind(id).first<Record<string, any>>();
  return {
    id: row!.id,
    workspaceId: row!.workspace_id,
    accessTokenEnc: row!.access_token_enc,
    appSecretEnc: row!.app_secret_enc,
    secretContext: row!.secret_context,
  } as Inbox;
}

const create = (auth: Auth, body = cloudInbox()) => callJson<Record<string, any>>("/api/inboxes", { json: body, auth });

describe("inboxes", () => {
  it("creates a Cloud API inbox whose secrets are write-only and encrypted at rest", async () => {
    const admin = await seedWorkspace();
    const inbox = await create(admin);
    expect(inbox).toMatchObject({
      name: "Sales",
      provider: "cloud",
      api_base_url: "https://graph.facebook.com",
      api_version: "v23.0",
      throughput_cap: 80,
      messaging_limit_tier: "250",
      has_access_token: true,
      has_app_secret: true,
      webhook_url: `http://localhost/webhooks/whatsapp/${inbox.id}`,
    });

    const everyAnswer = JSON.stringify([
      inbox,
      await callJson(`/api/inboxes/${inbox.id}`, { auth: admin }),
      await callJson("/api/inboxes", { auth: admin }),
      await callJson(`/api/inboxes/${inbox.id}`, { method: "PATCH", json: { name: "Sales BR" }, auth: admin }),
    ]);
    expect(everyAnswer).not.toContain(ACCESS_TOKEN);
    expect(everyAnswer).not.toContain(APP_SECRET);
    expect(everyAnswer).not.toContain("access_token_enc");

    const stored = await rawInbox(inbox.id);
    expect(stored.accessTokenEnc).toMatch(/^v1:/);
    expect(stored.accessTokenEnc).not.toContain(ACCESS_TOKEN);
    expect(await inboxSecrets(env, stored)).toEqual({ accessToken: ACCESS_TOKEN, appSecret: APP_SECRET });
  });

  it("replaces a secret sent in a PATCH and keeps the other", async () => {
    const admin = await seedWorkspace();
    const inbox = await create(admin);
    await callJson(`/api/inboxes/${inbox.id}`, { method: "PATCH", json: { access_token: "rotated-token-value" }, auth: admin });
    expect(await inboxSecrets(env, await rawInbox(inbox.id))).toEqual({ accessToken: "rotated-token-value", appSecret: APP_SECRET });
  });

  it("a ciphertext moved to another workspace's inbox does not decrypt", async () => {
    const a = await seedWorkspace();
    const b = await seedWorkspace();
    const inboxA = await create(a);
    const inboxB = await create(b, cloudInbox({ access_token: "b-token-value" }));
    const stolen = { ...(await rawInbox(inboxB.id)), accessTokenEnc: (await rawInbox(inboxA.id)).accessTokenEnc };
    await expect(inboxSecrets(env, stolen)).rejects.toThrow();
  });

  it("a sandbox inbox gets generated credentials and the local simulator as its API", async () => {
    const admin = await seedWorkspace();
    const inbox = await create(admin, { name: "Sandbox", provider: "sandbox", phone_number_id: "1000001", waba_id: "2000001" } as any);
    expect(inbox).toMatchObject({ provider: "sandbox", api_base_url: "http://localhost/sandbox/graph", has_access_token: true, has_app_secret: true });
    expect(inbox.verify_token).toMatch(/^[A-Za-z0-9_-]{20,}$/);
  });

  it("a sandbox inbox without a number gets a new simulated one; a Cloud API inbox must name its own", async () => {
    const admin = await seedWorkspace();
    const first = await create(admin, { name: "Try Herald", provider: "sandbox" } as any);
    const second = await create(admin, { name: "Try Herald 2", provider: "sandbox" } as any);
    for (const inbox of [first, second]) {
      expect(inbox.phone_number_id).toMatch(/^\d{15}$/);
      expect(inbox.waba_id).toMatch(/^\d{15}$/);
      expect(inbox.display_phone).toMatch(/^\+1 555-\d{3}-\d{4}$/);
    }
    expect(second.phone_number_id).not.toBe(first.phone_number_id);
    // The simulated number answers like Meta's: the connection check reads it back.
    expect(await callJson(`/api/inboxes/${first.id}/test`, { method: "POST", expect: 200, auth: admin })).toMatchObject({
      ok: true,
      display_phone_number: first.display_phone,
    });

    const res = await call("/api/inboxes", { json: cloudInbox({ phone_number_id: undefined, waba_id: undefined }), auth: admin });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.details.map((d: any) => d.path).sort()).toEqual(["phone_number_id", "waba_id"]);
    const count = await env.DB.prepare("SELECT count(*) AS n FROM inboxes WHERE workspace_id = ? AND provider = 'cloud'")
      .bind(admin.workspaceId)
      .first<{ n: number }>();
    expect(count!.n).toBe(0);
  });

  it("a sandbox number belongs to one inbox, across workspaces; Cloud API numbers are per workspace", async () => {
    const a = await seedWorkspace();
    const b = await seedWorkspace();
    const number = String(3_000_000_000 + Math.floor(Math.random() * 1e9));
    const sandbox = (phone: string) => ({ name: "Sandbox", provider: "sandbox", phone_number_id: phone, waba_id: "2000002" }) as any;
    const mine = await create(a, sandbox(number));
    // Another workspace cannot take the same simulated number (its record and scenario are the number's).
    const taken = await call("/api/inboxes", { json: sandbox(number), auth: b });
    expect(taken.status).toBe(409);
    expect(await errorCode(taken)).toBe("conflict");
    const other = await create(b, sandbox(`${number}9`));
    const patched = await call(`/api/inboxes/${other.id}`, { method: "PATCH", json: { phone_number_id: number }, auth: b });
    expect(patched.status).toBe(409);
    expect((await callJson<Record<string, any>>(`/api/inboxes/${other.id}`, { auth: b })).phone_number_id).toBe(`${number}9`);
    expect((await callJson<Record<string, any>>(`/api/inboxes/${mine.id}`, { auth: a })).phone_number_id).toBe(number);
    // Two workspaces may each connect the same real number (each gets its own webhook URL).
    const cloudNumber = `${number}8`;
    await create(a, cloudInbox({ phone_number_id: cloudNumber }));
    await create(b, cloudInbox({ phone_number_id: cloudNumber }));
  });

  it("validates input and names the fields", async () => {
    const admin = await seedWorkspace();
    const missing = await call("/api/inboxes", { json: cloudInbox({ access_token: undefined, app_secret: undefined }), auth: admin });
    expect(missing.status).toBe(400);
    const paths = ((await missing.json()) as any).error.details.map((d: any) => d.path).sort();
    expect(paths).toEqual(["access_token", "app_secret"]);

    for (const [field, value] of [
      ["phone_number_id", "abc"],
      ["api_base_url", "http://example.com"],
      ["throughput_cap", 0],
      ["messaging_limit_tier", "500"],
      ["provider", "twilio"],
      ["api_version", "23"],
    ] as const) {
      const res = await call("/api/inboxes", { json: cloudInbox({ [field]: value }), auth: admin });
      expect(res.status, field).toBe(400);
      expect(((await res.json()) as any).error.details[0].path).toBe(field);
    }
    const count = await env.DB.prepare("SELECT count(*) AS n FROM inboxes WHERE workspace_id = ?").bind(admin.workspaceId).first<{ n: number }>();
    expect(count!.n).toBe(0);
  });

  it("refuses two inboxes for the same number in a workspace", async () => {
    const admin = await seedWorkspace();
    const body = cloudInbox();
    await create(admin, body);
    const again = await call("/api/inboxes", { json: body, auth: admin });
    expect(again.status).toBe(409);
  });

  it("operators can list inboxes (without the verify token) but not change them", async () => {
    const admin = await seedWorkspace();
    const operator = await seedOperator(admin);
    const inbox = await create(admin);
    const list = await callJson<{ data: Record<string, unknown>[] }>("/api/inboxes", { auth: operator });
    expect(list.data).toHaveLength(1);
    expect(list.data[0]).not.toHaveProperty("verify_token");
    for (const [method, path, json] of [
      ["POST", "/api/inboxes", cloudInbox()],
      ["PATCH", `/api/inboxes/${inbox.id}`, { name: "Mine now" }],
      ["DELETE", `/api/inboxes/${inbox.id}`, undefined],
    ] as const) {
      const res = await call(path, { method, json, auth: operator });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(await errorCode(res)).toBe("forbidden");
    }
    expect(await callJson(`/api/inboxes/${inbox.id}`, { auth: admin })).toMatchObject({ name: "Sales" });
  });

  it("another workspace's inbox is a 404 and stays untouched", async () => {
    const admin = await seedWorkspace();
    const stranger = await seedWorkspace();
    const theirs = await create(stranger);
    expect((await call(`/api/inboxes/${theirs.id}`, { auth: admin })).status).toBe(404);
    expect((await call(`/api/inboxes/${theirs.id}`, { method: "PATCH", json: { name: "x" }, auth: admin })).status).toBe(404);
    expect((await call(`/api/inboxes/${theirs.id}`, { method: "DELETE", auth: admin })).status).toBe(404);
    expect((await callJson<{ data: unknown[] }>("/api/inboxes", { auth: admin })).data).toHaveLength(0);
    expect(await callJson(`/api/inboxes/${theirs.id}`, { auth: stranger })).toMatchObject({ name: "Sales" });
  });

  it("deletes an inbox", async () => {
    const admin = await seedWorkspace();
    const inbox = await create(admin);
    expect((await call(`/api/inboxes/${inbox.id}`, { method: "DELETE", auth: admin })).status).toBe(204);
    expect((await call(`/api/inboxes/${inbox.id}`, { auth: admin })).status).toBe(404);
  });
});

describe("the Cloud API host", () => {
  const refused = async (res: Response) => {
    expect(res.status).toBe(400);
    const body = (await res.json()) as any;
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.message).toContain("api_base_url");
    return body.error.details.map((d: any) => d.path);
  };

  it("a Cloud API inbox only talks to Meta's Graph API, or to a base URL listed in EXTRA_API_BASE_URLS", async () => {
    const admin = await seedWorkspace();
    for (const url of [
      "https://evil.example.com",
      "https://graph.facebook.com.evil.example.com",
      "https://user:pass@graph.facebook.com",
      "https://graph.facebook.com:8443",
      "http://localhost:8787",
    ]) {
      const res = await call("/api/inboxes", { json: cloudInbox({ api_base_url: url }), auth: admin });
      expect(await refused(res), url).toEqual(["api_base_url"]);
    }
    const count = await env.DB.prepare("SELECT count(*) AS n FROM inboxes WHERE workspace_id = ?").bind(admin.workspaceId).first<{ n: number }>();
    expect(count!.n).toBe(0);

    expect(await create(admin, cloudInbox({ api_base_url: "https://graph.facebook.com/" }))).toMatchObject({ api_base_url: "https://graph.facebook.com" });
    // The tests list https://graph.herald.test in EXTRA_API_BASE_URLS.
    expect(await create(admin, cloudInbox({ api_base_url: "https://graph.herald.test" }))).toMatchObject({ api_base_url: "https://graph.herald.test" });

    const inbox = await create(admin);
    const patched = await call(`/api/inboxes/${inbox.id}`, {
      method: "PATCH",
      json: { api_base_url: "https://evil.example.com", access_token: "new-token-value", app_secret: "new-app-secret" },
      auth: admin,
    });
    expect(await refused(patched)).toEqual(["api_base_url"]);
    const stored = await rawInbox(inbox.id);
    expect((await env.DB.prepare("SELECT api_base_url FROM inboxes WHERE id = ?").bind(inbox.id).first<{ api_base_url: string }>())!.api_base_url).toBe(
      "https://graph.facebook.com",
    );
    expect(await inboxSecrets(env, stored)).toEqual({ accessToken: ACCESS_TOKEN, appSecret: APP_SECRET });
  });

  it("changing a Cloud API inbox's api_base_url needs its access token and app secret again in the same request", async () => {
    const admin = await seedWorkspace();
    const inbox = await create(admin);
    const alone = await call(`/api/inboxes/${inbox.id}`, { method: "PATCH", json: { api_base_url: "https://graph.herald.test" }, auth: admin });
    expect((await refused(alone)).sort()).toEqual(["access_token", "app_secret"]);
    const halfway = await call(`/api/inboxes/${inbox.id}`, {
      method: "PATCH",
      json: { api_base_url: "https://graph.herald.test", access_token: "x-token" },
      auth: admin,
    });
    expect(await refused(halfway)).toEqual(["app_secret"]);
    expect(await callJson(`/api/inboxes/${inbox.id}`, { auth: admin })).toMatchObject({ api_base_url: "https://graph.facebook.com" });
    expect(await inboxSecrets(env, await rawInbox(inbox.id))).toEqual({ accessToken: ACCESS_TOKEN, appSecret: APP_SECRET });

    // The same URL again is no change.
    await callJson(`/api/inboxes/${inbox.id}`, { method: "PATCH", json: { api_base_url: "https://graph.facebook.com/", name: "Same host" }, auth: admin });
    const moved = await callJson(`/api/inboxes/${inbox.id}`, {
      method: "PATCH",
      json: { api_base_url: "https://graph.herald.test", access_token: "token-for-the-new-host", app_secret: "secret-for-the-new-host" },
      auth: admin,
    });
    expect(moved).toMatchObject({ api_base_url: "https://graph.herald.test", has_access_token: true, has_app_secret: true });
    expect(await inboxSecrets(env, await rawInbox(inbox.id))).toEqual({ accessToken: "token-for-the-new-host", appSecret: "secret-for-the-new-host" });
  });

  it("a sandbox inbox's API stays the app's own simulator", async () => {
    const admin = await seedWorkspace();
    const inbox = await create(admin, { name: "Sandbox", provider: "sandbox" } as any);
    const res = await call(`/api/inboxes/${inbox.id}`, { method: "PATCH", json: { api_base_url: "https://evil.example.com" }, auth: admin });
    expect(await refused(res)).toEqual(["api_base_url"]);
    const created = await call("/api/inboxes", { json: { name: "Sandbox 2", provider: "sandbox", api_base_url: "https://evil.example.com" }, auth: admin });
    expect(await refused(created)).toEqual(["api_base_url"]);
  });

  it("an inbox stored with another host before the rule is never called with its token", async () => {
    const admin = await seedWorkspace();
    const inbox = await create(admin);
    await env.DB.prepare("UPDATE inboxes SET api_base_url = 'https://evil.example.com' WHERE id = ?").bind(inbox.id).run();
    // Answers instead of the network, so the test also sees a call that should not happen.
    const fetchSpy = vi.spyOn(globalThis, "fetch").mockImplementation(async () => new Response("{}", { status: 500 }));
    try {
      for (const path of [`/api/inboxes/${inbox.id}/test`, `/api/inboxes/${inbox.id}/templates/sync`]) {
        const res = await call(path, { method: "POST", auth: admin });
        expect(res.status, path).toBe(500);
        const body = (await res.json()) as any;
        expect(body.error.code).toBe("not_configured");
        expect(body.error.message).toContain("api_base_url");
      }
      expect(fetchSpy.mock.calls.map((c) => String(c[0] instanceof Request ? c[0].url : c[0]))).toEqual([]);
    } finally {
      fetchSpy.mockRestore();
    }
  });
});

import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../worker/app";
import { call, errorCode, ORIGIN } from "./helpers";

const SECRET = "a long random setup secret";
const input = { workspace_name: "Demo Co", name: "Dora", email: "dora@example.test", password: "demo password!", load_demo: true };

/** Calls the Worker with some of its variables changed, e.g. as a production deployment. */
async function callWith(vars: Partial<Env>, path: string, init: { method?: string; json?: unknown } = {}) {
  const ctx = createExecutionContext();
  const res = await app.fetch(
    new Request(`${ORIGIN}${path}`, {
      method: init.method ?? (init.json === undefined ? "GET" : "POST"),
      headers: { origin: ORIGIN, "content-type": "application/json" },
      body: init.json === undefined ? undefined : JSON.stringify(init.json),
    }),
    { ...env, ...vars } as Env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}

const production = { HERALD_ENV: "production", SETUP_SECRET: SECRET };
const usersCount = async () => (await env.DB.prepare("SELECT count(*) AS n FROM users").first<{ n: number }>())!.n;

// First-run setup happens once per database, and each test file has its own: these run in order.
describe("first-run setup outside local development", () => {
  it("is refused while the deployment has no SETUP_SECRET, saying to set one", async () => {
    for (const vars of [
      { HERALD_ENV: "production", SETUP_SECRET: undefined },
      { HERALD_ENV: undefined, SETUP_SECRET: "  " },
    ]) {
      const res = await callWith(vars as Partial<Env>, "/api/auth/setup", { json: { ...input, setup_secret: "anything at all" } });
      expect(res.status).toBe(500);
      const body = (await res.json()) as any;
      expect(body.error.code).toBe("not_configured");
      expect(body.error.message).toContain("wrangler secret put SETUP_SECRET");
    }
    expect(await usersCount()).toBe(0);
  });

  it("says the setup secret is needed, and refuses a missing or wrong one naming setup_secret", async () => {
    expect(await (await callWith(production, "/api/auth/setup")).json()).toEqual({ setup_required: true, setup_secret_required: true });
    for (const secret of [undefined, "", "a wrong setup secret", `${SECRET} `.repeat(2)]) {
      const res = await callWith(production, "/api/auth/setup", { json: { ...input, ...(secret === undefined ? {} : { setup_secret: secret }) } });
      expect(res.status, `secret ${JSON.stringify(secret)}`).toBe(403);
      const body = (await res.json()) as any;
      expect(body.error.code).toBe("forbidden");
      expect(body.error.details).toEqual([{ path: "setup_secret", message: expect.any(String) }]);
    }
    // A secret set for local development is required there too.
    const local = await callWith({ HERALD_ENV: "development", SETUP_SECRET: SECRET }, "/api/auth/setup", { json: input });
    expect(local.status).toBe(403);
    expect(await errorCode(local)).toBe("forbidden");
    expect(await usersCount()).toBe(0);
  });

  it("accepts the right setup secret, and can load the demo workspace", async () => {
    const res = await callWith(production, "/api/auth/setup", { json: { ...input, setup_secret: SECRET } });
    expect(res.status).toBe(201);
    const body = (await res.json()) as any;
    expect(body.demo).toMatchObject({ labels: 6, contacts_created: 300 });
    expect(body.demo.templates).toBeGreaterThanOrEqual(9);
    const inbox = await env.DB.prepare("SELECT provider, name FROM inboxes WHERE workspace_id = ?").bind(body.workspace.id).first();
    expect(inbox).toEqual({ provider: "sandbox", name: "Demo sandbox" });
    // Once set up, setup is refused whatever the secret.
    const again = await call("/api/auth/setup", { json: { ...input, email: "other@example.test" } });
    expect(await errorCode(again)).toBe("already_set_up");
  });
});

import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../worker/app";
import { call, callJson, errorCode, ORIGIN, seedWorkspace, sessionCookie } from "./helpers";

const HTTPS = "https://herald.example.com";
const DAY = 24 * 3600;

/** Calls the app at a full URL (http or https) as a same-origin browser would, and waits for its background work. */
async function fetchApp(url: string, init: { method?: string; json?: unknown; cookie?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = { origin: new URL(url).origin };
  if (init.cookie) headers.cookie = init.cookie;
  if (init.json !== undefined) headers["content-type"] = "application/json";
  const ctx = createExecutionContext();
  const res = await app.fetch(
    new Request(url, {
      method: init.method ?? (init.json === undefined ? "GET" : "POST"),
      headers,
      body: init.json === undefined ? undefined : JSON.stringify(init.json),
    }),
    env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}

const admin = { workspace_name: "Acme", name: "Ana Admin", email: "Ana@Example.test", password: "a long password" };

describe("first-run setup", () => {
  // Setup happens once per database, so this describe runs in order within this file.
  it("reports that setup is needed, validates input, then creates the workspace and admin", async () => {
    // The tests run as local development (HERALD_ENV=development) without a SETUP_SECRET: no setup secret is asked for.
    expect(await callJson("/api/auth/setup")).toEqual({ setup_required: true, setup_secret_required: false });

    const weak = await call("/api/auth/setup", { json: { ...admin, password: "short" } });
    expect(weak.status).toBe(400);
    const body = (await weak.json()) as any;
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.message).toContain("password");
    expect(body.error.details).toEqual([{ path: "password", message: "must be at least 10 characters" }]);

    const res = await call("/api/auth/setup", { json: admin });
    expect(res.status).toBe(201);
    const created = (await res.json()) as any;
    expect(created.user).toMatchObject({ email: "ana@example.test", name: "Ana Admin", role: "admin" });
    expect(created.workspace).toMatchObject({ name: "Acme", default_country: "BR" });
    expect(JSON.stringify(created)).not.toContain("password");

    expect(created.features).toEqual({ sandbox: true });

    const me = await callJson("/api/auth/me", { auth: { cookie: sessionCookie(res) } });
    expect(me).toMatchObject({ user: { email: "ana@example.test" }, workspace: { name: "Acme" }, via: "session", features: { sandbox: true } });
    expect(await callJson("/api/auth/setup")).toEqual({ setup_required: false, setup_secret_required: false });
  });

  it("is refused once any user exists", async () => {
    const again = await call("/api/auth/setup", { json: { ...admin, email: "other@example.test" } });
    expect(again.status).toBe(409);
    expect(await errorCode(again)).toBe("already_set_up");
    const count = await env.DB.prepare("SELECT count(*) AS n FROM users WHERE email = 'other@example.test'").first<{ n: number }>();
    expect(count!.n).toBe(0);
  });

  it("stores the password as a salted PBKDF2-SHA256 hash with at least 100,000 iterations", async () => {
    const row = await env.DB.prepare("SELECT password_hash FROM users WHERE email = 'ana@example.test'").first<{ password_hash: string }>();
    const [scheme, iterations, salt, hash] = row!.password_hash.split("$");
    expect(scheme).toBe("pbkdf2_sha256");
    expect(Number(iterations)).toBeGreaterThanOrEqual(100_000);
    expect(salt!.length).toBeGreaterThanOrEqual(20);
    expect(hash).not.toContain(admin.password);
  });
});

describe("login and sessions", () => {
  it("signs in, sets a HttpOnly SameSite=Lax cookie and signs out", async () => {
    const account = await seedWorkspace();
    const res = await call("/api/auth/login", { json: { email: account.email.toUpperCase(), password: account.password } });
    expect(res.status).toBe(200);
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith("herald_session="))!;
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(setCookie).not.toMatch(/Secure/i); // plain http://localhost in development
    const cookie = sessionCookie(res);

    // The cookie holds the only copy of the session id: the database has its hash.
    const id = cookie.split("=")[1]!;
    const stored = await env.DB.prepare("SELECT count(*) AS n FROM sessions WHERE id_hash = ?").bind(id).first<{ n: number }>();
    expect(stored!.n).toBe(0);

    expect((await call("/api/auth/me", { auth: { cookie } })).status).toBe(200);
    const out = await call("/api/auth/logout", { method: "POST", auth: { cookie } });
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie().join()).toMatch(/herald_session=;/);
    expect((await call("/api/auth/me", { auth: { cookie } })).status).toBe(401);
  });

  it("over https the cookie is __Host-herald_session (Secure, Path=/, no Domain) and only that name is read", async () => {
    const account = await seedWorkspace();
    const login = await fetchApp(`${HTTPS}/api/auth/login`, { json: { email: account.email, password: account.password } });
    expect(login.status).toBe(200);
    const [setCookie, ...more] = login.headers.getSetCookie();
    expect(more).toEqual([]);
    expect(setCookie).toMatch(/^__Host-herald_session=[^;]+;/);
    expect(setCookie).toMatch(/; Secure(;|$)/);
    expect(setCookie).toMatch(/; Path=\/(;|$)/);
    expect(setCookie).toMatch(/; HttpOnly(;|$)/);
    expect(setCookie).toMatch(/; SameSite=Lax(;|$)/);
    expect(setCookie).not.toMatch(/Domain=/i);
    const id = setCookie!.split(";")[0]!.split("=")[1]!;

    expect((await fetchApp(`${HTTPS}/api/auth/me`, { cookie: `__Host-herald_session=${id}` })).status).toBe(200);
    // Over https the plain name, which plain http or a sibling subdomain can set, is not read.
    expect((await fetchApp(`${HTTPS}/api/auth/me`, { cookie: `herald_session=${id}` })).status).toBe(401);

    const out = await fetchApp(`${HTTPS}/api/auth/logout`, { method: "POST", cookie: `__Host-herald_session=${id}` });
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie().join()).toMatch(/^__Host-herald_session=; Max-Age=0; Path=\/; HttpOnly; Secure/);
    expect((await fetchApp(`${HTTPS}/api/auth/me`, { cookie: `__Host-herald_session=${id}` })).status).toBe(401);
  });

  it("answers a wrong password and an unknown email alike", async () => {
    const account = await seedWorkspace();
    const wrong = await call("/api/auth/login", { json: { email: account.email, password: "not the password" } });
    const unknown = await call("/api/auth/login", { json: { email: "nobody@example.test", password: "not the password" } });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(await wrong.json()).toEqual(await unknown.json());
  });

  it("throttles a client after 5 failures for an email (429, Retry-After) while the owner's client signs in", async () => {
    const account = await seedWorkspace();
    const attacker = { "cf-connecting-ip": "203.0.113.7" };
    for (let i = 0; i < 5; i++) {
      const res = await call("/api/auth/login", { json: { email: account.email, password: `wrong ${i} password` }, headers: attacker });
      expect(res.status).toBe(401);
    }
    // The attacker's client is stopped, even with the right password.
    const throttled = await call("/api/auth/login", { json: { email: account.email, password: account.password }, headers: attacker });
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await errorCode(throttled)).toBe("too_many_requests");
    // The owner, from another client, is not.
    const owner = await call("/api/auth/login", {
      json: { email: account.email, password: account.password },
      headers: { "cf-connecting-ip": "198.51.100.20" },
    });
    expect(owner.status).toBe(200);
    // Nor is another account from the attacker's client.
    const other = await seedWorkspace();
    expect((await call("/api/auth/login", { json: { email: other.email, password: other.password }, headers: attacker })).status).toBe(200);
  });

  it("an email failing from many clients stops each client at its first failure, never a client that has not failed", async () => {
    const account = await seedWorkspace();
    const from = (n: number) => ({ "cf-connecting-ip": `203.0.113.${n}` });
    for (let n = 1; n <= 20; n++) {
      expect((await call("/api/auth/login", { json: { email: account.email, password: "a guessed password" }, headers: from(n) })).status).toBe(401);
    }
    // Under that pressure one more failure is enough to stop a client for this email.
    expect((await call("/api/auth/login", { json: { email: account.email, password: "another guess!" }, headers: from(21) })).status).toBe(401);
    const stopped = await call("/api/auth/login", { json: { email: account.email, password: account.password }, headers: from(21) });
    expect(stopped.status).toBe(429);
    expect(Number(stopped.headers.get("retry-after"))).toBeGreaterThan(0);
    // The owner's client has not failed: it signs in.
    expect(
      (await call("/api/auth/login", { json: { email: account.email, password: account.password }, headers: { "cf-connecting-ip": "198.51.100.21" } })).status,
    ).toBe(200);
    const rows = await env.DB.prepare("SELECT key FROM login_attempts WHERE key LIKE ? AND locked_until > unixepoch()")
      .bind(`%${account.email}%`)
      .all<{ key: string }>();
    expect(rows.results.map((r) => r.key)).toEqual([`client:203.0.113.21|email:${account.email}`]);
  });

  it("throttles a client that fails across 30 emails, for every email", async () => {
    const account = await seedWorkspace();
    const sprayer = { "cf-connecting-ip": "203.0.113.99" };
    for (let i = 0; i < 30; i++) {
      const res = await call("/api/auth/login", { json: { email: `sprayed-${i}@example.test`, password: "a guessed password" }, headers: sprayer });
      expect(res.status).toBe(401);
    }
    const res = await call("/api/auth/login", { json: { email: account.email, password: account.password }, headers: sprayer });
    expect(res.status).toBe(429);
    expect(
      (await call("/api/auth/login", { json: { email: account.email, password: account.password }, headers: { "cf-connecting-ip": "198.51.100.99" } })).status,
    ).toBe(200);
  });

  it("clears the failure count after a successful login", async () => {
    const account = await seedWorkspace();
    for (let i = 0; i < 4; i++) await call("/api/auth/login", { json: { email: account.email, password: "wrong password!" } });
    expect((await call("/api/auth/login", { json: { email: account.email, password: account.password } })).status).toBe(200);
    for (let i = 0; i < 4; i++) await call("/api/auth/login", { json: { email: account.email, password: "wrong password!" } });
    expect((await call("/api/auth/login", { json: { email: account.email, password: account.password } })).status).toBe(200);
  });

  it("refuses an expired session", async () => {
    const account = await seedWorkspace();
    await env.DB.prepare("UPDATE sessions SET expires_at = unixepoch() - 1 WHERE user_id = ?").bind(account.userId).run();
    expect((await call("/api/auth/me", { auth: account })).status).toBe(401);
  });

  it("a new session ends after 7 days without use", async () => {
    const account = await seedWorkspace();
    const row = await env.DB.prepare("SELECT created_at, expires_at FROM sessions WHERE user_id = ?")
      .bind(account.userId)
      .first<{ created_at: number; expires_at: number }>();
    expect(row!.expires_at - row!.created_at).toBe(7 * DAY);
  });

  it("a session in use is extended, never past 30 days from sign-in", async () => {
    const account = await seedWorkspace();
    // Signed in 29 days ago and used since: its idle expiry is near, so this use extends it.
    await env.DB.prepare("UPDATE sessions SET created_at = unixepoch() - 29 * 86400, expires_at = unixepoch() + 60 WHERE user_id = ?")
      .bind(account.userId)
      .run();
    const res = await fetchApp(`${ORIGIN}/api/auth/me`, { cookie: account.cookie });
    expect(res.status).toBe(200);
    const row = await env.DB.prepare("SELECT created_at, expires_at FROM sessions WHERE user_id = ?")
      .bind(account.userId)
      .first<{ created_at: number; expires_at: number }>();
    expect(row!.expires_at).toBe(row!.created_at + 30 * DAY);
    const maxAge = Number(/Max-Age=(\d+)/.exec(res.headers.getSetCookie().join())?.[1]);
    expect(maxAge).toBeGreaterThan(DAY - 60);
    expect(maxAge).toBeLessThanOrEqual(DAY);
  });

  it("refuses a session 30 days after sign-in however recently it was used", async () => {
    const account = await seedWorkspace();
    await env.DB.prepare("UPDATE sessions SET created_at = unixepoch() - 30 * 86400 - 1, expires_at = unixepoch() + 7 * 86400 WHERE user_id = ?")
      .bind(account.userId)
      .run();
    const res = await call("/api/auth/me", { auth: account });
    expect(res.status).toBe(401);
    expect(await errorCode(res)).toBe("unauthorized");
  });

  it("rejects malformed login bodies with a clear 400", async () => {
    const badJson = await call("/api/auth/login", { body: "{email:", headers: { "content-type": "application/json" } });
    expect(badJson.status).toBe(400);
    expect(await errorCode(badJson)).toBe("invalid_json");
    const missing = await call("/api/auth/login", { json: { email: "not-an-email" } });
    expect(missing.status).toBe(400);
    const body = (await missing.json()) as any;
    expect(body.error.details.map((d: any) => d.path).sort()).toEqual(["email", "password"]);
  });
});

describe("the deployment's features", () => {
  it("come with the session on login and from /api/auth/me: the sandbox follows SANDBOX_ENABLED", async () => {
    const account = await seedWorkspace();
    const login = await callJson<any>("/api/auth/login", { json: { email: account.email, password: account.password }, expect: 200 });
    expect(login.features).toEqual({ sandbox: true });
    expect((await callJson<any>("/api/auth/me", { auth: account })).features).toEqual({ sandbox: true });

    for (const value of ["false", undefined]) {
      const ctx = createExecutionContext();
      const res = await app.fetch(
        new Request(`${ORIGIN}/api/auth/me`, { headers: { origin: ORIGIN, cookie: account.cookie! } }),
        { ...env, SANDBOX_ENABLED: value } as Env,
        ctx,
      );
      await waitOnExecutionContext(ctx);
      expect(res.status).toBe(200);
      expect(((await res.json()) as any).features).toEqual({ sandbox: false });
    }
  });
});

describe("CSRF defence for cookie-authenticated writes", () => {
  it("refuses a foreign Origin and a cross-site fetch, accepts same-origin and scripts", async () => {
    const account = await seedWorkspace();
    const post = (headers: Record<string, string>, auth: { cookie?: string; token?: string } = account) =>
      call("/api/labels", { json: { name: `csrf ${Math.random()}` }, headers, auth });

    const foreign = await post({ origin: "https://evil.example" });
    expect(foreign.status).toBe(403);
    expect(await errorCode(foreign)).toBe("csrf_rejected");

    const crossSite = await call("/api/labels", {
      json: { name: "cross" },
      headers: { origin: "", "sec-fetch-site": "cross-site" },
      auth: account,
    });
    expect(crossSite.status).toBe(403);

    expect((await post({ origin: "http://localhost", "sec-fetch-site": "same-origin" })).status).toBe(201);

    const labels = await env.DB.prepare("SELECT name FROM labels WHERE workspace_id = ? AND name = 'cross'").bind(account.workspaceId).all();
    expect(labels.results).toHaveLength(0);

    // An API token is no ambient credential: a foreign Origin does not matter.
    const { token } = await callJson<{ token: string }>("/api/tokens", { json: { name: "script" }, auth: account });
    expect((await post({ origin: "https://elsewhere.example" }, { token })).status).toBe(201);
  });

  it("also guards login against cross-site posts", async () => {
    const account = await seedWorkspace();
    const res = await call("/api/auth/login", { json: { email: account.email, password: account.password }, headers: { origin: "https://evil.example" } });
    expect(res.status).toBe(403);
  });
});

describe("API tokens", () => {
  it("are shown once, stored hashed, accepted as Bearer and revocable", async () => {
    const account = await seedWorkspace();
    const created = await callJson<{ id: number; token: string; prefix: string }>("/api/tokens", { json: { name: "ci" }, auth: account });
    expect(created.token).toMatch(/^hrld_[A-Za-z0-9_-]{40,}$/);
    expect(created.token.startsWith(created.prefix)).toBe(true);

    const list = await callJson<{ data: any[] }>("/api/tokens", { auth: account });
    expect(list.data).toHaveLength(1);
    expect(JSON.stringify(list)).not.toContain(created.token);
    const row = await env.DB.prepare("SELECT token_hash FROM api_tokens WHERE id = ?").bind(created.id).first<{ token_hash: string }>();
    expect(row!.token_hash).not.toContain(created.token);

    const me = await callJson("/api/auth/me", { auth: { token: created.token } });
    expect(me).toMatchObject({ user: { id: account.userId }, via: "token" });

    expect((await call(`/api/tokens/${created.id}`, { method: "DELETE", auth: account })).status).toBe(204);
    const revoked = await call("/api/auth/me", { auth: { token: created.token } });
    expect(revoked.status).toBe(401);
    expect(await errorCode(revoked)).toBe("unauthorized");
  });

  it("a bad or malformed bearer token is a 401 even with a valid cookie", async () => {
    const account = await seedWorkspace();
    expect((await call("/api/auth/me", { auth: { ...account, token: "hrld_nope" } })).status).toBe(401);
    expect((await call("/api/auth/me", { headers: { authorization: "Bearer" }, auth: account })).status).toBe(401);
  });

  it("operators see only their own tokens; another workspace's token id is a 404", async () => {
    const admin = await seedWorkspace();
    const operator = await seedWorkspace({ role: "operator", workspaceId: admin.workspaceId });
    const adminToken = await callJson<{ id: number }>("/api/tokens", { json: { name: "admin's" }, auth: admin });
    await callJson("/api/tokens", { json: { name: "operator's" }, auth: operator });
    const seen = await callJson<{ data: { name: string }[] }>("/api/tokens", { auth: operator });
    expect(seen.data.map((t) => t.name)).toEqual(["operator's"]);
    expect((await call(`/api/tokens/${adminToken.id}`, { method: "DELETE", auth: operator })).status).toBe(404);
    const stranger = await seedWorkspace();
    expect((await call(`/api/tokens/${adminToken.id}`, { method: "DELETE", auth: stranger })).status).toBe(404);
    expect((await callJson<{ data: unknown[] }>("/api/tokens", { auth: admin })).data).toHaveLength(2);
  });
});

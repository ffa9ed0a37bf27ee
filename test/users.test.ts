import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, callJson, errorCode, seedOperator, seedWorkspace, sessionCookie } from "./helpers";

/** How many sessions and API tokens a user has. */
async function credentialsOf(userId: number) {
  const row = await env.DB.prepare(
    "SELECT (SELECT count(*) FROM sessions WHERE user_id = ?1) AS sessions, (SELECT count(*) FROM api_tokens WHERE user_id = ?1) AS tokens",
  )
    .bind(userId)
    .first<{ sessions: number; tokens: number }>();
  return { ...row };
}

describe("users (admin only)", () => {
  it("an admin creates an operator who can then sign in", async () => {
    const admin = await seedWorkspace();
    const created = await callJson("/api/users", {
      json: { email: "Olga@Example.test", name: "Olga", password: "operator password" },
      auth: admin,
    });
    expect(created).toMatchObject({ email: "olga@example.test", name: "Olga", role: "operator" });
    expect(JSON.stringify(created)).not.toMatch(/password/i);

    const login = await call("/api/auth/login", { json: { email: "olga@example.test", password: "operator password" } });
    expect(login.status).toBe(200);
    const me = await callJson("/api/auth/me", { auth: { cookie: sessionCookie(login) } });
    expect(me).toMatchObject({ user: { role: "operator" }, workspace: { id: admin.workspaceId } });

    const list = await callJson<{ data: { email: string }[] }>("/api/users", { auth: admin });
    expect(list.data.map((u) => u.email)).toContain("olga@example.test");
  });

  it("refuses a duplicate email and a weak password", async () => {
    const admin = await seedWorkspace();
    const dup = await call("/api/users", { json: { email: admin.email, password: "some password" }, auth: admin });
    expect(dup.status).toBe(409);
    const weak = await call("/api/users", { json: { email: "new@example.test", password: "123" }, auth: admin });
    expect(weak.status).toBe(400);
    expect(((await weak.json()) as any).error.details[0].path).toBe("password");
  });

  it("a password reset by an admin signs the user out everywhere and revokes their API tokens", async () => {
    const admin = await seedWorkspace();
    const operator = await seedOperator(admin);
    const { token } = await callJson<{ token: string }>("/api/tokens", { json: { name: "operator's script" }, auth: operator });
    const { token: adminToken } = await callJson<{ token: string }>("/api/tokens", { json: { name: "admin's script" }, auth: admin });
    await callJson(`/api/users/${operator.userId}`, { method: "PATCH", json: { password: "brand new password" }, auth: admin });

    expect((await call("/api/auth/me", { auth: operator })).status).toBe(401);
    expect((await call("/api/auth/me", { auth: { token } })).status).toBe(401);
    expect(await credentialsOf(operator.userId)).toEqual({ sessions: 0, tokens: 0 });
    expect((await call("/api/auth/login", { json: { email: operator.email, password: operator.password } })).status).toBe(401);
    expect((await call("/api/auth/login", { json: { email: operator.email, password: "brand new password" } })).status).toBe(200);
    // The admin who reset it keeps their own session and token.
    expect((await call("/api/auth/me", { auth: admin })).status).toBe(200);
    expect((await call("/api/auth/me", { auth: { token: adminToken } })).status).toBe(200);
  });

  it("changing your own password keeps this session, ends your other sessions and revokes your API tokens", async () => {
    const admin = await seedWorkspace();
    const elsewhere = sessionCookie(await call("/api/auth/login", { json: { email: admin.email, password: admin.password } }));
    const { token } = await callJson<{ token: string }>("/api/tokens", { json: { name: "script" }, auth: admin });
    await callJson(`/api/users/${admin.userId}`, { method: "PATCH", json: { password: "my own new password" }, auth: admin });

    expect((await call("/api/auth/me", { auth: admin })).status).toBe(200);
    expect((await call("/api/auth/me", { auth: { cookie: elsewhere } })).status).toBe(401);
    expect((await call("/api/auth/me", { auth: { token } })).status).toBe(401);
    expect(await credentialsOf(admin.userId)).toEqual({ sessions: 1, tokens: 0 });
  });

  it("changing your own password with an API token revokes every session and token, that one too", async () => {
    const admin = await seedWorkspace();
    const { token } = await callJson<{ token: string }>("/api/tokens", { json: { name: "script" }, auth: admin });
    await callJson(`/api/users/${admin.userId}`, { method: "PATCH", json: { password: "my own new password" }, auth: { token } });
    expect((await call("/api/auth/me", { auth: { token } })).status).toBe(401);
    expect((await call("/api/auth/me", { auth: { cookie: admin.cookie } })).status).toBe(401);
    expect(await credentialsOf(admin.userId)).toEqual({ sessions: 0, tokens: 0 });
  });

  it("a change of name or role keeps the user's sessions and tokens", async () => {
    const admin = await seedWorkspace();
    const operator = await seedOperator(admin);
    const { token } = await callJson<{ token: string }>("/api/tokens", { json: { name: "script" }, auth: operator });
    await callJson(`/api/users/${operator.userId}`, { method: "PATCH", json: { name: "Renamed" }, auth: admin });
    expect((await call("/api/auth/me", { auth: operator })).status).toBe(200);
    expect((await call("/api/auth/me", { auth: { token } })).status).toBe(200);
  });

  it("keeps at least one admin and never deletes the caller", async () => {
    const admin = await seedWorkspace();
    const demote = await call(`/api/users/${admin.userId}`, { method: "PATCH", json: { role: "operator" }, auth: admin });
    expect(demote.status).toBe(409);
    const self = await call(`/api/users/${admin.userId}`, { method: "DELETE", auth: admin });
    expect(self.status).toBe(409);
    const operator = await seedOperator(admin);
    expect((await call(`/api/users/${operator.userId}`, { method: "DELETE", auth: admin })).status).toBe(204);
    expect((await call("/api/auth/me", { auth: operator })).status).toBe(401);
  });

  it("operators get 403 on every user route", async () => {
    const admin = await seedWorkspace();
    const operator = await seedOperator(admin);
    for (const [method, path, json] of [
      ["GET", "/api/users", undefined],
      ["POST", "/api/users", { email: "x@example.test", password: "long enough pass" }],
      ["PATCH", `/api/users/${admin.userId}`, { role: "operator" }],
      ["DELETE", `/api/users/${admin.userId}`, undefined],
    ] as const) {
      const res = await call(path, { method, json, auth: operator });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(await errorCode(res)).toBe("forbidden");
    }
    const row = await env.DB.prepare("SELECT role FROM users WHERE id = ?").bind(admin.userId).first<{ role: string }>();
    expect(row!.role).toBe("admin");
  });

  it("another workspace's user is a 404", async () => {
    const admin = await seedWorkspace();
    const stranger = await seedWorkspace();
    for (const method of ["PATCH", "DELETE"] as const) {
      const res = await call(`/api/users/${stranger.userId}`, { method, json: method === "PATCH" ? { name: "hijacked" } : undefined, auth: admin });
      expect(res.status).toBe(404);
    }
    const row = await env.DB.prepare("SELECT name FROM users WHERE id = ?").bind(stranger.userId).first<{ name: string }>();
    expect(row!.name).toBe("Test User");
  });
});

describe("workspace settings", () => {
  it("an admin changes the default country, which then reads local phone numbers", async () => {
    const admin = await seedWorkspace();
    const ws = await callJson("/api/workspace", { method: "PATCH", json: { default_country: "us" }, auth: admin });
    expect(ws).toMatchObject({ default_country: "US" });
    const contact = await callJson<{ phone: string }>("/api/contacts", { json: { phone: "(415) 555-2671" }, auth: admin });
    expect(contact.phone).toBe("+14155552671");
    const bad = await call("/api/workspace", { method: "PATCH", json: { default_country: "XX" }, auth: admin });
    expect(bad.status).toBe(400);
    const operator = await seedOperator(admin);
    expect((await call("/api/workspace", { method: "PATCH", json: { name: "Mine" }, auth: operator })).status).toBe(403);
    expect(await callJson("/api/workspace", { auth: operator })).toMatchObject({ default_country: "US" });
  });

  it("the frequency cap is off by default; admins set it within 1–100 messages per 1–90 days, errors naming the field; operators only read it", async () => {
    const admin = await seedWorkspace();
    expect(await callJson("/api/workspace", { auth: admin })).toMatchObject({ frequency_cap_messages: null, frequency_cap_days: 7 });
    const refused = async (json: Record<string, unknown>, path: string, message: RegExp) => {
      const res = await call("/api/workspace", { method: "PATCH", json, auth: admin });
      const body = (await res.json()) as { error: { code: string; details: { path: string; message: string }[] } };
      expect(res.status, JSON.stringify(json)).toBe(400);
      expect(body.error.code).toBe("validation_failed");
      expect(body.error.details, JSON.stringify(json)).toEqual([expect.objectContaining({ path, message: expect.stringMatching(message) })]);
    };
    await refused({ frequency_cap_messages: 0 }, "frequency_cap_messages", /at least 1/);
    await refused({ frequency_cap_messages: 101 }, "frequency_cap_messages", /at most 100/);
    await refused({ frequency_cap_messages: 1.5 }, "frequency_cap_messages", /whole number/);
    await refused({ frequency_cap_messages: "1" }, "frequency_cap_messages", /./);
    await refused({ frequency_cap_days: 0 }, "frequency_cap_days", /at least 1/);
    await refused({ frequency_cap_days: 91 }, "frequency_cap_days", /at most 90/);
    await refused({ frequency_cap_days: null }, "frequency_cap_days", /./);
    // Nothing half-written: a valid field next to an invalid one is not saved either.
    await refused({ frequency_cap_messages: 2, frequency_cap_days: 91 }, "frequency_cap_days", /at most 90/);
    expect(await callJson("/api/workspace", { auth: admin })).toMatchObject({ frequency_cap_messages: null, frequency_cap_days: 7 });

    expect(await callJson("/api/workspace", { method: "PATCH", json: { frequency_cap_messages: 1, frequency_cap_days: 90 }, auth: admin })).toMatchObject({
      frequency_cap_messages: 1,
      frequency_cap_days: 90,
    });
    expect(await callJson("/api/workspace", { method: "PATCH", json: { frequency_cap_messages: 100 }, auth: admin })).toMatchObject({
      frequency_cap_messages: 100,
      frequency_cap_days: 90,
    });
    const operator = await seedOperator(admin);
    expect((await call("/api/workspace", { method: "PATCH", json: { frequency_cap_messages: 5 }, auth: operator })).status).toBe(403);
    expect(await callJson("/api/auth/me", { auth: operator })).toMatchObject({ workspace: { frequency_cap_messages: 100, frequency_cap_days: 90 } });
    expect(await callJson("/api/workspace", { method: "PATCH", json: { frequency_cap_messages: null }, auth: admin })).toMatchObject({
      frequency_cap_messages: null,
    });
  });
});

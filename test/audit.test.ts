/**
 * The audit trail: one event per change to campaigns, inboxes, users, API tokens and workspace
 * settings, with the actor (session or API token) and what changed; automatic pauses and failures
 * recorded once with their reason; GET /api/audit (admin only, scoped, filtered, paged) and a
 * campaign's history; no secret in any stored detail.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { auditStatement, systemActor } from "../worker/audit/record";
import { createDb } from "../worker/db/client";
import { labels } from "../worker/db/schema";
import { createCampaign, digits, drive, holdOutbound, senderOf, setScenario, sleep, templateCampaign, type World, world } from "./campaigns/world";
import { type Account, call, callJson, errorCode, seedOperator, seedWorkspace } from "./helpers";

type StoredEvent = {
  id: number;
  at: number;
  actor_type: string;
  actor_user_id: number | null;
  actor_token_id: number | null;
  action: string;
  subject_type: string;
  subject_id: number | null;
  detail: string;
};

/** Every event stored for the workspace, oldest first, straight from D1. */
async function stored(workspaceId: number, since = 0): Promise<StoredEvent[]> {
  const { results } = await env.DB.prepare("SELECT * FROM audit_events WHERE workspace_id = ? AND id > ? ORDER BY id")
    .bind(workspaceId, since)
    .all<StoredEvent>();
  return results;
}

/** The id of the newest stored event (0 when there is none), to read only what comes after. */
async function mark(): Promise<number> {
  const row = await env.DB.prepare("SELECT coalesce(max(id), 0) AS id FROM audit_events").first<{ id: number }>();
  return row!.id;
}

/** Runs `change` and returns the events it stored in the workspace. */
async function eventsOf(workspaceId: number, change: () => Promise<unknown>): Promise<StoredEvent[]> {
  const before = await mark();
  await change();
  return stored(workspaceId, before);
}

const post = (path: string, auth: Account | { token: string }, json: unknown = {}, expect = 200) => callJson<any>(path, { method: "POST", json, expect, auth });
const patch = (path: string, auth: Account | { token: string }, json: unknown) => callJson<any>(path, { method: "PATCH", json, auth });
const remove = (path: string, auth: Account | { token: string }) => callJson(path, { method: "DELETE", expect: 204, auth });

/** One event by the signed-in user of `who`, about `subject`. */
function expectOne(events: StoredEvent[], action: string, who: Account, subjectId: number | null) {
  expect(events.map((e) => e.action)).toEqual([action]);
  expect(events[0]).toMatchObject({ actor_type: "user", actor_user_id: who.userId, actor_token_id: null, subject_id: subjectId });
  return JSON.parse(events[0]!.detail) as Record<string, any>;
}

describe("recording", () => {
  it("an event batched after a change that matched no row is not written; after one that did, it is", async () => {
    const admin = await seedWorkspace();
    const db = createDb(env.DB);
    const label = await callJson<{ id: number }>("/api/labels", { json: { name: "Audit probe" }, auth: admin });
    const herald = systemActor(admin.workspaceId);
    const rename = (id: number) => db.update(labels).set({ name: "Renamed" }).where(eq(labels.id, id));
    const entry = { action: "workspace.update", subjectId: admin.workspaceId, detail: { fields: ["probe"] } } as const;
    let e = await eventsOf(admin.workspaceId, () => db.batch([rename(999_999), auditStatement(db, herald, entry, { ifChanged: true })]));
    expect(e).toEqual([]);
    e = await eventsOf(admin.workspaceId, () => db.batch([rename(label.id), auditStatement(db, herald, entry, { ifChanged: true })]));
    expect(e.map((x) => [x.action, x.actor_type, x.subject_type, x.subject_id])).toEqual([["workspace.update", "system", "workspace", admin.workspaceId]]);
  });

  it("drops keys that could hold credentials from a detail, however deep", async () => {
    const admin = await seedWorkspace();
    const db = createDb(env.DB);
    const detail = { fields: ["access_token"], access_token: "EAA-leak", nested: { app_secret: "s3cret", password: "pw", name: "ok" } };
    const e = await eventsOf(admin.workspaceId, () => auditStatement(db, systemActor(admin.workspaceId), { action: "inbox.update", subjectId: 1, detail }));
    expect(JSON.parse(e[0]!.detail)).toEqual({ fields: ["access_token"], nested: { name: "ok" } });
  });
});

describe("campaign actions", () => {
  let w: World;
  beforeAll(async () => {
    w = await world(3);
  });

  it("create, edit, duplicate, schedule, unschedule, launch, pause, resume, cancel and delete each record one event by the session's user", async () => {
    const ws = w.admin.workspaceId;
    let id = 0;
    let e = await eventsOf(ws, async () => {
      id = await createCampaign(w, templateCampaign(w));
    });
    expect(expectOne(e, "campaign.create", w.admin, id)).toEqual({ title: "Welcome" });

    e = await eventsOf(ws, () => patch(`/api/campaigns/${id}`, w.admin, { title: "Welcome back", settings: { batch_size: 10 } }));
    expect(expectOne(e, "campaign.update", w.admin, id)).toEqual({ fields: ["settings", "title"] });

    let copy = 0;
    e = await eventsOf(ws, async () => {
      copy = (await post(`/api/campaigns/${id}/duplicate`, w.admin, undefined, 201)).id;
    });
    expect(expectOne(e, "campaign.create", w.admin, copy)).toEqual({ title: "Copy of Welcome back", duplicate_of: id });

    const at = new Date(Date.now() + 86_400_000).toISOString().slice(0, 16);
    e = await eventsOf(ws, () => post(`/api/campaigns/${id}/launch`, w.admin, { schedule: { at, timezone: "America/Sao_Paulo" } }));
    expect(expectOne(e, "campaign.schedule", w.admin, id)).toMatchObject({ timezone: "America/Sao_Paulo" });

    e = await eventsOf(ws, () => post(`/api/campaigns/${id}/unschedule`, w.admin));
    expectOne(e, "campaign.unschedule", w.admin, id);

    await holdOutbound(id);
    e = await eventsOf(ws, () => post(`/api/campaigns/${id}/launch`, w.admin));
    expectOne(e, "campaign.launch", w.admin, id);

    e = await eventsOf(ws, () => post(`/api/campaigns/${id}/pause`, w.admin));
    expectOne(e, "campaign.pause", w.admin, id);
    // The object's copy of the operator's pause to D1 is not taken for an automatic one.
    await runDurableObjectAlarm(senderOf(id));
    expect(await stored(ws, e[0]!.id)).toEqual([]);

    e = await eventsOf(ws, () => post(`/api/campaigns/${id}/resume`, w.admin));
    expectOne(e, "campaign.resume", w.admin, id);

    e = await eventsOf(ws, () => post(`/api/campaigns/${id}/cancel`, w.admin));
    expectOne(e, "campaign.cancel", w.admin, id);

    e = await eventsOf(ws, () => remove(`/api/campaigns/${id}`, w.admin));
    expect(expectOne(e, "campaign.delete", w.admin, id)).toEqual({ title: "Welcome back" });
  });

  it("a change refused records nothing", async () => {
    const ws = w.admin.workspaceId;
    const id = await createCampaign(w, templateCampaign(w));
    const e = await eventsOf(ws, async () => {
      expect((await call(`/api/campaigns/${id}`, { method: "PATCH", json: { title: "" }, auth: w.admin })).status).toBe(400);
      expect((await call(`/api/campaigns/${id}/pause`, { method: "POST", auth: w.admin })).status).toBe(409);
      expect((await call(`/api/campaigns/${id}/unschedule`, { method: "POST", auth: w.admin })).status).toBe(409);
      expect((await call(`/api/campaigns/999999/launch`, { method: "POST", json: {}, auth: w.admin })).status).toBe(404);
      expect((await call(`/api/tokens/999999`, { method: "DELETE", auth: w.admin })).status).toBe(404);
      expect((await call(`/api/inboxes/${w.inbox.id}`, { method: "DELETE", auth: w.admin })).status).toBe(409);
    });
    expect(e).toEqual([]);
  });

  it("an API token's changes name the token and its user; the view describes both", async () => {
    const ws = w.admin.workspaceId;
    let token = { id: 0, token: "" };
    let e = await eventsOf(ws, async () => {
      token = await post("/api/tokens", w.admin, { name: "CI deploy" }, 201);
    });
    expect(expectOne(e, "token.create", w.admin, token.id)).toEqual({ name: "CI deploy" });
    const id = await createCampaign(w, templateCampaign(w));
    e = await eventsOf(ws, () => patch(`/api/campaigns/${id}`, { token: token.token }, { title: "By the API" }));
    expect(e).toHaveLength(1);
    expect(e[0]).toMatchObject({ action: "campaign.update", actor_type: "token", actor_user_id: w.admin.userId, actor_token_id: token.id, subject_id: id });

    const page = await callJson<any>(`/api/audit?subject_type=campaign&subject_id=${id}`, { auth: w.admin });
    expect(page.data[0]).toMatchObject({
      action: "campaign.update",
      subject_type: "campaign",
      subject_id: id,
      actor: { type: "token", user_id: w.admin.userId, user_name: "Test User", user_email: w.admin.email, token_id: token.id, token_name: "CI deploy" },
      detail: { fields: ["title"] },
    });
    expect(page.data[1]).toMatchObject({ action: "campaign.create", actor: { type: "user", token_id: null, token_name: null } });

    e = await eventsOf(ws, () => remove(`/api/tokens/${token.id}`, w.admin));
    expect(expectOne(e, "token.revoke", w.admin, token.id)).toEqual({ name: "CI deploy", owner_user_id: w.admin.userId });
    // Once revoked, the token is no longer described, but its id stays.
    const after = await callJson<any>(`/api/audit?subject_type=campaign&subject_id=${id}&limit=1`, { auth: w.admin });
    expect(after.data[0].actor).toMatchObject({ type: "token", token_id: token.id, token_name: null });
  });
});

describe("automatic pauses and failures", () => {
  it("an automatic pause is recorded once, by the system, with its reason", async () => {
    const w = await world(30);
    const undeliverable = w.phones.filter((_, i) => i % 3 !== 2).map(digits);
    await setScenario(w.admin, w.inbox.id, { undeliverable });
    const id = await createCampaign(w, templateCampaign(w, { failure_window: 10, failure_threshold: 0.5 }));
    const before = await mark();
    await post(`/api/campaigns/${id}/launch`, w.admin);
    const paused = await drive(w.admin, id, (c) => c.status !== "sending");
    expect(paused.status).toBe("paused");
    // More copies of the paused object to D1 add nothing.
    for (let i = 0; i < 3; i++) await runDurableObjectAlarm(senderOf(id));
    await sleep(100);
    const events = await stored(w.admin.workspaceId, before);
    expect(events.map((e) => [e.action, e.actor_type])).toEqual([
      ["campaign.launch", "user"],
      ["campaign.pause", "system"],
    ]);
    expect(events[1]).toMatchObject({ actor_user_id: null, actor_token_id: null, subject_id: id });
    expect(JSON.parse(events[1]!.detail)).toEqual({ reason: paused.status_reason });
    expect(paused.status_reason).toMatch(/^\d+ of the last 10 sends failed$/);

    const history = await callJson<any>(`/api/campaigns/${id}/history`, { auth: await seedOperator(w.admin) });
    expect(history.data.map((e: any) => `${e.action} ${e.actor.type}`)).toEqual(["campaign.pause system", "campaign.launch user", "campaign.create user"]);
    expect(history.data[0].detail.reason).toBe(paused.status_reason);
    await post(`/api/campaigns/${id}/cancel`, w.admin);
  });

  it("a campaign failed by Herald is recorded once, by the system, with its reason", async () => {
    const w = await world(15, { scenario: { random_failure_rate: 1, random_failure_codes: [131026] } });
    const id = await createCampaign(w, templateCampaign(w, { failure_window: 10, failure_threshold: 0.5 }));
    const before = await mark();
    await post(`/api/campaigns/${id}/launch`, w.admin);
    const failed = await drive(w.admin, id, (c) => c.status !== "sending");
    expect(failed.status).toBe("failed");
    for (let i = 0; i < 3; i++) await runDurableObjectAlarm(senderOf(id));
    const events = await stored(w.admin.workspaceId, before);
    expect(events.map((e) => [e.action, e.actor_type])).toEqual([
      ["campaign.launch", "user"],
      ["campaign.fail", "system"],
    ]);
    expect(JSON.parse(events[1]!.detail)).toEqual({ reason: "every one of the last 10 sends failed" });
  });
});

describe("inboxes, users, tokens and the workspace", () => {
  it("inbox create, edit, secret change, template sync and delete each record one event; no secret is stored", async () => {
    const admin = await seedWorkspace();
    const ws = admin.workspaceId;
    const accessToken = "EAAG-very-secret-access-token-1234567890";
    const appSecret = "app-secret-0123456789abcdef";
    let inbox = { id: 0 };
    let e = await eventsOf(ws, async () => {
      inbox = await post("/api/inboxes", admin, { name: "Sandbox", provider: "sandbox", phone_number_id: `7${Date.now()}`, waba_id: "55" }, 201);
    });
    expect(expectOne(e, "inbox.create", admin, inbox.id)).toEqual({ name: "Sandbox", provider: "sandbox" });

    e = await eventsOf(ws, () => patch(`/api/inboxes/${inbox.id}`, admin, { name: "Support", throughput_cap: 20 }));
    expect(expectOne(e, "inbox.update", admin, inbox.id)).toEqual({ fields: ["name", "throughput_cap"] });

    e = await eventsOf(ws, () =>
      patch(`/api/inboxes/${inbox.id}`, admin, { access_token: accessToken, app_secret: appSecret, verify_token: "verify-me-secret" }),
    );
    expect(expectOne(e, "inbox.secret_change", admin, inbox.id)).toEqual({ fields: ["access_token", "app_secret", "verify_token"] });

    e = await eventsOf(ws, () => post(`/api/inboxes/${inbox.id}/templates/sync`, admin));
    const synced = expectOne(e, "inbox.templates_sync", admin, inbox.id);
    expect(synced.synced).toBeGreaterThan(0);
    expect(synced.removed).toBe(0);

    e = await eventsOf(ws, () => remove(`/api/inboxes/${inbox.id}`, admin));
    expect(expectOne(e, "inbox.delete", admin, inbox.id)).toEqual({ name: "Support" });

    const all = JSON.stringify(await stored(ws));
    for (const secret of [accessToken, appSecret, "verify-me-secret", admin.password]) expect(all).not.toContain(secret);
  });

  it("user create, edit, role change, password reset and removal, token create and revoke, workspace settings and rate overrides each record one event", async () => {
    const admin = await seedWorkspace();
    const ws = admin.workspaceId;
    const password = "a brand new password 42";
    let user = { id: 0 };
    let e = await eventsOf(ws, async () => {
      user = await post("/api/users", admin, { email: `op-${Date.now()}@example.test`, password, role: "operator" }, 201);
    });
    expect(expectOne(e, "user.create", admin, user.id)).toMatchObject({ role: "operator" });

    e = await eventsOf(ws, () => patch(`/api/users/${user.id}`, admin, { name: "Bia" }));
    expect(expectOne(e, "user.update", admin, user.id)).toEqual({ fields: ["name"] });

    e = await eventsOf(ws, () => patch(`/api/users/${user.id}`, admin, { role: "admin" }));
    expect(expectOne(e, "user.role_change", admin, user.id)).toEqual({ fields: ["role"], role: { from: "operator", to: "admin" } });

    const newPassword = "another secret passphrase";
    e = await eventsOf(ws, () => patch(`/api/users/${user.id}`, admin, { password: newPassword }));
    expect(expectOne(e, "user.password_reset", admin, user.id)).toEqual({ fields: ["password"] });

    e = await eventsOf(ws, () => remove(`/api/users/${user.id}`, admin));
    expectOne(e, "user.delete", admin, user.id);

    let token = { id: 0, token: "" };
    e = await eventsOf(ws, async () => {
      token = await post("/api/tokens", admin, { name: "Zapier" }, 201);
    });
    expectOne(e, "token.create", admin, token.id);
    // A change made with the token is the token's.
    e = await eventsOf(ws, () => patch("/api/workspace", { token: token.token }, { name: "Renamed", attribution_window_hours: 48 }));
    expect(e).toHaveLength(1);
    expect(e[0]).toMatchObject({ action: "workspace.update", actor_type: "token", actor_token_id: token.id, actor_user_id: admin.userId, subject_id: ws });
    expect(JSON.parse(e[0]!.detail)).toEqual({ fields: ["attribution_window_hours", "name"] });

    e = await eventsOf(ws, () =>
      callJson("/api/rates/overrides", { method: "PUT", json: { country: "br", category: "marketing", rate: "0.07" }, auth: admin }),
    );
    expect(expectOne(e, "workspace.rate_override", admin, ws)).toEqual({ country: "BR", category: "marketing", rate_micros: 70_000 });
    e = await eventsOf(ws, () => callJson("/api/rates/overrides?country=BR&category=marketing", { method: "DELETE", expect: 204, auth: admin }));
    expect(expectOne(e, "workspace.rate_override_remove", admin, ws)).toEqual({ country: "BR", category: "marketing" });

    e = await eventsOf(ws, () => remove(`/api/tokens/${token.id}`, { token: token.token }));
    expect(e).toHaveLength(1);
    expect(e[0]).toMatchObject({ action: "token.revoke", actor_type: "token", actor_token_id: token.id });

    const all = JSON.stringify(await stored(ws));
    for (const secret of [password, newPassword, token.token, token.token.slice(5)]) expect(all).not.toContain(secret);
  });
});

describe("GET /api/audit", () => {
  let admin: Account;
  let other: Account;
  const titles = ["One", "Two", "Three", "Four", "Five"];
  let ids: number[] = [];
  beforeAll(async () => {
    const w = await world(0);
    admin = w.admin;
    ids = [];
    for (const title of titles) ids.push((await post("/api/campaigns", admin, { ...templateCampaign(w), title }, 201)).id);
    other = await seedWorkspace();
    await post("/api/tokens", other, { name: "Other's" }, 201);
  });

  it("is for admins only; a campaign's history is for any user of its workspace", async () => {
    const operator = await seedOperator(admin);
    const res = await call("/api/audit", { auth: operator });
    expect(res.status).toBe(403);
    expect(await errorCode(res)).toBe("forbidden");
    const history = await callJson<any>(`/api/campaigns/${ids[0]}/history`, { auth: operator });
    expect(history.data.map((e: any) => e.action)).toEqual(["campaign.create"]);
    expect((await call("/api/audit")).status).toBe(401);
  });

  it("shows only the caller's workspace", async () => {
    const mine = await callJson<any>("/api/audit?limit=200", { auth: admin });
    const theirs = await callJson<any>("/api/audit?limit=200", { auth: other });
    expect(theirs.data.map((e: any) => e.action)).toEqual(["token.create"]);
    expect(theirs.data[0].actor.user_id).toBe(other.userId);
    expect(mine.data.some((e: any) => e.action === "token.create")).toBe(false);
    expect(await callJson<any>(`/api/audit?subject_type=campaign&subject_id=${ids[0]}`, { auth: other })).toEqual({ data: [], next_cursor: null });
    const res = await call(`/api/campaigns/${ids[0]}/history`, { auth: other });
    expect(res.status).toBe(404);
  });

  it("filters by subject, action, user and time, and pages newest first", async () => {
    const creates = await callJson<any>("/api/audit?action=campaign.create&limit=200", { auth: admin });
    expect(creates.data.map((e: any) => e.subject_id)).toEqual([...ids].reverse());
    expect(creates.data.map((e: any) => e.detail.title)).toEqual([...titles].reverse());

    const one = await callJson<any>(`/api/audit?subject_type=campaign&subject_id=${ids[2]}`, { auth: admin });
    expect(one.data.map((e: any) => [e.action, e.subject_id])).toEqual([["campaign.create", ids[2]]]);

    const byUser = await callJson<any>(`/api/audit?actor_user_id=${admin.userId}&action=campaign.create`, { auth: admin });
    expect(byUser.data).toHaveLength(titles.length);
    expect(await callJson<any>(`/api/audit?actor_user_id=${other.userId}`, { auth: admin })).toEqual({ data: [], next_cursor: null });

    const inboxes = await callJson<any>("/api/audit?subject_type=inbox", { auth: admin });
    expect(inboxes.data.map((e: any) => e.action)).toEqual(["inbox.templates_sync", "inbox.create"]);

    const first = creates.data.at(-1).at as string;
    const last = creates.data[0].at as string;
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await callJson<any>(`/api/audit?since=${future}`, { auth: admin })).data).toEqual([]);
    expect((await callJson<any>(`/api/audit?until=2000-01-01`, { auth: admin })).data).toEqual([]);
    const within = await callJson<any>(`/api/audit?action=campaign.create&since=${first}&until=${last}`, { auth: admin });
    expect(within.data).toHaveLength(titles.length);

    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: any = await callJson(`/api/audit?action=campaign.create&limit=2${cursor ? `&cursor=${cursor}` : ""}`, { auth: admin });
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((e: any) => e.subject_id));
      cursor = page.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
  });

  it("refuses bad filters with a 400 naming the field", async () => {
    for (const [query, field] of [
      ["limit=201", "limit"],
      ["limit=0", "limit"],
      ["since=yesterday", "since"],
      ["until=2026-13-45T99:00:00Z", "until"],
      ["since=2026-12-02&until=2026-12-01", "until"],
      ["action=campaign.explode", "action"],
      ["subject_type=contact", "subject_type"],
      ["subject_id=abc", "subject_id"],
      ["actor_user_id=-1", "actor_user_id"],
      ["cursor=x", "cursor"],
      ["actor=1", "actor"],
    ] as const) {
      const res = await call(`/api/audit?${query}`, { auth: admin });
      expect(res.status, query).toBe(400);
      const body = (await res.json()) as any;
      expect(body.error.code, query).toBe("validation_failed");
      expect(
        body.error.details.map((d: any) => d.path),
        query,
      ).toContain(field);
    }
    expect((await call(`/api/campaigns/${ids[0]}/history?limit=500`, { auth: admin })).status).toBe(400);
  });
});

/**
 * The campaign HTTP API: creation and its validation messages, editing rules,
 * lifecycle conflicts, scheduling and the cron trigger, launch checks (empty audience, 24 h
 * service window, missing variable values), test sends, the recipients listing, auto-pause and
 * campaign-level errors, and access control.
 */
import { createScheduledController, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import type { CampaignSender } from "../../worker/campaigns/campaign-sender";
import { CatalogSync } from "../../worker/campaigns/sender/catalog";
import worker from "../../worker/index";
import { type Account, call, callJson, seedOperator, seedWorkspace } from "../helpers";
import {
  acceptedPerRecipient,
  allRecipients,
  campaignView,
  createCampaign,
  deliver,
  digits,
  drive,
  expectAllFinal,
  expectAtMostOnce,
  holdOutbound,
  sandboxRecords,
  senderOf,
  setScenario,
  sleep,
  templateCampaign,
  textCampaign,
  type World,
  world,
} from "./world";

type ErrorBody = { error: { code: string; message: string; details?: any } };

async function failing(path: string, init: Parameters<typeof call>[1], status: number): Promise<ErrorBody["error"]> {
  const res = await call(path, init);
  const text = await res.text();
  expect(res.status, text).toBe(status);
  const body = JSON.parse(text) as ErrorBody;
  expect(typeof body.error.message).toBe("string");
  return body.error;
}

const launch = (w: World, id: number, auth: Account = w.admin) => callJson<any>(`/api/campaigns/${id}/launch`, { json: {}, expect: 200, auth });
const post = (path: string, auth: Account, expect = 200) => callJson<any>(path, { method: "POST", expect, auth });
/** A pace slow enough that the campaign stays `sending` for the whole test. */
const SLOW = { min_delay_s: 600, max_delay_s: 600 };

const cron = () => worker.scheduled!(createScheduledController({ cron: "* * * * *" }), env);
const alarmOf = (id: number) => runInDurableObject(senderOf(id), (_: CampaignSender, state) => state.storage.getAlarm());

/** The wall-clock time in São Paulo (UTC−3 all year since 2019) of an instant, as "YYYY-MM-DDTHH:MM". */
const saoPauloWall = (ms: number) => new Date(ms - 3 * 3600_000).toISOString().slice(0, 16);

describe("creating a campaign", () => {
  it("refuses min_delay_s > max_delay_s naming both fields", async () => {
    const w = await world(1);
    const e = await failing("/api/campaigns", { json: templateCampaign(w, { min_delay_s: 10, max_delay_s: 5 }), auth: w.admin }, 400);
    expect(e.code).toBe("validation_failed");
    expect(e.message).toMatch(/settings\.max_delay_s/);
    expect(e.message).toMatch(/min_delay_s/);
    expect(e.details).toContainEqual(expect.objectContaining({ path: "settings.max_delay_s" }));
  });

  it("refuses other settings out of bounds and a blank title, naming the fields", async () => {
    const w = await world(1);
    let e = await failing("/api/campaigns", { json: templateCampaign(w, { batch_size: 0 }), auth: w.admin }, 400);
    expect(e.message).toMatch(/settings\.batch_size/);
    e = await failing("/api/campaigns", { json: templateCampaign(w, { max_delay_s: 4000 }), auth: w.admin }, 400);
    expect(e.message).toMatch(/settings\.max_delay_s/);
    e = await failing("/api/campaigns", { json: { ...templateCampaign(w), title: "  " }, auth: w.admin }, 400);
    expect(e.message).toMatch(/title/);
  });

  it("refuses an unknown inbox and another workspace's inbox", async () => {
    const w = await world(1);
    const other = await world(0);
    let e = await failing("/api/campaigns", { json: { ...templateCampaign(w), inbox_id: 987654 }, auth: w.admin }, 400);
    expect(e.code).toBe("validation_failed");
    expect(e.message).toMatch(/inbox_id: unknown inbox 987654/);
    e = await failing("/api/campaigns", { json: { ...templateCampaign(w), inbox_id: other.inbox.id }, auth: w.admin }, 400);
    expect(e.message).toMatch(/inbox_id/);
  });

  it("refuses unknown labels and another workspace's labels, naming the field", async () => {
    const w = await world(1);
    const other = await world(0);
    let e = await failing("/api/campaigns", { json: { ...templateCampaign(w), audience: { labels: [987654] } }, auth: w.admin }, 400);
    expect(e.message).toMatch(/audience\.labels: unknown label 987654/);
    e = await failing("/api/campaigns", { json: { ...templateCampaign(w), audience: { labels: [other.labelId] } }, auth: w.admin }, 400);
    expect(e.message).toMatch(new RegExp(`audience\\.labels: unknown label ${other.labelId}`));
    e = await failing(
      "/api/campaigns",
      { json: { ...templateCampaign(w), audience: { labels: [w.labelId], exclude_labels: [other.labelId] } }, auth: w.admin },
      400,
    );
    expect(e.message).toMatch(/audience\.exclude_labels/);
  });

  it("refuses a template that is not synced or not approved", async () => {
    const unsynced = await world(1, { sync: false });
    let e = await failing("/api/campaigns", { json: templateCampaign(unsynced), auth: unsynced.admin }, 409);
    expect(e.message).toMatch(/welcome_offer.*not synced/);
    const w = await world(1);
    const pending = {
      ...templateCampaign(w),
      content: { type: "template", template_name: "summer_sale_draft", language: "en_US", values: { body: { "1": { source: "fixed", value: "Sam" } } } },
    };
    e = await failing("/api/campaigns", { json: pending, auth: w.admin }, 409);
    expect(e.message).toMatch(/summer_sale_draft.*PENDING.*APPROVED/);
  });

  it("refuses template values missing a variable (or naming one the template lacks)", async () => {
    const w = await world(1);
    const base = templateCampaign(w);
    const missing = { ...base, content: { ...base.content, values: { header: base.content.values.header, body: { "1": { source: "fixed", value: "Ana" } } } } };
    let e = await failing("/api/campaigns", { json: missing, auth: w.admin }, 400);
    expect(e.code).toBe("validation_failed");
    expect(e.message).toMatch(/content\.values: body\.2 is required/);
    expect(e.details).toContainEqual({ path: "content.values.body.2", message: "is required" });
    const extra = {
      ...base,
      content: { ...base.content, values: { ...base.content.values, body: { ...base.content.values.body, "3": { source: "fixed", value: "x" } } } },
    };
    e = await failing("/api/campaigns", { json: extra, auth: w.admin }, 400);
    expect(e.message).toMatch(/body\.3 the template has no such variable/);
  });

  it("creates a draft with the defaults for settings left out", async () => {
    const w = await world(1);
    const { settings: _settings, ...body } = templateCampaign(w);
    const created = await callJson<any>("/api/campaigns", { json: body, auth: w.admin });
    expect(created).toMatchObject({ status: "draft", title: "Welcome", inbox_id: w.inbox.id, scheduled_at: null });
    expect(created.settings).toMatchObject({ min_delay_s: 3, max_delay_s: 8, batch_size: 50, failure_threshold: 0.5, failure_window: 50 });
    expect(created.progress.total).toBe(0);
    expect(created).toMatchObject({ inbox_name: "Sandbox", actions: ["edit", "launch", "schedule", "duplicate", "delete"] });
  });
});

describe("unknown fields", () => {
  const campaignCount = async (workspaceId: number) =>
    (await env.DB.prepare("SELECT count(*) AS n FROM campaigns WHERE workspace_id = ?").bind(workspaceId).first<{ n: number }>())!.n;

  it("a typo in the audience (exclude_label) is refused naming it, and no campaign is created", async () => {
    const w = await world(1);
    const body = templateCampaign(w);
    const e = await failing("/api/campaigns", { json: { ...body, audience: { labels: [w.labelId], exclude_label: [w.labelId] } }, auth: w.admin }, 400);
    expect(e.code).toBe("validation_failed");
    expect(e.message).toContain("audience.exclude_label");
    expect(e.details).toContainEqual({ path: "audience.exclude_label", message: expect.stringContaining("unknown field") });
    expect(await campaignCount(w.admin.workspaceId)).toBe(0);
  });

  it("names every unknown key with its dotted path, however deep, top level included", async () => {
    const w = await world(1);
    const body = templateCampaign(w, { min_delay: 1 });
    body.content.values.body["2"] = { source: "fixed", value: "X", fallbak: "y" } as never;
    const e = await failing("/api/campaigns", { json: { ...body, titel: "typo" }, auth: w.admin }, 400);
    const paths = (e.details as { path: string }[]).map((d) => d.path);
    expect(paths).toEqual(expect.arrayContaining(["titel", "settings.min_delay", "content.values.body.2.fallbak"]));
    for (const path of ["titel", "settings.min_delay", "content.values.body.2.fallbak"]) expect(e.message).toContain(path);
    expect(await campaignCount(w.admin.workspaceId)).toBe(0);
  });

  it("a typo when editing a draft's audience or settings is refused, and the draft is unchanged", async () => {
    const w = await world(1);
    const id = await createCampaign(w, templateCampaign(w));
    const before = await campaignView(w.admin, id);
    let e = await failing(`/api/campaigns/${id}`, { method: "PATCH", json: { audience: { labels: [w.labelId], exclude_label: [] } }, auth: w.admin }, 400);
    expect(e.details).toContainEqual(expect.objectContaining({ path: "audience.exclude_label" }));
    e = await failing(`/api/campaigns/${id}`, { method: "PATCH", json: { settings: { max_delay: 5 } }, auth: w.admin }, 400);
    expect(e.code).toBe("validation_failed");
    expect(e.message).toContain("settings.max_delay");
    expect(e.details).toContainEqual(expect.objectContaining({ path: "settings.max_delay" }));
    const after = await campaignView(w.admin, id);
    expect({ audience: after.audience, settings: after.settings }).toEqual({ audience: before.audience, settings: before.settings });
  });

  it("a typo in the launch body (schedul) is refused: the campaign is neither launched nor scheduled", async () => {
    const w = await world(1);
    const id = await createCampaign(w, templateCampaign(w));
    const at = saoPauloWall(Date.now() + 86_400_000);
    let e = await failing(`/api/campaigns/${id}/launch`, { json: { schedul: { at, timezone: "America/Sao_Paulo" } }, auth: w.admin }, 400);
    expect(e.message).toContain("schedul");
    expect(e.details).toContainEqual(expect.objectContaining({ path: "schedul" }));
    e = await failing(`/api/campaigns/${id}/launch`, { json: { schedule: { at, time_zone: "America/Sao_Paulo" } }, auth: w.admin }, 400);
    expect(e.details).toContainEqual(expect.objectContaining({ path: "schedule.time_zone" }));
    expect((await campaignView(w.admin, id)).status).toBe("draft");
    expect(await sandboxRecords(w)).toEqual([]);
  });

  it("a launch body sent without a JSON Content-Type is refused (415), not read as an empty body", async () => {
    const w = await world(1);
    const id = await createCampaign(w, templateCampaign(w));
    const schedule = JSON.stringify({ schedule: { at: saoPauloWall(Date.now() + 86_400_000), timezone: "America/Sao_Paulo" } });
    for (const type of ["application/x-www-form-urlencoded", "text/plain"]) {
      const e = await failing(`/api/campaigns/${id}/launch`, { method: "POST", body: schedule, headers: { "content-type": type }, auth: w.admin }, 415);
      expect(e.code).toBe("unsupported_media_type");
      expect(e.message).toContain("application/json");
    }
    expect((await campaignView(w.admin, id)).status).toBe("draft");
  });
});

describe("the campaign view", () => {
  it("lists the actions allowed now, following the live status, in every answer", async () => {
    const w = await world(2);
    const id = await createCampaign(w, templateCampaign(w, SLOW));
    expect((await campaignView(w.admin, id)).actions).toEqual(["edit", "launch", "schedule", "duplicate", "delete"]);
    const sending = await launch(w, id);
    expect(sending.actions).toEqual(["pause", "cancel", "duplicate"]);
    expect((await campaignView(w.admin, id)).actions).toEqual(["pause", "cancel", "duplicate"]);
    const paused = await post(`/api/campaigns/${id}/pause`, w.admin);
    expect(paused.actions).toEqual(["resume", "cancel", "duplicate"]);
    const list = await callJson<{ data: any[] }>("/api/campaigns", { auth: w.admin });
    expect(list.data.find((c) => c.id === id)).toMatchObject({ status: "paused", actions: ["resume", "cancel", "duplicate"] });
    const renamed = await callJson<any>(`/api/campaigns/${id}`, { method: "PATCH", json: { title: "Renamed" }, auth: w.admin });
    expect(renamed.actions).toEqual(["resume", "cancel", "duplicate"]);
    const cancelled = await post(`/api/campaigns/${id}/cancel`, w.admin);
    expect(cancelled.actions).toEqual(["duplicate", "delete"]);
  });

  it("a scheduled campaign offers launching now, unscheduling and cancelling, but not editing or deleting", async () => {
    const w = await world(1);
    const id = await createCampaign(w, templateCampaign(w));
    const scheduled = await callJson<any>(`/api/campaigns/${id}/launch`, {
      json: { schedule: { at: saoPauloWall(Date.now() + 86_400_000), timezone: "America/Sao_Paulo" } },
      expect: 200,
      auth: w.admin,
    });
    expect(scheduled.actions).toEqual(["launch", "unschedule", "cancel", "duplicate"]);
    expect((await post(`/api/campaigns/${id}/unschedule`, w.admin)).actions).toEqual(["edit", "launch", "schedule", "duplicate", "delete"]);
  });

  it("names the campaign's inbox, in one campaign and in the list, as it is named now", async () => {
    const w = await world(0, { sync: false });
    const id = await createCampaign(w, textCampaign(w));
    expect((await campaignView(w.admin, id)).inbox_name).toBe("Sandbox");
    await callJson(`/api/inboxes/${w.inbox.id}`, { method: "PATCH", json: { name: "Store number" }, auth: w.admin });
    expect((await campaignView(w.admin, id)).inbox_name).toBe("Store number");
    const list = await callJson<{ data: any[] }>("/api/campaigns", { auth: w.admin });
    expect(list.data.map((c) => [c.id, c.inbox_name])).toEqual([[id, "Store number"]]);
    const other = await callJson<{ id: number }>("/api/inboxes", {
      json: { name: "Second", provider: "sandbox", phone_number_id: `7${Date.now() % 1e9}`, waba_id: "7" },
      auth: w.admin,
    });
    const moved = await callJson<any>(`/api/campaigns/${id}`, { method: "PATCH", json: { inbox_id: other.id }, auth: w.admin });
    expect(moved).toMatchObject({ inbox_id: other.id, inbox_name: "Second" });
  });
});

describe("searching the campaign list", () => {
  const titles = ["Black Friday 2025", "black friday teaser", "Summer 100% off", "Summer 100 off", "Under_score", "Under score", "Back\\slash", "Plain"];

  async function searchWorld() {
    const w = await world(0, { sync: false });
    const ids: Record<string, number> = {};
    for (const title of titles) ids[title] = await createCampaign(w, { ...textCampaign(w), title });
    const search = async (query: string) =>
      (await callJson<{ data: { title: string }[] }>(`/api/campaigns?${query}`, { auth: w.admin })).data.map((c) => c.title);
    return { w, ids, search };
  }

  it("finds campaigns by part of the title, ignoring case, newest first", async () => {
    const { search } = await searchWorld();
    expect(await search("q=friday")).toEqual(["black friday teaser", "Black Friday 2025"]);
    expect(await search("q=FRIDAY")).toEqual(["black friday teaser", "Black Friday 2025"]);
    expect(await search(`q=${encodeURIComponent("  ck fri  ")}`)).toEqual(["black friday teaser", "Black Friday 2025"]);
    expect(await search("q=nothing-like-it")).toEqual([]);
    expect(await search("q=")).toHaveLength(titles.length);
  });

  it("matches %, _ and \\ literally", async () => {
    const { search } = await searchWorld();
    expect(await search(`q=${encodeURIComponent("100%")}`)).toEqual(["Summer 100% off"]);
    expect(await search(`q=${encodeURIComponent("%")}`)).toEqual(["Summer 100% off"]);
    expect(await search("q=_")).toEqual(["Under_score"]);
    expect(await search(`q=${encodeURIComponent("\\")}`)).toEqual(["Back\\slash"]);
  });

  it("combines with the status filter and pages with the cursor", async () => {
    const { w, ids, search } = await searchWorld();
    await callJson(`/api/campaigns/${ids["Summer 100 off"]}/launch`, {
      json: { schedule: { at: saoPauloWall(Date.now() + 86_400_000), timezone: "America/Sao_Paulo" } },
      expect: 200,
      auth: w.admin,
    });
    expect(await search("q=summer&status=scheduled")).toEqual(["Summer 100 off"]);
    expect(await search("q=summer&status=draft")).toEqual(["Summer 100% off"]);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { data: { title: string }[]; next_cursor: string | null } = await callJson(
        `/api/campaigns?q=under&limit=1${cursor ? `&cursor=${cursor}` : ""}`,
        { auth: w.admin },
      );
      seen.push(...page.data.map((c) => c.title));
      cursor = page.next_cursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual(["Under score", "Under_score"]);
    expect(pages).toBe(2);
  });

  it("never finds another workspace's campaigns, and refuses a query over 100 characters naming q", async () => {
    const { search } = await searchWorld();
    const other = await world(0, { sync: false });
    await createCampaign(other, { ...textCampaign(other), title: "Black Friday elsewhere" });
    expect(await search("q=friday")).toEqual(["black friday teaser", "Black Friday 2025"]);
    const e = await failing(`/api/campaigns?q=${"x".repeat(101)}`, { auth: other.admin }, 400);
    expect(e.details).toEqual([expect.objectContaining({ path: "q" })]);
  });
});

describe("duplicating a campaign", () => {
  it("makes a draft copy with the same inbox, audience, content and settings, created by the caller", async () => {
    const w = await world(2);
    const operator = await seedOperator(w.admin);
    const source = await callJson<any>("/api/campaigns", { json: templateCampaign(w, { ...SLOW, batch_size: 7, failure_window: 20 }), auth: w.admin });
    await launch(w, source.id);
    const copy = await callJson<any>(`/api/campaigns/${source.id}/duplicate`, { method: "POST", expect: 201, auth: operator });
    expect(copy.id).not.toBe(source.id);
    expect(copy).toMatchObject({
      title: "Copy of Welcome",
      status: "draft",
      inbox_id: w.inbox.id,
      inbox_name: "Sandbox",
      scheduled_at: null,
      launched_at: null,
      actions: ["edit", "launch", "schedule", "duplicate", "delete"],
    });
    expect({ audience: copy.audience, content: copy.content, settings: copy.settings }).toEqual({
      audience: source.audience,
      content: source.content,
      settings: source.settings,
    });
    expect(copy.progress.total).toBe(0);
    const stored = await env.DB.prepare("SELECT created_by, workspace_id FROM campaigns WHERE id = ?")
      .bind(copy.id)
      .first<{ created_by: number; workspace_id: number }>();
    expect(stored).toEqual({ created_by: operator.userId, workspace_id: w.admin.workspaceId });
    expect(await campaignView(w.admin, copy.id)).toMatchObject({ title: "Copy of Welcome", status: "draft" });
    // The copy launches on its own; the source goes on unchanged.
    expect((await launch(w, copy.id)).status).toBe("sending");
    expect((await campaignView(w.admin, source.id)).status).toBe("sending");
    await post(`/api/campaigns/${source.id}/cancel`, w.admin);
    await post(`/api/campaigns/${copy.id}/cancel`, w.admin);
  });

  it("works from a draft and a final status, and cuts the title to 200 characters", async () => {
    const w = await world(0, { sync: false });
    const draft = await createCampaign(w, { ...textCampaign(w), title: "x".repeat(200) });
    const copy = await callJson<any>(`/api/campaigns/${draft}/duplicate`, { method: "POST", expect: 201, auth: w.admin });
    expect(copy.title).toBe(`Copy of ${"x".repeat(192)}`);
    const again = await callJson<any>(`/api/campaigns/${copy.id}/duplicate`, { method: "POST", expect: 201, auth: w.admin });
    expect(again.title).toBe(`Copy of Copy of ${"x".repeat(184)}`);
    await env.DB.prepare("UPDATE campaigns SET status = 'completed' WHERE id = ?").bind(draft).run();
    expect((await callJson<any>(`/api/campaigns/${draft}/duplicate`, { method: "POST", expect: 201, auth: w.admin })).status).toBe("draft");
    expect((await failing("/api/campaigns/987654321/duplicate", { method: "POST", auth: w.admin }, 404)).code).toBe("not_found");
  });
});

describe("editing", () => {
  it("a draft's title, audience, content and settings can change", async () => {
    const w = await world(2);
    const id = await createCampaign(w, templateCampaign(w));
    const label2 = await callJson<{ id: number }>("/api/labels", { json: { name: "Second" }, auth: w.admin });
    const updated = await callJson<any>(`/api/campaigns/${id}`, {
      method: "PATCH",
      json: { title: "Renamed", audience: { labels: [label2.id] }, content: { type: "text", variants: ["Oi!"] }, settings: { min_delay_s: 1, max_delay_s: 2 } },
      auth: w.admin,
    });
    expect(updated).toMatchObject({ title: "Renamed", status: "draft", content: { type: "text", variants: ["Oi!"] } });
    expect(updated.audience.labels).toEqual([label2.id]);
    expect(updated.settings).toMatchObject({ min_delay_s: 1, max_delay_s: 2 });
    const e = await failing(`/api/campaigns/${id}`, { method: "PATCH", json: { audience: { labels: [987654] } }, auth: w.admin }, 400);
    expect(e.message).toMatch(/audience\.labels/);
  });

  it("a launched campaign refuses content, audience and settings changes (409) but takes a new title", async () => {
    const w = await world(2);
    const id = await createCampaign(w, templateCampaign(w, SLOW));
    await launch(w, id);
    for (const json of [
      { content: { type: "text", variants: ["Oi!"] } },
      { audience: { labels: [w.labelId], match: "all" } },
      { settings: { min_delay_s: 0, max_delay_s: 0 } },
      { title: "x", content: { type: "text", variants: ["Oi!"] } },
    ]) {
      const e = await failing(`/api/campaigns/${id}`, { method: "PATCH", json, auth: w.admin }, 409);
      expect(e.message).toMatch(/sending/);
    }
    const renamed = await callJson<any>(`/api/campaigns/${id}`, { method: "PATCH", json: { title: "New title" }, auth: w.admin });
    expect(renamed).toMatchObject({ title: "New title", status: "sending" });
    expect(renamed.content.type).toBe("template");
    await post(`/api/campaigns/${id}/cancel`, w.admin);
  });

  it("a scheduled campaign cannot be edited until moved back to draft", async () => {
    const w = await world(1);
    const id = await createCampaign(w, templateCampaign(w));
    await callJson(`/api/campaigns/${id}/launch`, {
      json: { schedule: { at: saoPauloWall(Date.now() + 86_400_000), timezone: "America/Sao_Paulo" } },
      expect: 200,
      auth: w.admin,
    });
    await failing(`/api/campaigns/${id}`, { method: "PATCH", json: { content: { type: "text", variants: ["Oi!"] } }, auth: w.admin }, 409);
    await post(`/api/campaigns/${id}/unschedule`, w.admin);
    await callJson(`/api/campaigns/${id}`, { method: "PATCH", json: { content: { type: "text", variants: ["Oi!"] } }, auth: w.admin });
  });
});

describe("lifecycle conflicts", () => {
  it("answers 409 with a clear message for illegal transitions", async () => {
    const w = await world(2);
    const id = await createCampaign(w, templateCampaign(w, SLOW));
    expect((await failing(`/api/campaigns/${id}/pause`, { method: "POST", auth: w.admin }, 409)).message).toMatch(/draft cannot be paused/);
    expect((await failing(`/api/campaigns/${id}/resume`, { method: "POST", auth: w.admin }, 409)).message).toMatch(/only a paused campaign can be resumed/);
    expect((await failing(`/api/campaigns/${id}/cancel`, { method: "POST", auth: w.admin }, 409)).message).toMatch(/draft cannot be cancelled/);
    expect((await failing(`/api/campaigns/${id}/unschedule`, { method: "POST", auth: w.admin }, 409)).message).toMatch(/already a draft/);

    await launch(w, id);
    expect((await failing(`/api/campaigns/${id}/launch`, { json: {}, auth: w.admin }, 409)).message).toMatch(/already sending/);
    expect((await failing(`/api/campaigns/${id}/resume`, { method: "POST", auth: w.admin }, 409)).message).toMatch(/already sending/);
    expect((await failing(`/api/campaigns/${id}/unschedule`, { method: "POST", auth: w.admin }, 409)).message).toMatch(
      /only a scheduled campaign .* this campaign is sending/,
    );
    const e = await failing(
      `/api/campaigns/${id}/launch`,
      { json: { schedule: { at: saoPauloWall(Date.now() + 86_400_000), timezone: "America/Sao_Paulo" } }, auth: w.admin },
      409,
    );
    expect(e.message).toMatch(/only a draft can be scheduled/);
    expect((await failing(`/api/campaigns/${id}`, { method: "DELETE", auth: w.admin }, 409)).message).toMatch(/cancel/);

    const paused = await post(`/api/campaigns/${id}/pause`, w.admin);
    expect(paused.status).toBe("paused");
    expect((await failing(`/api/campaigns/${id}/pause`, { method: "POST", auth: w.admin }, 409)).message).toMatch(/already paused/);
    expect((await failing(`/api/campaigns/${id}/launch`, { json: {}, auth: w.admin }, 409)).message).toMatch(/resume it instead/);
    const resumed = await post(`/api/campaigns/${id}/resume`, w.admin);
    expect(resumed.status).toBe("sending");
    const cancelled = await post(`/api/campaigns/${id}/cancel`, w.admin);
    expect(cancelled.status).toBe("cancelled");
    expect(cancelled.progress.cancelled + cancelled.progress.sent + cancelled.progress.unknown + cancelled.progress.failed).toBe(2);
    expect((await failing(`/api/campaigns/${id}/cancel`, { method: "POST", auth: w.admin }, 409)).message).toMatch(/already cancelled/);
    expect((await failing(`/api/campaigns/${id}/resume`, { method: "POST", auth: w.admin }, 409)).message).toMatch(/cancelled/);
    await expectAllFinal(w, id, 2);
    await expectAtMostOnce(w);
    await call(`/api/campaigns/${id}`, { method: "DELETE", auth: w.admin }).then((r) => expect(r.status).toBe(204));
  });
});

/** Rows in each of the object's own tables (the runtime's aside), and its alarm. */
const storedBy = (id: number) =>
  runInDurableObject(senderOf(id), async (_: CampaignSender, state) => {
    const sql = state.storage.sql;
    const tables = sql
      .exec<{ name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\'",
      )
      .toArray();
    const rows = Object.fromEntries(tables.map(({ name }) => [name, sql.exec<{ n: number }>(`SELECT count(*) AS n FROM "${name}"`).one().n]));
    return { rows, alarm: await state.storage.getAlarm() };
  });
/** Names, phones and message texts the object keeps of its recipients. */
const personalDataOf = (id: number) =>
  runInDurableObject(senderOf(id), (_: CampaignSender, state) => {
    const hasRecipients = state.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'recipients'").toArray().length > 0;
    return hasRecipients
      ? state.storage.sql.exec<{ name: string; phone: string; content: string | null }>("SELECT name, phone, content FROM recipients ORDER BY id").toArray()
      : [];
  });

/** Launches with the object's queue held, until `count` recipients are released; their ids. */
async function launchHeld(w: World, id: number, count: number): Promise<number[]> {
  const held = await holdOutbound(id);
  await launch(w, id);
  const deadline = Date.now() + 10_000;
  while (held.flatMap((j) => j.ids).length < count && Date.now() < deadline) {
    await runDurableObjectAlarm(senderOf(id));
    await sleep(25);
  }
  const ids = held.flatMap((j) => j.ids);
  expect(ids).toHaveLength(count);
  return ids;
}

describe("deleting a campaign", () => {
  it("erases its object's storage: the recipients' names, phones and messages, and the alarm", async () => {
    const w = await world(3);
    const id = await createCampaign(w, templateCampaign(w));
    await launch(w, id);
    expect((await drive(w.admin, id, (c) => c.status === "completed")).status).toBe("completed");
    const kept = await personalDataOf(id);
    expect(kept.map((r) => r.phone).sort()).toEqual([...w.phones].sort());
    expect(kept.every((r) => r.name.startsWith("Person ") && r.content !== null)).toBe(true);

    await call(`/api/campaigns/${id}`, { method: "DELETE", auth: w.admin }).then((r) => expect(r.status).toBe(204));
    expect(await storedBy(id)).toEqual({ rows: {}, alarm: null });
    expect((await call(`/api/campaigns/${id}`, { auth: w.admin })).status).toBe(404);
    // Erasing again changes nothing.
    expect(await senderOf(id).erase()).toEqual({ erased: true });
    expect(await storedBy(id)).toEqual({ rows: {}, alarm: null });
  });

  it("the object of a campaign that may still send refuses to be erased", async () => {
    const w = await world(2);
    const id = await createCampaign(w, templateCampaign(w, SLOW));
    await launch(w, id);
    expect(await senderOf(id).erase()).toEqual({ erased: false, status: "sending" });
    await post(`/api/campaigns/${id}/pause`, w.admin);
    expect(await senderOf(id).erase()).toEqual({ erased: false, status: "paused" });
    expect((await personalDataOf(id)).map((r) => r.phone).sort()).toEqual([...w.phones].sort());
    expect((await failing(`/api/campaigns/${id}`, { method: "DELETE", auth: w.admin }, 409)).message).toMatch(/cancel the paused campaign/);
    await post(`/api/campaigns/${id}/cancel`, w.admin);
  });

  it("erases a draft's object too, one that was scheduled and moved back to draft", async () => {
    const w = await world(1);
    const id = await createCampaign(w, templateCampaign(w));
    await callJson(`/api/campaigns/${id}/launch`, {
      json: { schedule: { at: saoPauloWall(Date.now() + 86_400_000), timezone: "America/Sao_Paulo" } },
      expect: 200,
      auth: w.admin,
    });
    await post(`/api/campaigns/${id}/unschedule`, w.admin);
    expect((await storedBy(id)).rows.meta).toBeGreaterThan(0);
    await call(`/api/campaigns/${id}`, { method: "DELETE", auth: w.admin }).then((r) => expect(r.status).toBe(204));
    expect(await storedBy(id)).toEqual({ rows: {}, alarm: null });
  });

  it("erases a cancelled campaign with sends still in flight; their late reports bring nothing back", async () => {
    const w = await world(3);
    const id = await createCampaign(w, templateCampaign(w));
    const ids = await launchHeld(w, id, 3);
    const stub = senderOf(id);
    await stub.claim(ids);
    await runInDurableObject(stub, (instance: CampaignSender) => {
      instance.settleTimeoutMs = 50;
    });
    expect((await call(`/api/campaigns/${id}/cancel`, { method: "POST", auth: w.admin })).status).toBe(202);
    // The object keeps an alarm to expire the claims still out.
    expect((await storedBy(id)).alarm).not.toBeNull();

    await call(`/api/campaigns/${id}`, { method: "DELETE", auth: w.admin }).then((r) => expect(r.status).toBe(204));
    expect(await storedBy(id)).toEqual({ rows: {}, alarm: null });
    // The consumer's report of the sends it had claimed arrives after the erase: accepted, nothing stored.
    await stub.report(ids.map((rid) => ({ id: rid, result: "sent" as const, wamid: `wamid.late.${rid}` })));
    expect(await personalDataOf(id)).toEqual([]);
    expect((await storedBy(id)).alarm).toBeNull();
    expect(await runDurableObjectAlarm(stub)).toBe(false);
  });

  it("an erase that lands while the alarm waits for D1 leaves nothing once the alarm ends", async () => {
    const w = await world(3);
    const id = await createCampaign(w, templateCampaign(w));
    const stub = senderOf(id);
    await stub.claim(await launchHeld(w, id, 3));
    await runInDurableObject(stub, (instance: CampaignSender) => {
      instance.settleTimeoutMs = 50;
    });
    expect((await call(`/api/campaigns/${id}/cancel`, { method: "POST", auth: w.admin })).status).toBe(202);

    // The object's copies to D1 wait at a gate only the test opens (plain flags: a promise the
    // object resolved would carry its context here).
    let reached = false;
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    await runInDurableObject(stub, (instance: CampaignSender) => {
      const self = instance as unknown as { env: Env; store: unknown; catalog: CatalogSync };
      const db = self.env.DB;
      const gated = {
        prepare: (query: string) => ({
          bind: (...values: unknown[]) => ({
            run: async () => {
              reached = true;
              await gate;
              return db
                .prepare(query)
                .bind(...values)
                .run();
            },
          }),
        }),
      } as unknown as D1Database;
      self.catalog = new CatalogSync(gated, () => self.store as never);
    });
    // The alarm kept to expire the claims still out runs, and waits while copying to D1.
    const alarm = runDurableObjectAlarm(stub);
    while (!reached) await sleep(10);
    expect(await stub.erase()).toEqual({ erased: true });
    open();
    expect(await alarm).toBe(true);
    expect(await personalDataOf(id)).toEqual([]);
    const after = await storedBy(id);
    expect(after.alarm).toBeNull();
    expect(after.rows.meta ?? 0).toBe(0);
    await call(`/api/campaigns/${id}`, { method: "DELETE", auth: w.admin }).then((r) => expect(r.status).toBe(204));
  });
});

describe("launching twice at the same time", () => {
  it("freezes one audience and sends each recipient once", async () => {
    const w = await world(8);
    const id = await createCampaign(w, templateCampaign(w));
    const answers = await Promise.all([1, 2, 3].map(() => call(`/api/campaigns/${id}/launch`, { json: {}, auth: w.admin })));
    for (const res of answers) expect([200, 409]).toContain(res.status);
    expect(answers.some((r) => r.status === 200)).toBe(true);
    const done = await drive(w.admin, id, (c) => c.status === "completed");
    expect(done.progress).toMatchObject({ total: 8, sent: 8 });
    const counts = await expectAtMostOnce(w);
    expect(counts.size).toBe(8);
    await expectAllFinal(w, id, 8);
  });
});

describe("scheduling", () => {
  it("schedules at a future time in a time zone, moves back to draft, and cancels a scheduled campaign", async () => {
    const w = await world(1);
    const id = await createCampaign(w, templateCampaign(w));
    const instant = Math.ceil((Date.now() + 2 * 86_400_000) / 60_000) * 60_000;
    const scheduled = await callJson<any>(`/api/campaigns/${id}/launch`, {
      json: { schedule: { at: saoPauloWall(instant), timezone: "America/Sao_Paulo" } },
      expect: 200,
      auth: w.admin,
    });
    expect(scheduled).toMatchObject({ status: "scheduled", timezone: "America/Sao_Paulo" });
    expect(Date.parse(scheduled.scheduled_at)).toBe(instant);
    expect((await campaignView(w.admin, id)).scheduled_at).toBe(scheduled.scheduled_at);
    expect((await failing(`/api/campaigns/${id}/pause`, { method: "POST", auth: w.admin }, 409)).message).toMatch(/scheduled campaign cannot be paused/);

    const draft = await post(`/api/campaigns/${id}/unschedule`, w.admin);
    expect(draft).toMatchObject({ status: "draft", scheduled_at: null, timezone: null });

    await callJson(`/api/campaigns/${id}/launch`, { json: { schedule: { at: new Date(instant).toISOString(), timezone: "UTC" } }, expect: 200, auth: w.admin });
    const cancelled = await post(`/api/campaigns/${id}/cancel`, w.admin);
    expect(cancelled.status).toBe("cancelled");
    // Read back, it is still cancelled (its object never launched, so it must not say "draft").
    expect((await campaignView(w.admin, id)).status).toBe("cancelled");
    expect((await failing(`/api/campaigns/${id}/cancel`, { method: "POST", auth: w.admin }, 409)).message).toMatch(/already cancelled/);
    expect(await sandboxRecords(w)).toEqual([]);
  });

  it("a campaign scheduled a moment ahead starts by itself at its time", async () => {
    const w = await world(3);
    const id = await createCampaign(w, templateCampaign(w));
    const at = Date.now() + 1_500;
    const scheduled = await callJson<any>(`/api/campaigns/${id}/launch`, {
      json: { schedule: { at: new Date(at).toISOString(), timezone: "UTC" } },
      expect: 200,
      auth: w.admin,
    });
    expect(scheduled.status).toBe("scheduled");
    await sleep(200);
    expect((await campaignView(w.admin, id)).status).toBe("scheduled");
    const deadline = Date.now() + 8_000;
    let c = await campaignView(w.admin, id);
    while (c.status === "scheduled" && Date.now() < deadline) {
      await sleep(100);
      c = await campaignView(w.admin, id);
    }
    expect(["sending", "completed"]).toContain(c.status);
    expect(Date.parse(c.launched_at)).toBeGreaterThanOrEqual(Math.floor(at / 1000) * 1000);
    const done = await drive(w.admin, id, (x) => x.status === "completed");
    expect(done.progress).toMatchObject({ total: 3, sent: 3 });
    await expectAtMostOnce(w);
  });

  it("refuses a time in the past or an unknown time zone", async () => {
    const w = await world(1);
    const id = await createCampaign(w, templateCampaign(w));
    let e = await failing(
      `/api/campaigns/${id}/launch`,
      { json: { schedule: { at: saoPauloWall(Date.now() - 3_600_000), timezone: "America/Sao_Paulo" } }, auth: w.admin },
      400,
    );
    expect(e.message).toMatch(/schedule\.at/);
    expect(e.message).toMatch(/in the past/);
    e = await failing(`/api/campaigns/${id}/launch`, { json: { schedule: { at: "2030-01-01T09:00", timezone: "Mars/Olympus" } }, auth: w.admin }, 400);
    expect(e.message).toMatch(/schedule\.timezone/);
    e = await failing(`/api/campaigns/${id}/launch`, { json: { schedule: { at: "tomorrow", timezone: "UTC" } }, auth: w.admin }, 400);
    expect(e.message).toMatch(/schedule\.at/);
    expect((await campaignView(w.admin, id)).status).toBe("draft");
  });
});

describe("the cron trigger", () => {
  it("starts a scheduled campaign whose time has passed, once", async () => {
    const w = await world(4);
    const id = await createCampaign(w, templateCampaign(w));
    await callJson(`/api/campaigns/${id}/launch`, {
      json: { schedule: { at: saoPauloWall(Date.now() + 3_600_000), timezone: "America/Sao_Paulo" } },
      expect: 200,
      auth: w.admin,
    });
    await cron();
    expect((await campaignView(w.admin, id)).status).toBe("scheduled");

    await env.DB.prepare("UPDATE campaigns SET scheduled_at = unixepoch() - 5 WHERE id = ?").bind(id).run();
    await cron();
    const started = await campaignView(w.admin, id);
    expect(["sending", "completed"]).toContain(started.status);
    expect(started.launched_at).not.toBeNull();
    expect(started.progress.total).toBe(4);

    // A second cron run does not launch it again.
    await cron();
    const done = await drive(w.admin, id, (c) => c.status === "completed");
    expect(done.status).toBe("completed");
    const counts = await expectAtMostOnce(w);
    expect([...counts.values()]).toEqual([1, 1, 1, 1]);
    await expectAllFinal(w, id, 4);
  });

  it("a scheduled campaign that cannot start is failed with the reason, in the list and in GET /:id", async () => {
    const w = await world(1);
    const emptyLabel = await callJson<{ id: number }>("/api/labels", { json: { name: "Nobody" }, auth: w.admin });
    const doomed = await createCampaign(w, { ...templateCampaign(w), audience: { labels: [emptyLabel.id] } });
    await callJson(`/api/campaigns/${doomed}/launch`, {
      json: { schedule: { at: saoPauloWall(Date.now() + 3_600_000), timezone: "America/Sao_Paulo" } },
      expect: 200,
      auth: w.admin,
    });
    await env.DB.prepare("UPDATE campaigns SET scheduled_at = unixepoch() - 5 WHERE id = ?").bind(doomed).run();
    await cron();
    const list = await callJson<{ data: any[] }>("/api/campaigns", { auth: w.admin });
    const row = list.data.find((c) => c.id === doomed);
    expect(row).toMatchObject({ status: "failed" });
    expect(row.status_reason).toMatch(/could not start: the audience is empty/);
    // GET /:id must agree with the list (the campaign's object never launched, so it must not say "draft").
    const one = await campaignView(w.admin, doomed);
    expect(one.status).toBe("failed");
    expect(one.status_reason).toMatch(/could not start: the audience is empty/);
  });

  it("re-arms a sending campaign whose alarm was lost", async () => {
    const w = await world(2);
    const id = await createCampaign(w, templateCampaign(w, SLOW));
    await launch(w, id);
    await runDurableObjectAlarm(senderOf(id));
    expect(await alarmOf(id)).not.toBeNull();
    await runInDurableObject(senderOf(id), (_: CampaignSender, state) => state.storage.deleteAlarm());
    expect(await alarmOf(id)).toBeNull();
    await cron();
    // Armed for now; it may fire at once (getAlarm() is null while it runs) and re-arm itself for its next wake.
    // Read once per round: a second read could catch the alarm while it runs.
    const deadline = Date.now() + 10_000;
    let armed = await alarmOf(id);
    while (armed === null && Date.now() < deadline) {
      await sleep(20);
      armed = await alarmOf(id);
    }
    expect(armed).not.toBeNull();
    // A campaign with a healthy alarm is left alone.
    await runDurableObjectAlarm(senderOf(id));
    const healthy = await alarmOf(id);
    await cron();
    expect(await alarmOf(id)).toBe(healthy);
    await post(`/api/campaigns/${id}/cancel`, w.admin);
  });
});

describe("launch checks", () => {
  it("refuses an empty audience with a clear message (opted-out contacts do not count)", async () => {
    const w = await world(2);
    await env.DB.prepare("UPDATE contacts SET opted_out_at = unixepoch() WHERE workspace_id = ?").bind(w.admin.workspaceId).run();
    const id = await createCampaign(w, templateCampaign(w));
    const e = await failing(`/api/campaigns/${id}/launch`, { json: {}, auth: w.admin }, 409);
    expect(e.message).toMatch(/audience is empty/);
    expect((await campaignView(w.admin, id)).status).toBe("draft");
  });

  it("free text: recipients outside the 24 h window are skipped with the reason; the rest are sent", async () => {
    const w = await world(6);
    const recent = w.phones.slice(0, 2);
    await env.DB.prepare("UPDATE contacts SET last_inbound_at = unixepoch() - 3600 WHERE workspace_id = ? AND phone IN (?, ?)")
      .bind(w.admin.workspaceId, ...recent)
      .run();
    await env.DB.prepare("UPDATE contacts SET last_inbound_at = unixepoch() - 25 * 3600 WHERE workspace_id = ? AND phone = ?")
      .bind(w.admin.workspaceId, w.phones[2])
      .run();
    const id = await createCampaign(w, textCampaign(w));
    const preview = await callJson<any>(`/api/campaigns/${id}/preview`, { auth: w.admin });
    expect(preview).toMatchObject({ recipients: 6, skipped_outside_window: 4 });

    const launched = await launch(w, id);
    expect(launched.progress).toMatchObject({ total: 6, skipped: 4 });
    const done = await drive(w.admin, id, (c) => c.status === "completed");
    expect(done.progress).toMatchObject({ total: 6, sent: 2, skipped: 4, pending: 0 });
    const skipped = await allRecipients(w.admin, id, "skipped");
    expect(skipped.map((r) => r.phone).sort()).toEqual(w.phones.slice(2).sort());
    for (const r of skipped) expect(r.reason).toBe("outside_service_window");
    const counts = await expectAtMostOnce(w);
    expect([...counts.keys()].sort()).toEqual(recent.map(digits).sort());
    await expectAllFinal(w, id, 6);
  });

  it("free text with every recipient outside the window is refused", async () => {
    const w = await world(3);
    const id = await createCampaign(w, textCampaign(w));
    const e = await failing(`/api/campaigns/${id}/launch`, { json: {}, auth: w.admin }, 409);
    expect(e.message).toMatch(/none of the 3 contacts wrote in the last 24 hours/);
    expect((await campaignView(w.admin, id)).status).toBe("draft");
  });

  it("a contact attribute without fallback that some contacts lack: launch refused with the count", async () => {
    const w = await world(5, { city: (i) => (i % 2 === 0 ? "" : "Recife") });
    const base = templateCampaign(w);
    const body = {
      ...base,
      content: {
        ...base.content,
        values: { ...base.content.values, body: { "1": { source: "contact", field: "attributes.city" }, "2": { source: "fixed", value: "X" } } },
      },
    };
    const id = await createCampaign(w, body);
    const e = await failing(`/api/campaigns/${id}/launch`, { json: {}, auth: w.admin }, 409);
    expect(e.message).toMatch(/^3 contacts lack a value/);
    expect(e.details.affected).toBe(3);
    expect(e.details.examples.length).toBeGreaterThan(0);
    expect((await campaignView(w.admin, id)).status).toBe("draft");
    expect((await callJson<any>(`/api/campaigns/${id}/recipients`, { auth: w.admin })).data).toEqual([]);
    // With a fallback it launches and everybody gets it.
    const fixed = {
      ...body.content,
      values: { ...body.content.values, body: { ...body.content.values.body, "1": { source: "contact", field: "attributes.city", fallback: "sua cidade" } } },
    };
    await callJson(`/api/campaigns/${id}`, { method: "PATCH", json: { content: fixed }, auth: w.admin });
    await launch(w, id);
    expect((await drive(w.admin, id, (c) => c.status === "completed")).progress).toMatchObject({ total: 5, sent: 5 });
    await expectAllFinal(w, id, 5);
  });
});

describe("test send", () => {
  it("sends the rendered content through the sandbox without touching progress", async () => {
    const w = await world(2);
    const id = await createCampaign(w, textCampaign(w, ['Oi {{contact.name | "cliente"}}, tudo bem?']));
    const stranger = "+5511977771234";
    const res = await callJson<{ results: { phone: string; ok: boolean; wamid?: string; error?: string }[] }>(`/api/campaigns/${id}/test`, {
      json: { phones: [w.phones[0], stranger, "12"] },
      expect: 200,
      auth: w.admin,
    });
    expect(res.results[0]).toMatchObject({ phone: w.phones[0], ok: true });
    expect(res.results[1]).toMatchObject({ phone: stranger, ok: true });
    expect(res.results[2]!.ok).toBe(false);
    const records = (await sandboxRecords(w)).filter((r) => r.status === 200);
    expect(records.map((r) => digits(r.to!)).sort()).toEqual([digits(w.phones[0]!), digits(stranger)].sort());
    for (const r of records) expect(r.biz_opaque_callback_data).toBe(`herald:test:${id}`);
    const sent = await env.DB.prepare("SELECT to_phone, content FROM messages WHERE workspace_id = ? ORDER BY id")
      .bind(w.admin.workspaceId)
      .all<{ to_phone: string; content: string }>();
    expect(sent.results.map((m) => [m.to_phone, JSON.parse(m.content).text])).toEqual([
      [w.phones[0], "Oi Person 0, tudo bem?"],
      [stranger, "Oi cliente, tudo bem?"],
    ]);
    const view = await campaignView(w.admin, id);
    expect(view.status).toBe("draft");
    expect(view.progress.total).toBe(0);
  });

  it("on a launched template campaign it changes no counter", async () => {
    const w = await world(3);
    const id = await createCampaign(w, templateCampaign(w));
    // Its own sends are held back, so only the test send reaches the sandbox.
    await holdOutbound(id);
    await launch(w, id);
    await post(`/api/campaigns/${id}/pause`, w.admin);
    const before = await campaignView(w.admin, id);
    const res = await callJson<any>(`/api/campaigns/${id}/test`, { json: { phones: [w.phones[1]] }, expect: 200, auth: w.admin });
    expect(res.results[0].ok).toBe(true);
    const records = await sandboxRecords(w);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ template_name: "welcome_offer", status: 200 });
    const after = await campaignView(w.admin, id);
    expect(after.progress).toEqual(before.progress);
    expect(after.status).toBe("paused");
    await post(`/api/campaigns/${id}/cancel`, w.admin);
  });
});

describe("test send and opt-outs", () => {
  const messageRows = async (w: World) =>
    (await env.DB.prepare("SELECT count(*) AS n FROM messages WHERE workspace_id = ?").bind(w.admin.workspaceId).first<{ n: number }>())!.n;

  it("refuses the whole test send when a phone belongs to a contact who opted out, before sending anything", async () => {
    const w = await world(2);
    const id = await createCampaign(w, textCampaign(w));
    await env.DB.prepare("UPDATE contacts SET opted_out_at = unixepoch() WHERE workspace_id = ? AND phone = ?").bind(w.admin.workspaceId, w.phones[1]).run();
    const error = await failing(`/api/campaigns/${id}/test`, { json: { phones: [w.phones[0], w.phones[1]] }, auth: w.admin }, 409);
    expect(error.code).toBe("opted_out");
    expect(error.message).toContain(w.phones[1]);
    expect(error.details).toEqual([expect.objectContaining({ path: "phones.1" })]);
    expect(await sandboxRecords(w)).toEqual([]);
    expect(await messageRows(w)).toBe(0);
    // Without the opted-out phone the test goes out.
    const res = await callJson<any>(`/api/campaigns/${id}/test`, { json: { phones: [w.phones[0]] }, expect: 200, auth: w.admin });
    expect(res.results).toEqual([expect.objectContaining({ phone: w.phones[0], ok: true })]);
  });

  it("writes no message when the inbox's provider cannot be set up", async () => {
    const w = await world(1);
    const id = await createCampaign(w, textCampaign(w));
    await env.DB.prepare("UPDATE inboxes SET access_token_enc = 'v1:AAAA:AAAA' WHERE id = ?").bind(w.inbox.id).run();
    expect((await failing(`/api/campaigns/${id}/test`, { json: { phones: [w.phones[0]] }, auth: w.admin }, 500)).code).toBe("not_configured");
    expect(await messageRows(w)).toBe(0);
  });
});

describe("GET /api/campaigns/:id/recipients", () => {
  it("filters by state and pages with a cursor", async () => {
    const w = await world(7);
    await env.DB.prepare("UPDATE contacts SET last_inbound_at = unixepoch() WHERE workspace_id = ? AND phone IN (?, ?)")
      .bind(w.admin.workspaceId, w.phones[0], w.phones[6])
      .run();
    const id = await createCampaign(w, textCampaign(w));
    await launch(w, id);
    await drive(w.admin, id, (c) => c.status === "completed");

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { data: { phone: string; state: string }[]; next_cursor: string | null } = await callJson(
        `/api/campaigns/${id}/recipients?state=skipped&limit=2${cursor ? `&cursor=${cursor}` : ""}`,
        { auth: w.admin },
      );
      expect(page.data.length).toBeLessThanOrEqual(2);
      for (const r of page.data) expect(r.state).toBe("skipped");
      seen.push(...page.data.map((r) => r.phone));
      cursor = page.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(w.phones.slice(1, 6));
    const sent = await callJson<any>(`/api/campaigns/${id}/recipients?state=sent`, { auth: w.admin });
    expect(sent.data.map((r: any) => r.phone)).toEqual([w.phones[0], w.phones[6]]);
    expect(sent.data[0].wamid).toMatch(/^wamid\./);
    expect(sent.next_cursor).toBeNull();
    expect((await failing(`/api/campaigns/${id}/recipients?state=bogus`, {}, 401)).code).toBe("unauthorized");
    expect((await failing(`/api/campaigns/${id}/recipients?state=bogus`, { auth: w.admin }, 400)).message).toMatch(/state/);
    expect((await failing(`/api/campaigns/${id}/recipients?cursor=abc`, { auth: w.admin }, 400)).message).toMatch(/cursor/);
  });
});

describe("GET /api/campaigns/:id/recipients?phone=", () => {
  it("filters recipients whose phone contains the digits given, with or without +", async () => {
    const w = await world(4);
    const id = await createCampaign(w, templateCampaign(w, SLOW));
    await launch(w, id);
    const phones = async (query: string) =>
      (await callJson<{ data: { phone: string }[] }>(`/api/campaigns/${id}/recipients?${query}`, { auth: w.admin })).data.map((r) => r.phone);
    const target = w.phones[2]!;
    expect(await phones(`phone=${digits(target).slice(-8)}`)).toEqual([target]);
    expect(await phones(`phone=${encodeURIComponent(target)}`)).toEqual([target]);
    expect(await phones(`phone=${digits(target)}`)).toEqual([target]);
    expect(await phones("phone=55119")).toEqual(w.phones);
    expect(await phones("phone=55119&limit=2")).toEqual(w.phones.slice(0, 2));
    expect(await phones(`phone=${digits(target)}&state=sent`)).toEqual([]);
    expect(await phones("phone=99999999999")).toEqual([]);
    for (const bad of ["abc", "%2B", "12-34", "1".repeat(21), `%2B${"1".repeat(20)}`]) {
      const e = await failing(`/api/campaigns/${id}/recipients?phone=${bad}`, { auth: w.admin }, 400);
      expect(e.details, bad).toEqual([expect.objectContaining({ path: "phone" })]);
    }
    await post(`/api/campaigns/${id}/cancel`, w.admin);
  });
});

describe("GET /api/campaigns/:id/failures", () => {
  it("groups failed recipients by error code, most frequent first, with what each means and what to do", async () => {
    const w = await world(6);
    await setScenario(w.admin, w.inbox.id, { pair_rate_limit_ms: 0, webhooks_enabled: false, undeliverable: w.phones.slice(0, 3).map(digits) });
    const id = await createCampaign(w, templateCampaign(w, { failure_window: 10, failure_threshold: 1 }));
    await launch(w, id);
    const done = await drive(w.admin, id, (c) => c.status === "completed");
    expect(done.progress).toMatchObject({ total: 6, sent: 3, failed: 3 });
    const first = await callJson<{ data: any[] }>(`/api/campaigns/${id}/failures`, { auth: w.admin });
    expect(first.data).toEqual([
      {
        error_code: 131026,
        error_title: expect.any(String),
        count: 3,
        policy: "fail_recipient",
        meaning: "Message undeliverable to this recipient",
        advice: expect.stringMatching(/on WhatsApp.*remove it from the audience/),
      },
    ]);

    // Two more failures straight in the campaign's object: a marketing limit and one without a code.
    const sent = await allRecipients(w.admin, id, "sent");
    await runInDurableObject(senderOf(id), (_: CampaignSender, state) => {
      state.storage.sql.exec(
        "UPDATE recipients SET state = 'failed', error_code = 131049, error_title = 'Marketing limit', failed_at = ? WHERE id = ?",
        Date.now(),
        sent[0]!.id,
      );
      state.storage.sql.exec(
        "UPDATE recipients SET state = 'failed', error_code = NULL, error_title = NULL, reason = 'no value for attributes.city', failed_at = ? WHERE id = ?",
        Date.now(),
        sent[1]!.id,
      );
    });
    const grouped = await callJson<{ data: any[] }>(`/api/campaigns/${id}/failures`, { auth: w.admin });
    expect(grouped.data.map((g) => [g.error_code, g.count, g.policy])).toEqual([
      [131026, 3, "fail_recipient"],
      [131049, 1, "fail_recipient"],
      [null, 1, "fail_recipient"],
    ]);
    expect(grouped.data[1]).toMatchObject({
      error_title: "Marketing limit",
      meaning: "WhatsApp's per-user marketing limit: this person received too many marketing messages recently",
      advice: expect.stringMatching(/frequency cap/),
    });
    expect(grouped.data[2]).toMatchObject({ error_title: null, meaning: "Failed without an error code", advice: expect.any(String) });
  });

  it("answers no failures for a campaign not launched, or launched without any", async () => {
    const w = await world(2);
    const id = await createCampaign(w, templateCampaign(w));
    expect(await callJson(`/api/campaigns/${id}/failures`, { auth: w.admin })).toEqual({ data: [] });
    await launch(w, id);
    await drive(w.admin, id, (c) => c.status === "completed");
    expect(await callJson(`/api/campaigns/${id}/failures`, { auth: w.admin })).toEqual({ data: [] });
  });
});

describe("auto-pause and campaign-level errors", () => {
  it("every send failing (131026): the campaign fails with the reason, failed recipients carry the error", async () => {
    const w = await world(15, { scenario: { random_failure_rate: 1, random_failure_codes: [131026] } });
    const id = await createCampaign(w, templateCampaign(w, { failure_window: 10, failure_threshold: 0.5 }));
    await launch(w, id);
    const done = await drive(w.admin, id, (c) => c.status !== "sending");
    expect(done.status).toBe("failed");
    expect(done.status_reason).toBe("every one of the last 10 sends failed");
    await sleep(100);
    const progress = await expectAllFinal(w, id, 15);
    expect(progress.states.failed + progress.states.cancelled).toBe(15);
    expect(progress.states.failed).toBeGreaterThanOrEqual(10);
    const failed = await allRecipients(w.admin, id, "failed");
    for (const r of failed) expect(r.error_code).toBe(131026);
    expect((await acceptedPerRecipient(w)).size).toBe(0);
    const stats = await callJson<any>(`/api/sandbox/inboxes/${w.inbox.id}/stats`, { auth: w.admin });
    expect(stats.duplicates).toBe(0);
  });

  it("failures over the threshold pause the campaign with a reason naming them", async () => {
    // Two of every three recipients are not on WhatsApp.
    const count = 30;
    const w0 = await world(count);
    const undeliverable = w0.phones.filter((_, i) => i % 3 !== 2).map(digits);
    await setScenario(w0.admin, w0.inbox.id, { undeliverable });
    const id = await createCampaign(w0, templateCampaign(w0, { failure_window: 10, failure_threshold: 0.5 }));
    const warnings = vi.spyOn(console, "warn");
    const info = vi.spyOn(console, "log");
    await launch(w0, id);
    const paused = await drive(w0.admin, id, (c) => c.status !== "sending");
    expect(paused.status).toBe("paused");
    expect(paused.status_reason).toMatch(/^\d+ of the last 10 sends failed$/);
    // Structured log lines carry the workspace and campaign: the transitions, and the automatic pause with its reason.
    const lines = (spy: typeof warnings) => spy.mock.calls.flatMap(([text]) => (typeof text === "string" && text.startsWith("{") ? [JSON.parse(text)] : []));
    const ids = { workspace_id: w0.admin.workspaceId, campaign_id: id };
    expect(lines(warnings)).toContainEqual({ level: "warn", event: "campaign.auto_pause", ...ids, reason: paused.status_reason });
    expect(lines(info)).toContainEqual(expect.objectContaining({ event: "campaign.transition", ...ids, from: "draft", to: "sending", action: "start" }));
    expect(lines(info)).toContainEqual(expect.objectContaining({ event: "campaign.transition", ...ids, from: "sending", to: "paused", action: "pause" }));
    warnings.mockRestore();
    info.mockRestore();
    expect(paused.progress.pending).toBeGreaterThan(0);
    await expectAtMostOnce(w0);
    // The reason is also what the list shows once flushed.
    await post(`/api/campaigns/${id}/cancel`, w0.admin);
    await expectAllFinal(w0, id, count);
  });

  it("an expired token pauses the campaign with a reason saying so", async () => {
    const w = await world(5);
    const id = await createCampaign(w, templateCampaign(w));
    await setScenario(w.admin, w.inbox.id, { token_expired: true });
    await launch(w, id);
    const paused = await drive(w.admin, id, (c) => c.status !== "sending");
    expect(paused.status).toBe("paused");
    expect(paused.status_reason).toMatch(/Access token expired/);
    expect(paused.status_reason).toMatch(/190/);
    // Once the credentials are fixed, resuming finishes the campaign without sending anyone twice.
    await setScenario(w.admin, w.inbox.id, { token_expired: false });
    await post(`/api/campaigns/${id}/resume`, w.admin);
    const done = await drive(w.admin, id, (c) => c.status === "completed");
    expect(done.status).toBe("completed");
    await expectAtMostOnce(w);
    await expectAllFinal(w, id, 5);
  });

  it("a template disabled at WhatsApp fails the campaign with the reason", async () => {
    const w = await world(5);
    const id = await createCampaign(w, templateCampaign(w));
    // Approved when synced, disabled at WhatsApp since.
    await setScenario(w.admin, w.inbox.id, { template_statuses: { welcome_offer: "DISABLED" } });
    await launch(w, id);
    const failed = await drive(w.admin, id, (c) => c.status !== "sending");
    expect(failed.status).toBe("failed");
    expect(failed.status_reason).toMatch(/disabled/i);
    expect(failed.status_reason).toMatch(/132016/);
    await sleep(100);
    await expectAllFinal(w, id, 5);
    expect((await acceptedPerRecipient(w)).size).toBe(0);
  });
});

describe("the campaign list", () => {
  it("shows status and progress, and a finished campaign as finished", async () => {
    const w = await world(4);
    const id = await createCampaign(w, templateCampaign(w));
    const held = await holdOutbound(id);
    await launch(w, id);
    await sleep(50);
    await deliver(held.splice(0));
    const live = await campaignView(w.admin, id);
    expect(live.status).toBe("completed");
    const list = await callJson<{ data: any[] }>("/api/campaigns", { auth: w.admin });
    const row = list.data.find((c) => c.id === id);
    expect(row.status).toBe("completed");
    expect(row.progress).toMatchObject({ total: 4, sent: 4, pending: 0 });
    const filtered = await callJson<{ data: any[] }>("/api/campaigns?status=completed", { auth: w.admin });
    expect(filtered.data.map((c) => c.id)).toContain(id);
  });
});

describe("access", () => {
  it("answers 401 without credentials", async () => {
    const w = await world(1);
    const id = await createCampaign(w, templateCampaign(w));
    expect((await failing("/api/campaigns", {}, 401)).code).toBe("unauthorized");
    expect((await failing("/api/campaigns", { json: templateCampaign(w) }, 401)).code).toBe("unauthorized");
    expect((await failing(`/api/campaigns/${id}`, {}, 401)).code).toBe("unauthorized");
    expect((await failing(`/api/campaigns/${id}/launch`, { json: {} }, 401)).code).toBe("unauthorized");
    expect((await failing(`/api/campaigns/${id}/test`, { json: { phones: [w.phones[0]] } }, 401)).code).toBe("unauthorized");
    expect(await sandboxRecords(w)).toEqual([]);
  });

  it("another workspace's campaign is a 404 everywhere", async () => {
    const w = await world(2);
    const id = await createCampaign(w, templateCampaign(w, SLOW));
    await launch(w, id);
    const stranger = await seedWorkspace();
    const as = { auth: stranger };
    for (const [path, init] of [
      [`/api/campaigns/${id}`, as],
      [`/api/campaigns/${id}`, { ...as, method: "PATCH", json: { title: "mine" } }],
      [`/api/campaigns/${id}`, { ...as, method: "DELETE" }],
      [`/api/campaigns/${id}/launch`, { ...as, json: {} }],
      [`/api/campaigns/${id}/pause`, { ...as, method: "POST" }],
      [`/api/campaigns/${id}/resume`, { ...as, method: "POST" }],
      [`/api/campaigns/${id}/cancel`, { ...as, method: "POST" }],
      [`/api/campaigns/${id}/unschedule`, { ...as, method: "POST" }],
      [`/api/campaigns/${id}/test`, { ...as, json: { phones: ["+5511977771234"] } }],
      [`/api/campaigns/${id}/recipients`, as],
      [`/api/campaigns/${id}/preview`, as],
      [`/api/campaigns/${id}/failures`, as],
      [`/api/campaigns/${id}/duplicate`, { ...as, method: "POST" }],
    ] as const) {
      expect((await failing(path, init, 404)).code, `${(init as { method?: string }).method ?? "GET"} ${path}`).toBe("not_found");
    }
    const list = await callJson<{ data: any[] }>("/api/campaigns", { auth: stranger });
    expect(list.data.map((c) => c.id)).not.toContain(id);
    const view = await campaignView(w.admin, id);
    expect(view).toMatchObject({ title: "Welcome", status: "sending" });
    await post(`/api/campaigns/${id}/cancel`, w.admin);
  }, 30_000);

  it("an operator can create, launch, pause, resume and cancel campaigns", async () => {
    const w = await world(3);
    const operator = await seedOperator(w.admin);
    const id = await createCampaign(w, templateCampaign(w, SLOW), operator);
    expect((await launch(w, id, operator)).status).toBe("sending");
    expect((await post(`/api/campaigns/${id}/pause`, operator)).status).toBe("paused");
    expect((await post(`/api/campaigns/${id}/resume`, operator)).status).toBe("sending");
    const recipients = await callJson<any>(`/api/campaigns/${id}/recipients`, { auth: operator });
    expect(recipients.data).toHaveLength(3);
    expect((await post(`/api/campaigns/${id}/cancel`, operator)).status).toBe("cancelled");
    await expectAllFinal(w, id, 3);
    const done = await createCampaign(w, templateCampaign(w), operator);
    await launch(w, done, operator);
    expect((await drive(operator, done, (c) => c.status === "completed")).status).toBe("completed");
  });
});

/**
 * Send windows in the campaign's object: a campaign launched while its window is closed waits
 * (sending, with a note) and starts by itself at the opening, at its pace; pause, resume and
 * cancel across the boundary; per-contact time zones; and the launch preview's schedule. The
 * clock is Vitest's fake Date (the object runs in the tests' isolate), set to instants in 2027
 * so that no alarm fires by itself: each tick is run with runDurableObjectAlarm.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { CampaignSender, Grant, OutboundJob } from "../../worker/campaigns/campaign-sender";
import { call, callJson } from "../helpers";
import { campaignView, createCampaign, deliver, expectAllFinal, expectAtMostOnce, holdOutbound, senderOf, templateCampaign, type World, world } from "./world";

const at = (iso: string) => Date.parse(iso);
const setNow = (iso: string) => vi.setSystemTime(new Date(iso));
const idsOf = (jobs: OutboundJob[]) => jobs.flatMap((j) => j.ids);
const post = (path: string, w: World, json: unknown = {}) => callJson<any>(path, { json, expect: 200, auth: w.admin });
const alarmOf = (id: number) => runInDurableObject(senderOf(id), (_: CampaignSender, state) => state.storage.getAlarm());
const waitNote = (iso: string) => `waiting for the send window until ${new Date(iso).toISOString()}`;

/** Runs the campaign's alarm with the clock at `iso`. */
async function tickAt(id: number, iso: string) {
  setNow(iso);
  await runDurableObjectAlarm(senderOf(id));
}

type Row = { id: number; phone: string; state: string; due_at: number | null; reason: string | null };
const rowsOf = (id: number) =>
  runInDurableObject(senderOf(id), (_: CampaignSender, state) =>
    state.storage.sql.exec<Row>("SELECT id, phone, state, due_at, reason FROM recipients ORDER BY id").toArray(),
  );

/** Weekdays 09:00–17:00 in São Paulo (UTC−3): 12:00Z–20:00Z. */
const OFFICE_HOURS = { days: ["mon", "tue", "wed", "thu", "fri"], from: "09:00", to: "17:00", timezone: "America/Sao_Paulo" };
// 2027-01-04 is a Monday.
const MONDAY_2AM_THERE = "2027-01-04T05:00:00Z";
const MONDAY_OPENING = "2027-01-04T12:00:00.000Z";

/** A template campaign with the window, 2 s between sends, launched now with its queue held. */
async function launchWaiting(w: World, window: unknown = OFFICE_HOURS, settings: Record<string, unknown> = {}) {
  const id = await createCampaign(w, templateCampaign(w, { min_delay_s: 2, max_delay_s: 2, send_window: window, ...settings }));
  const held = await holdOutbound(id);
  const launched = await post(`/api/campaigns/${id}/launch`, w);
  return { id, held, launched };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  setNow(MONDAY_2AM_THERE);
});
afterEach(() => {
  vi.useRealTimers();
});

describe("a campaign launched outside its send window", () => {
  it("releases nothing, notes the wait, and starts by itself at the opening at its pace", async () => {
    const w = await world(3);
    const { id, held, launched } = await launchWaiting(w);
    expect(launched).toMatchObject({ status: "sending", status_note: waitNote(MONDAY_OPENING), progress: { total: 3, pending: 3 } });

    // Ticks before the opening (an alarm may run twice) release nothing and keep the alarm at the opening.
    await tickAt(id, MONDAY_2AM_THERE);
    await tickAt(id, "2027-01-04T11:59:59Z");
    expect(idsOf(held)).toEqual([]);
    expect(await alarmOf(id)).toBe(at(MONDAY_OPENING));
    expect((await rowsOf(id)).map((r) => r.state)).toEqual(["pending", "pending", "pending"]);
    expect(await campaignView(w.admin, id)).toMatchObject({ status: "sending", status_note: waitNote(MONDAY_OPENING) });

    // At the opening: one recipient, then one every 2 s; running the alarm again early adds none.
    await tickAt(id, MONDAY_OPENING);
    expect(idsOf(held)).toHaveLength(1);
    expect(await alarmOf(id)).toBe(at(MONDAY_OPENING) + 2_000);
    expect((await campaignView(w.admin, id)).status_note).toBeNull();
    await tickAt(id, "2027-01-04T12:00:01.999Z");
    expect(idsOf(held)).toHaveLength(1);
    await tickAt(id, "2027-01-04T12:00:02Z");
    expect(idsOf(held)).toHaveLength(2);
    await tickAt(id, "2027-01-04T12:00:04Z");
    expect(idsOf(held)).toHaveLength(3);

    await deliver(held);
    expect([...(await expectAtMostOnce(w)).values()]).toEqual([1, 1, 1]);
    await tickAt(id, "2027-01-04T12:00:06Z");
    expect((await expectAllFinal(w, id, 3)).states.sent).toBe(3);
    expect((await campaignView(w.admin, id)).status).toBe("completed");
  });

  it("the window closing stops releases until the next opening: a claimed send finishes, an unclaimed release waits", async () => {
    const w = await world(4);
    // Mondays and Tuesdays, 09:00–09:01 in UTC; 20 s between sends.
    const minute = { days: ["mon", "tue"], from: "09:00", to: "09:01", timezone: "UTC" };
    const { id, held } = await launchWaiting(w, minute, { min_delay_s: 20, max_delay_s: 20 });
    await tickAt(id, "2027-01-04T09:00:00Z");
    await tickAt(id, "2027-01-04T09:00:20Z");
    const [first, second] = idsOf(held) as [number, number];
    expect(idsOf(held)).toHaveLength(2);
    const stub = senderOf(id);
    const { grants } = (await stub.claim([first])) as unknown as { grants: Grant[] };
    expect(grants).toHaveLength(1);

    // 09:01: closed. Nothing more is released; the release nobody claimed goes back to pending.
    await tickAt(id, "2027-01-04T09:01:00Z");
    expect(idsOf(held)).toHaveLength(2);
    expect(((await stub.claim([second])) as unknown as { grants: Grant[] }).grants).toEqual([]);
    const view = await campaignView(w.admin, id);
    expect(view).toMatchObject({ status: "sending", status_note: waitNote("2027-01-05T09:00:00Z") });
    // A send in flight: the object looks again within a minute, not only at the opening.
    expect(await alarmOf(id)).toBe(at("2027-01-04T09:02:00Z"));

    // The claimed send reports after the close: it counts.
    await stub.report([{ id: first, claim: grants[0]!.claim, result: "sent", wamid: "wamid.window-1" }]);
    expect((await rowsOf(id)).map((r) => r.state)).toEqual(["sent", "pending", "pending", "pending"]);
    await tickAt(id, "2027-01-04T09:02:00Z");
    expect(await alarmOf(id)).toBe(at("2027-01-05T09:00:00Z"));

    // Tuesday 09:00: the pending recipients go again, in send order, at the pace.
    await tickAt(id, "2027-01-05T09:00:00Z");
    expect(idsOf(held).slice(2)).toEqual([second]);
    await tickAt(id, "2027-01-05T09:00:19Z");
    expect(idsOf(held)).toHaveLength(3);
    await tickAt(id, "2027-01-05T09:00:20Z");
    expect(idsOf(held)).toHaveLength(4);
  });
});

describe("pause, resume and cancel across the window's boundary", () => {
  it("pausing while waiting, then resuming while still closed, keeps waiting with the note; resumed after the opening, it sends at its pace", async () => {
    const w = await world(2);
    const { id, held } = await launchWaiting(w);
    const paused = await post(`/api/campaigns/${id}/pause`, w);
    expect(paused).toMatchObject({ status: "paused", status_note: null });

    setNow("2027-01-04T08:00:00Z");
    const resumed = await post(`/api/campaigns/${id}/resume`, w);
    expect(resumed).toMatchObject({ status: "sending", status_note: waitNote(MONDAY_OPENING) });
    await tickAt(id, "2027-01-04T08:00:00Z");
    expect(idsOf(held)).toEqual([]);
    expect(await alarmOf(id)).toBe(at(MONDAY_OPENING));

    // Paused again across the opening: nothing goes while paused.
    await post(`/api/campaigns/${id}/pause`, w);
    await tickAt(id, "2027-01-04T13:00:00Z");
    expect(idsOf(held)).toEqual([]);

    // Resumed inside the window: sending starts a gap after the resume, as any resume does.
    const open = await post(`/api/campaigns/${id}/resume`, w);
    expect(open).toMatchObject({ status: "sending", status_note: null });
    await tickAt(id, "2027-01-04T13:00:00Z");
    expect(idsOf(held)).toEqual([]);
    await tickAt(id, "2027-01-04T13:00:02Z");
    expect(idsOf(held)).toHaveLength(1);
    await tickAt(id, "2027-01-04T13:00:04Z");
    expect(idsOf(held)).toHaveLength(2);
  });

  it("cancelling while waiting cancels every recipient; the opening then sends nothing", async () => {
    const w = await world(3);
    const { id, held } = await launchWaiting(w);
    const cancelled = await post(`/api/campaigns/${id}/cancel`, w);
    expect(cancelled).toMatchObject({ status: "cancelled", status_note: null, progress: { cancelled: 3, pending: 0 } });
    await tickAt(id, MONDAY_OPENING);
    expect(idsOf(held)).toEqual([]);
    await expectAllFinal(w, id, 3);
  });

  it("a campaign paused during the window and resumed after it closed waits for the next opening", async () => {
    const w = await world(3);
    const { id, held } = await launchWaiting(w);
    await tickAt(id, MONDAY_OPENING);
    expect(idsOf(held)).toHaveLength(1);
    setNow("2027-01-04T12:00:01Z");
    await post(`/api/campaigns/${id}/pause`, w);
    setNow("2027-01-04T21:00:00Z");
    const resumed = await post(`/api/campaigns/${id}/resume`, w);
    expect(resumed).toMatchObject({ status: "sending", status_note: waitNote("2027-01-05T12:00:00Z") });
    await tickAt(id, "2027-01-04T21:00:05Z");
    expect(idsOf(held)).toHaveLength(1);
    expect(await alarmOf(id)).toBe(at("2027-01-05T12:00:00Z"));
  });
});

describe("per-contact time zones", () => {
  it("each recipient waits for its own window (with due_at at its opening); an unknown or missing zone uses the window's", async () => {
    const w = await world(4);
    // Contacts 0–3: Tokyo (UTC+9), São Paulo (UTC−3), a zone that does not exist, none.
    const zones = ["Asia/Tokyo", "America/Sao_Paulo", "Mars/Olympus_Mons", ""];
    await callJson("/api/contacts/import", {
      method: "POST",
      body: ["phone,timezone", ...w.phones.map((p, i) => `${p},${zones[i]}`)].join("\n"),
      headers: { "content-type": "text/csv" },
      expect: 200,
      auth: w.admin,
    });
    // Every day 09:00–17:00, by each contact's clock; Lisbon (UTC+0 in January) otherwise.
    const window = {
      days: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
      from: "09:00",
      to: "17:00",
      timezone: "Europe/Lisbon",
      per_contact_timezone: true,
    };
    setNow("2027-01-04T10:00:00Z");
    const { id, held } = await launchWaiting(w, window, { min_delay_s: 0, max_delay_s: 0 });
    const [tokyo, saoPaulo, unknown, none] = (await rowsOf(id)).map((r) => r.id) as [number, number, number, number];

    // 10:00Z: 19:00 in Tokyo and 07:00 in São Paulo (closed), 10:00 in Lisbon (open).
    await tickAt(id, "2027-01-04T10:00:00Z");
    expect(idsOf(held).sort()).toEqual([unknown, none].sort());
    await deliver(held);
    const waiting = (await rowsOf(id)).filter((r) => r.state === "pending");
    expect(waiting).toEqual([
      { id: tokyo, phone: w.phones[0], state: "pending", due_at: at("2027-01-05T00:00:00Z"), reason: "send_window" },
      { id: saoPaulo, phone: w.phones[1], state: "pending", due_at: at("2027-01-04T12:00:00Z"), reason: "send_window" },
    ]);
    expect((await campaignView(w.admin, id)).status_note).toBe(waitNote("2027-01-04T12:00:00Z"));

    // Ticks meanwhile leave them waiting; each goes when its own window opens.
    await tickAt(id, "2027-01-04T11:59:00Z");
    expect(idsOf(held)).toHaveLength(2);
    await tickAt(id, "2027-01-04T12:00:00Z");
    expect(idsOf(held).slice(2)).toEqual([saoPaulo]);
    await deliver(held.slice(1));
    expect((await campaignView(w.admin, id)).status_note).toBe(waitNote("2027-01-05T00:00:00Z"));
    await tickAt(id, "2027-01-04T23:59:59Z");
    expect(idsOf(held)).toHaveLength(3);
    await tickAt(id, "2027-01-05T00:00:00Z");
    expect(idsOf(held).slice(3)).toEqual([tokyo]);
    await deliver(held.slice(2));

    expect([...(await expectAtMostOnce(w)).values()]).toEqual([1, 1, 1, 1]);
    expect((await expectAllFinal(w, id, 4)).states.sent).toBe(4);
    expect((await campaignView(w.admin, id)).status).toBe("completed");
  });
});

describe("the launch preview's schedule", () => {
  it("starts now without a window, at the window's next opening with one, and estimates the days", async () => {
    const w = await world(3);
    // 3 recipients, 2 s apart: 4 s of sending.
    const plain = await createCampaign(w, templateCampaign(w, { min_delay_s: 2, max_delay_s: 2 }));
    expect((await callJson<any>(`/api/campaigns/${plain}/preview`, { auth: w.admin })).schedule).toEqual({
      starts_at: new Date(MONDAY_2AM_THERE).toISOString(),
      estimated_days: 0,
      estimated_end_at: "2027-01-04T05:00:04.000Z",
    });

    // 3,000 s between sends: 6,000 s of sending from the opening.
    const slow = await createCampaign(w, templateCampaign(w, { min_delay_s: 3_000, max_delay_s: 3_000, send_window: OFFICE_HOURS }));
    expect((await callJson<any>(`/api/campaigns/${slow}/preview`, { auth: w.admin })).schedule).toEqual({
      starts_at: MONDAY_OPENING,
      estimated_days: 0.07,
      estimated_end_at: "2027-01-04T13:40:00.000Z",
    });
    // As scheduled for Friday 16:00 there: one hour that day, the rest from Monday 09:00.
    const friday = await callJson<any>(`/api/campaigns/${slow}/preview?at=2027-01-08T16:00&timezone=America/Sao_Paulo`, { auth: w.admin });
    expect(friday.schedule).toMatchObject({ starts_at: "2027-01-08T19:00:00.000Z", estimated_end_at: "2027-01-11T12:40:00.000Z" });
    expect(friday.schedule.estimated_days).toBe(2.74);
  });

  it("a scheduled campaign starts at its time, in the schedule's zone when the window names none", async () => {
    const w = await world(1);
    const window = { days: ["sat"], from: "10:00", to: "12:00" };
    const id = await createCampaign(w, templateCampaign(w, { send_window: window }));
    await post(`/api/campaigns/${id}/launch`, w, { schedule: { at: "2027-01-08T09:00", timezone: "Asia/Tokyo" } });
    // Scheduled for Friday 09:00 in Tokyo; the window opens Saturday 10:00 Tokyo time (01:00Z).
    expect((await callJson<any>(`/api/campaigns/${id}/preview`, { auth: w.admin })).schedule).toMatchObject({ starts_at: "2027-01-09T01:00:00.000Z" });
  });

  it("refuses a half-given or malformed schedule, naming the field", async () => {
    const w = await world(1);
    const id = await createCampaign(w, templateCampaign(w));
    const half = await call(`/api/campaigns/${id}/preview?at=2027-01-08T16:00`, { auth: w.admin });
    expect(half.status).toBe(400);
    expect(((await half.json()) as any).error.details).toEqual([{ path: "timezone", message: "give at and timezone together, or neither" }]);
    const bad = await call(`/api/campaigns/${id}/preview?at=friday&timezone=UTC`, { auth: w.admin });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.details[0].path).toBe("at");
  });
});

describe("the send window in a campaign's settings", () => {
  it("is validated with the field named, changes field by field, and is turned off with null", async () => {
    const w = await world(1);
    const refused = await call("/api/campaigns", {
      json: templateCampaign(w, { send_window: { days: [], from: "25:00", to: "09:00", timezone: "Nowhere/City" } }),
      auth: w.admin,
    });
    expect(refused.status).toBe(400);
    const paths = ((await refused.json()) as any).error.details.map((d: { path: string }) => d.path).sort();
    expect(paths).toEqual(["settings.send_window.days", "settings.send_window.from", "settings.send_window.timezone"]);

    const id = await createCampaign(w, templateCampaign(w, { send_window: { ...OFFICE_HOURS, days: ["fri", "mon"] } }));
    expect((await campaignView(w.admin, id)).settings.send_window).toEqual({ ...OFFICE_HOURS, days: ["mon", "fri"], per_contact_timezone: false });
    const same = await call(`/api/campaigns/${id}`, { method: "PATCH", json: { settings: { send_window: { ...OFFICE_HOURS, to: "09:00" } } }, auth: w.admin });
    expect(same.status).toBe(400);
    expect(((await same.json()) as any).error.details).toEqual([
      { path: "settings.send_window.to", message: 'must differ from "from" (09:00); a window must close at some time' },
    ]);
    const unknownKey = await call(`/api/campaigns/${id}`, {
      method: "PATCH",
      json: { settings: { send_window: { ...OFFICE_HOURS, hours: 3 } } },
      auth: w.admin,
    });
    expect(unknownKey.status).toBe(400);
    const off = await callJson<any>(`/api/campaigns/${id}`, { method: "PATCH", json: { settings: { send_window: null } }, auth: w.admin });
    expect(off.settings.send_window).toBeNull();
  });
});

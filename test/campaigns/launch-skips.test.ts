/**
 * Who a launch leaves out beyond opt-outs: contacts who stopped marketing messages (marketing
 * templates only) and contacts over the workspace's frequency cap, counted in the launch preview
 * and frozen as `skipped` with the reason; and what WhatsApp's marketing refusals (131049,
 * 131050) record.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type Account, call, callJson, seedWorkspace } from "../helpers";
import {
  acceptedPerRecipient,
  allRecipients,
  campaignView,
  createCampaign,
  digits,
  drive,
  expectAllFinal,
  expectAtMostOnce,
  sandboxRecords,
  templateCampaign,
  textCampaign,
  type World,
  world,
} from "./world";

const launch = (w: World, id: number) => callJson<any>(`/api/campaigns/${id}/launch`, { json: {}, expect: 200, auth: w.admin });
const preview = (w: World, id: number) => callJson<any>(`/api/campaigns/${id}/preview`, { auth: w.admin });
const completed = (w: World, id: number) => drive(w.admin, id, (c) => c.status === "completed");
const setCap = (admin: Account, messages: number | null, days = 7) =>
  callJson("/api/workspace", { method: "PATCH", json: { frequency_cap_messages: messages, frequency_cap_days: days }, expect: 200, auth: admin });

/** A utility template campaign (appointment_reminder, en_US) at full speed. */
const utilityCampaign = (w: World) => ({
  title: "Reminder",
  inbox_id: w.inbox.id,
  audience: { labels: [w.labelId] },
  content: {
    type: "template",
    template_name: "appointment_reminder",
    language: "en_US",
    values: {
      body: {
        "1": { source: "contact", field: "name" },
        "2": { source: "fixed", value: "June 3" },
        "3": { source: "fixed", value: "10:30" },
      },
    },
  },
  settings: { min_delay_s: 0, max_delay_s: 0, batch_size: 50 },
});

const stopMarketing = (w: World, phones: string[]) =>
  env.DB.prepare(
    "UPDATE contacts SET marketing_stopped_at = unixepoch() - 60, marketing_preference_at = unixepoch() - 60 WHERE workspace_id = ? AND phone IN (SELECT value FROM json_each(?))",
  )
    .bind(w.admin.workspaceId, JSON.stringify(phones))
    .run();

/** The campaign's sends once its object copied them all to D1. */
async function sendsOf(campaignId: number, expected: number): Promise<{ phone: string; sent_at: number }[]> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const rows = await env.DB.prepare("SELECT phone, sent_at FROM campaign_sends WHERE campaign_id = ?")
      .bind(campaignId)
      .all<{ phone: string; sent_at: number }>();
    if (rows.results.length >= expected || Date.now() > deadline) return rows.results;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("contacts who stopped marketing messages", () => {
  it("a marketing template skips them with the reason; a utility template and free text still reach them", async () => {
    const w = await world(4);
    const stopped = w.phones.slice(0, 2);
    await stopMarketing(w, stopped);

    const marketing = await createCampaign(w, templateCampaign(w));
    expect(await preview(w, marketing)).toMatchObject({ recipients: 4, skipped_outside_window: 0, skipped: { marketing_stopped: 2, frequency_cap: 0 } });
    expect((await launch(w, marketing)).progress).toMatchObject({ total: 4, skipped: 2 });
    expect((await completed(w, marketing)).progress).toMatchObject({ total: 4, sent: 2, skipped: 2, pending: 0 });
    const skipped = await allRecipients(w.admin, marketing, "skipped");
    expect(skipped.map((r) => [r.phone, r.reason]).sort()).toEqual(stopped.map((p) => [p, "marketing_stopped"]).sort());
    await expectAllFinal(w, marketing, 4);
    expect([...(await expectAtMostOnce(w)).keys()].sort()).toEqual(w.phones.slice(2).map(digits).sort());

    const utility = await createCampaign(w, utilityCampaign(w));
    expect((await preview(w, utility)).skipped).toEqual({ marketing_stopped: 0, frequency_cap: 0 });
    await launch(w, utility);
    expect((await completed(w, utility)).progress).toMatchObject({ total: 4, sent: 4, skipped: 0 });

    await env.DB.prepare("UPDATE contacts SET last_inbound_at = unixepoch() - 600 WHERE workspace_id = ?").bind(w.admin.workspaceId).run();
    const text = await createCampaign(w, textCampaign(w));
    expect(await preview(w, text)).toMatchObject({ skipped_outside_window: 0, skipped: { marketing_stopped: 0, frequency_cap: 0 } });
    await launch(w, text);
    expect((await completed(w, text)).progress).toMatchObject({ total: 4, sent: 4, skipped: 0 });
    // Each stopped contact got the utility template and the text, never the marketing one.
    const accepted = await acceptedPerRecipient(w);
    for (const p of stopped) expect(accepted.get(digits(p))).toBe(2);
    for (const p of w.phones.slice(2)) expect(accepted.get(digits(p))).toBe(3);
  });

  it("an audience in which everyone would be skipped is not launched", async () => {
    const w = await world(2);
    await stopMarketing(w, w.phones);
    const id = await createCampaign(w, templateCampaign(w));
    const res = await call(`/api/campaigns/${id}/launch`, { json: {}, auth: w.admin });
    expect(res.status).toBe(409);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error).toMatchObject({ code: "conflict", message: "all 2 contacts would be skipped: 2 stopped marketing messages at WhatsApp" });
    expect((await campaignView(w.admin, id)).status).toBe("draft");
    expect(await allRecipients(w.admin, id)).toEqual([]);
  });
});

describe("the frequency cap", () => {
  it("skips contacts with N campaign messages in the last M days (any campaign of the workspace), in the preview and the frozen recipients", async () => {
    const w = await world(5);
    const earlier = await createCampaign(w, templateCampaign(w));
    await launch(w, earlier);
    await completed(w, earlier);
    expect(await sendsOf(earlier, 5)).toHaveLength(5);
    // Two of those sends are 8 days old: outside a 7-day cap.
    const old = w.phones.slice(3);
    await env.DB.prepare("UPDATE campaign_sends SET sent_at = sent_at - 8 * 86400 WHERE campaign_id = ? AND phone IN (SELECT value FROM json_each(?))")
      .bind(earlier, JSON.stringify(old))
      .run();
    // Another workspace's sends to the same numbers do not count.
    const stranger = await world(0);
    const theirs = await createCampaign(stranger, templateCampaign(stranger));
    for (const [i, phone] of [old[0]!, old[0]!, old[1]!].entries()) {
      await env.DB.prepare(
        "INSERT INTO campaign_sends (inbox_id, wamid, workspace_id, campaign_id, recipient_id, phone, sent_at) VALUES (?, ?, ?, ?, ?, ?, unixepoch())",
      )
        .bind(stranger.inbox.id, `wamid.stranger.${theirs}.${i}`, stranger.admin.workspaceId, theirs, i + 1, phone)
        .run();
    }

    const id = await createCampaign(w, utilityCampaign(w));
    expect((await preview(w, id)).skipped).toEqual({ frequency_cap: 0, marketing_stopped: 0 });
    await setCap(w.admin, 2);
    expect((await preview(w, id)).skipped.frequency_cap).toBe(0);
    await setCap(w.admin, 1);
    expect(await preview(w, id)).toMatchObject({ recipients: 5, skipped: { frequency_cap: 3, marketing_stopped: 0 } });
    await setCap(w.admin, 1, 9);
    expect((await preview(w, id)).skipped.frequency_cap).toBe(5);
    await setCap(w.admin, 1, 7);

    expect((await launch(w, id)).progress).toMatchObject({ total: 5, skipped: 3 });
    expect((await completed(w, id)).progress).toMatchObject({ total: 5, sent: 2, skipped: 3 });
    const skipped = await allRecipients(w.admin, id, "skipped");
    expect(skipped.map((r) => [r.phone, r.reason]).sort()).toEqual(
      w.phones
        .slice(0, 3)
        .map((p) => [p, "frequency_cap"])
        .sort(),
    );
    await expectAllFinal(w, id, 5);
    const accepted = await acceptedPerRecipient(w);
    expect(w.phones.map((p) => accepted.get(digits(p)))).toEqual([1, 1, 1, 2, 2]);

    // Now everyone has had a message within 7 days: a third campaign is refused.
    await sendsOf(id, 2);
    const third = await createCampaign(w, utilityCampaign(w));
    const refused = await call(`/api/campaigns/${third}/launch`, { json: {}, auth: w.admin });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as any).error.message).toMatch(/^all 5 contacts would be skipped: 5 already received .*frequency cap/);
    // Off again: everyone is reached.
    await setCap(w.admin, null);
    expect((await preview(w, third)).skipped.frequency_cap).toBe(0);
  });

  it("a contact skipped for two reasons is counted once, under the first (stopped marketing before the cap)", async () => {
    const w = await world(3);
    const earlier = await createCampaign(w, utilityCampaign(w));
    await launch(w, earlier);
    await completed(w, earlier);
    await sendsOf(earlier, 3);
    await stopMarketing(w, [w.phones[0]!]);
    await setCap(w.admin, 1);
    const id = await createCampaign(w, templateCampaign(w));
    expect(await preview(w, id)).toMatchObject({ recipients: 3, skipped: { marketing_stopped: 1, frequency_cap: 2 } });
  });
});

describe("WhatsApp's marketing refusals on a send", () => {
  const refusing = (code: number) => ({ scenario: { random_failure_rate: 1, random_failure_codes: [code] } });
  const settings = { failure_window: 1000, failure_threshold: 1 };

  it("131050: the recipient fails and the contact's marketing stop is recorded; the contact is not opted out", async () => {
    const w = await world(2, refusing(131050));
    const id = await createCampaign(w, templateCampaign(w, settings));
    await launch(w, id);
    expect((await completed(w, id)).progress).toMatchObject({ total: 2, failed: 2 });
    const failed = await allRecipients(w.admin, id, "failed");
    expect(failed.map((r) => r.error_code)).toEqual([131050, 131050]);
    const rows = await env.DB.prepare("SELECT opted_out_at, marketing_stopped_at FROM contacts WHERE workspace_id = ?")
      .bind(w.admin.workspaceId)
      .all<{ opted_out_at: number | null; marketing_stopped_at: number | null }>();
    expect(rows.results).toHaveLength(2);
    for (const r of rows.results) {
      expect(r.opted_out_at).toBeNull();
      expect(r.marketing_stopped_at).toBeGreaterThan(Date.now() / 1000 - 120);
    }
    const groups = await callJson<{ data: any[] }>(`/api/campaigns/${id}/failures`, { auth: w.admin });
    expect(groups.data).toEqual([expect.objectContaining({ error_code: 131050, count: 2, policy: "stop_marketing" })]);
    // The next marketing launch leaves them out, so nobody is left to send to.
    const next = await createCampaign(w, templateCampaign(w));
    expect((await preview(w, next)).skipped.marketing_stopped).toBe(2);
  });

  it("131049: the recipient fails without retry, and Settings counts the workspace's refusals of the last 30 days", async () => {
    const w = await world(3, refusing(131049));
    const refusals = () => callJson<any>("/api/workspace/marketing-refusals", { auth: w.admin });
    expect(await refusals()).toEqual({ error_code: 131049, days: 30, count: 0 });
    const id = await createCampaign(w, templateCampaign(w, settings));
    await launch(w, id);
    expect((await completed(w, id)).progress).toMatchObject({ total: 3, failed: 3 });
    const failed = await allRecipients(w.admin, id, "failed");
    expect(failed.map((r) => r.error_code)).toEqual([131049, 131049, 131049]);
    // One request per recipient: no retry.
    const requests = await sandboxRecords(w);
    expect(requests.map((r) => r.error_code)).toEqual([131049, 131049, 131049]);
    expect(new Set(requests.map((r) => r.to)).size).toBe(3);
    expect(await refusals()).toEqual({ error_code: 131049, days: 30, count: 3 });

    // Failed statuses from webhooks count too; older ones, other codes and other workspaces do not.
    const other = await seedWorkspace();
    const event = (workspaceId: number, wamid: string, code: number, daysAgo: number) =>
      env.DB.prepare(
        "INSERT INTO message_events (workspace_id, inbox_id, wamid, status, occurred_at, error_code) VALUES (?, ?, ?, 'failed', unixepoch() - ? * 86400, ?)",
      )
        .bind(workspaceId, w.inbox.id, wamid, daysAgo, code)
        .run();
    await event(w.admin.workspaceId, "wamid.R1", 131049, 2);
    await event(w.admin.workspaceId, "wamid.R2", 131049, 31);
    await event(w.admin.workspaceId, "wamid.R3", 131026, 1);
    await event(other.workspaceId, "wamid.R4", 131049, 1);
    expect((await refusals()).count).toBe(4);
    expect((await callJson<any>("/api/workspace/marketing-refusals", { auth: other })).count).toBe(1);
  });

  it("a single message refused at once is recorded the same way: 131050 stops the contact's marketing, 131049 is counted", async () => {
    const w = await world(1, refusing(131050));
    const single = () =>
      call(`/api/inboxes/${w.inbox.id}/messages`, { json: { to: w.phones[0], template: { name: "hello_world", language: "en_US" } }, auth: w.admin });
    expect((await single()).status).toBe(502);
    const contact = await env.DB.prepare("SELECT opted_out_at, marketing_stopped_at FROM contacts WHERE workspace_id = ?")
      .bind(w.admin.workspaceId)
      .first<{ opted_out_at: number | null; marketing_stopped_at: number | null }>();
    expect(contact!.opted_out_at).toBeNull();
    expect(contact!.marketing_stopped_at).not.toBeNull();
    await callJson(`/api/sandbox/inboxes/${w.inbox.id}/scenario`, { method: "PUT", json: { random_failure_codes: [131049] }, expect: 200, auth: w.admin });
    expect((await single()).status).toBe(502);
    expect((await callJson<any>("/api/workspace/marketing-refusals", { auth: w.admin })).count).toBe(1);
  });
});

/**
 * Retargeting: a campaign whose audience is an earlier campaign's recipients in chosen result
 * states, combined with labels, exclusions and opt-outs, counted by the previews and frozen at
 * launch; and duplicating a campaign.
 */

import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { audiencePage, audienceScopes, checkAudience } from "../../worker/campaigns/audience";
import type { CampaignSender } from "../../worker/campaigns/campaign-sender";
import { resultIdsOf } from "../../worker/campaigns/retarget";
import type { RecipientStore } from "../../worker/campaigns/sender/store";
import { createDb } from "../../worker/db/client";
import { RESULT_STATES, type ResultState } from "../../worker/domain/campaign-results";
import { type Audience, audienceSchema } from "../../worker/domain/campaign-settings";
import type { SkipRules } from "../../worker/domain/launch-skips";
import { type Account, call, callJson, seedOperator } from "../helpers";
import { campaignView, createCampaign, digits, drive, senderOf, setScenario, templateCampaign, textCampaign, type World, world } from "./world";

/** Rules that skip nobody: the audience as the labels and results give it. */
const NO_SKIPS: SkipRules = { windowStart: null, marketing: false, cap: null };

type Recipient = { id: number; contact_id: number; phone: string; state: string; wamid: string | null; error_code: number | null };

async function recipientsOf(admin: Account, campaignId: number): Promise<Recipient[]> {
  const out: Recipient[] = [];
  let cursor: string | null = null;
  do {
    const page: { data: Recipient[]; next_cursor: string | null } = await callJson(
      `/api/campaigns/${campaignId}/recipients?limit=500${cursor ? `&cursor=${cursor}` : ""}`,
      { auth: admin },
    );
    out.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor);
  return out;
}

const launch = (w: World, id: number) => callJson(`/api/campaigns/${id}/launch`, { json: {}, expect: 200, auth: w.admin });
const sorted = (phones: string[]) => [...phones].sort();

/** What becomes of each contact of the mixed source, by its index in the world. */
const PLAN = [
  "sent",
  "delivered",
  "read",
  "replied",
  "failed 131000",
  "failed 130429",
  "undeliverable",
  "failed 131049",
  "unknown",
  "skipped",
  "cancelled",
  "delivered",
] as const;

/** The contacts (by index) each result state selects in the mixed source; index 8 (unknown) is in none. */
const EXPECTED: Record<ResultState, number[]> = {
  sent_not_delivered: [0],
  delivered_not_read: [1, 11],
  read_not_replied: [2],
  replied: [3],
  failed_temporary: [4, 5],
  failed_permanent: [6, 7],
  skipped: [9],
  cancelled: [10],
};

/**
 * A completed free-text campaign whose twelve recipients ended as PLAN says: statuses and replies
 * arrive through the object's own RPCs (as the webhook consumer sends them), contact 6 is not on
 * WhatsApp (131026 at send time), contact 9 never wrote (skipped outside the 24 h window), and
 * contacts 8 and 10 are set to `unknown` and `cancelled` by the object's store.
 */
async function mixedSource() {
  const w = await world(PLAN.length);
  await setScenario(w.admin, w.inbox.id, { pair_rate_limit_ms: 0, webhooks_enabled: false, undeliverable: [digits(w.phones[6]!)] });
  const wrote = Math.floor(Date.now() / 1000) - 60;
  await env.DB.prepare("UPDATE contacts SET last_inbound_at = ? WHERE workspace_id = ? AND phone <> ?").bind(wrote, w.admin.workspaceId, w.phones[9]).run();
  const id = await createCampaign(w, { ...textCampaign(w), title: "Black Friday" });
  await launch(w, id);
  expect((await drive(w.admin, id, (c) => c.status === "completed")).status).toBe("completed");
  const rows = await recipientsOf(w.admin, id);
  const at = (i: number) => rows.find((r) => r.phone === w.phones[i])!;
  const ts = Math.floor(Date.now() / 1000);
  const status = (i: number, s: "delivered" | "read" | "failed", errorCode?: number) => ({
    recipientId: at(i).id,
    wamid: at(i).wamid!,
    status: s,
    timestamp: ts,
    ...(errorCode ? { errorCode, errorTitle: `error ${errorCode}` } : {}),
  });
  const sender = senderOf(id);
  await sender.applyStatuses([
    status(1, "delivered"),
    status(11, "delivered"),
    status(2, "read"),
    status(3, "read"),
    status(4, "failed", 131000),
    status(5, "failed", 130429),
    status(7, "failed", 131049),
  ]);
  await sender.markReplied([{ recipientId: at(3).id, timestamp: ts + 5 }]);
  await runInDurableObject(sender, (instance: CampaignSender) => {
    const store = (instance as unknown as { store: RecipientStore }).store;
    store.markUnknown(at(8).id, "no answer from Meta", Date.now());
    store.markCancelled(at(10).id, "campaign cancelled", Date.now());
  });
  const states = Object.fromEntries(
    (await recipientsOf(w.admin, id)).map((r) => [w.phones.indexOf(r.phone), `${r.state}${r.error_code ? ` ${r.error_code}` : ""}`]),
  );
  expect(states).toEqual({
    0: "sent",
    1: "delivered",
    2: "read",
    3: "replied",
    4: "failed 131000",
    5: "failed 130429",
    6: "failed 131026",
    7: "failed 131049",
    8: "unknown",
    9: "skipped",
    10: "cancelled",
    11: "delivered",
  });
  const contactOf = (i: number) => at(i).contact_id;
  return { w, id, contactOf };
}

/** A template campaign of `w` to the recipients of `sourceId` in `states`, with more audience fields when given. */
const retargeting = (w: World, sourceId: number, states: ResultState[], audience: Record<string, unknown> = {}) => ({
  ...templateCampaign(w),
  title: "Second chance",
  audience: { from_campaign: { campaign_id: sourceId, states }, ...audience },
});

/** Creates, previews and launches a retargeting campaign; answers the phones it froze and what the previews counted. */
async function retarget(w: World, body: ReturnType<typeof retargeting>) {
  const id = await createCampaign(w, body);
  const preview = await callJson<{ recipients: number }>(`/api/campaigns/${id}/preview`, { auth: w.admin });
  const editor = await callJson<{ total: number }>("/api/audience/preview", { json: body.audience, expect: 200, auth: w.admin });
  const launched = await launch(w, id);
  const phones = (await recipientsOf(w.admin, id)).map((r) => r.phone);
  return { id, phones, preview: preview.recipients, editor: editor.total, launched };
}

type ErrorBody = { error: { code: string; message: string; details?: { path: string; message: string }[] } };

async function refusal(path: string, init: Parameters<typeof call>[1], status: number) {
  const res = await call(path, init);
  const body = (await res.json()) as ErrorBody;
  expect(res.status, JSON.stringify(body)).toBe(status);
  return body.error;
}

describe("an audience from a campaign's results", () => {
  it("freezes exactly the recipients in each result state, never an unknown one, and the previews count what is frozen", async () => {
    const { w, id: source } = await mixedSource();
    const counts = await callJson<{ campaign_id: number; counts: Record<ResultState, number> }>(`/api/campaigns/${source}/results`, { auth: w.admin });
    expect(counts).toEqual({ campaign_id: source, counts: Object.fromEntries(RESULT_STATES.map((s) => [s, EXPECTED[s].length])) });
    for (const state of RESULT_STATES) {
      const got = await retarget(w, retargeting(w, source, [state]));
      const expected = EXPECTED[state].map((i) => w.phones[i]!);
      expect({ state, phones: sorted(got.phones) }).toEqual({ state, phones: sorted(expected) });
      expect({ state, preview: got.preview, editor: got.editor }).toEqual({ state, preview: expected.length, editor: expected.length });
      await call(`/api/campaigns/${got.id}/cancel`, { method: "POST", auth: w.admin });
    }
    const everything = await retarget(w, retargeting(w, source, [...RESULT_STATES]));
    expect(sorted(everything.phones)).toEqual(sorted(w.phones.filter((_, i) => i !== 8)));
    expect(everything.preview).toBe(11);
    // The retargeting campaign sends to them like any other.
    const done = await drive(w.admin, everything.id, (c) => c.status === "completed");
    // Contact 6 is still not on WhatsApp.
    expect(done.progress).toMatchObject({ total: 11, sent: 10, failed: 1 });
  }, 60_000);

  it("narrows by labels (any or all), leaves out excluded labels and opted-out contacts", async () => {
    const { w, id: source, contactOf } = await mixedSource();
    const label = async (name: string, indexes: number[]) => {
      const { id } = await callJson<{ id: number }>("/api/labels", { json: { name }, auth: w.admin });
      await callJson("/api/contacts/labels", { json: { action: "add", label_ids: [id], contact_ids: indexes.map(contactOf) }, expect: 200, auth: w.admin });
      return id;
    };
    const vip = await label("VIP", [0, 1, 2, 3, 9]);
    const recife = await label("Recife", [1, 2, 3, 4, 11]);
    const staff = await label("Staff", [3]);
    await callJson(`/api/contacts/${contactOf(2)}`, { method: "PATCH", json: { opted_out: true }, expect: 200, auth: w.admin });
    const opened: ResultState[] = ["sent_not_delivered", "delivered_not_read", "read_not_replied", "replied"];
    const cases: [Record<string, unknown>, number[]][] = [
      [{}, [0, 1, 3, 11]],
      [{ labels: [vip] }, [0, 1, 3]],
      [{ labels: [vip, recife], match: "all" }, [1, 3]],
      [{ labels: [vip, recife], match: "any" }, [0, 1, 3, 11]],
      [{ labels: [vip], exclude_labels: [staff] }, [0, 1]],
      [{ exclude_labels: [recife] }, [0]],
    ];
    for (const [audience, indexes] of cases) {
      const got = await retarget(w, retargeting(w, source, opened, audience));
      const expected = indexes.map((i) => w.phones[i]!);
      expect({ audience, phones: sorted(got.phones) }).toEqual({ audience, phones: sorted(expected) });
      expect({ audience, preview: got.preview, editor: got.editor }).toEqual({ audience, preview: expected.length, editor: expected.length });
      await call(`/api/campaigns/${got.id}/cancel`, { method: "POST", auth: w.admin });
    }
    // The editor's preview says how many it left out for having opted out.
    const editor = await callJson("/api/audience/preview", { json: { from_campaign: { campaign_id: source, states: opened } }, expect: 200, auth: w.admin });
    expect(editor).toMatchObject({ total: 4, matched: 5, opted_out_excluded: 1 });
    expect(editor.sample.map((c: { phone: string }) => c.phone)).toEqual([0, 1, 3, 11].map((i) => w.phones[i]));
  }, 60_000);

  it("is frozen at launch: what happens to the source later does not change the campaign", async () => {
    const { w, id: source, contactOf } = await mixedSource();
    const got = await retarget(w, retargeting(w, source, ["read_not_replied", "delivered_not_read"], { match: "any" }));
    expect(sorted(got.phones)).toEqual(sorted([1, 2, 11].map((i) => w.phones[i]!)));
    const sourceRows = await recipientsOf(w.admin, source);
    const two = sourceRows.find((r) => r.phone === w.phones[2])!;
    await senderOf(source).markReplied([{ recipientId: two.id, timestamp: Math.floor(Date.now() / 1000) }]);
    await callJson(`/api/contacts/${contactOf(1)}`, { method: "PATCH", json: { opted_out: true }, expect: 200, auth: w.admin });
    expect(sorted((await recipientsOf(w.admin, got.id)).map((r) => r.phone))).toEqual(sorted([1, 2, 11].map((i) => w.phones[i]!)));
    // A new campaign sees the source as it is now.
    const later = await retarget(w, retargeting(w, source, ["read_not_replied", "delivered_not_read"]));
    expect(later.phones).toEqual([w.phones[11]]);
  }, 60_000);

  it("reads more than 100 ids per query (one JSON parameter) and walks the source in pages and chunks", async () => {
    const w = await world(250);
    await callJson(`/api/inboxes/${w.inbox.id}`, { method: "PATCH", json: { messaging_limit_tier: "unlimited" }, expect: 200, auth: w.admin });
    const source = await createCampaign(w, templateCampaign(w, { batch_size: 500 }));
    await launch(w, source);
    expect((await drive(w.admin, source, (c) => c.status === "completed", 30_000)).progress.sent).toBe(250);
    const rows = await recipientsOf(w.admin, source);
    const ts = Math.floor(Date.now() / 1000);
    // Every third recipient read the message.
    const read = rows.filter((_, i) => i % 3 === 0);
    await senderOf(source).applyStatuses(read.map((r) => ({ recipientId: r.id, wamid: r.wamid!, status: "read" as const, timestamp: ts })));
    const unread = rows.filter((_, i) => i % 3 !== 0);

    const audience: Audience = audienceSchema.parse({ from_campaign: { campaign_id: source, states: ["sent_not_delivered"] } });
    const resultIds = resultIdsOf(env, audience)!;
    const db = createDb(env.DB);
    // Chunks of 100 ids: two queries for 166 contacts.
    const scopes: unknown[] = [];
    for await (const scope of audienceScopes(audience, resultIds, 100)) scopes.push(scope);
    expect(scopes).toHaveLength(2);
    expect((await checkAudience(db, w.admin.workspaceId, audience, { type: "text", variants: ["hi"] }, NO_SKIPS, Date.now(), resultIds)).recipients).toBe(166);
    // Pages of 40 source ids, the last one short.
    const paged: number[] = [];
    let cursor = 0;
    let pages = 0;
    for (;;) {
      const page = await audiencePage(db, w.admin.workspaceId, audience, NO_SKIPS, cursor, 40, resultIds);
      paged.push(...page.contacts.map((c) => c.id));
      pages++;
      if (page.next === null) break;
      cursor = page.next;
    }
    expect(pages).toBe(5);
    expect(paged).toEqual(unread.map((r) => r.contact_id).sort((a, b) => a - b));

    const got = await retarget(w, retargeting(w, source, ["sent_not_delivered"]));
    expect({ phones: got.phones.length, preview: got.preview, editor: got.editor }).toEqual({ phones: 166, preview: 166, editor: 166 });
    expect(sorted(got.phones)).toEqual(sorted(unread.map((r) => r.phone)));
    const readers = await retarget(w, retargeting(w, source, ["read_not_replied"]));
    expect(sorted(readers.phones)).toEqual(sorted(read.map((r) => r.phone)));
    for (const id of [got.id, readers.id]) await call(`/api/campaigns/${id}/cancel`, { method: "POST", auth: w.admin });
  }, 90_000);

  it("freezes a large selection over several pages of the source", async () => {
    const w = await world(250);
    const source = await createCampaign(w, templateCampaign(w, { batch_size: 500 }));
    await callJson(`/api/inboxes/${w.inbox.id}`, { method: "PATCH", json: { messaging_limit_tier: "unlimited" }, expect: 200, auth: w.admin });
    await launch(w, source);
    await drive(w.admin, source, (c) => c.status === "completed", 30_000);
    const half = w.phones.filter((_, i) => i % 2 === 0);
    const { id: vip } = await callJson<{ id: number }>("/api/labels", { json: { name: "Half" }, auth: w.admin });
    const rows = await recipientsOf(w.admin, source);
    const halfIds = rows.filter((r) => half.includes(r.phone)).map((r) => r.contact_id);
    await callJson("/api/contacts/labels", { json: { action: "add", label_ids: [vip], contact_ids: halfIds }, expect: 200, auth: w.admin });
    const id = await createCampaign(w, retargeting(w, source, ["sent_not_delivered"], { labels: [vip] }));
    let reads = 0;
    await runInDurableObject(senderOf(id), (instance: CampaignSender) => {
      const real = instance.readAudience;
      // Pages of 30 source ids, about half of each taken by the label.
      instance.readAudience = async (config, cursor) => {
        reads++;
        return real(config, cursor, 30);
      };
    });
    await launch(w, id);
    const done = await drive(w.admin, id, (c) => !c.preparing && c.progress.total > 0);
    expect(done.progress.total).toBe(125);
    expect(reads).toBe(9);
    expect(sorted((await recipientsOf(w.admin, id)).map((r) => r.phone))).toEqual(sorted(half));
    await call(`/api/campaigns/${id}/cancel`, { method: "POST", auth: w.admin });
  }, 90_000);

  it("refuses another workspace's campaign, a campaign that has not launched and the campaign itself, naming the field", async () => {
    const { w, id: source } = await mixedSource();
    const other = await world(1, { sync: false });
    const field = "audience.from_campaign.campaign_id";
    const foreign = await refusal(
      "/api/campaigns",
      { json: { ...textCampaign(other), audience: { from_campaign: { campaign_id: source, states: ["replied"] } } }, auth: other.admin },
      400,
    );
    expect(foreign).toMatchObject({ code: "validation_failed", details: [{ path: field, message: `unknown campaign ${source}` }] });
    // Nothing of it shows through the other workspace's previews either.
    const preview = await refusal("/api/audience/preview", { json: { from_campaign: { campaign_id: source, states: ["replied"] } }, auth: other.admin }, 400);
    expect(preview.details).toEqual([{ path: "from_campaign.campaign_id", message: `unknown campaign ${source}` }]);
    expect((await refusal(`/api/campaigns/${source}/results`, { auth: other.admin }, 404)).code).toBe("not_found");

    const draft = await createCampaign(w, textCampaign(w));
    const fromDraft = await refusal("/api/campaigns", { json: retargeting(w, draft, ["replied"]), auth: w.admin }, 400);
    expect(fromDraft.details).toEqual([
      { path: field, message: `campaign ${draft} has not launched (it is draft); only a launched campaign's results can be an audience` },
    ]);
    const own = await refusal(
      `/api/campaigns/${draft}`,
      { method: "PATCH", json: { audience: { from_campaign: { campaign_id: draft, states: ["replied"] } } }, auth: w.admin },
      400,
    );
    expect(own.details).toEqual([{ path: field, message: "a campaign cannot take its audience from its own results; choose an earlier campaign" }]);
    const missing = await refusal("/api/campaigns", { json: retargeting(w, 987_654_321, ["replied"]), auth: w.admin }, 400);
    expect(missing.details).toEqual([{ path: field, message: "unknown campaign 987654321" }]);
    // Nothing was written by the refusals.
    expect((await callJson(`/api/campaigns?launched=false`, { auth: w.admin })).data.map((c: { id: number }) => c.id)).toEqual([draft]);
  }, 60_000);

  it("checks the source again at preview and launch: deleted since, it is refused by name", async () => {
    const { w, id: source } = await mixedSource();
    const id = await createCampaign(w, retargeting(w, source, ["replied"]));
    expect((await call(`/api/campaigns/${source}`, { method: "DELETE", auth: w.admin })).status).toBe(204);
    const preview = await refusal(`/api/campaigns/${id}/preview`, { auth: w.admin }, 400);
    expect(preview.details).toEqual([{ path: "audience.from_campaign.campaign_id", message: `unknown campaign ${source}` }]);
    const launchRefused = await refusal(`/api/campaigns/${id}/launch`, { json: {}, auth: w.admin }, 400);
    expect(launchRefused.code).toBe("validation_failed");
    expect((await campaignView(w.admin, id)).status).toBe("draft");
  }, 60_000);

  it("validates the selection: at least one result, each once, known names; labels optional only with from_campaign", async () => {
    const { w, id: source } = await mixedSource();
    const bad: [unknown, string, string][] = [
      [{ from_campaign: { campaign_id: source, states: [] } }, "audience.from_campaign.states", "choose at least one result"],
      [{ from_campaign: { campaign_id: source, states: ["read_not_replied", "read_not_replied"] } }, "audience.from_campaign.states", "name each result once"],
      [{ from_campaign: { campaign_id: source, states: ["unknown"] } }, "audience.from_campaign.states.0", ""],
      [{ from_campaign: { campaign_id: source } }, "audience.from_campaign.states", ""],
      [{ from_campaign: { campaign_id: source, states: ["replied"], extra: 1 } }, "audience.from_campaign.extra", ""],
      [{ labels: [] }, "audience.labels", "choose at least one label"],
    ];
    for (const [audience, path, message] of bad) {
      const e = await refusal("/api/campaigns", { json: { ...templateCampaign(w), audience }, auth: w.admin }, 400);
      expect(e.details?.[0]?.path, JSON.stringify(audience)).toBe(path);
      if (message) expect(e.details?.[0]?.message).toBe(message);
    }
    const launchedList = await callJson("/api/campaigns?launched=true", { auth: w.admin });
    expect(launchedList.data.map((c: { id: number }) => c.id)).toEqual([source]);
  }, 60_000);
});

describe("duplicating a campaign", () => {
  it("copies a retargeting campaign's content, audience and settings as a draft, with the title given or 'Copy of …'", async () => {
    const { w, id: source } = await mixedSource();
    const operator = await seedOperator(w.admin);
    const body = {
      ...retargeting(w, source, ["read_not_replied", "failed_temporary"], { labels: [w.labelId] }),
      settings: { batch_size: 7, failure_window: 20 },
    };
    const original = await callJson<any>("/api/campaigns", { json: body, auth: w.admin });
    await launch(w, original.id);
    const copy = await callJson<any>(`/api/campaigns/${original.id}/duplicate`, { method: "POST", expect: 201, auth: operator });
    expect(copy).toMatchObject({ title: "Copy of Second chance", status: "draft", inbox_id: w.inbox.id, launched_at: null, scheduled_at: null });
    expect(copy.progress.total).toBe(0);
    expect({ audience: copy.audience, content: copy.content, settings: copy.settings }).toEqual({
      audience: original.audience,
      content: original.content,
      settings: original.settings,
    });
    expect(copy.audience.from_campaign).toEqual({ campaign_id: source, states: ["read_not_replied", "failed_temporary"] });
    const named = await callJson<any>(`/api/campaigns/${source}/duplicate`, { json: { title: "Cópia de Black Friday" }, expect: 201, auth: w.admin });
    expect(named).toMatchObject({ title: "Cópia de Black Friday", status: "draft", audience: { labels: [w.labelId], match: "any", exclude_labels: [] } });
    const e = await refusal(`/api/campaigns/${source}/duplicate`, { json: { title: " " }, auth: w.admin }, 400);
    expect(e.details?.[0]?.path).toBe("title");
  }, 60_000);
});

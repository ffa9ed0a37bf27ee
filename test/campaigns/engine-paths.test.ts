/**
 * Paths that could lose or mis-send a recipient: a cancel racing a launch, outcomes reported after
 * a campaign ended, failures before a request left, an inbox that cannot send, a pause that could
 * not wait for every send, a cron run with one broken campaign, several campaigns sharing one
 * number's cap, a number throttled below its configured cap, and a campaign object reset
 * mid-campaign.
 */
import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  getQueueResult,
  runDurableObjectAlarm,
  runInDurableObject,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { CampaignConfig, CampaignSender, Grant, OutboundJob, Progress } from "../../worker/campaigns/campaign-sender";
import { launchCampaign } from "../../worker/campaigns/launch";
import { createDb } from "../../worker/db/client";
import { campaigns } from "../../worker/db/schema";
import worker from "../../worker/index";
import { call, callJson } from "../helpers";
import {
  acceptedPerRecipient,
  allSandboxRecords,
  campaignView,
  createCampaign,
  deliver,
  digits,
  drive,
  expectAllFinal,
  expectAtMostOnce,
  holdOutbound,
  rowsOf,
  sandboxRecords,
  senderOf,
  setScenario,
  sleep,
  templateCampaign,
  type World,
  world,
} from "./world";

const SLOW = { min_delay_s: 600, max_delay_s: 600 };
/** The wall-clock time in São Paulo (UTC−3 all year since 2019) of an instant, as "YYYY-MM-DDTHH:MM". */
const saoPauloWall = (ms: number) => new Date(ms - 3 * 3600_000).toISOString().slice(0, 16);
const post = (path: string, w: World, json: unknown = {}) => callJson<any>(path, { json, expect: 200, auth: w.admin });
const idsOf = (jobs: OutboundJob[]) => jobs.flatMap((j) => j.ids);

async function waitUntil<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** Launches now and releases the first recipients into `held` (the object's queue is held). */
async function launchHeld(w: World, id: number, count: number) {
  const held = await holdOutbound(id);
  await post(`/api/campaigns/${id}/launch`, w);
  await runDurableObjectAlarm(senderOf(id));
  await waitUntil(`${count} released`, async () => idsOf(held).length >= count);
  return held;
}

/** Hands jobs to the Worker's queue consumer with a changed environment. */
async function deliverWith(changed: Partial<Env>, jobs: OutboundJob[]) {
  const batch = createMessageBatch<OutboundJob>(
    "herald-outbound",
    jobs.map((body, i) => ({ id: `paths-${Date.now()}-${i}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, { ...env, ...changed } as Env, ctx);
  return getQueueResult(batch, ctx);
}

function configOf(row: typeof campaigns.$inferSelect): CampaignConfig {
  return {
    campaignId: row.id,
    workspaceId: row.workspaceId,
    inboxId: row.inboxId,
    throughputCap: 80,
    content: JSON.parse(row.content),
    settings: JSON.parse(row.settings),
    audience: JSON.parse(row.audience),
    windowStart: 0,
  };
}

describe("a cancel racing a launch", () => {
  it("a scheduled campaign cancelled while its launch runs is not started: the launch's catalog move is conditional", async () => {
    const w = await world(4);
    const id = await createCampaign(w, templateCampaign(w));
    await post(`/api/campaigns/${id}/launch`, w, { schedule: { at: saoPauloWall(Date.now() + 86_400_000), timezone: "America/Sao_Paulo" } });
    const db = createDb(env.DB);
    // The launch read the campaign while it was still scheduled...
    const seenByLaunch = (await db.select().from(campaigns).where(eq(campaigns.id, id)).get())!;
    expect(seenByLaunch.status).toBe("scheduled");
    // ...then the operator cancelled it.
    expect((await post(`/api/campaigns/${id}/cancel`, w)).status).toBe("cancelled");
    await expect(launchCampaign(env, db, seenByLaunch)).rejects.toThrow(/changed meanwhile/);
    await runDurableObjectAlarm(senderOf(id));
    const progress = (await senderOf(id).progress()) as Progress;
    expect(progress).toMatchObject({ status: "cancelled", total: 0 });
    expect((await campaignView(w.admin, id)).status).toBe("cancelled");
    expect(await sandboxRecords(w)).toEqual([]);
  });

  it("a cancel between the catalog's move to sending and the object's start wins: the object refuses to begin", async () => {
    const w = await world(4);
    const id = await createCampaign(w, templateCampaign(w));
    // The launch has moved the catalog to sending but its object has not begun yet.
    await env.DB.prepare("UPDATE campaigns SET status = 'sending', launched_at = unixepoch() WHERE id = ?").bind(id).run();
    const cancelled = await post(`/api/campaigns/${id}/cancel`, w);
    expect(cancelled.status).toBe("cancelled");
    const row = (await createDb(env.DB).select().from(campaigns).where(eq(campaigns.id, id)).get())!;
    expect(row.status).toBe("cancelled");
    const begun = (await senderOf(id).begin(configOf(row))) as Progress & { begun: boolean };
    expect(begun).toMatchObject({ begun: false, status: "cancelled", total: 0 });
    await runDurableObjectAlarm(senderOf(id));
    expect(await sandboxRecords(w)).toEqual([]);
  });
});

describe("outcomes reported after the campaign ended", () => {
  it("retry, deferred and returned outcomes of a cancelled campaign end cancelled, never pending", async () => {
    const w = await world(3);
    const id = await createCampaign(w, templateCampaign(w));
    const held = await launchHeld(w, id, 3);
    const stub = senderOf(id);
    const ids = idsOf(held);
    const { grants } = (await stub.claim(ids)) as unknown as { grants: Grant[] };
    expect(grants).toHaveLength(3);
    await runInDurableObject(stub, (instance: CampaignSender) => {
      instance.settleTimeoutMs = 50;
    });
    // The wait for the three sends in flight ran out: 202, saying how many are still out.
    const cancel = await call(`/api/campaigns/${id}/cancel`, { method: "POST", auth: w.admin });
    expect(cancel.status).toBe(202);
    expect(await cancel.json()).toMatchObject({ status: "cancelled", in_flight: 3 });
    await stub.report([
      { id: ids[0]!, result: "retry", policy: "retry_recipient_later", title: "temporary error" },
      { id: ids[1]!, result: "deferred", until: Date.now() + 60_000, note: "waiting for the messaging limit" },
      { id: ids[2]!, result: "returned" },
    ]);
    expect((await rowsOf(id)).map((r) => r.state)).toEqual(["cancelled", "cancelled", "cancelled"]);
    const progress = await expectAllFinal(w, id, 3);
    expect(progress.states).toMatchObject({ cancelled: 3, pending: 0 });
  });
});

describe("failures before the request left", () => {
  it("a limiter that cannot be reached leaves the recipient pending for a retry, not unknown; it is sent later, once", async () => {
    const w = await world(2);
    const id = await createCampaign(w, templateCampaign(w));
    const held = await launchHeld(w, id, 2);
    const broken = {
      getByName: () => ({
        acquire: async () => {
          throw new Error("limiter unavailable");
        },
      }),
    };
    const result = await deliverWith({ INBOX_LIMITER: broken as unknown as Env["INBOX_LIMITER"] }, held);
    expect(result.retryMessages).toEqual([]);
    const rows = await rowsOf(id);
    expect(rows.map((r) => r.state)).toEqual(["pending", "pending"]);
    expect(await sandboxRecords(w)).toEqual([]);
    // With the limiter back the retries go out (the queue is real from here on).
    await runInDurableObject(senderOf(id), (instance: CampaignSender) => {
      (instance as unknown as { env: Env }).env = env;
    });
    const done = await drive(w.admin, id, (c) => c.status === "completed", 20_000);
    expect(done.status).toBe("completed");
    const counts = await expectAtMostOnce(w);
    expect([...counts.values()]).toEqual([1, 1]);
    expect((await expectAllFinal(w, id, 2)).states.unknown).toBe(0);
  }, 30_000);
});

describe("an inbox that cannot send", () => {
  it("pauses the campaign with a reason the operator can act on, instead of retrying in the queue", async () => {
    const w = await world(3);
    const id = await createCampaign(w, templateCampaign(w));
    const held = await launchHeld(w, id, 3);
    const result = await deliverWith({ SANDBOX_ENABLED: "false" }, held);
    expect(result.retryMessages).toEqual([]);
    const view = await campaignView(w.admin, id);
    expect(view.status).toBe("paused");
    expect(view.status_reason).toMatch(/cannot send: .*sandbox is turned off.*resume/);
    expect(view.progress.pending).toBe(3);
    expect(await sandboxRecords(w)).toEqual([]);
    await post(`/api/campaigns/${id}/cancel`, w);
    await expectAllFinal(w, id, 3);
  });
});

describe("a pause that cannot wait for every send", () => {
  it("answers 202 with the number still in flight", async () => {
    const w = await world(3);
    const id = await createCampaign(w, templateCampaign(w));
    const held = await launchHeld(w, id, 3);
    const stub = senderOf(id);
    await stub.claim(idsOf(held));
    await runInDurableObject(stub, (instance: CampaignSender) => {
      instance.settleTimeoutMs = 100;
    });
    const res = await call(`/api/campaigns/${id}/pause`, { method: "POST", auth: w.admin });
    expect(res.status).toBe(202);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({ status: "paused", in_flight: 3 });
    await stub.report(idsOf(held).map((rid) => ({ id: rid, result: "sent" as const, wamid: `wamid.${rid}` })));
    const settled = await call(`/api/campaigns/${id}/pause`, { method: "POST", auth: w.admin });
    // Already paused: nothing in flight any more, but pausing twice is refused by the lifecycle.
    expect(settled.status).toBe(409);
  });
});

describe("the cron safety net", () => {
  it("a campaign that throws does not hold the others", async () => {
    const w = await world(2);
    const broken = await createCampaign(w, templateCampaign(w, SLOW));
    await post(`/api/campaigns/${broken}/launch`, w);
    const w2 = await world(2, { admin: w.admin });
    const healthy = await createCampaign(w2, templateCampaign(w2, SLOW));
    await post(`/api/campaigns/${healthy}/launch`, w2);
    // The broken campaign's object cannot read its own status: every call to it throws. (Once its
    // first send is done and with its alarm removed, nothing of its own runs meanwhile.)
    await waitUntil("the first send", async () => (await campaignView(w.admin, broken)).progress.sent === 1);
    const status = await runInDurableObject(senderOf(broken), async (_: CampaignSender, state) => {
      await state.storage.deleteAlarm();
      const saved = state.storage.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'status'").one().value;
      state.storage.sql.exec("UPDATE meta SET value = '{' WHERE key = 'status'");
      return saved;
    });
    await runInDurableObject(senderOf(healthy), (_: CampaignSender, state) => state.storage.deleteAlarm());
    await worker.scheduled!(createScheduledController({ cron: "* * * * *" }), env);
    // Armed for now: it may fire at once (no alarm is set while it runs) and re-arm itself for its next wake.
    const alarm = await waitUntil("the healthy campaign's alarm", () =>
      runInDurableObject(senderOf(healthy), (_: CampaignSender, state) => state.storage.getAlarm()),
    );
    expect(alarm).not.toBeNull();
    await runInDurableObject(senderOf(broken), (_: CampaignSender, state) => {
      state.storage.sql.exec("UPDATE meta SET value = ? WHERE key = 'status'", status);
    });
    await post(`/api/campaigns/${broken}/cancel`, w);
    await post(`/api/campaigns/${healthy}/cancel`, w2);
  });
});

/** Accepted sends per campaign id, from callback data `herald:c:<campaign>:<recipient>`. */
function byCampaign(records: { status: number; at: number; biz_opaque_callback_data: string | null }[]) {
  const out = new Map<number, number[]>();
  for (const r of records) {
    const match = /^herald:c:(\d+):/.exec(r.biz_opaque_callback_data ?? "");
    if (!match || r.status !== 200) continue;
    const id = Number(match[1]);
    out.set(id, [...(out.get(id) ?? []), r.at]);
  }
  return out;
}

function busiestSecond(times: number[]): number {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; j < t.length; j++) {
    while (t[j]! - t[i]! >= 1000) i++;
    best = Math.max(best, j - i + 1);
  }
  return best;
}

describe("several campaigns on one inbox", () => {
  it("share the number's cap fairly (each within 20 % of a third) and the number never exceeds it", async () => {
    const CAP = 30;
    // 150 each: about 15 s at the cap, long enough that a share is not decided by a few bursts.
    const first = await world(150);
    const others = [await world(150, { admin: first.admin }), await world(150, { admin: first.admin })];
    await callJson(`/api/inboxes/${first.inbox.id}`, {
      method: "PATCH",
      json: { throughput_cap: CAP, messaging_limit_tier: "unlimited" },
      expect: 200,
      auth: first.admin,
    });
    await setScenario(first.admin, first.inbox.id, { throughput_cap: CAP });
    const ids: number[] = [];
    for (const w of [first, ...others])
      ids.push(await createCampaign(first, templateCampaign({ inbox: first.inbox, labelId: w.labelId }, { batch_size: 1000 })));
    for (const id of ids) await post(`/api/campaigns/${id}/launch`, first);
    await waitUntil(
      "three campaigns completed",
      async () => {
        for (const id of ids) if ((await campaignView(first.admin, id)).status !== "completed") return false;
        return true;
      },
      60_000,
    );
    const records = (await allSandboxRecords(first)).filter((r) => r.kind === "message");
    const sends = byCampaign(records);
    // While all three were sending: from the last first send to the first last send.
    const from = Math.max(...ids.map((id) => Math.min(...sends.get(id)!)));
    const to = Math.min(...ids.map((id) => Math.max(...sends.get(id)!)));
    const shares = ids.map((id) => sends.get(id)!.filter((t) => t >= from && t <= to).length);
    const t0 = Math.min(...records.map((r) => r.at));
    const bins = ids
      .map(
        (id) =>
          `${id}: ${sends
            .get(id)!
            .map((t) => Math.floor((t - t0) / 500))
            .reduce((m, b) => ((m[b] = (m[b] ?? 0) + 1), m), [] as number[])
            .join(",")}`,
      )
      .join(" | ");
    const all = shares.reduce((a, b) => a + b, 0);
    expect(all).toBeGreaterThan(60);
    for (const n of shares) {
      // In whole numbers (n / all within 0.8 to 1.2 of 1/3), so a share right at the bound is not lost to rounding.
      expect(n * 30, `shares ${shares.join(", ")}`).toBeGreaterThanOrEqual(all * 8);
      expect(n * 30, `shares ${shares.join(", ")}; sends per 500 ms ${bins}; from ${from - t0} to ${to - t0}`).toBeLessThanOrEqual(all * 12);
    }
    expect(busiestSecond(records.map((r) => r.at))).toBeLessThanOrEqual(Math.floor(CAP * 1.05));
    expect(records.filter((r) => r.error_code === 130429)).toEqual([]);
    for (const [i, w] of [first, ...others].entries()) {
      const counts = await acceptedPerRecipient(first);
      for (const phone of w.phones) expect(counts.get(digits(phone)), `campaign ${ids[i]} ${phone}`).toBe(1);
    }
  }, 120_000);
});

describe("a number WhatsApp throttles below its configured cap", () => {
  it("adapts its rate: fewer than 10 % of requests are refused with 130429, and everyone is sent once", async () => {
    const w = await world(200);
    // Configured for 80/s, but WhatsApp allows this number 20/s.
    await setScenario(w.admin, w.inbox.id, { throughput_cap: 20 });
    const id = await createCampaign(w, templateCampaign(w, { batch_size: 1000 }));
    await post(`/api/campaigns/${id}/launch`, w);
    await waitUntil("completed", async () => (await campaignView(w.admin, id)).status === "completed", 45_000);
    const records = await sandboxRecords(w);
    const refused = records.filter((r) => r.error_code === 130429).length;
    expect(refused / records.length, `${refused} of ${records.length} refused`).toBeLessThan(0.1);
    const counts = await expectAtMostOnce(w);
    expect(counts.size).toBe(200);
    await expectAllFinal(w, id, 200);
  }, 60_000);
});

describe("the campaign object reset mid-campaign", () => {
  it("between a claim and its report, and while releasing: nothing is sent twice or lost", async () => {
    const w = await world(60);
    const id = await createCampaign(w, templateCampaign(w, { batch_size: 1000 }));
    const held = await launchHeld(w, id, 10);
    const stub = senderOf(id);
    const first = held[0]!;
    const { grants } = (await stub.claim(first.ids)) as unknown as { grants: Grant[] };
    expect(grants.length).toBe(first.ids.length);
    // The object is reset (as when evicted or its isolate restarts) with these claims open.
    await runInDurableObject(stub, (_: CampaignSender, state) => state.abort("reset by the test")).catch(() => {});
    // The sender's report reaches the new instance: the claims were kept in storage.
    await senderOf(id).report(first.ids.map((rid) => ({ id: rid, result: "sent" as const, wamid: `wamid.reset.${rid}` })));
    // The other jobs released before the reset are delivered now; the object then keeps going on the real queue.
    await deliver(held.slice(1));
    await runInDurableObject(senderOf(id), (_: CampaignSender, state) => state.abort("reset again")).catch(() => {});
    const done = await drive(w.admin, id, (c) => c.status === "completed", 30_000);
    expect(done.status).toBe("completed");
    const counts = await acceptedPerRecipient(w);
    // The first job's sends were reported by hand (no request reached the sandbox); everyone else once.
    for (const phone of w.phones) expect(counts.get(digits(phone)) ?? 0).toBeLessThanOrEqual(1);
    expect(counts.size).toBe(60 - first.ids.length);
    const progress = await expectAllFinal(w, id, 60);
    expect(progress.states).toMatchObject({ sent: 60, unknown: 0 });
    // The counters equal a recount of the rows.
    const recount = await rowsOf(id);
    expect(recount.filter((r) => r.state === "sent")).toHaveLength(60);
  }, 45_000);
});

describe("a launch that cannot freeze its audience", () => {
  it("fails the campaign with the reason after repeated read failures and keeps no recipient; nothing is sent", async () => {
    const w = await world(1_500);
    const id = await createCampaign(w, templateCampaign(w));
    let reads = 0;
    await runInDurableObject(senderOf(id), (instance: CampaignSender) => {
      const real = instance.readAudience;
      instance.freezeRetryMs = 5;
      // The first page reads; every later read fails, as a database that went away would.
      instance.readAudience = async (config, cursor, limit) => {
        if (reads++ === 0) return real(config, cursor, limit);
        throw new Error("D1_ERROR: network connection lost");
      };
    });
    await post(`/api/campaigns/${id}/launch`, w);
    const failed = await drive(w.admin, id, (c) => c.status !== "sending", 10_000);
    expect(failed.status).toBe("failed");
    expect(failed.status_reason).toMatch(/could not launch: the audience could not be read: D1_ERROR/);
    expect(failed.progress.total).toBe(0);
    expect(((await senderOf(id).progress()) as Progress).total).toBe(0);
    expect(await rowsOf(id)).toEqual([]);
    expect(await sandboxRecords(w)).toEqual([]);
    expect(reads).toBeGreaterThanOrEqual(6);
  });

  it("a large audience is frozen in the background: the launch answers with status sending and preparing true, then sends everyone once", async () => {
    const w = await world(1_100);
    await callJson(`/api/inboxes/${w.inbox.id}`, { method: "PATCH", json: { messaging_limit_tier: "unlimited" }, expect: 200, auth: w.admin });
    const id = await createCampaign(w, templateCampaign(w, { batch_size: 1000 }));
    await runInDurableObject(senderOf(id), (instance: CampaignSender) => {
      const real = instance.readAudience;
      // A slow database: each page takes 400 ms, so the launch call's budget (300 ms) freezes only its first page.
      instance.readAudience = async (config, cursor, limit) => {
        await sleep(400);
        return real(config, cursor, limit);
      };
    });
    const launched = await post(`/api/campaigns/${id}/launch`, w);
    expect(launched.status).toBe("sending");
    expect(launched.preparing).toBe(true);
    expect(launched.status_note).toMatch(/^preparing the audience: [\d,]+ recipients so far$/);
    expect(launched.progress.total).toBeLessThan(1_100);
    expect(await sandboxRecords(w)).toEqual([]);
    let last: any = null;
    const done = await waitUntil(
      "completed",
      async () => {
        const c = await campaignView(w.admin, id);
        last = c;
        return c.status === "completed" && c;
        // About 15 s at the inbox's cap on an idle machine; the margin is for a loaded one.
      },
      150_000,
    ).catch(async (e) => {
      const meta = await runInDurableObject(senderOf(id), async (_: CampaignSender, state) => [
        state.storage.sql.exec("SELECT key, value FROM meta WHERE key IN ('pace', 'freeze')").toArray(),
        await state.storage.getAlarm(),
        state.storage.sql
          .exec(
            "SELECT state, due_at, reason, attempts, error_title, count(*) AS n FROM recipients WHERE state NOT IN ('sent') GROUP BY 1, 2, 3, 4, 5 LIMIT 10",
          )
          .toArray(),
      ]);
      const recs = await sandboxRecords(w);
      throw new Error(
        `${e} ${JSON.stringify(last?.progress)} ${last?.status_note} ${JSON.stringify(meta)} now ${Date.now()} records ${recs.length} last ${recs.at(-1)?.at} codes ${JSON.stringify(recs.filter((r) => r.status !== 200).slice(0, 3))}`,
      );
    });
    expect(done.preparing).toBe(false);
    const counts = await expectAtMostOnce(w);
    expect(counts.size).toBe(1_100);
    await expectAllFinal(w, id, 1_100);
  }, 180_000);
});

describe("the launch check in SQL", () => {
  it("counts missing values exactly as rendering does: blank, spaces and tabs are missing; fallbacks and other fields are not", async () => {
    const w = await world(6, { city: (i) => (i === 0 ? "" : "Recife") });
    // Contact 1: only spaces; contact 2: a tab and a new line; contact 3: a non-breaking space; contact 4: blank name (name has a fallback).
    const set = (i: number, sqlSet: string, ...values: unknown[]) =>
      env.DB.prepare(`UPDATE contacts SET ${sqlSet} WHERE phone = ?`)
        .bind(...values, w.phones[i])
        .run();
    await set(1, "attributes = json_object('city', '   ')");
    await set(2, "attributes = json_object('city', char(9, 10))");
    await set(3, "attributes = json_object('city', char(160))");
    await set(4, "name = '  '");
    const content = {
      type: "template",
      template_name: "welcome_offer",
      language: "pt_BR",
      values: {
        header: { "1": { source: "contact", field: "name", fallback: "cliente" } },
        body: { "1": { source: "contact", field: "attributes.city" }, "2": { source: "fixed", value: "BEMVINDO15" } },
      },
    };
    const id = await createCampaign(w, { ...templateCampaign(w), content });
    const preview = await callJson<any>(`/api/campaigns/${id}/preview`, { auth: w.admin });
    expect(preview.recipients).toBe(6);
    expect(preview.missing_values.affected).toBe(4);
    expect(preview.missing_values.examples.map((e: { phone: string }) => e.phone)).toEqual(w.phones.slice(0, 4));
    for (const e of preview.missing_values.examples) expect(e.missing).toEqual(["attributes.city"]);
  });
});

describe("a report repeated after its recipient was claimed again", () => {
  it("changes nothing: each outcome applies only to the claim it answers", async () => {
    const w = await world(1);
    const id = await createCampaign(w, templateCampaign(w));
    const held = await launchHeld(w, id, 1);
    const stub = senderOf(id);
    const [rid] = idsOf(held);
    const first = ((await stub.claim([rid!])) as unknown as { grants: Grant[] }).grants[0]!;
    // No send time was free: the recipient goes back, and is released and claimed again.
    await stub.report([{ id: rid!, claim: first.claim, result: "returned" }]);
    expect((await rowsOf(id))[0]!.state).toBe("pending");
    await runDurableObjectAlarm(stub);
    await waitUntil("released again", async () => (await rowsOf(id))[0]!.state === "released");
    const second = ((await stub.claim([rid!])) as unknown as { grants: Grant[] }).grants[0]!;
    expect(second.claim).toBeGreaterThan(first.claim);
    // The first report arrives a second time (a retried call): it must not put the recipient back again.
    await stub.report([{ id: rid!, claim: first.claim, result: "returned" }]);
    expect((await rowsOf(id))[0]!.state).toBe("sending");
    await stub.report([{ id: rid!, claim: second.claim, result: "sent", wamid: "wamid.second" }]);
    expect((await rowsOf(id))[0]!.state).toBe("sent");
    await expectAllFinal(w, id, 1);
  });
});

describe("an object launched before the current pacing record", () => {
  it("keeps sending: a pace stored in the earlier shape starts afresh", async () => {
    const w = await world(3);
    const id = await createCampaign(w, templateCampaign(w, SLOW));
    await post(`/api/campaigns/${id}/launch`, w);
    await runDurableObjectAlarm(senderOf(id));
    await waitUntil("the first send", async () => (await campaignView(w.admin, id)).progress.sent === 1);
    // The pace as objects kept it before: the next release due now.
    await runInDurableObject(senderOf(id), (_: CampaignSender, state) => {
      state.storage.sql.exec("UPDATE meta SET value = ? WHERE key = 'pace'", JSON.stringify({ nextAt: Date.now(), inBatch: 1, sequence: 1 }));
    });
    await runDurableObjectAlarm(senderOf(id));
    await waitUntil("the second send", async () => (await campaignView(w.admin, id)).progress.sent === 2);
    await post(`/api/campaigns/${id}/cancel`, w);
    await expectAllFinal(w, id, 3);
  }, 30_000);
});

describe("single and test messages", () => {
  it("go through the number's messaging limit like its campaigns: over the tier they are refused, and nothing is sent", async () => {
    const w = await world(1);
    // Another sender already reached the tier's 250 users outside their 24-hour window today.
    const limiter = env.INBOX_LIMITER.get(env.INBOX_LIMITER.idFromName(String(w.inbox.id)));
    for (let i = 0; i < 250; i++) expect((await limiter.admit(`+55119${String(70_000_000 + i)}`, 250, true)).ok).toBe(true);
    const template = { name: "welcome_offer", language: "pt_BR", header: { "1": "Ana" }, body: { "1": "Ana", "2": "BEMVINDO15" } };
    const single = await call(`/api/inboxes/${w.inbox.id}/messages`, { json: { to: "+5511987650001", template }, auth: w.admin });
    expect(single.status).toBe(409);
    expect(((await single.json()) as { error: { message: string } }).error.message).toMatch(/messaging limit is reached/);
    const id = await createCampaign(w, templateCampaign(w));
    const tested = await callJson<{ results: { ok: boolean; error?: string }[] }>(`/api/campaigns/${id}/test`, {
      json: { phones: [w.phones[0]] },
      expect: 200,
      auth: w.admin,
    });
    expect(tested.results[0]).toMatchObject({ ok: false, error: expect.stringMatching(/messaging limit is reached/) });
    expect(await sandboxRecords(w)).toEqual([]);
    // No row stuck in `sending` is left behind by the refused single message.
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM messages WHERE inbox_id = ?").bind(w.inbox.id).first<{ n: number }>();
    expect(rows?.n).toBe(0);
  });
});

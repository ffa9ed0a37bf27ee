/**
 * The no-duplicate rule (no recipient is ever sent twice) under injected faults: a queue
 * message delivered twice, an alarm that runs twice, a consumer that dies between claim and
 * report, a pause racing an in-flight batch, a resume right after a pause, a redelivered report.
 *
 * Every case reads the sandbox's request record and checks that no recipient got more than one
 * accepted send, and that every recipient ends in exactly one final state.
 *
 * Most cases "hold" the campaign's outbound queue (`holdOutbound`): the object's queue messages
 * are captured instead of sent, so the test decides when, how often and in which batches they
 * reach the real consumer (`worker.queue`).
 */
import { createScheduledController, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { CampaignSender, Grant, OutboundJob, Outcome, Progress } from "../../worker/campaigns/campaign-sender";
import worker from "../../worker/index";
import { call, callJson } from "../helpers";
import {
  acceptedPerRecipient,
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

async function launch(w: World, campaignId: number) {
  const launched = await callJson<any>(`/api/campaigns/${campaignId}/launch`, { json: {}, expect: 200, auth: w.admin });
  expect(launched.status).toBe("sending");
  return launched;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const idsOf = (jobs: OutboundJob[]) => jobs.flatMap((j) => j.ids);

/** Waits until the object (whose queue is held) has released `count` recipients, and returns a copy of the jobs. */
async function released(held: OutboundJob[], count: number): Promise<OutboundJob[]> {
  await waitFor(`${count} released recipients`, async () => idsOf(held).length >= count);
  return held.map((j) => ({ ...j, ids: [...j.ids] }));
}

/** Every recipient of the world got exactly one accepted send. */
async function expectEachSentOnce(w: World) {
  const counts = await expectAtMostOnce(w);
  expect([...counts.keys()].sort()).toEqual(w.phones.map(digits).sort());
  for (const phone of w.phones) expect(counts.get(digits(phone))).toBe(1);
}

/** Delivers the held jobs not delivered yet until the campaign completes (the object's own alarm keeps releasing). */
async function finishHeld(w: World, campaignId: number, held: OutboundJob[], from = 0, timeoutMs = 10_000) {
  let next = from;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const jobs = held.slice(next);
    next += jobs.length;
    if (jobs.length) await deliver(jobs);
    const progress = (await senderOf(campaignId).progress()) as Progress;
    if (progress.status !== "sending") return progress;
    if (Date.now() > deadline) throw new Error(`campaign ${campaignId} did not finish: ${JSON.stringify(progress)}`);
    await runDurableObjectAlarm(senderOf(campaignId));
    await sleep(20);
  }
}

describe("the same queue message delivered twice", () => {
  it("twice in one batch: one send per recipient", async () => {
    const w = await world(12);
    const id = await createCampaign(w, templateCampaign(w));
    const held = await holdOutbound(id);
    await launch(w, id);
    const jobs = await released(held, 12);
    expect(idsOf(jobs).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));

    const result = await deliver([...jobs, ...jobs]);
    expect(result.retryMessages).toEqual([]);
    expect(result.explicitAcks).toHaveLength(jobs.length * 2);

    await expectEachSentOnce(w);
    const progress = await expectAllFinal(w, id, 12);
    expect(progress.status).toBe("completed");
    expect(progress.states.sent).toBe(12);
  });

  it("in two batches, one after the other: the second sends nothing", async () => {
    const w = await world(10);
    const id = await createCampaign(w, templateCampaign(w));
    const held = await holdOutbound(id);
    await launch(w, id);
    const jobs = await released(held, 10);

    await deliver(jobs);
    const afterFirst = await sandboxRecords(w);
    expect(afterFirst.filter((r) => r.status === 200)).toHaveLength(10);
    await deliver(jobs);
    expect(await sandboxRecords(w)).toHaveLength(afterFirst.length);

    await expectEachSentOnce(w);
    expect((await expectAllFinal(w, id, 10)).status).toBe("completed");
  });

  it("in three batches at the same time (one in reverse order): one send per recipient", async () => {
    const w = await world(15, { scenario: { slow_response_rate: 1, slow_response_ms: 50 } });
    const id = await createCampaign(w, templateCampaign(w));
    const held = await holdOutbound(id);
    await launch(w, id);
    const jobs = await released(held, 15);

    const results = await Promise.all([deliver(jobs), deliver(jobs), deliver([...jobs].reverse())]);
    for (const r of results) expect(r.retryMessages).toEqual([]);

    await expectEachSentOnce(w);
    expect((await expectAllFinal(w, id, 15)).status).toBe("completed");
  });
});

describe("an alarm that runs twice", () => {
  it("ticks back to back and at the same time release each recipient into one job only", async () => {
    const w = await world(45);
    const id = await createCampaign(w, templateCampaign(w));
    const held = await holdOutbound(id);
    await launch(w, id);
    const stub = senderOf(id);

    // The object's own alarm fires too; these run alongside it.
    await Promise.all([stub.tick(), stub.tick(), runDurableObjectAlarm(stub), stub.tick()]);
    await stub.tick();
    await stub.tick();
    await runDurableObjectAlarm(stub);
    await runDurableObjectAlarm(stub);
    const deadline = Date.now() + 5_000;
    while (idsOf(held).length < 45 && Date.now() < deadline) {
      await Promise.all([stub.tick(), stub.tick(), runDurableObjectAlarm(stub)]);
      await sleep(50);
    }
    await Promise.all([stub.tick(), stub.tick()]);

    const ids = idsOf(held);
    expect(ids).toHaveLength(45);
    expect(new Set(ids).size).toBe(45);
    const rows = await rowsOf(id);
    expect(rows.every((r) => r.state === "released")).toBe(true);

    await deliver(held);
    expect((await finishHeld(w, id, held, held.length)).status).toBe("completed");
    await expectEachSentOnce(w);
    await expectAllFinal(w, id, 45);
  });

  it("double and concurrent alarms while the real queue sends: every recipient once", async () => {
    const w = await world(40);
    const id = await createCampaign(w, templateCampaign(w));
    await launch(w, id);
    const stub = senderOf(id);
    const deadline = Date.now() + 10_000;
    for (;;) {
      await Promise.all([stub.tick(), runDurableObjectAlarm(stub), stub.tick()]);
      await stub.tick();
      const c = await campaignView(w.admin, id);
      if (c.status !== "sending" || Date.now() > deadline) break;
      await sleep(30);
    }
    expect((await campaignView(w.admin, id)).status).toBe("completed");
    await expectEachSentOnce(w);
    await expectAllFinal(w, id, 40);
  });
});

describe("a consumer that dies between claim and report", () => {
  it("leaves the recipient sending, never granted again, then unknown after the claim timeout — never resent", async () => {
    const w = await world(6);
    const id = await createCampaign(w, templateCampaign(w));
    const held = await holdOutbound(id);
    await launch(w, id);
    const jobs = await released(held, 6);
    const stub = senderOf(id);
    const victim = jobs[0]!.ids[0]!;
    const victimPhone = (await rowsOf(id)).find((r) => r.id === victim)!.phone;

    // The consumer claims, then dies: no send, no report.
    const first = (await stub.claim([victim])) as unknown as { grants: Grant[] };
    expect(first.grants.map((g) => g.id)).toEqual([victim]);
    expect(((await stub.claim([victim])) as unknown as { grants: Grant[] }).grants).toEqual([]);

    // The queue redelivers the message (and more than once): the others are sent, the victim is not.
    await deliver(jobs);
    await deliver(jobs);
    let counts = await acceptedPerRecipient(w);
    expect(counts.get(digits(victimPhone))).toBeUndefined();
    expect([...counts.values()]).toEqual([1, 1, 1, 1, 1]);
    let victimRow = (await rowsOf(id)).find((r) => r.id === victim)!;
    expect(victimRow.state).toBe("sending");

    // Ticks before the timeout leave it alone and do not release it again.
    const heldBefore = held.length;
    await stub.tick();
    await runDurableObjectAlarm(stub);
    expect((await rowsOf(id)).find((r) => r.id === victim)!.state).toBe("sending");
    expect(idsOf(held.slice(heldBefore))).not.toContain(victim);
    let progress = (await stub.progress()) as Progress;
    expect(progress.status).toBe("sending");
    expect(progress.states.sending).toBe(1);

    // Five minutes later (the claim timeout) the next tick calls it unknown.
    await runInDurableObject(stub, (_: CampaignSender, state) => {
      state.storage.sql.exec("UPDATE recipients SET claimed_at = ? WHERE id = ?", Date.now() - 6 * 60_000, victim);
    });
    await stub.tick();
    victimRow = (await rowsOf(id)).find((r) => r.id === victim)!;
    expect(victimRow.state).toBe("unknown");
    progress = (await stub.progress()) as Progress;
    expect(progress.status).toBe("completed");
    expect(progress.states).toMatchObject({ sent: 5, unknown: 1 });

    // Nothing brings it back: more deliveries, ticks, or the dead consumer's late claim.
    await deliver(jobs);
    await stub.tick();
    expect(((await stub.claim([victim])) as unknown as { grants: Grant[] }).grants).toEqual([]);
    counts = await expectAtMostOnce(w);
    expect(counts.get(digits(victimPhone))).toBeUndefined();

    const view = await campaignView(w.admin, id);
    expect(view.status).toBe("completed");
    expect(view.progress).toMatchObject({ total: 6, sent: 5, unknown: 1, pending: 0 });
    const unknown = await callJson<{ data: { id: number; reason: string }[] }>(`/api/campaigns/${id}/recipients?state=unknown`, { auth: w.admin });
    expect(unknown.data.map((r) => r.id)).toEqual([victim]);
    expect(unknown.data[0]!.reason).toMatch(/no report/);
    await expectAllFinal(w, id, 6);
  });

  it("in a campaign cancelled meanwhile, the stuck recipient still ends unknown after the claim timeout", async () => {
    const w = await world(4);
    const id = await createCampaign(w, templateCampaign(w));
    const held = await holdOutbound(id);
    await launch(w, id);
    const jobs = await released(held, 4);
    const stub = senderOf(id);
    const victim = jobs[0]!.ids[0]!;
    expect(((await stub.claim([victim])) as unknown as { grants: Grant[] }).grants).toHaveLength(1);

    // Cancel waits (bounded) for the send in flight, which never reports; let it wait in the background.
    const cancelling = stub.cancel();
    try {
      await waitFor("the cancel", async () => ((await stub.progress()) as Progress).status === "cancelled");
      await deliver(jobs);
      expect(await acceptedPerRecipient(w)).toEqual(new Map());
      // Whatever alarm was armed fires; then the claim timeout passes and the cron trigger runs.
      await runDurableObjectAlarm(stub);
      await runInDurableObject(stub, (_: CampaignSender, state) => {
        state.storage.sql.exec("UPDATE recipients SET claimed_at = ? WHERE id = ?", Date.now() - 6 * 60_000, victim);
      });
      await worker.scheduled!(createScheduledController({ cron: "* * * * *" }), env);
      await runDurableObjectAlarm(stub);
      const progress = (await stub.progress()) as Progress;
      expect(progress.states).toMatchObject({ cancelled: 3, sending: 0, unknown: 1 });
      await expectAllFinal(w, id, 4);
    } finally {
      // Release the waiting cancel however the assertions went.
      await stub.report([{ id: victim, result: "unknown", title: "test cleanup" }]);
      await cancelling;
    }
  });
});

describe("a pause racing an in-flight batch", () => {
  it("nothing reaches WhatsApp after pause answers; later deliveries of the same jobs send nothing while paused", async () => {
    const w = await world(40, { scenario: { slow_response_rate: 1, slow_response_ms: 300 } });
    const id = await createCampaign(w, templateCampaign(w));
    const held = await holdOutbound(id);
    await launch(w, id);
    const jobs = await released(held, 40);
    const stub = senderOf(id);

    const consuming = deliver(jobs);
    await waitFor("a send in flight", async () => (await sandboxRecords(w)).length > 0);
    const pauseCalledAt = Date.now();
    const res = await call(`/api/campaigns/${id}/pause`, { method: "POST", auth: w.admin });
    const pausedAt = Date.now();
    // It waited for the sends in flight (each answered after 300 ms) before answering.
    expect(pausedAt - pauseCalledAt).toBeGreaterThanOrEqual(150);
    const body = (await res.json()) as any;
    expect(res.status).toBe(200);
    expect(body.status).toBe("paused");
    expect(body.progress.pending).toBeGreaterThan(0);
    await consuming;

    const records = await sandboxRecords(w);
    expect(records.filter((r) => r.at > pausedAt)).toEqual([]);
    expect(records.length).toBeGreaterThan(0);
    expect(records.length).toBeLessThan(40);
    const sentBeforePause = records.length;
    let progress = (await stub.progress()) as Progress;
    expect(progress.status).toBe("paused");
    expect(progress.states.sending).toBe(0);
    expect(progress.states.released).toBe(0);
    expect(progress.states.sent).toBe(sentBeforePause);

    // The same jobs again, and the alarm, while paused: nothing.
    const heldBefore = held.length;
    await deliver(jobs);
    await stub.tick();
    await runDurableObjectAlarm(stub);
    await sleep(300);
    expect(await sandboxRecords(w)).toHaveLength(sentBeforePause);
    expect(held.length).toBe(heldBefore);

    // Resume (answers at full speed now), with the old jobs delivered again alongside the new ones: each recipient once.
    await setScenario(w.admin, w.inbox.id, { slow_response_rate: 0 });
    await callJson(`/api/campaigns/${id}/resume`, { method: "POST", expect: 200, auth: w.admin });
    await deliver(jobs);
    progress = await finishHeld(w, id, held, heldBefore);
    expect(progress.status).toBe("completed");
    await expectEachSentOnce(w);
    await expectAllFinal(w, id, 40);
  });
});

describe("a resume right after a pause", () => {
  it("pause then resume at once, three times while sending: every recipient sent exactly once", async () => {
    const w = await world(30, { scenario: { slow_response_rate: 1, slow_response_ms: 100 } });
    const id = await createCampaign(w, templateCampaign(w));
    await launch(w, id);
    for (let i = 0; i < 3; i++) {
      await waitFor("a send", async () => (await sandboxRecords(w)).length > i * 3);
      const paused = await callJson<any>(`/api/campaigns/${id}/pause`, { method: "POST", expect: 200, auth: w.admin });
      if (paused.status === "completed") break;
      expect(paused.status).toBe("paused");
      const resumed = await callJson<any>(`/api/campaigns/${id}/resume`, { method: "POST", expect: 200, auth: w.admin });
      expect(["sending", "completed"]).toContain(resumed.status);
    }
    const done = await drive(w.admin, id, (c) => c.status === "completed");
    expect(done.status).toBe("completed");
    await expectEachSentOnce(w);
    await expectAllFinal(w, id, 30);
  });

  it("jobs released before the pause and delivered after the resume do not send twice", async () => {
    const w = await world(12);
    const id = await createCampaign(w, templateCampaign(w));
    const held = await holdOutbound(id);
    await launch(w, id);
    const before = await released(held, 12);
    await callJson(`/api/campaigns/${id}/pause`, { method: "POST", expect: 200, auth: w.admin });
    await callJson(`/api/campaigns/${id}/resume`, { method: "POST", expect: 200, auth: w.admin });
    // The resumed object releases the same recipients again in new jobs.
    const after = await waitFor("the re-release", async () => (idsOf(held).length >= 24 ? held.slice(before.length) : undefined));
    expect(idsOf(after).sort((a, b) => a - b)).toEqual(idsOf(before).sort((a, b) => a - b));

    await Promise.all([deliver(before), deliver(after)]);
    await deliver(before);
    expect((await finishHeld(w, id, held, held.length)).status).toBe("completed");
    await expectEachSentOnce(w);
    await expectAllFinal(w, id, 12);
  });
});

describe("a redelivered report", () => {
  it("changes nothing the second time; a report for a recipient not sending is ignored", async () => {
    const w = await world(5);
    const id = await createCampaign(w, templateCampaign(w));
    const held = await holdOutbound(id);
    await launch(w, id);
    const jobs = await released(held, 5);
    const stub = senderOf(id);
    const [a, b, c, d] = idsOf(jobs) as [number, number, number, number];

    const outcomesCount = () =>
      runInDurableObject(stub, (_: CampaignSender, state) => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM outcomes").one().n);
    const row = async (rid: number) =>
      runInDurableObject(stub, (_: CampaignSender, state) =>
        state.storage.sql
          .exec<{ state: string; wamid: string | null; attempts: number; due_at: number | null; error_code: number | null }>(
            "SELECT state, wamid, attempts, due_at, error_code FROM recipients WHERE id = ?",
            rid,
          )
          .one(),
      );

    // a: claimed and reported sent, then the same report again and a contradicting one.
    expect(((await stub.claim([a])) as unknown as { grants: Grant[] }).grants).toHaveLength(1);
    const sent: Outcome = { id: a, result: "sent", wamid: "wamid.first" };
    const once = (await stub.report([sent])) as Progress;
    const outcomesAfterOnce = await outcomesCount();
    const twice = (await stub.report([sent, sent])) as Progress;
    expect(twice).toEqual(once);
    await stub.report([{ id: a, result: "sent", wamid: "wamid.second" }]);
    await stub.report([{ id: a, result: "failed", policy: "fail_recipient", code: 131026, title: "late failure" }]);
    await stub.report([{ id: a, result: "unknown", title: "late unknown" }]);
    expect(await row(a)).toMatchObject({ state: "sent", wamid: "wamid.first", error_code: null });
    expect(await outcomesCount()).toBe(outcomesAfterOnce);

    // b: claimed, reported retry twice — the second changes neither attempts nor due time.
    expect(((await stub.claim([b])) as unknown as { grants: Grant[] }).grants).toHaveLength(1);
    const retry: Outcome = { id: b, result: "retry", policy: "retry_recipient_later", code: 131000, title: "Temporary error at Meta", delayMs: 60_000 };
    await stub.report([retry]);
    const afterRetry = await row(b);
    expect(afterRetry.state).toBe("pending");
    await stub.report([retry]);
    expect(await row(b)).toEqual(afterRetry);

    // c: released but never claimed; d: released; 999: no such recipient. Reports are ignored.
    await stub.report([
      { id: c, result: "sent", wamid: "wamid.never" },
      { id: d, result: "failed", policy: "fail_recipient", code: 131026, title: "x" },
      { id: 999, result: "sent", wamid: "wamid.ghost" },
    ]);
    expect(await row(c)).toMatchObject({ state: "released", wamid: null });
    expect(await row(d)).toMatchObject({ state: "released", error_code: null });
    expect(await outcomesCount()).toBe(outcomesAfterOnce);
    expect(((await stub.progress()) as Progress).total).toBe(5);

    // The rest goes out normally (b after its retry delay, brought forward here).
    await deliver(jobs);
    await runInDurableObject(stub, (_: CampaignSender, state) => {
      state.storage.sql.exec("UPDATE recipients SET due_at = ? WHERE id = ?", Date.now() - 1, b);
    });
    expect((await finishHeld(w, id, held, held.length)).status).toBe("completed");
    const counts = await expectAtMostOnce(w);
    // a was "sent" by the test's own report, so the sandbox never saw it.
    const phoneA = (await rowsOf(id)).find((r) => r.id === a)!.phone;
    expect(counts.get(digits(phoneA))).toBeUndefined();
    expect([...counts.values()]).toEqual([1, 1, 1, 1]);
    const progress = await expectAllFinal(w, id, 5);
    expect(progress.states.sent).toBe(5);
  });
});

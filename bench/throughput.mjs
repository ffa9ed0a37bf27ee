#!/usr/bin/env node
// Throughput benchmark, against a fresh local Herald under
// `wrangler dev` and its WhatsApp sandbox (cap 80 accepted sends per rolling second, pair rate
// limit off, webhooks off unless --webhooks):
//
// Phase 1 — a 5,000-recipient template campaign with min = max = 0, batch_size 1000. From the
//   sandbox's request record: achieved msgs/s (accepted / (last − first arrival)) and the median
//   of the per-second counts in the steady middle, the most arrivals in any sliding 1,000 ms
//   window (every request, accepted or not), 130429 refusals, duplicates and recipients never
//   sent. PASS: ≥ 90 % of the cap sustained, no window above cap + 5 %, 0 duplicates, everyone sent.
// Phase 2 (skip with --no-pause) — another 5,000-recipient campaign, paused ~10 s in: the sandbox
//   must record no request that arrived after the pause call returned (checked 5 s later); then
//   resume, and every recipient must be sent exactly once.
//
// Flags: --webhooks (sandbox sends status webhooks), --no-pause. Env: BENCH_RECIPIENTS (5000),
// BENCH_CAP (80), BENCH_DUMP=<file> (writes the whole sandbox record and the phase moments as
// JSON), BENCH_SOURCE_DIR (benchmark another copy of the project). Exits 1 on FAIL.
import { writeFileSync } from "node:fs";
import {
  campaignRecipients,
  client,
  importContacts,
  maxInWindow,
  perSecond,
  quantile,
  refusalSummary,
  runBench,
  sandboxInbox,
  sandboxRecords,
  sendCounts,
  sendsOf,
  sleep,
  templateCampaign,
  waitFor,
} from "./lib.mjs";

const args = new Set(process.argv.slice(2));
const WEBHOOKS = args.has("--webhooks");
const PAUSE_PHASE = !args.has("--no-pause");
const RECIPIENTS = Number(process.env.BENCH_RECIPIENTS ?? 5000);
const CAP = Number(process.env.BENCH_CAP ?? 80);
const PAUSE_AFTER_MS = 10_000;
const QUIET_MS = 5_000;
const SETTINGS = { min_delay_s: 0, max_delay_s: 0, batch_size: 1000, batch_pause_s: 0 };

const results = [];
/** Moments (epoch ms) worth seeing next to the record, for BENCH_DUMP. */
const marks = {};
const check = (name, ok, detail = "") => results.push({ name, ok, detail });
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : String(x));

/** The rate numbers of one stretch of sending (accepted arrivals of one campaign). */
function rates(acceptedTimes) {
  const t = [...acceptedTimes].sort((a, b) => a - b);
  const first = t[0];
  const last = t[t.length - 1];
  const spanS = (last - first) / 1000;
  const bins = perSecond(t, first, last);
  // Steady middle: whole seconds only (the last bin is partial), minus the first and last 10 %.
  const whole = bins.slice(0, -1);
  const trim = Math.max(1, Math.floor(whole.length * 0.1));
  const middle = whole.slice(trim, whole.length - trim);
  const median = quantile(
    [...middle].sort((a, b) => a - b),
    0.5,
  );
  return { count: t.length, first, last, spanS, overall: t.length / spanS, bins, median, middleMin: Math.min(...middle), middleMax: Math.max(...middle) };
}

function printRates(r, indent = "  ") {
  console.log(`${indent}accepted ${r.count} between first and last arrival ${r.spanS.toFixed(2)} s apart`);
  console.log(
    `${indent}achieved ${f1(r.overall)} msgs/s overall (accepted / span); steady middle: median ${f1(r.median)}/s (min ${r.middleMin}, max ${r.middleMax} per whole second)`,
  );
  console.log(`${indent}per-second counts from the first arrival: ${r.bins.join(" ")}`);
}

function windowNumbers(records, indent = "  ") {
  const all = maxInWindow(records.map((r) => r.at));
  const ok = maxInWindow(records.filter((r) => r.status === 200).map((r) => r.at));
  console.log(
    `${indent}max arrivals in a sliding 1,000 ms window: ${all.max} (all requests, at ${all.at ? new Date(all.at).toISOString() : "-"}), ${ok.max} (accepted only)`,
  );
  return all;
}

await runBench("throughput", results, async (server) => {
  const h = client(server.url);
  await h.setup();
  const inbox = await sandboxInbox(h, { throughputCap: CAP, scenario: { throughput_cap: CAP, pair_rate_limit_ms: 0, webhooks_enabled: WEBHOOKS } });
  const t0 = Date.now();
  const labels = await importContacts(h, PAUSE_PHASE ? ["Phase1", "Phase2"] : ["Phase1"], RECIPIENTS);
  console.log(
    `inbox ${inbox.id}: cap ${CAP}/s (inbox and sandbox), webhooks ${WEBHOOKS ? "on" : "off"}; imported ${RECIPIENTS} contacts per phase in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );

  // ---- phase 1 ---------------------------------------------------------------------------
  const a = await templateCampaign(h, { title: "Throughput bench", inboxId: inbox.id, labelId: labels.Phase1, settings: SETTINGS });
  console.log(`\nphase 1: campaign ${a.id}, ${RECIPIENTS} recipients, min = max = 0, batch_size 1000`);
  const launchA = Date.now();
  await h.api("POST", `/api/campaigns/${a.id}/launch`, { json: {}, expect: 200 });
  const launchedA = Date.now();
  Object.assign(marks, { launchA, launchedA });
  const doneA = await waitFor(h, a.id, { everyMs: 1000, timeoutMs: Math.max(120_000, (RECIPIENTS / CAP) * 3000) });
  const endA = Date.now();
  const recordsA = (await sandboxRecords(h, inbox.id, launchA)).filter((r) => r.kind === "message");
  const sendsA = sendsOf(recordsA, a.id);
  const countsA = sendCounts(sendsA, await campaignRecipients(h, a.id));
  const rA = rates(sendsA.filter((r) => r.status === 200).map((r) => r.at));
  console.log(
    `  launch call took ${((launchedA - launchA) / 1000).toFixed(2)} s; completed ${((endA - launchA) / 1000).toFixed(1)} s after it; progress ${JSON.stringify(doneA.progress)}`,
  );
  console.log(`  first accepted arrival ${rA.first - launchA} ms after the launch call was made`);
  printRates(rA);
  const wA = windowNumbers(recordsA);
  console.log(`  requests ${recordsA.length}, refused: ${refusalSummary(recordsA)}`);
  console.log(
    `  duplicates ${countsA.duplicates} (max sends per recipient ${countsA.maxPerRecipient}), never sent ${countsA.neverSent} of ${countsA.recipients}`,
  );
  const target = 0.9 * CAP;
  check(`phase 1: achieved ≥ 90 % of ${CAP}/s (${f1(target)}) overall`, rA.overall >= target, `${f1(rA.overall)}/s`);
  check(`phase 1: steady-middle median ≥ ${f1(target)}/s`, rA.median >= target, `${f1(rA.median)}/s`);
  check(`phase 1: no 1,000 ms window above ${Math.floor(CAP * 1.05)} arrivals`, wA.max <= Math.floor(CAP * 1.05), `max ${wA.max}`);
  check(`phase 1: 0 duplicates`, countsA.duplicates === 0, `${countsA.duplicates}`);
  check(
    `phase 1: every recipient sent`,
    countsA.neverSent === 0 && doneA.progress.sent === RECIPIENTS,
    `never sent ${countsA.neverSent}, progress.sent ${doneA.progress.sent}`,
  );
  console.log(`  130429 (throughput) refusals: ${recordsA.filter((r) => r.error_code === 130429).length}`);

  // ---- phase 2 ---------------------------------------------------------------------------
  if (PAUSE_PHASE) {
    const b = await templateCampaign(h, { title: "Pause bench", inboxId: inbox.id, labelId: labels.Phase2, settings: SETTINGS });
    console.log(`\nphase 2: campaign ${b.id}, ${RECIPIENTS} recipients, pause ${PAUSE_AFTER_MS / 1000} s after launch`);
    const launchB = Date.now();
    await h.api("POST", `/api/campaigns/${b.id}/launch`, { json: {}, expect: 200 });
    await sleep(Math.max(0, launchB + PAUSE_AFTER_MS - Date.now()));
    const pauseCalled = Date.now();
    const paused = await h.api("POST", `/api/campaigns/${b.id}/pause`, { expect: 200 });
    const pausedAt = Date.now();
    Object.assign(marks, { launchB, pauseCalled, pausedAt });
    console.log(`  pause call took ${pausedAt - pauseCalled} ms; answered ${paused.status}, progress ${JSON.stringify(paused.progress)}`);
    await sleep(QUIET_MS);
    const duringPause = await h.api("GET", `/api/campaigns/${b.id}`);
    const beforeResume = (await sandboxRecords(h, inbox.id, launchB)).filter((r) => r.kind === "message");
    const after = beforeResume.filter((r) => r.at > pausedAt);
    const inCall = beforeResume.filter((r) => r.at >= pauseCalled && r.at <= pausedAt);
    const lastBefore = Math.max(...beforeResume.filter((r) => r.at <= pausedAt).map((r) => r.at));
    console.log(
      `  sandbox: ${beforeResume.length} requests up to now; ${inCall.length} arrived while the pause call was running; last arrival ${lastBefore - pausedAt} ms relative to the pause answer`,
    );
    console.log(
      `  requests that arrived after the pause call returned (within ${QUIET_MS / 1000} s): ${after.length}${after.length ? ` — at +${after.map((r) => r.at - pausedAt).join(", +")} ms` : ""}`,
    );
    console.log(`  ${QUIET_MS / 1000} s later: status ${duringPause.status}, progress ${JSON.stringify(duringPause.progress)}`);
    check(`phase 2: no request arrived after the pause call returned`, after.length === 0, `${after.length}`);
    check(
      `phase 2: the campaign stayed paused and nothing was in flight`,
      duringPause.status === "paused" && duringPause.progress.pending === paused.progress.pending,
      `${duringPause.status}, pending ${paused.progress.pending} → ${duringPause.progress.pending}`,
    );

    const resumeCalled = Date.now();
    await h.api("POST", `/api/campaigns/${b.id}/resume`, { expect: 200 });
    Object.assign(marks, { resumeCalled, resumed: Date.now() });
    const doneB = await waitFor(h, b.id, { everyMs: 1000, timeoutMs: Math.max(120_000, (RECIPIENTS / CAP) * 3000) });
    const endB = Date.now();
    const recordsB = (await sandboxRecords(h, inbox.id, launchB)).filter((r) => r.kind === "message");
    const sendsB = sendsOf(recordsB, b.id);
    const countsB = sendCounts(sendsB, await campaignRecipients(h, b.id));
    const resumed = sendsB.filter((r) => r.status === 200 && r.at > pausedAt).map((r) => r.at);
    console.log(`  resumed; completed ${((endB - resumeCalled) / 1000).toFixed(1)} s after the resume call; progress ${JSON.stringify(doneB.progress)}`);
    console.log(`  first accepted arrival after resume: ${Math.min(...resumed) - resumeCalled} ms after the resume call`);
    console.log(`  before the pause:`);
    printRates(rates(sendsB.filter((r) => r.status === 200 && r.at <= pausedAt).map((r) => r.at)), "    ");
    console.log(`  after the resume:`);
    const rB = rates(resumed);
    printRates(rB, "    ");
    const wB = windowNumbers(recordsB);
    console.log(`  requests ${recordsB.length}, refused: ${refusalSummary(recordsB)}`);
    console.log(
      `  duplicates ${countsB.duplicates} (max sends per recipient ${countsB.maxPerRecipient}), never sent ${countsB.neverSent} of ${countsB.recipients}`,
    );
    check(
      `phase 2: every recipient sent exactly once`,
      countsB.duplicates === 0 && countsB.neverSent === 0 && countsB.accepted === RECIPIENTS,
      `accepted ${countsB.accepted}, duplicates ${countsB.duplicates}, never sent ${countsB.neverSent}`,
    );
    check(`phase 2: no 1,000 ms window above ${Math.floor(CAP * 1.05)} arrivals`, wB.max <= Math.floor(CAP * 1.05), `max ${wB.max}`);
  }

  const stats = await h.api("GET", `/api/sandbox/inboxes/${inbox.id}/stats`);
  if (process.env.BENCH_DUMP) {
    writeFileSync(process.env.BENCH_DUMP, JSON.stringify({ marks, records: await sandboxRecords(h, inbox.id) }));
    console.log(`\nrecord written to ${process.env.BENCH_DUMP}`);
  }
  console.log(
    `\nsandbox stats: requests ${stats.requests}, accepted ${stats.accepted}, refused ${JSON.stringify(stats.rejected_by_code)}, duplicates ${stats.duplicates}, sends_per_recipient_max ${stats.sends_per_recipient_max}`,
  );
  if (WEBHOOKS)
    console.log(
      `sandbox webhooks: delivered ${stats.delivered_webhooks} events, pending ${stats.pending_webhooks}, dead ${stats.dead_webhooks}, failed attempts ${stats.failed_webhook_attempts}`,
    );
  check(`sandbox: 0 duplicates over the whole run`, stats.duplicates === 0, `${stats.duplicates}`);
});

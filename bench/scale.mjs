#!/usr/bin/env node
// Scale benchmark: one large template campaign (100,000 recipients by default) against a fresh
// local Herald (the deployable bundle in workerd) and its WhatsApp sandbox (cap 80 accepted sends
// per rolling second on the inbox and in the sandbox, pair rate limit off, webhooks off).
//
// The contacts are imported first (several CSV uploads; the import time is printed but is not a
// target). The campaign runs at full speed (min = max = 0, batch_size 1000, batch_pause_s 0). The
// launch may answer before the audience is frozen (the campaign is "sending" already and the
// freeze finishes in the background), so 200 and 202 are both accepted. From the sandbox's
// request record it measures:
//   - how long the launch call took, and the time from the launch call to the first accepted send;
//   - the rate in each tenth of the campaign: the accepted sends in arrival order split into 10
//     equal-count tenths, each tenth's count over the time from the previous tenth's last arrival
//     (the first arrival for tenth 1) to its own last arrival, so gaps between tenths count;
//   - the overall rate (accepted / (last − first arrival)), the busiest sliding 1,000 ms window
//     (all requests and accepted only), refusals by code, duplicates and recipients never sent.
// PASS: every tenth ≥ 93 % of the cap, launch answered in < 1,000 ms, first accepted send
// < 10,000 ms after the launch call, 0 duplicates, every recipient sent, busiest accepted 1,000 ms
// window ≤ cap × 1.05.
//
// The last line before the checks is `SCALE_SUMMARY {...}`: the figures as JSON (rates in
// msgs/s; duration_s is from the launch call to the last accepted send).
//
// Env: BENCH_RECIPIENTS (100000), BENCH_CAP (80), BENCH_DUMP=<file> (writes the whole sandbox
// record and the run's moments as JSON), BENCH_SOURCE_DIR (benchmark another copy of the
// project), BENCH_SERVER (bundle | dev). Exits 1 on FAIL.
import { writeFileSync } from "node:fs";
import {
  campaignRecipients,
  client,
  importContacts,
  maxInWindow,
  refusalSummary,
  runBench,
  sandboxInbox,
  sandboxRecords,
  sendCounts,
  sendsOf,
  templateCampaign,
  waitFor,
} from "./lib.mjs";

const RECIPIENTS = Number(process.env.BENCH_RECIPIENTS ?? 100_000);
const CAP = Number(process.env.BENCH_CAP ?? 80);
const SETTINGS = { min_delay_s: 0, max_delay_s: 0, batch_size: 1000, batch_pause_s: 0 };
const TENTH_TARGET = 0.93;
const LAUNCH_TARGET_MS = 1000;
const FIRST_SEND_TARGET_MS = 10_000;
const WINDOW_TARGET = CAP * 1.05;

const results = [];
/** Moments (epoch ms) worth seeing next to the record, for BENCH_DUMP. */
const marks = {};
const check = (name, ok, detail = "") => results.push({ name, ok, detail });
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : String(x));
const pct = (rate) => `${f1((rate / CAP) * 100)} %`;
/** Rounded to one decimal for the JSON summary (null when not a finite number). */
const r1 = (x) => (Number.isFinite(x) ? Math.round(x * 10) / 10 : null);

/**
 * The 10 equal-count tenths of the sorted arrival times `t`: tenth k holds arrivals
 * [⌊k·n/10⌋, ⌊(k+1)·n/10⌋) and its span runs from the previous tenth's last arrival (the first
 * arrival for tenth 1) to its own last arrival.
 */
function tenths(t) {
  const out = [];
  let prev = t[0];
  for (let k = 0; k < 10; k++) {
    const from = Math.floor((k * t.length) / 10);
    const to = Math.floor(((k + 1) * t.length) / 10);
    const count = to - from;
    if (count === 0) {
      out.push({ count, spanS: 0, rate: NaN });
      continue;
    }
    const last = t[to - 1];
    const spanS = (last - prev) / 1000;
    out.push({ count, start: prev, last, spanS, rate: count / spanS });
    prev = last;
  }
  return out;
}

await runBench("scale", results, async (server) => {
  const h = client(server.url);
  await h.setup();
  const inbox = await sandboxInbox(h, { throughputCap: CAP, scenario: { throughput_cap: CAP, pair_rate_limit_ms: 0, webhooks_enabled: false } });
  const importStart = Date.now();
  const labels = await importContacts(h, ["Scale"], RECIPIENTS);
  const importS = (Date.now() - importStart) / 1000;
  console.log(`inbox ${inbox.id}: cap ${CAP}/s (inbox and sandbox), webhooks off`);
  console.log(`imported ${RECIPIENTS} contacts in ${importS.toFixed(1)} s (${f1(RECIPIENTS / importS)} contacts/s; not a target)`);

  const campaign = await templateCampaign(h, { title: "Scale bench", inboxId: inbox.id, labelId: labels.Scale, settings: SETTINGS });
  console.log(`\ncampaign ${campaign.id}: ${RECIPIENTS} recipients, min = max = 0, batch_size 1000, batch_pause_s 0`);
  const launchAt = Date.now();
  const launchT0 = performance.now();
  const launched = await h.api("POST", `/api/campaigns/${campaign.id}/launch`, { json: {}, expect: [200, 202] });
  const launchMs = performance.now() - launchT0;
  marks.launchAt = launchAt;
  marks.launchedAt = Date.now();
  console.log(`  launch answered in ${launchMs.toFixed(0)} ms: ${launched.status}, progress ${JSON.stringify(launched.progress)}`);

  const timeoutMs = ((RECIPIENTS / (CAP * 0.9)) * 2 + 120) * 1000;
  const done = await waitFor(h, campaign.id, { everyMs: 2000, printEveryMs: 30_000, since: launchAt, timeoutMs });
  marks.completedSeenAt = Date.now();
  console.log(
    `  completed (seen ${((marks.completedSeenAt - launchAt) / 1000).toFixed(1)} s after the launch call); progress ${JSON.stringify(done.progress)}`,
  );

  const records = (await sandboxRecords(h, inbox.id, launchAt)).filter((r) => r.kind === "message");
  const sends = sendsOf(records, campaign.id);
  const recipients = await campaignRecipients(h, campaign.id);
  const counts = sendCounts(sends, recipients);
  const accepted = sends
    .filter((r) => r.status === 200)
    .map((r) => r.at)
    .sort((a, b) => a - b);
  if (!accepted.length) throw new Error("the sandbox recorded no accepted send of the campaign");
  const first = accepted[0];
  const last = accepted[accepted.length - 1];
  const firstSendMs = first - launchAt;
  const spanS = (last - first) / 1000;
  const overall = accepted.length / spanS;
  const durationS = (last - launchAt) / 1000;
  const parts = tenths(accepted);
  const windowAll = maxInWindow(records.map((r) => r.at));
  const windowAccepted = maxInWindow(accepted);

  console.log(`\n  launch answer: ${launchMs.toFixed(0)} ms`);
  console.log(`  first accepted send: ${firstSendMs} ms after the launch call`);
  console.log(`  last accepted send: ${durationS.toFixed(1)} s after the launch call`);
  console.log(`  rate per tenth (${CAP}/s cap):`);
  parts.forEach((p, k) => {
    console.log(
      `    tenth ${String(k + 1).padStart(2)}: ${String(p.count).padStart(6)} sends in ${p.spanS.toFixed(2).padStart(7)} s  ${f1(p.rate).padStart(6)} msgs/s  ${pct(p.rate).padStart(7)} of the cap`,
    );
  });
  console.log(
    `  overall: ${accepted.length} accepted in ${spanS.toFixed(2)} s between first and last arrival: ${f1(overall)} msgs/s (${pct(overall)} of the cap)`,
  );
  console.log(
    `  busiest sliding 1,000 ms window: ${windowAll.max} requests (all), ${windowAccepted.max} accepted (at ${windowAccepted.at ? new Date(windowAccepted.at).toISOString() : "-"})`,
  );
  console.log(`  requests ${records.length}, refused: ${refusalSummary(records)}`);
  console.log(
    `  duplicates ${counts.duplicates} (max sends per recipient ${counts.maxPerRecipient}), never sent ${counts.neverSent} of ${counts.recipients} recipients, sends to non-recipients ${counts.strangers}`,
  );

  if (process.env.BENCH_DUMP) {
    writeFileSync(process.env.BENCH_DUMP, JSON.stringify({ marks, records: await sandboxRecords(h, inbox.id) }));
    console.log(`\nrecord written to ${process.env.BENCH_DUMP}`);
  }

  const slowest = Math.min(...parts.map((p) => (Number.isNaN(p.rate) ? -Infinity : p.rate)));
  check(
    `every tenth ≥ ${TENTH_TARGET * 100} % of the cap (${f1(CAP * TENTH_TARGET)}/s)`,
    parts.every((p) => p.rate >= CAP * TENTH_TARGET),
    `slowest ${f1(slowest)}/s (${pct(slowest)}); ${parts.map((p) => f1(p.rate)).join(", ")}`,
  );
  check(`launch answered in < ${LAUNCH_TARGET_MS} ms`, launchMs < LAUNCH_TARGET_MS, `${launchMs.toFixed(0)} ms`);
  check(`first accepted send < ${FIRST_SEND_TARGET_MS} ms after the launch call`, firstSendMs < FIRST_SEND_TARGET_MS, `${firstSendMs} ms`);
  check(`0 duplicates`, counts.duplicates === 0, `${counts.duplicates}`);
  check(
    `every recipient sent (the campaign holds all ${RECIPIENTS} contacts)`,
    counts.neverSent === 0 && counts.recipients === RECIPIENTS,
    `never sent ${counts.neverSent}, recipients ${counts.recipients}`,
  );
  check(`busiest accepted 1,000 ms window ≤ ${f1(WINDOW_TARGET)}`, windowAccepted.max <= WINDOW_TARGET, `${windowAccepted.max}`);

  const summary = {
    recipients: RECIPIENTS,
    cap: CAP,
    import_s: r1(importS),
    launch_ms: Math.round(launchMs),
    first_send_ms: firstSendMs,
    tenths: parts.map((p) => r1(p.rate)),
    overall: r1(overall),
    busiest_window: windowAccepted.max,
    busiest_window_all: windowAll.max,
    duplicates: counts.duplicates,
    never_sent: counts.neverSent,
    duration_s: r1(durationS),
  };
  console.log(`\nSCALE_SUMMARY ${JSON.stringify(summary)}`);
  return summary;
});

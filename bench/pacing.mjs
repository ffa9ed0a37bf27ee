#!/usr/bin/env node
// Pacing benchmark: a fresh local Herald (wrangler dev + local D1) sends a 50-recipient template
// campaign with min_delay_s 1 / max_delay_s 3 to a sandbox number, and the gaps between
// consecutive accepted request arrivals at the sandbox (its recorded `at`) are checked against
// the configured pace:
//   every gap ≥ min − 0.25 s and ≤ max + 0.5 s; mean within 10 % of (min + max) / 2; no duplicates.
// Exits 1 on FAIL. BENCH_RECIPIENTS, BENCH_MIN_S, BENCH_MAX_S override the defaults.
import {
  campaignRecipients,
  client,
  emitResult,
  histogram,
  importContacts,
  mean,
  quantile,
  refusalSummary,
  sandboxInbox,
  sandboxRecords,
  sendCounts,
  sendsOf,
  startBenchServer,
  templateCampaign,
  verdict,
  waitFor,
} from "./lib.mjs";

const RECIPIENTS = Number(process.env.BENCH_RECIPIENTS ?? 50);
const MIN_S = Number(process.env.BENCH_MIN_S ?? 1);
const MAX_S = Number(process.env.BENCH_MAX_S ?? 3);
const CONFIGURED_MEAN = (MIN_S + MAX_S) / 2;

const server = await startBenchServer();
let failed = false;
let figures = {};
try {
  const h = client(server.url);
  await h.setup();
  const inbox = await sandboxInbox(h, { scenario: { pair_rate_limit_ms: 0, webhooks_enabled: false } });
  const labels = await importContacts(h, ["Pacing"], RECIPIENTS);
  const campaign = await templateCampaign(h, {
    title: "Pacing bench",
    inboxId: inbox.id,
    labelId: labels.Pacing,
    settings: { min_delay_s: MIN_S, max_delay_s: MAX_S, batch_size: 50, batch_pause_s: 0 },
  });
  const expectedS = RECIPIENTS * CONFIGURED_MEAN;
  console.log(`campaign ${campaign.id}: ${RECIPIENTS} recipients, gaps uniform in [${MIN_S}, ${MAX_S}] s — about ${expectedS.toFixed(0)} s`);
  const launchedAt = Date.now();
  await h.api("POST", `/api/campaigns/${campaign.id}/launch`, { json: {}, expect: 200 });
  const done = await waitFor(h, campaign.id, { timeoutMs: (expectedS * 2 + 60) * 1000 });
  console.log(`completed in ${((Date.now() - launchedAt) / 1000).toFixed(1)} s: ${JSON.stringify(done.progress)}`);

  const records = await sandboxRecords(h, inbox.id);
  const sends = sendsOf(records, campaign.id);
  const accepted = sends.filter((r) => r.status === 200).sort((a, b) => a.at - b.at || a.seq - b.seq);
  const refused = sends.filter((r) => r.status !== 200);
  const gaps = accepted.slice(1).map((r, i) => (r.at - accepted[i].at) / 1000);
  const sorted = [...gaps].sort((a, b) => a - b);
  const counts = sendCounts(sends, await campaignRecipients(h, campaign.id));
  const stats = await h.api("GET", `/api/sandbox/inboxes/${inbox.id}/stats`);

  const lo = MIN_S - 0.25;
  const hi = MAX_S + 0.5;
  const below = gaps.filter((g) => g < lo);
  const above = gaps.filter((g) => g > hi);
  const m = mean(gaps);
  const meanError = (m - CONFIGURED_MEAN) / CONFIGURED_MEAN;
  // What a perfectly uniform draw would give for this many gaps: the mean's standard deviation.
  const sigma = (MAX_S - MIN_S) / Math.sqrt(12) / Math.sqrt(gaps.length);

  console.log(
    `\nsandbox record: ${sends.length} requests for this campaign, ${accepted.length} accepted, ${refused.length} refused (${refusalSummary(refused)})`,
  );
  console.log(`gaps between consecutive accepted arrivals (s):`);
  console.log(`  count ${gaps.length}`);
  console.log(`  min   ${sorted[0].toFixed(3)}   max ${sorted[sorted.length - 1].toFixed(3)}`);
  console.log(
    `  mean  ${m.toFixed(3)}   (configured ${CONFIGURED_MEAN.toFixed(3)}, ${(meanError * 100).toFixed(1)} %; σ of the mean of ${gaps.length} uniform draws ≈ ${sigma.toFixed(3)})`,
  );
  console.log(`  p50   ${quantile(sorted, 0.5).toFixed(3)}   p90 ${quantile(sorted, 0.9).toFixed(3)}`);
  const edges = [];
  for (let e = Math.max(0, MIN_S - 0.25); e <= MAX_S + 0.5 + 1e-9; e += (MAX_S - MIN_S + 0.75) / 11) edges.push(Math.round(e * 1000) / 1000);
  console.log(histogram(gaps, edges));

  const r3 = (x) => Math.round(x * 1000) / 1000;
  figures = { recipients: RECIPIENTS, min_gap_s: r3(sorted[0]), max_gap_s: r3(sorted[sorted.length - 1]), mean_gap_s: r3(m), duplicates: counts.duplicates };
  const checks = [
    [
      `every gap ≥ min − 0.25 s (${lo.toFixed(2)} s)`,
      below.length === 0,
      below.length ? `${below.length} below: ${below.map((g) => g.toFixed(3)).join(", ")}` : "",
    ],
    [
      `every gap ≤ max + 0.5 s (${hi.toFixed(2)} s)`,
      above.length === 0,
      above.length ? `${above.length} above: ${above.map((g) => g.toFixed(3)).join(", ")}` : "",
    ],
    [`mean within 10 % of ${CONFIGURED_MEAN.toFixed(1)} s`, Math.abs(meanError) <= 0.1, `${m.toFixed(3)} s`],
    [
      `every recipient sent once`,
      counts.duplicates === 0 && counts.neverSent === 0 && accepted.length === RECIPIENTS,
      `accepted ${accepted.length}, duplicates ${counts.duplicates}, never sent ${counts.neverSent}`,
    ],
    [`sandbox duplicates 0`, stats.duplicates === 0, `duplicates ${stats.duplicates}, sends_per_recipient_max ${stats.sends_per_recipient_max}`],
  ];
  console.log(`\nchecks:`);
  for (const [name, ok, detail] of checks) console.log(`  ${verdict(ok)}  ${name}${detail ? `  — ${detail}` : ""}`);
  failed = checks.some(([, ok]) => !ok);
  console.log(`\npacing: ${verdict(!failed)}`);
  emitResult("pacing", { ok: !failed, checks: checks.map(([name, ok, detail]) => ({ name, ok, detail })), figures });
} catch (error) {
  failed = true;
  console.error(server.log().split("\n").slice(-40).join("\n"));
  console.error(error);
  emitResult("pacing", { ok: false, figures: { ...figures, crashed: true } });
} finally {
  await server.stop();
}
process.exit(failed ? 1 : 0);

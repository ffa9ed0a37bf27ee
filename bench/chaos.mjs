#!/usr/bin/env node
// Chaos soak: BENCH_CAMPAIGNS template campaigns (4) sharing BENCH_RECIPIENTS recipients (20,000)
// run at full speed from one sandbox inbox of a fresh local Herald (the deployable bundle in
// workerd) under a seeded schedule of faults, then every recipient is accounted for.
//
// Faults inside the Worker (its fault plan, CHAOS_FAULTS, read only in local development; see
// worker/lib/faults.ts): outbound jobs put on the queue twice (duplicate deliveries), alarms that
// tick twice in a row or twice at once, the campaign object reset after an alarm (evicted), the
// consumer crashing after its claim (before sending) or after sending (before its report). Each
// hits a share of its events, chosen by a hash of the seed and the event. Claims without a report
// become `unknown` after 20 s instead of 5 minutes, so the soak settles what the crashes leave.
//
// Faults from outside, through the sandbox's scenario and the API, in a seeded order, one every
// 0.5–2.5 s while the campaigns send (the bursts and the cancel storm at seeded points instead):
//   - all along: 1 % of sends refused with a 5xx answer (131000, 131016, 133004, 2: HTTP 500/503),
//     and the sandbox's status webhooks, replies and opt-outs;
//   - 130429 bursts, one per 5,000 recipients at seeded points of the progress: the sandbox's
//     throughput cap drops to 2–5/s for 1–3 s, below what any machine sends (the inbox's limiter
//     then slows down and grows back);
//   - timeout bursts, as many at other seeded points: every send accepted for 0.1–0.4 s is
//     answered after 16 s, past the client's 15 s timeout (sent, answer lost: `unknown` until a
//     status webhook says otherwise);
//   - 5xx bursts: 30 % of sends refused with a 5xx answer for 1–3 s;
//   - pause/resume storms: 3–8 pause and resume calls on one campaign, some of them at once;
//   - webhook duplicates and reordering: a third of the envelopes delivered since the last replay,
//     shuffled and posted again, correctly signed (old statuses arrive after newer ones);
//   - once, when 30–60 % of the recipients are done: a cancel storm on one campaign still sending
//     (three cancels, a pause and a resume at once).
// Campaigns that Herald pauses itself (e.g. too many failures) are resumed, and counted.
//
// When every campaign has ended and the counters have settled, it reads the sandbox's record of
// requests and every recipient, and prints: recipients sent twice (more than one accepted send in
// the sandbox's record; must be 0), lost (never sent and not in a final state; must be 0), the
// `unknown` recipients by cause (whether the sandbox accepted a send to them), whether every
// counter of every campaign equals a recount of its recipients' states, and how many sent
// recipients' states differ from what the sandbox's webhooks reported. Exits 1 when anything
// fails; prints the seed first (BENCH_SEED=<seed> replays the schedule) and a BENCH_RESULT line.
//
// Env: BENCH_RECIPIENTS (20000), BENCH_CAMPAIGNS (4), BENCH_CAP (80), BENCH_SEED, BENCH_SOURCE_DIR,
// BENCH_SERVER, BENCH_SERVER_LOG (a file for the server's output). `--test` (`npm run test:chaos`,
// part of `npm test`) is the small run: 1,000 recipients and seed 1 unless the variables say otherwise.
import { createHmac, randomBytes } from "node:crypto";
import {
  campaignRecipients,
  client,
  importContacts,
  recountStates,
  refusalSummary,
  reportedState,
  runBench,
  sandboxInbox,
  sandboxRecords,
  sandboxReported,
  seededRandom,
  shuffleWith,
  sleep,
  templateCampaign,
  waitUntilSettled,
} from "./lib.mjs";

/** `--test`: the small run of `npm test` (1,000 recipients, seed 1) unless the variables say otherwise. */
const TEST = process.argv.includes("--test");
const RECIPIENTS = Number(process.env.BENCH_RECIPIENTS ?? (TEST ? 1000 : 20_000));
const CAMPAIGNS = Number(process.env.BENCH_CAMPAIGNS ?? 4);
const CAP = Number(process.env.BENCH_CAP ?? 80);
const SEED = Number(process.env.BENCH_SEED ?? (TEST ? 1 : Date.now() % 1e9));
if (!Number.isInteger(SEED)) throw new Error(`BENCH_SEED must be an integer, not ${process.env.BENCH_SEED}`);
if (!(CAMPAIGNS >= 1 && RECIPIENTS >= CAMPAIGNS && RECIPIENTS % CAMPAIGNS === 0))
  throw new Error(`BENCH_RECIPIENTS (${RECIPIENTS}) must be a multiple of BENCH_CAMPAIGNS (${CAMPAIGNS})`);

const CLAIM_TIMEOUT_MS = 20_000;
/** The longest the campaigns may go without a recipient done before the run fails as stalled. */
const STALL_MS = 300_000;
/** The Worker's fault plan (worker/lib/faults.ts): shares of the events each fault hits. */
const FAULT_PLAN = {
  seed: SEED,
  duplicate_job: 0.05,
  repeat_alarm: 0.05,
  concurrent_alarm: 0.05,
  evict: 0.01,
  crash_after_claim: 0.005,
  crash_before_report: 0.005,
  claim_timeout_ms: CLAIM_TIMEOUT_MS,
};
const SERVER_ERRORS = [131000, 131016, 133004, 2];
const ERROR_RATE = 0.01;
const SCENARIO = {
  throughput_cap: CAP,
  pair_rate_limit_ms: 0,
  webhooks_enabled: true,
  random_failure_rate: ERROR_RATE,
  random_failure_codes: SERVER_ERRORS,
  slow_response_rate: 0,
  slow_response_ms: 16_000,
  // Reads and replies sooner than the sandbox's default, so the webhooks settle soon after the sends.
  read_delay_ms: [500, 3_000],
  reply_delay_ms: [1_000, 5_000],
};
const SETTINGS = { min_delay_s: 0, max_delay_s: 0, batch_size: 1000, batch_pause_s: 0 };
const FINAL = new Set(["completed", "cancelled", "failed"]);
const NOT_FINAL_STATES = new Set(["pending", "released", "sending"]);
const OPERATOR_PAUSE = "paused by an operator";
const APP_SECRET = `chaos-${randomBytes(12).toString("hex")}`;

const rnd = seededRandom(SEED);
const randInt = (lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1));
const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
const sign = (body) => `sha256=${createHmac("sha256", APP_SECRET).update(body).digest("hex")}`;

const results = [];
const check = (name, ok, detail = "") => results.push({ name, ok, detail });
/** What the driver did, by fault. */
const injected = {
  throttle_bursts: 0,
  timeout_bursts: 0,
  error_bursts: 0,
  pause_storms: 0,
  storm_calls: 0,
  cancel_storms: 0,
  webhook_replays: 0,
  envelopes_replayed: 0,
  herald_pauses_resumed: 0,
};

/** Calls a campaign action, accepting "not now" (409) as an answer: storms race the lifecycle. */
const action = (h, id, verb) => h.api("POST", `/api/campaigns/${id}/${verb}`, { json: {}, expect: [200, 202, 409] });

/** The sandbox's throughput cap drops for a moment: WhatsApp answers 130429. */
async function throttleBurst(h, inboxId) {
  injected.throttle_bursts++;
  await h.api("PUT", `/api/sandbox/inboxes/${inboxId}/scenario`, { json: { throughput_cap: randInt(2, 5) } });
  await sleep(randInt(1000, 3000));
  await h.api("PUT", `/api/sandbox/inboxes/${inboxId}/scenario`, { json: { throughput_cap: CAP } });
}

/**
 * Every send accepted for a moment is answered after 16 s, past the client's 15 s timeout: sent,
 * answer lost. (Miniflare hands the outbound consumer one batch at a time, so such a send stalls
 * the sends behind it; on Cloudflare batches run side by side. Hence short bursts, not a steady share.)
 */
async function timeoutBurst(h, inboxId) {
  injected.timeout_bursts++;
  await h.api("PUT", `/api/sandbox/inboxes/${inboxId}/scenario`, { json: { slow_response_rate: 1 } });
  await sleep(randInt(100, 400));
  await h.api("PUT", `/api/sandbox/inboxes/${inboxId}/scenario`, { json: { slow_response_rate: 0 } });
}

/** Many sends answered 5xx for a moment. */
async function errorBurst(h, inboxId) {
  injected.error_bursts++;
  await h.api("PUT", `/api/sandbox/inboxes/${inboxId}/scenario`, { json: { random_failure_rate: 0.3 } });
  await sleep(randInt(1000, 3000));
  await h.api("PUT", `/api/sandbox/inboxes/${inboxId}/scenario`, { json: { random_failure_rate: ERROR_RATE } });
}

/** Pause and resume calls on one campaign, some at once, ending with a resume. */
async function pauseStorm(h, id) {
  injected.pause_storms++;
  const calls = randInt(3, 8);
  for (let i = 0; i < calls; i++) {
    const together = rnd() < 0.3;
    const verb = i % 2 === 0 ? "pause" : "resume";
    injected.storm_calls += together ? 2 : 1;
    if (together) await Promise.all([action(h, id, verb), action(h, id, verb === "pause" ? "resume" : "pause")]);
    else await action(h, id, verb);
  }
  injected.storm_calls++;
  await action(h, id, "resume");
}

/** Three cancels, a pause and a resume at once, in a seeded order. */
async function cancelStorm(h, id) {
  injected.cancel_storms++;
  const verbs = shuffleWith(rnd, ["cancel", "cancel", "cancel", "pause", "resume"]);
  injected.storm_calls += verbs.length;
  await Promise.all(verbs.map((verb) => action(h, id, verb)));
}

/**
 * Posts again, correctly signed and shuffled, a share of the envelopes the sandbox delivered since
 * the last replay: duplicates, and statuses older than the ones already applied.
 */
function webhookReplayer(h, base, inboxId) {
  let afterId = 0;
  return async () => {
    injected.webhook_replays++;
    const page = (await h.api("GET", `/api/sandbox/inboxes/${inboxId}/webhooks?limit=1000&after_id=${afterId}`)).data;
    // Up to the first envelope still pending (not delivered yet, or awaiting a retry); dead ones are skipped.
    const waiting = page.find((e) => e.state === "pending");
    const settled = waiting ? page.filter((e) => e.id < waiting.id) : page;
    if (settled.length) afterId = settled[settled.length - 1].id;
    const delivered = settled.filter((e) => e.state === "delivered");
    const chosen = shuffleWith(
      rnd,
      delivered.filter(() => rnd() < 1 / 3),
    );
    for (const envelope of chosen) {
      const res = await fetch(`${base}/webhooks/whatsapp/${inboxId}`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-hub-signature-256": sign(envelope.body) },
        body: envelope.body,
      });
      if (res.status !== 200) throw new Error(`a replayed webhook was answered ${res.status}: ${await res.text()}`);
      injected.envelopes_replayed++;
    }
  };
}

/** Campaigns by id: status, reason and progress. */
async function campaignsNow(h, ids) {
  return Promise.all(ids.map((id) => h.api("GET", `/api/campaigns/${id}`)));
}

/**
 * Faults until every campaign has ended; campaigns Herald paused itself are resumed. Fails when
 * no recipient got done for STALL_MS (however slow the machine, something must move).
 */
async function drive(h, base, inboxId, ids) {
  const replay = webhookReplayer(h, base, inboxId);
  const cancelAtShare = 0.3 + rnd() * 0.3;
  // A 130429 burst slows the inbox's limiter down for up to a minute (it grows back by 1 % of the
  // cap per second) and a timeout burst stalls the sends for 15 s, so the bursts come at seeded
  // points of the progress, one of each per 5,000 recipients.
  const points = () => Array.from({ length: Math.max(1, Math.round(RECIPIENTS / 5000)) }, () => 0.05 + rnd() * 0.85).sort((a, b) => a - b);
  const bursts = [
    ...points().map((at) => ({ at, kind: "130429", run: () => throttleBurst(h, inboxId) })),
    ...points().map((at) => ({ at, kind: "timeout", run: () => timeoutBurst(h, inboxId) })),
  ].sort((a, b) => a.at - b.at);
  const kinds = [
    ["errors", 2, () => errorBurst(h, inboxId)],
    ["pause", 2, (open) => pauseStorm(h, pick(open))],
    ["replay", 3, () => replay()],
  ];
  const weight = kinds.reduce((sum, [, w]) => sum + w, 0);
  const started = Date.now();
  let lastPrint = 0;
  let progressed = { at: Date.now(), finished: -1 };
  for (;;) {
    const campaigns = await campaignsNow(h, ids);
    const open = campaigns.filter((c) => !FINAL.has(c.status)).map((c) => c.id);
    if (open.length === 0) return campaigns;
    for (const c of campaigns) {
      if (c.status === "paused") {
        if (c.status_reason !== OPERATOR_PAUSE) {
          injected.herald_pauses_resumed++;
          console.log(`  campaign ${c.id} paused by Herald (${c.status_reason}); resuming`);
        }
        await action(h, c.id, "resume");
      }
    }
    const finished = campaigns.reduce((sum, c) => sum + c.progress.total - c.progress.pending, 0);
    if (finished !== progressed.finished) progressed = { at: Date.now(), finished };
    if (Date.now() - progressed.at > STALL_MS) {
      throw new Error(`no recipient done for ${STALL_MS / 1000} s: ${campaigns.map((c) => `${c.id} ${c.status} ${JSON.stringify(c.progress)}`).join("; ")}`);
    }
    if (bursts.length && finished >= RECIPIENTS * bursts[0].at) {
      const burst = bursts.shift();
      console.log(`  ${burst.kind} burst (${finished} of ${RECIPIENTS} recipients done)`);
      await burst.run();
      continue;
    }
    if (injected.cancel_storms === 0 && finished >= RECIPIENTS * cancelAtShare) {
      const target = pick(open);
      console.log(`  cancel storm on campaign ${target} (${finished} of ${RECIPIENTS} recipients done)`);
      await cancelStorm(h, target);
      continue;
    }
    if (Date.now() - lastPrint > 10_000) {
      lastPrint = Date.now();
      console.log(
        `  ${((Date.now() - started) / 1000).toFixed(0)} s: ${finished} of ${RECIPIENTS} done; ${campaigns.map((c) => `${c.id} ${c.status}`).join(", ")}`,
      );
    }
    await sleep(randInt(500, 2500));
    let roll = rnd() * weight;
    const [kind, , run] = kinds.find(([, w]) => (roll -= w) < 0) ?? kinds[kinds.length - 1];
    const t0 = Date.now();
    await run(open);
    if (Date.now() - t0 > 5_000) console.log(`  ${kind} took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
}

/** Waits until no recipient of any campaign is pending, released or sending (claims left by crashes expire). */
async function waitNothingPending(h, ids, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const campaigns = await campaignsNow(h, ids);
    if (campaigns.every((c) => c.progress.pending === 0)) return;
    if (Date.now() > deadline) throw new Error(`recipients still pending: ${campaigns.map((c) => `${c.id}: ${c.progress.pending}`).join(", ")}`);
    await sleep(1000);
  }
}

/** Counts `injected fault: <name>` lines in the server's output (the Worker logs each fault it injects). */
function workerFaults(log) {
  const out = Object.fromEntries(
    Object.keys(FAULT_PLAN)
      .filter((k) => k !== "seed" && k !== "claim_timeout_ms")
      .map((k) => [k, 0]),
  );
  for (const m of log.matchAll(/injected fault: (\w+)/g)) out[m[1]] = (out[m[1]] ?? 0) + 1;
  return out;
}

await runBench(
  "chaos",
  results,
  async (server) => {
    console.log(`seed ${SEED} (BENCH_SEED=${SEED} replays this schedule)`);
    console.log(`${RECIPIENTS} recipients in ${CAMPAIGNS} campaigns, cap ${CAP}/s; worker fault plan ${JSON.stringify(FAULT_PLAN)}`);
    const h = client(server.url);
    await h.setup();
    const inbox = await sandboxInbox(h, { throughputCap: CAP, scenario: SCENARIO, appSecret: APP_SECRET });
    const names = Array.from({ length: CAMPAIGNS }, (_, k) => `Chaos ${k + 1}`);
    const labels = await importContacts(h, names, RECIPIENTS / CAMPAIGNS);
    const ids = [];
    for (const name of names) ids.push((await templateCampaign(h, { title: name, inboxId: inbox.id, labelId: labels[name], settings: SETTINGS })).id);

    const startedAt = Date.now();
    await Promise.all(ids.map((id) => h.api("POST", `/api/campaigns/${id}/launch`, { json: {}, expect: [200, 202] })));
    console.log(`launched campaigns ${ids.join(", ")}`);
    const ended = await drive(h, server.url, inbox.id, ids);
    const sendingS = (Date.now() - startedAt) / 1000;
    console.log(`all campaigns ended after ${sendingS.toFixed(0)} s: ${ended.map((c) => `${c.id} ${c.status}`).join(", ")}`);
    await waitNothingPending(h, ids, CLAIM_TIMEOUT_MS * 3 + 60_000);
    const progress = await waitUntilSettled(h, inbox.id, ids);

    // ---- accounting -------------------------------------------------------------------------
    const records = (await sandboxRecords(h, inbox.id)).filter((r) => r.kind === "message");
    const accepted = new Map();
    for (const r of records) if (r.status === 200) accepted.set(r.wa_id, (accepted.get(r.wa_id) ?? 0) + 1);
    const sentTwice = [...accepted.values()].filter((n) => n > 1).length;
    const stats = await h.api("GET", `/api/sandbox/inboxes/${inbox.id}/stats`);
    const truth = await sandboxReported(h, inbox.id);

    const perCampaign = [];
    const all = [];
    for (const id of ids) {
      const recipients = await campaignRecipients(h, id);
      all.push(...recipients);
      const recount = recountStates(recipients);
      const differing = Object.keys(recount).filter((k) => progress[id][k] !== recount[k]);
      perCampaign.push({ id, status: ended.find((c) => c.id === id).status, recount, differing });
    }
    const digits = (phone) => phone.replace(/\D/g, "");
    const wasAccepted = (r) => accepted.has(digits(r.phone));
    const notFinal = all.filter((r) => NOT_FINAL_STATES.has(r.state));
    const lost = notFinal.filter((r) => !wasAccepted(r));
    const unknown = all.filter((r) => r.state === "unknown");
    const causes = {};
    for (const r of unknown) {
      const cause = `${r.reason ?? r.error_title ?? "no reason"}; ${wasAccepted(r) ? "the sandbox accepted a send" : "never reached the sandbox"}`;
      causes[cause] = (causes[cause] ?? 0) + 1;
    }
    const sentStates = all.filter((r) => r.wamid && r.state !== "unknown");
    const stateMismatches = sentStates.filter((r) => reportedState(truth, r) !== r.state);
    const acceptedNotSent = all.filter((r) => wasAccepted(r) && !r.wamid && r.state !== "unknown");
    const phones = new Set(all.map((r) => digits(r.phone)));
    const strangers = [...accepted.keys()].filter((p) => !phones.has(p)).length;
    const worker = workerFaults(server.log());

    console.log(`\nfaults injected by the Worker: ${JSON.stringify(worker)}`);
    console.log(`faults injected from outside: ${JSON.stringify(injected)}`);
    console.log(`sandbox requests ${records.length}, accepted ${[...accepted.values()].reduce((a, b) => a + b, 0)}, refused: ${refusalSummary(records)}`);
    for (const c of perCampaign)
      console.log(`campaign ${c.id} (${c.status}): ${JSON.stringify(c.recount)}${c.differing.length ? `; counters differ: ${c.differing.join(", ")}` : ""}`);
    console.log(
      `\nrecipients sent twice: ${sentTwice} (sandbox stats: duplicates ${stats.duplicates}, max sends per recipient ${stats.sends_per_recipient_max})`,
    );
    console.log(`lost (never sent, not in a final state): ${lost.length} (not final at all: ${notFinal.length})`);
    console.log(`unknown: ${unknown.length}`);
    for (const [cause, n] of Object.entries(causes)) console.log(`  ${n} × ${cause}`);
    console.log(`counters equal the recount: ${perCampaign.every((c) => c.differing.length === 0) ? "yes" : "NO"}`);
    console.log(`sent recipients whose state differs from the sandbox's webhooks: ${stateMismatches.length}`);
    for (const r of stateMismatches.slice(0, 5)) console.log(`  ${r.phone}: ${r.state}, sandbox says ${reportedState(truth, r)}`);
    console.log(`accepted by the sandbox but shown as never sent: ${acceptedNotSent.length}`);

    check("no recipient sent twice (sandbox record)", sentTwice === 0 && stats.duplicates === 0, `${sentTwice}`);
    check("nothing lost", lost.length === 0 && notFinal.length === 0, `lost ${lost.length}, not final ${notFinal.length}`);
    check(
      "every counter equals the recount of recipient states",
      perCampaign.every((c) => c.differing.length === 0),
      perCampaign
        .filter((c) => c.differing.length)
        .map((c) => `${c.id}: ${c.differing.join(", ")}`)
        .join("; "),
    );
    check("every recipient of the audience is in its campaign", all.length === RECIPIENTS && strangers === 0, `${all.length}, strangers ${strangers}`);
    check("sent recipients' states equal the sandbox's webhooks", stateMismatches.length === 0, `${stateMismatches.length} differ`);
    check("every send the sandbox accepted is shown as sent (or unknown)", acceptedNotSent.length === 0, `${acceptedNotSent.length}`);

    return {
      seed: SEED,
      recipients: RECIPIENTS,
      campaigns: CAMPAIGNS,
      sending_s: Math.round(sendingS),
      sent_twice: sentTwice,
      lost: lost.length,
      unknown: unknown.length,
      unknown_causes: causes,
      counters_match: perCampaign.every((c) => c.differing.length === 0),
      state_mismatches: stateMismatches.length,
      statuses: Object.fromEntries(perCampaign.map((c) => [c.id, c.status])),
      refused: refusalSummary(records),
      worker_faults: worker,
      outside_faults: { ...injected },
    };
  },
  { vars: { CHAOS_FAULTS: JSON.stringify(FAULT_PLAN) } },
);

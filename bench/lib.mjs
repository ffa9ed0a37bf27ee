// Shared pieces of the campaign benchmarks (bench/pacing.mjs, bench/throughput.mjs,
// bench/scale.mjs and others): a small API client for a local Herald, the world they need (admin,
// sandbox inbox, templates, labelled contacts, a template campaign) and the statistics they print.

import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startBundleServer, startLocalServer } from "../scripts/local-server.mjs";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const defaultRoot = path.resolve(import.meta.dirname, "..");

/**
 * A throw-away local Herald for a benchmark. By default (BENCH_SERVER=bundle) the deployable
 * bundle runs in workerd through Miniflare, without `wrangler dev`'s development proxy, so the
 * numbers are the Worker's own; the bundle is built at start, so later edits of the working tree
 * cannot disturb the run. BENCH_SERVER=dev runs `wrangler dev` instead (what `npm run dev` runs)
 * from a snapshot of the worker taken now: it reloads on every change of the files it serves,
 * and a reload drops Miniflare's in-memory queues and the inbox limiter's state mid-benchmark.
 */
export async function startBenchServer(options = {}) {
  // BENCH_SOURCE_DIR benchmarks another copy of the project (e.g. a candidate engine change).
  const root = path.resolve(process.env.BENCH_SOURCE_DIR ?? defaultRoot);
  if (process.env.BENCH_SOURCE_DIR) console.log(`benchmarking the worker in ${root}`);
  const mode = process.env.BENCH_SERVER ?? "bundle";
  if (mode !== "bundle" && mode !== "dev") throw new Error(`BENCH_SERVER must be "bundle" or "dev", not ${JSON.stringify(mode)}`);
  console.log(mode === "bundle" ? "server: the deployable bundle in workerd (Miniflare), no development proxy" : "server: wrangler dev");
  if (mode === "bundle") return startBundleServer({ ...options, cwd: root });
  const dir = mkdtempSync(path.join(tmpdir(), "herald-bench-src-"));
  for (const name of ["worker", "migrations", "wrangler.toml", "package.json", "tsconfig.json"]) {
    if (existsSync(path.join(root, name))) cpSync(path.join(root, name), path.join(dir, name), { recursive: true });
  }
  if (existsSync(path.join(root, "web/dist"))) cpSync(path.join(root, "web/dist"), path.join(dir, "web/dist"), { recursive: true });
  else mkdirSync(path.join(dir, "web/dist"), { recursive: true });
  symlinkSync(path.join(defaultRoot, "node_modules"), path.join(dir, "node_modules"), "dir");
  let server;
  try {
    server = await startLocalServer({ ...options, cwd: dir });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    ...server,
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A JSON client for one local Herald, logged in as its first admin after `setup()`. */
export function client(base) {
  let cookie = "";
  async function api(method, path, { json, body, headers = {}, expect } = {}) {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        origin: base,
        ...(cookie ? { cookie } : {}),
        ...(json !== undefined ? { "content-type": "application/json" } : {}),
        ...headers,
      },
      body: json !== undefined ? JSON.stringify(json) : body,
    });
    const text = await res.text();
    const data = text ? JSON.parse(text) : null;
    const ok = expect === undefined ? res.ok : [expect].flat().includes(res.status);
    if (!ok) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 500)}`);
    return data;
  }
  return {
    api,
    async setup() {
      const res = await fetch(`${base}/api/auth/setup`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: base },
        body: JSON.stringify({ workspace_name: "Bench", name: "Bench", email: "bench@example.test", password: "bench password" }),
      });
      if (res.status !== 201) throw new Error(`setup failed: ${res.status} ${await res.text()}`);
      cookie = res.headers.getSetCookie()[0].split(";")[0];
    },
  };
}

/**
 * A sandbox inbox with the demo templates synced and the given scenario (`appSecret`: an app secret
 * of the caller's, so it can sign webhooks like Meta).
 * @returns {Promise<{id: number}>}
 */
export async function sandboxInbox(h, { throughputCap = 80, scenario = {}, appSecret } = {}) {
  const n = `${Date.now() % 1e9}`;
  const inbox = await h.api("POST", "/api/inboxes", {
    json: {
      name: "Bench sandbox",
      provider: "sandbox",
      phone_number_id: `6${n}`,
      waba_id: `5${n}`,
      throughput_cap: throughputCap,
      messaging_limit_tier: "unlimited",
      ...(appSecret ? { app_secret: appSecret } : {}),
    },
    expect: 201,
  });
  // No simulated "not on WhatsApp" numbers: every recipient must be sendable.
  await h.api("PUT", `/api/sandbox/inboxes/${inbox.id}/scenario`, { json: { undeliverable_suffix: "", ...scenario } });
  await h.api("POST", `/api/inboxes/${inbox.id}/templates/sync`, { expect: 200 });
  return inbox;
}

/** Rows per CSV upload in `importContacts`: well inside the import's 100,000-row and 50 MB limits. */
export const IMPORT_CHUNK_ROWS = 20_000;

/**
 * Imports `count` contacts per label (distinct phones for every label) and answers the label ids.
 * The rows go up as several CSV files of at most IMPORT_CHUNK_ROWS rows each, one after another.
 * @returns {Promise<Record<string, number>>}
 */
export async function importContacts(h, labels, count) {
  // Phones are +55 11 9 followed by 8 digits: 10,000,000 + label × 1,000,000 + row.
  if (count > 1_000_000 || labels.length > 90)
    throw new Error(`importContacts: at most 1,000,000 contacts per label and 90 labels (asked ${count} × ${labels.length})`);
  const rows = [];
  labels.forEach((label, l) => {
    for (let i = 0; i < count; i++) rows.push(`Person ${l}-${i},+55 11 9${String(10_000_000 + l * 1_000_000 + i).padStart(8, "0")},${label},Recife`);
  });
  let created = 0;
  for (let from = 0; from < rows.length; from += IMPORT_CHUNK_ROWS) {
    const body = ["name,phone,labels,city", ...rows.slice(from, from + IMPORT_CHUNK_ROWS)].join("\n");
    const result = await h.api("POST", "/api/contacts/import", { body, headers: { "content-type": "text/csv" }, expect: 200 });
    if (result.skipped)
      throw new Error(
        `import of rows ${from + 1}–${Math.min(from + IMPORT_CHUNK_ROWS, rows.length)} skipped ${result.skipped}: ${JSON.stringify(result).slice(0, 500)}`,
      );
    created += result.created;
  }
  if (created !== rows.length) throw new Error(`import created ${created} of ${rows.length}`);
  const all = (await h.api("GET", "/api/labels")).data;
  return Object.fromEntries(labels.map((name) => [name, all.find((x) => x.name === name).id]));
}

/** A draft template campaign (demo template `welcome_offer`, pt_BR) to one label. */
export async function templateCampaign(h, { title, inboxId, labelId, settings }) {
  return h.api("POST", "/api/campaigns", {
    json: {
      title,
      inbox_id: inboxId,
      audience: { labels: [labelId] },
      content: {
        type: "template",
        template_name: "welcome_offer",
        language: "pt_BR",
        values: {
          header: { 1: { source: "contact", field: "name", fallback: "cliente" } },
          body: { 1: { source: "contact", field: "name" }, 2: { source: "fixed", value: "BEMVINDO15" } },
        },
      },
      settings,
    },
    expect: 201,
  });
}

/**
 * Polls the campaign until `done(campaign)` or a final status; prints progress every
 * `printEveryMs`, with the seconds since `since` (epoch ms; default: when polling started).
 */
export async function waitFor(
  h,
  id,
  { done = (c) => c.status === "completed", timeoutMs = 240_000, everyMs = 500, printEveryMs = 10_000, since = Date.now(), label = "" } = {},
) {
  const deadline = Date.now() + timeoutMs;
  let lastPrint = 0;
  for (;;) {
    const c = await h.api("GET", `/api/campaigns/${id}`);
    if (done(c)) return c;
    if (["completed", "failed", "cancelled"].includes(c.status) || (c.status === "paused" && c.status_reason !== "paused by an operator")) {
      throw new Error(`campaign ${id} ended ${c.status} (${c.status_reason ?? "no reason"}) while waiting: ${JSON.stringify(c.progress)}`);
    }
    if (Date.now() > deadline) throw new Error(`campaign ${id} not done after ${timeoutMs / 1000} s: ${c.status} ${JSON.stringify(c.progress)}`);
    if (Date.now() - lastPrint > printEveryMs) {
      lastPrint = Date.now();
      const p = c.progress ?? {};
      console.log(
        `  ${label}campaign ${id}: ${c.status}, sent ${p.sent}/${p.total}, pending ${p.pending}, failed ${p.failed}, unknown ${p.unknown} (${((Date.now() - since) / 1000).toFixed(0)} s)`,
      );
    }
    await sleep(everyMs);
  }
}

/**
 * Waits until the sandbox has no webhook left to deliver and the campaigns' counters have not
 * moved for `quietS` polls a second apart; answers their last progress by id.
 */
export async function waitUntilSettled(h, inboxId, campaignIds, { quietS = 6, timeoutMs = 600_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  let progress = {};
  for (let stable = 0; stable < quietS; ) {
    if (Date.now() > deadline) throw new Error(`the campaigns did not settle within ${timeoutMs / 1000} s: ${last}`);
    await sleep(1000);
    const stats = await h.api("GET", `/api/sandbox/inboxes/${inboxId}/stats`);
    progress = {};
    for (const id of campaignIds) progress[id] = (await h.api("GET", `/api/campaigns/${id}`)).progress;
    const now = JSON.stringify(progress);
    stable = stats.pending_webhooks === 0 && now === last ? stable + 1 : 0;
    last = now;
  }
  return progress;
}

/** Every request the sandbox number recorded (arrival order), in pages of 10,000 (the most the record answers). */
export async function sandboxRecords(h, inboxId, sinceMs = 0) {
  const out = [];
  let cursor = null;
  do {
    const q = new URLSearchParams({ limit: "10000", since_ms: String(sinceMs), ...(cursor ? { cursor } : {}) });
    const page = await h.api("GET", `/api/sandbox/inboxes/${inboxId}/requests?${q}`);
    out.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor);
  return out;
}

/** Every recipient of a campaign (send order), in pages of 500 (the most the API answers). */
export async function campaignRecipients(h, id) {
  const out = [];
  let cursor = null;
  do {
    const q = new URLSearchParams({ limit: "500", ...(cursor ? { cursor } : {}) });
    const page = await h.api("GET", `/api/campaigns/${id}/recipients?${q}`);
    out.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor);
  return out;
}

/** The message sends of one campaign in a record (`biz_opaque_callback_data` is `herald:c:<id>:<recipient>`). */
export const sendsOf = (records, campaignId) =>
  records.filter((r) => r.kind === "message" && r.biz_opaque_callback_data?.startsWith(`herald:c:${campaignId}:`));

/**
 * Accepted sends per recipient: duplicates (recipients sent more than once) and recipients never
 * sent, matched by phone digits against the campaign's recipient list.
 */
export function sendCounts(sends, recipients) {
  const perTo = new Map();
  for (const r of sends) if (r.status === 200) perTo.set(r.wa_id, (perTo.get(r.wa_id) ?? 0) + 1);
  const duplicates = [...perTo.values()].filter((n) => n > 1).length;
  let maxPerRecipient = 0;
  for (const n of perTo.values()) if (n > maxPerRecipient) maxPerRecipient = n;
  const phones = new Set(recipients.map((r) => String(r.phone).replace(/\D/g, "")));
  const neverSent = [...phones].filter((p) => !perTo.has(p)).length;
  const strangers = [...perTo.keys()].filter((wa) => !phones.has(wa)).length;
  return { accepted: sends.filter((r) => r.status === 200).length, recipients: recipients.length, duplicates, maxPerRecipient, neverSent, strangers };
}

/** The campaign's counters recounted from its recipients' states (the keys of the API's `progress`). */
export function recountStates(recipients) {
  const byState = {};
  for (const r of recipients) byState[r.state] = (byState[r.state] ?? 0) + 1;
  const s = (k) => byState[k] ?? 0;
  return {
    total: recipients.length,
    pending: s("pending") + s("released") + s("sending"),
    sent: s("sent") + s("delivered") + s("read") + s("replied"),
    delivered: s("delivered") + s("read") + s("replied"),
    read: s("read") + s("replied"),
    replied: s("replied"),
    failed: s("failed"),
    skipped: s("skipped"),
    cancelled: s("cancelled"),
    unknown: s("unknown"),
  };
}

/** The campaign sender's forward-only order of statuses (failed yields to a later delivered/read). */
export const STATUS_RANK = { sent: 1, failed: 2, delivered: 3, read: 4 };

/**
 * What the sandbox reported through its delivered webhook envelopes: the best status of each
 * wamid, and the replies (the quoted wamid, or `from:<digits>` without a quote).
 */
export async function sandboxReported(h, inboxId) {
  const reported = new Map();
  const replied = new Set();
  let afterId = 0;
  for (;;) {
    const page = (await h.api("GET", `/api/sandbox/inboxes/${inboxId}/webhooks?limit=1000&after_id=${afterId}`)).data;
    if (page.length === 0) break;
    for (const envelope of page) {
      afterId = Math.max(afterId, envelope.id);
      if (envelope.state !== "delivered") continue;
      for (const entry of JSON.parse(envelope.body).entry) {
        for (const change of entry.changes) {
          for (const s of change.value.statuses ?? []) if ((STATUS_RANK[s.status] ?? 0) > (STATUS_RANK[reported.get(s.id)] ?? 0)) reported.set(s.id, s.status);
          for (const m of change.value.messages ?? []) replied.add(m.context?.id ?? `from:${m.from}`);
        }
      }
    }
  }
  return { reported, replied };
}

/** The state the sandbox's webhooks say a sent recipient must be in (`sent` when it reported nothing). */
export function reportedState({ reported, replied }, recipient) {
  if (replied.has(recipient.wamid) || replied.has(`from:${recipient.phone.slice(1)}`)) return "replied";
  return reported.get(recipient.wamid) ?? "sent";
}

export function quantile(sorted, q) {
  if (!sorted.length) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The most arrivals in any window [t, t + windowMs) (integer ms times, sorted or not). */
export function maxInWindow(times, windowMs = 1000) {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  let bestAt = null;
  let j = 0;
  for (let i = 0; i < t.length; i++) {
    while (t[i] - t[j] >= windowMs) j++;
    if (i - j + 1 > best) {
      best = i - j + 1;
      bestAt = t[j];
    }
  }
  return { max: best, at: bestAt };
}

/** Counts of `times` per whole second from `from`. */
export function perSecond(times, from, to) {
  const bins = new Array(Math.max(1, Math.ceil((to - from + 1) / 1000))).fill(0);
  for (const t of times) bins[Math.floor((t - from) / 1000)]++;
  return bins;
}

/** A text histogram of `values` in `buckets` ([lo, hi) pairs with a label). */
export function histogram(values, edges, fmt = (x) => x.toFixed(2)) {
  const lines = [];
  const counts = new Array(edges.length + 1).fill(0);
  for (const v of values) {
    let k = 0;
    while (k < edges.length && v >= edges[k]) k++;
    counts[k]++;
  }
  const max = Math.max(...counts, 1);
  for (let k = 0; k <= edges.length; k++) {
    const lo = k === 0 ? "" : fmt(edges[k - 1]);
    const hi = k === edges.length ? "" : fmt(edges[k]);
    const name = k === 0 ? `< ${hi}` : k === edges.length ? `≥ ${lo}` : `${lo}–${hi}`;
    lines.push(`    ${name.padStart(13)} | ${"#".repeat(Math.round((counts[k] / max) * 40)).padEnd(40)} ${counts[k]}`);
  }
  return lines.join("\n");
}

/** "130429 ×3, 131026 ×1" for the refused requests. */
export function refusalSummary(records) {
  const by = new Map();
  for (const r of records) if (r.status !== 200) by.set(r.error_code ?? r.status, (by.get(r.error_code ?? r.status) ?? 0) + 1);
  return by.size ? [...by].map(([code, n]) => `${code} ×${n}`).join(", ") : "none";
}

export const verdict = (ok) => (ok ? "PASS" : "FAIL");

/** Uniform numbers in [0, 1) from a seed (mulberry32), so a run can be repeated with its seed. */
export function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Shuffles `xs` in place (Fisher–Yates) with the numbers of `rnd`, and answers it. */
export function shuffleWith(rnd, xs) {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}

/**
 * Prints a benchmark's result as one JSON line, `BENCH_RESULT {"bench", "ok", "seconds", "checks",
 * "figures"}`, and writes it to the file BENCH_RESULT_FILE names, when set (bench/all.mjs collects
 * them). `figures` are the bench's key numbers.
 */
export function emitResult(bench, { ok, checks = [], figures = {} }) {
  const result = { bench, ok, seconds: Math.round(performance.now() / 100) / 10, checks, figures };
  const line = JSON.stringify(result);
  console.log(`\nBENCH_RESULT ${line}`);
  if (process.env.BENCH_RESULT_FILE) writeFileSync(process.env.BENCH_RESULT_FILE, `${line}\n`);
}

/**
 * Runs a benchmark against a fresh local Herald (`vars`: more variables for the Worker): prints
 * the server's last log lines if the run crashes, always stops the server, then reports
 * `results` and the key figures `body` answers, and exits.
 */
export async function runBench(bench, results, body, { vars } = {}) {
  const server = await startBenchServer(vars ? { vars } : {});
  let crashed = false;
  let figures;
  try {
    figures = await body(server);
  } catch (error) {
    crashed = true;
    console.error(server.log().split("\n").slice(-40).join("\n"));
    console.error(error);
  } finally {
    if (process.env.BENCH_SERVER_LOG) writeFileSync(process.env.BENCH_SERVER_LOG, server.log());
    await server.stop();
  }
  reportChecks(bench, results, crashed, figures);
}

/** Prints the checks, the overall verdict and the JSON result, and exits 1 when anything failed or the run crashed. */
export function reportChecks(bench, results, crashed = false, figures = {}) {
  if (results.length) {
    console.log(`\nchecks:`);
    for (const r of results) console.log(`  ${verdict(r.ok)}  ${r.name}${r.detail ? `  — ${r.detail}` : ""}`);
  }
  const failed = crashed || results.some((r) => !r.ok);
  console.log(`\n${bench}: ${verdict(!failed)}`);
  emitResult(bench, { ok: !failed, checks: results, figures: { ...figures, ...(crashed ? { crashed: true } : {}) } });
  process.exit(failed ? 1 : 0);
}

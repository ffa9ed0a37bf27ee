#!/usr/bin/env node
// Every benchmark, one after the other (`npm run bench`): audience, import, campaign-list, pacing,
// throughput, scale, webhooks, recount and chaos, each in its own process with its own fresh local
// Herald. Each bench writes its JSON result (BENCH_RESULT_FILE, see emitResult in bench/lib.mjs);
// they are collected with the date and the machine (CPU model and cores, memory, Node version)
// into bench/results/summary.json, and a table of the verdicts and key figures is printed.
//
// At the benches' defaults the whole run takes well over 20 minutes (scale alone sends 100,000
// messages at 80/s: 21 minutes at best; chaos sends 20,000 under faults). `--quick` (or
// BENCH_QUICK=1) runs smaller sizes, about a fifth of the sends: audience 20,000 contacts, import 20,000 rows, campaign-list 200
// campaigns, pacing 20 recipients, throughput 2,000, scale 10,000, webhooks 2,000 recipients and
// 8,000 events, recount 1,000, chaos 4,000 recipients.
//
// The size knobs of the individual benches (BENCH_RECIPIENTS, BENCH_CONTACTS, BENCH_ROWS,
// BENCH_CAMPAIGNS, BENCH_EVENTS) mean different things to different benches, so they are not
// passed on: run a bench alone to change its size. Other variables (BENCH_SEED, BENCH_SERVER,
// BENCH_SOURCE_DIR, BENCH_CAP) reach every bench. `--only=chaos,recount` runs some of them.
// Exits 1 when any bench failed.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const QUICK = process.argv.includes("--quick") || process.env.BENCH_QUICK === "1";
const only = process.argv
  .find((a) => a.startsWith("--only="))
  ?.slice("--only=".length)
  .split(",");

/** Each bench with the sizes of the quick mode. */
const BENCHES = [
  { name: "audience", quick: { BENCH_CONTACTS: "20000" } },
  { name: "import", quick: { BENCH_ROWS: "20000" } },
  { name: "campaign-list", quick: { BENCH_CAMPAIGNS: "200" } },
  { name: "pacing", quick: { BENCH_RECIPIENTS: "20" } },
  { name: "throughput", quick: { BENCH_RECIPIENTS: "2000" } },
  { name: "scale", quick: { BENCH_RECIPIENTS: "10000" } },
  { name: "webhooks", quick: { BENCH_RECIPIENTS: "2000", BENCH_EVENTS: "8000" } },
  { name: "recount", quick: {} },
  { name: "chaos", quick: { BENCH_RECIPIENTS: "4000" } },
];
const SIZE_KNOBS = ["BENCH_RECIPIENTS", "BENCH_CONTACTS", "BENCH_ROWS", "BENCH_CAMPAIGNS", "BENCH_EVENTS", "BENCH_RESULT_FILE", "BENCH_DUMP"];

if (only) {
  const unknown = only.filter((name) => !BENCHES.some((b) => b.name === name));
  if (unknown.length) throw new Error(`--only: no bench named ${unknown.join(", ")} (there are ${BENCHES.map((b) => b.name).join(", ")})`);
}

function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? "unknown",
    cores: cpus.length,
    memory_gb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  };
}

/** Runs one bench to its end, its output passed through; answers its exit code and wall time. */
function run(bench, resultFile) {
  const env = { ...process.env };
  for (const knob of SIZE_KNOBS) delete env[knob];
  Object.assign(env, QUICK ? bench.quick : {}, { BENCH_RESULT_FILE: resultFile });
  const started = performance.now();
  const child = spawn(process.execPath, [path.join(import.meta.dirname, `${bench.name}.mjs`)], { stdio: "inherit", env });
  return new Promise((resolve) => {
    child.once("exit", (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), wall_s: Math.round((performance.now() - started) / 100) / 10 }));
  });
}

function readResult(file) {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return null;
  }
}

/** The figures worth a table cell: scalar figures, or else the checks' details. */
function keyFigures(result) {
  if (!result) return "no result (the bench crashed before reporting)";
  const scalars = Object.entries(result.figures ?? {}).filter(([, v]) => v === null || typeof v !== "object");
  const text = scalars.length
    ? scalars.map(([k, v]) => `${k} ${v}`).join(", ")
    : result.checks
        .filter((c) => c.detail)
        .map((c) => `${c.name}: ${c.detail}`)
        .join("; ");
  return text.length > 160 ? `${text.slice(0, 157)}…` : text;
}

const selected = BENCHES.filter((b) => !only || only.includes(b.name));
const tmp = mkdtempSync(path.join(os.tmpdir(), "herald-bench-all-"));
const summary = { date: new Date().toISOString(), quick: QUICK, machine: machine(), benches: [] };
console.log(`running ${selected.map((b) => b.name).join(", ")}${QUICK ? " (quick sizes)" : ""} on ${summary.machine.cpu} × ${summary.machine.cores}`);
try {
  for (const bench of selected) {
    console.log(`\n========== ${bench.name} ==========`);
    const file = path.join(tmp, `${bench.name}.json`);
    const { code, wall_s } = await run(bench, file);
    const result = readResult(file);
    summary.benches.push({
      bench: bench.name,
      ok: code === 0 && result?.ok === true,
      exit_code: code,
      wall_s,
      env: QUICK ? bench.quick : {},
      figures: result?.figures ?? null,
      checks: result?.checks ?? [],
    });
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

const out = path.join(import.meta.dirname, "results", "summary.json");
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(summary, null, 2)}\n`);

const rows = summary.benches.map((b) => [b.bench, b.ok ? "PASS" : "FAIL", `${b.wall_s} s`, keyFigures(b)]);
const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length), ["bench", "verdict", "time"][i].length));
console.log(
  `\n${summary.date}, ${summary.machine.cpu} × ${summary.machine.cores} cores, ${summary.machine.memory_gb} GB, Node ${summary.machine.node}${QUICK ? ", quick sizes" : ""}`,
);
console.log(`${"bench".padEnd(widths[0])}  ${"verdict".padEnd(widths[1])}  ${"time".padStart(widths[2])}  key figures`);
for (const r of rows) console.log(`${r[0].padEnd(widths[0])}  ${r[1].padEnd(widths[1])}  ${r[2].padStart(widths[2])}  ${r[3]}`);
console.log(`\nsummary written to ${path.relative(process.cwd(), out)}`);
process.exit(summary.benches.every((b) => b.ok) ? 0 : 1);

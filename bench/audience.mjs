#!/usr/bin/env node
// Audience benchmark: imports 100,000 contacts spread over 20 labels into a fresh local
// Herald (wrangler dev + local D1) through the CSV import API, then times audience previews.
// Prints import time and the median of 5 preview calls per selection.
import { startLocalServer } from "../scripts/local-server.mjs";
import { emitResult } from "./lib.mjs";

const CONTACTS = Number(process.env.BENCH_CONTACTS ?? 100_000);
const LABELS = 20;
const RUNS = 5;

function csv() {
  // Deterministic pseudo-random label sets: 1–3 labels each, label i % 20 always among them,
  // so the union of all 20 labels is the whole list.
  let seed = 42;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const lines = ["name,phone,labels,city,plan"];
  for (let i = 0; i < CONTACTS; i++) {
    const labels = new Set([`segment-${i % LABELS}`]);
    const extra = Math.floor(rand() * 3);
    for (let k = 0; k < extra; k++) labels.add(`segment-${Math.floor(rand() * LABELS)}`);
    const phone = `+55 11 9${String(10_000_000 + i).padStart(8, "0")}`;
    lines.push(`Contact ${i},${phone},"${[...labels].join("|")}",São Paulo,${i % 3 ? "basic" : "pro"}`);
  }
  return lines.join("\n");
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const server = await startLocalServer();
const figures = {};
try {
  const base = server.url;
  const headers = { "content-type": "application/json", origin: base };
  const setup = await fetch(`${base}/api/auth/setup`, {
    method: "POST",
    headers,
    body: JSON.stringify({ workspace_name: "Bench", name: "Bench", email: "bench@example.test", password: "bench password" }),
  });
  if (setup.status !== 201) throw new Error(`setup failed: ${setup.status} ${await setup.text()}`);
  const cookie = setup.headers.getSetCookie()[0].split(";")[0];
  const authed = { ...headers, cookie };

  const body = csv();
  console.log(`CSV: ${CONTACTS.toLocaleString("en")} rows, ${(body.length / 1e6).toFixed(1)} MB`);
  const t0 = performance.now();
  const imported = await fetch(`${base}/api/contacts/import`, { method: "POST", headers: { ...authed, "content-type": "text/csv" }, body });
  const importMs = performance.now() - t0;
  const result = await imported.json();
  if (imported.status !== 200) throw new Error(`import failed: ${imported.status} ${JSON.stringify(result)}`);
  figures.import_s = Math.round(importMs / 10) / 100;
  console.log(`import: ${(importMs / 1000).toFixed(2)} s  (created ${result.created}, updated ${result.updated}, skipped ${result.skipped})`);

  const labels = (await (await fetch(`${base}/api/labels`, { headers: authed })).json()).data;
  const id = (name) => labels.find((l) => l.name === name).id;
  const all = labels.map((l) => l.id);
  const selections = [
    ["all 20 labels, any (whole list)", { labels: all, match: "any" }],
    ["1 label", { labels: [id("segment-3")] }],
    ["3 labels, any", { labels: [id("segment-1"), id("segment-2"), id("segment-3")], match: "any" }],
    ["2 labels, all", { labels: [id("segment-4"), id("segment-5")], match: "all" }],
    ["19 labels any, excluding 1", { labels: all.slice(1), match: "any", exclude_labels: [all[0]] }],
  ];
  console.log(`\naudience preview, median of ${RUNS} (ms):`);
  for (const [name, selection] of selections) {
    const times = [];
    let total;
    for (let r = 0; r < RUNS; r++) {
      const t = performance.now();
      const res = await fetch(`${base}/api/audience/preview`, { method: "POST", headers: authed, body: JSON.stringify(selection) });
      const json = await res.json();
      times.push(performance.now() - t);
      if (res.status !== 200) throw new Error(`preview failed: ${JSON.stringify(json)}`);
      total = json.total;
    }
    figures[`preview_ms ${name}`] = Math.round(median(times) * 10) / 10;
    console.log(
      `  ${name.padEnd(34)} total ${String(total).padStart(7)}   median ${median(times).toFixed(1).padStart(7)}   max ${Math.max(...times).toFixed(1)}`,
    );
  }
} catch (error) {
  console.error(server.log().split("\n").slice(-40).join("\n"));
  emitResult("audience", { ok: false, figures });
  throw error;
} finally {
  await server.stop();
}
emitResult("audience", { ok: true, figures });

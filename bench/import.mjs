#!/usr/bin/env node
// Import benchmark: uploads one CSV file at the import's limits (100,000 rows, just under 50 MB)
// to a fresh local Herald (the deployable bundle in workerd) and prints the time, rows per second
// and the memory of the Worker's isolate, read through its V8 inspector every 20 ms: the peak of
// its JavaScript heap plus array buffers (what a Worker's 128 MB limit counts), and the heap V8
// had reserved. Checks that every row was created and that the peak stays under 128 MB.
import { freePort } from "../scripts/local-server.mjs";
import { client, emitResult, startBenchServer } from "./lib.mjs";

// Node 22 has WebSocket built in; on Node 20, undici's (installed with Miniflare) is the same class.
const WebSocket = globalThis.WebSocket ?? (await import("undici")).WebSocket;

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const LIMIT_MB = 128;
const MB = 1024 * 1024;

/**
 * A file of ROWS rows of about 520 bytes (just under 50 MB for 100,000): accented names, two
 * labels, and notes of random letters, which compress far less than real text, so the import's
 * compressed copy of the file is as large as it gets.
 */
function csv() {
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const word = () => Array.from({ length: 3 + Math.floor(rand() * 7) }, () => "abcdefghijklmnopqrstuvwxyzçãéó"[Math.floor(rand() * 30)]).join("");
  const lines = ["nome,telefone,etiquetas,cidade,observações"];
  for (let i = 0; i < ROWS; i++) {
    let notes = "";
    while (notes.length < 396) notes += `${word()} `;
    lines.push(`José da Conceição ${i},+55 11 9${String(10_000_000 + i).padStart(8, "0")},"região-${i % 10}|lote-${i % 7}",São Paulo,"${notes.trim()}"`);
  }
  return Buffer.from(lines.join("\r\n"));
}

/** A DevTools-protocol session with the Worker's isolate. */
async function inspect(port) {
  const targets = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
  const target = targets.find((t) => t.id === "core:user:herald");
  if (!target) throw new Error(`no inspector target for the herald worker among ${targets.map((t) => t.id).join(", ")}`);
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    socket.addEventListener("open", resolve);
    socket.addEventListener("error", reject);
  });
  let id = 0;
  const pending = new Map();
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    pending.get(message.id)?.(message.result);
    pending.delete(message.id);
  });
  return {
    call: (method, params = {}) =>
      new Promise((resolve) => {
        pending.set(++id, resolve);
        socket.send(JSON.stringify({ id, method, params }));
      }),
    close: () => socket.close(),
  };
}

const inspectorPort = await freePort();
const server = await startBenchServer({ inspectorPort });
let failed = false;
const figures = {};
try {
  const h = client(server.url);
  await h.setup();
  await h.api("POST", "/api/contacts/import", { body: "name,phone\nWarm Up,+55 11 91234-5678\n", headers: { "content-type": "text/csv" } });
  const isolate = await inspect(inspectorPort);
  const usage = async () => {
    const u = await isolate.call("Runtime.getHeapUsage");
    return { used: u.usedSize + (u.backingStorageSize ?? 0), reserved: u.totalSize };
  };

  const body = csv();
  console.log(`file: ${ROWS.toLocaleString("en")} rows, ${(body.byteLength / MB).toFixed(1)} MB`);
  const before = await usage();
  const peak = { ...before };
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const now = await usage();
      peak.used = Math.max(peak.used, now.used);
      peak.reserved = Math.max(peak.reserved, now.reserved);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const started = performance.now();
  const result = await h.api("POST", "/api/contacts/import", { body, headers: { "content-type": "text/csv" } });
  const seconds = (performance.now() - started) / 1000;
  sampling = false;
  await sampler;
  isolate.close();

  console.log(
    `import: ${seconds.toFixed(1)} s, ${Math.round(ROWS / seconds).toLocaleString("en")} rows/s (created ${result.created}, updated ${result.updated}, skipped ${result.skipped})`,
  );
  console.log(
    `isolate memory (heap in use + array buffers): ${(before.used / MB).toFixed(0)} MB before, peak ${(peak.used / MB).toFixed(0)} MB during the import`,
  );
  console.log(`isolate heap reserved by V8: ${(before.reserved / MB).toFixed(0)} MB before, peak ${(peak.reserved / MB).toFixed(0)} MB`);
  if (peak.used >= LIMIT_MB * MB) {
    console.log(`CHECK FAILED: the isolate used ${(peak.used / MB).toFixed(0)} MB, not under ${LIMIT_MB} MB`);
    failed = true;
  }
  const { count } = await h.api("GET", "/api/contacts/count");
  if (result.created !== ROWS || count !== ROWS + 1) {
    console.log(`CHECK FAILED: ${result.created} rows created and ${count} contacts stored, expected ${ROWS} and ${ROWS + 1}`);
    failed = true;
  }
  Object.assign(figures, { rows: ROWS, seconds: Math.round(seconds * 10) / 10, rows_per_s: Math.round(ROWS / seconds), peak_mb: Math.round(peak.used / MB) });
  console.log(failed ? "FAILED" : "OK");
} finally {
  await server.stop();
}
emitResult("import", { ok: !failed, figures });
process.exit(failed ? 1 : 0);

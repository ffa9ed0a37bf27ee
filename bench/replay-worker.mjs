// The webhook benchmark's load generator, run in a worker thread of its own: the main thread
// holds the whole world (recipients, events, truth) and its garbage collections would otherwise
// stall the requests being timed. Requests go through node:http with keep-alive connections,
// which allocates far less per request than fetch.
//
// workerData: { url, envelopes: [{ method?, body?, signature?, events }], rate, concurrency,
// maxInFlight }. With rate > 0 envelope k leaves at (events before k) / rate seconds (open loop);
// with rate 0, `concurrency` requests are kept in flight (closed loop). Posts back
// { results: [{ status, ms, end, text }], start, end, late } (times from performance.now()).
import http from "node:http";
import { performance } from "node:perf_hooks";
import { parentPort, workerData } from "node:worker_threads";

const { url, envelopes, rate, concurrency, maxInFlight } = workerData;
const target = new URL(url);
const agent = new http.Agent({ keepAlive: true, maxSockets: Math.max(maxInFlight, concurrency) });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One request; its latency counts from `from` (the planned departure in the open loop). */
function send(env, from = performance.now()) {
  return new Promise((resolve) => {
    const headers = { "user-agent": "facebookexternalua" };
    if (env.method !== "GET") headers["content-type"] = "application/json";
    if (env.signature) headers["x-hub-signature-256"] = env.signature;
    if (env.body !== undefined) headers["content-length"] = Buffer.byteLength(env.body);
    const done = (status, text) => {
      const end = performance.now();
      resolve({ status, ms: end - from, end, text });
    };
    const req = http.request({ host: target.hostname, port: target.port, path: target.pathname, method: env.method ?? "POST", headers, agent }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (text += d));
      res.on("end", () => done(res.statusCode, text));
      res.on("error", (error) => done(0, String(error)));
    });
    req.on("error", (error) => done(0, `${error}${error.code ? ` (${error.code})` : ""}`));
    req.end(env.body);
  });
}

async function closedLoop() {
  const results = new Array(envelopes.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < envelopes.length; i = next++) results[i] = await send(envelopes[i]);
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { results, start, end: performance.now(), late: 0 };
}

async function openLoop() {
  const results = new Array(envelopes.length);
  const pending = new Set();
  let late = 0;
  let events = 0;
  const start = performance.now();
  for (let i = 0; i < envelopes.length; i++) {
    const planned = start + (events / rate) * 1000;
    events += envelopes[i].events;
    const wait = planned - performance.now();
    if (wait > 1) await sleep(wait);
    while (pending.size >= maxInFlight) await Promise.race(pending);
    if (performance.now() - planned > 5) late++;
    const p = send(envelopes[i], Math.min(planned, performance.now())).then((r) => {
      results[i] = r;
      pending.delete(p);
    });
    pending.add(p);
  }
  await Promise.all(pending);
  return { results, start, end: performance.now(), late };
}

const out = rate > 0 ? await openLoop() : await closedLoop();
agent.destroy();
parentPort.postMessage(out);

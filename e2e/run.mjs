#!/usr/bin/env node
// Browser end-to-end tests: builds the UI, starts a throw-away local Herald (wrangler dev over a
// fresh, migrated local D1), runs e2e/*.test.mjs against it with HERALD_URL set, then stops the
// server with every process it started. Exits with the tests' exit code.
import { spawn, spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";
import { startLocalServer } from "../scripts/local-server.mjs";

const root = path.resolve(import.meta.dirname, "..");
const log = (message) => console.log(`e2e: ${message}`);

/** The browser test file that must meet a Herald nobody has set up yet. */
const FIRST = "auth.test.mjs";

let server = null;
let tests = null;
let finishing = false;

async function finish(code, reason) {
  if (finishing) return;
  finishing = true;
  if (reason) console.error(`e2e: ${reason}`);
  if (tests && tests.exitCode === null) tests.kill("SIGTERM");
  await server?.stop();
  process.exit(code);
}

for (const [signal, code] of [
  ["SIGINT", 130],
  ["SIGTERM", 143],
  ["SIGHUP", 129],
]) {
  process.on(signal, () => void finish(code, `interrupted by ${signal}; cleaning up`));
}

async function main() {
  const started = Date.now();
  log("building the UI");
  const build = spawnSync(path.join(root, "node_modules", ".bin", "vite"), ["build", "--logLevel", "warn"], { cwd: root, stdio: "inherit" });
  if (build.status !== 0) throw new Error("vite build failed");

  server = await startLocalServer();
  log(`server healthy at ${server.url} after ${((Date.now() - started) / 1000).toFixed(1)} s; running the tests`);

  // auth.test.mjs meets the server fresh (its first test is the setup form), so it goes first.
  const files = readdirSync(path.join(root, "e2e"))
    .filter((f) => f.endsWith(".test.mjs"))
    .sort((a, b) => Number(b === FIRST) - Number(a === FIRST) || a.localeCompare(b))
    .map((f) => path.join("e2e", f));
  // Each file runs in its own process, one after the other; a file that fails is run once more
  // (its tests make their own data, so a second run starts clean). A file that passes only on
  // its second run is reported as flaky, with the first run's output kept above.
  const failed = [];
  for (const file of files) if ((await runFiles([file])) !== 0) failed.push(file);
  const flaky = [];
  const broken = [];
  for (const file of failed) {
    log(`${file} failed; running it once more`);
    ((await runFiles([file])) === 0 ? flaky : broken).push(file);
  }
  if (flaky.length) log(`FLAKY (failed, then passed when run again): ${flaky.join(", ")}`);
  const code = broken.length ? 1 : 0;
  if (code !== 0) {
    log(`failed twice: ${broken.join(", ")}`);
    console.error(`----- wrangler dev log -----\n${server.log()}\n----------------------------`);
  }
  log(`tests ${code === 0 ? "passed" : `failed (exit ${code})`} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return code;
}

/** Runs test files with node's test runner against the server; resolves to its exit code. */
async function runFiles(list) {
  tests = spawn(process.execPath, ["--test", "--test-concurrency=1", ...list], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, HERALD_URL: server.url },
  });
  return new Promise((resolve) => tests.once("exit", (c, signal) => resolve(c ?? (signal ? 1 : 0))));
}

main().then(
  (code) => finish(code),
  (error) => finish(1, error?.message ?? String(error)),
);

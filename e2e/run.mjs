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

  const files = readdirSync(path.join(root, "e2e"))
    .filter((f) => f.endsWith(".test.mjs"))
    .sort()
    .map((f) => path.join("e2e", f));
  tests = spawn(process.execPath, ["--test", "--test-concurrency=1", ...files], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, HERALD_URL: server.url },
  });
  const code = await new Promise((resolve) => tests.once("exit", (c, signal) => resolve(c ?? (signal ? 1 : 0))));
  if (code !== 0) console.error(`----- wrangler dev log -----\n${server.log()}\n----------------------------`);
  log(`tests ${code === 0 ? "passed" : `failed (exit ${code})`} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return code;
}

main().then(
  (code) => finish(code),
  (error) => finish(1, error?.message ?? String(error)),
);

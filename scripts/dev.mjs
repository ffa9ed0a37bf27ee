#!/usr/bin/env node
// Starts Herald locally: writes a local encryption key if there is none, builds the UI,
// migrates the local D1 database and serves UI + API with `wrangler dev` (WhatsApp sandbox on,
// demo loaded at first-run setup, no setup secret needed), firing the
// cron trigger every minute through `--test-scheduled` (wrangler dev does not fire crons by
// itself, and with static assets only `/__scheduled` reaches the Worker).
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const port = Number(process.env.PORT ?? 8787);
const persist = process.env.HERALD_STATE_DIR; // optional: keep local state somewhere else than .wrangler/state
const bin = (name) => path.join(root, "node_modules", ".bin", name);

function ensureDevVars() {
  const file = path.join(root, ".dev.vars");
  const current = existsSync(file) ? readFileSync(file, "utf8") : "";
  if (/^HERALD_ENCRYPTION_KEY=/m.test(current)) return;
  const key = randomBytes(32).toString("base64");
  writeFileSync(file, `${current}${current && !current.endsWith("\n") ? "\n" : ""}HERALD_ENCRYPTION_KEY=${key}\n`, { mode: 0o600 });
  console.log("dev: wrote a random local HERALD_ENCRYPTION_KEY to .dev.vars");
}

function run(cmd, args) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: "inherit" });
  if (result.status !== 0) {
    console.error(`dev: ${path.basename(cmd)} ${args.join(" ")} failed`);
    process.exit(result.status ?? 1);
  }
}

ensureDevVars();
run(bin("vite"), ["build", "--logLevel", "warn"]);
const persistArgs = persist ? ["--persist-to", persist] : [];
run(bin("wrangler"), ["d1", "migrations", "apply", "DB", "--local", ...persistArgs]);

const server = spawn(
  bin("wrangler"),
  [
    "dev",
    "--port",
    String(port),
    "--ip",
    "127.0.0.1",
    "--test-scheduled",
    "--show-interactive-dev-session=false",
    // Locally the WhatsApp sandbox is on and first-run setup loads the demo workspace, without
    // a setup secret (unless .dev.vars sets SETUP_SECRET).
    "--var",
    "HERALD_ENV:development",
    "--var",
    "SANDBOX_ENABLED:true",
    "--var",
    "DEMO_ON_SETUP:true",
    ...persistArgs,
  ],
  { cwd: root, stdio: "inherit", env: { CLOUDFLARE_CF_FETCH_ENABLED: "false", ...process.env } },
);

const tick = async () => {
  try {
    await fetch(`http://127.0.0.1:${port}/__scheduled?cron=${encodeURIComponent("* * * * *")}`);
  } catch {
    // The server may still be starting or restarting; the next tick will try again.
  }
};
// Like a real `* * * * *` trigger, ticks fall on the start of each minute.
let ticker;
const firstTick = setTimeout(
  () => {
    tick();
    ticker = setInterval(tick, 60_000);
  },
  60_000 - (Date.now() % 60_000),
);

const stop = (signal) => {
  clearTimeout(firstTick);
  clearInterval(ticker);
  server.kill(signal);
};
process.on("SIGINT", () => stop("SIGINT"));
process.on("SIGTERM", () => stop("SIGTERM"));
server.on("exit", (code) => {
  clearTimeout(firstTick);
  clearInterval(ticker);
  process.exit(code ?? 0);
});

#!/usr/bin/env node
// Deploys Herald's production environment ([env.production] in wrangler.toml) in the order that
// leaves nothing out, checking each precondition first and saying what to do when one is missing:
//
//   1. the production environment declares every binding the local one does, with the sandbox,
//      the demo and local development off;
//   2. the D1 database id is set (not the placeholder);
//   3. the UI is built;
//   4. (remote) wrangler is signed in; the four queues exist (created when missing); the
//      encryption key secret is set (the setup secret is reported when missing);
//   5. (remote) D1 migrations are applied, then the Worker is deployed.
//
// `--dry-run` runs 1 and 3 and `wrangler deploy --dry-run`: it needs no Cloudflare account, so the
// tests run it to prove the production bundle builds. Exits non-zero on the first failed step.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { unstable_readConfig } from "wrangler";

const root = path.resolve(import.meta.dirname, "..");
const ENV = "production";
const PLACEHOLDER_ID = "00000000-0000-4000-8000-000000000000";
const REQUIRED_SECRETS = ["HERALD_ENCRYPTION_KEY"];
const dryRun = process.argv.includes("--dry-run");
const toolEnv = { ...process.env, WRANGLER_SEND_METRICS: "false" };

const step = (message) => console.log(`deploy: ${message}`);
function fail(message) {
  console.error(`deploy: ${message}`);
  process.exit(1);
}
const bin = (name) => path.join(root, "node_modules", ".bin", name);

/** Runs a command in the project; its output goes to the terminal unless `capture`. */
function run(command, args, { capture = false } = {}) {
  const result = spawnSync(bin(command), args, { cwd: root, env: toolEnv, encoding: "utf8", stdio: capture ? "pipe" : "inherit" });
  return { ok: result.status === 0, out: result.stdout ?? "", err: result.stderr ?? "" };
}

const configPath = path.join(root, "wrangler.toml");
const local = unstable_readConfig({ config: configPath });
const production = unstable_readConfig({ config: configPath, env: ENV });

/** What each environment binds, by binding name: the production Worker must bind the same. */
function bindings(config) {
  return {
    d1: config.d1_databases.map((d) => `${d.binding}`).sort(),
    durableObjects: config.durable_objects.bindings.map((b) => `${b.name}=${b.class_name}`).sort(),
    producers: config.queues.producers.map((q) => `${q.binding}=${q.queue}`).sort(),
    consumers: config.queues.consumers.map((q) => `${q.queue}>${q.dead_letter_queue ?? ""}`).sort(),
    vars: Object.keys(config.vars).sort(),
  };
}

step(`checking [env.${ENV}] in wrangler.toml`);
const want = bindings(local);
const have = bindings(production);
for (const key of Object.keys(want)) {
  const missing = want[key].filter((b) => !have[key].includes(b));
  if (missing.length) fail(`[env.${ENV}] lacks ${key} ${missing.join(", ")} that the local configuration declares; add them there too`);
}
const vars = production.vars;
if (vars.HERALD_ENV !== "production") fail(`[env.${ENV}.vars] HERALD_ENV must be "production"`);
for (const name of ["SANDBOX_ENABLED", "DEMO_ON_SETUP"]) {
  if (vars[name] !== "false") console.warn(`deploy: warning: ${name} is "${vars[name]}" in production`);
}
if (vars.EXTRA_API_BASE_URLS) console.warn(`deploy: warning: EXTRA_API_BASE_URLS is set in production (${vars.EXTRA_API_BASE_URLS})`);
const databaseId = production.d1_databases[0]?.database_id;
if (!dryRun && (!databaseId || databaseId === PLACEHOLDER_ID)) {
  fail(
    `[env.${ENV}] d1_databases database_id is still the placeholder: run \`npx wrangler d1 create herald\` and put the database_id it prints into wrangler.toml`,
  );
}

step("building the UI");
if (!run("vite", ["build", "--logLevel", "warn"]).ok) fail("the UI did not build");

if (dryRun) {
  const outdir = mkdtempSync(path.join(tmpdir(), "herald-deploy-"));
  try {
    step("building the production bundle (wrangler deploy --dry-run)");
    const result = run("wrangler", ["deploy", "--dry-run", "--env", ENV, "--outdir", outdir], { capture: true });
    if (!result.ok) fail(`wrangler deploy --dry-run failed:\n${result.out}\n${result.err}`);
    step("the production bundle builds; nothing was deployed (--dry-run)");
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
  process.exit(0);
}

step("checking the Cloudflare sign-in");
if (!run("wrangler", ["whoami"], { capture: true }).ok) fail("wrangler is not signed in: run `npx wrangler login` (or set CLOUDFLARE_API_TOKEN)");

step("checking the queues");
const listed = run("wrangler", ["queues", "list"], { capture: true });
if (!listed.ok) fail(`could not list the queues:\n${listed.err}`);
const queues = new Set([
  ...production.queues.producers.map((q) => q.queue),
  ...production.queues.consumers.flatMap((q) => [q.queue, q.dead_letter_queue].filter(Boolean)),
]);
for (const queue of queues) {
  if (new RegExp(`\\b${queue}\\b`).test(listed.out)) continue;
  step(`creating queue ${queue}`);
  if (!run("wrangler", ["queues", "create", queue]).ok) fail(`could not create queue ${queue}`);
}

step("checking the secrets");
const secrets = run("wrangler", ["secret", "list", "--env", ENV, "--format", "json"], { capture: true });
// A Worker not deployed yet has no secrets to list.
const names = secrets.ok ? JSON.parse(secrets.out || "[]").map((s) => s.name) : [];
for (const name of REQUIRED_SECRETS) {
  if (!names.includes(name)) fail(`secret ${name} is not set: run \`openssl rand -base64 32 | npx wrangler secret put ${name} --env ${ENV}\``);
}
if (!names.includes("SETUP_SECRET")) {
  console.warn(
    `deploy: note: SETUP_SECRET is not set; first-run setup is refused until it is (\`openssl rand -base64 32 | npx wrangler secret put SETUP_SECRET --env ${ENV}\`). Ignore this once setup is done.`,
  );
}

step("applying D1 migrations to the remote database");
if (!run("wrangler", ["d1", "migrations", "apply", "DB", "--remote", "--env", ENV]).ok) fail("the migrations did not apply; nothing was deployed");

step("deploying the Worker");
if (!run("wrangler", ["deploy", "--env", ENV]).ok) fail("wrangler deploy failed");
step("deployed");

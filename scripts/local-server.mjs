// Starts a throw-away local Herald over a fresh local D1, and stops it again with every process
// it started: `startLocalServer` runs `wrangler dev` (what `npm run dev` runs; the end-to-end
// tests use it), `startBundleServer` runs the deployable bundle in workerd without the
// development proxy (the benchmarks use it).
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const bin = (name) => path.join(root, "node_modules", ".bin", name);
// No Request.cf lookup (it needs the internet) and no usage metrics from wrangler.
const toolEnv = { ...process.env, CI: "true", CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" };

/** A TCP port nobody listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Applies the D1 migrations to the local database persisted in `dir`. */
function migrate(cwd, dir) {
  const run = spawnSync(bin("wrangler"), ["d1", "migrations", "apply", "DB", "--local", "--persist-to", dir], { cwd, encoding: "utf8", env: toolEnv });
  if (run.status !== 0) throw new Error(`migrations failed:\n${run.stdout}\n${run.stderr}`);
}

const delay = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Stops a server started in its own process group, once: SIGTERM to its leader alone lets it
 * shut workerd down and reap it; whatever is still alive in the group after that (or after
 * 10 s) is killed. Then `cleanup` runs.
 */
function stopper(child, cleanup) {
  const exited = new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", resolve);
  });
  let stopped = false;
  return async () => {
    if (stopped) return;
    stopped = true;
    try {
      process.kill(child.pid, "SIGTERM");
    } catch {}
    await Promise.race([exited, delay(10_000)]);
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {}
    await Promise.race([exited, delay(2_000)]);
    cleanup();
  };
}

/**
 * Wrangler refuses to start without the static assets' directory (web/dist, which `vite build`
 * fills): an empty one serves the API alone, as the benchmarks need.
 */
const assetsDirectory = (cwd) => mkdirSync(path.join(cwd, "web/dist"), { recursive: true });

/** The variables of a throw-away server: a fresh encryption key, the sandbox on and local development (setup without a secret). */
const localVars = (vars) => ({
  HERALD_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
  SANDBOX_ENABLED: "true",
  DEMO_ON_SETUP: "false",
  HERALD_ENV: "development",
  ...vars,
});

/**
 * Migrates a fresh local D1 (in a temporary directory unless `stateDir` is given), starts
 * `wrangler dev` on it and waits for `/api/health`. It builds nothing: run `vite build` first
 * when the UI is needed. `cwd` runs it from another copy of the project (a directory with its own
 * wrangler.toml, e.g. a snapshot that concurrent edits of the working tree cannot reload).
 * @returns {Promise<{url: string, stop: () => Promise<void>, log: () => string}>}
 */
export async function startLocalServer({ port, stateDir, vars = {}, timeoutMs = 90_000, cwd = root } = {}) {
  port ??= await freePort();
  const dir = stateDir ?? mkdtempSync(path.join(tmpdir(), "herald-state-"));
  migrate(cwd, dir);
  assetsDirectory(cwd);
  const allVars = localVars(vars);
  const args = ["dev", "--port", String(port), "--ip", "127.0.0.1", "--persist-to", dir, "--show-interactive-dev-session=false"];
  for (const [k, v] of Object.entries(allVars)) args.push("--var", `${k}:${v}`);
  let output = "";
  const child = spawn(bin("wrangler"), args, {
    cwd,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: toolEnv,
  });
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const stop = stopper(child, () => !stateDir && rmSync(dir, { recursive: true, force: true }));

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const res = await fetch(`${url}/api/health`);
      if (res.ok) return { url, stop, log: () => output };
    } catch {}
    await delay(250);
  }
  const exited = child.exitCode;
  await stop();
  throw new Error(
    `${exited !== null ? `wrangler dev exited with ${exited}` : `local server did not answer /api/health within ${timeoutMs / 1000} s`}:\n${output}`,
  );
}

/**
 * Runs Herald as it is deployed: the bundle that `wrangler deploy --dry-run` builds from `cwd`,
 * in workerd through Miniflare, with the bindings wrangler.toml declares (D1, both queues and
 * their consumers, the Durable Objects, the static assets and their routing) over a fresh local
 * D1. Unlike `wrangler dev` there is no development proxy in front of the Worker (a second
 * workerd process that every request crosses, plus a request log written through Node), so
 * request latencies are the Worker's own. Miniflare runs in a Node process of its own
 * (scripts/bundle-server.mjs), so the caller's garbage collections cannot stall it. No cron
 * ticker: `/cdn-cgi/handler/scheduled` runs the scheduled handler on demand. The bundle is built
 * once, at start: later edits do not reach it. With `inspectorPort`, the Worker's V8 inspector
 * (DevTools protocol) listens there. `discardQueues` (queue names) hands those queues to a
 * consumer that acknowledges and drops every message, as if Herald's consumer ran elsewhere.
 * @returns {Promise<{url: string, stop: () => Promise<void>, log: () => string}>}
 */
export async function startBundleServer({ port, stateDir, vars = {}, cwd = root, timeoutMs = 120_000, inspectorPort, discardQueues } = {}) {
  const dir = stateDir ?? mkdtempSync(path.join(tmpdir(), "herald-state-"));
  migrate(cwd, dir);
  assetsDirectory(cwd);
  const child = spawn(process.execPath, [path.join(import.meta.dirname, "bundle-server.mjs")], {
    cwd,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...toolEnv, HERALD_BUNDLE: JSON.stringify({ cwd, stateDir: dir, port: port ?? 0, vars: localVars(vars), inspectorPort, discardQueues }) },
  });
  let output = "";
  let stdout = "";
  const ready = new Promise((resolve, reject) => {
    child.stdout.on("data", (d) => {
      stdout += d;
      const line = stdout.split("\n").find((l) => l.startsWith("{"));
      if (line) resolve(JSON.parse(line).url);
    });
    child.on("exit", (code) => reject(new Error(`the bundle server exited with ${code}:\n${output}`)));
  });
  child.stderr.on("data", (d) => (output += d));
  const stop = stopper(child, () => !stateDir && rmSync(dir, { recursive: true, force: true }));
  try {
    const url = await Promise.race([
      ready,
      delay(timeoutMs).then(() => Promise.reject(new Error(`the bundle server did not start within ${timeoutMs / 1000} s:\n${output}`))),
    ]);
    return { url, stop, log: () => output };
  } catch (error) {
    await stop();
    throw error;
  }
}

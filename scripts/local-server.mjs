// Starts a throw-away local Herald (wrangler dev over a fresh local D1) for end-to-end tests
// and benchmarks, and stops it again with every process it started.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
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
  const migrate = spawnSync(bin("wrangler"), ["d1", "migrations", "apply", "DB", "--local", "--persist-to", dir], {
    cwd,
    encoding: "utf8",
    env: toolEnv,
  });
  if (migrate.status !== 0) throw new Error(`migrations failed:\n${migrate.stdout}\n${migrate.stderr}`);

  const allVars = { HERALD_ENCRYPTION_KEY: randomBytes(32).toString("base64"), SANDBOX_ENABLED: "true", ...vars };
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
  const exited = new Promise((resolve) => child.on("exit", resolve));

  const delay = (ms) => new Promise((r) => setTimeout(r, ms));
  let stopped = false;
  // SIGTERM to wrangler alone lets it shut workerd down and reap it; whatever is still alive in
  // its process group after that (or after 10 s) is killed.
  const stop = async () => {
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
    if (!stateDir) rmSync(dir, { recursive: true, force: true });
  };

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const res = await fetch(`${url}/api/health`);
      if (res.ok) return { url, stop, log: () => output };
    } catch {}
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  throw new Error(`local server did not answer /api/health within ${timeoutMs / 1000} s:\n${output}`);
}

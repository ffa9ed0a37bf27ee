// The process behind `startBundleServer` (scripts/local-server.mjs): bundles the Worker as
// `wrangler deploy` would, runs it in workerd through Miniflare with the bindings of
// wrangler.toml over the local state in HERALD_BUNDLE.stateDir (already migrated), prints
// {"url": …} on stdout once /api/health answers, and shuts down on SIGTERM. The Worker's own
// output goes to stderr.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";

const { cwd, stateDir, port, vars, inspectorPort } = JSON.parse(process.env.HERALD_BUNDLE ?? "{}");
const out = mkdtempSync(path.join(tmpdir(), "herald-bundle-"));
let mf;
const shutdown = async (code) => {
  await mf?.dispose().catch(() => {});
  rmSync(out, { recursive: true, force: true });
  process.exit(code);
};
process.on("SIGTERM", () => shutdown(0));
process.on("SIGINT", () => shutdown(0));

try {
  const build = spawnSync(path.join(cwd, "node_modules", ".bin", "wrangler"), ["deploy", "--dry-run", "--outdir", out], { cwd, encoding: "utf8" });
  if (build.status !== 0) throw new Error(`bundling failed:\n${build.stdout}\n${build.stderr}`);
  const { workerOptions, main } = unstable_getMiniflareWorkerOptions(path.join(cwd, "wrangler.toml"));
  mf = new Miniflare({
    host: "127.0.0.1",
    port,
    defaultPersistRoot: path.join(stateDir, "v3"),
    unsafeTriggerHandlers: true,
    ...(inspectorPort ? { inspectorPort } : {}),
    handleRuntimeStdio(stdout, stderr) {
      stdout.pipe(process.stderr);
      stderr.pipe(process.stderr);
    },
    workers: [
      {
        name: "herald",
        ...workerOptions,
        modules: true,
        modulesRoot: out,
        scriptPath: path.join(out, `${path.basename(main, path.extname(main))}.js`),
        bindings: { ...workerOptions.bindings, ...vars },
      },
    ],
  });
  const url = (await mf.ready).href.replace(/\/$/, "");
  const health = await fetch(`${url}/api/health`);
  if (!health.ok) throw new Error(`/api/health answered ${health.status}: ${await health.text()}`);
  process.stdout.write(`${JSON.stringify({ url })}\n`);
} catch (error) {
  console.error(error);
  await shutdown(1);
}

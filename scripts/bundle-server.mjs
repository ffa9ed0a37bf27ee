// The process behind `startBundleServer` (scripts/local-server.mjs): bundles the Worker as
// `wrangler deploy` would, runs it in workerd through Miniflare with the bindings of
// wrangler.toml over the local state in HERALD_BUNDLE.stateDir (already migrated), prints
// {"url": …} on stdout once /api/health answers, and shuts down on SIGTERM. The Worker's own
// output goes to stderr. HERALD_BUNDLE.discardQueues names queues whose messages are consumed by a
// second worker that acknowledges and drops them, instead of by Herald: what Herald's side of a
// queue costs when its consumer runs somewhere else, as it does on Cloudflare.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";

const { cwd, stateDir, port, vars, inspectorPort, discardQueues = [] } = JSON.parse(process.env.HERALD_BUNDLE ?? "{}");
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
  const consumers = Object.entries(workerOptions.queueConsumers ?? {});
  const unknown = discardQueues.filter((q) => !consumers.some(([name]) => name === q));
  if (unknown.length) throw new Error(`discardQueues: wrangler.toml has no consumer for ${unknown.join(", ")}`);
  const discarding = discardQueues.length
    ? [
        {
          name: "discard",
          modules: true,
          script: "export default { async queue(batch) { batch.ackAll(); } };",
          queueConsumers: Object.fromEntries(consumers.filter(([name]) => discardQueues.includes(name))),
        },
      ]
    : [];
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
        queueConsumers: Object.fromEntries(consumers.filter(([name]) => !discardQueues.includes(name))),
      },
      ...discarding,
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

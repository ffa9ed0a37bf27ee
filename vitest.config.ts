import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  return {
    plugins: [
      cloudflareTest({
        main: "./worker/index.ts",
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            // A fixed test-only key; real deployments set HERALD_ENCRYPTION_KEY as a secret.
            HERALD_ENCRYPTION_KEY: "dGVzdC1vbmx5LWtleS10ZXN0LW9ubHkta2V5LTAwMDA=",
            SANDBOX_ENABLED: "true",
            // Setup creates an empty workspace unless a test asks for the demo.
            DEMO_ON_SETUP: "false",
            // Local development: first-run setup needs no SETUP_SECRET.
            HERALD_ENV: "development",
            // A host that does not exist, so tests can point a Cloud API inbox elsewhere than Meta.
            EXTRA_API_BASE_URLS: "https://graph.herald.test",
          },
        },
      }),
    ],
    test: {
      include: ["test/**/*.test.ts"],
      // Campaign tests send through real queues and Durable Objects; on two cores running two test
      // files at once, one of them can take several seconds without anything being wrong.
      testTimeout: 20_000,
      // Info-level structured lines (campaign transitions) are left out of the test output.
      onConsoleLog: (log: string) => !log.startsWith('{"level":"info"'),
      setupFiles: ["./test/apply-migrations.ts"],
    },
  };
});

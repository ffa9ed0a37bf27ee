import { app } from "./app";
import { createDb } from "./db/client";
import { purgeLoginAttempts } from "./lib/login-throttle";
import { purgeExpiredSessions } from "./lib/sessions";
import { consumeWebhookBatch } from "./webhooks/consumer";
import type { WebhookJob } from "./webhooks/routes";

export { WhatsAppSandbox } from "./sandbox/sandbox-do";

export default {
  fetch: app.fetch,
  async queue(batch, env, _ctx) {
    if (batch.queue === "herald-webhooks") return consumeWebhookBatch(batch as MessageBatch<WebhookJob>, env);
    console.error(`queue: no consumer for ${batch.queue}; retrying later`);
    batch.retryAll({ delaySeconds: 60 });
  },
  async scheduled(_controller, env) {
    const db = createDb(env.DB);
    await Promise.all([purgeExpiredSessions(db), purgeLoginAttempts(db)]);
  },
} satisfies ExportedHandler<Env>;

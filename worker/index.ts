import { app } from "./app";
import { createDb } from "./db/client";
import { purgeLoginAttempts } from "./lib/login-throttle";
import { purgeExpiredSessions } from "./lib/sessions";

export { WhatsAppSandbox } from "./sandbox/sandbox-do";

export default {
  fetch: app.fetch,
  async queue(batch, env) {
    // Filled in by the webhook consumer.
    for (const message of batch.messages) message.ack();
  },
  async scheduled(_controller, env) {
    const db = createDb(env.DB);
    await Promise.all([purgeExpiredSessions(db), purgeLoginAttempts(db)]);
  },
} satisfies ExportedHandler<Env>;

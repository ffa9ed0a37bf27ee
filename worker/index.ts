import { app } from "./app";
import { createDb } from "./db/client";
import { purgeLoginAttempts } from "./lib/login-throttle";
import { purgeExpiredSessions } from "./lib/sessions";

export default {
  fetch: app.fetch,
  async scheduled(_controller, env) {
    const db = createDb(env.DB);
    await Promise.all([purgeExpiredSessions(db), purgeLoginAttempts(db)]);
  },
} satisfies ExportedHandler<Env>;

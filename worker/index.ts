import { app } from "./app";
import type { OutboundJob } from "./campaigns/campaign-sender";
import { runCampaignCron } from "./campaigns/cron";
import { consumeOutboundBatch } from "./campaigns/outbound-consumer";
import { createDb } from "./db/client";
import { consumeDeadLetters, isDeadLetterQueue } from "./dead-letters/consumer";
import { resealLegacyInboxSecrets } from "./inboxes/secrets";
import { logEvent } from "./lib/log";
import { purgeLoginAttempts } from "./lib/login-throttle";
import { connectLoopback } from "./lib/loopback";
import { purgeExpiredSessions } from "./lib/sessions";
import { consumeWebhookBatch } from "./webhooks/consumer";
import type { WebhookJob } from "./webhooks/job";

export { CampaignSender } from "./campaigns/campaign-sender";
export { InboxLimiter } from "./campaigns/inbox-limiter";
export { WhatsAppSandbox } from "./sandbox/sandbox-do";

// The sandbox reaches the app in process through the loopback; this entry is what owns the app.
connectLoopback((request, env, ctx) => app.fetch(request, env, ctx));

export default {
  fetch: app.fetch,
  async queue(batch, env, ctx) {
    if (batch.queue === "herald-webhooks") return consumeWebhookBatch(batch as MessageBatch<WebhookJob>, env);
    if (batch.queue === "herald-outbound") return consumeOutboundBatch(batch as MessageBatch<OutboundJob>, env, ctx);
    if (isDeadLetterQueue(batch.queue)) return consumeDeadLetters(batch, env);
    logEvent("error", "queue.no_consumer", { queue: batch.queue, message: "retrying later" });
    batch.retryAll({ delaySeconds: 60 });
  },
  async scheduled(_controller, env) {
    const db = createDb(env.DB);
    await Promise.all([runCampaignCron(env, db), purgeExpiredSessions(db), purgeLoginAttempts(db), resealLegacyInboxSecrets(env, db)]);
  },
} satisfies ExportedHandler<Env>;

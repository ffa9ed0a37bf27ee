import { eq } from "drizzle-orm";
import { createDb } from "../db/client";
import { inboxes, type Inbox } from "../db/schema";
import { toTemplateMessage, type TemplateSnapshot } from "../domain/templates";
import { providerFor } from "../provider";
import type { ProviderError, Result, SendAccepted, WhatsAppProvider } from "../provider/types";
import type { Grant, OutboundJob, Outcome } from "./campaign-sender";
import { tierLimit } from "./inbox-limiter";
import { SERVICE_WINDOW_S } from "./launch";

/** How far ahead a consumer may hold a reserved send time before handing the rest back to the queue. */
const MAX_SLOT_WAIT_MS = 2_000;
/** A send waking this much after its reserved time takes a new one instead of going out in a bunch. */
const LATE_SLOT_MS = 20;

const sleepUntil = (at: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));

function outcomeOf(id: number, result: Result<SendAccepted>): Outcome {
  if (result.ok) return { id, result: "sent", wamid: result.value.wamid };
  const e: ProviderError = result.error;
  const base = { id, policy: e.policy, title: e.title, ...(e.code === undefined ? {} : { code: e.code }) };
  switch (e.policy) {
    case "unknown":
      return { id, result: "unknown", title: e.title };
    case "retry_inbox_later":
    case "retry_recipient_later":
      return { ...base, result: "retry", ...(e.retryAfterMs === undefined ? {} : { delayMs: e.retryAfterMs }) };
    default:
      return { ...base, result: "failed", ...(e.details ? { details: e.details } : {}) };
  }
}

/**
 * Sends campaign recipients released by their campaign's Durable Object. For each recipient it
 * reserves a send time from the inbox's limiter (the cap shared by every campaign of the
 * number), waits for it, claims the recipient (granted only if still released and the campaign
 * still sending), calls WhatsApp and reports the outcome at once. A redelivered message finds its
 * recipients already claimed and sends nothing.
 */
export async function consumeOutboundBatch(batch: MessageBatch<OutboundJob>, env: Env, ctx: ExecutionContext): Promise<void> {
  const db = createDb(env.DB);
  const inboxCache = new Map<number, Promise<{ inbox: Inbox; provider: WhatsAppProvider } | null>>();
  const load = (inboxId: number) => {
    let entry = inboxCache.get(inboxId);
    if (!entry) {
      entry = (async () => {
        const inbox = await db.select().from(inboxes).where(eq(inboxes.id, inboxId)).get();
        return inbox ? { inbox, provider: await providerFor(env, inbox, ctx) } : null;
      })();
      inboxCache.set(inboxId, entry);
    }
    return entry;
  };

  await Promise.all(
    batch.messages.map(async (message) => {
      try {
        await sendJob(env, message.body, load);
        message.ack();
      } catch (error) {
        console.error(`outbound: campaign ${message.body.campaignId}: a job failed; retrying`, error);
        message.retry({ delaySeconds: Math.min(2 ** message.attempts, 60) });
      }
    }),
  );
}

async function sendJob(
  env: Env,
  job: OutboundJob,
  load: (inboxId: number) => Promise<{ inbox: Inbox; provider: WhatsAppProvider } | null>,
): Promise<void> {
  const campaign = env.CAMPAIGNS.get(env.CAMPAIGNS.idFromName(String(job.campaignId)));
  const loaded = await load(job.inboxId);
  if (!loaded) {
    // The inbox is gone: nothing can be sent; the recipients stay released and the campaign's
    // own checks decide what happens to them.
    console.error(`outbound: inbox ${job.inboxId} of campaign ${job.campaignId} no longer exists`);
    return;
  }
  const { inbox, provider } = loaded;
  const limiter = env.INBOX_LIMITER.get(env.INBOX_LIMITER.idFromName(String(inbox.id)));
  const { slots } = await limiter.reserve(job.ids.length, inbox.throughputCap, MAX_SLOT_WAIT_MS);
  const now = job.ids.slice(0, slots.length);
  const later = job.ids.slice(slots.length);
  if (later.length) await env.OUTBOUND.send({ ...job, ids: later }, { delaySeconds: 1 });

  await Promise.all(
    now.map(async (id, i) => {
      await sleepUntil(slots[i]!);
      // A send that woke up late lost its slot: sending now would bunch it with the next ones.
      for (let slot = slots[i]!; Date.now() - slot > LATE_SLOT_MS; ) {
        slot = (await limiter.reserve(1, inbox.throughputCap, 60_000)).slots[0] ?? Date.now();
        await sleepUntil(slot);
      }
      // The RPC stub's mapped types lose the union of message kinds; the object is what claim() returns.
      const { grants, template } = (await campaign.claim([id])) as unknown as { grants: Grant[]; template?: TemplateSnapshot };
      const grant: Grant | undefined = grants[0];
      if (!grant) return;
      const outsideWindow = grant.inboundAt === null || Date.now() / 1000 - grant.inboundAt > SERVICE_WINDOW_S;
      const admitted = await limiter.admit(grant.to, tierLimit(inbox.messagingLimitTier), outsideWindow);
      if (!admitted.ok) {
        const until = new Date(admitted.retryAt).toISOString();
        await campaign.report([
          { id, result: "deferred", until: admitted.retryAt, note: `waiting for the messaging limit: ${admitted.used} users reached outside the 24 h window (tier ${inbox.messagingLimitTier}); sending resumes at ${until}` },
        ]);
        return;
      }
      const common = { to: grant.to, bizOpaqueCallbackData: grant.callbackData };
      let result: Result<SendAccepted>;
      try {
        result =
          grant.message.kind === "text"
            ? await provider.sendText({ ...common, body: grant.message.body, previewUrl: grant.message.previewUrl })
            : await provider.sendTemplate({ ...common, ...toTemplateMessage(template!, grant.message.values) });
      } catch (error) {
        // The client classifies its own failures; anything else happened after the claim and may have sent.
        result = { ok: false, error: { policy: "unknown", title: "Sending failed unexpectedly", message: String(error) } };
      }
      if (!result.ok && result.error.policy === "retry_inbox_later") await limiter.throttled(result.error.retryAfterMs);
      if (!result.ok && result.error.policy === "opt_out") {
        await env.DB.prepare("UPDATE contacts SET opted_out_at = coalesce(opted_out_at, unixepoch()), updated_at = unixepoch() WHERE workspace_id = ? AND phone = ?")
          .bind(inbox.workspaceId, grant.to)
          .run();
      }
      await campaign.report([outcomeOf(id, result)]);
    }),
  );
}

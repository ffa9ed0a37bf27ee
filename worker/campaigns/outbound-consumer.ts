import { eq } from "drizzle-orm";
import { createDb } from "../db/client";
import { inboxes, type Inbox } from "../db/schema";
import { toTemplateMessage, type TemplateSnapshot } from "../domain/templates";
import { providerFor } from "../provider";
import type { ProviderError, Result, SendAccepted, TemplateMessage, TextMessage, WhatsAppProvider } from "../provider/types";
import { SERVICE_WINDOW_S } from "./audience";
import type { Grant, OutboundJob, Outcome } from "./campaign-sender";
import { tierLimit, type Turn } from "./inbox-limiter";

/** How far ahead a consumer may hold a send time; claimed recipients without one go back to their campaign. */
const MAX_SLOT_WAIT_MS = 2_000;
/** A send waking this much after its reserved time takes a new one instead of going out in a bunch. */
const LATE_SLOT_MS = 20;
/** A send time further than this from the last "still sending?" answer asks again. */
const RECHECK_AFTER_MS = 250;
/** Attempts at handing a job's outcomes to its campaign (a report is idempotent). */
const REPORT_ATTEMPTS = 4;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sleepUntil = (at: number) => sleep(Math.max(0, at - Date.now()));
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

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

/** Nothing left for WhatsApp: tried again later, using up an attempt (so a failure that repeats ends). */
const notSent = (id: number, title: string): Outcome => ({ id, result: "retry", policy: "retry_recipient_later", title });

type Loaded = { inbox: Inbox; provider: WhatsAppProvider } | { missing: string };

/**
 * Sends campaign recipients released by their campaign's Durable Object. For each job it claims
 * the recipients first (granted only if still released and the campaign still sending, so a
 * duplicate or stale job takes nothing), then takes one turn per grant from the inbox's limiter
 * (the messaging limit, then a send time under the cap shared by every campaign and message of the
 * number), waits for it, calls WhatsApp and reports the job's outcomes in one call.
 *
 * Only a request that may have reached WhatsApp can end `unknown`; anything failing before it
 * left is reported as not sent. An inbox that cannot be used (gone, sandbox off, unreadable
 * secret) pauses the campaign with the reason.
 */
export async function consumeOutboundBatch(batch: MessageBatch<OutboundJob>, env: Env, ctx: ExecutionContext): Promise<void> {
  const db = createDb(env.DB);
  const inboxCache = new Map<number, Promise<Loaded>>();
  const load = (inboxId: number) => {
    let entry = inboxCache.get(inboxId);
    if (!entry) {
      entry = (async (): Promise<Loaded> => {
        const inbox = await db.select().from(inboxes).where(eq(inboxes.id, inboxId)).get();
        if (!inbox) return { missing: "the campaign's inbox no longer exists" };
        try {
          return { inbox, provider: await providerFor(env, inbox, ctx) };
        } catch (error) {
          return { missing: `the inbox "${inbox.name}" cannot send: ${messageOf(error)}; fix the inbox, then resume` };
        }
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

async function sendJob(env: Env, job: OutboundJob, load: (inboxId: number) => Promise<Loaded>): Promise<void> {
  const campaign = env.CAMPAIGNS.get(env.CAMPAIGNS.idFromName(String(job.campaignId)));
  const loaded = await load(job.inboxId);
  if ("missing" in loaded) {
    // Nothing can be sent: the campaign pauses with the reason instead of re-releasing forever.
    await campaign.halt(loaded.missing);
    return;
  }
  const { inbox, provider } = loaded;
  // The RPC stub's mapped types lose the union of message kinds; the object is what claim() returns.
  const { grants, template } = (await campaign.claim(job.ids)) as unknown as { grants: Grant[]; template?: TemplateSnapshot };
  if (grants.length === 0) return;

  const outcomes = await sendGrants(env, inbox, provider, grants, template, goAhead(() => campaign.isSending()));
  await report(campaign, outcomes);
}

/**
 * Whether the campaign still sends, asked again when the last answer is older than
 * RECHECK_AFTER_MS: a claimed recipient whose send time comes after a pause or cancel goes back
 * instead of being sent.
 */
function goAhead(ask: () => Promise<boolean>): () => Promise<boolean> {
  let last: { at: number; answer: Promise<boolean> } | null = null;
  return () => {
    if (!last || Date.now() - last.at > RECHECK_AFTER_MS) last = { at: Date.now(), answer: ask().catch(() => false) };
    return last.answer;
  };
}

async function sendGrants(
  env: Env,
  inbox: Inbox,
  provider: WhatsAppProvider,
  grants: Grant[],
  template: TemplateSnapshot | undefined,
  stillSending: () => Promise<boolean>,
): Promise<Outcome[]> {
  const limiter = env.INBOX_LIMITER.get(env.INBOX_LIMITER.idFromName(String(inbox.id)));
  let turns: Turn[];
  try {
    const now = Date.now() / 1000;
    const messages = grants.map((g) => ({ phone: g.to, outsideWindow: g.inboundAt === null || now - g.inboundAt > SERVICE_WINDOW_S }));
    ({ turns } = await limiter.acquire(messages, inbox.throughputCap, tierLimit(inbox.messagingLimitTier), MAX_SLOT_WAIT_MS));
  } catch (error) {
    return grants.map((g) => notSent(g.id, `the inbox's limiter could not be reached: ${messageOf(error)}`));
  }

  // Set when WhatsApp refuses the campaign itself (e.g. an expired token): the rest of the job is not sent.
  let stopped = false;
  return Promise.all(
    grants.map(async (grant, i): Promise<Outcome> => {
      const turn = turns[i]!;
      if ("later" in turn) return { id: grant.id, result: "returned" };
      if ("deferred" in turn) {
        const until = new Date(turn.deferred.retryAt).toISOString();
        return {
          id: grant.id,
          result: "deferred",
          until: turn.deferred.retryAt,
          note: `waiting for the messaging limit: ${turn.deferred.used} users reached outside the 24 h window (tier ${inbox.messagingLimitTier}); sending resumes at ${until}`,
        };
      }
      let request: () => Promise<Result<SendAccepted>>;
      try {
        await sleepUntil(turn.slot);
        // The campaign stopped meanwhile (paused, cancelled), or WhatsApp refused the campaign itself.
        if (stopped || !(await stillSending()) || stopped) return { id: grant.id, result: "returned" };
        // A send that woke up late lost its slot: sending now would bunch it with the next ones.
        for (let slot = turn.slot; Date.now() - slot > LATE_SLOT_MS; ) {
          const next = (await limiter.reserve(1, inbox.throughputCap, 60_000)).slots[0];
          if (next === undefined) return { id: grant.id, result: "returned" };
          slot = next;
          await sleepUntil(slot);
        }
        const common = { to: grant.to, bizOpaqueCallbackData: grant.callbackData };
        if (grant.message.kind === "text") {
          const text: TextMessage = { ...common, body: grant.message.body, previewUrl: grant.message.previewUrl };
          request = () => provider.sendText(text);
        } else {
          const message: TemplateMessage = { ...common, ...toTemplateMessage(template!, grant.message.values) };
          request = () => provider.sendTemplate(message);
        }
      } catch (error) {
        return notSent(grant.id, `the message could not be prepared: ${messageOf(error)}`);
      }
      let result: Result<SendAccepted>;
      try {
        result = await request();
      } catch (error) {
        // The client classifies its own failures; anything else happened while the request was out.
        result = { ok: false, error: { policy: "unknown", title: "Sending failed unexpectedly", message: messageOf(error) } };
      }
      if (!result.ok && result.error.policy === "pause_campaign") stopped = true;
      await afterSend(env, inbox, limiter, grant, result);
      return outcomeOf(grant.id, result);
    }),
  );
}

/** What a send's answer means for the inbox: a throttled number slows down; an opted-out user is recorded. */
async function afterSend(env: Env, inbox: Inbox, limiter: { throttled(restMs?: number): unknown }, grant: Grant, result: Result<SendAccepted>): Promise<void> {
  if (result.ok) return;
  try {
    if (result.error.policy === "retry_inbox_later") await limiter.throttled(result.error.retryAfterMs);
    if (result.error.policy === "opt_out") {
      await env.DB.prepare("UPDATE contacts SET opted_out_at = coalesce(opted_out_at, unixepoch()), updated_at = unixepoch() WHERE workspace_id = ? AND phone = ?")
        .bind(inbox.workspaceId, grant.to)
        .run();
    }
  } catch (error) {
    console.error(`outbound: inbox ${inbox.id}: could not record the answer for ${grant.to}`, error);
  }
}

/**
 * Hands outcomes to the campaign, trying again a few times: a report is idempotent, and one that
 * never arrives leaves its recipients `sending` until the claim timeout makes them `unknown`.
 */
async function report(campaign: { report(outcomes: Outcome[]): Promise<unknown> }, outcomes: Outcome[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await campaign.report(outcomes);
      return;
    } catch (error) {
      if (attempt >= REPORT_ATTEMPTS) throw error;
      await sleep(100 * 4 ** (attempt - 1));
    }
  }
}

import { eq } from "drizzle-orm";
import { createDb } from "../db/client";
import { type Inbox, inboxes } from "../db/schema";
import { buildTemplateMessage, buildTextMessage } from "../domain/message-builder";
import { tierLimit } from "../domain/messaging-limit";
import type { ProviderError, Result, SendAccepted, TemplateMessage, TextMessage, WhatsAppProvider } from "../domain/provider";
import { type TemplateSnapshot, toTemplateMessage } from "../domain/templates";
import { type FaultPlan, faultPlan } from "../lib/faults";
import { logEvent } from "../lib/log";
import { limiterOf, senderOf } from "../lib/objects";
import { recordRefusal } from "../messages/refusals";
import { providerFor } from "../provider";
import { outsideServiceWindow } from "./audience";
import type { Grant, OutboundJob, Outcome } from "./campaign-sender";
import type { Turn } from "./inbox-limiter";

/** How far ahead a consumer may hold a send time; claimed recipients without one go back to their campaign. */
const MAX_SLOT_WAIT_MS = 2_000;
/** A send waking this much after its reserved time takes a new one instead of going out in a bunch. */
const LATE_SLOT_MS = 20;
/** A send older than this after the limiter's last "current epoch" answer asks again. */
const EPOCH_FRESH_MS = 50;
/** How long claimed recipients wait for a send time before they go back to their campaign. */
const HOLD_FOR_TURN_MS = 4_000;
/** A send time further than this from the last "still sending?" answer asks again. */
const RECHECK_AFTER_MS = 250;
/** Attempts at handing a job's outcomes to its campaign (a report is idempotent). */
const REPORT_ATTEMPTS = 4;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sleepUntil = (at: number) => sleep(Math.max(0, at - Date.now()));
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

function outcomeOf(grant: Grant, result: Result<SendAccepted>): Outcome {
  const { id, claim } = grant;
  if (result.ok) return { id, claim, result: "sent", wamid: result.value.wamid };
  const e: ProviderError = result.error;
  const base = { id, claim, policy: e.policy, title: e.title, ...(e.code === undefined ? {} : { code: e.code }) };
  switch (e.policy) {
    case "unknown":
      return { id, claim, result: "unknown", title: e.title };
    case "retry_inbox_later":
    case "retry_recipient_later":
      return { ...base, result: "retry", ...(e.retryAfterMs === undefined ? {} : { delayMs: e.retryAfterMs }) };
    default:
      return { ...base, result: "failed", ...(e.details ? { details: e.details } : {}) };
  }
}

/** Nothing left for WhatsApp: tried again later, using up an attempt (so a failure that repeats ends). */
const notSent = (grant: Grant, title: string): Outcome => ({ id: grant.id, claim: grant.claim, result: "retry", policy: "retry_recipient_later", title });
const returned = (grant: Grant, until?: number): Outcome => ({
  id: grant.id,
  claim: grant.claim,
  result: "returned",
  ...(until === undefined ? {} : { until }),
});

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
  const faults = faultPlan(env);
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
        await sendJob(env, message.body, load, faults && { plan: faults, job: `${message.body.campaignId}:${message.body.ids.join(",")}:${message.attempts}` });
        message.ack();
      } catch (error) {
        logEvent("error", "outbound.job_failed", { campaign_id: message.body.campaignId, inbox_id: message.body.inboxId, message: "retrying", error });
        message.retry({ delaySeconds: Math.min(2 ** message.attempts, 60) });
      }
    }),
  );
}

/** The fault plan (local development only; see lib/faults.ts) and the name of this delivery of the job. */
type InjectedFaults = { plan: FaultPlan; job: string } | null;

async function sendJob(env: Env, job: OutboundJob, load: (inboxId: number) => Promise<Loaded>, faults: InjectedFaults): Promise<void> {
  const stub = () => senderOf(env, job.campaignId);
  // Outcomes whose report failed earlier: only the report is left to do.
  if (job.report) {
    await stub().report(job.report);
    return;
  }
  const campaign = stub();
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
  faults?.plan.crash("crash_after_claim", faults.job);

  const outcomes = await sendGrants(
    env,
    job.campaignId,
    inbox,
    provider,
    grants,
    template,
    goAhead(() => campaign.isSending()),
  );
  faults?.plan.crash("crash_before_report", faults.job);
  try {
    // A fresh stub per attempt: a stub whose object was reset meanwhile cannot be used again.
    await report(stub, outcomes);
  } catch (error) {
    // Re-running the job would claim nothing and lose the outcomes: they go back to the queue on their own.
    logEvent("error", "outbound.report_failed", { campaign_id: job.campaignId, inbox_id: job.inboxId, message: "queued again", error });
    await env.OUTBOUND.send({ campaignId: job.campaignId, inboxId: job.inboxId, ids: [], report: outcomes }, { delaySeconds: 5 });
  }
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
  campaignId: number,
  inbox: Inbox,
  provider: WhatsAppProvider,
  grants: Grant[],
  template: TemplateSnapshot | undefined,
  stillSending: () => Promise<boolean>,
): Promise<Outcome[]> {
  const limiter = limiterOf(env, inbox.id);
  const acquire = (some: Grant[]) => {
    const now = Date.now();
    const messages = some.map((g) => ({ phone: g.to, outsideWindow: outsideServiceWindow(g.inboundAt, now) }));
    return limiter.acquire(`campaign:${campaignId}`, messages, inbox.throughputCap, tierLimit(inbox.messagingLimitTier), MAX_SLOT_WAIT_MS);
  };
  const holdUntil = Date.now() + HOLD_FOR_TURN_MS;
  // Set when WhatsApp refuses the campaign itself (e.g. an expired token): the rest of the job is not sent.
  let stopped = false;
  // The limiter's epoch, asked again when the last answer is older than EPOCH_FRESH_MS.
  let known: { at: number; answer: Promise<{ epoch: number; nextFree: number }> } | null = null;
  const limiterNow = () => {
    if (!known || Date.now() - known.at > EPOCH_FRESH_MS) known = { at: Date.now(), answer: limiter.current() };
    return known.answer;
  };
  const send = async (grant: Grant, turn: Turn): Promise<Outcome> => {
    if ("later" in turn) return returned(grant, turn.later);
    if ("deferred" in turn) {
      const until = new Date(turn.deferred.retryAt).toISOString();
      return {
        id: grant.id,
        claim: grant.claim,
        result: "deferred",
        until: turn.deferred.retryAt,
        note: `waiting for the messaging limit: ${turn.deferred.used} users reached outside the 24 h window (tier ${inbox.messagingLimitTier}); sending resumes at ${until}`,
      };
    }
    let request: () => Promise<Result<SendAccepted>>;
    try {
      const common = { to: grant.to, bizOpaqueCallbackData: grant.callbackData };
      if (grant.message.kind === "text") {
        const text: TextMessage = { ...common, body: grant.message.body, previewUrl: grant.message.previewUrl };
        buildTextMessage(text);
        request = () => provider.sendText(text);
      } else {
        const message: TemplateMessage = { ...common, ...toTemplateMessage(template!, grant.message.values) };
        buildTemplateMessage(message);
        request = () => provider.sendTemplate(message);
      }
    } catch (error) {
      // The same content would fail the same way: the recipient fails, nothing was sent.
      return {
        id: grant.id,
        claim: grant.claim,
        result: "failed",
        policy: "fail_recipient",
        title: "The message could not be built",
        details: messageOf(error),
      };
    }
    let epoch = turn.epoch;
    try {
      await sleepUntil(turn.slot);
      // A send that woke up late lost its slot: sending now would bunch it with the next ones.
      for (let slot = turn.slot; Date.now() - slot > LATE_SLOT_MS; ) {
        const again = await limiter.reserve(1, inbox.throughputCap, MAX_SLOT_WAIT_MS);
        if (again.slots[0] === undefined) return returned(grant);
        slot = again.slots[0];
        epoch = again.epoch;
        await sleepUntil(slot);
      }
      // WhatsApp throttled the number since this time was handed out: the time was revoked.
      const now = await limiterNow();
      if (now.epoch !== epoch) return returned(grant, now.nextFree);
    } catch (error) {
      return notSent(grant, `the inbox's limiter could not be reached: ${messageOf(error)}`);
    }
    // The campaign stopped meanwhile (paused, cancelled), or WhatsApp refused the campaign itself.
    if (stopped || !(await stillSending()) || stopped) return returned(grant);
    let result: Result<SendAccepted>;
    try {
      result = await request();
    } catch (error) {
      // The client classifies its own failures; anything else happened while the request was out.
      result = { ok: false, error: { policy: "unknown", title: "Sending failed unexpectedly", message: messageOf(error) } };
    }
    if (!result.ok && result.error.policy === "pause_campaign") stopped = true;
    await afterSend(env, inbox, limiter, grant, result, epoch);
    return outcomeOf(grant, result);
  };

  // Grants without a send time wait for one (their campaign's share of the times ahead frees up as
  // its own sends go out) for up to HOLD_FOR_TURN_MS, asking again together; the rest go back.
  const outcomes = new Map<Grant, Promise<Outcome>>();
  let waiting = grants;
  while (waiting.length) {
    let turns: Turn[];
    try {
      ({ turns } = await acquire(waiting));
    } catch (error) {
      for (const g of waiting) outcomes.set(g, Promise.resolve(notSent(g, `the inbox's limiter could not be reached: ${messageOf(error)}`)));
      break;
    }
    const again: Grant[] = [];
    let earliest = Infinity;
    waiting.forEach((grant, k) => {
      const turn = turns[k]!;
      if ("later" in turn && turn.later <= holdUntil && !stopped) {
        again.push(grant);
        earliest = Math.min(earliest, turn.later);
      } else outcomes.set(grant, send(grant, turn));
    });
    if (again.length === 0) break;
    await sleepUntil(earliest);
    waiting = again;
  }
  return Promise.all(grants.map((g) => outcomes.get(g)!));
}

/**
 * What a send's answer means beyond its recipient: a marketing refusal is recorded
 * (`recordRefusal`); a throttled number slows down.
 */
async function afterSend(
  env: Env,
  inbox: Inbox,
  limiter: { throttled(restMs?: number, epoch?: number): unknown },
  grant: Grant,
  result: Result<SendAccepted>,
  epoch: number,
): Promise<void> {
  if (result.ok) return;
  await recordRefusal(env.DB, { workspaceId: inbox.workspaceId, inboxId: inbox.id, to: grant.to, callbackData: grant.callbackData }, result.error);
  if (result.error.policy !== "retry_inbox_later") return;
  try {
    await limiter.throttled(result.error.retryAfterMs, epoch);
  } catch (error) {
    logEvent("error", "outbound.slowdown_unrecorded", { workspace_id: inbox.workspaceId, inbox_id: inbox.id, error });
  }
}

/**
 * Hands outcomes to the campaign, trying again a few times: a report is idempotent, and one that
 * never arrives leaves its recipients `sending` until the claim timeout makes them `unknown`.
 */
async function report(campaign: () => { report(outcomes: Outcome[]): Promise<unknown> }, outcomes: Outcome[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await campaign().report(outcomes);
      return;
    } catch (error) {
      if (attempt >= REPORT_ATTEMPTS) throw error;
      await sleep(100 * 4 ** (attempt - 1));
    }
  }
}

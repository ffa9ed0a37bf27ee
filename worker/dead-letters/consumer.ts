import { z } from "zod";
import type { Outcome } from "../campaigns/campaign-sender";
import { parseEnvelopeText } from "../domain/webhook-envelope";
import { logEvent } from "../lib/log";
import { senderOf } from "../lib/objects";

/** The dead-letter queues (wrangler.toml) and the queue whose messages each one receives. */
export const DEAD_LETTER_QUEUES = { "herald-webhooks-dead": "herald-webhooks", "herald-outbound-dead": "herald-outbound" } as const;
export type DeadLetterQueue = keyof typeof DEAD_LETTER_QUEUES;
export const isDeadLetterQueue = (queue: string): queue is DeadLetterQueue => Object.hasOwn(DEAD_LETTER_QUEUES, queue);

/** Characters of a message body kept with its dead letter; the rest is cut (and the row says so). */
export const DEAD_LETTER_BODY_MAX = 16 * 1024;
/** Recipient ids named in a summary; the body holds them all. */
const IDS_IN_SUMMARY = 10;

export type DeadLetterKind = "webhook" | "release" | "report" | "unknown";

const webhookJob = z.object({
  inboxId: z.number().int(),
  workspaceId: z.number().int(),
  receivedAt: z.number().optional(),
  body: z.string().optional(),
  events: z.array(z.looseObject({ kind: z.string() })).optional(),
});
const outboundJob = z.object({
  campaignId: z.number().int(),
  inboxId: z.number().int(),
  ids: z.array(z.number().int()),
  report: z.array(z.looseObject({ id: z.number().int(), result: z.string() })).optional(),
});

type Described = { kind: DeadLetterKind; summary: string; inboxId: number | null; campaignId: number | null };
type Recorded = Described & { queue: DeadLetterQueue; workspaceId: number | null };

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const tally = (values: string[]) =>
  Object.entries(
    values.reduce<Record<string, number>>((acc, v) => {
      acc[v] = (acc[v] ?? 0) + 1;
      return acc;
    }, {}),
  )
    .map(([value, n]) => `${n} ${value}`)
    .join(", ");

/** The body as JSON, cut at DEAD_LETTER_BODY_MAX characters (never inside a surrogate pair). */
function boundedJson(body: unknown): { text: string; truncated: boolean } {
  let text: string;
  try {
    text = JSON.stringify(body) ?? String(body);
  } catch {
    text = String(body);
  }
  if (text.length <= DEAD_LETTER_BODY_MAX) return { text, truncated: false };
  const end = /[\uD800-\uDBFF]/.test(text[DEAD_LETTER_BODY_MAX - 1]!) ? DEAD_LETTER_BODY_MAX - 1 : DEAD_LETTER_BODY_MAX;
  return { text: text.slice(0, end), truncated: true };
}

function describeWebhook(body: unknown): Described & { claimedWorkspace: number | null } {
  const job = webhookJob.safeParse(body);
  if (!job.success) return { kind: "unknown", summary: "a webhook job of an unknown shape", inboxId: null, campaignId: null, claimedWorkspace: null };
  const { inboxId, workspaceId, receivedAt, events } = job.data;
  let kinds: string[] | null = events?.map((e) => e.kind) ?? null;
  if (kinds === null && job.data.body !== undefined) {
    const parsed = parseEnvelopeText(job.data.body);
    kinds = parsed.ok ? parsed.events.map((e) => e.kind) : null;
  }
  const count = (kind: string) => kinds?.filter((k) => k === kind).length ?? 0;
  const what =
    kinds === null
      ? "a payload that is not a WhatsApp envelope"
      : kinds.length === 0
        ? "no events"
        : [
            count("status") && plural(count("status"), "status", "statuses"),
            count("inbound") && plural(count("inbound"), "inbound message"),
            count("template_status") && plural(count("template_status"), "template change"),
          ]
            .filter(Boolean)
            .join(", ");
  const when = receivedAt ? ` received ${new Date(receivedAt).toISOString()}` : "";
  return { kind: "webhook", summary: `inbox ${inboxId}: ${what}${when}, never applied`, inboxId, campaignId: null, claimedWorkspace: workspaceId };
}

function describeOutbound(body: unknown): Described & { report: Outcome[] | null } {
  const job = outboundJob.safeParse(body);
  if (!job.success) return { kind: "unknown", summary: "an outbound job of an unknown shape", inboxId: null, campaignId: null, report: null };
  const { campaignId, inboxId, ids, report } = job.data;
  if (report) {
    return {
      kind: "report",
      summary: `campaign ${campaignId}: the outcomes of ${plural(report.length, "recipient")} (${tally(report.map((o) => o.result))}) never reached the campaign`,
      inboxId,
      campaignId,
      report: report as unknown as Outcome[],
    };
  }
  const shown = ids.slice(0, IDS_IN_SUMMARY).join(", ") + (ids.length > IDS_IN_SUMMARY ? ", …" : "");
  return {
    kind: "release",
    summary:
      `campaign ${campaignId}: ${plural(ids.length, "released recipient")} (ids ${shown}) this job never sent; ` +
      "the campaign releases unclaimed ones again, and a claimed one with no report ends unknown after the claim timeout",
    inboxId,
    campaignId,
    report: null,
  };
}

/**
 * What a dead letter is about and whose it is. A webhook job belongs to the workspace it names if
 * that workspace still exists; an outbound job to its campaign's workspace, else its inbox's. An
 * outbound report is handed to its campaign once more (reports are idempotent and apply only to
 * recipients still held by that claim), so outcomes that arrive before the claim timeout are kept.
 */
async function resolve(env: Env, queue: DeadLetterQueue, body: unknown): Promise<Recorded> {
  if (queue === "herald-webhooks-dead") {
    const { claimedWorkspace, ...described } = describeWebhook(body);
    const row =
      claimedWorkspace === null ? null : await env.DB.prepare("SELECT id FROM workspaces WHERE id = ?").bind(claimedWorkspace).first<{ id: number }>();
    return { ...described, queue, workspaceId: row?.id ?? null };
  }
  const { report, ...described } = describeOutbound(body);
  if (described.campaignId === null) return { ...described, queue, workspaceId: null };
  const owner = await env.DB.prepare(
    "SELECT (SELECT workspace_id FROM campaigns WHERE id = ?1) AS campaign, (SELECT workspace_id FROM inboxes WHERE id = ?2) AS inbox",
  )
    .bind(described.campaignId, described.inboxId)
    .first<{ campaign: number | null; inbox: number | null }>();
  let summary = described.summary;
  if (report && owner?.campaign != null) {
    try {
      await senderOf(env, described.campaignId).report(report);
      summary += "; handed to it again (recipients whose claim had already expired stay unknown)";
    } catch (error) {
      summary += `; it could not be reached (${messageOf(error)}): its recipients end unknown after the claim timeout`;
    }
  } else if (report) {
    summary += "; the campaign no longer exists";
  }
  return { ...described, summary, queue, workspaceId: owner?.campaign ?? owner?.inbox ?? null };
}

/**
 * Consumes the dead-letter queues: each message Queues gave up on is recorded in `dead_letters`
 * (once per queue message, body cut at DEAD_LETTER_BODY_MAX), logged as one JSON line, and
 * acknowledged. A message that cannot be recorded is retried.
 */
export async function consumeDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const queue = batch.queue as DeadLetterQueue;
  await Promise.all(
    batch.messages.map(async (message) => {
      try {
        const letter = await resolve(env, queue, message.body);
        const body = boundedJson(message.body);
        await env.DB.prepare(
          `INSERT INTO dead_letters (queue, message_id, workspace_id, inbox_id, campaign_id, kind, summary, body, body_truncated)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (queue, message_id) DO NOTHING`,
        )
          .bind(queue, message.id, letter.workspaceId, letter.inboxId, letter.campaignId, letter.kind, letter.summary, body.text, body.truncated ? 1 : 0)
          .run();
        logEvent("error", "dead_letter", {
          queue,
          from_queue: DEAD_LETTER_QUEUES[queue],
          queue_message_id: message.id,
          kind: letter.kind,
          workspace_id: letter.workspaceId,
          inbox_id: letter.inboxId,
          campaign_id: letter.campaignId,
          summary: letter.summary,
        });
        message.ack();
      } catch (error) {
        logEvent("error", "dead_letter.unrecorded", { queue, queue_message_id: message.id, error });
        message.retry({ delaySeconds: Math.min(2 ** message.attempts, 300) });
      }
    }),
  );
}

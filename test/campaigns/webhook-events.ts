/**
 * WhatsApp webhook events for a campaign's recipients, handed to the Worker's webhook consumer
 * as Meta would send them through the campaign's inbox: statuses and inbound messages.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { parseWebhookEnvelope } from "../../worker/domain/webhook-envelope";
import worker from "../../worker/index";
import type { WebhookJob } from "../../worker/webhooks/job";
import type { World } from "./world";

/** A `messages` webhook envelope of `w`'s inbox carrying `value` (statuses and/or messages). */
export const envelope = (w: Pick<World, "inbox">, value: Record<string, unknown>) => ({
  object: "whatsapp_business_account",
  entry: [
    {
      id: "1",
      changes: [
        {
          field: "messages",
          value: { messaging_product: "whatsapp", metadata: { display_phone_number: "1", phone_number_id: w.inbox.phone_number_id }, ...value },
        },
      ],
    },
  ],
});

/** A status of recipient `r`'s campaign message at unix time `ts`. */
export const status = (
  campaignId: number,
  r: { id: number; wamid: string | null; phone: string },
  s: string,
  ts: number,
  extra: Record<string, unknown> = {},
) => ({
  id: r.wamid,
  status: s,
  timestamp: String(ts),
  recipient_id: r.phone.slice(1),
  biz_opaque_callback_data: `herald:c:${campaignId}:${r.id}`,
  ...extra,
});

/** Runs the webhook consumer on envelopes received through `w`'s inbox. */
export async function consume(w: Pick<World, "inbox" | "admin">, ...envelopes: unknown[]) {
  const messages = envelopes.map((e, i) => {
    const parsed = parseWebhookEnvelope(e);
    if (!parsed.ok) throw new Error(parsed.reason);
    const body: WebhookJob = { inboxId: w.inbox.id, workspaceId: w.admin.workspaceId, receivedAt: Date.now(), events: parsed.events };
    return { id: `m${i}-${Math.random()}`, timestamp: new Date(), attempts: 1, body };
  });
  const batch = createMessageBatch("herald-webhooks", messages);
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch<WebhookJob>, env, ctx);
  const result = await getQueueResult(batch, ctx);
  expect(result.retryMessages).toEqual([]);
}

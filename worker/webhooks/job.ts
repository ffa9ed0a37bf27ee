import type { WebhookEvent } from "../domain/webhook-envelope";

/**
 * What the webhook route hands to the queue: the verified body of one POST as it arrived (the
 * consumer parses it), or, for a body too large for one queue message, its events in parts.
 */
export type WebhookJob = { inboxId: number; workspaceId: number; receivedAt: number } & ({ body: string } | { events: WebhookEvent[] });

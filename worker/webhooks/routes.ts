import { Hono } from "hono";
import { parseEnvelopeText } from "../domain/webhook-envelope";
import type { AppEnv } from "../lib/context";
import { timingSafeEqual } from "../lib/crypto";
import { logEvent } from "../lib/log";
import { signedByInbox, webhookInboxes } from "./inbox-directory";
import type { WebhookJob } from "./job";

const MAX_BODY_BYTES = 3 * 1024 * 1024;
/** Bodies up to this size travel as they are (Queues take messages up to 128 KB). */
const RAW_JOB_MAX_BYTES = 96 * 1024;
/** Events per queue message when a large body is split: keeps each message far below the limit. */
const EVENTS_PER_JOB = 40;

/** A `sendBatch` takes at most 100 messages and 256 KB in all: the jobs in runs that fit. */
function sendBatches<T extends { body: unknown }>(jobs: readonly T[], maxBytes = 224 * 1024): T[][] {
  const encoder = new TextEncoder();
  const out: T[][] = [];
  let run: T[] = [];
  let bytes = 0;
  for (const job of jobs) {
    const size = encoder.encode(JSON.stringify(job.body)).byteLength;
    if (run.length > 0 && (run.length === 100 || bytes + size > maxBytes)) {
      out.push(run);
      run = [];
      bytes = 0;
    }
    run.push(job);
    bytes += size;
  }
  if (run.length > 0) out.push(run);
  return out;
}

/**
 * The request's body, counted as it is read: null (and the rest left unread) as soon as it passes
 * `maxBytes`, whether or not the request declared a `Content-Length`.
 * @example const body = await readBody(c.req.raw, MAX_BODY_BYTES); if (!body) return plain("payload too large", 413);
 */
async function readBody(request: Request, maxBytes: number): Promise<ArrayBuffer | null> {
  if (Number(request.headers.get("content-length") ?? 0) > maxBytes) return null;
  if (!request.body) return new ArrayBuffer(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel("payload too large").catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.byteLength;
  }
  return body.buffer;
}

const inboxIdOf = (raw: string) => (/^[1-9]\d{0,15}$/.test(raw) ? Number(raw) : null);

const plain = (text: string, status: number) => new Response(text, { status, headers: { "content-type": "text/plain; charset=utf-8" } });

/**
 * Meta's webhooks for one inbox: GET answers the verification handshake, POST checks the
 * signature over the raw body before anything is parsed, then queues the events and answers 200.
 */
export const webhookRoutes = new Hono<AppEnv>()
  .get("/whatsapp/:inboxId", async (c) => {
    const inboxId = inboxIdOf(c.req.param("inboxId"));
    const auth = inboxId === null ? null : await webhookInboxes.lookup(c.env, inboxId);
    const mode = c.req.query("hub.mode");
    const token = c.req.query("hub.verify_token") ?? "";
    const challenge = c.req.query("hub.challenge") ?? "";
    // An inbox that does not exist is refused as a wrong verify token is.
    if (!auth || mode !== "subscribe" || !timingSafeEqual(token, auth.verifyToken)) return plain("verification failed", 403);
    return plain(challenge, 200);
  })
  .post("/whatsapp/:inboxId", async (c) => {
    // The size is checked before the inbox, and an inbox that does not exist is refused as a wrong
    // signature is: the answer never tells which inbox ids exist.
    const body = await readBody(c.req.raw, MAX_BODY_BYTES);
    if (!body) return plain("payload too large", 413);
    const inboxId = inboxIdOf(c.req.param("inboxId"));
    const auth = inboxId === null ? null : await webhookInboxes.lookup(c.env, inboxId);
    if (inboxId === null || !auth || !(await signedByInbox(auth, body, c.req.header("x-hub-signature-256")))) {
      return plain("invalid signature", 401);
    }
    const receivedAt = Date.now();
    const text = new TextDecoder().decode(body);
    // The usual envelope goes to the queue untouched: parsing it is the consumer's work, and the
    // acknowledgement Meta waits for costs only the signature check and one queue write.
    if (body.byteLength <= RAW_JOB_MAX_BYTES) {
      await c.env.WEBHOOKS.send({ inboxId, workspaceId: auth.workspaceId, receivedAt, body: text } satisfies WebhookJob);
      return plain("EVENT_RECEIVED", 200);
    }
    const parsed = parseEnvelopeText(text);
    if (!parsed.ok) {
      // Signed by Meta but not a WhatsApp envelope: retrying would not help, so acknowledge it.
      logEvent("warn", "webhooks.payload_ignored", { inbox_id: inboxId, reason: parsed.reason });
      return plain("ignored", 200);
    }
    const jobs: { body: WebhookJob }[] = [];
    for (let i = 0; i < parsed.events.length; i += EVENTS_PER_JOB) {
      jobs.push({ body: { inboxId, workspaceId: auth.workspaceId, receivedAt, events: parsed.events.slice(i, i + EVENTS_PER_JOB) } });
    }
    for (const part of sendBatches(jobs)) await c.env.WEBHOOKS.sendBatch(part);
    return plain("EVENT_RECEIVED", 200);
  });

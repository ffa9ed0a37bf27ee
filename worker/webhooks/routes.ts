import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { createDb } from "../db/client";
import { inboxes } from "../db/schema";
import { parseEnvelopeText, type WebhookEvent } from "../domain/webhook-envelope";
import type { AppEnv } from "../lib/context";
import { timingSafeEqual } from "../lib/crypto";
import { inboxSecrets } from "../db/inbox-secrets";
import { hmacKey, verifySignature } from "./signature";

/**
 * What the webhook route hands to the queue: the verified body of one POST as it arrived (the
 * consumer parses it), or, for a body too large for one queue message, its events in parts.
 */
export type WebhookJob = { inboxId: number; workspaceId: number; receivedAt: number } & ({ body: string } | { events: WebhookEvent[] });

const MAX_BODY_BYTES = 3 * 1024 * 1024;
/** Bodies up to this size travel as they are (Queues take messages up to 128 KB). */
const RAW_JOB_MAX_BYTES = 96 * 1024;
/** Events per queue message when a large body is split: keeps each message far below the limit. */
const EVENTS_PER_JOB = 40;
const CACHE_TTL_MS = 30_000;

type InboxAuth = { workspaceId: number; verifyToken: string; key: CryptoKey | null; at: number };
// Decrypting the app secret and importing the HMAC key costs more than the rest of the request;
// it is kept per isolate for a short while (a rotated secret takes effect within CACHE_TTL_MS).
const authCache = new Map<number, InboxAuth>();

async function inboxAuth(env: Env, inboxId: number): Promise<InboxAuth | null> {
  const cached = authCache.get(inboxId);
  if (cached && Date.now() - cached.at < CACHE_TTL_MS) return cached;
  const inbox = await createDb(env.DB).select().from(inboxes).where(eq(inboxes.id, inboxId)).get();
  if (!inbox) {
    authCache.delete(inboxId);
    return null;
  }
  let key: CryptoKey | null = null;
  try {
    const { appSecret } = await inboxSecrets(env, inbox);
    key = appSecret ? await hmacKey(appSecret) : null;
  } catch (error) {
    console.error(`webhooks: the app secret of inbox ${inboxId} cannot be decrypted`, error);
  }
  const auth = { workspaceId: inbox.workspaceId, verifyToken: inbox.verifyToken, key, at: Date.now() };
  authCache.set(inboxId, auth);
  return auth;
}

/** Forgets cached credentials, e.g. after an inbox changed. */
export function forgetWebhookAuth(inboxId?: number) {
  if (inboxId === undefined) authCache.clear();
  else authCache.delete(inboxId);
}

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

const inboxIdOf = (raw: string) => (/^[1-9]\d{0,15}$/.test(raw) ? Number(raw) : null);

const plain = (text: string, status: number) => new Response(text, { status, headers: { "content-type": "text/plain; charset=utf-8" } });

/**
 * Meta's webhooks for one inbox: GET answers the verification handshake, POST checks the
 * signature over the raw body before anything is parsed, then queues the events and answers 200.
 */
export const webhookRoutes = new Hono<AppEnv>()
  .get("/whatsapp/:inboxId", async (c) => {
    const inboxId = inboxIdOf(c.req.param("inboxId"));
    const auth = inboxId === null ? null : await inboxAuth(c.env, inboxId);
    if (!auth) return plain("unknown inbox", 404);
    const mode = c.req.query("hub.mode");
    const token = c.req.query("hub.verify_token") ?? "";
    const challenge = c.req.query("hub.challenge") ?? "";
    if (mode !== "subscribe" || !timingSafeEqual(token, auth.verifyToken)) return plain("verification failed", 403);
    return plain(challenge, 200);
  })
  .post("/whatsapp/:inboxId", async (c) => {
    const inboxId = inboxIdOf(c.req.param("inboxId"));
    const auth = inboxId === null ? null : await inboxAuth(c.env, inboxId);
    if (!auth || inboxId === null) return plain("unknown inbox", 404);
    if (Number(c.req.header("content-length") ?? 0) > MAX_BODY_BYTES) return plain("payload too large", 413);
    const body = await c.req.arrayBuffer();
    if (body.byteLength > MAX_BODY_BYTES) return plain("payload too large", 413);
    if (!auth.key || !(await verifySignature(auth.key, body, c.req.header("x-hub-signature-256")))) {
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
      console.warn(`webhooks: inbox ${inboxId}: ignored a payload: ${parsed.reason}`);
      return plain("ignored", 200);
    }
    const jobs: { body: WebhookJob }[] = [];
    for (let i = 0; i < parsed.events.length; i += EVENTS_PER_JOB) {
      jobs.push({ body: { inboxId, workspaceId: auth.workspaceId, receivedAt, events: parsed.events.slice(i, i + EVENTS_PER_JOB) } });
    }
    for (const part of sendBatches(jobs)) await c.env.WEBHOOKS.sendBatch(part);
    return plain("EVENT_RECEIVED", 200);
  });

import { eq, max } from "drizzle-orm";
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
/** How long an inbox's credentials are kept per isolate (a rotated secret takes effect within it). */
const CACHE_TTL_MS = 30_000;
/** How long the highest inbox id read from D1 is trusted for ids far above it. */
const HIGHEST_ID_TTL_MS = 5_000;
/** Ids this close above the highest known may be inboxes created since: they are checked again. */
const NEW_ID_RANGE = 32;
/** How long an id above the highest, checked and not found, is answered from memory. */
const NEW_ID_RECHECK_MS = 5_000;
/** How long an id at or below the highest without a row is remembered, and how many are. */
const MISSING_TTL_MS = 10 * 60_000;
const MISSING_MAX = 4_096;

type InboxAuth = { workspaceId: number; verifyToken: string; key: CryptoKey | null; at: number };
/** An id found without an inbox: for good (at or below the highest id) or for now (above it). */
type Missing = { at: number; forGood: boolean };

/**
 * The inboxes the webhook route knows, per isolate, so that neither a known inbox nor a request
 * to an id that does not exist costs a D1 read each time. Inbox ids are AUTOINCREMENT, never
 * reused, so:
 * - an id at or below the highest existing one that has no row (a deleted inbox) never gets one:
 *   the most recent MISSING_MAX such ids are answered from memory for MISSING_TTL_MS;
 * - an id above the highest does not exist yet. The highest id is read again at most once per
 *   HIGHEST_ID_TTL_MS for ids far above it, and for an id within NEW_ID_RANGE above it (an inbox
 *   created since) at most once per NEW_ID_RECHECK_MS for that id. So a new inbox answers at
 *   once, unless its very id was asked for in the NEW_ID_RECHECK_MS before it existed: then it
 *   answers within that time. However many requests come for unknown ids, they cost at most one
 *   read of the highest id per HIGHEST_ID_TTL_MS, NEW_ID_RANGE per NEW_ID_RECHECK_MS, and one
 *   per deleted inbox per MISSING_TTL_MS;
 * - an inbox's credentials (decrypting the app secret and importing the HMAC key cost more than
 *   the rest of the request) are kept for CACHE_TTL_MS.
 */
class InboxDirectory {
  /** D1 queries made so far. */
  reads = 0;
  private readonly known = new Map<number, InboxAuth>();
  /** Ids without an inbox, oldest first. */
  private readonly missing = new Map<number, Missing>();
  private highest = { id: 0, at: Number.NEGATIVE_INFINITY };
  private highestRead: Promise<void> | null = null;

  async lookup(env: Env, inboxId: number): Promise<InboxAuth | null> {
    const now = Date.now();
    const cached = this.known.get(inboxId);
    if (cached && now - cached.at < CACHE_TTL_MS) return cached;
    const missing = this.missing.get(inboxId);
    if (missing && now - missing.at < (missing.forGood ? MISSING_TTL_MS : NEW_ID_RECHECK_MS)) return null;
    if (inboxId > this.highest.id) {
      const isNew = inboxId <= this.highest.id + NEW_ID_RANGE;
      if (isNew || now - this.highest.at >= HIGHEST_ID_TTL_MS) await this.readHighest(env);
      if (inboxId > this.highest.id) {
        if (isNew) this.remember(inboxId, { at: now, forGood: false });
        return null;
      }
    }
    // Read after the highest id: a row missing now at or below it was deleted, not yet to come.
    this.reads++;
    const inbox = await createDb(env.DB).select().from(inboxes).where(eq(inboxes.id, inboxId)).get();
    if (!inbox) {
      this.known.delete(inboxId);
      this.remember(inboxId, { at: now, forGood: true });
      return null;
    }
    this.missing.delete(inboxId);
    let key: CryptoKey | null = null;
    try {
      const { appSecret } = await inboxSecrets(env, inbox);
      key = appSecret ? await hmacKey(appSecret) : null;
    } catch (error) {
      console.error(`webhooks: the app secret of inbox ${inboxId} cannot be decrypted`, error);
    }
    const auth = { workspaceId: inbox.workspaceId, verifyToken: inbox.verifyToken, key, at: Date.now() };
    this.known.set(inboxId, auth);
    return auth;
  }

  /** Forgets what is known of one inbox (a new one included), or of all. */
  forget(inboxId?: number): void {
    if (inboxId !== undefined) {
      this.known.delete(inboxId);
      this.missing.delete(inboxId);
      return;
    }
    this.known.clear();
    this.missing.clear();
    this.highest = { id: 0, at: Number.NEGATIVE_INFINITY };
  }

  /** One read of the highest id for all the requests waiting on it. */
  private readHighest(env: Env): Promise<void> {
    this.highestRead ??= (async () => {
      try {
        this.reads++;
        const row = await createDb(env.DB).select({ id: max(inboxes.id) }).from(inboxes).get();
        this.highest = { id: row?.id ?? 0, at: Date.now() };
      } finally {
        this.highestRead = null;
      }
    })();
    return this.highestRead;
  }

  private remember(inboxId: number, missing: Missing): void {
    this.missing.delete(inboxId);
    this.missing.set(inboxId, missing);
    if (this.missing.size > MISSING_MAX) this.missing.delete(this.missing.keys().next().value!);
  }
}

/** The webhook route's inboxes in this isolate (`reads` counts its D1 queries). */
export const webhookInboxes = new InboxDirectory();

/** Forgets cached credentials, e.g. after an inbox changed (no id: everything the route knows). */
export function forgetWebhookAuth(inboxId?: number) {
  webhookInboxes.forget(inboxId);
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
    if (inboxId === null || !auth?.key || !(await verifySignature(auth.key, body, c.req.header("x-hub-signature-256")))) {
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

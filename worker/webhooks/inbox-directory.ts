import { eq, max } from "drizzle-orm";
import { createDb } from "../db/client";
import { inboxes } from "../db/schema";
import { inboxSecrets, previousInboxSecrets, SECRET_GRACE_S } from "../inboxes/secrets";
import { logEvent } from "../lib/log";
import { hmacKey, verifySignature } from "./signature";

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

/**
 * What the webhook route needs of an inbox: its workspace, verify token, the HMAC key of its app
 * secret and, while the grace period after a change of the app secret lasts (until
 * `previousUntil`, epoch ms), the key of the one before.
 */
export type InboxAuth = { workspaceId: number; verifyToken: string; key: CryptoKey | null; previous: { key: CryptoKey; until: number } | null; at: number };
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
      logEvent("error", "webhooks.app_secret_unreadable", { workspace_id: inbox.workspaceId, inbox_id: inboxId, error });
    }
    const { appSecret: previousSecret } = await previousInboxSecrets(env, inbox, now);
    const previous =
      previousSecret && inbox.appSecretRotatedAt !== null
        ? { key: await hmacKey(previousSecret), until: (inbox.appSecretRotatedAt + SECRET_GRACE_S) * 1000 }
        : null;
    const auth = { workspaceId: inbox.workspaceId, verifyToken: inbox.verifyToken, key, previous, at: Date.now() };
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
        const row = await createDb(env.DB)
          .select({ id: max(inboxes.id) })
          .from(inboxes)
          .get();
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

/**
 * Whether a webhook body carries the inbox's signature: made with its app secret, or with the
 * one before it while the grace period after the change lasts.
 */
export async function signedByInbox(auth: InboxAuth, body: ArrayBuffer, header: string | null | undefined): Promise<boolean> {
  if (auth.key && (await verifySignature(auth.key, body, header))) return true;
  return auth.previous !== null && Date.now() < auth.previous.until && (await verifySignature(auth.previous.key, body, header));
}

/** The webhook route's inboxes in this isolate (`reads` counts its D1 queries). */
export const webhookInboxes = new InboxDirectory();

/** Forgets cached credentials, e.g. after an inbox changed (no id: everything the route knows). */
export function forgetWebhookAuth(inboxId?: number) {
  webhookInboxes.forget(inboxId);
}

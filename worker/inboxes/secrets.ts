import { and, asc, eq, gt, sql } from "drizzle-orm";
import { batchAll, type Db } from "../db/client";
import { type Inbox, inboxes } from "../db/schema";
import { decryptSecret, encryptSecret } from "../lib/crypto";
import { ApiError } from "../lib/errors";
import { logEvent } from "../lib/log";

export type SecretField = "access_token" | "app_secret";

/** Rows sealed before inbox ids were bound: workspace and field only. */
const LEGACY_CONTEXT = 1;
/** Workspace, inbox and field: what every secret is sealed with now. */
export const SECRET_CONTEXT = 2;

const COLUMN = { access_token: "accessTokenEnc", app_secret: "appSecretEnc" } as const satisfies Record<SecretField, keyof Inbox>;
/** Where the value before the latest change is kept, and when it changed. */
const PREVIOUS = { access_token: "previousAccessTokenEnc", app_secret: "previousAppSecretEnc" } as const satisfies Record<SecretField, keyof Inbox>;
const ROTATED_AT = { access_token: "accessTokenRotatedAt", app_secret: "appSecretRotatedAt" } as const satisfies Record<SecretField, keyof Inbox>;

/**
 * How long an inbox's previous access token and app secret are still accepted after a change:
 * webhooks Meta signed with the old app secret before the switch (Meta retries for days) and
 * sends while a new token is not yet valid go through instead of failing.
 */
export const SECRET_GRACE_S = 24 * 3600;

type SecretColumns = Pick<
  Inbox,
  "accessTokenEnc" | "appSecretEnc" | "secretContext" | "previousAccessTokenEnc" | "previousAppSecretEnc" | "accessTokenRotatedAt" | "appSecretRotatedAt"
>;

type Owner = Pick<Inbox, "id" | "workspaceId">;

/** The additional data a secret is sealed with, so a ciphertext copied to another row does not decrypt. */
function contextOf(version: number, inbox: Owner, field: SecretField): string {
  if (version === LEGACY_CONTEXT) return `herald:inbox:${inbox.workspaceId}:${field}`;
  if (version === SECRET_CONTEXT) return `herald:inbox:${inbox.workspaceId}:${inbox.id}:${field}`;
  throw new Error(`unknown secret context ${version}`);
}

async function seal(env: Env, version: number, inbox: Owner, field: SecretField, value: string): Promise<string> {
  try {
    return await encryptSecret(env.HERALD_ENCRYPTION_KEY, value, contextOf(version, inbox, field));
  } catch (error) {
    throw new ApiError("not_configured", `cannot store secrets: ${(error as Error).message}`);
  }
}

const openSealed = (env: Env, inbox: Inbox, field: SecretField, value: string | null): Promise<string | null> =>
  value ? decryptSecret(env.HERALD_ENCRYPTION_KEY, value, contextOf(inbox.secretContext, inbox, field)) : Promise.resolve(null);

const open = (env: Env, inbox: Inbox, field: SecretField): Promise<string | null> => openSealed(env, inbox, field, inbox[COLUMN[field]]);

/** The value before the latest change while its grace period lasts (null after it, or when it does not decrypt). */
async function openPrevious(env: Env, inbox: Inbox, field: SecretField, nowS: number): Promise<string | null> {
  const rotatedAt = inbox[ROTATED_AT[field]];
  if (rotatedAt === null || nowS - rotatedAt > SECRET_GRACE_S) return null;
  return openSealed(env, inbox, field, inbox[PREVIOUS[field]]).catch(() => null);
}

/**
 * An inbox's previous access token and app secret while their grace period lasts (see
 * SECRET_GRACE_S), for the webhook signature check and as the fallback of a refused token.
 * @example const { appSecret } = await previousInboxSecrets(env, inbox)
 */
export async function previousInboxSecrets(env: Env, inbox: Inbox, now = Date.now()): Promise<{ accessToken: string | null; appSecret: string | null }> {
  const nowS = Math.floor(now / 1000);
  return { accessToken: await openPrevious(env, inbox, "access_token", nowS), appSecret: await openPrevious(env, inbox, "app_secret", nowS) };
}

/**
 * Decrypts an inbox's credentials for the provider adapter, the webhook signature check and the
 * sandbox; never for an API response. Throws when a secret does not decrypt (another key, or a
 * ciphertext that belongs to another row).
 * @example const { accessToken } = await inboxSecrets(env, inbox)
 */
export async function inboxSecrets(env: Env, inbox: Inbox): Promise<{ accessToken: string | null; appSecret: string | null }> {
  return { accessToken: await open(env, inbox, "access_token"), appSecret: await open(env, inbox, "app_secret") };
}

/**
 * The columns that seal the secrets of a new inbox, once its id is known (the id is part of the
 * context).
 * @example await db.update(inboxes).set(await sealNewInboxSecrets(env, row, { access_token: "EAAG…" })).where(eq(inboxes.id, row.id))
 */
export async function sealNewInboxSecrets(env: Env, inbox: Owner, given: Partial<Record<SecretField, string>>) {
  return {
    accessTokenEnc: given.access_token === undefined ? null : await seal(env, SECRET_CONTEXT, inbox, "access_token", given.access_token),
    appSecretEnc: given.app_secret === undefined ? null : await seal(env, SECRET_CONTEXT, inbox, "app_secret", given.app_secret),
    secretContext: SECRET_CONTEXT,
  };
}

/**
 * The columns to write when an inbox changes: the secrets given, sealed; and, for a row still
 * sealed the old way, the stored ones re-encrypted under the current context. If a stored secret
 * the change keeps cannot be read (another key), the row stays as it is and the given secrets
 * are sealed the old way, so nothing that might still be readable is lost.
 *
 * A secret given with a new value keeps the one it replaces as the previous one, accepted for
 * SECRET_GRACE_S from now (`keepPrevious: false` drops it instead: the inbox moved to another
 * host, where the old credentials must never go).
 */
export async function inboxSecretUpdate(
  env: Env,
  inbox: Inbox,
  given: Partial<Record<SecretField, string>>,
  { keepPrevious = true, now = Date.now() }: { keepPrevious?: boolean; now?: number } = {},
): Promise<Partial<SecretColumns>> {
  const fields = ["access_token", "app_secret"] as const;
  let version = inbox.secretContext;
  const plain: Partial<Record<SecretField, string | null>> = { ...given };
  if (version !== SECRET_CONTEXT) {
    try {
      for (const field of fields) if (plain[field] === undefined) plain[field] = await open(env, inbox, field);
      version = SECRET_CONTEXT;
    } catch {
      for (const field of fields) if (given[field] === undefined) delete plain[field];
    }
  }
  const out: Partial<SecretColumns> = {};
  for (const field of fields) {
    const value = plain[field];
    if (value !== undefined) out[COLUMN[field]] = value === null ? null : await seal(env, version, inbox, field, value);
    const replaced = given[field] === undefined ? undefined : await open(env, inbox, field).catch(() => null);
    if (!keepPrevious) {
      out[PREVIOUS[field]] = null;
      out[ROTATED_AT[field]] = null;
    } else if (replaced && replaced !== given[field]) {
      out[PREVIOUS[field]] = await seal(env, version, inbox, field, replaced);
      out[ROTATED_AT[field]] = Math.floor(now / 1000);
    }
  }
  if (version !== inbox.secretContext) out.secretContext = version;
  return out;
}

/** Rows read per page of the re-encryption pass; one D1 batch writes a page. */
const PAGE = 50;
/** Pages per run, so one cron tick stays short; the next tick goes on. */
const MAX_PAGES = 20;

/**
 * Re-encrypts the secrets of inboxes still sealed the old way (workspace and field only) under
 * the current context (workspace, inbox and field). Run by the cron trigger: safe to run twice or
 * alongside a change to the same inbox (a row is only written if its secrets are still the ones
 * read); a row whose secrets cannot be read with the current key is left as it is and logged.
 * @example const { resealed } = await resealLegacyInboxSecrets(env, db)
 */
export async function resealLegacyInboxSecrets(env: Env, db: Db): Promise<{ resealed: number; unreadable: number }> {
  let resealed = 0;
  let unreadable = 0;
  let after = 0;
  for (let page = 0; page < MAX_PAGES; page++) {
    const rows = await db
      .select()
      .from(inboxes)
      .where(and(eq(inboxes.secretContext, LEGACY_CONTEXT), gt(inboxes.id, after)))
      .orderBy(asc(inboxes.id))
      .limit(PAGE);
    if (rows.length === 0) break;
    after = rows.at(-1)!.id;
    const writes = [];
    for (const row of rows) {
      const update = await inboxSecretUpdate(env, row, {}).catch(() => ({}) as Awaited<ReturnType<typeof inboxSecretUpdate>>);
      if (update.secretContext !== SECRET_CONTEXT) {
        unreadable++;
        logEvent("error", "inbox.secrets_unreadable", {
          workspace_id: row.workspaceId,
          inbox_id: row.id,
          message: "cannot be decrypted with HERALD_ENCRYPTION_KEY; left as they are",
        });
        continue;
      }
      writes.push(
        db
          .update(inboxes)
          .set(update)
          .where(
            and(
              eq(inboxes.id, row.id),
              eq(inboxes.secretContext, LEGACY_CONTEXT),
              sql`${inboxes.accessTokenEnc} IS ${row.accessTokenEnc}`,
              sql`${inboxes.appSecretEnc} IS ${row.appSecretEnc}`,
            ),
          ),
      );
    }
    if (writes.length > 0) {
      await batchAll(db, writes);
      resealed += writes.length;
    }
    if (rows.length < PAGE) break;
  }
  return { resealed, unreadable };
}

import { and, eq } from "drizzle-orm";
import { createDb } from "../db/client";
import { inboxes } from "../db/schema";
import { inboxSecrets } from "../inboxes/secrets";
import { timingSafeEqual } from "../lib/crypto";

/** A sandbox inbox as the simulator needs it, with its credentials decrypted. */
export type SandboxInbox = {
  id: number;
  workspaceId: number;
  name: string;
  phoneNumberId: string;
  wabaId: string;
  displayPhone: string;
  accessToken: string | null;
  appSecret: string | null;
};

type Key = "phone_number_id" | "waba_id" | "id";

const CACHE_MS = 5_000;
const cache = new Map<string, { expires: number; value: Promise<SandboxInbox[]> }>();

async function load(env: Env, by: Key, value: string): Promise<SandboxInbox[]> {
  const column = by === "id" ? inboxes.id : by === "waba_id" ? inboxes.wabaId : inboxes.phoneNumberId;
  const rows = await createDb(env.DB)
    .select()
    .from(inboxes)
    .where(and(eq(inboxes.provider, "sandbox"), eq(column, by === "id" ? Number(value) : value)));
  return Promise.all(
    rows.map(async (row) => {
      // A credential sealed under another key cannot authenticate anything; treat it as absent.
      const secrets = await inboxSecrets(env, row).catch(() => ({ accessToken: null, appSecret: null }));
      return {
        id: row.id,
        workspaceId: row.workspaceId,
        name: row.name,
        phoneNumberId: row.phoneNumberId,
        wabaId: row.wabaId,
        displayPhone: row.displayPhone,
        ...secrets,
      };
    }),
  );
}

/**
 * Sandbox inboxes with that phone number id, WABA id or inbox id, cached for a few seconds so
 * a burst of sends costs one D1 read. Empty answers are not cached.
 */
export function sandboxInboxes(env: Env, by: Key, value: string, fresh = false): Promise<SandboxInbox[]> {
  const key = `${by}:${value}`;
  const hit = cache.get(key);
  if (!fresh && hit && hit.expires > Date.now()) return hit.value;
  const value$ = load(env, by, value).then(
    (list) => {
      if (list.length === 0 && cache.get(key)?.value === value$) cache.delete(key);
      return list;
    },
    (error) => {
      if (cache.get(key)?.value === value$) cache.delete(key);
      throw error;
    },
  );
  cache.set(key, { expires: Date.now() + CACHE_MS, value: value$ });
  return value$;
}

export type AuthOutcome = { ok: true; inbox: SandboxInbox } | { ok: false; reason: "no_such_object" | "bad_token" };

/**
 * The sandbox inbox (of any workspace) whose access token is `token`, among those with that
 * phone number id or WABA id. A miss re-reads D1 once, so a token rotated a moment ago works.
 */
export async function authenticate(env: Env, by: "phone_number_id" | "waba_id", value: string, token: string | null): Promise<AuthOutcome> {
  const match = (list: SandboxInbox[]) => (token ? list.find((i) => i.accessToken !== null && timingSafeEqual(i.accessToken, token)) : undefined);
  let list = await sandboxInboxes(env, by, value);
  let inbox = match(list);
  if (!inbox && token) {
    list = await sandboxInboxes(env, by, value, true);
    inbox = match(list);
  }
  if (inbox) return { ok: true, inbox };
  return { ok: false, reason: list.length === 0 ? "no_such_object" : "bad_token" };
}

/** The bearer token of a Graph request: `Authorization: Bearer …` or Meta's `access_token` query parameter. */
export function graphToken(request: Request): string | null {
  const header = request.headers.get("authorization");
  const bearer = header?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
  if (bearer) return bearer;
  return new URL(request.url).searchParams.get("access_token") || null;
}

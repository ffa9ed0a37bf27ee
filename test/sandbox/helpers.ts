import { env, exports } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { createDb } from "../../worker/db/client";
import { inboxes } from "../../worker/db/schema";
import { inboxSecrets } from "../../worker/inboxes/secrets";
import { type Account, callJson, seedWorkspace } from "../helpers";

export const GRAPH = "http://localhost/sandbox/graph/v23.0";

let seq = 0;
/** A numeric id no other test uses (storage is shared by the tests of one file). */
export function freshId(): string {
  seq++;
  return `10${Date.now()}${String(seq).padStart(4, "0")}${Math.floor(Math.random() * 1000)}`;
}

/** A recipient number never seen before that is on WhatsApp (does not end with the 0000 suffix). */
export function freshPhone(): string {
  seq++;
  const digits = `55119${String(Math.floor(Math.random() * 1e4)).padStart(4, "0")}${String(seq % 10_000).padStart(4, "0")}`;
  return digits.endsWith("0000") ? `${digits.slice(0, -1)}1` : digits;
}

export type SandboxFixture = {
  admin: Account;
  inboxId: number;
  phoneNumberId: string;
  wabaId: string;
  token: string;
  appSecret: string;
};

/**
 * A sandbox inbox created through the API by an admin, with its decrypted credentials. Status
 * webhooks are off unless `webhooks` is true, so tests that do not look at them stay quiet.
 */
export async function sandboxInbox(opts: { admin?: Account; webhooks?: boolean; scenario?: Record<string, unknown> } = {}): Promise<SandboxFixture> {
  const admin = opts.admin ?? (await seedWorkspace());
  const phoneNumberId = freshId();
  const wabaId = freshId();
  const inbox = await callJson<{ id: number }>("/api/inboxes", {
    json: { name: "Loja Sandbox", provider: "sandbox", phone_number_id: phoneNumberId, waba_id: wabaId, display_phone: "+55 11 4000-1234" },
    auth: admin,
  });
  const row = await createDb(env.DB).select().from(inboxes).where(eq(inboxes.id, inbox.id)).get();
  const { accessToken, appSecret } = await inboxSecrets(env, row!);
  const fixture = { admin, inboxId: inbox.id, phoneNumberId, wabaId, token: accessToken!, appSecret: appSecret! };
  await setScenario(fixture, { webhooks_enabled: opts.webhooks ?? false, ...opts.scenario });
  return fixture;
}

export function setScenario(fx: Pick<SandboxFixture, "admin" | "inboxId">, patch: Record<string, unknown>) {
  return callJson<Record<string, any>>(`/api/sandbox/inboxes/${fx.inboxId}/scenario`, { method: "PUT", json: patch, auth: fx.admin, expect: 200 });
}

/** Calls the Graph API the sandbox plays, like the Cloud API client does. */
export function graph(pathOrUrl: string, init: { method?: string; token?: string | null; json?: unknown; body?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  let body = init.body;
  if (init.json !== undefined) body = JSON.stringify(init.json);
  if (body !== undefined) headers["content-type"] = "application/json";
  const url = pathOrUrl.startsWith("http") ? pathOrUrl : `${GRAPH}${pathOrUrl}`;
  return exports.default.fetch(new Request(url, { method: init.method ?? (body !== undefined ? "POST" : "GET"), headers, body }));
}

/** POSTs a message body to the fixture's number and returns status and JSON. */
export async function send(
  fx: Pick<SandboxFixture, "phoneNumberId" | "token">,
  body: unknown,
  token: string | null = fx.token,
): Promise<{ status: number; json: any }> {
  const res = await graph(`/${fx.phoneNumberId}/messages`, { token, ...(typeof body === "string" ? { body } : { json: body }) });
  return { status: res.status, json: await res.json() };
}

export const text = (to: string, body = "Olá! Tudo bem?", extra: Record<string, unknown> = {}) => ({
  messaging_product: "whatsapp",
  recipient_type: "individual",
  to,
  type: "text",
  text: { body, preview_url: false },
  ...extra,
});

export const templateMessage = (to: string, name: string, language: string, components?: unknown[], extra: Record<string, unknown> = {}) => ({
  messaging_product: "whatsapp",
  recipient_type: "individual",
  to,
  type: "template",
  template: { name, language: { code: language }, ...(components ? { components } : {}) },
  ...extra,
});

export const stubOf = (fx: Pick<SandboxFixture, "phoneNumberId">) => env.SANDBOX.get(env.SANDBOX.idFromName(fx.phoneNumberId));

/** Asserts Meta's error envelope and returns `error`. */
export function metaErrorOf(json: any): {
  message: string;
  type: string;
  code: number;
  error_subcode?: number;
  error_data?: { messaging_product: string; details: string };
  fbtrace_id: string;
} {
  if (!json?.error || typeof json.error.code !== "number" || json.error.type !== "OAuthException" || typeof json.error.fbtrace_id !== "string") {
    throw new Error(`not a Meta error envelope: ${JSON.stringify(json)}`);
  }
  return json.error;
}

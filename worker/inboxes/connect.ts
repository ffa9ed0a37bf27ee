import { eq } from "drizzle-orm";
import { z } from "zod";
import { type Db, duplicateAs } from "../db/client";
import { type Inbox, inboxes } from "../db/schema";
import { CLOUD_API_BASE_URL, cloudBaseUrlAllowed, SANDBOX_PATH, sandboxBaseUrl } from "../domain/api-base-url";
import { MESSAGING_LIMIT_TIERS } from "../domain/messaging-limit";
import { extraApiBaseUrls, sandboxEnabled } from "../lib/config";
import { assertEncryptionKey, randomToken } from "../lib/crypto";
import { ApiError } from "../lib/errors";
import { forgetWebhookAuth } from "../webhooks/inbox-directory";
import { sealNewInboxSecrets } from "./secrets";

const graphId = z
  .string()
  .trim()
  .regex(/^\d{1,32}$/, "must be the numeric id Meta shows");
const baseUrl = z
  .url({ message: "must be a URL" })
  .refine((u) => {
    const url = new URL(u);
    return url.protocol === "https:" || (url.protocol === "http:" && ["localhost", "127.0.0.1"].includes(url.hostname));
  }, "must use https (http only for localhost)")
  .transform((u) => u.replace(/\/+$/, ""));

export const inboxFields = {
  name: z.string().trim().min(1, "is required").max(100),
  phone_number_id: graphId,
  waba_id: graphId,
  display_phone: z.string().trim().max(40),
  access_token: z.string().trim().min(1).max(2000),
  app_secret: z.string().trim().min(1).max(200),
  verify_token: z.string().trim().min(8, "must be at least 8 characters").max(200),
  api_base_url: baseUrl.describe(
    "Graph API root without the version: Meta's https://graph.facebook.com (the default for a Cloud API inbox; others only if EXTRA_API_BASE_URLS lists them). Changing it needs access_token and app_secret in the same request.",
  ),
  api_version: z.string().regex(/^v\d+\.\d+$/, "must look like v23.0"),
  throughput_cap: z.number().int().min(1).max(1000),
  messaging_limit_tier: z.enum(MESSAGING_LIMIT_TIERS),
};

export const createInput = z
  .object({
    ...inboxFields,
    provider: z.enum(["cloud", "sandbox"]),
    phone_number_id: inboxFields.phone_number_id.optional().describe("required for cloud; a sandbox inbox without one gets a new simulated number"),
    waba_id: inboxFields.waba_id.optional().describe("required for cloud; generated for a sandbox inbox without one"),
    display_phone: inboxFields.display_phone.optional(),
    access_token: inboxFields.access_token.optional(),
    app_secret: inboxFields.app_secret.optional(),
    verify_token: inboxFields.verify_token.optional(),
    api_base_url: inboxFields.api_base_url.optional(),
    api_version: inboxFields.api_version.default("v23.0"),
    throughput_cap: inboxFields.throughput_cap.default(80),
    messaging_limit_tier: inboxFields.messaging_limit_tier.default("250"),
  })
  .superRefine((v, ctx) => {
    if (v.provider !== "cloud") return;
    if (!v.phone_number_id) ctx.addIssue({ code: "custom", path: ["phone_number_id"], message: "is required for a Cloud API inbox" });
    if (!v.waba_id) ctx.addIssue({ code: "custom", path: ["waba_id"], message: "is required for a Cloud API inbox" });
    if (!v.access_token) ctx.addIssue({ code: "custom", path: ["access_token"], message: "is required for a Cloud API inbox" });
    if (!v.app_secret) ctx.addIssue({ code: "custom", path: ["app_secret"], message: "is required for a Cloud API inbox" });
  });

/** A 400 naming `field`, shaped like the ones `validate()` answers. */
export function invalidField(field: string, message: string): ApiError {
  return new ApiError("validation_failed", `invalid body: ${field}: ${message}`, [{ path: field, message }]);
}

/**
 * Refuses an `api_base_url` the inbox may not use. A Cloud API inbox sends its access token to
 * that host, so only Meta's Graph API (and EXTRA_API_BASE_URLS) will do; a sandbox inbox's API is
 * the app's own simulator, reached in-process.
 */
export function checkApiBaseUrl(env: Env, provider: Inbox["provider"], url: string) {
  if (provider === "sandbox") {
    if (!sandboxBaseUrl(url)) throw invalidField("api_base_url", `a sandbox inbox's API is this app's simulator at ${SANDBOX_PATH}`);
    return;
  }
  const extra = extraApiBaseUrls(env);
  if (!cloudBaseUrlAllowed(url, extra)) {
    throw invalidField("api_base_url", `must be Meta's Graph API, ${CLOUD_API_BASE_URL}${extra.length ? ` (or under ${extra.join(", ")})` : ""}`);
  }
}

export const duplicateNumber = (id: string) => new ApiError("conflict", `an inbox for phone number id ${id} already exists`);

export { createInput as inboxInput };

export type InboxInput = z.output<typeof createInput>;

/** `prefix` followed by random decimal digits, `length` digits in all: a simulated Graph id. */
function simulatedId(prefix: string, length: number): string {
  const digits = Array.from(crypto.getRandomValues(new Uint8Array(length - prefix.length)), (b) => String(b % 10)).join("");
  return `${prefix}${digits}`;
}

/**
 * A new simulated number for a sandbox inbox: phone number id and WhatsApp Business Account id
 * shaped like Meta's (15 digits), and a display number in the +1 555 range kept for fiction.
 */
export function simulatedNumber(): { phone_number_id: string; waba_id: string; display_phone: string } {
  const phone = simulatedId("1556", 15);
  return { phone_number_id: phone, waba_id: simulatedId("2556", 15), display_phone: `+1 555-${phone.slice(-7, -4)}-${phone.slice(-4)}` };
}

/**
 * Creates an inbox with its secrets sealed. A sandbox inbox gets generated credentials, so the
 * simulator exercises the same signed paths as Meta, and a new simulated number when the input
 * names none.
 */
export async function insertInbox(env: Env, db: Db, workspaceId: number, origin: string, input: InboxInput): Promise<Inbox> {
  if (input.provider === "sandbox" && !sandboxEnabled(env)) {
    throw new ApiError("validation_failed", "provider: the sandbox is turned off on this deployment (SANDBOX_ENABLED)", [
      { path: "provider", message: "the sandbox is turned off on this deployment" },
    ]);
  }
  if (input.api_base_url !== undefined) checkApiBaseUrl(env, input.provider, input.api_base_url);
  const generated = input.provider === "sandbox" ? simulatedNumber() : null;
  const phoneNumberId = input.phone_number_id ?? generated?.phone_number_id;
  const wabaId = input.waba_id ?? generated?.waba_id;
  // The schema requires both for a Cloud API inbox.
  if (!phoneNumberId || !wabaId)
    throw new ApiError("validation_failed", "phone_number_id and waba_id are required", [
      { path: phoneNumberId ? "waba_id" : "phone_number_id", message: "is required" },
    ]);
  const displayPhone = input.display_phone ?? (input.phone_number_id ? "" : (generated?.display_phone ?? ""));
  const accessToken = input.access_token ?? (input.provider === "sandbox" ? randomToken(24) : undefined);
  const appSecret = input.app_secret ?? (input.provider === "sandbox" ? randomToken(24) : undefined);
  // The inbox id is part of each secret's encryption context, so the secrets are sealed once the
  // row exists; a key problem is found before it is written.
  try {
    await assertEncryptionKey(env.HERALD_ENCRYPTION_KEY);
  } catch (error) {
    throw new ApiError("not_configured", `cannot store secrets: ${(error as Error).message}`);
  }
  let row: Inbox;
  try {
    row = (await db
      .insert(inboxes)
      .values({
        workspaceId,
        name: input.name,
        provider: input.provider,
        phoneNumberId,
        wabaId,
        displayPhone,
        verifyToken: input.verify_token ?? randomToken(18),
        apiBaseUrl: input.api_base_url ?? (input.provider === "sandbox" ? `${origin}${SANDBOX_PATH}` : CLOUD_API_BASE_URL),
        apiVersion: input.api_version,
        throughputCap: input.throughput_cap,
        messagingLimitTier: input.messaging_limit_tier,
      })
      .returning()
      .get())!;
  } catch (e) {
    throw await duplicateAs(e, () => duplicateNumber(phoneNumberId));
  }
  try {
    const sealed = await sealNewInboxSecrets(env, row, {
      ...(accessToken ? { access_token: accessToken } : {}),
      ...(appSecret ? { app_secret: appSecret } : {}),
    });
    const created = (await db.update(inboxes).set(sealed).where(eq(inboxes.id, row.id)).returning().get())!;
    // The webhook route of this isolate may have been asked for this id before it existed.
    forgetWebhookAuth(created.id);
    return created;
  } catch (e) {
    // No inbox is left behind without the secrets it was created with.
    await db.delete(inboxes).where(eq(inboxes.id, row.id));
    throw e;
  }
}

import type { Inbox } from "../db/schema";
import { CLOUD_API_BASE_URL, cloudBaseUrlAllowed } from "../domain/api-base-url";
import type { WhatsAppProvider } from "../domain/provider";
import { inboxSecrets, previousInboxSecrets } from "../inboxes/secrets";
import { extraApiBaseUrls, sandboxEnabled } from "../lib/config";
import { ApiError } from "../lib/errors";
import { loopbackFetch } from "../lib/loopback";
import { CloudApiProvider } from "./cloud-api";

/**
 * The provider for an inbox: the Cloud API client, pointed at Meta or, for sandbox inboxes, at the
 * built-in simulator reached in-process.
 * @example const provider = await providerFor(env, inbox, ctx); await provider.sendText({ to, body })
 */
export async function providerFor(env: Env, inbox: Inbox, ctx: Pick<ExecutionContext, "waitUntil">): Promise<WhatsAppProvider> {
  if (inbox.provider === "sandbox" && !sandboxEnabled(env)) {
    throw new ApiError("not_configured", "this is a sandbox inbox and the sandbox is turned off (SANDBOX_ENABLED)");
  }
  // Checked again here for rows stored before the rule: the token never goes to another host.
  if (inbox.provider === "cloud" && !cloudBaseUrlAllowed(inbox.apiBaseUrl, extraApiBaseUrls(env))) {
    throw new ApiError(
      "not_configured",
      `the inbox's api_base_url ${inbox.apiBaseUrl} is not Meta's Graph API; set it to ${CLOUD_API_BASE_URL} with the access token and app secret`,
    );
  }
  let accessToken: string | null;
  try {
    ({ accessToken } = await inboxSecrets(env, inbox));
  } catch {
    throw new ApiError("not_configured", "the inbox's access token cannot be decrypted; enter it again (was HERALD_ENCRYPTION_KEY changed?)");
  }
  if (!accessToken) throw new ApiError("not_configured", "the inbox has no access token; add one first");
  const previous = await previousInboxSecrets(env, inbox);
  try {
    return new CloudApiProvider({
      baseUrl: inbox.apiBaseUrl,
      version: inbox.apiVersion,
      phoneNumberId: inbox.phoneNumberId,
      wabaId: inbox.wabaId,
      accessToken,
      previousAccessToken: previous.accessToken,
      fetch: inbox.provider === "sandbox" ? loopbackFetch(env, ctx) : undefined,
    });
  } catch (error) {
    throw new ApiError("not_configured", `the inbox's API settings are unusable: ${(error as Error).message}`);
  }
}

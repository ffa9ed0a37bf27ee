import { parseBaseUrls } from "../domain/api-base-url";

/** Whether this deployment serves the WhatsApp sandbox (`SANDBOX_ENABLED = "true"`). */
export const sandboxEnabled = (env: Env) => env.SANDBOX_ENABLED === "true";

/** Whether first-run setup loads the demo data unless told otherwise (`DEMO_ON_SETUP = "true"`). */
export const demoOnSetup = (env: Env) => env.DEMO_ON_SETUP === "true";

/**
 * Base URLs a Cloud API inbox may use besides Meta's Graph API (`EXTRA_API_BASE_URLS`,
 * comma-separated): for a local stand-in of the Graph API. Empty in production.
 */
export const extraApiBaseUrls = (env: Env) => parseBaseUrls(env.EXTRA_API_BASE_URLS);

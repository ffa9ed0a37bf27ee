import { parseBaseUrls } from "../domain/api-base-url";

/** Whether this deployment serves the WhatsApp sandbox (`SANDBOX_ENABLED = "true"`). */
export const sandboxEnabled = (env: Env) => env.SANDBOX_ENABLED === "true";

/** Whether first-run setup loads the demo data unless told otherwise (`DEMO_ON_SETUP = "true"`). */
export const demoOnSetup = (env: Env) => env.DEMO_ON_SETUP === "true";

/**
 * Whether this Worker runs for local development (`HERALD_ENV = "development"`): `npm run dev`,
 * the tests and the local servers of the browser tests and benchmarks set it. Any other value,
 * or none, is a deployment.
 */
export const localDevelopment = (env: Env) => env.HERALD_ENV === "development";

/** The secret that first-run setup must carry (the `SETUP_SECRET` Worker secret), or null when none is set. */
export const setupSecret = (env: Env): string | null => env.SETUP_SECRET?.trim() || null;

/** Whether POST /api/auth/setup must carry `setup_secret`: always outside local development, and wherever one is set. */
export const setupSecretRequired = (env: Env) => !localDevelopment(env) || setupSecret(env) !== null;

/**
 * Base URLs a Cloud API inbox may use besides Meta's Graph API (`EXTRA_API_BASE_URLS`,
 * comma-separated): for a local stand-in of the Graph API. Empty in production.
 */
export const extraApiBaseUrls = (env: Env) => parseBaseUrls(env.EXTRA_API_BASE_URLS);

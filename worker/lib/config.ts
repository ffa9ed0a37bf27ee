/** Whether this deployment serves the WhatsApp sandbox (`SANDBOX_ENABLED = "true"`). */
export const sandboxEnabled = (env: Env) => env.SANDBOX_ENABLED === "true";

/** Whether first-run setup loads the demo data unless told otherwise (`DEMO_ON_SETUP = "true"`). */
export const demoOnSetup = (env: Env) => env.DEMO_ON_SETUP === "true";

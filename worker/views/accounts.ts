import { z } from "zod";

/** What the API shows of a user and of a workspace; also feeds the OpenAPI document and the web app's types. */
export const userView = z.object({
  id: z.number(),
  email: z.string(),
  name: z.string(),
  role: z.enum(["admin", "operator"]),
  created_at: z.string().nullable(),
});

export const workspaceView = z.object({
  id: z.number(),
  name: z.string(),
  default_country: z.string(),
  opt_out_keywords: z.array(z.string()),
  attribution_window_hours: z.number(),
  /** At most this many campaign messages per contact within `frequency_cap_days` days; null: no cap. */
  frequency_cap_messages: z.number().int().nullable(),
  frequency_cap_days: z.number().int(),
});

/** Messages WhatsApp refused with one error code over the last `days` days, across the workspace. */
export const refusalCountView = z.object({
  error_code: z.number().int(),
  days: z.number().int(),
  count: z.number().int(),
});

/** Who is signed in, in which workspace, and what this deployment offers. */
export const sessionView = z.object({
  user: userView,
  workspace: workspaceView,
  /** What this deployment offers, so a UI shows only what works. */
  features: z.object({ sandbox: z.boolean().describe("the WhatsApp sandbox is served (SANDBOX_ENABLED)") }),
});

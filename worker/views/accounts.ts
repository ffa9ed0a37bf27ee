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
});

/** Who is signed in, in which workspace, and what this deployment offers. */
export const sessionView = z.object({
  user: userView,
  workspace: workspaceView,
  /** What this deployment offers, so a UI shows only what works. */
  features: z.object({ sandbox: z.boolean().describe("the WhatsApp sandbox is served (SANDBOX_ENABLED)") }),
});

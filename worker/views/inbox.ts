import { z } from "zod";
import { MESSAGING_LIMIT_TIERS } from "../domain/messaging-limit";
import { providerErrorView } from "./provider-error";

/** What the API shows of an inbox: never its secrets, only whether they are set. */
export const inboxView = z.object({
  id: z.number(),
  name: z.string(),
  provider: z.enum(["cloud", "sandbox"]),
  phone_number_id: z.string(),
  waba_id: z.string(),
  display_phone: z.string(),
  api_base_url: z.string(),
  api_version: z.string(),
  throughput_cap: z.number(),
  messaging_limit_tier: z.enum(MESSAGING_LIMIT_TIERS),
  has_access_token: z.boolean(),
  has_app_secret: z.boolean(),
  webhook_url: z.string(),
  verify_token: z.string().optional().describe("shown to admins only"),
  created_at: z.string().nullable(),
  updated_at: z.string().nullable(),
});

/** What a connection test found: the number as Meta knows it, or Meta's refusal. */
export const connectionCheckView = z.object({
  ok: z.boolean(),
  display_phone_number: z.string().optional(),
  verified_name: z.string().optional(),
  quality_rating: z.string().optional(),
  messaging_limit_tier: z.string().optional(),
  throughput_level: z.string().optional(),
  error: providerErrorView.optional(),
});

/**
 * What the API shows of a campaign, as zod schemas: the routes answer with them, the OpenAPI
 * document is built from them, and the web app derives its types from them. Zod and the pure
 * domain only, so the web app can import their types.
 */
import { z } from "zod";
import { CAMPAIGN_STATUSES, OPERATOR_ACTIONS } from "../domain/campaign-lifecycle";
import { audienceSchema, contentSchema, sendSettingsSchema } from "../domain/campaign-settings";
import { RECIPIENT_STATES } from "../domain/delivery-status";

/** Cumulative counters: a read message also counts as delivered and sent. */
export const campaignProgressView = z.object({
  total: z.number().int(),
  pending: z.number().int(),
  sent: z.number().int(),
  delivered: z.number().int(),
  read: z.number().int(),
  replied: z.number().int(),
  failed: z.number().int(),
  skipped: z.number().int(),
  cancelled: z.number().int(),
  unknown: z.number().int(),
});

export const campaignView = z.object({
  id: z.number(),
  title: z.string(),
  inbox_id: z.number(),
  /** The inbox's name; null once the inbox no longer exists. */
  inbox_name: z.string().nullable(),
  status: z.enum(CAMPAIGN_STATUSES),
  /** What an operator can do to the campaign now. */
  actions: z.array(z.enum(OPERATOR_ACTIONS)),
  status_reason: z.string().nullable(),
  /** Why a sending campaign is waiting (its audience being prepared, the messaging limit). */
  status_note: z.string().nullable(),
  /** True while a launched campaign's audience is still being frozen (status `sending`, nothing sent yet). */
  preparing: z.boolean(),
  /** Launch warnings, e.g. an audience larger than what the messaging limit allows today. */
  warnings: z.array(z.string()).optional(),
  audience: audienceSchema,
  content: contentSchema,
  settings: sendSettingsSchema,
  scheduled_at: z.string().nullable(),
  timezone: z.string().nullable(),
  progress: campaignProgressView,
  launched_at: z.string().nullable(),
  completed_at: z.string().nullable(),
  created_at: z.string().nullable(),
  updated_at: z.string().nullable(),
});

export type CampaignView = z.output<typeof campaignView>;

/** A campaign's recipient: its state, the error that failed it, the content it received. */
export const recipientView = z.object({
  id: z.number(),
  contact_id: z.number().nullable(),
  phone: z.string(),
  name: z.string().nullable(),
  state: z.enum(RECIPIENT_STATES),
  attempts: z.number().int(),
  /** The free-text variant it was given (0-based), or null for a template. */
  variant: z.number().int().nullable(),
  wamid: z.string().nullable(),
  error_code: z.number().nullable(),
  error_title: z.string().nullable(),
  error_details: z.string().nullable(),
  reason: z.string().nullable(),
  content: z.unknown(),
  sent_at: z.string().nullable(),
  delivered_at: z.string().nullable(),
  read_at: z.string().nullable(),
  replied_at: z.string().nullable(),
  failed_at: z.string().nullable(),
  updated_at: z.string().nullable(),
});

export type RecipientView = z.output<typeof recipientView>;

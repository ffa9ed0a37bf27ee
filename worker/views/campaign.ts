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

/** How much of the number's messaging limit is left today (limit and remaining null: unlimited). */
export const messagingLimitView = z.object({
  tier: z.string(),
  limit: z.number().nullable(),
  used: z.number(),
  remaining: z.number().nullable(),
  warning: z.string().nullable(),
});

/** What launching now would do. */
export const launchPreviewView = z.object({
  recipients: z.number(),
  skipped_outside_window: z.number(),
  /** Template recipients who have not written in 24 h: each counts against the inbox's messaging limit. */
  outside_window: z.number(),
  /** Contacts lacking a variable's value, with the first few of them. */
  missing_values: z.object({ affected: z.number(), examples: z.array(z.object({ phone: z.string(), missing: z.array(z.string()) })) }),
  messaging_limit: messagingLimitView.optional(),
  /** Recipients the launch would freeze as skipped, by reason (besides free text outside the window). */
  skipped: z.object({
    frequency_cap: z.number().describe("contacts who already received as many campaign messages as the workspace's frequency cap allows"),
    marketing_stopped: z.number().describe("marketing-template recipients who stopped marketing messages at WhatsApp"),
  }),
});

/** One minute of a campaign's sending. */
export const seriesPointView = z.object({
  minute: z.string(),
  sent: z.number(),
  failed: z.number(),
  delivered: z.number(),
  read: z.number(),
  replied: z.number(),
});

/** Failed recipients with one error code, with what it means and what to do. */
export const failureGroupView = z.object({
  error_code: z.number().nullable(),
  error_title: z.string().nullable(),
  count: z.number(),
  policy: z.string().describe("what Herald does on this error"),
  meaning: z.string(),
  advice: z.string().describe("what the operator can do"),
});

/** A message of the live WebSocket (`GET /api/campaigns/:id/live`): the campaign's state after a change. */
export const liveProgressView = z.object({
  type: z.literal("progress"),
  status: z.enum(CAMPAIGN_STATUSES),
  reason: z.string().nullable(),
  note: z.string().nullable(),
  preparing: z.boolean(),
  total: z.number().int(),
  states: z.record(z.enum(RECIPIENT_STATES), z.number().int()),
  progress: campaignProgressView,
});

export type LiveProgressView = z.output<typeof liveProgressView>;

/**
 * What the API shows of a campaign, as zod schemas: the routes answer with them, the OpenAPI
 * document is built from them, and the web app derives its types from them. Zod and the pure
 * domain only, so the web app can import their types.
 */
import { z } from "zod";
import { CAMPAIGN_STATUSES, OPERATOR_ACTIONS } from "../domain/campaign-lifecycle";
import { audienceSchema, contentSchema, sendSettingsSchema } from "../domain/campaign-settings";
import { RECIPIENT_STATES } from "../domain/delivery-status";
import { VARIANT_VERDICTS } from "../domain/variant-stats";
import { costEstimateView } from "./cost";

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
  /** The free-text variant it was given (0-based); null for a template, and until it is released. */
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

/** When a launch would send: estimated from the pace, the inbox's cap and the send window (retries and the messaging limit can only make it longer). */
export const launchScheduleView = z.object({
  /** The first send: now, the scheduled time, or the send window's next opening after either. */
  starts_at: z.string(),
  /** From the first send to the last, in days (two decimals). */
  estimated_days: z.number(),
  estimated_end_at: z.string(),
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
  /** What it would cost at WhatsApp's rates (the card plus the workspace's overrides). */
  cost_estimate: costEstimateView,
  schedule: launchScheduleView,
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

/**
 * One wording variant of a free-text campaign, as recipients received it. Counters are the
 * cumulative ones of `campaignProgressView`, over the recipients given this variant: a read
 * message also counts as delivered and sent, a replied one as read; `failed` counts recipients
 * whose send failed. Summed over the variants they equal the campaign's `progress` counters.
 */
export const variantResultView = z.object({
  /** 1-based, in the order of the campaign's `content.variants`. */
  variant: z.number().int().min(1),
  /** The variant's wording, as written (with its `{{contact.*}}` variables). */
  text: z.string(),
  /** Recipients given this variant: those released to be sent at least once. */
  recipients: z.number().int(),
  sent: z.number().int(),
  delivered: z.number().int(),
  read: z.number().int(),
  replied: z.number().int(),
  failed: z.number().int(),
  /** read ÷ delivered (0–1); null while nothing was delivered. */
  read_rate: z.number().nullable(),
  /** replied ÷ delivered (0–1); null while nothing was delivered. */
  reply_rate: z.number().nullable(),
});

/** The leader's reply rate against one other variant's. */
export const variantComparisonView = z.object({
  /** The variant with the highest reply rate (1-based). */
  variant: z.number().int().min(1),
  /** The variant it is compared with (1-based). */
  versus: z.number().int().min(1),
  z: z.number(),
  /** Two-sided p-value of this comparison alone. */
  p_value: z.number(),
  /** True when p_value < test.alpha_per_comparison (and the leader's rate is the higher). */
  significant: z.boolean(),
});

/**
 * Results per wording variant (`GET /api/campaigns/:id/variants`). A free-text campaign has one
 * row per variant (all zero before launch); a template campaign has no wording variants: `data`
 * is empty and `verdict` is `not_applicable`. The best reply rate is named only when the leader
 * beats every other variant significantly (see `test`); below the minimum sample, `verdict` is
 * `not_enough_data`.
 */
export const variantResultsView = z.object({
  data: z.array(variantResultView),
  /** Recipients not given a variant: skipped, not released yet, or cancelled before their turn. With `data`'s recipients they add up to `progress.total`. */
  unassigned: z.number().int(),
  verdict: z.enum(VARIANT_VERDICTS),
  /** The variant with the best reply rate, when `verdict` is `best`; z and p_value are those of its weakest comparison (the largest p-value). */
  best: z
    .object({
      variant: z.number().int().min(1),
      metric: z.literal("reply_rate"),
      reply_rate: z.number(),
      versus: z.number().int().min(1),
      z: z.number(),
      p_value: z.number(),
    })
    .nullable(),
  /** The leader against each other variant; empty when nothing was compared. */
  comparisons: z.array(variantComparisonView),
  /** How the best variant is decided. */
  test: z.object({
    name: z.string(),
    metric: z.literal("reply_rate"),
    confidence: z.number(),
    /** Significance level each comparison must pass: (1 − confidence) ÷ the number of comparisons (Bonferroni); null when nothing is compared. */
    alpha_per_comparison: z.number().nullable(),
    /** Fewest delivered messages each variant needs before any comparison. */
    min_delivered: z.number().int(),
    /** Fewest expected replies, and non-replies, in each compared group under the pooled rate. */
    min_expected: z.number().int(),
  }),
  /** What the comparison found, in words (English); null when there is nothing to say. */
  note: z.string().nullable(),
});

export type VariantResultsView = z.output<typeof variantResultsView>;

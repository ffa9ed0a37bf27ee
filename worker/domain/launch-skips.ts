/**
 * Who a launch freezes as `skipped` instead of sending to, and why: free text to contacts outside
 * the 24-hour service window, marketing templates to contacts who stopped marketing messages at
 * WhatsApp, and anything to contacts over the workspace's frequency cap. The rules are fixed at
 * launch; the audience query applies them (see `campaigns/audience.ts`).
 */

/** Why a recipient is skipped, in the order a launch checks them: a contact gets the first that applies. */
export const SKIP_REASONS = ["outside_service_window", "marketing_stopped", "frequency_cap"] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** At most `messages` campaign messages per contact within `days` days. */
export type FrequencyCap = { messages: number; days: number };

/** The bounds a workspace's frequency cap is kept within. */
export const FREQUENCY_CAP_BOUNDS = { messages: { min: 1, max: 100 }, days: { min: 1, max: 90 } } as const;

/** What Herald suggests for marketing: one campaign message per contact a week. */
export const SUGGESTED_FREQUENCY_CAP: FrequencyCap = { messages: 1, days: 7 };

/** The skip rules of one launch (times in unix seconds). */
export type SkipRules = {
  /** Free text only: contacts whose last inbound message is older than this (or who never wrote) are skipped; null for templates. */
  windowStart: number | null;
  /** True for a marketing template: contacts who stopped marketing messages are skipped. */
  marketing: boolean;
  /** Contacts who received `messages` campaign messages or more since `since` are skipped; null: no cap. */
  cap: { messages: number; since: number } | null;
};

const DAY_S = 24 * 3600;

/** Whether a template category is marketing (Meta writes them upper case; case is ignored). */
export const isMarketingCategory = (category: string | null | undefined): boolean => category?.toUpperCase() === "MARKETING";

/**
 * The skip rules of a launch at `now` (epoch ms).
 *
 * @example
 * skipRulesFor({ content: "template", templateCategory: "MARKETING", cap: { messages: 1, days: 7 }, windowStart: 1767139200, now: 1767225600000 });
 * // { windowStart: null, marketing: true, cap: { messages: 1, since: 1766620800 } }
 */
export function skipRulesFor(input: {
  content: "text" | "template";
  templateCategory: string | null;
  cap: FrequencyCap | null;
  windowStart: number;
  now: number;
}): SkipRules {
  return {
    windowStart: input.content === "text" ? input.windowStart : null,
    marketing: input.content === "template" && isMarketingCategory(input.templateCategory),
    cap: input.cap ? { messages: input.cap.messages, since: Math.floor(input.now / 1000) - input.cap.days * DAY_S } : null,
  };
}

/** A launch preview's skipped counts, as the API gives them. */
export type SkippedCounts = { skipped_outside_window: number; skipped: { frequency_cap: number; marketing_stopped: number } };

/**
 * How many recipients a launch would skip, whatever the reason.
 * @example skippedTotal({ skipped_outside_window: 1, skipped: { frequency_cap: 2, marketing_stopped: 3 } }) // 6
 */
export const skippedTotal = (check: SkippedCounts): number => check.skipped_outside_window + check.skipped.frequency_cap + check.skipped.marketing_stopped;

/**
 * A workspace's frequency cap from its stored columns (messages null: no cap).
 * @example frequencyCapOf(1, 7) // { messages: 1, days: 7 }
 * @example frequencyCapOf(null, 7) // null
 */
export const frequencyCapOf = (messages: number | null, days: number): FrequencyCap | null => (messages === null ? null : { messages, days });

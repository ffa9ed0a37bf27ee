/**
 * WhatsApp's messaging limit: how many unique users a number may message outside their 24-hour
 * service window per rolling 24 hours, by tier.
 */
export const MESSAGING_LIMIT_TIERS = ["250", "2000", "10000", "100000", "unlimited"] as const;
export type MessagingLimitTier = (typeof MESSAGING_LIMIT_TIERS)[number];

/** Unique users outside the service window an inbox's tier allows per rolling 24 h (null: unlimited). */
export function tierLimit(tier: string): number | null {
  return tier === "unlimited" ? null : Number(tier) || 250;
}

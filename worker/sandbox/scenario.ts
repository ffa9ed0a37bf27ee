import { z } from "zod";

const MAX_DELAY_MS = 86_400_000;
const delayRange = (what: string) =>
  z
    .tuple([z.number().int().min(0).max(MAX_DELAY_MS), z.number().int().min(0).max(MAX_DELAY_MS)])
    .refine(([min, max]) => min <= max, `${what}: min must not exceed max`)
    .describe(`[min, max] milliseconds after the message was accepted (${what})`);
const rate = z.number().min(0).max(1);
const digits = z.string().regex(/^\d{1,20}$/, "must be digits");

export const MESSAGING_LIMIT_TIERS = ["TIER_50", "TIER_250", "TIER_1K", "TIER_2K", "TIER_10K", "TIER_100K", "TIER_UNLIMITED"] as const;
export const TEMPLATE_STATUSES = ["APPROVED", "PENDING", "REJECTED", "PAUSED", "DISABLED"] as const;

const fields = {
  throughput_cap: z.number().int().min(1).max(10_000).describe("accepted messages per rolling 1,000 ms before 130429"),
  pair_rate_limit_ms: z.number().int().min(0).max(MAX_DELAY_MS).describe("minimum gap between two messages to one recipient (131056); 0 disables"),
  undeliverable_suffix: z
    .string()
    .regex(/^\d{0,15}$/, "must be digits")
    .describe("recipients whose digits end with this are not on WhatsApp (131026); empty disables"),
  undeliverable: z.array(digits).max(10_000).describe("more recipients that are not on WhatsApp (digits, without +)"),
  token_expired: z.boolean().describe("every call answers 190, as with an expired access token"),
  random_failure_rate: rate.describe("share of otherwise valid sends refused with one of random_failure_codes"),
  random_failure_codes: z.array(z.number().int().min(0)).min(1).max(50),
  webhooks_enabled: z.boolean().describe("schedule status webhooks and simulated replies for accepted messages"),
  slow_response_rate: rate.describe(
    "share of accepted sends whose answer is held back by slow_response_ms, as when Meta's answer is lost: the message was sent but the client may time out",
  ),
  slow_response_ms: z.number().int().min(0).max(120_000).describe("how long a slow answer is held back"),
  sent_delay_ms: delayRange("sent"),
  delivered_delay_ms: delayRange("delivered or failed"),
  read_delay_ms: delayRange("read"),
  reply_delay_ms: delayRange("reply or opt-out, after read (after delivered for unread messages)"),
  failed_rate: rate.describe("share of accepted messages that fail (131026 or 131049) instead of being delivered"),
  unread_rate: rate.describe("share of delivered messages never read"),
  reply_rate: rate.describe("share of read messages answered with a short text quoting the message"),
  opt_out_rate: rate.describe("share of delivered messages answered with STOP"),
  messaging_limit_tier: z.enum(MESSAGING_LIMIT_TIERS),
  quality_rating: z.enum(["GREEN", "YELLOW", "RED", "UNKNOWN"]),
  template_statuses: z
    .record(z.string().min(1).max(512), z.enum(TEMPLATE_STATUSES))
    .describe('overrides a demo template\'s status by name, e.g. {"welcome_offer": "PAUSED"}'),
};

/** Every knob of one simulated phone number. */
export const scenarioSchema = z.strictObject(fields);
export type Scenario = z.infer<typeof scenarioSchema>;

/** A partial update: the fields given replace the stored ones. */
export const scenarioPatchSchema = z
  .strictObject(fields)
  .partial()
  .refine((v) => Object.keys(v).length > 0, "give at least one field to change");
export type ScenarioPatch = z.infer<typeof scenarioPatchSchema>;

export const DEFAULT_SCENARIO: Scenario = {
  throughput_cap: 80,
  pair_rate_limit_ms: 6_000,
  undeliverable_suffix: "0000",
  undeliverable: [],
  token_expired: false,
  random_failure_rate: 0,
  random_failure_codes: [131000],
  webhooks_enabled: true,
  slow_response_rate: 0,
  slow_response_ms: 30_000,
  sent_delay_ms: [50, 300],
  delivered_delay_ms: [300, 1_500],
  read_delay_ms: [1_000, 5_000],
  reply_delay_ms: [2_000, 10_000],
  failed_rate: 0.02,
  unread_rate: 0.25,
  reply_rate: 0.1,
  opt_out_rate: 0.01,
  messaging_limit_tier: "TIER_250",
  quality_rating: "GREEN",
  template_statuses: {},
};

/**
 * The stored scenario with a patch applied. Stored fields that no longer validate (an older
 * version of this schema) fall back to their defaults one by one.
 */
export function mergeScenario(stored: unknown, patch: ScenarioPatch = {}): Scenario {
  const source = (typeof stored === "object" && stored !== null ? stored : {}) as Record<string, unknown>;
  const out: Record<string, unknown> = { ...DEFAULT_SCENARIO };
  for (const [key, schema] of Object.entries(fields)) {
    const parsed = (schema as z.ZodType).safeParse(source[key]);
    if (parsed.success) out[key] = parsed.data;
  }
  return scenarioSchema.parse({ ...out, ...patch });
}

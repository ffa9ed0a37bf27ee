/**
 * What the API shows of WhatsApp's prices: the rate card in force (shipped rates plus the
 * workspace's overrides), a campaign's estimate before launch and its cost so far. Amounts are
 * US dollars written as decimal strings ("0.0625"), exact to the micro-dollar.
 */
import { z } from "zod";
import { PRICED_CATEGORIES } from "../domain/rate-card";

const usd = z.string().describe('US dollars as a decimal string, e.g. "0.0625"');
const cardRef = z.object({ effective_date: z.string().describe("the shipped card's effective date (YYYY-MM-DD)"), source: z.string() });
const categoryRates = z.object(Object.fromEntries(PRICED_CATEGORIES.map((c) => [c, usd])) as Record<(typeof PRICED_CATEGORIES)[number], typeof usd>);

/** An admin's rate for one country and category, with the card's rate it replaces. */
export const rateOverrideView = z.object({
  country: z.string().describe("ISO 3166-1 alpha-2"),
  category: z.enum(PRICED_CATEGORIES),
  rate: usd,
  card_rate: usd,
  updated_at: z.string().nullable(),
});

/** GET /api/rates. */
export const rateCardView = z.object({
  currency: z.literal("USD"),
  effective_date: z.string(),
  source: z.string(),
  categories: z.array(z.enum(PRICED_CATEGORIES)),
  /** The shipped card: each market's rates and countries ("Other" lists none: it holds every other country). */
  markets: z.array(z.object({ name: z.string(), countries: z.array(z.string()).nullable(), rates: categoryRates })),
  /** Every country with the rates in force for it: its market's, or the workspace's override. */
  countries: z.array(z.object({ country: z.string(), market: z.string(), rates: categoryRates, overridden: z.array(z.enum(PRICED_CATEGORIES)) })),
  overrides: z.array(rateOverrideView),
});

/** What launching a campaign now would cost (`cost_estimate` of the launch preview). */
export const costEstimateView = z.object({
  currency: z.literal("USD"),
  category: z.string().nullable().describe("the template's category; null for free text or an unknown template"),
  total: usd,
  billable: z.number().int().describe("recipients expected to be billed"),
  free: z.number().int().describe("recipients inside the free 24 h service window (free text, utility templates)"),
  unknown_rate: z.number().int().describe("billable recipients without a known rate: not in the total"),
  lines: z.array(
    z.object({
      country: z.string().nullable(),
      market: z.string().nullable(),
      recipients: z.number().int(),
      billable: z.number().int(),
      rate: usd.nullable(),
      subtotal: usd.nullable(),
    }),
  ),
  rate_card: cardRef,
});

/** GET /api/campaigns/:id/cost. */
export const campaignCostView = z.object({
  currency: z.literal("USD"),
  total: usd,
  billable: z.number().int().describe("delivered messages WhatsApp bills"),
  free: z.number().int().describe("delivered messages WhatsApp does not bill (service window, free entry point)"),
  unknown_rate: z.number().int().describe("billable messages without a known rate: not in the total"),
  no_pricing: z.number().int().describe("delivered messages whose statuses carried no pricing"),
  by_variant: z.array(
    z.object({
      variant: z.number().int(),
      total: usd,
      billable: z.number().int(),
      free: z.number().int(),
      unknown_rate: z.number().int(),
      no_pricing: z.number().int(),
    }),
  ),
  by_country: z.array(
    z.object({
      country: z.string().nullable(),
      market: z.string().nullable(),
      category: z.string().nullable(),
      billable: z.number().int(),
      free: z.number().int(),
      rate: usd.nullable(),
      subtotal: usd.nullable(),
    }),
  ),
  rate_card: cardRef,
  /** The estimate taken when the campaign was launched (null before, or for a campaign launched without one). */
  estimate: costEstimateView.nullable(),
});

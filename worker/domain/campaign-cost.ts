/**
 * What a campaign costs at WhatsApp's rates: the estimate before launch, from its audience
 * grouped by phone prefix, and the cost so far, from the pricing WhatsApp reported on each
 * delivered message. Amounts are exact micro-dollars until they are written as decimal strings.
 */
import { formatUsd, type Micros, sum, times } from "./money";
import { countryOfPrefix } from "./phone-country";
import { marketOf, type Overrides, RATE_CARD, rateFor } from "./rate-card";

/** Audience contacts sharing a phone prefix: how many, and how many wrote within the last 24 h. */
export type AudienceGroup = { prefix: string; recipients: number; inWindow: number };

/** What a campaign sends, as far as its price goes. */
export type PricedContent = { type: "text" } | { type: "template"; category: string | null };

/** A line of the estimate: one country. */
export type EstimateLine = {
  country: string | null;
  market: string | null;
  recipients: number;
  /** Recipients expected to be billed (the rest are inside the free service window). */
  billable: number;
  rate: string | null;
  subtotal: string | null;
};

export type CostEstimate = {
  currency: "USD";
  /** The template's category, lower-case; null for free text, or when the template is unknown. */
  category: string | null;
  total: string;
  billable: number;
  free: number;
  /** Billable recipients in countries (or of a category) without a known rate: not in the total. */
  unknown_rate: number;
  lines: EstimateLine[];
  rate_card: { effective_date: string; source: string };
};

export const rateCardRef = () => ({ effective_date: RATE_CARD.effectiveDate, source: RATE_CARD.source });

type Tally = { country: string | null; recipients: number; billable: number; free: number; unknown: number; cost: Micros; rate: Micros | null };

/**
 * The estimate of a campaign: free text costs nothing (it only reaches people inside the 24 h
 * window; the others are skipped); a template costs its category's rate per recipient, except
 * a utility template to someone inside the window, which is free. Recipients without a known
 * rate are counted apart, never priced at zero.
 *
 * @example
 * estimateCost([{ prefix: "5511", recipients: 10, inWindow: 4 }], { type: "template", category: "utility" }, new Map());
 * // total "0.0408" (6 × 0.0068), billable 6, free 4, unknown_rate 0, one line for BR
 */
export function estimateCost(groups: readonly AudienceGroup[], content: PricedContent, overrides: Overrides): CostEstimate {
  const category = content.type === "template" ? (content.category?.toLowerCase() ?? null) : null;
  const byCountry = new Map<string | null, Tally>();
  for (const g of groups) {
    const country = countryOfPrefix(g.prefix);
    const tally = byCountry.get(country) ?? { country, recipients: 0, billable: 0, free: 0, unknown: 0, cost: 0, rate: null };
    byCountry.set(country, tally);
    if (content.type === "text") {
      // Free text reaches only those inside the window, for free; the others are skipped.
      tally.recipients += g.inWindow;
      tally.free += g.inWindow;
      continue;
    }
    const free = category === "utility" ? g.inWindow : 0;
    const billable = g.recipients - free;
    tally.recipients += g.recipients;
    tally.free += free;
    tally.billable += billable;
    const rate = rateFor(country, category, overrides);
    if (rate === null) tally.unknown += billable;
    else {
      tally.rate = rate.rate;
      tally.cost += times(billable, rate.rate);
    }
  }
  const tallies = [...byCountry.values()].filter((t) => t.recipients > 0);
  return {
    currency: "USD",
    category,
    total: formatUsd(sum(tallies.map((t) => t.cost))),
    billable: tallies.reduce((n, t) => n + t.billable, 0),
    free: tallies.reduce((n, t) => n + t.free, 0),
    unknown_rate: tallies.reduce((n, t) => n + t.unknown, 0),
    lines: tallies
      .sort((a, b) => b.cost - a.cost || b.recipients - a.recipients || String(a.country).localeCompare(String(b.country)))
      .map((t) => ({
        country: t.country,
        market: t.country === null ? null : marketOf(t.country).name,
        recipients: t.recipients,
        billable: t.billable,
        rate: t.rate === null ? null : formatUsd(t.rate),
        subtotal: t.unknown > 0 ? null : formatUsd(t.cost),
      })),
    rate_card: rateCardRef(),
  };
}

/**
 * Delivered recipients of a campaign sharing a variant, a phone prefix and what WhatsApp said
 * about their price: `billable` null when no pricing came with their statuses.
 */
export type DeliveredGroup = { variant: number; prefix: string; category: string | null; billable: boolean | null; count: number };

export type CostLine = {
  country: string | null;
  market: string | null;
  /** The category WhatsApp billed (or exempted) the messages in. */
  category: string | null;
  billable: number;
  free: number;
  rate: string | null;
  subtotal: string | null;
};

export type VariantCost = { variant: number; total: string; billable: number; free: number; unknown_rate: number; no_pricing: number };

export type CampaignCost = {
  currency: "USD";
  total: string;
  /** Delivered messages WhatsApp said it bills. */
  billable: number;
  /** Delivered messages WhatsApp said are free (service window, free entry point). */
  free: number;
  /** Billable messages without a known rate: not in the total. */
  unknown_rate: number;
  /** Delivered messages whose statuses carried no pricing: neither billed nor free as far as Herald knows. */
  no_pricing: number;
  by_variant: VariantCost[];
  by_country: CostLine[];
  rate_card: { effective_date: string; source: string };
};

type LineTally = { country: string | null; category: string | null; billable: number; free: number; unknown: number; cost: Micros; rate: Micros | null };
type VariantTally = { variant: number; cost: Micros; billable: number; free: number; unknown: number; none: number };

/**
 * The cost so far: billable deliveries × the rate of their country and category; free and
 * unpriced deliveries counted, per variant and per country.
 *
 * @example
 * costSoFar([{ variant: 0, prefix: "5511", category: "marketing", billable: true, count: 3 }], new Map());
 * // total "0.1875", billable 3, by_country [{ country: "BR", rate: "0.0625", subtotal: "0.1875", … }]
 */
export function costSoFar(groups: readonly DeliveredGroup[], overrides: Overrides): CampaignCost {
  const lines = new Map<string, LineTally>();
  const variants = new Map<number, VariantTally>();
  for (const g of groups) {
    if (g.count <= 0) continue;
    const variant = variants.get(g.variant) ?? { variant: g.variant, cost: 0, billable: 0, free: 0, unknown: 0, none: 0 };
    variants.set(g.variant, variant);
    if (g.billable === null) {
      variant.none += g.count;
      continue;
    }
    const country = countryOfPrefix(g.prefix);
    const category = g.category === "" ? null : g.category;
    const key = `${country}:${category}`;
    const line = lines.get(key) ?? { country, category, billable: 0, free: 0, unknown: 0, cost: 0, rate: null };
    lines.set(key, line);
    if (!g.billable) {
      line.free += g.count;
      variant.free += g.count;
      continue;
    }
    line.billable += g.count;
    variant.billable += g.count;
    const rate = rateFor(country, category, overrides);
    if (rate === null) {
      line.unknown += g.count;
      variant.unknown += g.count;
    } else {
      const cost = times(g.count, rate.rate);
      line.rate = rate.rate;
      line.cost += cost;
      variant.cost += cost;
    }
  }
  const all = [...lines.values()];
  const byVariant = [...variants.values()].sort((a, b) => a.variant - b.variant);
  return {
    currency: "USD",
    total: formatUsd(sum(all.map((l) => l.cost))),
    billable: all.reduce((n, l) => n + l.billable, 0),
    free: all.reduce((n, l) => n + l.free, 0),
    unknown_rate: all.reduce((n, l) => n + l.unknown, 0),
    no_pricing: byVariant.reduce((n, v) => n + v.none, 0),
    by_variant: byVariant.map((v) => ({
      variant: v.variant,
      total: formatUsd(v.cost),
      billable: v.billable,
      free: v.free,
      unknown_rate: v.unknown,
      no_pricing: v.none,
    })),
    by_country: all
      .sort((a, b) => b.cost - a.cost || b.billable - a.billable || b.free - a.free || String(a.country).localeCompare(String(b.country)))
      .map((l) => ({
        country: l.country,
        market: l.country === null ? null : marketOf(l.country).name,
        category: l.category,
        billable: l.billable,
        free: l.free,
        rate: l.rate === null ? null : formatUsd(l.rate),
        subtotal: l.unknown > 0 ? null : formatUsd(l.cost),
      })),
    rate_card: rateCardRef(),
  };
}

/**
 * The rates in force for a workspace: the shipped card (domain/rate-card.ts) with the
 * workspace's overrides, one per country and category, kept in D1.
 */
import { and, asc, eq } from "drizzle-orm";
import type { z } from "zod";
import { type Db, isoOrNull, nowSeconds } from "../db/client";
import { rateOverrides } from "../db/schema";
import { formatUsd, type Micros } from "../domain/money";
import {
  CARD_MARKETS,
  marketOf,
  type Overrides,
  overrideKey,
  overridesOf,
  PRICED_CATEGORIES,
  type PricedCategory,
  RATE_CARD,
  rateFor,
} from "../domain/rate-card";
import { notFound } from "../lib/errors";
import type { rateCardView, rateOverrideView } from "../views/cost";

type OverrideRow = typeof rateOverrides.$inferSelect;

const rows = (db: Db, workspaceId: number) =>
  db.select().from(rateOverrides).where(eq(rateOverrides.workspaceId, workspaceId)).orderBy(asc(rateOverrides.country), asc(rateOverrides.category));

/** The workspace's overrides, keyed for `rateFor`. */
export async function workspaceOverrides(db: Db, workspaceId: number): Promise<Overrides> {
  return overridesOf(await rows(db, workspaceId));
}

const toOverrideView = (row: OverrideRow): z.output<typeof rateOverrideView> => ({
  country: row.country,
  category: row.category,
  rate: formatUsd(row.rate),
  card_rate: formatUsd(marketOf(row.country).rates[row.category]),
  updated_at: isoOrNull(row.updatedAt),
});

const ratesOf = (pick: (category: PricedCategory) => Micros) =>
  Object.fromEntries(PRICED_CATEGORIES.map((c) => [c, formatUsd(pick(c))])) as Record<PricedCategory, string>;

/**
 * The card in force for a workspace: the shipped markets, every country in `countries` with its
 * rates (an override replacing its market's), and the overrides themselves.
 */
export async function effectiveCard(db: Db, workspaceId: number, countries: readonly string[]): Promise<z.output<typeof rateCardView>> {
  const list = await rows(db, workspaceId);
  const overrides = overridesOf(list);
  return {
    currency: RATE_CARD.currency,
    effective_date: RATE_CARD.effectiveDate,
    source: RATE_CARD.source,
    categories: [...PRICED_CATEGORIES],
    markets: CARD_MARKETS.map((m) => ({ name: m.name, countries: m.countries === null ? null : [...m.countries], rates: ratesOf((c) => m.rates[c]) })),
    countries: countries.map((country) => ({
      country,
      market: marketOf(country).name,
      rates: ratesOf((c) => rateFor(country, c, overrides)!.rate),
      overridden: PRICED_CATEGORIES.filter((c) => overrides.has(overrideKey(country, c))),
    })),
    overrides: list.map(toOverrideView),
  };
}

/** Sets the workspace's rate for one country and category (replacing an earlier one). */
export async function putOverride(
  db: Db,
  input: { workspaceId: number; userId: number; country: string; category: PricedCategory; rate: Micros },
): Promise<z.output<typeof rateOverrideView>> {
  const row = await db
    .insert(rateOverrides)
    .values({ workspaceId: input.workspaceId, country: input.country, category: input.category, rate: input.rate, updatedBy: input.userId })
    .onConflictDoUpdate({
      target: [rateOverrides.workspaceId, rateOverrides.country, rateOverrides.category],
      set: { rate: input.rate, updatedBy: input.userId, updatedAt: nowSeconds() },
    })
    .returning()
    .get();
  return toOverrideView(row);
}

/** Drops the workspace's rate for one country and category; 404 when it has none. */
export async function deleteOverride(db: Db, workspaceId: number, country: string, category: PricedCategory): Promise<void> {
  const deleted = await db
    .delete(rateOverrides)
    .where(and(eq(rateOverrides.workspaceId, workspaceId), eq(rateOverrides.country, country), eq(rateOverrides.category, category)))
    .returning({ country: rateOverrides.country });
  if (deleted.length === 0) throw notFound(`rate override for ${country} ${category}`);
}

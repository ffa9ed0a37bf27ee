/**
 * Which wording variant of a free-text campaign gets the most replies, said only when the
 * difference is unlikely to be chance. The variant with the highest reply rate (replied ÷
 * delivered) is compared with every other variant by a two-sided two-proportion z-test (pooled
 * standard error); with k variants it makes k − 1 comparisons, so each must pass at α ÷ (k − 1)
 * (Bonferroni) for the whole claim to hold at 95 % confidence. It is named the best only when it
 * beats every other variant that way. Below a minimum sample (too few deliveries, or fewer than
 * five expected replies or non-replies in a compared group) nothing is claimed.
 */

/** Replies out of deliveries for one variant. */
export type ReplyCounts = { replied: number; delivered: number };

/** What the comparison concluded. */
export const VARIANT_VERDICTS = ["best", "no_significant_difference", "not_enough_data", "not_applicable"] as const;
export type VariantVerdict = (typeof VARIANT_VERDICTS)[number];

/** The rule: confidence of the whole claim, and the minimum sample below which nothing is claimed. */
export const REPLY_RATE_TEST = {
  name: "two-sided two-proportion z-test (pooled) of the highest reply rate against each other variant, Bonferroni-adjusted",
  confidence: 0.95,
  /** Fewest deliveries a variant needs before it is compared. */
  minDelivered: 30,
  /** Fewest expected replies, and non-replies, under the pooled rate in each compared group. */
  minExpected: 5,
} as const;

/** One comparison of the leading variant (`leader`, 0-based) with another (`other`). */
export type ReplyComparison = { leader: number; other: number; z: number; pValue: number; significant: boolean };

export type ReplyRateVerdict = {
  verdict: VariantVerdict;
  /** The variant with the highest reply rate (0-based; the first on a tie), or null when not compared. */
  leader: number | null;
  /** The leader against each other variant; empty when not compared. */
  comparisons: ReplyComparison[];
  /** The significance level each comparison must pass: (1 − confidence) ÷ the number of comparisons. */
  alphaPerComparison: number | null;
  /** Why nothing was compared, or what the comparison found, in words. */
  note: string | null;
};

/**
 * The complementary error function, with a fractional error below 1.2e-7 everywhere
 * (Chebyshev fit, as in Numerical Recipes' `erfcc`).
 * @example erfc(0) // 1
 * @example erfc(1.96 / Math.SQRT2) // ≈ 0.05
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -1.26551223 +
    t *
      (1.00002368 +
        t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const value = t * Math.exp(-z * z + poly);
  return x >= 0 ? value : 2 - value;
}

/**
 * The two-sided p-value of a standard normal statistic: P(|Z| ≥ |z|).
 * @example twoSidedPValue(1.96) // ≈ 0.05
 */
export function twoSidedPValue(z: number): number {
  return Math.min(1, erfc(Math.abs(z) / Math.SQRT2));
}

/**
 * The two-proportion z-test with the pooled standard error: z = (p₁ − p₂) ÷ √(p(1 − p)(1/n₁ + 1/n₂)),
 * p the pooled proportion. Null when a group is empty or the pooled proportion is 0 or 1 (no
 * variance to test against).
 * @example twoProportionZTest({ replied: 120, delivered: 1000 }, { replied: 80, delivered: 1000 }) // { z: ≈ 2.981, pValue: ≈ 0.00287 }
 */
export function twoProportionZTest(a: ReplyCounts, b: ReplyCounts): { z: number; pValue: number } | null {
  if (a.delivered <= 0 || b.delivered <= 0) return null;
  const pooled = (a.replied + b.replied) / (a.delivered + b.delivered);
  const variance = pooled * (1 - pooled) * (1 / a.delivered + 1 / b.delivered);
  if (!(variance > 0)) return null;
  const z = (a.replied / a.delivered - b.replied / b.delivered) / Math.sqrt(variance);
  return { z, pValue: twoSidedPValue(z) };
}

/** Replied ÷ delivered, or null when nothing was delivered. */
export const replyRate = (g: ReplyCounts): number | null => (g.delivered > 0 ? g.replied / g.delivered : null);

/** True when both groups have the expected replies and non-replies the normal approximation needs. */
function largeEnough(a: ReplyCounts, b: ReplyCounts, minExpected: number): boolean {
  const pooled = (a.replied + b.replied) / (a.delivered + b.delivered);
  return [a, b].every((g) => g.delivered * pooled >= minExpected && g.delivered * (1 - pooled) >= minExpected);
}

const unanswered = (verdict: VariantVerdict, note: string): ReplyRateVerdict => ({ verdict, leader: null, comparisons: [], alphaPerComparison: null, note });

/**
 * Names the variant whose reply rate is significantly higher than every other's, following
 * REPLY_RATE_TEST (see the module's description).
 *
 * @example
 * compareReplyRates([{ replied: 120, delivered: 1000 }, { replied: 80, delivered: 1000 }]);
 * // { verdict: "best", leader: 0, alphaPerComparison: 0.05, comparisons: [{ leader: 0, other: 1, z: ≈ 2.98, pValue: ≈ 0.0029, significant: true }], note: … }
 * compareReplyRates([{ replied: 3, delivered: 20 }, { replied: 1, delivered: 20 }]).verdict; // "not_enough_data"
 */
export function compareReplyRates(groups: readonly ReplyCounts[], rule: typeof REPLY_RATE_TEST = REPLY_RATE_TEST): ReplyRateVerdict {
  if (groups.length < 2) return unanswered("not_applicable", "only one variant: there is nothing to compare");
  if (groups.some((g) => g.delivered < rule.minDelivered)) {
    return unanswered("not_enough_data", `not enough data yet: every variant needs at least ${rule.minDelivered} delivered messages`);
  }
  let leader = 0;
  groups.forEach((g, i) => {
    if (g.replied / g.delivered > groups[leader]!.replied / groups[leader]!.delivered) leader = i;
  });
  const best = groups[leader]!;
  const others = groups.map((g, i) => ({ g, i })).filter(({ i }) => i !== leader);
  if (others.some(({ g }) => !largeEnough(best, g, rule.minExpected))) {
    return unanswered(
      "not_enough_data",
      `not enough data yet: too few replies (or non-replies) to compare, at least ${rule.minExpected} expected in each group`,
    );
  }
  // Rounded so 1 − 0.95 reads 0.05, not 0.050000000000000044.
  const alphaPerComparison = Number(((1 - rule.confidence) / others.length).toPrecision(12));
  const comparisons = others.map(({ g, i }): ReplyComparison => {
    // Both groups large enough means a pooled rate strictly between 0 and 1, so the test answers.
    const test = twoProportionZTest(best, g)!;
    return { leader, other: i, z: test.z, pValue: test.pValue, significant: test.z > 0 && test.pValue < alphaPerComparison };
  });
  const confidence = `${Math.round(rule.confidence * 100)} %`;
  if (comparisons.every((c) => c.significant)) {
    return { verdict: "best", leader, comparisons, alphaPerComparison, note: `variant ${leader + 1} has the best reply rate, significant at ${confidence}` };
  }
  return {
    verdict: "no_significant_difference",
    leader,
    comparisons,
    alphaPerComparison,
    note: `variant ${leader + 1} leads, but its reply rate is not significantly higher than every other variant's at ${confidence}`,
  };
}

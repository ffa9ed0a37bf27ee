import { describe, expect, it } from "vitest";
import { compareReplyRates, erfc, REPLY_RATE_TEST, replyRate, twoProportionZTest, twoSidedPValue } from "../../worker/domain/variant-stats";

describe("erfc and the two-sided p-value", () => {
  it("match known values of the normal distribution", () => {
    // P(|Z| >= z) for a standard normal Z.
    for (const [z, p] of [
      [0, 1],
      [0.5, 0.6170750774519738],
      [1, 0.31731050786291415],
      [1.96, 0.04999579029644087],
      [3, 0.0026997960632601913],
      [5, 5.733031437583892e-7],
    ] as const) {
      expect(twoSidedPValue(z), `z = ${z}`).toBeCloseTo(p, 6);
      expect(twoSidedPValue(-z), `z = ${-z}`).toBeCloseTo(p, 6);
      // Relative accuracy holds in the far tail too.
      expect(Math.abs(twoSidedPValue(z) - p) / p).toBeLessThan(1e-6);
    }
    expect(erfc(-1)).toBeCloseTo(2 - erfc(1), 12);
  });
});

describe("two-proportion z-test", () => {
  it("gives the hand-computed z for 120/1000 against 80/1000", () => {
    // Pooled p = 200/2000 = 0.1; SE = √(0.1 × 0.9 × 2/1000) = 0.0134164; z = 0.04 / SE = 2.98142.
    const test = twoProportionZTest({ replied: 120, delivered: 1000 }, { replied: 80, delivered: 1000 })!;
    expect(test.z).toBeCloseTo(2.9814239699997187, 9);
    expect(test.pValue).toBeCloseTo(0.0028691127920766257, 7);
    // Swapped, the sign flips and the p-value stays.
    const swapped = twoProportionZTest({ replied: 80, delivered: 1000 }, { replied: 120, delivered: 1000 })!;
    expect(swapped.z).toBeCloseTo(-2.9814239699997187, 9);
    expect(swapped.pValue).toBeCloseTo(test.pValue, 12);
  });

  it("handles groups of different sizes", () => {
    // p₁ = 20/38, p₂ = 6/36, pooled 26/74.
    const test = twoProportionZTest({ replied: 20, delivered: 38 }, { replied: 6, delivered: 36 })!;
    expect(test.z).toBeCloseTo(3.239146727915588, 9);
    expect(test.pValue).toBeCloseTo(0.001198878810726029, 7);
  });

  it("has no answer without variance or without deliveries", () => {
    expect(twoProportionZTest({ replied: 0, delivered: 50 }, { replied: 0, delivered: 50 })).toBeNull();
    expect(twoProportionZTest({ replied: 50, delivered: 50 }, { replied: 40, delivered: 40 })).toBeNull();
    expect(twoProportionZTest({ replied: 0, delivered: 0 }, { replied: 3, delivered: 40 })).toBeNull();
  });

  it("reply rate is replied ÷ delivered, null with nothing delivered", () => {
    expect(replyRate({ replied: 3, delivered: 12 })).toBe(0.25);
    expect(replyRate({ replied: 0, delivered: 0 })).toBeNull();
  });
});

describe("compareReplyRates", () => {
  it("names the best of two variants when the difference is significant at 95 %", () => {
    const result = compareReplyRates([
      { replied: 80, delivered: 1000 },
      { replied: 120, delivered: 1000 },
    ]);
    expect(result.verdict).toBe("best");
    expect(result.leader).toBe(1);
    expect(result.alphaPerComparison).toBeCloseTo(0.05, 12);
    expect(result.comparisons).toHaveLength(1);
    expect(result.comparisons[0]).toMatchObject({ leader: 1, other: 0, significant: true });
    expect(result.comparisons[0]!.z).toBeCloseTo(2.98142397, 6);
    expect(result.note).toBe("variant 2 has the best reply rate, significant at 95 %");
  });

  it("names nobody when the difference could be chance", () => {
    // 30/100 against 20/100: z = 1.633, p = 0.102.
    const result = compareReplyRates([
      { replied: 30, delivered: 100 },
      { replied: 20, delivered: 100 },
    ]);
    expect(result.verdict).toBe("no_significant_difference");
    expect(result.leader).toBe(0);
    expect(result.comparisons[0]!.z).toBeCloseTo(1.6329931618554518, 9);
    expect(result.comparisons[0]!.pValue).toBeCloseTo(0.1024704348597495, 6);
    expect(result.comparisons[0]!.significant).toBe(false);
  });

  it("with three variants, the leader must beat each other one at α ÷ 2 (Bonferroni)", () => {
    // Leader 20/38; the others 6/36 (p = 0.0012) and 5/35 (p = 0.00056): both below 0.025.
    const clear = compareReplyRates([
      { replied: 20, delivered: 38 },
      { replied: 6, delivered: 36 },
      { replied: 5, delivered: 35 },
    ]);
    expect(clear.verdict).toBe("best");
    expect(clear.leader).toBe(0);
    expect(clear.alphaPerComparison).toBeCloseTo(0.025, 12);
    expect(clear.comparisons.map((c) => c.other)).toEqual([1, 2]);
    expect(clear.comparisons[0]!.pValue).toBeCloseTo(0.001198878810726029, 7);
    expect(clear.comparisons[1]!.z).toBeCloseTo(3.44917446808337, 9);
    expect(clear.comparisons[1]!.pValue).toBeCloseTo(0.0005623032656440428, 7);

    // p ≈ 0.033 against the runner-up passes 0.05 but not 0.05 ÷ 2: no winner among three.
    const runnerUp = twoProportionZTest({ replied: 130, delivered: 1000 }, { replied: 100, delivered: 1000 })!;
    expect(runnerUp.pValue).toBeGreaterThan(0.025);
    expect(runnerUp.pValue).toBeLessThan(0.05);
    expect(
      compareReplyRates([
        { replied: 130, delivered: 1000 },
        { replied: 100, delivered: 1000 },
      ]).verdict,
    ).toBe("best");
    const three = compareReplyRates([
      { replied: 100, delivered: 1000 },
      { replied: 130, delivered: 1000 },
      { replied: 50, delivered: 1000 },
    ]);
    expect(three.verdict).toBe("no_significant_difference");
    expect(three.leader).toBe(1);
    expect(three.comparisons.map((c) => [c.other, c.significant])).toEqual([
      [0, false],
      [2, true],
    ]);
  });

  it("says not enough data below the minimum sample", () => {
    // Too few deliveries in one variant, however large the difference.
    const few = compareReplyRates([
      { replied: 25, delivered: 29 },
      { replied: 1, delivered: 100 },
    ]);
    expect(few).toMatchObject({ verdict: "not_enough_data", leader: null, comparisons: [], alphaPerComparison: null });
    expect(few.note).toMatch(/^not enough data yet/);
    // Enough deliveries, but fewer than 5 replies expected in a group under the pooled rate.
    const rare = compareReplyRates([
      { replied: 4, delivered: 40 },
      { replied: 0, delivered: 40 },
    ]);
    expect(rare.verdict).toBe("not_enough_data");
    // Nobody replied at all.
    expect(
      compareReplyRates([
        { replied: 0, delivered: 500 },
        { replied: 0, delivered: 500 },
      ]).verdict,
    ).toBe("not_enough_data");
    // Almost everybody replied: too few non-replies.
    expect(
      compareReplyRates([
        { replied: 40, delivered: 40 },
        { replied: 36, delivered: 40 },
      ]).verdict,
    ).toBe("not_enough_data");
    expect(REPLY_RATE_TEST).toMatchObject({ minDelivered: 30, minExpected: 5, confidence: 0.95 });
  });

  it("has nothing to compare with one variant", () => {
    expect(compareReplyRates([{ replied: 10, delivered: 100 }])).toMatchObject({ verdict: "not_applicable", leader: null });
    expect(compareReplyRates([]).verdict).toBe("not_applicable");
  });

  it("a tie at the top is no winner", () => {
    const tie = compareReplyRates([
      { replied: 20, delivered: 100 },
      { replied: 20, delivered: 100 },
      { replied: 5, delivered: 100 },
    ]);
    expect(tie.verdict).toBe("no_significant_difference");
    expect(tie.leader).toBe(0);
    expect(tie.comparisons[0]).toMatchObject({ other: 1, z: 0, significant: false });
  });
});

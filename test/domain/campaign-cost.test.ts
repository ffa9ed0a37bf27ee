import { describe, expect, it } from "vitest";
import { costSoFar, estimateCost } from "../../worker/domain/campaign-cost";
import { overridesOf } from "../../worker/domain/rate-card";

const none = overridesOf([]);

describe("the estimate before launch", () => {
  const groups = [
    { prefix: "5511", recipients: 10, inWindow: 4 },
    { prefix: "5521", recipients: 5, inWindow: 0 },
    { prefix: "1212", recipients: 3, inWindow: 1 },
    { prefix: "8812", recipients: 2, inWindow: 0 },
  ];

  it("bills every marketing recipient, inside the window too; unknown countries apart", () => {
    const e = estimateCost(groups, { type: "template", category: "MARKETING" }, none);
    // BR: 15 × 0.0625 = 0.9375; US: 3 × 0.025 = 0.075; +881: unknown.
    expect(e).toMatchObject({ currency: "USD", category: "marketing", total: "1.0125", billable: 20, free: 0, unknown_rate: 2 });
    expect(e.lines).toEqual([
      { country: "BR", market: "Brazil", recipients: 15, billable: 15, rate: "0.0625", subtotal: "0.9375" },
      { country: "US", market: "North America", recipients: 3, billable: 3, rate: "0.025", subtotal: "0.075" },
      { country: null, market: null, recipients: 2, billable: 2, rate: null, subtotal: null },
    ]);
    expect(e.rate_card.effective_date).toBe("2026-01-01");
  });

  it("counts utility recipients inside the 24 h window as free", () => {
    const e = estimateCost(groups, { type: "template", category: "utility" }, none);
    // BR: (15 − 4) × 0.0068 = 0.0748; US: (3 − 1) × 0.0034 = 0.0068.
    expect(e).toMatchObject({ total: "0.0816", billable: 15, free: 5, unknown_rate: 2 });
    expect(e.lines.find((l) => l.country === "BR")).toMatchObject({ recipients: 15, billable: 11, subtotal: "0.0748" });
  });

  it("bills authentication inside the window", () => {
    expect(estimateCost(groups, { type: "template", category: "authentication" }, none)).toMatchObject({ billable: 20, free: 0 });
  });

  it("costs nothing for free text: only recipients inside the window are reached, for free", () => {
    const e = estimateCost(groups, { type: "text" }, none);
    expect(e).toMatchObject({ category: null, total: "0.00", billable: 0, free: 5, unknown_rate: 0 });
    expect(e.lines.map((l) => [l.country, l.recipients, l.subtotal])).toEqual([
      ["BR", 4, "0.00"],
      ["US", 1, "0.00"],
    ]);
  });

  it("counts everyone apart when the template's category is unknown", () => {
    const e = estimateCost(groups, { type: "template", category: null }, none);
    expect(e).toMatchObject({ total: "0.00", billable: 20, unknown_rate: 20 });
    expect(e.lines.every((l) => l.subtotal === null && l.rate === null)).toBe(true);
  });

  it("uses the workspace's override", () => {
    const e = estimateCost(
      [{ prefix: "5511", recipients: 3, inWindow: 0 }],
      { type: "template", category: "marketing" },
      overridesOf([{ country: "BR", category: "marketing", rate: 100_000 }]),
    );
    expect(e).toMatchObject({ total: "0.30", lines: [{ country: "BR", rate: "0.10", subtotal: "0.30" }] });
  });
});

describe("the cost so far", () => {
  it("multiplies billable deliveries by their rate, per variant and per country; free and unpriced apart", () => {
    const cost = costSoFar(
      [
        { variant: 0, prefix: "5511", category: "marketing", billable: true, count: 3 },
        { variant: 1, prefix: "5521", category: "marketing", billable: true, count: 2 },
        { variant: 1, prefix: "1416", category: "marketing", billable: true, count: 1 },
        { variant: 0, prefix: "5511", category: "service", billable: false, count: 4 },
        { variant: 1, prefix: "5511", category: null, billable: null, count: 5 },
        { variant: 0, prefix: "5511", category: "authentication_international", billable: true, count: 2 },
      ],
      none,
    );
    // BR marketing: 5 × 0.0625 = 0.3125; CA: 0.025.
    expect(cost).toMatchObject({ currency: "USD", total: "0.3375", billable: 8, free: 4, unknown_rate: 2, no_pricing: 5 });
    expect(cost.by_variant).toEqual([
      { variant: 0, total: "0.1875", billable: 5, free: 4, unknown_rate: 2, no_pricing: 0 },
      { variant: 1, total: "0.15", billable: 3, free: 0, unknown_rate: 0, no_pricing: 5 },
    ]);
    expect(cost.by_country).toEqual([
      { country: "BR", market: "Brazil", category: "marketing", billable: 5, free: 0, rate: "0.0625", subtotal: "0.3125" },
      { country: "CA", market: "North America", category: "marketing", billable: 1, free: 0, rate: "0.025", subtotal: "0.025" },
      { country: "BR", market: "Brazil", category: "authentication_international", billable: 2, free: 0, rate: null, subtotal: null },
      { country: "BR", market: "Brazil", category: "service", billable: 0, free: 4, rate: null, subtotal: "0.00" },
    ]);
  });

  it("is nothing before anything is delivered", () => {
    expect(costSoFar([], none)).toMatchObject({ total: "0.00", billable: 0, free: 0, unknown_rate: 0, no_pricing: 0, by_variant: [], by_country: [] });
  });
});

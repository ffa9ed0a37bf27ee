import { describe, expect, it } from "vitest";
import { frequencyCapOf, isMarketingCategory, SKIP_REASONS, skippedTotal, skipRulesFor } from "../../worker/domain/launch-skips";

const NOW = Date.UTC(2026, 0, 1);
const NOW_S = NOW / 1000;

describe("skipRulesFor", () => {
  it("free text skips outside the window; templates never do", () => {
    expect(skipRulesFor({ content: "text", templateCategory: null, cap: null, windowStart: NOW_S - 86_400, now: NOW })).toEqual({
      windowStart: NOW_S - 86_400,
      marketing: false,
      cap: null,
    });
    expect(skipRulesFor({ content: "template", templateCategory: "UTILITY", cap: null, windowStart: NOW_S - 86_400, now: NOW }).windowStart).toBeNull();
  });

  it("only a marketing template leaves out contacts who stopped marketing (Meta's category, any case)", () => {
    const rules = (content: "text" | "template", templateCategory: string | null) =>
      skipRulesFor({ content, templateCategory, cap: null, windowStart: 0, now: NOW }).marketing;
    expect(rules("template", "MARKETING")).toBe(true);
    expect(rules("template", "marketing")).toBe(true);
    expect(rules("template", "UTILITY")).toBe(false);
    expect(rules("template", "AUTHENTICATION")).toBe(false);
    expect(rules("template", null)).toBe(false);
    expect(rules("text", "MARKETING")).toBe(false);
    expect(isMarketingCategory(undefined)).toBe(false);
  });

  it("the frequency cap counts sends from `days` days before the launch", () => {
    expect(skipRulesFor({ content: "template", templateCategory: "UTILITY", cap: { messages: 2, days: 7 }, windowStart: 0, now: NOW + 999 }).cap).toEqual({
      messages: 2,
      since: NOW_S - 7 * 86_400,
    });
  });
});

describe("frequencyCapOf", () => {
  it("is off without a message count", () => {
    expect(frequencyCapOf(null, 7)).toBeNull();
    expect(frequencyCapOf(3, 30)).toEqual({ messages: 3, days: 30 });
  });
});

it("skip reasons are checked in a fixed order", () => {
  expect(SKIP_REASONS).toEqual(["outside_service_window", "marketing_stopped", "frequency_cap"]);
});

it("skippedTotal adds every reason's count", () => {
  expect(skippedTotal({ skipped_outside_window: 1, skipped: { frequency_cap: 2, marketing_stopped: 4 } })).toBe(7);
  expect(skippedTotal({ skipped_outside_window: 0, skipped: { frequency_cap: 0, marketing_stopped: 0 } })).toBe(0);
});

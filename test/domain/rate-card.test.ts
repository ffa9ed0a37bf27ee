import { describe, expect, it } from "vitest";
import { parseUsd } from "../../worker/domain/money";
import { countryOfPhone, countryOfPrefix, PHONE_COUNTRIES, phonePrefix } from "../../worker/domain/phone-country";
import { CARD_MARKETS, marketOf, overridesOf, PRICED_CATEGORIES, RATE_CARD, rateFor } from "../../worker/domain/rate-card";

const none = overridesOf([]);

describe("the shipped rate card", () => {
  it("names its effective date and source, in US dollars", () => {
    expect(RATE_CARD).toMatchObject({ currency: "USD", effectiveDate: "2026-01-01" });
    expect(RATE_CARD.source).toMatch(/developers\.facebook\.com\/docs\/whatsapp\/pricing/);
  });

  it("prices a country with its own market", () => {
    expect(rateFor("BR", "marketing", none)).toEqual({ rate: 62_500, source: "card" });
    expect(rateFor("BR", "utility", none)).toEqual({ rate: 6_800, source: "card" });
    expect(rateFor("IN", "authentication", none)).toEqual({ rate: 1_400, source: "card" });
    expect(rateFor("CA", "marketing", none)).toEqual(rateFor("US", "marketing", none));
    expect(marketOf("US").name).toBe("North America");
  });

  it("falls back to the country's regional group, then to Other", () => {
    expect(marketOf("BO").name).toBe("Rest of Latin America");
    expect(rateFor("BO", "marketing", none)).toEqual({ rate: 74_000, source: "card" });
    expect(marketOf("ZW").name).toBe("Rest of Africa");
    expect(marketOf("PT").name).toBe("Rest of Western Europe");
    expect(marketOf("PL").name).toBe("Rest of Central & Eastern Europe");
    expect(marketOf("QA").name).toBe("Rest of Middle East");
    expect(marketOf("JP").name).toBe("Rest of Asia Pacific");
    expect(marketOf("KR").name).toBe("Other");
    expect(rateFor("KR", "utility", none)).toEqual({ rate: 7_700, source: "card" });
  });

  it("knows no rate without a country or for a category it does not price", () => {
    expect(rateFor(null, "marketing", none)).toBeNull();
    expect(rateFor("BR", "authentication_international", none)).toBeNull();
    expect(rateFor("BR", "service", none)).toBeNull();
    expect(rateFor("BR", null, none)).toBeNull();
  });

  it("lets an override win for its country and category only", () => {
    const overrides = overridesOf([{ country: "BR", category: "marketing", rate: 70_000 }]);
    expect(rateFor("BR", "marketing", overrides)).toEqual({ rate: 70_000, source: "override" });
    expect(rateFor("BR", "utility", overrides)).toEqual({ rate: 6_800, source: "card" });
    expect(rateFor("AR", "marketing", overrides)).toEqual({ rate: 61_800, source: "card" });
    // Zero is a rate like any other, not "unknown".
    expect(rateFor("AR", "marketing", overridesOf([{ country: "AR", category: "marketing", rate: 0 }]))).toEqual({ rate: 0, source: "override" });
  });

  it("has every category's rate for every market, and puts each country in one market", () => {
    for (const m of CARD_MARKETS) for (const c of PRICED_CATEGORIES) expect(Number.isSafeInteger(m.rates[c]), `${m.name} ${c}`).toBe(true);
    const listed = CARD_MARKETS.flatMap((m) => m.countries ?? []);
    expect(new Set(listed).size).toBe(listed.length);
    for (const c of listed) expect(PHONE_COUNTRIES, c).toContain(c);
    expect(CARD_MARKETS.filter((m) => m.countries === null).map((m) => m.name)).toEqual(["Other"]);
    expect(CARD_MARKETS.find((m) => m.name === "Netherlands")!.rates.marketing).toBe(parseUsd("0.1597"));
  });
});

describe("the country of a phone prefix", () => {
  it.each([
    ["5511", "BR"],
    ["1212", "US"],
    ["1416", "CA"],
    ["1809", "DO"],
    ["1787", "PR"],
    ["1876", "JM"],
    ["1268", "AG"],
    ["7916", "RU"],
    ["7701", "KZ"],
    ["4479", "GB"],
    ["2637", "ZW"],
    ["9715", "AE"],
  ])("%s is %s", (prefix, country) => {
    expect(countryOfPrefix(prefix)).toBe(country);
  });

  it("has no country for international services", () => {
    expect(countryOfPrefix("8812")).toBeNull();
    expect(countryOfPrefix("8001")).toBeNull();
  });

  it("reads the prefix of an E.164 phone", () => {
    expect(phonePrefix("+5511987654321")).toBe("5511");
    expect(countryOfPhone("+14165550123")).toBe("CA");
  });
});

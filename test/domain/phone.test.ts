import { describe, expect, it } from "vitest";
import { isCountryCode, normalizePhone } from "../../worker/domain/phone";

describe("normalizePhone", () => {
  describe("Brazilian numbers with default BR", () => {
    it.each([
      ["+55 11 98765-4321"],
      ["+5511987654321"],
      ["(11) 98765-4321"],
      ["11 98765 4321"],
      ["11987654321"],
      ["011 98765-4321"],
      ["5511987654321"],
      ["55 (11) 98765-4321"],
      ["00 55 11 98765-4321"],
      ["0055 11 98765 4321"],
      ["  +55 (11) 98765.4321  "],
      ["'+5511987654321"],
      ["'11987654321"],
    ])("accepts %j", (raw) => {
      expect(normalizePhone(raw, "BR")).toEqual({ ok: true, e164: "+5511987654321" });
    });

    it("accepts a São Paulo landline", () => {
      expect(normalizePhone("(11) 3333-4444", "BR")).toEqual({ ok: true, e164: "+551133334444" });
    });

    it("accepts a number from another state", () => {
      expect(normalizePhone("(21) 99876-5432", "BR")).toEqual({ ok: true, e164: "+5521998765432" });
    });
  });

  describe("US numbers with default US", () => {
    it.each([["(212) 555-0123"], ["212-555-0123"], ["212.555.0123"], ["1 212 555 0123"], ["+1 212 555 0123"], ["12125550123"]])("accepts %j", (raw) => {
      expect(normalizePhone(raw, "US")).toEqual({ ok: true, e164: "+12125550123" });
    });

    it("accepts the US international prefix 011", () => {
      expect(normalizePhone("011 55 11 98765 4321", "US")).toEqual({ ok: true, e164: "+5511987654321" });
    });

    it("accepts a number with a country code regardless of the default", () => {
      expect(normalizePhone("+55 11 98765-4321", "US")).toEqual({ ok: true, e164: "+5511987654321" });
      expect(normalizePhone("+44 20 7946 0958", "BR")).toEqual({ ok: true, e164: "+442079460958" });
    });
  });

  describe("rejections", () => {
    it("rejects empty input", () => {
      expect(normalizePhone("", "BR")).toEqual({ ok: false, reason: "phone number is empty" });
      expect(normalizePhone("   ", "BR")).toEqual({ ok: false, reason: "phone number is empty" });
    });

    it("rejects letters, including extensions", () => {
      expect(normalizePhone("abc", "BR")).toEqual({ ok: false, reason: 'phone number contains letters: "abc"' });
      expect(normalizePhone("+55 11 98765-4321 ext 3", "BR").ok).toBe(false);
      expect(normalizePhone("call me", "BR").ok).toBe(false);
    });

    it("rejects other characters", () => {
      expect(normalizePhone("+55 11 98765#4321", "BR")).toEqual({
        ok: false,
        reason: 'phone number contains characters that are not allowed: "+55 11 98765#4321"',
      });
    });

    it("rejects punctuation without digits", () => {
      expect(normalizePhone("--", "BR")).toEqual({ ok: false, reason: 'phone number has no digits: "--"' });
    });

    it("rejects a number that is too short", () => {
      expect(normalizePhone("123", "BR")).toEqual({ ok: false, reason: 'not a valid phone number for BR: "123"' });
      expect(normalizePhone("98765", "US")).toEqual({ ok: false, reason: 'not a valid phone number for US: "98765"' });
    });

    it("rejects a number that is too long", () => {
      expect(normalizePhone("+55 11 98765-4321 1234", "BR")).toEqual({
        ok: false,
        reason: 'not a valid phone number: "+55 11 98765-4321 1234"',
      });
      expect(normalizePhone("12345678901234567890123", "BR")).toEqual({
        ok: false,
        reason: 'phone number is too long: "12345678901234567890123"',
      });
    });

    it("rejects numbers that have the right length but are not valid", () => {
      // Brazilian mobiles have had nine digits since 2016; area code 10 does not exist.
      expect(normalizePhone("(10) 98765-4321", "BR")).toEqual({
        ok: false,
        reason: 'not a valid phone number for BR: "(10) 98765-4321"',
      });
      expect(normalizePhone("(212) 055-0123", "US").ok).toBe(false);
      expect(normalizePhone("+1 000 555 0123", "BR")).toEqual({
        ok: false,
        reason: 'not a valid phone number: "+1 000 555 0123"',
      });
    });

    it("truncates very long input in the reason", () => {
      const result = normalizePhone(`+55 ${"1 ".repeat(40)}`, "BR");
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reason.length).toBeLessThan(80);
    });

    it("without a known default country only accepts international numbers", () => {
      expect(normalizePhone("+55 11 98765-4321", "XX")).toEqual({ ok: true, e164: "+5511987654321" });
      expect(normalizePhone("(11) 98765-4321", "XX")).toEqual({
        ok: false,
        reason: 'not a valid phone number: "(11) 98765-4321"',
      });
    });
  });
});

describe("isCountryCode", () => {
  it("accepts upper-case ISO alpha-2 codes that libphonenumber supports", () => {
    expect(isCountryCode("BR")).toBe(true);
    expect(isCountryCode("US")).toBe(true);
    expect(isCountryCode("PT")).toBe(true);
  });

  it("rejects anything else", () => {
    expect(isCountryCode("XX")).toBe(false);
    expect(isCountryCode("br")).toBe(false);
    expect(isCountryCode("BRA")).toBe(false);
    expect(isCountryCode("")).toBe(false);
    expect(isCountryCode("001")).toBe(false);
  });
});

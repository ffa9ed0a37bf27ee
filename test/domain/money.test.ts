import { describe, expect, it } from "vitest";
import { formatUsd, parseUsd, sum, times } from "../../worker/domain/money";

describe("money in micro-dollars", () => {
  it.each([
    ["0.0625", 62_500],
    ["12", 12_000_000],
    ["12.5", 12_500_000],
    ["0.000001", 1],
    ["0", 0],
    ["10.000000", 10_000_000],
  ])("reads %j as %i micro-dollars", (text, micros) => {
    expect(parseUsd(text)).toBe(micros);
  });

  it.each([["-1"], ["1e-3"], ["0.0000001"], ["1,5"], [" 1"], [".5"], ["5."], [""], ["0x10"], ["Infinity"]])("refuses %j", (text) => {
    expect(parseUsd(text)).toBeNull();
  });

  it("writes amounts with at least two decimals and no trailing zeros beyond", () => {
    expect(formatUsd(62_500)).toBe("0.0625");
    expect(formatUsd(12_500_000)).toBe("12.50");
    expect(formatUsd(0)).toBe("0.00");
    expect(formatUsd(1)).toBe("0.000001");
    expect(formatUsd(123_456_789)).toBe("123.456789");
  });

  it("adds up exactly where binary floating point drifts", () => {
    // 0.1 + 0.2 in dollars is not 0.3 as a float; in micro-dollars it is.
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(formatUsd(sum([parseUsd("0.1")!, parseUsd("0.2")!]))).toBe("0.30");
    // Three utility messages to Brazil: 0.0204 exactly, where floats give 0.020399999999999998.
    expect(0.0068 + 0.0068 + 0.0068).not.toBe(0.0204);
    expect(formatUsd(sum([6_800, 6_800, 6_800]))).toBe("0.0204");
    // A million messages at 0.0113, added one by one, are 11,300 exactly (floats drift to 11300.000000088…).
    let total = 0;
    for (let i = 0; i < 1_000_000; i++) total = sum([total, parseUsd("0.0113")!]);
    expect(total).toBe(times(1_000_000, 11_300));
    expect(formatUsd(total)).toBe("11300.00");
  });

  it("refuses amounts that would no longer be exact", () => {
    expect(() => times(2 ** 40, 62_500)).toThrow(RangeError);
    expect(() => times(1.5, 62_500)).toThrow(RangeError);
    expect(() => formatUsd(0.5)).toThrow(RangeError);
    expect(() => sum([-1])).toThrow(RangeError);
  });
});

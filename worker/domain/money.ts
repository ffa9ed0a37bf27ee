/**
 * Money in US dollars, held as whole micro-dollars (millionths of a dollar): every rate of
 * WhatsApp's card has at most four decimals, so a rate is an exact integer, and counts times
 * rates and their sums stay exact integers (below 2^53 micro-dollars, about nine billion dollars).
 * The API writes amounts as decimal strings, never as binary floating-point numbers.
 */

/** An amount in micro-dollars (1 USD = 1,000,000). */
export type Micros = number;

export const MICROS_PER_USD = 1_000_000;

/** Decimal places an amount may have: one micro-dollar. */
export const MONEY_DECIMALS = 6;

const DECIMAL = /^(\d{1,9})(?:\.(\d{1,6}))?$/;

/**
 * Reads a non-negative decimal amount of dollars, written with a point and at most six decimals,
 * as micro-dollars; null when the text is anything else (a sign, an exponent, a comma, spaces).
 *
 * @example
 * parseUsd("0.0625"); // 62500
 * parseUsd("12"); // 12000000
 * parseUsd("0.0000001"); // null (more than six decimals)
 * parseUsd("-1"); // null
 */
export function parseUsd(text: string): Micros | null {
  const match = DECIMAL.exec(text);
  if (!match) return null;
  const fraction = (match[2] ?? "").padEnd(MONEY_DECIMALS, "0");
  return Number(match[1]) * MICROS_PER_USD + Number(fraction);
}

/**
 * Writes micro-dollars as a decimal string with at least two decimals and no trailing zeros
 * beyond them.
 *
 * @example
 * formatUsd(62500); // "0.0625"
 * formatUsd(12_500_000); // "12.50"
 * formatUsd(0); // "0.00"
 */
export function formatUsd(micros: Micros): string {
  assertMicros(micros);
  const whole = Math.floor(micros / MICROS_PER_USD);
  const fraction = String(micros % MICROS_PER_USD)
    .padStart(MONEY_DECIMALS, "0")
    .replace(/0+$/, "")
    .padEnd(2, "0");
  return `${whole}.${fraction}`;
}

/**
 * `count` messages at `rate` each, exactly.
 * @example times(3, 62500); // 187500
 */
export function times(count: number, rate: Micros): Micros {
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`not a count of messages: ${count}`);
  assertMicros(rate);
  const product = count * rate;
  assertMicros(product);
  return product;
}

/** The exact sum of amounts. */
export function sum(amounts: Iterable<Micros>): Micros {
  let total = 0;
  for (const amount of amounts) {
    assertMicros(amount);
    total += amount;
  }
  assertMicros(total);
  return total;
}

function assertMicros(value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`not an exact amount of micro-dollars: ${value}`);
}

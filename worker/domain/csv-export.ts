/** Characters that make a spreadsheet read a cell as a formula (CSV injection). */
const FORMULA_CHARS = "=+\\-@\\t\\r";
const FORMULA_START = new RegExp(`^[${FORMULA_CHARS}]`);
/**
 * A formula character right after a separator a spreadsheet may split on: the list separator is
 * `,` in some locales and `;` in others (pt-BR among them), and tabs and line breaks split too.
 */
const FORMULA_AFTER_SEPARATOR = new RegExp(`([,;\\t\\r\\n])(?=[${FORMULA_CHARS}])`, "g");

/**
 * One CSV cell, safe to open in a spreadsheet whatever its list separator. Text is always quoted
 * (so `,` and `;` inside it never split it), and each part that a spreadsheet would run as a
 * formula, at the start or after a separator, gets an apostrophe in front. Numbers stay bare.
 * @example csvCell('=HYPERLINK("x")') // `"'=HYPERLINK(""x"")"`
 * @example csvCell("Ana;=cmd|' /C calc'!A0") // `"Ana;'=cmd|' /C calc'!A0"`
 */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "";
  const guarded = (FORMULA_START.test(value) ? `'${value}` : value).replace(FORMULA_AFTER_SEPARATOR, "$1'");
  return `"${guarded.replaceAll('"', '""')}"`;
}

/** A CSV line (CRLF-terminated, as RFC 4180 and spreadsheets expect). */
export function csvLine(values: readonly (string | number | null | undefined)[]): string {
  return `${values.map(csvCell).join(",")}\r\n`;
}

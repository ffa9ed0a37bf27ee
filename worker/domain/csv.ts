export type CsvRecord = { line: number; fields: string[] };

export type CsvParseResult =
  | { ok: true; delimiter: "," | ";"; header: string[]; records: CsvRecord[] }
  | { ok: false; reason: string; line?: number };

export const DEFAULT_MAX_CSV_RECORDS = 100_000;

const QUOTE = 0x22;
const COMMA = 0x2c;
const SEMICOLON = 0x3b;
const CR = 0x0d;
const LF = 0x0a;
const SPACE = 0x20;
const TAB = 0x09;

// Tab, CR and LF are legitimate in text; any other C0 control means we were handed a binary file.
const BINARY_CONTROL_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/;

/**
 * Parses CSV text (RFC 4180 style) into a header and data records.
 *
 * The delimiter (comma or semicolon) is detected from the header line. Blank lines are skipped;
 * each record carries the physical line it starts on, so errors can point at the right line
 * even after multi-line quoted fields.
 *
 * @example
 * const result = parseCsv('name;phone\n"Ana ""Bia""";+55 11 98765-4321\n');
 * // { ok: true, delimiter: ";", header: ["name", "phone"],
 * //   records: [{ line: 2, fields: ['Ana "Bia"', "+55 11 98765-4321"] }] }
 */
export function parseCsv(text: string, options: { maxRecords?: number } = {}): CsvParseResult {
  const maxRecords = options.maxRecords ?? DEFAULT_MAX_CSV_RECORDS;
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;

  if (src.trim() === "") return { ok: false, reason: "the file is empty" };

  const binary = BINARY_CONTROL_CHAR.exec(src);
  if (binary) {
    const line = 1 + countLineBreaks(src, 0, binary.index);
    const code = binary[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
    return {
      ok: false,
      reason: `not a CSV text file: it contains a control character (U+${code}) on line ${line}`,
      line,
    };
  }

  const delimiter = detectDelimiter(src);
  const delim = delimiter.charCodeAt(0);
  const len = src.length;

  let header: string[] | null = null;
  const records: CsvRecord[] = [];
  let i = 0;
  let line = 1;

  while (i < len) {
    const recordLine = line;
    const fields: string[] = [];
    let blank = true;

    for (;;) {
      let j = i;
      let c = src.charCodeAt(j);
      while (j < len && (c === SPACE || c === TAB)) c = src.charCodeAt(++j);

      let value: string;
      if (j < len && c === QUOTE) {
        const openLine = line;
        let parts: string[] | null = null;
        let start = j + 1;
        let k = start;
        for (;;) {
          const q = src.indexOf('"', k);
          if (q === -1) {
            return {
              ok: false,
              reason: `unterminated quoted field: the quote opened on line ${openLine} is never closed`,
              line: openLine,
            };
          }
          line += countLineBreaks(src, k, q);
          if (src.charCodeAt(q + 1) === QUOTE) {
            (parts ??= []).push(src.slice(start, q + 1));
            start = q + 2;
            k = q + 2;
            continue;
          }
          const last = src.slice(start, q);
          value = parts ? parts.join("") + last : last;
          i = q + 1;
          break;
        }
        // Text after the closing quote (`"abc"def`) is malformed; keep it rather than lose data.
        let t = i;
        while (t < len) {
          const d = src.charCodeAt(t);
          if (d === delim || d === CR || d === LF) break;
          t++;
        }
        if (t > i) value += src.slice(i, t).trim();
        i = t;
        if (blank && value.trim() !== "") blank = false;
      } else {
        let t = j;
        while (t < len) {
          const d = src.charCodeAt(t);
          if (d === delim || d === CR || d === LF) break;
          t++;
        }
        value = t > j ? src.slice(j, t).trim() : "";
        i = t;
        if (blank && value !== "") blank = false;
      }
      fields.push(value);

      if (i >= len) break;
      const d = src.charCodeAt(i);
      i++;
      if (d === delim) continue;
      if (d === CR && src.charCodeAt(i) === LF) i++;
      line++;
      break;
    }

    if (header === null) {
      header = fields.map((f) => f.trim());
      const problem = checkHeader(header);
      if (problem) return { ok: false, reason: problem, line: recordLine };
      continue;
    }
    if (blank) continue;
    if (records.length >= maxRecords) {
      return {
        ok: false,
        reason: `too many rows: the file has more than ${maxRecords} data rows; the limit is ${maxRecords}`,
        line: recordLine,
      };
    }
    records.push({ line: recordLine, fields });
  }

  if (header === null) return { ok: false, reason: "the file has no header line" };
  return { ok: true, delimiter, header, records };
}

function checkHeader(header: string[]): string | null {
  if (!header.some((name) => name !== "")) {
    return "the header (first line) has no column names";
  }
  const seen = new Map<string, string>();
  for (const name of header) {
    if (name === "") continue;
    const key = name.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) {
      return `duplicate column names in the header: ${JSON.stringify(first)} and ${JSON.stringify(name)}`;
    }
    seen.set(key, name);
  }
  return null;
}

/** Counts the first line's commas and semicolons outside quotes; semicolon only wins outright. */
function detectDelimiter(src: string): "," | ";" {
  let commas = 0;
  let semicolons = 0;
  let quoted = false;
  for (let i = 0; i < src.length; i++) {
    const c = src.charCodeAt(i);
    if (c === QUOTE) quoted = !quoted;
    else if (quoted) continue;
    else if (c === COMMA) commas++;
    else if (c === SEMICOLON) semicolons++;
    else if (c === LF || c === CR) break;
  }
  return semicolons > commas ? ";" : ",";
}

/** CRLF counts once; lone CR and lone LF count once each. */
function countLineBreaks(src: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = src.charCodeAt(i);
    if (c === CR) n++;
    else if (c === LF && (i === 0 || src.charCodeAt(i - 1) !== CR)) n++;
  }
  return n;
}

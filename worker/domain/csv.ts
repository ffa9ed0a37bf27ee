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

type CsvFailure = { ok: false; reason: string; line?: number };

/** A checked CSV file whose records are read lazily, so a large file is never held as records all at once. */
export type CsvFile = {
  ok: true;
  delimiter: "," | ";";
  header: string[];
  /** Data records (blank lines skipped). */
  recordCount: number;
  /** Iterates the data records again from the start. */
  records(): Iterable<CsvRecord>;
};

/**
 * Checks a whole CSV text (binary content, header, quoting, row limit) without keeping its
 * records, so callers can refuse a bad file before writing anything, then stream the records.
 *
 * @example
 * const file = openCsv("name,phone\nAna,+5511987654321\n");
 * if (file.ok) for (const r of file.records()) console.log(r.line, r.fields); // 2 ["Ana", "+5511987654321"]
 */
export function openCsv(text: string, options: { maxRecords?: number } = {}): CsvFile | CsvFailure {
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
  let header: string[] | null = null;
  let recordCount = 0;
  for (const item of scan(src, delimiter)) {
    if ("ok" in item) return item;
    if (header === null) {
      header = item.fields.map((f) => f.trim());
      const problem = checkHeader(header);
      if (problem) return { ok: false, reason: problem, line: item.line };
      continue;
    }
    if (item.blank) continue;
    if (recordCount >= maxRecords) {
      return {
        ok: false,
        reason: `too many rows: the file has more than ${maxRecords} data rows; the limit is ${maxRecords}`,
        line: item.line,
      };
    }
    recordCount++;
  }
  if (header === null) return { ok: false, reason: "the file has no header line" };
  const checkedHeader = header;
  return {
    ok: true,
    delimiter,
    header: checkedHeader,
    recordCount,
    *records() {
      let first = true;
      for (const item of scan(src, delimiter)) {
        if ("ok" in item) return;
        if (first) {
          first = false;
          continue;
        }
        if (!item.blank) yield { line: item.line, fields: item.fields };
      }
    },
  };
}

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
  const file = openCsv(text, options);
  if (!file.ok) return file;
  return { ok: true, delimiter: file.delimiter, header: file.header, records: [...file.records()] };
}

/** Yields every physical record, header included, flagging blank ones; stops at the first quoting error. */
function* scan(src: string, delimiter: "," | ";"): Generator<(CsvRecord & { blank: boolean }) | CsvFailure> {
  const delim = delimiter.charCodeAt(0);
  const len = src.length;
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
            yield {
              ok: false,
              reason: `unterminated quoted field: the quote opened on line ${openLine} is never closed`,
              line: openLine,
            };
            return;
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
    yield { line: recordLine, fields, blank };
  }
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

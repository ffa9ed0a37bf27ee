/**
 * CSV files as Herald imports them (RFC 4180 style, comma or semicolon), read incrementally: a
 * text can be given in pieces of any size (as a stream is decoded) and the outcome is the same as
 * for the whole text at once, line numbers and errors included. A file is read twice: once by
 * `createCsvCheck`, which keeps no records, to refuse a bad file before anything is written, then
 * by `createCsvReader`, which hands out the records a piece at a time.
 */

/** A data record: the physical line it starts on and its fields. */
export type CsvRecord = {
  line: number;
  fields: string[];
  /** The record held more than MAX_CSV_RECORD_CHARS characters: its fields are cut short. */
  tooLong?: true;
};

export type CsvParseResult = { ok: true; delimiter: "," | ";"; header: string[]; records: CsvRecord[] } | { ok: false; reason: string; line?: number };

export const DEFAULT_MAX_CSV_RECORDS = 100_000;

/**
 * Most characters (and fields, each counting one more) a record may hold; beyond it the fields
 * are cut and the record marked `tooLong`, so memory stays bounded whatever the file holds.
 */
export const MAX_CSV_RECORD_CHARS = 1_000_000;

const QUOTE = 0x22;
const COMMA = 0x2c;
const SEMICOLON = 0x3b;
const CR = 0x0d;
const LF = 0x0a;
const SPACE = 0x20;
const TAB = 0x09;

// Tab, CR and LF are legitimate in text; any other C0 control means we were handed a binary file.
const BINARY_CONTROL_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/;
const NOT_BLANK = /\S/;

type CsvFailure = { ok: false; reason: string; line?: number };

/** What `createCsvCheck` learns of a valid file. */
export type CsvSummary = {
  ok: true;
  delimiter: "," | ";";
  header: string[];
  /** Data records (blank lines skipped). */
  recordCount: number;
};

/** A checked CSV file whose records are read lazily, so a large file is never held as records all at once. */
export type CsvFile = CsvSummary & {
  /** Iterates the data records again from the start. */
  records(): Iterable<CsvRecord>;
};

/**
 * Checks a CSV text given in pieces (binary content, header, quoting, row limit) without keeping
 * its records; `end()` answers the delimiter, header and record count, or the first problem.
 * When a file has several problems, the answer is the one reading it whole would give: an empty
 * file first, then the first control character, then the first problem in reading order.
 *
 * @example
 * const check = createCsvCheck();
 * check.push("name,phone\nAna,+551198");
 * check.push("7654321\n");
 * check.end(); // { ok: true, delimiter: ",", header: ["name", "phone"], recordCount: 1 }
 */
export function createCsvCheck(options: { maxRecords?: number } = {}): {
  push(text: string): void;
  /** Whatever follows, `end()` will answer a failure. */
  readonly failed: boolean;
  end(): CsvSummary | CsvFailure;
} {
  const maxRecords = options.maxRecords ?? DEFAULT_MAX_CSV_RECORDS;
  const leading = bomStripper();
  const detect = delimiterDetector();
  let checkers: Checker[] | null = [checker(",", maxRecords), checker(";", maxRecords)];
  let blank = true;
  let control: CsvFailure | null = null;

  const feed = (text: string) => {
    if (!detect.done) {
      detect.push(text);
      for (const c of checkers!) c.push(text);
      if (detect.done) checkers = checkers!.filter((c) => c.delimiter === detect.delimiter);
    } else {
      checkers![0]!.push(text);
    }
  };

  return {
    get failed() {
      return control !== null || (detect.done && checkers![0]!.failed);
    },
    push(piece) {
      const text = leading(piece);
      if (blank && NOT_BLANK.test(text)) blank = false;
      if (control) return;
      const binary = BINARY_CONTROL_CHAR.exec(text);
      if (!binary) return feed(text);
      feed(text.slice(0, binary.index));
      const line = checkers![0]!.line;
      const code = binary[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
      control = { ok: false, reason: `not a CSV text file: it contains a control character (U+${code}) on line ${line}`, line };
    },
    end() {
      if (blank) return { ok: false, reason: "the file is empty" };
      if (control) return control;
      detect.end();
      const chosen = checkers!.find((c) => c.delimiter === detect.delimiter)!;
      return chosen.end();
    },
  };
}

/**
 * Reads the data records of a CSV text given in pieces, once `createCsvCheck` found it valid
 * (with that delimiter): each `push` answers the records completed by that piece, `end` the last
 * one. The header and blank records are left out.
 *
 * @example
 * const reader = createCsvReader(",");
 * reader.push("name,phone\nAna,+55119"); // []
 * reader.push("87654321\nBia,1"); // [{ line: 2, fields: ["Ana", "+5511987654321"] }]
 * reader.end(); // [{ line: 3, fields: ["Bia", "1"] }]
 */
export function createCsvReader(delimiter: "," | ";"): { push(text: string): CsvRecord[]; end(): CsvRecord[] } {
  const leading = bomStripper();
  let out: CsvRecord[] = [];
  let header = true;
  const scanner = new RecordScanner(delimiter, (record) => {
    if (header) {
      header = false;
      return;
    }
    if (record.blank) return;
    out.push(record.tooLong ? { line: record.line, fields: record.fields, tooLong: true } : { line: record.line, fields: record.fields });
  });
  const take = () => {
    const done = out;
    out = [];
    return done;
  };
  return {
    push(text) {
      scanner.push(leading(text));
      return take();
    },
    end() {
      scanner.end();
      return take();
    },
  };
}

/**
 * Checks a whole CSV text (binary content, header, quoting, row limit) without keeping its
 * records, so callers can refuse a bad file before writing anything, then stream the records.
 *
 * @example
 * const file = openCsv("name,phone\nAna,+5511987654321\n");
 * if (file.ok) for (const r of file.records()) console.log(r.line, r.fields); // 2 ["Ana", "+5511987654321"]
 */
export function openCsv(text: string, options: { maxRecords?: number } = {}): CsvFile | CsvFailure {
  const check = createCsvCheck(options);
  check.push(text);
  const summary = check.end();
  if (!summary.ok) return summary;
  return {
    ...summary,
    *records() {
      const reader = createCsvReader(summary.delimiter);
      for (let at = 0; at < text.length; at += 65_536) yield* reader.push(text.slice(at, at + 65_536));
      yield* reader.end();
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

/** Drops one U+FEFF at the very start of the text (a decoder may already have dropped another). */
function bomStripper(): (text: string) => string {
  let first = true;
  return (text) => {
    if (!first || text === "") return text;
    first = false;
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  };
}

/** Counts the first line's commas and semicolons outside quotes; semicolon only wins outright. */
function delimiterDetector() {
  let commas = 0;
  let semicolons = 0;
  let quoted = false;
  const state = {
    done: false,
    delimiter: "," as "," | ";",
    push(text: string) {
      for (let i = 0; i < text.length && !state.done; i++) {
        const c = text.charCodeAt(i);
        if (c === QUOTE) quoted = !quoted;
        else if (quoted) continue;
        else if (c === COMMA) commas++;
        else if (c === SEMICOLON) semicolons++;
        else if (c === LF || c === CR) state.end();
      }
    },
    end() {
      state.done = true;
      state.delimiter = semicolons > commas ? ";" : ",";
    },
  };
  return state;
}

type Checker = ReturnType<typeof checker>;

/** The file checks for one delimiter: the header, the row limit and the quoting. */
function checker(delimiter: "," | ";", maxRecords: number) {
  let header: string[] | null = null;
  let recordCount = 0;
  let failure: CsvFailure | null = null;
  const scanner = new RecordScanner(delimiter, (record) => {
    if (failure) return;
    if (header === null) {
      scanner.keepFields = false;
      if (record.tooLong) {
        failure = { ok: false, reason: `the header (first line) is longer than ${MAX_CSV_RECORD_CHARS.toLocaleString("en")} characters`, line: record.line };
        return;
      }
      header = record.fields.map((f) => f.trim());
      const problem = checkHeader(header);
      if (problem) failure = { ok: false, reason: problem, line: record.line };
      return;
    }
    if (record.blank) return;
    if (recordCount >= maxRecords) {
      failure = { ok: false, reason: `too many rows: the file has more than ${maxRecords} data rows; the limit is ${maxRecords}`, line: record.line };
      return;
    }
    recordCount++;
  });
  return {
    delimiter,
    /** The physical line the next character is on. */
    get line() {
      return scanner.line;
    },
    get failed() {
      return failure !== null;
    },
    push: (text: string) => scanner.push(text),
    end(): CsvSummary | CsvFailure {
      const unterminated = scanner.end();
      if (failure) return failure;
      if (unterminated) return unterminated;
      if (header === null) return { ok: false, reason: "the file has no header line" };
      return { ok: true, delimiter, header, recordCount };
    },
  };
}

type Scanned = { line: number; fields: string[]; blank: boolean; tooLong: boolean };

const State = {
  /** Before a record's first character (a LF right after a record's CR is skipped here). */
  RecordStart: 0,
  /** At a field's start, skipping spaces and tabs. */
  FieldStart: 1,
  Unquoted: 2,
  Quoted: 3,
  /** A quote inside a quoted field: an escaped quote or the field's end. */
  QuoteInQuoted: 4,
  /** Text after a quoted field's closing quote, kept (trimmed) rather than lost. */
  AfterQuote: 5,
} as const;
type State = (typeof State)[keyof typeof State];

const isBlankCode = (c: number) =>
  c === SPACE ||
  (c >= TAB && c <= CR) ||
  c === 0xa0 ||
  c === 0x1680 ||
  (c >= 0x2000 && c <= 0x200a) ||
  c === 0x2028 ||
  c === 0x2029 ||
  c === 0x202f ||
  c === 0x205f ||
  c === 0x3000 ||
  c === 0xfeff;

function hasNonBlank(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!isBlankCode(text.charCodeAt(i))) return true;
  return false;
}

/**
 * Splits a text given in pieces into records. Every record is handed to `emit` with the line it
 * starts on, whether all its fields are blank, and (while `keepFields`) its fields; with
 * `keepFields` off the fields are not built, which is all a check needs.
 */
class RecordScanner {
  /** The physical line of the next character. */
  line = 1;
  keepFields = true;
  private readonly delim: number;
  private state: State = State.RecordStart;
  private skipLF = false;
  private lastWasCR = false;
  private recordLine = 1;
  private fields: string[] = [];
  private blank = true;
  private size = 0;
  private tooLong = false;
  private cut = false;
  private parts: string[] = [];
  private trailing: string[] = [];
  private fieldHasText = false;
  private quoteLine = 1;

  constructor(
    delimiter: "," | ";",
    private readonly emit: (record: Scanned) => void,
  ) {
    this.delim = delimiter.charCodeAt(0);
  }

  push(text: string): void {
    const n = text.length;
    const delim = this.delim;
    let i = 0;
    while (i < n) {
      switch (this.state) {
        case State.RecordStart: {
          if (this.skipLF) {
            this.skipLF = false;
            if (text.charCodeAt(i) === LF) {
              i++;
              continue;
            }
          }
          this.recordLine = this.line;
          this.fields = [];
          this.blank = true;
          this.size = 0;
          this.tooLong = false;
          this.cut = false;
          this.startField();
          this.state = State.FieldStart;
          continue;
        }
        case State.FieldStart: {
          const c = text.charCodeAt(i);
          if (c === SPACE || c === TAB) {
            i++;
          } else if (c === QUOTE) {
            this.quoteLine = this.line;
            this.lastWasCR = false;
            this.state = State.Quoted;
            i++;
          } else {
            this.state = State.Unquoted;
          }
          continue;
        }
        case State.Unquoted:
        case State.AfterQuote: {
          let t = i;
          while (t < n) {
            const d = text.charCodeAt(t);
            if (d === delim || d === CR || d === LF) break;
            t++;
          }
          if (t > i) this.take(this.state === State.Unquoted ? this.parts : this.trailing, text, i, t);
          if (t === n) return;
          i = this.fieldEnd(text.charCodeAt(t), t);
          continue;
        }
        case State.Quoted: {
          const q = text.indexOf('"', i);
          const end = q === -1 ? n : q;
          for (let k = i; k < end; k++) {
            const c = text.charCodeAt(k);
            if (c === CR) {
              this.line++;
              this.lastWasCR = true;
            } else {
              if (c === LF && !this.lastWasCR) this.line++;
              this.lastWasCR = false;
            }
          }
          if (end > i) this.take(this.parts, text, i, end);
          if (q === -1) return;
          this.state = State.QuoteInQuoted;
          i = q + 1;
          continue;
        }
        case State.QuoteInQuoted: {
          if (text.charCodeAt(i) === QUOTE) {
            this.take(this.parts, '"', 0, 1);
            this.lastWasCR = false;
            this.state = State.Quoted;
            i++;
          } else {
            this.state = State.AfterQuote;
          }
          continue;
        }
      }
    }
  }

  /** Ends the text: the last record, if any, is emitted; an open quote is the answer. */
  end(): CsvFailure | null {
    switch (this.state) {
      case State.RecordStart:
        return null;
      case State.Quoted:
        return {
          ok: false,
          reason: `unterminated quoted field: the quote opened on line ${this.quoteLine} is never closed`,
          line: this.quoteLine,
        };
      case State.QuoteInQuoted:
        this.state = State.AfterQuote;
        break;
    }
    this.pushField();
    this.emitRecord();
    this.state = State.RecordStart;
    return null;
  }

  private startField() {
    this.parts = [];
    this.trailing = [];
    this.fieldHasText = false;
  }

  /** Keeps text[from, to) of the current field (with `keepFields`) and notes whether it is blank. */
  private take(into: string[], text: string, from: number, to: number) {
    if (this.blank && !this.fieldHasText && hasNonBlank(text, from, to)) this.fieldHasText = true;
    if (this.keepFields && !this.tooLong) {
      const room = MAX_CSV_RECORD_CHARS - this.size;
      if (to - from > room) {
        this.tooLong = true;
        to = from + room;
      }
      this.size += to - from;
      into.push(from === 0 && to === text.length ? text : text.slice(from, to));
    }
  }

  /** The current field ended at text[t] (a delimiter, CR or LF): answers where to go on. */
  private fieldEnd(c: number, t: number): number {
    this.pushField();
    if (c === this.delim) {
      this.startField();
      this.state = State.FieldStart;
      return t + 1;
    }
    this.line++;
    if (c === CR) this.skipLF = true;
    this.emitRecord();
    this.state = State.RecordStart;
    return t + 1;
  }

  private pushField() {
    if (this.fieldHasText) this.blank = false;
    if (!this.keepFields) return;
    // Each field counts one character; past the limit, only the field being cut is kept.
    if (this.size < MAX_CSV_RECORD_CHARS) this.size++;
    else if (this.cut) return;
    else this.tooLong = this.cut = true;
    const quoted = this.state === State.AfterQuote;
    this.fields.push(quoted ? this.parts.join("") + this.trailing.join("").trim() : this.parts.join("").trim());
  }

  private emitRecord() {
    this.emit({ line: this.recordLine, fields: this.fields, blank: this.blank, tooLong: this.tooLong });
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

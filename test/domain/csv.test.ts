import { describe, expect, it } from "vitest";
import { type CsvParseResult, createCsvCheck, createCsvReader, MAX_CSV_RECORD_CHARS, parseCsv } from "../../worker/domain/csv";

function parsed(text: string, options?: { maxRecords?: number }) {
  const result = parseCsv(text, options);
  if (!result.ok) throw new Error(`expected ok, got: ${result.reason}`);
  return result;
}

function failed(result: CsvParseResult) {
  if (result.ok) throw new Error("expected the parse to fail");
  return result;
}

describe("parseCsv", () => {
  it("parses a simple comma file", () => {
    const result = parsed("name,phone\nAna,+5511987654321\nBia,+5511912345678\n");
    expect(result.delimiter).toBe(",");
    expect(result.header).toEqual(["name", "phone"]);
    expect(result.records).toEqual([
      { line: 2, fields: ["Ana", "+5511987654321"] },
      { line: 3, fields: ["Bia", "+5511912345678"] },
    ]);
  });

  it("accepts a file without a trailing newline", () => {
    expect(parsed("name,phone\nAna,1").records).toEqual([{ line: 2, fields: ["Ana", "1"] }]);
  });

  it("returns no records for a header-only file", () => {
    const result = parsed("name,phone\n");
    expect(result.header).toEqual(["name", "phone"]);
    expect(result.records).toEqual([]);
  });

  it("strips a leading BOM", () => {
    const result = parsed("\uFEFFname,phone\nAna,1\n");
    expect(result.header).toEqual(["name", "phone"]);
    expect(result.records).toEqual([{ line: 2, fields: ["Ana", "1"] }]);
  });

  describe("delimiter detection", () => {
    it("detects semicolons (Excel in pt-BR)", () => {
      const result = parsed("nome;telefone;cidade\nAna;(11) 98765-4321;São Paulo, SP\n");
      expect(result.delimiter).toBe(";");
      expect(result.header).toEqual(["nome", "telefone", "cidade"]);
      expect(result.records[0]?.fields).toEqual(["Ana", "(11) 98765-4321", "São Paulo, SP"]);
    });

    it("skips semicolon-only lines in a semicolon file", () => {
      const result = parsed("nome;telefone\r\n;;\r\n ; \r\nAna;1\r\n");
      expect(result.records).toEqual([{ line: 4, fields: ["Ana", "1"] }]);
    });

    it("picks the more frequent delimiter in the header", () => {
      expect(parsed("a;b;c,d\n1;2;3,4\n").delimiter).toBe(";");
      expect(parsed("a,b,c;d\n1,2,3;4\n").delimiter).toBe(",");
    });

    it("falls back to comma on a tie or when neither appears", () => {
      expect(parsed("a,b;c\n").delimiter).toBe(",");
      expect(parsed("phone\n+5511987654321\n").delimiter).toBe(",");
    });

    it("ignores delimiters inside quoted header cells", () => {
      const result = parsed('"a;b;c",d\n"1;2;3",4\n');
      expect(result.delimiter).toBe(",");
      expect(result.header).toEqual(["a;b;c", "d"]);
    });

    it("only looks at the header line", () => {
      expect(parsed("a,b\n1;2;3;4;5,6\n").delimiter).toBe(",");
    });
  });

  describe("quoting", () => {
    it('handles "" escapes, delimiters and newlines inside quotes', () => {
      const result = parsed('name,notes\n"Ana ""Bia"" Silva","first, second\nthird"\n');
      expect(result.records).toEqual([{ line: 2, fields: ['Ana "Bia" Silva', "first, second\nthird"] }]);
    });

    it("keeps quoted contents as-is but trims unquoted fields", () => {
      const result = parsed('a,b,c\n  x  ,"  y  " ,  "z"\n');
      expect(result.records[0]?.fields).toEqual(["x", "  y  ", "z"]);
    });

    it("parses an empty quoted field and a field that is only a quote", () => {
      const result = parsed('a,b,c\n"",""""," "\n');
      expect(result.records[0]?.fields).toEqual(["", '"', " "]);
    });

    it("treats a stray quote inside an unquoted field literally", () => {
      const result = parsed('name,size\nAna 5" tall,12"\n');
      expect(result.records[0]?.fields).toEqual(['Ana 5" tall', '12"']);
    });

    it("keeps text that follows a closing quote", () => {
      expect(parsed('a,b\n"abc"def,x\n').records[0]?.fields).toEqual(["abcdef", "x"]);
    });

    it("reports an unterminated quote with the line where it opened", () => {
      const result = failed(parseCsv('name,phone\nAna,1\nBia,"2\nCarla,3\nDani,4\n'));
      expect(result.line).toBe(3);
      expect(result.reason).toContain("line 3");
      expect(result.reason).toMatch(/unterminated quoted field/);
    });

    it("reports an unterminated quote in the header", () => {
      const result = failed(parseCsv('"name,phone\nAna,1\n'));
      expect(result.line).toBe(1);
    });
  });

  describe("line endings and line numbers", () => {
    it("handles CRLF", () => {
      const result = parsed("name,phone\r\nAna,1\r\nBia,2\r\n");
      expect(result.records).toEqual([
        { line: 2, fields: ["Ana", "1"] },
        { line: 3, fields: ["Bia", "2"] },
      ]);
    });

    it("handles lone CR (old Mac exports)", () => {
      const result = parsed("name,phone\rAna,1\rBia,2\r");
      expect(result.records).toEqual([
        { line: 2, fields: ["Ana", "1"] },
        { line: 3, fields: ["Bia", "2"] },
      ]);
    });

    it("handles mixed line endings", () => {
      const result = parsed("name,phone\r\nAna,1\nBia,2\rCarla,3");
      expect(result.records.map((r) => r.line)).toEqual([2, 3, 4]);
    });

    it("numbers records after multi-line quoted fields by their physical start line", () => {
      const text = ["name,notes", 'Ana,"line one', "line two", 'line three"', 'Bia,"crlf\r\ninside\r\nquotes"', 'Carla,"cr\rinside"', "Dani,plain"].join("\n");
      const result = parsed(text);
      expect(result.records).toEqual([
        { line: 2, fields: ["Ana", "line one\nline two\nline three"] },
        { line: 5, fields: ["Bia", "crlf\r\ninside\r\nquotes"] },
        { line: 8, fields: ["Carla", "cr\rinside"] },
        { line: 10, fields: ["Dani", "plain"] },
      ]);
    });

    it("skips empty, whitespace-only and delimiter-only lines but keeps counting them", () => {
      const result = parsed("name,phone\n\nAna,1\n   \n,,\n , \n\r\nBia,2\n\n\n");
      expect(result.records).toEqual([
        { line: 3, fields: ["Ana", "1"] },
        { line: 8, fields: ["Bia", "2"] },
      ]);
    });

    it("keeps trailing empty fields", () => {
      expect(parsed("a,b,c\n1,,\n").records[0]?.fields).toEqual(["1", "", ""]);
    });
  });

  describe("not CSV", () => {
    it("rejects empty input", () => {
      expect(failed(parseCsv("")).reason).toMatch(/empty/);
      expect(failed(parseCsv("\uFEFF")).reason).toMatch(/empty/);
      expect(failed(parseCsv(" \r\n\n ")).reason).toMatch(/empty/);
    });

    it("rejects a file whose first line is empty", () => {
      const result = failed(parseCsv("\nname,phone\nAna,1\n"));
      expect(result.reason).toMatch(/no column names/);
      expect(result.line).toBe(1);
    });

    it("rejects a header with no column names", () => {
      expect(failed(parseCsv(",,,\n1,2,3,4\n")).reason).toMatch(/no column names/);
      expect(failed(parseCsv('"",""\n1,2\n')).reason).toMatch(/no column names/);
    });

    it("rejects duplicate header names, case-insensitively and after trimming", () => {
      const result = failed(parseCsv("Name,Phone, phone \nAna,1,2\n"));
      expect(result.reason).toBe('duplicate column names in the header: "Phone" and "phone"');
      expect(result.line).toBe(1);
    });

    it("allows several empty header cells", () => {
      expect(parsed("name,,phone,\nAna,x,1,y\n").header).toEqual(["name", "", "phone", ""]);
    });

    it("rejects NUL and other control characters as binary", () => {
      const result = failed(parseCsv("name,phone\nAna,1\u0000\n"));
      expect(result.reason).toMatch(/control character \(U\+0000\) on line 2/);
      expect(result.line).toBe(2);
      expect(failed(parseCsv("PK\u0003\u0004binary")).reason).toMatch(/not a CSV text file/);
      expect(failed(parseCsv("a,b\n1,\u001b[31m\n")).reason).toMatch(/U\+001B/);
    });

    it("allows tabs", () => {
      expect(parsed("a,b\n\tx\t,y\n").records[0]?.fields).toEqual(["x", "y"]);
    });
  });

  describe("row limit", () => {
    it("accepts exactly maxRecords records, not counting header or blank lines", () => {
      const result = parsed("phone\n1\n\n2\n3\n", { maxRecords: 3 });
      expect(result.records).toHaveLength(3);
    });

    it("rejects more than maxRecords records", () => {
      const result = failed(parseCsv("phone\n1\n2\n3\n4\n", { maxRecords: 3 }));
      expect(result.reason).toBe("too many rows: the file has more than 3 data rows; the limit is 3");
    });

    it("defaults to 100000 records", () => {
      const rows = Array.from({ length: 100_000 }, (_, i) => `Contact ${i},+5511${String(900000000 + i)}`);
      const atLimit = ["name,phone", ...rows].join("\n");
      const ok = parsed(atLimit);
      expect(ok.records).toHaveLength(100_000);
      expect(ok.records[99_999]).toEqual({ line: 100_001, fields: ["Contact 99999", "+5511900099999"] });

      const result = failed(parseCsv(`${atLimit}\nOne more,+5511987654321\n`));
      expect(result.reason).toMatch(/^too many rows: .* the limit is 100000$/);
    });
  });

  it("parses 100,000 rows x 6 columns quickly", () => {
    const lines = ["name,phone,labels,city,email,notes"];
    for (let i = 0; i < 100_000; i++) {
      lines.push(`Contact ${i},+55 11 9${String(i).padStart(8, "0")},vip|sp,São Paulo,c${i}@example.com,"note, ${i}"`);
    }
    const text = lines.join("\r\n");
    const started = Date.now();
    const result = parsed(text);
    const elapsed = Date.now() - started;
    expect(result.records).toHaveLength(100_000);
    expect(result.records[12_345]?.fields[5]).toBe("note, 12345");
    // Generous bound against accidental quadratic behaviour. workerd freezes the clock during
    // synchronous code, so this only bites when the file runs under plain Node.
    expect(elapsed).toBeLessThan(2000);
  });
});

/** Checks and reads `text` given in pieces of `size` characters, as the import reads a stream. */
function parsedInPieces(text: string, size: number, options?: { maxRecords?: number }): CsvParseResult {
  const check = createCsvCheck(options);
  for (let i = 0; i < text.length; i += size) check.push(text.slice(i, i + size));
  const file = check.end();
  if (!file.ok) return file;
  const reader = createCsvReader(file.delimiter);
  const records = [];
  for (let i = 0; i < text.length; i += size) records.push(...reader.push(text.slice(i, i + size)));
  records.push(...reader.end());
  return { ok: true, delimiter: file.delimiter, header: file.header, records };
}

describe("reading a CSV text in pieces", () => {
  const samples = [
    "name,phone\nAna,+5511987654321\nBia,+5511912345678\n",
    "\uFEFFnome;telefone;cidade\r\nAna;(11) 98765-4321;São Paulo, SP\r\n\r\nBia;2;\r\n",
    'name,notes\n"Ana ""Bia"" Silva","first, second\r\nthird"\n  x  ,"  y  " ,  "z"\n"abc"def,x\n"",""""\n',
    "name,phone\r\nAna,1\nBia,2\rCarla,3",
    'name,notes\nAna,"line one\nline two\nline three"\nBia,"crlf\r\ninside\r\nquotes"\nCarla,"cr\rinside"\nDani,plain',
    "name,phone\n\nAna,1\n   \n,,\n , \n\r\nBia,2\n\n\n",
    'name,size\nAna 5" tall,12"\na,\n1,',
    '"a;b;c",d\n"1;2;3",4\n',
    'a"b;c,d\n1;2,3\n"x"\n',
    'phone\n\u00a0"1",x\n\t"2"\n',
  ];
  const failures = [
    'name,phone\nAna,1\nBia,"2\nCarla,3\nDani,4\n',
    '"name,phone\nAna,1\n',
    "Name,Phone, phone \nAna,1,2\n",
    "\nname,phone\nAna,1\n",
    "name,phone\nAna,1\u0000\n",
    "a,b\r\n1,\r\n\u001b[31m\n",
    " \r\n\n ",
    "\u000b",
    "",
  ];

  it("gives the same header, records and line numbers as reading it whole, whatever the piece size", () => {
    for (const text of samples) {
      const whole = parseCsv(text);
      expect(whole.ok, text).toBe(true);
      for (const size of [1, 2, 3, 5, 7, 64]) expect(parsedInPieces(text, size), `${JSON.stringify(text)} in pieces of ${size}`).toEqual(whole);
    }
  });

  it("fails the same way as reading it whole, whatever the piece size", () => {
    for (const text of failures) {
      const whole = parseCsv(text);
      expect(whole.ok, text).toBe(false);
      for (const size of [1, 2, 3, 5, 64]) expect(parsedInPieces(text, size), `${JSON.stringify(text)} in pieces of ${size}`).toEqual(whole);
    }
    expect(parsedInPieces("phone\n1\n2\n3\n4\n", 2, { maxRecords: 3 })).toEqual(parseCsv("phone\n1\n2\n3\n4\n", { maxRecords: 3 }));
  });

  it("prefers the same error as the whole text when there are several: a control character over a broken quote or too many rows", () => {
    const text = 'phone\n1\n"2\n3\u0000\n';
    expect(parsedInPieces(text, 3)).toEqual(parseCsv(text));
    expect(parsedInPieces(text, 3)).toMatchObject({ ok: false, line: 4 });
    const rows = "phone\n1\n2\n3\n4\u0007\n";
    expect(parsedInPieces(rows, 4, { maxRecords: 2 })).toEqual(parseCsv(rows, { maxRecords: 2 }));
    expect(parsedInPieces(rows, 4, { maxRecords: 2 })).toMatchObject({ ok: false, line: 5 });
  });

  it("keeps at most MAX_CSV_RECORD_CHARS of a row, marking it too long, and refuses such a header", () => {
    const long = "x".repeat(MAX_CSV_RECORD_CHARS + 10);
    const text = `name,notes\nAna,"${long}"\nBia,short\n`;
    const result = parsedInPieces(text, 65_536);
    if (!result.ok) throw new Error(result.reason);
    expect(result.records[0]).toMatchObject({ line: 2, tooLong: true });
    expect(result.records[0]!.fields.join("").length).toBeLessThanOrEqual(MAX_CSV_RECORD_CHARS);
    expect(result.records[1]).toEqual({ line: 3, fields: ["Bia", "short"] });
    expect(parsedInPieces(`${long}\n1\n`, 65_536)).toMatchObject({ ok: false, line: 1, reason: expect.stringContaining("header") });
  });
});

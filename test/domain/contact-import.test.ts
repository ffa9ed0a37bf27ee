import { describe, expect, it } from "vitest";
import { attributeKey, type ImportColumnMap, labelKey, mapImportHeader, readImportRows } from "../../worker/domain/contact-import";
import { MAX_CSV_RECORD_CHARS, parseCsv } from "../../worker/domain/csv";

function mapOf(header: string[]): ImportColumnMap {
  const result = mapImportHeader(header);
  if (!result.ok) throw new Error(`expected a map, got: ${result.reason}`);
  return result.map;
}

function mapFailure(header: string[]): string {
  const result = mapImportHeader(header);
  if (result.ok) throw new Error("expected the header to be rejected");
  return result.reason;
}

/** Runs the whole pipeline the import route uses: parse, map the header, read rows. */
function importCsv(text: string, defaultCountry = "BR") {
  const csv = parseCsv(text);
  if (!csv.ok) throw new Error(`expected CSV, got: ${csv.reason}`);
  return readImportRows(csv.records, mapOf(csv.header), defaultCountry);
}

describe("labelKey", () => {
  it("folds A-Z only, like SQLite's NOCASE", () => {
    expect(labelKey("VIP Clients")).toBe("vip clients");
    expect(labelKey("Ótimos")).toBe("Ótimos");
    expect(labelKey("ÓTIMOS")).toBe("Ótimos".toUpperCase().replace(/[A-Z]+/g, (m) => m.toLowerCase()));
  });
});

describe("attributeKey", () => {
  it.each([
    ["City", "city"],
    ["Data de Nascimento", "data_de_nascimento"],
    ["  Código Postal  ", "codigo_postal"],
    ["Plano (R$)", "plano_r"],
    ["__utm--source__", "utm_source"],
    ["Ação", "acao"],
    ["2nd Address", "2nd_address"],
    ["###", ""],
  ])("%j → %j", (header, key) => {
    expect(attributeKey(header)).toBe(key);
  });
});

describe("mapImportHeader", () => {
  it("maps English headers", () => {
    expect(mapOf(["Name", "Phone", "Labels", "City"])).toEqual({
      name: 0,
      phone: 1,
      labels: 2,
      columns: 4,
      attributes: [{ index: 3, key: "city" }],
    });
  });

  it("maps Portuguese headers, ignoring case, spaces and accents", () => {
    expect(mapOf([" NOME ", "Número", "Etiquetas", "Data de Nascimento"])).toEqual({
      name: 0,
      phone: 1,
      labels: 2,
      columns: 4,
      attributes: [{ index: 3, key: "data_de_nascimento" }],
    });
  });

  it.each([["phone"], ["Telefone"], ["phone_number"], ["Phone Number"], ["WhatsApp"], ["Celular"], ["mobile"], ["Number"], ["numero"], ["NÚMERO"]])(
    "recognizes %j as the phone column",
    (title) => {
      expect(mapOf(["x", title]).phone).toBe(1);
    },
  );

  it.each([["name"], ["Nome"], ["Full Name"], ["full_name"], ["Contact"], ["Contato"]])("recognizes %j as the name column", (title) => {
    expect(mapOf([title, "phone"]).name).toBe(0);
  });

  it.each([["labels"], ["Label"], ["TAGS"], ["tag"], ["Etiquetas"]])("recognizes %j as the labels column", (title) => {
    expect(mapOf(["phone", title]).labels).toBe(1);
  });

  it("needs only a phone column", () => {
    expect(mapOf(["phone"])).toEqual({ phone: 0, columns: 1, attributes: [] });
  });

  it("ignores columns with an empty header", () => {
    expect(mapOf(["", "phone", "  ", "city", ""])).toEqual({
      phone: 1,
      columns: 5,
      attributes: [{ index: 3, key: "city" }],
    });
  });

  it("rejects a header without a phone column", () => {
    const reason = mapFailure(["name", "email", "city"]);
    expect(reason).toMatch(/^no phone column: the header needs one of "phone", "telefone", "whatsapp", /);
  });

  it("rejects two columns that produce the same attribute key", () => {
    expect(mapFailure(["phone", "Data de Nascimento", "data_de_nascimento"])).toBe(
      'columns "Data de Nascimento" and "data_de_nascimento" both become the attribute "data_de_nascimento"; rename one',
    );
  });

  it("rejects two columns for the same role", () => {
    expect(mapFailure(["Phone", "WhatsApp"])).toBe('two phone columns: "Phone" and "WhatsApp"; keep one or rename the other');
    expect(mapFailure(["Nome", "phone", "Contato"])).toMatch(/^two name columns: "Nome" and "Contato"/);
  });

  it("rejects a column whose title cannot become an attribute key", () => {
    expect(mapFailure(["phone", "###"])).toMatch(/column "###" has no letters or digits/);
  });
});

describe("readImportRows", () => {
  it("reads a full row", () => {
    const { rows, errors } = importCsv(
      "Nome;Telefone;Etiquetas;Cidade;Data de Nascimento\n" + "  Ana Souza ;(11) 98765-4321; VIP | clientes ;São Paulo;1990-01-02\n",
    );
    expect(errors).toEqual([]);
    expect(rows).toEqual([
      {
        line: 2,
        name: "Ana Souza",
        phone: "+5511987654321",
        labels: ["VIP", "clientes"],
        attributes: { cidade: "São Paulo", data_de_nascimento: "1990-01-02" },
      },
    ]);
  });

  it("uses null for an empty name and leaves out empty attributes", () => {
    const { rows } = importCsv("name,phone,labels,city\n,+5511987654321,,\n");
    expect(rows).toEqual([{ line: 2, name: null, phone: "+5511987654321", labels: [], attributes: {} }]);
  });

  it("works without name and labels columns", () => {
    const { rows } = importCsv("phone,plan\n+5511987654321,gold\n");
    expect(rows).toEqual([{ line: 2, name: null, phone: "+5511987654321", labels: [], attributes: { plan: "gold" } }]);
  });

  it("uses the default country for national numbers", () => {
    const { rows, errors } = importCsv("name,phone\nJohn,(212) 555-0123\n", "US");
    expect(errors).toEqual([]);
    expect(rows[0]?.phone).toBe("+12125550123");
  });

  it("ignores values in columns with an empty header", () => {
    const { rows, errors } = importCsv("phone,,city\n+5511987654321,ignored,Rio\n");
    expect(errors).toEqual([]);
    expect(rows[0]?.attributes).toEqual({ city: "Rio" });
  });

  describe("labels", () => {
    it('splits on "|", ";" and ","', () => {
      const { rows } = importCsv('phone,labels\n+5511987654321,"a|b;c,d"\n');
      expect(rows[0]?.labels).toEqual(["a", "b", "c", "d"]);
    });

    it("drops empty labels and duplicates, keeping the first spelling", () => {
      const { rows } = importCsv('phone,labels\n+5511987654321,"VIP| |vip ;Lead,,LEAD|vip"\n');
      expect(rows[0]?.labels).toEqual(["VIP", "Lead"]);
    });

    it("accepts a 50-character label and rejects a longer one", () => {
      const ok = importCsv(`phone,labels\n+5511987654321,${"x".repeat(50)}\n`);
      expect(ok.rows[0]?.labels).toEqual(["x".repeat(50)]);

      const bad = importCsv(`phone,labels\n+5511987654321,ok|${"y".repeat(51)}\n`);
      expect(bad.rows).toEqual([]);
      expect(bad.errors).toHaveLength(1);
      expect(bad.errors[0]?.line).toBe(2);
      expect(bad.errors[0]?.reason).toMatch(/^label "y+…" is longer than 50 characters$/);
    });
  });

  describe("field counts", () => {
    it("accepts records with missing trailing fields", () => {
      const { rows, errors } = importCsv("phone,name,city\n+5511987654321\n+5511912345678,Bia\n");
      expect(errors).toEqual([]);
      expect(rows.map((r) => [r.phone, r.name, r.attributes])).toEqual([
        ["+5511987654321", null, {}],
        ["+5511912345678", "Bia", {}],
      ]);
    });

    it("accepts extra fields that are empty", () => {
      const { rows, errors } = importCsv("name,phone\nAna,+5511987654321,, \n");
      expect(errors).toEqual([]);
      expect(rows).toHaveLength(1);
    });

    it("rejects extra fields with values", () => {
      const { rows, errors } = importCsv("name,phone\nAna,+5511987654321,surprise\nBia,+5511912345678\n");
      expect(errors).toEqual([{ line: 2, reason: "expected 2 fields, found 3" }]);
      expect(rows.map((r) => r.line)).toEqual([3]);
    });

    it("infers the width from the map when it has no column count", () => {
      const records = [{ line: 2, fields: ["+5511987654321", "x", "y"] }];
      const { errors } = readImportRows(records, { phone: 0, attributes: [{ index: 1, key: "a" }] }, "BR");
      expect(errors).toEqual([{ line: 2, reason: "expected 2 fields, found 3" }]);
    });
  });

  describe("phone", () => {
    it("reports an empty phone", () => {
      const { rows, errors } = importCsv("name,phone\nAna,\nBia,  \n");
      expect(rows).toEqual([]);
      expect(errors).toEqual([
        { line: 2, reason: "phone is empty" },
        { line: 3, reason: "phone is empty" },
      ]);
    });

    it("reports an invalid phone with the normalizePhone reason", () => {
      const { errors } = importCsv("name,phone\nAna,123\nBia,abc\n");
      expect(errors).toEqual([
        { line: 2, reason: 'not a valid phone number for BR: "123"' },
        { line: 3, reason: 'phone number contains letters: "abc"' },
      ]);
    });

    it("normalizes every Brazilian format to the same E.164 number", () => {
      const { rows } = importCsv(["phone", "+55 11 98765-4321", "(21) 99876-5432", "5531987654321", "00 55 41 98765 4321"].join("\n"));
      expect(rows.map((r) => r.phone)).toEqual(["+5511987654321", "+5521998765432", "+5531987654321", "+5541987654321"]);
    });

    it("reports a phone that already appeared, after normalization", () => {
      const { rows, errors } = importCsv("name,phone\nAna,+55 11 98765-4321\nBia,(21) 99876-5432\nAna again,(11) 98765-4321\nAna thrice,5511987654321\n");
      expect(rows.map((r) => r.name)).toEqual(["Ana", "Bia"]);
      expect(errors).toEqual([
        { line: 4, reason: "phone +5511987654321 already appears on line 2" },
        { line: 5, reason: "phone +5511987654321 already appears on line 2" },
      ]);
    });
  });

  describe("name", () => {
    it("accepts 200 characters and rejects 201", () => {
      const ok = importCsv(`name,phone\n${"a".repeat(200)},+5511987654321\n`);
      expect(ok.rows[0]?.name).toBe("a".repeat(200));

      const bad = importCsv(`name,phone\n${"a".repeat(201)},+5511987654321\n`);
      expect(bad.rows).toEqual([]);
      expect(bad.errors).toEqual([{ line: 2, reason: "name is longer than 200 characters" }]);
    });

    it("counts characters, not UTF-16 units", () => {
      const { rows } = importCsv(`name,phone\n${"😀".repeat(200)},+5511987654321\n`);
      expect(rows).toHaveLength(1);
    });
  });

  describe("attributes", () => {
    it("trims values and rejects values over 1000 characters naming the column", () => {
      const ok = importCsv(`phone,Notes\n+5511987654321,"  ${"n".repeat(1000)}  "\n`);
      expect(ok.rows[0]?.attributes).toEqual({ notes: "n".repeat(1000) });

      const bad = importCsv(`phone,Notes\n+5511987654321,${"n".repeat(1001)}\n`);
      expect(bad.rows).toEqual([]);
      expect(bad.errors).toEqual([{ line: 2, reason: 'value in column "notes" is longer than 1000 characters' }]);
    });
  });

  it("never half-uses a row and lists all its problems", () => {
    const { rows, errors } = importCsv(`name,phone\n${"a".repeat(201)},123\n`);
    expect(rows).toEqual([]);
    expect(errors).toEqual([{ line: 2, reason: 'not a valid phone number for BR: "123"; name is longer than 200 characters' }]);
  });

  it("reports errors in line order with physical line numbers after multi-line fields", () => {
    const text = [
      "name,phone,notes",
      'Ana,+5511987654321,"multi',
      "line",
      'note"',
      "Bia,,x",
      "",
      'Carla,+5511912345678,"another',
      'one"',
      "Dani,999,y",
      "Eva,(11) 98765-4321,z",
    ].join("\r\n");
    const { rows, errors } = importCsv(text);
    expect(rows.map((r) => [r.line, r.name])).toEqual([
      [2, "Ana"],
      [7, "Carla"],
    ]);
    expect(rows[0]?.attributes).toEqual({ notes: "multi\r\nline\r\nnote" });
    expect(errors).toEqual([
      { line: 5, reason: "phone is empty" },
      { line: 9, reason: 'not a valid phone number for BR: "999"' },
      { line: 10, reason: "phone +5511987654321 already appears on line 2" },
    ]);
  });

  it("reads 100,000 rows", () => {
    const lines = ["name,phone,labels,city,email,notes"];
    for (let i = 0; i < 100_000; i++) {
      const digits = String(i).padStart(8, "0");
      lines.push(`Contact ${i},(11) 9${digits.slice(0, 4)}-${digits.slice(4)},vip|sp,São Paulo,c${i}@example.com,"n, ${i}"`);
    }
    const { rows, errors } = importCsv(lines.join("\n"));
    expect(errors).toEqual([]);
    expect(rows).toHaveLength(100_000);
    expect(rows[99_999]).toEqual({
      line: 100_001,
      name: "Contact 99999",
      phone: "+5511900099999",
      labels: ["vip", "sp"],
      attributes: { city: "São Paulo", email: "c99999@example.com", notes: "n, 99999" },
    });
  }, 30_000);

  it("reports a row the CSV reader cut short for being too long, and reads the next one", () => {
    const long = "x".repeat(MAX_CSV_RECORD_CHARS + 1);
    const { rows, errors } = importCsv(`name,phone,notes\nAna,(11) 98765-4321,"${long}"\nBia,(11) 98765-4322,ok\n`);
    expect(errors).toEqual([{ line: 2, reason: "the row is longer than 1,000,000 characters" }]);
    expect(rows.map((r) => r.name)).toEqual(["Bia"]);
  });
});

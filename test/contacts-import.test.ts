import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type Auth, call, callJson, errorCode, ORIGIN, seedWorkspace } from "./helpers";

type ImportResult = { created: number; updated: number; skipped: number; errors: { line: number; reason: string }[]; errors_truncated: boolean };
type ContactView = { id: number; name: string; phone: string; attributes: Record<string, string>; labels: { id: number; name: string }[]; opted_out: boolean };
type LabelView = { id: number; name: string; color: string; contact_count: number };
type ErrorBody = { error: { code: string; message: string; details?: any } };

function importCsv(auth: Auth | undefined, body: BodyInit, opts: { query?: string; contentType?: string } = {}) {
  return call(`/api/contacts/import${opts.query ? `?${opts.query}` : ""}`, {
    method: "POST",
    body,
    headers: { "content-type": opts.contentType ?? "text/csv" },
    ...(auth ? { auth } : {}),
  });
}

async function importOk(auth: Auth, body: BodyInit, query?: string): Promise<ImportResult> {
  const res = await importCsv(auth, body, query ? { query } : {});
  const text = await res.text();
  if (res.status !== 200) throw new Error(`import: expected 200, got ${res.status}: ${text}`);
  return JSON.parse(text) as ImportResult;
}

async function errorOf(res: Response) {
  const body = (await res.json()) as ErrorBody;
  return { status: res.status, ...body.error };
}

const createLabel = async (auth: Auth, name: string) => (await callJson<LabelView>("/api/labels", { method: "POST", json: { name }, auth })).id;

const listLabels = async (auth: Auth) => (await callJson<{ data: LabelView[] }>("/api/labels", { auth })).data;

/** The workspace's contacts by phone, read through the API (max 100). */
async function contactsByPhone(auth: Auth): Promise<Map<string, ContactView>> {
  const page = await callJson<{ data: ContactView[] }>("/api/contacts?limit=100", { auth });
  return new Map(page.data.map((c) => [c.phone, c]));
}

const countContacts = async (workspaceId: number) =>
  (await env.DB.prepare("SELECT count(*) AS n FROM contacts WHERE workspace_id = ?").bind(workspaceId).first<{ n: number }>())!.n;

/** A distinct São Paulo mobile for `n` (0–99,999,999): [as written in the file, E.164]. */
function spMobile(n: number): [string, string] {
  const eight = String(n).padStart(8, "0");
  return [`+55 11 9${eight.slice(0, 4)}-${eight.slice(4)}`, `+55119${eight}`];
}

const labelNames = (c: ContactView | undefined) => c?.labels.map((l) => l.name);

describe("the 1,000-row acceptance import", () => {
  /** The ten bad rows, keyed by physical line number, with what the report must say about them. */
  function buildFile() {
    const bad = new Map<number, { row: string; reason: string }>([
      [5, { row: "Bad Phone,123,Leads,Recife", reason: 'not a valid phone number for BR: "123"' }],
      [77, { row: "No Phone,,Leads,Recife", reason: "phone is empty" }],
      // Line 150 repeats the phone of line 10 (written differently); its row is filled in below.
      [150, { row: "", reason: "already appears on line 10" }],
      [222, { row: `Wide,${spMobile(900_001)[0]},Leads,Recife,surplus`, reason: "expected 4 fields, found 5" }],
      [333, { row: `Long Label,${spMobile(900_002)[0]},Leads|${"x".repeat(51)},Recife`, reason: "is longer than 50 characters" }],
      [444, { row: "Letters,11 9abcd-1234,Leads,Recife", reason: "phone number contains letters" }],
      [555, { row: `${"N".repeat(201)},${spMobile(900_003)[0]},Leads,Recife`, reason: "name is longer than 200 characters" }],
      [666, { row: `Long City,${spMobile(900_004)[0]},Leads,${"c".repeat(1001)}`, reason: 'value in column "city" is longer than 1000 characters' }],
      [777, { row: "Hash,+55 11 9#000-0000,Leads,Recife", reason: "characters that are not allowed" }],
      [888, { row: "Too Long,+55 11 98765-4321 1234 5678,Leads,Recife", reason: "phone number is too long" }],
    ]);
    const lines = ["name,phone,labels,city"];
    const good: { line: number; name: string; e164: string }[] = [];
    let n = 0;
    for (let line = 2; line <= 1001; line++) {
      const problem = bad.get(line);
      if (line === 150) {
        const repeated = good.find((g) => g.line === 10)!.e164;
        lines.push(`Repeat,(11) ${repeated.slice(5, 10)}-${repeated.slice(10)},Leads,Recife`);
        problem!.reason = `phone ${repeated} already appears on line 10`;
      } else if (problem) {
        lines.push(problem.row);
      } else {
        const [written, e164] = spMobile(n++);
        const name = `Lead ${line}`;
        lines.push(`${name},${written},Leads,City ${line % 7}`);
        good.push({ line, name, e164 });
      }
    }
    return { csv: `${lines.join("\n")}\n`, bad, good };
  }

  it("creates 990 contacts, reports the 10 bad rows by line, and the audience preview sees the 987 reachable ones", async () => {
    const admin = await seedWorkspace();
    const leads = await createLabel(admin, "Leads");
    const { csv, bad, good } = buildFile();
    expect(good).toHaveLength(990);
    expect(csv.split("\n")[149]).toBe("Repeat,(11) 90000-0007,Leads,Recife");

    const result = await importOk(admin, csv);
    expect(result).toEqual({
      created: 990,
      updated: 0,
      skipped: 10,
      errors: [...bad].map(([line, { reason }]) => ({ line, reason: expect.stringContaining(reason) })),
      errors_truncated: false,
    });

    // Nothing half-written: exactly the good rows exist, each with its label; no bad row left a contact.
    expect(await countContacts(admin.workspaceId)).toBe(990);
    const labelled = await env.DB.prepare(
      "SELECT count(*) AS n FROM contact_labels cl JOIN contacts c ON c.id = cl.contact_id WHERE cl.label_id = ? AND c.workspace_id = ?",
    )
      .bind(leads, admin.workspaceId)
      .first<{ n: number }>();
    expect(labelled!.n).toBe(990);
    const phones = await env.DB.prepare("SELECT phone FROM contacts WHERE workspace_id = ? ORDER BY phone").bind(admin.workspaceId).all<{ phone: string }>();
    expect(phones.results.map((r) => r.phone)).toEqual(good.map((g) => g.e164).sort());
    expect((await listLabels(admin)).map((l) => [l.name, l.contact_count])).toEqual([["Leads", 990]]);

    const sample = good[41]!;
    const found = await callJson<{ data: ContactView[] }>(`/api/contacts?q=${sample.e164.slice(1)}`, { auth: admin });
    expect(found.data).toEqual([
      expect.objectContaining({ name: sample.name, phone: sample.e164, attributes: { city: `City ${sample.line % 7}` }, opted_out: false }),
    ]);
    expect(labelNames(found.data[0])).toEqual(["Leads"]);

    const newest = await callJson<{ data: ContactView[] }>("/api/contacts?limit=3", { auth: admin });
    for (const contact of newest.data) {
      await callJson(`/api/contacts/${contact.id}`, { method: "PATCH", json: { opted_out: true }, auth: admin });
    }
    const optedOutIds = new Set(newest.data.map((c) => c.id));

    const preview = await callJson<{ total: number; matched: number; opted_out_excluded: number; sample: ContactView[] }>("/api/audience/preview", {
      method: "POST",
      json: { labels: [leads] },
      auth: admin,
      expect: 200,
    });
    expect({ total: preview.total, matched: preview.matched, opted_out_excluded: preview.opted_out_excluded }).toEqual({
      total: 987,
      matched: 990,
      opted_out_excluded: 3,
    });
    expect(preview.sample).toHaveLength(10);
    expect(preview.sample.some((c) => optedOutIds.has(c.id) || c.opted_out)).toBe(false);
  }, 30_000);
});

describe("large imports", () => {
  it("imports 1,000 rows whose attributes stay within the limits (three values of 1,000 characters each)", async () => {
    const admin = await seedWorkspace();
    const lines = ["name,phone,notes,bio,address"];
    for (let i = 0; i < 1000; i++) lines.push(`N${i},${spMobile(i)[0]},${"n".repeat(1000)},${"b".repeat(1000)},${"a".repeat(1000)}`);
    const result = await importOk(admin, lines.join("\n"));
    expect({ ...result, errors: result.errors.slice(0, 1) }).toEqual({ created: 1000, updated: 0, skipped: 0, errors: [], errors_truncated: false });
    expect(await countContacts(admin.workspaceId)).toBe(1000);
  }, 60_000);
});

describe("re-importing", () => {
  it("updates contacts by phone: name only when given, attributes merged, labels added", async () => {
    const admin = await seedWorkspace();
    const first = await importOk(admin, "name,phone,labels,city\nAna,+55 11 91111-1111,VIP,Recife\nBruno,+55 11 92222-2222,,Natal\n");
    expect(first).toMatchObject({ created: 2, updated: 0, skipped: 0, errors: [] });

    const second = await importOk(
      admin,
      "name,phone,labels,plan,city\n,(11) 91111-1111,Leads,gold,\nBruno Souza,11 92222-2222,,,Salvador\nCarla,+55 11 93333-3333,Leads,,\n",
    );
    expect(second).toEqual({ created: 1, updated: 2, skipped: 0, errors: [], errors_truncated: false });

    const byPhone = await contactsByPhone(admin);
    expect(byPhone.size).toBe(3);
    const ana = byPhone.get("+5511911111111");
    expect(ana).toMatchObject({ name: "Ana", attributes: { city: "Recife", plan: "gold" } });
    expect(labelNames(ana)).toEqual(["Leads", "VIP"]);
    const bruno = byPhone.get("+5511922222222");
    expect(bruno).toMatchObject({ name: "Bruno Souza", attributes: { city: "Salvador" } });
    expect(labelNames(bruno)).toEqual([]);
    expect(byPhone.get("+5511933333333")).toMatchObject({ name: "Carla", attributes: {} });
  });

  it("keeps a contact's opt-out when it is imported again", async () => {
    const admin = await seedWorkspace();
    const created = await callJson<ContactView>("/api/contacts", {
      method: "POST",
      json: { name: "Out", phone: "+55 11 91111-1111", opted_out: true },
      auth: admin,
    });
    expect(await importOk(admin, "name,phone\nBack In,+55 11 91111-1111\n")).toMatchObject({ created: 0, updated: 1 });
    const after = await callJson<ContactView>(`/api/contacts/${created.id}`, { auth: admin });
    expect(after).toMatchObject({ name: "Back In", opted_out: true });
  });

  it("never touches another workspace's contact with the same phone", async () => {
    const a = await seedWorkspace();
    const b = await seedWorkspace();
    const bLabel = await createLabel(b, "B label");
    const theirs = await callJson<ContactView>("/api/contacts", {
      method: "POST",
      json: { name: "Bruno B", phone: "+55 11 91111-1111", attributes: { city: "Natal" }, label_ids: [bLabel] },
      auth: b,
    });

    const result = await importOk(a, "name,phone,labels,city\nAna A,+55 11 91111-1111,B label,Recife\n");
    expect(result).toMatchObject({ created: 1, updated: 0, skipped: 0 });

    expect(await callJson<ContactView>(`/api/contacts/${theirs.id}`, { auth: b })).toEqual(theirs);
    expect((await listLabels(b)).map((l) => [l.name, l.contact_count])).toEqual([["B label", 1]]);
    const mine = (await contactsByPhone(a)).get("+5511911111111");
    expect(mine).toMatchObject({ name: "Ana A", attributes: { city: "Recife" } });
    expect(mine!.id).not.toBe(theirs.id);
    expect((await listLabels(a)).map((l) => [l.name, l.contact_count])).toEqual([["B label", 1]]);
  });
});

describe("labels in the file", () => {
  it("creates missing labels and reuses existing ones regardless of case", async () => {
    const admin = await seedWorkspace();
    const vip = await createLabel(admin, "VIP");
    const result = await importOk(
      admin,
      'name,phone,labels\nAna,+55 11 91111-1111,vip|New Label\nBia,+55 11 92222-2222,NEW LABEL;Vip\nCaio,+55 11 93333-3333,"new label, VIP , other"\n',
    );
    expect(result).toMatchObject({ created: 3, updated: 0, skipped: 0, errors: [] });

    const labels = await listLabels(admin);
    expect(labels.map((l) => [l.name, l.contact_count])).toEqual([
      ["New Label", 3],
      ["other", 1],
      ["VIP", 3],
    ]);
    expect(labels.find((l) => l.name === "VIP")!.id).toBe(vip);
    const byPhone = await contactsByPhone(admin);
    expect(labelNames(byPhone.get("+5511911111111"))).toEqual(["New Label", "VIP"]);
    expect(labelNames(byPhone.get("+5511933333333"))?.sort()).toEqual(["New Label", "VIP", "other"]);
  });

  it("attaches labels whose names start with an accented capital", async () => {
    const admin = await seedWorkspace();
    const result = await importOk(admin, "name,phone,labels\nAna,+55 11 91111-1111,Ótimos clientes\nBia,+55 11 92222-2222,Área Sul|ÓTIMOS CLIENTES\n");
    expect(result).toEqual({ created: 2, updated: 0, skipped: 0, errors: [], errors_truncated: false });
    const byPhone = await contactsByPhone(admin);
    expect(labelNames(byPhone.get("+5511911111111"))).toEqual(["Ótimos clientes"]);
    expect(labelNames(byPhone.get("+5511922222222"))).toEqual(["Área Sul", "Ótimos clientes"]);
  });

  it("attaches every imported contact to the labels in ?label_ids=", async () => {
    const admin = await seedWorkspace();
    const campaign = await createLabel(admin, "Campaign");
    const batch = await createLabel(admin, "Batch 7");
    const result = await importOk(admin, "name,phone,labels\nAna,+55 11 91111-1111,VIP\nBia,+55 11 92222-2222,\nbad,123,\n", `label_ids=${campaign},${batch}`);
    expect(result).toMatchObject({ created: 2, skipped: 1, errors: [{ line: 4, reason: expect.stringContaining("123") }] });
    const byPhone = await contactsByPhone(admin);
    expect(labelNames(byPhone.get("+5511911111111"))).toEqual(["Batch 7", "Campaign", "VIP"]);
    expect(labelNames(byPhone.get("+5511922222222"))).toEqual(["Batch 7", "Campaign"]);
  });

  it("refuses another workspace's label in ?label_ids= with 400 and imports nothing", async () => {
    const admin = await seedWorkspace();
    const other = await seedWorkspace();
    const own = await createLabel(admin, "Own");
    const foreign = await createLabel(other, "Foreign");
    const res = await importCsv(admin, "name,phone,labels\nAna,+55 11 91111-1111,New\n", { query: `label_ids=${own},${foreign}` });
    const error = await errorOf(res);
    expect(error.status).toBe(400);
    expect(error.code).toBe("validation_failed");
    expect(error.message).toContain(String(foreign));
    expect(error.details).toEqual([expect.objectContaining({ path: "label_ids" })]);
    expect(await countContacts(admin.workspaceId)).toBe(0);
    expect((await listLabels(admin)).map((l) => l.name)).toEqual(["Own"]);
    expect((await listLabels(other)).map((l) => [l.name, l.contact_count])).toEqual([["Foreign", 0]]);
  });

  it("refuses a malformed ?label_ids= with 400", async () => {
    const admin = await seedWorkspace();
    const res = await importCsv(admin, "name,phone\nAna,+55 11 91111-1111\n", { query: "label_ids=vip" });
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe("validation_failed");
    expect(await countContacts(admin.workspaceId)).toBe(0);
  });
});

describe("file formats", () => {
  it("reads a semicolon-separated file with a BOM, CRLF line ends and Portuguese headers", async () => {
    const admin = await seedWorkspace();
    const csv = "\uFEFFNome;Telefone;Etiquetas;Cidade\r\nAna;(11) 91111-1111;vip,sp;São Paulo\r\nBia;(21) 92222-2222;;Rio de Janeiro\r\nX;abc;;\r\n";
    const result = await importOk(admin, csv);
    expect(result).toEqual({
      created: 2,
      updated: 0,
      skipped: 1,
      errors: [{ line: 4, reason: expect.stringContaining("letters") }],
      errors_truncated: false,
    });
    const byPhone = await contactsByPhone(admin);
    expect(byPhone.get("+5511911111111")).toMatchObject({ name: "Ana", attributes: { cidade: "São Paulo" } });
    expect(labelNames(byPhone.get("+5511911111111"))).toEqual(["sp", "vip"]);
    expect(byPhone.get("+5521922222222")).toMatchObject({ name: "Bia", attributes: { cidade: "Rio de Janeiro" } });
  });

  it("keeps quoted commas and newlines inside fields and still reports the right physical lines", async () => {
    const admin = await seedWorkspace();
    const csv = [
      "name,phone,labels,city", // 1
      '"Silva, Ana",+55 11 91111-1111,,"Rio', // 2
      'de Janeiro"', // 3
      '"Multi', // 4
      "line", // 5
      'name",123,,', // 6
      '"Bruno ""B""",+55 11 92222-2222,,Recife', // 7
      "", // 8 (blank, skipped)
      "No Phone,,,", // 9
    ].join("\n");
    const result = await importOk(admin, csv);
    expect(result).toEqual({
      created: 2,
      updated: 0,
      skipped: 2,
      errors: [
        { line: 4, reason: expect.stringContaining('"123"') },
        { line: 9, reason: "phone is empty" },
      ],
      errors_truncated: false,
    });
    const byPhone = await contactsByPhone(admin);
    expect(byPhone.get("+5511911111111")).toMatchObject({ name: "Silva, Ana", attributes: { city: "Rio\nde Janeiro" } });
    expect(byPhone.get("+5511922222222")).toMatchObject({ name: 'Bruno "B"', attributes: { city: "Recife" } });
  });
});

describe("rejected files", () => {
  async function expectRejected(res: Response, status: number, code: string) {
    const error = await errorOf(res);
    expect({ status: error.status, code: error.code }).toEqual({ status, code });
    return error;
  }

  it("refuses a binary file (PNG) with 400 invalid_csv and writes nothing", async () => {
    const admin = await seedWorkspace();
    await importOk(admin, "name,phone\nExisting,+55 11 91111-1111\n");
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1]);
    await expectRejected(await importCsv(admin, png), 400, "invalid_csv");
    expect(await countContacts(admin.workspaceId)).toBe(1);
  });

  it("refuses UTF-8 text containing NUL bytes with 400 invalid_csv naming the line", async () => {
    const admin = await seedWorkspace();
    const bytes = new TextEncoder().encode("name,phone\nAna,+55 11 91111-1111\nB\u0000ia,+55 11 92222-2222\n");
    const error = await expectRejected(await importCsv(admin, bytes), 400, "invalid_csv");
    expect(error.message).toContain("line 3");
    expect(error.details).toEqual({ line: 3 });
    expect(await countContacts(admin.workspaceId)).toBe(0);
  });

  it("refuses text that is not UTF-8 (Latin-1) with 400 invalid_csv", async () => {
    const admin = await seedWorkspace();
    // "name,phone\nJosé,+55 11 91111-1111\n" in Latin-1: é is the lone byte 0xE9.
    const latin1 = new Uint8Array([...new TextEncoder().encode("name,phone\nJos"), 0xe9, ...new TextEncoder().encode(",+55 11 91111-1111\n")]);
    const error = await expectRejected(await importCsv(admin, latin1), 400, "invalid_csv");
    expect(error.message).toContain("UTF-8");
    expect(await countContacts(admin.workspaceId)).toBe(0);
  });

  it("refuses a header without a phone column with 400 saying so", async () => {
    const admin = await seedWorkspace();
    const error = await expectRejected(await importCsv(admin, "name,email\nAna,ana@example.test\n"), 400, "invalid_csv");
    expect(error.message).toContain("no phone column");
    expect(error.details).toEqual({ line: 1 });
    expect(await countContacts(admin.workspaceId)).toBe(0);
  });

  it("refuses an unterminated quote with 400 naming the line", async () => {
    const admin = await seedWorkspace();
    const error = await expectRejected(await importCsv(admin, 'name,phone\nAna,+55 11 91111-1111\n"Bia,+55 11 92222-2222\n'), 400, "invalid_csv");
    expect(error.details).toEqual({ line: 3 });
    expect(await countContacts(admin.workspaceId)).toBe(0);
  });

  it.each([
    ["application/json", '{"name":"Ana","phone":"+5511911111111"}'],
    [
      "multipart/form-data; boundary=xyz",
      '--xyz\r\nContent-Disposition: form-data; name="file"; filename="c.csv"\r\n\r\nname,phone\nAna,+55 11 91111-1111\n\r\n--xyz--\r\n',
    ],
    ["application/x-www-form-urlencoded", "name=Ana&phone=%2B5511911111111"],
  ])("refuses content-type %s with 415", async (contentType, body) => {
    const admin = await seedWorkspace();
    await expectRejected(await importCsv(admin, body, { contentType }), 415, "unsupported_media_type");
    expect(await countContacts(admin.workspaceId)).toBe(0);
  });

  it.each([
    ["an empty body", ""],
    ["only whitespace", " \r\n \n"],
    ["a header only", "name,phone\n"],
  ])("handles %s", async (_case, body) => {
    const admin = await seedWorkspace();
    const res = await importCsv(admin, body);
    if (body.trim() === "") {
      const error = await expectRejected(res, 400, "invalid_csv");
      expect(error.message).toContain("empty");
    } else {
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ created: 0, updated: 0, skipped: 0, errors: [], errors_truncated: false });
    }
    expect(await countContacts(admin.workspaceId)).toBe(0);
  });

  it("answers 401 without credentials and writes nothing", async () => {
    const admin = await seedWorkspace();
    const res = await importCsv(undefined, "name,phone,labels\nAna,+55 11 97777-0401,Sneaky\n");
    expect(res.status).toBe(401);
    expect(await errorCode(res)).toBe("unauthorized");
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM contacts WHERE phone = '+5511977770401'").first<{ n: number }>();
    expect(rows!.n).toBe(0);
    const sneaky = await env.DB.prepare("SELECT count(*) AS n FROM labels WHERE name = 'Sneaky'").first<{ n: number }>();
    expect(sneaky!.n).toBe(0);
    expect(await listLabels(admin)).toEqual([]);
  });
});

/** `bytes` as a request body stream of `size`-byte chunks, counting how many bytes were pulled. */
function chunked(bytes: Uint8Array, size: number) {
  const state = { pulled: 0 };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (state.pulled >= bytes.byteLength) return controller.close();
      controller.enqueue(bytes.slice(state.pulled, state.pulled + size));
      state.pulled += size;
    },
  });
  return { stream, state };
}

function importStream(auth: Auth, body: ReadableStream<Uint8Array>) {
  return exports.default.fetch(
    new Request(`${ORIGIN}/api/contacts/import`, { method: "POST", body, headers: { origin: ORIGIN, "content-type": "text/csv", cookie: auth.cookie! } }),
  );
}

describe("files read as a stream", () => {
  it("imports a body sent in 7-byte chunks, with accents, CRLF and quoted newlines split between chunks, like the same file in one piece", async () => {
    const admin = await seedWorkspace();
    const lines = ["\uFEFFNome;Telefone;Etiquetas;Observações"];
    for (let i = 0; i < 300; i++) lines.push(`João ${i};+55 11 9${String(7000_0000 + i)};Região Sul|Ótimos;"linha um\r\nlinha ""dois"" ${i}"`);
    lines.push("Sem telefone;;;");
    const res = await importStream(admin, chunked(new TextEncoder().encode(lines.join("\r\n")), 7).stream);
    const result = (await res.json()) as ImportResult;
    expect(res.status).toBe(200);
    expect(result).toEqual({ created: 300, updated: 0, skipped: 1, errors: [{ line: 602, reason: "phone is empty" }], errors_truncated: false });
    const found = await callJson<{ data: ContactView[] }>(`/api/contacts?q=5511970000299`, { auth: admin });
    expect(found.data).toEqual([expect.objectContaining({ name: "João 299", attributes: { observacoes: 'linha um\r\nlinha "dois" 299' } })]);
    expect(labelNames(found.data[0])).toEqual(["Região Sul", "Ótimos"]);
  }, 60_000);

  it("refuses a file whose bytes stop being UTF-8 after 3,000 good rows, and writes none of them", async () => {
    const admin = await seedWorkspace();
    const lines = ["name,phone"];
    for (let i = 0; i < 3000; i++) lines.push(`N${i},${spMobile(i)[0]}`);
    const good = new TextEncoder().encode(`${lines.join("\n")}\nJos`);
    const bytes = new Uint8Array([...good, 0xe9, ...new TextEncoder().encode(`,${spMobile(3001)[0]}\n`)]);
    const res = await importStream(admin, chunked(bytes, 4096).stream);
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe("invalid_csv");
    expect(await countContacts(admin.workspaceId)).toBe(0);
  }, 60_000);

  it("names the error reading the whole file would name first: a byte that is not UTF-8 after a bad header", async () => {
    const admin = await seedWorkspace();
    const lines = ["phone,Phone"];
    for (let i = 0; i < 3000; i++) lines.push(`${spMobile(i)[0]},x`);
    const bytes = new Uint8Array([...new TextEncoder().encode(`${lines.join("\n")}\nJos`), 0xe9, 0x0a]);
    const res = await importStream(admin, chunked(bytes, 4096).stream);
    const body = (await res.json()) as ErrorBody;
    expect(res.status).toBe(400);
    expect(body.error.message).toContain("UTF-8");
    expect(await countContacts(admin.workspaceId)).toBe(0);
  });

  it("refuses a file with more than 100,000 rows, and writes none of them", async () => {
    const admin = await seedWorkspace();
    const lines = ["name,phone"];
    for (let i = 0; i < 100_001; i++) lines.push(`N${i},${spMobile(i)[0]}`);
    const res = await importStream(admin, chunked(new TextEncoder().encode(lines.join("\n")), 65_536).stream);
    const body = (await res.json()) as ErrorBody;
    expect(res.status).toBe(400);
    expect(body.error).toMatchObject({ code: "invalid_csv", details: { line: 100_002 } });
    expect(body.error.message).toContain("too many rows");
    expect(await countContacts(admin.workspaceId)).toBe(0);
  }, 60_000);

  it("stops reading a body without Content-Length at 50 MB, answers 413, and writes nothing", async () => {
    const admin = await seedWorkspace();
    const row = new TextEncoder().encode(`Someone,${spMobile(1)[0]}\n`.repeat(2000));
    const header = new TextEncoder().encode("name,phone\n");
    const state = { pulled: 0 };
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (state.pulled === 0) controller.enqueue(header);
        else if (state.pulled > 80 * 1024 * 1024) return controller.close();
        else controller.enqueue(row);
        state.pulled += state.pulled === 0 ? header.byteLength : row.byteLength;
      },
    });
    const res = await importStream(admin, stream);
    const body = (await res.json()) as ErrorBody;
    expect(res.status).toBe(413);
    expect(body.error.code).toBe("payload_too_large");
    expect(body.error.message).toContain("50 MB");
    expect(state.pulled).toBeLessThan(52 * 1024 * 1024);
    expect(await countContacts(admin.workspaceId)).toBe(0);
  }, 120_000);
});

import { describe, expect, it } from "vitest";
import { type Auth, call, callJson, seedWorkspace } from "./helpers";

type ImportResult = { created: number; updated: number; skipped: number; errors: { line: number; reason: string }[]; errors_truncated: boolean };
type ContactView = { id: number; name: string; phone: string; attributes: Record<string, string>; labels: { id: number; name: string }[] };
type ErrorBody = { error: { code: string; message: string; details?: { path: string; message: string }[] } };

const importCsv = (auth: Auth, csv: string, query: Record<string, string>) =>
  call(`/api/contacts/import?${new URLSearchParams(query)}`, { method: "POST", body: csv, headers: { "content-type": "text/csv" }, auth });

async function importOk(auth: Auth, csv: string, query: Record<string, string>): Promise<ImportResult> {
  const res = await importCsv(auth, csv, query);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`import: expected 200, got ${res.status}: ${text}`);
  return JSON.parse(text) as ImportResult;
}

async function errorOf(res: Response) {
  const body = (await res.json()) as ErrorBody;
  return { status: res.status, ...body.error };
}

const contacts = async (auth: Auth) => (await callJson<{ data: ContactView[] }>("/api/contacts?limit=100", { auth })).data;

const createLabel = async (auth: Auth, name: string) => (await callJson<{ id: number }>("/api/labels", { method: "POST", json: { name }, auth })).id;

describe("POST /api/contacts/import with explicit columns", () => {
  it("uses the roles given instead of the header's names: name, phone, labels, attribute:<key>, ignore", async () => {
    const admin = await seedWorkspace();
    // By its names, "Contato" would be the name and "Número" the phone; the columns say otherwise.
    const csv = [
      "Contato,Cliente,Número,Tel,Grupos,Notas",
      "Loja Centro,Ana Souza,A-17,(11) 98765-4321,vip|sp,secret",
      "Loja Sul,Bia Lima,B-02,(11) 98765-4322,,x",
    ].join("\n");
    const result = await importOk(admin, csv, { columns: "attribute:store,name,attribute:number,phone,labels,ignore" });
    expect(result).toEqual({ created: 2, updated: 0, skipped: 0, errors: [], errors_truncated: false });
    const byPhone = new Map((await contacts(admin)).map((c) => [c.phone, c]));
    expect(byPhone.get("+5511987654321")).toMatchObject({ name: "Ana Souza", attributes: { store: "Loja Centro", number: "A-17" } });
    expect(byPhone.get("+5511987654321")!.labels.map((l) => l.name)).toEqual(["sp", "vip"]);
    expect(byPhone.get("+5511987654322")).toMatchObject({ name: "Bia Lima", attributes: { store: "Loja Sul", number: "B-02" }, labels: [] });
  });

  it("works with a header the server could not read by itself, and with label_ids for every row", async () => {
    const admin = await seedWorkspace();
    const vip = await createLabel(admin, "VIP");
    const csv = "A;B\n(11) 98765-4321;Ana\n(11) 98765-43;Bad\n";
    // Without columns: no phone column.
    const refused = await errorOf(await importCsv(admin, csv, {}));
    expect(refused).toMatchObject({ status: 400, code: "invalid_csv", message: expect.stringContaining("no phone column") });
    const result = await importOk(admin, csv, { columns: "phone,name", label_ids: String(vip) });
    expect(result).toMatchObject({ created: 1, skipped: 1, errors: [{ line: 3, reason: expect.any(String) }] });
    const [ana] = await contacts(admin);
    expect(ana).toMatchObject({ name: "Ana", phone: "+5511987654321", labels: [{ id: vip, name: "VIP" }] });
  });

  it("still reports a row wider than the header", async () => {
    const admin = await seedWorkspace();
    const result = await importOk(admin, "x,y\n11987654321,Ana,extra\n", { columns: "phone,ignore" });
    expect(result.errors).toEqual([{ line: 2, reason: "expected 2 fields, found 3" }]);
  });

  it.each([
    ["no phone column", "name,ignore", "exactly one column must be phone"],
    ["two phone columns", "phone,phone", "exactly one column must be phone"],
    ["two name columns", "name,phone,name", "at most one column can be name"],
    ["an unknown role", "phone,surname", "attribute:<key>"],
    ["a bad attribute key", "phone,attribute:Bad Key", "attribute:<key>"],
    ["the same attribute twice", "phone,attribute:city,attribute:city", "two columns are attribute:city"],
  ])("refuses %s with 400 naming columns, importing nothing", async (_, columns, message) => {
    const admin = await seedWorkspace();
    const error = await errorOf(await importCsv(admin, "a,b,c\n11987654321,x,y\n", { columns }));
    expect(error.status).toBe(400);
    expect(error.code).toBe("validation_failed");
    expect(error.details).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: expect.stringMatching(/^columns/), message: expect.stringContaining(message) })]),
    );
    expect(await contacts(admin)).toEqual([]);
  });

  it("refuses a columns list whose length differs from the header's, naming columns", async () => {
    const admin = await seedWorkspace();
    const error = await errorOf(await importCsv(admin, "a,b,c\n11987654321,x,y\n", { columns: "phone,name" }));
    expect(error).toMatchObject({
      status: 400,
      code: "validation_failed",
      details: [{ path: "columns", message: "the file's header has 3 columns but columns lists 2" }],
    });
    expect(await contacts(admin)).toEqual([]);
  });
});

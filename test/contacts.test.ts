import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type Auth, call, callJson, errorCode, seedOperator, seedWorkspace } from "./helpers";

type LabelRef = { id: number; name: string; color: string };
type ContactView = {
  id: number;
  name: string;
  phone: string;
  attributes: Record<string, string>;
  labels: LabelRef[];
  opted_out: boolean;
  opted_out_at: string | null;
  last_inbound_at: string | null;
  created_at: string | null;
  updated_at: string | null;
};
type Page = { data: ContactView[]; next_cursor: string | null };
type ErrorBody = { error: { code: string; message: string; details?: any } };

const createLabel = async (auth: Auth, name: string) => (await callJson<{ id: number }>("/api/labels", { method: "POST", json: { name }, auth })).id;

const createContact = (auth: Auth, json: Record<string, unknown>) => callJson<ContactView>("/api/contacts", { method: "POST", json, auth });

const list = (auth: Auth, query = "") => callJson<Page>(`/api/contacts${query ? `?${query}` : ""}`, { auth });

/** Names of the contacts a list query returns, in order. */
const names = async (auth: Auth, query: string) => (await list(auth, query)).data.map((c) => c.name);

/** A valid São Paulo mobile for `n` (0–9999), in E.164. */
const spMobile = (n: number) => `+55119${String(87650000 + n)}`;

/** Inserts `count` contacts named p0…p{count-1} straight into D1 (fast seeding for paging tests); returns their ids in order. */
async function insertContacts(workspaceId: number, count: number): Promise<number[]> {
  const statements = Array.from({ length: count }, (_, i) =>
    env.DB.prepare("INSERT INTO contacts (workspace_id, name, phone) VALUES (?, ?, ?) RETURNING id").bind(workspaceId, `p${i}`, spMobile(i)),
  );
  const results = await env.DB.batch<{ id: number }>(statements);
  return results.map((r) => r.results[0]!.id);
}

async function errorOf(res: Response) {
  const body = (await res.json()) as ErrorBody;
  return { status: res.status, ...body.error };
}

describe("creating contacts", () => {
  it("normalises a Brazilian number written nationally, using the workspace's default country", async () => {
    const admin = await seedWorkspace();
    const res = await call("/api/contacts", { method: "POST", json: { name: " Ana Souza ", phone: "(11) 98765-4321" }, auth: admin });
    expect(res.status).toBe(201);
    const contact = (await res.json()) as ContactView;
    expect(contact).toEqual({
      id: expect.any(Number),
      name: "Ana Souza",
      phone: "+5511987654321",
      attributes: {},
      labels: [],
      opted_out: false,
      opted_out_at: null,
      marketing_stopped_at: null,
      last_inbound_at: null,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    expect(await callJson<ContactView>(`/api/contacts/${contact.id}`, { auth: admin })).toEqual(contact);
  });

  it.each([
    ["+55 11 98765-4321", "+5511987654321"],
    ["55 11 98765 4321", "+5511987654321"],
    ["0055 11 98765-4321", "+5511987654321"],
    ["11987654321", "+5511987654321"],
    ["+1 (415) 555-2671", "+14155552671"],
  ])("stores %j as %j in a BR workspace", async (input, e164) => {
    const admin = await seedWorkspace();
    const contact = await createContact(admin, { phone: input });
    expect(contact.phone).toBe(e164);
  });

  it("reads a national number by the workspace's own country (US)", async () => {
    const admin = await seedWorkspace({ country: "US" });
    const contact = await createContact(admin, { name: "Sam", phone: "415 555 2671" });
    expect(contact.phone).toBe("+14155552671");
  });

  it("stores attributes as strings, label_ids as labels sorted by name, and no name as empty", async () => {
    const admin = await seedWorkspace();
    const vip = await createLabel(admin, "VIP");
    const leads = await createLabel(admin, "Leads");
    const contact = await createContact(admin, {
      phone: "+55 11 98765-4321",
      attributes: { plan: "gold", age: 42, vip: true },
      label_ids: [vip, leads, vip],
    });
    expect(contact.name).toBe("");
    expect(contact.attributes).toEqual({ plan: "gold", age: "42", vip: "true" });
    expect(contact.labels).toEqual([
      { id: leads, name: "Leads", color: "#64748b" },
      { id: vip, name: "VIP", color: "#64748b" },
    ]);
  });

  it("creates an opted-out contact with opted_out_at set to now", async () => {
    const admin = await seedWorkspace();
    const before = Date.now();
    const contact = await createContact(admin, { phone: "+55 11 98765-4321", opted_out: true });
    expect(contact.opted_out).toBe(true);
    expect(contact.opted_out_at).not.toBeNull();
    const at = Date.parse(contact.opted_out_at!);
    expect(at).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 - 1000);
    expect(at).toBeLessThanOrEqual(Date.now() + 1000);
  });

  it("refuses a second contact with the same phone, even written differently, with 409 naming the existing contact", async () => {
    const admin = await seedWorkspace();
    const first = await createContact(admin, { name: "First", phone: "+55 11 98765-4321" });
    const res = await call("/api/contacts", { method: "POST", json: { name: "Second", phone: "(11) 98765-4321" }, auth: admin });
    const error = await errorOf(res);
    expect(error.status).toBe(409);
    expect(error.code).toBe("conflict");
    expect(error.details).toEqual({ contact_id: first.id });
    expect(error.message).toContain("+5511987654321");
    expect(await names(admin, "")).toEqual(["First"]);
  });

  it.each(["123", "not a phone", "+55 11 1234", "11 98765-4321 ext 2", ""])("refuses phone %j with 400 naming phone", async (phone) => {
    const admin = await seedWorkspace();
    const res = await call("/api/contacts", { method: "POST", json: { name: "Bad", phone }, auth: admin });
    const error = await errorOf(res);
    expect(error.status).toBe(400);
    expect(error.code).toBe("validation_failed");
    expect(error.message).toMatch(/^(invalid body: )?phone: /);
    expect(error.details).toEqual([expect.objectContaining({ path: "phone" })]);
    expect((await list(admin)).data).toEqual([]);
  });

  it.each([
    ["a missing phone", { name: "No phone" }, "phone"],
    ["a bad attribute name", { phone: "+55 11 98765-4321", attributes: { "Bad Key": "x" } }, "attributes.Bad Key"],
    ["an attribute value over 1000 characters", { phone: "+55 11 98765-4321", attributes: { note: "x".repeat(1001) } }, "attributes.note"],
    ["a non-integer label id", { phone: "+55 11 98765-4321", label_ids: [1.5] }, "label_ids.0"],
    ["a name over 200 characters", { phone: "+55 11 98765-4321", name: "n".repeat(201) }, "name"],
  ])("refuses %s with 400 naming the field", async (_case, json, path) => {
    const admin = await seedWorkspace();
    const error = await errorOf(await call("/api/contacts", { method: "POST", json, auth: admin }));
    expect(error.status).toBe(400);
    expect(error.code).toBe("validation_failed");
    expect(error.details).toEqual([expect.objectContaining({ path })]);
    expect((await list(admin)).data).toEqual([]);
  });

  it("refuses a label of another workspace in label_ids with 400 and creates nothing", async () => {
    const admin = await seedWorkspace();
    const other = await seedWorkspace();
    const own = await createLabel(admin, "Own");
    const foreign = await createLabel(other, "Foreign");
    const res = await call("/api/contacts", { method: "POST", json: { phone: "+55 11 98765-4321", label_ids: [own, foreign] }, auth: admin });
    const error = await errorOf(res);
    expect(error.status).toBe(400);
    expect(error.code).toBe("validation_failed");
    expect(error.message).toContain(String(foreign));
    expect(error.message).not.toContain(String(own));
    expect(error.details).toEqual([expect.objectContaining({ path: "label_ids" })]);
    expect((await list(admin)).data).toEqual([]);
    expect((await list(other)).data).toEqual([]);
    const foreignLabel = await callJson<{ contact_count: number }>(`/api/labels/${foreign}`, { auth: other });
    expect(foreignLabel.contact_count).toBe(0);
  });

  it("answers 400 invalid_json for a malformed body", async () => {
    const admin = await seedWorkspace();
    const res = await call("/api/contacts", { method: "POST", body: "{nope", headers: { "content-type": "application/json" }, auth: admin });
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe("invalid_json");
  });
});

describe("reading, changing and deleting a contact", () => {
  it("replaces labels and attributes on PATCH and leaves other fields alone", async () => {
    const admin = await seedWorkspace();
    const a = await createLabel(admin, "A");
    const b = await createLabel(admin, "B");
    const c = await createLabel(admin, "C");
    const contact = await createContact(admin, { name: "Ana", phone: "+55 11 98765-4321", attributes: { city: "Recife", plan: "gold" }, label_ids: [a, b] });

    const patched = await callJson<ContactView>(`/api/contacts/${contact.id}`, {
      method: "PATCH",
      json: { label_ids: [c, b], attributes: { tier: "1" } },
      auth: admin,
    });
    expect(patched.labels.map((l) => l.name)).toEqual(["B", "C"]);
    expect(patched.attributes).toEqual({ tier: "1" });
    expect(patched.name).toBe("Ana");
    expect(patched.phone).toBe("+5511987654321");

    const cleared = await callJson<ContactView>(`/api/contacts/${contact.id}`, { method: "PATCH", json: { label_ids: [], attributes: {} }, auth: admin });
    expect(cleared.labels).toEqual([]);
    expect(cleared.attributes).toEqual({});
    expect(await callJson<ContactView>(`/api/contacts/${contact.id}`, { auth: admin })).toEqual(cleared);
  });

  it("changes name and phone (normalised) on PATCH", async () => {
    const admin = await seedWorkspace();
    const contact = await createContact(admin, { name: "Ana", phone: "+55 11 98765-4321" });
    const patched = await callJson<ContactView>(`/api/contacts/${contact.id}`, {
      method: "PATCH",
      json: { name: "Ana Maria", phone: "(21) 99876-5432" },
      auth: admin,
    });
    expect(patched).toMatchObject({ id: contact.id, name: "Ana Maria", phone: "+5521998765432" });
  });

  it("sets and clears the opt-out, keeping the first opt-out time when set twice", async () => {
    const admin = await seedWorkspace();
    const contact = await createContact(admin, { phone: "+55 11 98765-4321" });
    const out = await callJson<ContactView>(`/api/contacts/${contact.id}`, { method: "PATCH", json: { opted_out: true }, auth: admin });
    expect(out.opted_out).toBe(true);
    expect(out.opted_out_at).toEqual(expect.any(String));

    await sleepPastSecond();
    const again = await callJson<ContactView>(`/api/contacts/${contact.id}`, { method: "PATCH", json: { opted_out: true }, auth: admin });
    expect(again.opted_out_at).toBe(out.opted_out_at);

    const back = await callJson<ContactView>(`/api/contacts/${contact.id}`, { method: "PATCH", json: { opted_out: false }, auth: admin });
    expect(back.opted_out).toBe(false);
    expect(back.opted_out_at).toBeNull();
  });

  it("refuses changing the phone to one another contact has (written differently) with 409, changing nothing", async () => {
    const admin = await seedWorkspace();
    const label = await createLabel(admin, "L");
    const taken = await createContact(admin, { name: "Owner", phone: "+55 11 98765-4321" });
    const mover = await createContact(admin, { name: "Mover", phone: "+55 11 91234-5678", label_ids: [label] });
    const res = await call(`/api/contacts/${mover.id}`, { method: "PATCH", json: { name: "Renamed", phone: "(11) 98765-4321", label_ids: [] }, auth: admin });
    const error = await errorOf(res);
    expect(error.status).toBe(409);
    expect(error.code).toBe("conflict");
    expect(error.details).toEqual({ contact_id: taken.id });
    expect(await callJson<ContactView>(`/api/contacts/${mover.id}`, { auth: admin })).toEqual(mover);
  });

  it("lets a contact keep its own phone on PATCH", async () => {
    const admin = await seedWorkspace();
    const contact = await createContact(admin, { name: "Same", phone: "+55 11 98765-4321" });
    const patched = await callJson<ContactView>(`/api/contacts/${contact.id}`, { method: "PATCH", json: { phone: "(11) 98765-4321" }, auth: admin });
    expect(patched.phone).toBe("+5511987654321");
  });

  it("refuses an empty PATCH, a bad phone and a foreign label with 400, changing nothing", async () => {
    const admin = await seedWorkspace();
    const other = await seedWorkspace();
    const foreign = await createLabel(other, "Foreign");
    const contact = await createContact(admin, { name: "Stable", phone: "+55 11 98765-4321" });
    for (const json of [{}, { phone: "123" }, { label_ids: [foreign] }, { opted_out: "yes" }]) {
      const res = await call(`/api/contacts/${contact.id}`, { method: "PATCH", json, auth: admin });
      expect(res.status, JSON.stringify(json)).toBe(400);
      expect(await errorCode(res)).toBe("validation_failed");
    }
    expect(await callJson<ContactView>(`/api/contacts/${contact.id}`, { auth: admin })).toEqual(contact);
  });

  it("deletes a contact: 204, then 404, and its phone is free again", async () => {
    const admin = await seedWorkspace();
    const label = await createLabel(admin, "L");
    const contact = await createContact(admin, { phone: "+55 11 98765-4321", label_ids: [label] });
    const res = await call(`/api/contacts/${contact.id}`, { method: "DELETE", auth: admin });
    expect(res.status).toBe(204);
    expect((await call(`/api/contacts/${contact.id}`, { auth: admin })).status).toBe(404);
    expect((await call(`/api/contacts/${contact.id}`, { method: "DELETE", auth: admin })).status).toBe(404);
    expect((await callJson<{ contact_count: number }>(`/api/labels/${label}`, { auth: admin })).contact_count).toBe(0);
    await createContact(admin, { phone: "+55 11 98765-4321" });
  });

  it("answers 400 for a non-numeric id and 404 for an unknown one", async () => {
    const admin = await seedWorkspace();
    const bad = await call("/api/contacts/abc", { auth: admin });
    expect(bad.status).toBe(400);
    expect(await errorCode(bad)).toBe("validation_failed");
    const missing = await call("/api/contacts/999999999", { method: "PATCH", json: { name: "x" }, auth: admin });
    expect(missing.status).toBe(404);
    expect(await errorCode(missing)).toBe("not_found");
  });
});

describe("listing contacts", () => {
  it("lists newest first", async () => {
    const admin = await seedWorkspace();
    for (const [i, name] of ["first", "second", "third"].entries()) await createContact(admin, { name, phone: spMobile(i) });
    const page = await list(admin);
    expect(page.data.map((c) => c.name)).toEqual(["third", "second", "first"]);
    expect(page.next_cursor).toBeNull();
  });

  it("searches names case-insensitively, treating % and _ literally", async () => {
    const admin = await seedWorkspace();
    const people = ["Ana_Bia", "AnaXBia", "Promo 50% off", "Promo 50 cents", "BRUNO", "bruna", "back\\slash"];
    for (const [i, name] of people.entries()) await createContact(admin, { name, phone: spMobile(i) });

    expect(await names(admin, "q=ANA")).toEqual(["AnaXBia", "Ana_Bia"]);
    expect(await names(admin, `q=${encodeURIComponent("a_b")}`)).toEqual(["Ana_Bia"]);
    expect(await names(admin, `q=${encodeURIComponent("50%")}`)).toEqual(["Promo 50% off"]);
    expect(await names(admin, `q=${encodeURIComponent("%")}`)).toEqual(["Promo 50% off"]);
    expect(await names(admin, "q=brun")).toEqual(["bruna", "BRUNO"]);
    expect(await names(admin, `q=${encodeURIComponent("k\\s")}`)).toEqual(["back\\slash"]);
    expect(await names(admin, "q=zzz")).toEqual([]);
  });

  it("searches phones by their digits, however the query is formatted", async () => {
    const admin = await seedWorkspace();
    await createContact(admin, { name: "Ana", phone: "+55 11 98765-4321" });
    await createContact(admin, { name: "Bia", phone: "+55 11 99999-1234" });
    expect(await names(admin, "q=98765")).toEqual(["Ana"]);
    expect(await names(admin, `q=${encodeURIComponent("(11) 98765-4321")}`)).toEqual(["Ana"]);
    expect(await names(admin, `q=${encodeURIComponent("+55 11 9999")}`)).toEqual(["Bia"]);
    expect(await names(admin, "q=1234")).toEqual(["Bia"]);
    expect(await names(admin, "q=5511")).toEqual(["Bia", "Ana"]);
    // Fewer than three digits is too short to search phones by; only names are searched.
    expect(await names(admin, "q=55")).toEqual([]);
  });

  it("filters by labels with match=any (default) and match=all", async () => {
    const admin = await seedWorkspace();
    const a = await createLabel(admin, "A");
    const b = await createLabel(admin, "B");
    const c = await createLabel(admin, "C");
    await createContact(admin, { name: "a", phone: spMobile(1), label_ids: [a] });
    await createContact(admin, { name: "b", phone: spMobile(2), label_ids: [b] });
    await createContact(admin, { name: "ab", phone: spMobile(3), label_ids: [a, b] });
    await createContact(admin, { name: "abc", phone: spMobile(4), label_ids: [a, b, c] });
    await createContact(admin, { name: "c", phone: spMobile(5), label_ids: [c] });
    await createContact(admin, { name: "none", phone: spMobile(6) });

    expect(await names(admin, `labels=${a},${b}`)).toEqual(["abc", "ab", "b", "a"]);
    expect(await names(admin, `labels=${a},${b}&match=any`)).toEqual(["abc", "ab", "b", "a"]);
    expect(await names(admin, `labels=${a},${b}&match=all`)).toEqual(["abc", "ab"]);
    expect(await names(admin, `labels=${a},${b},${c}&match=all`)).toEqual(["abc"]);
    expect(await names(admin, `labels=${c}&match=all`)).toEqual(["c", "abc"]);
    expect(await names(admin, `labels=${a},${a}&match=all`)).toEqual(["abc", "ab", "a"]);
    expect(await names(admin, `labels=${a}&q=ab`)).toEqual(["abc", "ab"]);
  });

  it("filters by opt-out", async () => {
    const admin = await seedWorkspace();
    await createContact(admin, { name: "in-1", phone: spMobile(1) });
    await createContact(admin, { name: "out-1", phone: spMobile(2), opted_out: true });
    await createContact(admin, { name: "in-2", phone: spMobile(3) });
    const later = await createContact(admin, { name: "out-2", phone: spMobile(4) });
    await callJson(`/api/contacts/${later.id}`, { method: "PATCH", json: { opted_out: true }, auth: admin });

    expect(await names(admin, "opted_out=true")).toEqual(["out-2", "out-1"]);
    expect(await names(admin, "opted_out=false")).toEqual(["in-2", "in-1"]);
    expect(await names(admin, "")).toEqual(["out-2", "in-2", "out-1", "in-1"]);
  });

  it("pages through 120 contacts 50 at a time with no duplicates and no gaps", async () => {
    const admin = await seedWorkspace();
    const created = await insertContacts(admin.workspaceId, 120);
    const newestFirst = [...created].reverse();

    const first = await list(admin, "limit=50");
    expect(first.data).toHaveLength(50);
    expect(first.next_cursor).toEqual(expect.any(String));
    const second = await list(admin, `limit=50&cursor=${first.next_cursor}`);
    expect(second.data).toHaveLength(50);
    expect(second.next_cursor).toEqual(expect.any(String));
    const third = await list(admin, `limit=50&cursor=${second.next_cursor}`);
    expect(third.data).toHaveLength(20);
    expect(third.next_cursor).toBeNull();

    expect([...first.data, ...second.data, ...third.data].map((c) => c.id)).toEqual(newestFirst);
  });

  it("ends with next_cursor null when the last page is exactly full", async () => {
    const admin = await seedWorkspace();
    for (let i = 0; i < 4; i++) await createContact(admin, { name: `p${i}`, phone: spMobile(i) });
    const first = await list(admin, "limit=2");
    const second = await list(admin, `limit=2&cursor=${first.next_cursor}`);
    expect(second.data.map((c) => c.name)).toEqual(["p1", "p0"]);
    expect(second.next_cursor).toBeNull();
  });

  it("defaults to 50 per page", async () => {
    const admin = await seedWorkspace();
    await insertContacts(admin.workspaceId, 51);
    const page = await list(admin);
    expect(page.data).toHaveLength(50);
    expect(page.data.at(-1)!.name).toBe("p1");
    expect(page.next_cursor).toEqual(expect.any(String));
  });

  it.each([
    ["limit=101", "limit"],
    ["limit=0", "limit"],
    ["limit=ten", "limit"],
    ["cursor=abc", "cursor"],
    ["cursor=-5", "cursor"],
    ["labels=a,b", "labels"],
    ["match=some", "match"],
    ["opted_out=yes", "opted_out"],
  ])("refuses %j with 400 naming the parameter", async (query, path) => {
    const admin = await seedWorkspace();
    const error = await errorOf(await call(`/api/contacts?${query}`, { auth: admin }));
    expect(error.status).toBe(400);
    expect(error.code).toBe("validation_failed");
    expect(error.details).toEqual([expect.objectContaining({ path })]);
  });

  it("refuses filtering by another workspace's label with 400", async () => {
    const admin = await seedWorkspace();
    const other = await seedWorkspace();
    const foreign = await createLabel(other, "Foreign");
    await createContact(other, { name: "theirs", phone: spMobile(1), label_ids: [foreign] });
    const error = await errorOf(await call(`/api/contacts?labels=${foreign}`, { auth: admin }));
    expect(error.status).toBe(400);
    expect(error.code).toBe("validation_failed");
    expect(error.message).toContain(String(foreign));
  });
});

describe("GET /api/contacts/attributes", () => {
  it("lists the attribute names of the workspace's contacts once each, sorted", async () => {
    const admin = await seedWorkspace();
    await createContact(admin, { name: "a", phone: spMobile(1), attributes: { city: "Recife", plan: "gold" } });
    await createContact(admin, { name: "b", phone: spMobile(2), attributes: { birthday: "05-01", city: "Natal" } });
    await createContact(admin, { name: "c", phone: spMobile(3) });
    const other = await seedWorkspace();
    await createContact(other, { name: "x", phone: spMobile(1), attributes: { secret_code: "42", city: "Olinda" } });
    expect(await callJson("/api/contacts/attributes", { auth: admin })).toEqual({ data: ["birthday", "city", "plan"] });
    expect(await callJson("/api/contacts/attributes", { auth: other })).toEqual({ data: ["city", "secret_code"] });
  });

  it("is empty for a workspace whose contacts have no attributes", async () => {
    const admin = await seedWorkspace();
    expect(await callJson("/api/contacts/attributes", { auth: admin })).toEqual({ data: [] });
    await createContact(admin, { name: "plain", phone: spMobile(1) });
    expect(await callJson("/api/contacts/attributes", { auth: admin })).toEqual({ data: [] });
  });

  it("lists at most 200 names", async () => {
    const admin = await seedWorkspace();
    const keys = Array.from({ length: 250 }, (_, i) => `k${String(i).padStart(3, "0")}`);
    const statements = Array.from({ length: 5 }, (_, n) =>
      env.DB.prepare("INSERT INTO contacts (workspace_id, name, phone, attributes) VALUES (?, ?, ?, ?)").bind(
        admin.workspaceId,
        `bulk ${n}`,
        spMobile(100 + n),
        JSON.stringify(Object.fromEntries(keys.slice(n * 50, n * 50 + 50).map((k) => [k, "v"]))),
      ),
    );
    await env.DB.batch(statements);
    expect((await callJson<{ data: string[] }>("/api/contacts/attributes", { auth: admin })).data).toEqual(keys.slice(0, 200));
  });
});

describe("contacts: access", () => {
  it("answers 401 without credentials", async () => {
    const admin = await seedWorkspace();
    const contact = await createContact(admin, { name: "Private", phone: spMobile(1) });
    const attempts: [string, string, unknown?][] = [
      ["GET", "/api/contacts"],
      ["GET", "/api/contacts/attributes"],
      ["POST", "/api/contacts", { phone: spMobile(2) }],
      ["GET", `/api/contacts/${contact.id}`],
      ["PATCH", `/api/contacts/${contact.id}`, { name: "Hacked" }],
      ["DELETE", `/api/contacts/${contact.id}`],
    ];
    for (const [method, path, json] of attempts) {
      const res = await call(path, { method, ...(json ? { json } : {}) });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(await errorCode(res)).toBe("unauthorized");
    }
    expect((await list(admin)).data).toEqual([contact]);
  });

  it("hides another workspace's contact: 404 on get, patch and delete, and it stays unchanged", async () => {
    const owner = await seedWorkspace();
    const intruder = await seedWorkspace();
    const contact = await createContact(owner, { name: "Theirs", phone: spMobile(1), attributes: { k: "v" } });
    for (const [method, json] of [["GET"], ["PATCH", { name: "Mine", opted_out: true }], ["DELETE"]] as const) {
      const res = await call(`/api/contacts/${contact.id}`, { method, ...(json ? { json } : {}), auth: intruder });
      expect(res.status, method).toBe(404);
      expect(await errorCode(res)).toBe("not_found");
    }
    expect(await callJson<ContactView>(`/api/contacts/${contact.id}`, { auth: owner })).toEqual(contact);
  });

  it("never shows another workspace's contacts in lists or searches, even with the same name and phone", async () => {
    const a = await seedWorkspace();
    const b = await seedWorkspace();
    const mine = await createContact(a, { name: "Ana Twin", phone: "+55 11 98765-4321" });
    const theirs = await createContact(b, { name: "Ana Twin", phone: "+55 11 98765-4321" });
    await createContact(b, { name: "Bruno Only-B", phone: spMobile(7) });
    expect(theirs.id).not.toBe(mine.id);

    for (const query of ["", "q=Ana", "q=98765", "q=Bruno", "opted_out=false", "limit=100"]) {
      const ids = (await list(a, query)).data.map((c) => c.id);
      expect(
        ids.every((id) => id === mine.id),
        `query ${query}: ${ids}`,
      ).toBe(true);
    }
    expect((await list(a, "q=Bruno")).data).toEqual([]);
    expect((await list(b)).data.map((c) => c.name)).toEqual(["Bruno Only-B", "Ana Twin"]);
  });

  it("works with an API token instead of a session", async () => {
    const admin = await seedWorkspace();
    const { token } = await callJson<{ token: string }>("/api/tokens", { method: "POST", json: { name: "CRM sync" }, auth: admin });
    const auth = { token };
    const created = await createContact(auth, { name: "Via token", phone: "(11) 98765-4321" });
    expect(created.phone).toBe("+5511987654321");
    expect((await list(auth)).data.map((c) => c.id)).toEqual([created.id]);
    const patched = await callJson<ContactView>(`/api/contacts/${created.id}`, { method: "PATCH", json: { name: "Renamed" }, auth });
    expect(patched.name).toBe("Renamed");
    expect((await list(admin)).data.map((c) => c.name)).toEqual(["Renamed"]);
    expect((await call(`/api/contacts/${created.id}`, { method: "DELETE", auth })).status).toBe(204);
  });

  it("lets an operator manage contacts", async () => {
    const admin = await seedWorkspace();
    const operator = await seedOperator(admin);
    const created = await createContact(operator, { name: "By operator", phone: spMobile(1) });
    expect((await list(admin)).data.map((c) => c.id)).toEqual([created.id]);
    expect((await call(`/api/contacts/${created.id}`, { method: "DELETE", auth: operator })).status).toBe(204);
  });
});

/** Lets the clock pass a whole second, so a re-written Unix-seconds timestamp would differ. */
function sleepPastSecond() {
  return new Promise((resolve) => setTimeout(resolve, 1100));
}

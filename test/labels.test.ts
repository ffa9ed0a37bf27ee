import { describe, expect, it } from "vitest";
import { type Auth, call, callJson, errorCode, seedOperator, seedWorkspace } from "./helpers";

type LabelView = { id: number; name: string; color: string; contact_count: number; created_at: string | null };
type ErrorBody = { error: { code: string; message: string; details?: unknown } };

const DEFAULT_COLOR = "#64748b";

const createLabel = (auth: Auth, name: string, color?: string) =>
  callJson<LabelView>("/api/labels", { method: "POST", json: color ? { name, color } : { name }, auth });

const createContact = (auth: Auth, phone: string, labelIds: number[]) =>
  callJson<{ id: number; labels: { id: number }[] }>("/api/contacts", { method: "POST", json: { name: `Contact ${phone}`, phone, label_ids: labelIds }, auth });

const listLabels = async (auth: Auth) => (await callJson<{ data: LabelView[] }>("/api/labels", { auth })).data;

async function errorOf(res: Response): Promise<{ status: number } & ErrorBody["error"]> {
  const body = (await res.json()) as ErrorBody;
  return { status: res.status, ...body.error };
}

describe("labels: happy paths", () => {
  it("creates a label with the default colour and no contacts", async () => {
    const admin = await seedWorkspace();
    const res = await call("/api/labels", { method: "POST", json: { name: "  VIP  " }, auth: admin });
    expect(res.status).toBe(201);
    const label = (await res.json()) as LabelView;
    expect(label).toEqual({ id: expect.any(Number), name: "VIP", color: DEFAULT_COLOR, contact_count: 0, created_at: expect.any(String) });
    expect(Number.isNaN(Date.parse(label.created_at!))).toBe(false);
  });

  it("creates a label with a chosen colour", async () => {
    const admin = await seedWorkspace();
    const label = await createLabel(admin, "Leads", "#22C55E");
    expect(label.color).toBe("#22C55E");
  });

  it("lists labels sorted by name (ignoring case) with their contact counts", async () => {
    const admin = await seedWorkspace();
    const charlie = await createLabel(admin, "charlie");
    const alpha = await createLabel(admin, "Alpha");
    const beta = await createLabel(admin, "beta");
    await createContact(admin, "+55 11 91000-0001", [alpha.id, beta.id]);
    await createContact(admin, "+55 11 91000-0002", [alpha.id]);
    await createContact(admin, "+55 11 91000-0003", [alpha.id, alpha.id]);
    await createContact(admin, "+55 11 91000-0004", []);

    const labels = await listLabels(admin);
    expect(labels.map((l) => [l.name, l.contact_count])).toEqual([
      ["Alpha", 3],
      ["beta", 1],
      ["charlie", 0],
    ]);
    expect(labels.map((l) => l.id)).toEqual([alpha.id, beta.id, charlie.id]);
  });

  it("gets one label with its contact count", async () => {
    const admin = await seedWorkspace();
    const label = await createLabel(admin, "Customers", "#ff0000");
    await createContact(admin, "+55 11 91000-0001", [label.id]);
    await createContact(admin, "+55 11 91000-0002", [label.id]);
    const got = await callJson<LabelView>(`/api/labels/${label.id}`, { auth: admin });
    expect(got).toEqual({ ...label, contact_count: 2 });
  });

  it("renames and recolours a label, keeping its contacts", async () => {
    const admin = await seedWorkspace();
    const label = await createLabel(admin, "Old name");
    await createContact(admin, "+55 11 91000-0001", [label.id]);

    const renamed = await callJson<LabelView>(`/api/labels/${label.id}`, { method: "PATCH", json: { name: " New name " }, auth: admin });
    expect(renamed).toEqual({ ...label, name: "New name", contact_count: 1 });

    const recoloured = await callJson<LabelView>(`/api/labels/${label.id}`, { method: "PATCH", json: { color: "#0ea5e9" }, auth: admin });
    expect(recoloured).toEqual({ ...label, name: "New name", color: "#0ea5e9", contact_count: 1 });

    const both = await callJson<LabelView>(`/api/labels/${label.id}`, { method: "PATCH", json: { name: "Final", color: "#000000" }, auth: admin });
    expect(both).toEqual({ ...label, name: "Final", color: "#000000", contact_count: 1 });
    expect(await callJson<LabelView>(`/api/labels/${label.id}`, { auth: admin })).toEqual(both);
  });

  it("lets a label be renamed to a different casing of its own name", async () => {
    const admin = await seedWorkspace();
    const label = await createLabel(admin, "vip");
    const renamed = await callJson<LabelView>(`/api/labels/${label.id}`, { method: "PATCH", json: { name: "VIP" }, auth: admin });
    expect(renamed.name).toBe("VIP");
  });

  it("deletes a label: 204, the contacts stay without that label", async () => {
    const admin = await seedWorkspace();
    const doomed = await createLabel(admin, "Doomed");
    const kept = await createLabel(admin, "Kept");
    const contact = await createContact(admin, "+55 11 91000-0001", [doomed.id, kept.id]);
    const other = await createContact(admin, "+55 11 91000-0002", [doomed.id]);

    const res = await call(`/api/labels/${doomed.id}`, { method: "DELETE", auth: admin });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");

    expect((await call(`/api/labels/${doomed.id}`, { auth: admin })).status).toBe(404);
    const after = await callJson<{ labels: { id: number; name: string }[] }>(`/api/contacts/${contact.id}`, { auth: admin });
    expect(after.labels.map((l) => l.name)).toEqual(["Kept"]);
    const otherAfter = await callJson<{ labels: unknown[] }>(`/api/contacts/${other.id}`, { auth: admin });
    expect(otherAfter.labels).toEqual([]);
    expect((await listLabels(admin)).map((l) => [l.name, l.contact_count])).toEqual([["Kept", 1]]);
  });

  it("frees a deleted label's name for reuse", async () => {
    const admin = await seedWorkspace();
    const label = await createLabel(admin, "Again");
    expect((await call(`/api/labels/${label.id}`, { method: "DELETE", auth: admin })).status).toBe(204);
    const again = await createLabel(admin, "again");
    expect(again.contact_count).toBe(0);
  });
});

describe("labels: invalid input", () => {
  it("refuses a duplicate name, ignoring case, with 409 conflict", async () => {
    const admin = await seedWorkspace();
    await createLabel(admin, "VIP");
    const res = await call("/api/labels", { method: "POST", json: { name: "vip" }, auth: admin });
    expect(res.status).toBe(409);
    expect(await errorCode(res)).toBe("conflict");
    expect((await listLabels(admin)).map((l) => l.name)).toEqual(["VIP"]);
  });

  it("refuses renaming onto another label's name (ignoring case) with 409 and leaves both labels as they were", async () => {
    const admin = await seedWorkspace();
    await createLabel(admin, "Leads");
    const other = await createLabel(admin, "Customers");
    const res = await call(`/api/labels/${other.id}`, { method: "PATCH", json: { name: "LEADS" }, auth: admin });
    expect(res.status).toBe(409);
    expect(await errorCode(res)).toBe("conflict");
    expect((await listLabels(admin)).map((l) => l.name)).toEqual(["Customers", "Leads"]);
  });

  it("allows the same name in two different workspaces", async () => {
    const a = await seedWorkspace();
    const b = await seedWorkspace();
    await createLabel(a, "Shared");
    const res = await call("/api/labels", { method: "POST", json: { name: "Shared" }, auth: b });
    expect(res.status).toBe(201);
  });

  it.each([
    ["missing", {}, "name"],
    ["empty", { name: "" }, "name"],
    ["only spaces", { name: "    " }, "name"],
    ["51 characters", { name: "x".repeat(51) }, "name"],
    ["not a string", { name: 42 }, "name"],
  ])("refuses a %s name with 400 validation_failed naming the field", async (_case, json, field) => {
    const admin = await seedWorkspace();
    const res = await call("/api/labels", { method: "POST", json, auth: admin });
    const error = await errorOf(res);
    expect(error.status).toBe(400);
    expect(error.code).toBe("validation_failed");
    expect(error.message).toContain(field);
    expect(error.details).toEqual([expect.objectContaining({ path: field })]);
    expect(await listLabels(admin)).toEqual([]);
  });

  it("accepts a name of exactly 50 characters", async () => {
    const admin = await seedWorkspace();
    const label = await createLabel(admin, "y".repeat(50));
    expect(label.name).toHaveLength(50);
  });

  it.each(["red", "#12345", "#1234567", "22c55e", "#ggg000", ""])("refuses colour %j with 400 naming color", async (color) => {
    const admin = await seedWorkspace();
    const res = await call("/api/labels", { method: "POST", json: { name: "Coloured", color }, auth: admin });
    const error = await errorOf(res);
    expect(error.status).toBe(400);
    expect(error.code).toBe("validation_failed");
    expect(error.message).toContain("color");
    expect(error.details).toEqual([expect.objectContaining({ path: "color" })]);
    expect(await listLabels(admin)).toEqual([]);
  });

  it("refuses a bad colour or an empty name on PATCH and leaves the label unchanged", async () => {
    const admin = await seedWorkspace();
    const label = await createLabel(admin, "Stable", "#111111");
    for (const json of [{ color: "blue" }, { name: "" }, { name: "z".repeat(51) }, {}]) {
      const res = await call(`/api/labels/${label.id}`, { method: "PATCH", json, auth: admin });
      expect(res.status).toBe(400);
      expect(await errorCode(res)).toBe("validation_failed");
    }
    expect(await callJson<LabelView>(`/api/labels/${label.id}`, { auth: admin })).toEqual(label);
  });

  it("answers 400 invalid_json for a body that is not JSON", async () => {
    const admin = await seedWorkspace();
    const res = await call("/api/labels", { method: "POST", body: "{nope", headers: { "content-type": "application/json" }, auth: admin });
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe("invalid_json");
    const label = await createLabel(admin, "Target");
    const patch = await call(`/api/labels/${label.id}`, { method: "PATCH", body: "{nope", headers: { "content-type": "application/json" }, auth: admin });
    expect(patch.status).toBe(400);
    expect(await errorCode(patch)).toBe("invalid_json");
  });

  it.each(["abc", "1.5", "-1", "0"])("answers 400 for label id %j", async (id) => {
    const admin = await seedWorkspace();
    for (const method of ["GET", "PATCH", "DELETE"]) {
      const res = await call(`/api/labels/${id}`, { method, auth: admin, ...(method === "PATCH" ? { json: { name: "x" } } : {}) });
      expect(res.status, `${method} /api/labels/${id}`).toBe(400);
      expect(await errorCode(res)).toBe("validation_failed");
    }
  });

  it("answers 404 for a label id that does not exist", async () => {
    const admin = await seedWorkspace();
    for (const method of ["GET", "PATCH", "DELETE"]) {
      const res = await call("/api/labels/999999999", { method, auth: admin, ...(method === "PATCH" ? { json: { name: "x" } } : {}) });
      expect(res.status, method).toBe(404);
      expect(await errorCode(res)).toBe("not_found");
    }
  });
});

describe("labels: access", () => {
  it("answers 401 unauthorized without credentials", async () => {
    const admin = await seedWorkspace();
    const label = await createLabel(admin, "Private");
    const attempts: [string, string, unknown?][] = [
      ["GET", "/api/labels"],
      ["POST", "/api/labels", { name: "Sneaky" }],
      ["GET", `/api/labels/${label.id}`],
      ["PATCH", `/api/labels/${label.id}`, { name: "Hacked" }],
      ["DELETE", `/api/labels/${label.id}`],
    ];
    for (const [method, path, json] of attempts) {
      const res = await call(path, { method, ...(json ? { json } : {}) });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(await errorCode(res)).toBe("unauthorized");
    }
    expect(await listLabels(admin)).toEqual([label]);
  });

  it("answers 401 for a made-up API token", async () => {
    const res = await call("/api/labels", { auth: { token: "hrld_not-a-real-token" } });
    expect(res.status).toBe(401);
  });

  it("hides another workspace's label: 404 on get, patch and delete, and it stays unchanged", async () => {
    const owner = await seedWorkspace();
    const intruder = await seedWorkspace();
    const label = await createLabel(owner, "Theirs", "#123456");
    await createContact(owner, "+55 11 91000-0001", [label.id]);
    const before = await callJson<LabelView>(`/api/labels/${label.id}`, { auth: owner });

    const get = await call(`/api/labels/${label.id}`, { auth: intruder });
    expect(get.status).toBe(404);
    expect(await errorCode(get)).toBe("not_found");
    const patch = await call(`/api/labels/${label.id}`, { method: "PATCH", json: { name: "Mine now", color: "#000000" }, auth: intruder });
    expect(patch.status).toBe(404);
    expect(await errorCode(patch)).toBe("not_found");
    const del = await call(`/api/labels/${label.id}`, { method: "DELETE", auth: intruder });
    expect(del.status).toBe(404);
    expect(await errorCode(del)).toBe("not_found");

    expect(await callJson<LabelView>(`/api/labels/${label.id}`, { auth: owner })).toEqual(before);
    expect(before.contact_count).toBe(1);
    expect(await listLabels(intruder)).toEqual([]);
  });

  it("lists only the caller's workspace labels", async () => {
    const a = await seedWorkspace();
    const b = await seedWorkspace();
    await createLabel(a, "A-only");
    await createLabel(b, "B-only");
    expect((await listLabels(a)).map((l) => l.name)).toEqual(["A-only"]);
    expect((await listLabels(b)).map((l) => l.name)).toEqual(["B-only"]);
  });

  it("lets an operator create, rename, recolour and delete labels", async () => {
    const admin = await seedWorkspace();
    const operator = await seedOperator(admin);
    const label = await createLabel(operator, "Operator's");
    expect(label.name).toBe("Operator's");
    const patched = await callJson<LabelView>(`/api/labels/${label.id}`, { method: "PATCH", json: { name: "Renamed", color: "#abcdef" }, auth: operator });
    expect(patched).toEqual({ ...label, name: "Renamed", color: "#abcdef" });
    expect(await listLabels(admin)).toEqual([patched]);
    expect((await call(`/api/labels/${label.id}`, { method: "DELETE", auth: operator })).status).toBe(204);
    expect(await listLabels(admin)).toEqual([]);
  });
});

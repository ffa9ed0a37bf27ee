import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type Account, type Auth, call, callJson, errorCode, seedWorkspace } from "./helpers";

type LabelView = { id: number; name: string; contact_count: number };
type BulkResult = { matched: number; changed: number };
type ErrorBody = { error: { code: string; message: string; details?: { path: string; message: string }[] } };

const createLabel = async (auth: Auth, name: string) => (await callJson<LabelView>("/api/labels", { method: "POST", json: { name }, auth })).id;

const labelCount = async (auth: Auth, id: number) => (await callJson<LabelView>(`/api/labels/${id}`, { auth })).contact_count;

const bulk = (auth: Auth, json: unknown) => call("/api/contacts/labels", { method: "POST", json, auth });

const bulkOk = (auth: Auth, json: unknown) => callJson<BulkResult>("/api/contacts/labels", { method: "POST", json, auth, expect: 200 });

const count = async (auth: Auth, query = "") => (await callJson<{ count: number }>(`/api/contacts/count${query ? `?${query}` : ""}`, { auth })).count;

async function errorOf(res: Response) {
  const body = (await res.json()) as ErrorBody;
  return { status: res.status, ...body.error };
}

/**
 * Inserts `count` contacts straight into D1 in one statement: named `${prefix}0`…, São Paulo
 * mobiles from `first` on, every `optedOutEvery`-th one opted out. Returns their ids in order.
 */
async function insertContacts(account: Account, total: number, opts: { prefix?: string; first?: number; optedOutEvery?: number } = {}): Promise<number[]> {
  const { prefix = "c", first = 0, optedOutEvery = 0 } = opts;
  const { results } = await env.DB.prepare(
    `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?2)
     INSERT INTO contacts (workspace_id, name, phone, opted_out_at)
     SELECT ?1, ?3 || i, '+55119' || (87650000 + ?4 + i), CASE WHEN ?5 > 0 AND i % ?5 = 0 THEN unixepoch() END FROM n WHERE true
     RETURNING id`,
  )
    .bind(account.workspaceId, total, prefix, first, optedOutEvery)
    .all<{ id: number }>();
  return results.map((r) => r.id).sort((a, b) => a - b);
}

/** Ids of the workspace's contacts carrying `labelId`. */
async function holders(labelId: number): Promise<number[]> {
  const { results } = await env.DB.prepare("SELECT contact_id AS id FROM contact_labels WHERE label_id = ? ORDER BY contact_id")
    .bind(labelId)
    .all<{ id: number }>();
  return results.map((r) => r.id);
}

describe("POST /api/contacts/labels by contact ids", () => {
  it("labels 5,000 contacts in one request, and says how many changed", async () => {
    const admin = await seedWorkspace();
    const ids = await insertContacts(admin, 5000);
    const vip = await createLabel(admin, "VIP");
    const started = Date.now();
    expect(await bulkOk(admin, { action: "add", label_ids: [vip], contact_ids: ids })).toEqual({ matched: 5000, changed: 5000 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await labelCount(admin, vip)).toBe(5000);
    // Again: nobody gains anything.
    expect(await bulkOk(admin, { action: "add", label_ids: [vip], contact_ids: ids })).toEqual({ matched: 5000, changed: 0 });
    expect(await labelCount(admin, vip)).toBe(5000);
  });

  it("adds several labels, counting a contact as changed when it gains at least one", async () => {
    const admin = await seedWorkspace();
    const ids = await insertContacts(admin, 10);
    const [a, b] = [await createLabel(admin, "A"), await createLabel(admin, "B")];
    await bulkOk(admin, { action: "add", label_ids: [a], contact_ids: ids.slice(0, 4) });
    expect(await bulkOk(admin, { action: "add", label_ids: [a, b, a], contact_ids: [...ids, ids[0]!] })).toEqual({ matched: 10, changed: 10 });
    expect(await holders(a)).toEqual(ids);
    expect(await holders(b)).toEqual(ids);
  });

  it("removes labels from the contacts named, leaving the others and other labels alone", async () => {
    const admin = await seedWorkspace();
    const ids = await insertContacts(admin, 20);
    const [a, b] = [await createLabel(admin, "A"), await createLabel(admin, "B")];
    await bulkOk(admin, { action: "add", label_ids: [a, b], contact_ids: ids });
    expect(await bulkOk(admin, { action: "remove", label_ids: [a], contact_ids: ids.slice(0, 15) })).toEqual({ matched: 15, changed: 15 });
    expect(await holders(a)).toEqual(ids.slice(15));
    expect(await holders(b)).toEqual(ids);
    // Removing again changes nobody.
    expect(await bulkOk(admin, { action: "remove", label_ids: [a], contact_ids: ids.slice(0, 15) })).toEqual({ matched: 15, changed: 0 });
  });

  it("ignores contact ids of another workspace (and unknown ones): they are neither counted nor touched", async () => {
    const admin = await seedWorkspace();
    const other = await seedWorkspace();
    const mine = await insertContacts(admin, 3);
    const theirs = await insertContacts(other, 3, { first: 100 });
    const theirLabel = await createLabel(other, "Theirs");
    await bulkOk(other, { action: "add", label_ids: [theirLabel], contact_ids: theirs });
    const vip = await createLabel(admin, "VIP");
    expect(await bulkOk(admin, { action: "add", label_ids: [vip], contact_ids: [...mine, ...theirs, 99_999_999] })).toEqual({ matched: 3, changed: 3 });
    expect(await holders(vip)).toEqual(mine);
    // Removing by their ids cannot take the other workspace's labels off either.
    expect(await bulkOk(admin, { action: "remove", label_ids: [vip], contact_ids: theirs })).toEqual({ matched: 0, changed: 0 });
    expect(await holders(theirLabel)).toEqual(theirs);
  });
});

describe("POST /api/contacts/labels by filter", () => {
  it("labels every contact matching the list's filters: search, labels (any/all) and opt-out", async () => {
    const admin = await seedWorkspace();
    const shop = await insertContacts(admin, 30, { prefix: "Shop ", optedOutEvery: 3 });
    const other = await insertContacts(admin, 10, { prefix: "Other ", first: 1000 });
    const [lead, hot, picked] = [await createLabel(admin, "Lead"), await createLabel(admin, "Hot"), await createLabel(admin, "Picked")];
    await bulkOk(admin, { action: "add", label_ids: [lead], contact_ids: [...shop.slice(0, 20), ...other] });
    await bulkOk(admin, { action: "add", label_ids: [hot], contact_ids: shop.slice(10, 30) });

    // Search alone.
    expect(await bulkOk(admin, { action: "add", label_ids: [picked], filter: { q: "shop" } })).toEqual({ matched: 30, changed: 30 });
    expect(await bulkOk(admin, { action: "remove", label_ids: [picked], filter: {} })).toEqual({ matched: 40, changed: 30 });

    // Lead AND Hot, not opted out: shop[10..19] minus every third (i % 3 = 0: 12, 15, 18).
    const expected = shop.slice(10, 20).filter((_, k) => (10 + k) % 3 !== 0);
    const filter = { labels: [lead, hot], match: "all", opted_out: false };
    expect(await count(admin, `labels=${lead},${hot}&match=all&opted_out=false`)).toBe(expected.length);
    expect(await bulkOk(admin, { action: "add", label_ids: [picked], filter })).toEqual({ matched: expected.length, changed: expected.length });
    expect(await holders(picked)).toEqual(expected);

    // Lead OR Hot with a phone search, opted out only.
    const optedOut = shop.filter((_, i) => i % 3 === 0);
    expect(await bulkOk(admin, { action: "add", label_ids: [picked], filter: { labels: [lead, hot], match: "any", opted_out: true, q: "5511987" } })).toEqual({
      matched: optedOut.length,
      changed: optedOut.length,
    });
    expect(await holders(picked)).toEqual([...expected, ...optedOut].sort((a, b) => a - b));
  });

  it("removes a label from everyone carrying it when the filter is that label", async () => {
    const admin = await seedWorkspace();
    const ids = await insertContacts(admin, 600);
    const lead = await createLabel(admin, "Lead");
    await bulkOk(admin, { action: "add", label_ids: [lead], contact_ids: ids.slice(0, 500) });
    expect(await count(admin, `labels=${lead}`)).toBe(500);
    expect(await bulkOk(admin, { action: "remove", label_ids: [lead], filter: { labels: [lead] } })).toEqual({ matched: 500, changed: 500 });
    expect(await labelCount(admin, lead)).toBe(0);
  });

  it("never reaches another workspace's contacts, even with an empty filter", async () => {
    const admin = await seedWorkspace();
    const other = await seedWorkspace();
    await insertContacts(admin, 5);
    const theirs = await insertContacts(other, 5, { first: 500 });
    const vip = await createLabel(admin, "VIP");
    expect(await bulkOk(admin, { action: "add", label_ids: [vip], filter: {} })).toEqual({ matched: 5, changed: 5 });
    const { results } = await env.DB.prepare("SELECT count(*) AS n FROM contact_labels WHERE contact_id IN (SELECT value FROM json_each(?))")
      .bind(JSON.stringify(theirs))
      .all<{ n: number }>();
    expect(results[0]!.n).toBe(0);
    expect(await count(other)).toBe(5);
    expect(await count(admin)).toBe(5);
  });
});

describe("POST /api/contacts/labels refuses", () => {
  it("an unknown label or another workspace's label with 400 naming label_ids, writing nothing", async () => {
    const admin = await seedWorkspace();
    const other = await seedWorkspace();
    const ids = await insertContacts(admin, 3);
    const vip = await createLabel(admin, "VIP");
    const theirs = await createLabel(other, "Theirs");
    for (const label_ids of [
      [vip, 99_999_999],
      [vip, theirs],
    ]) {
      const error = await errorOf(await bulk(admin, { action: "add", label_ids, contact_ids: ids }));
      expect(error.status).toBe(400);
      expect(error.code).toBe("validation_failed");
      expect(error.details).toEqual([{ path: "label_ids", message: expect.stringContaining(String(label_ids[1])) }]);
    }
    expect(await holders(vip)).toEqual([]);
    const error = await errorOf(await bulk(admin, { action: "add", label_ids: [vip], filter: { labels: [theirs] } }));
    expect(error.status).toBe(400);
    expect(error.details).toEqual([expect.objectContaining({ path: "filter.labels" })]);
  });

  it.each([
    ["no action", { label_ids: [1], contact_ids: [1] }, "action"],
    ["an unknown action", { action: "toggle", label_ids: [1], contact_ids: [1] }, "action"],
    ["no labels", { action: "add", label_ids: [], contact_ids: [1] }, "label_ids"],
    ["51 labels", { action: "add", label_ids: Array.from({ length: 51 }, (_, i) => i + 1), contact_ids: [1] }, "label_ids"],
    ["a label id that is not a number", { action: "add", label_ids: ["3"], contact_ids: [1] }, "label_ids.0"],
    ["neither contact_ids nor filter", { action: "add", label_ids: [1] }, "contact_ids"],
    ["both contact_ids and filter", { action: "add", label_ids: [1], contact_ids: [1], filter: {} }, "contact_ids"],
    ["an empty contact_ids", { action: "add", label_ids: [1], contact_ids: [] }, "contact_ids"],
    ["10,001 contact ids", { action: "add", label_ids: [1], contact_ids: Array.from({ length: 10_001 }, (_, i) => i + 1) }, "contact_ids"],
    ["a bad filter match", { action: "add", label_ids: [1], filter: { match: "some" } }, "filter.match"],
    ["an unknown filter field", { action: "add", label_ids: [1], filter: { name: "x" } }, "filter.name"],
    ["opted_out as text", { action: "add", label_ids: [1], filter: { opted_out: "true" } }, "filter.opted_out"],
  ])("%s, with 400 naming the field", async (_, json, path) => {
    const admin = await seedWorkspace();
    const error = await errorOf(await bulk(admin, json));
    expect(error.status).toBe(400);
    expect(error.code).toBe("validation_failed");
    expect(error.details!.map((d) => d.path)).toContain(path);
  });

  it("without credentials, with 401", async () => {
    const res = await call("/api/contacts/labels", { method: "POST", json: { action: "add", label_ids: [1], contact_ids: [1] } });
    expect(res.status).toBe(401);
    expect(await errorCode(res)).toBe("unauthorized");
  });
});

describe("GET /api/contacts/count", () => {
  it("counts what the list's filters match, in the caller's workspace only", async () => {
    const admin = await seedWorkspace();
    const other = await seedWorkspace();
    await insertContacts(admin, 12, { optedOutEvery: 4 });
    await insertContacts(other, 7, { first: 100 });
    expect(await count(admin)).toBe(12);
    expect(await count(admin, "opted_out=true")).toBe(3);
    expect(await count(admin, "opted_out=false&q=c1")).toBe(3); // c1, c10, c11 (none a multiple of 4)
    expect(await count(other)).toBe(7);
  });

  it("refuses another workspace's label with 400 naming labels", async () => {
    const admin = await seedWorkspace();
    const other = await seedWorkspace();
    const theirs = await createLabel(other, "Theirs");
    const error = await errorOf(await call(`/api/contacts/count?labels=${theirs}`, { auth: admin }));
    expect(error.status).toBe(400);
    expect(error.details).toEqual([expect.objectContaining({ path: "labels" })]);
  });
});

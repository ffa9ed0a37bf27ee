import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { allRecipients, drive, expectAllFinal, templateCampaign, world } from "./campaigns/world";
import { type Account, type Auth, call, callJson, errorCode, seedWorkspace } from "./helpers";

type ContactView = { id: number; name: string; phone: string; opted_out: boolean; labels: { id: number; name: string }[] };
type Preview = { total: number; matched: number; opted_out_excluded: number; outside_window: number; sample: ContactView[] };
type ErrorBody = { error: { code: string; message: string; details?: any } };

const createLabel = async (auth: Auth, name: string) => (await callJson<{ id: number }>("/api/labels", { method: "POST", json: { name }, auth })).id;

const createContact = (auth: Auth, json: Record<string, unknown>) => callJson<ContactView>("/api/contacts", { method: "POST", json, auth });

const preview = (auth: Auth, json: unknown) => callJson<Preview>("/api/audience/preview", { method: "POST", json, auth, expect: 200 });

/** The three numbers of a preview, without the sample. */
async function counts(auth: Auth, json: unknown) {
  const { total, matched, opted_out_excluded } = await preview(auth, json);
  return { total, matched, opted_out_excluded };
}

/** A distinct São Paulo mobile for `n`. */
const spMobile = (n: number) => `+55119${String(81000000 + n)}`;

async function errorOf(res: Response) {
  const body = (await res.json()) as ErrorBody;
  return { status: res.status, ...body.error };
}

/**
 * One workspace with labels A, B, C and nine contacts:
 *   a: A   b: B   c: C   ab: A+B   ac: A+C   bc: B+C   abc: A+B+C   none: –   ab-out: A+B, opted out
 * plus a second workspace whose contacts carry look-alike labels and the same phones.
 */
describe("audience preview over overlapping labels", () => {
  let admin: Account;
  let A: number, B: number, C: number;
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    admin = await seedWorkspace();
    A = await createLabel(admin, "A");
    B = await createLabel(admin, "B");
    C = await createLabel(admin, "C");
    const members: [string, number[], boolean?][] = [
      ["a", [A]],
      ["b", [B]],
      ["c", [C]],
      ["ab", [A, B]],
      ["ac", [A, C]],
      ["bc", [B, C]],
      ["abc", [A, B, C]],
      ["none", []],
      ["ab-out", [A, B], true],
    ];
    for (const [i, [name, labelIds, optedOut]] of members.entries()) {
      ids[name] = (await createContact(admin, { name, phone: spMobile(i), label_ids: labelIds, opted_out: optedOut ?? false })).id;
    }

    // Another workspace: same label names, same phones, every contact labelled.
    const other = await seedWorkspace();
    const otherA = await createLabel(other, "A");
    const otherB = await createLabel(other, "B");
    for (let i = 0; i < 5; i++) await createContact(other, { name: `other-${i}`, phone: spMobile(i), label_ids: [otherA, otherB] });
  });

  /** Sample names, which come in id order (oldest first). */
  const sampleNames = async (json: unknown) => (await preview(admin, json)).sample.map((c) => c.name);

  it("match=any counts contacts with at least one of the labels (the default)", async () => {
    expect(await counts(admin, { labels: [A] })).toEqual({ total: 4, matched: 5, opted_out_excluded: 1 });
    expect(await counts(admin, { labels: [A, B] })).toEqual({ total: 6, matched: 7, opted_out_excluded: 1 });
    expect(await counts(admin, { labels: [A, B], match: "any" })).toEqual({ total: 6, matched: 7, opted_out_excluded: 1 });
    expect(await counts(admin, { labels: [A, B, C] })).toEqual({ total: 7, matched: 8, opted_out_excluded: 1 });
    expect(await counts(admin, { labels: [C] })).toEqual({ total: 4, matched: 4, opted_out_excluded: 0 });
    expect(await sampleNames({ labels: [A, B] })).toEqual(["a", "b", "ab", "ac", "bc", "abc"]);
  });

  it("match=all counts only contacts with every one of the labels", async () => {
    expect(await counts(admin, { labels: [A, B], match: "all" })).toEqual({ total: 2, matched: 3, opted_out_excluded: 1 });
    expect(await counts(admin, { labels: [A, C], match: "all" })).toEqual({ total: 2, matched: 2, opted_out_excluded: 0 });
    expect(await counts(admin, { labels: [A, B, C], match: "all" })).toEqual({ total: 1, matched: 1, opted_out_excluded: 0 });
    expect(await counts(admin, { labels: [B], match: "all" })).toEqual({ total: 4, matched: 5, opted_out_excluded: 1 });
    expect(await sampleNames({ labels: [A, B], match: "all" })).toEqual(["ab", "abc"]);
  });

  it("treats a label repeated in the list as one label", async () => {
    expect(await counts(admin, { labels: [A, A], match: "all" })).toEqual(await counts(admin, { labels: [A] }));
    expect(await counts(admin, { labels: [A, B, B], match: "all" })).toEqual({ total: 2, matched: 3, opted_out_excluded: 1 });
  });

  it("exclude_labels removes contacts carrying any excluded label", async () => {
    expect(await counts(admin, { labels: [A], exclude_labels: [C] })).toEqual({ total: 2, matched: 3, opted_out_excluded: 1 });
    expect(await sampleNames({ labels: [A], exclude_labels: [C] })).toEqual(["a", "ab"]);
    expect(await counts(admin, { labels: [A, B], match: "all", exclude_labels: [C] })).toEqual({ total: 1, matched: 2, opted_out_excluded: 1 });
    expect(await counts(admin, { labels: [A, B, C], exclude_labels: [B, C] })).toEqual({ total: 1, matched: 1, opted_out_excluded: 0 });
    expect(await counts(admin, { labels: [A], exclude_labels: [A] })).toEqual({ total: 0, matched: 0, opted_out_excluded: 0 });
    expect(await sampleNames({ labels: [A], exclude_labels: [A] })).toEqual([]);
  });

  it("counts an opted-out contact in matched and opted_out_excluded but never in total or the sample", async () => {
    const result = await preview(admin, { labels: [A, B], match: "all" });
    expect(result.sample.map((c) => c.id)).toEqual([ids.ab, ids.abc]);
    expect(result.sample.every((c) => c.opted_out === false)).toBe(true);
    expect(result.sample.map((c) => c.id)).not.toContain(ids["ab-out"]);
  });

  it("returns sample contacts in the full contact shape, with their labels", async () => {
    const result = await preview(admin, { labels: [A, B, C], match: "all" });
    expect(result.sample).toEqual([
      expect.objectContaining({
        id: ids.abc,
        name: "abc",
        phone: spMobile(6),
        opted_out: false,
        labels: [expect.objectContaining({ id: A }), expect.objectContaining({ id: B }), expect.objectContaining({ id: C })],
      }),
    ]);
  });

  it("never counts another workspace's contacts, even one linked to this workspace's label", async () => {
    const before = await counts(admin, { labels: [A] });
    // A foreign contact_labels row pointing at label A (data a bug elsewhere could produce).
    const intruder = await env.DB.prepare("SELECT id, workspace_id FROM contacts WHERE name = 'other-0'").first<{ id: number; workspace_id: number }>();
    await env.DB.prepare("INSERT INTO contact_labels (contact_id, label_id, workspace_id) VALUES (?, ?, ?)")
      .bind(intruder!.id, A, intruder!.workspace_id)
      .run();
    try {
      expect(await counts(admin, { labels: [A] })).toEqual(before);
      expect(await counts(admin, { labels: [A] })).toEqual({ total: 4, matched: 5, opted_out_excluded: 1 });
      expect((await sampleNames({ labels: [A] })).some((n) => n.startsWith("other-"))).toBe(false);
    } finally {
      await env.DB.prepare("DELETE FROM contact_labels WHERE contact_id = ? AND label_id = ?").bind(intruder!.id, A).run();
    }
  });
});

describe("audience preview sample", () => {
  it("holds at most 10 contacts, the oldest first", async () => {
    const admin = await seedWorkspace();
    const label = await createLabel(admin, "Big");
    const created: number[] = [];
    for (let i = 0; i < 15; i++) created.push((await createContact(admin, { name: `c${i}`, phone: spMobile(i), label_ids: [label] })).id);
    const result = await preview(admin, { labels: [label] });
    expect({ total: result.total, matched: result.matched, opted_out_excluded: result.opted_out_excluded }).toEqual({
      total: 15,
      matched: 15,
      opted_out_excluded: 0,
    });
    expect(result.sample.map((c) => c.id)).toEqual(created.slice(0, 10));
  });

  it("skips opted-out contacts and fills up with the next reachable ones", async () => {
    const admin = await seedWorkspace();
    const label = await createLabel(admin, "Mixed");
    const created: number[] = [];
    for (let i = 0; i < 14; i++) {
      created.push((await createContact(admin, { name: `c${i}`, phone: spMobile(i), label_ids: [label], opted_out: i < 3 || i === 7 })).id);
    }
    const result = await preview(admin, { labels: [label] });
    expect({ total: result.total, matched: result.matched, opted_out_excluded: result.opted_out_excluded }).toEqual({
      total: 10,
      matched: 14,
      opted_out_excluded: 4,
    });
    expect(result.sample.map((c) => c.name)).toEqual(["c3", "c4", "c5", "c6", "c8", "c9", "c10", "c11", "c12", "c13"]);
  });

  it("is empty with zero counts when every matching contact opted out", async () => {
    const admin = await seedWorkspace();
    const label = await createLabel(admin, "Gone");
    await createContact(admin, { name: "x", phone: spMobile(1), label_ids: [label], opted_out: true });
    await createContact(admin, { name: "y", phone: spMobile(2), label_ids: [label] });
    const y = (await callJson<{ data: ContactView[] }>("/api/contacts?q=y", { auth: admin })).data[0]!;
    await callJson(`/api/contacts/${y.id}`, { method: "PATCH", json: { opted_out: true }, auth: admin });
    expect(await preview(admin, { labels: [label] })).toEqual({ total: 0, matched: 2, opted_out_excluded: 2, outside_window: 0, sample: [] });
  });

  it("counts a label with no contacts as zero", async () => {
    const admin = await seedWorkspace();
    const label = await createLabel(admin, "Empty");
    expect(await preview(admin, { labels: [label] })).toEqual({ total: 0, matched: 0, opted_out_excluded: 0, outside_window: 0, sample: [] });
  });
});

describe("audience preview: the 24-hour service window", () => {
  it("counts the reachable contacts with no inbound message in the last 24 hours as outside_window", async () => {
    const admin = await seedWorkspace();
    const label = await createLabel(admin, "Window");
    // [name, hours since the last inbound message (null: never wrote), opted out]
    const people: [string, number | null, boolean][] = [
      ["never", null, false],
      ["hour", 1, false],
      ["day-minus", 23.9, false],
      ["day-plus", 24.1, false],
      ["week", 24 * 7, false],
      ["out-never", null, true],
      ["out-hour", 1, true],
    ];
    for (const [i, [name, hours, optedOut]] of people.entries()) {
      const contact = await createContact(admin, { name, phone: spMobile(i), label_ids: [label], opted_out: optedOut });
      if (hours !== null) {
        await env.DB.prepare("UPDATE contacts SET last_inbound_at = unixepoch() - ? WHERE id = ?")
          .bind(Math.round(hours * 3600), contact.id)
          .run();
      }
    }
    const result = await preview(admin, { labels: [label] });
    expect({ total: result.total, outside_window: result.outside_window }).toEqual({ total: 5, outside_window: 3 });
    const other = await seedWorkspace();
    const otherLabel = await createLabel(other, "Window");
    await createContact(other, { name: "elsewhere", phone: spMobile(0), label_ids: [otherLabel] });
    expect((await preview(admin, { labels: [label] })).outside_window).toBe(3);
  });
});

describe("audience preview: invalid requests and access", () => {
  it.each([
    ["empty labels", { labels: [] }, "labels"],
    ["missing labels", {}, "labels"],
    ["a non-integer label id", { labels: [1.5] }, "labels.0"],
    ["an unknown match", { labels: [1], match: "most" }, "match"],
    ["exclude_labels that is not a list", { labels: [1], exclude_labels: 3 }, "exclude_labels"],
    ["more than 500 labels", { labels: Array.from({ length: 501 }, (_, i) => i + 1) }, "labels"],
    ["more than 500 excluded labels", { labels: [1], exclude_labels: Array.from({ length: 501 }, (_, i) => i + 2) }, "exclude_labels"],
  ])("refuses %s with 400 naming the field", async (_case, json, path) => {
    const admin = await seedWorkspace();
    const error = await errorOf(await call("/api/audience/preview", { method: "POST", json, auth: admin }));
    expect(error.status).toBe(400);
    expect(error.code).toBe("validation_failed");
    expect(error.details).toEqual([expect.objectContaining({ path })]);
  });

  it("says what is wrong when labels is empty", async () => {
    const admin = await seedWorkspace();
    const error = await errorOf(await call("/api/audience/preview", { method: "POST", json: { labels: [] }, auth: admin }));
    expect(error.message).toContain("pick at least one label");
  });

  it("refuses an unknown label id with 400 naming it", async () => {
    const admin = await seedWorkspace();
    const known = await createLabel(admin, "Known");
    const error = await errorOf(await call("/api/audience/preview", { method: "POST", json: { labels: [known, 987654321] }, auth: admin }));
    expect(error.status).toBe(400);
    expect(error.code).toBe("validation_failed");
    expect(error.message).toContain("987654321");
    expect(error.message).not.toContain(String(known));
    expect(error.details).toEqual([{ path: "labels", message: expect.stringContaining("987654321") }]);

    const excluded = await errorOf(
      await call("/api/audience/preview", { method: "POST", json: { labels: [known], exclude_labels: [987654322] }, auth: admin }),
    );
    expect(excluded.status).toBe(400);
    expect(excluded.details).toEqual([{ path: "exclude_labels", message: expect.stringContaining("987654322") }]);
  });

  it("refuses another workspace's label, in labels or exclude_labels, exactly like an unknown one", async () => {
    const admin = await seedWorkspace();
    const other = await seedWorkspace();
    const own = await createLabel(admin, "Own");
    const foreign = await createLabel(other, "Foreign");
    await createContact(other, { name: "theirs", phone: spMobile(1), label_ids: [foreign] });

    const included = await errorOf(await call("/api/audience/preview", { method: "POST", json: { labels: [foreign] }, auth: admin }));
    expect(included.status).toBe(400);
    expect(included.code).toBe("validation_failed");
    expect(included.message).toBe(`labels: unknown label ${foreign}`);

    const excluded = await errorOf(await call("/api/audience/preview", { method: "POST", json: { labels: [own], exclude_labels: [foreign] }, auth: admin }));
    expect(excluded.status).toBe(400);
    expect(excluded.message).toBe(`exclude_labels: unknown label ${foreign}`);
  });

  it("answers 400 invalid_json for a malformed body", async () => {
    const admin = await seedWorkspace();
    const res = await call("/api/audience/preview", { method: "POST", body: "{nope", headers: { "content-type": "application/json" }, auth: admin });
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe("invalid_json");
  });

  it("answers 401 without credentials", async () => {
    const admin = await seedWorkspace();
    const label = await createLabel(admin, "Secret");
    const res = await call("/api/audience/preview", { method: "POST", json: { labels: [label] } });
    expect(res.status).toBe(401);
    expect(await errorCode(res)).toBe("unauthorized");
  });

  it("works with an API token", async () => {
    const admin = await seedWorkspace();
    const label = await createLabel(admin, "Tokened");
    await createContact(admin, { name: "t", phone: spMobile(1), label_ids: [label] });
    const { token } = await callJson<{ token: string }>("/api/tokens", { method: "POST", json: { name: "preview" }, auth: admin });
    expect(await counts({ token }, { labels: [label] })).toEqual({ total: 1, matched: 1, opted_out_excluded: 0 });
  });
});

/**
 * 150 labels to include and 150 to exclude, created by a real import: more ids than a statement
 * can bind one by one (D1 takes at most 100 parameters).
 *   all: every L label   one-0..9: one L label each   ex: L5 and E150   other: none of them
 */
describe("audiences of 150 labels", () => {
  const L = Array.from({ length: 150 }, (_, i) => `L${i + 1}`);
  const E = Array.from({ length: 150 }, (_, i) => `E${i + 1}`);
  let w: Awaited<ReturnType<typeof world>>;
  let include: number[];
  let exclude: number[];
  const phoneOf = (n: number) => spMobile(500 + n);
  const expectedPhones = [phoneOf(0), ...Array.from({ length: 10 }, (_, i) => phoneOf(1 + i))].sort();

  beforeAll(async () => {
    w = await world(0);
    const lines = ["name,phone,labels", `all,${phoneOf(0)},${L.join("|")}`];
    for (let i = 0; i < 10; i++) lines.push(`one-${i},${phoneOf(1 + i)},${L[i * 15]}`);
    lines.push(`ex,${phoneOf(11)},L5|E150`, `other,${phoneOf(12)},Other`);
    const imported = await callJson("/api/contacts/import", {
      method: "POST",
      body: lines.join("\n"),
      headers: { "content-type": "text/csv" },
      expect: 200,
      auth: w.admin,
    });
    expect(imported).toMatchObject({ created: 13, skipped: 0 });
    const { data } = await callJson<{ data: { id: number; name: string }[] }>("/api/labels", { auth: w.admin });
    const idOf = new Map(data.map((l) => [l.name, l.id]));
    // E1..E149 exist without contacts.
    for (const name of E.slice(0, 149)) idOf.set(name, (await callJson<{ id: number }>("/api/labels", { method: "POST", json: { name }, auth: w.admin })).id);
    include = L.map((n) => idOf.get(n)!);
    exclude = E.map((n) => idOf.get(n)!);
    expect(new Set([...include, ...exclude]).size).toBe(300);
  }, 60_000);

  it("previews them: any, all, and with 150 excluded labels", async () => {
    expect(await counts(w.admin, { labels: include })).toEqual({ total: 12, matched: 12, opted_out_excluded: 0 });
    expect(await counts(w.admin, { labels: include, match: "all" })).toEqual({ total: 1, matched: 1, opted_out_excluded: 0 });
    expect(await counts(w.admin, { labels: include, exclude_labels: exclude })).toEqual({ total: 11, matched: 11, opted_out_excluded: 0 });
    const sample = (await preview(w.admin, { labels: include, exclude_labels: exclude })).sample.map((c) => c.name);
    expect(sample).toEqual(["all", ...Array.from({ length: 9 }, (_, i) => `one-${i}`)]);
    expect((await preview(w.admin, { labels: include, match: "all" })).sample.map((c) => c.name)).toEqual(["all"]);
  });

  it("filters the contact list, its count and a bulk change by them", async () => {
    const labels = include.join(",");
    const list = await callJson<{ data: ContactView[] }>(`/api/contacts?labels=${labels}&limit=100`, { auth: w.admin });
    expect(list.data.map((c) => c.name).sort()).toEqual(["all", "ex", ...Array.from({ length: 10 }, (_, i) => `one-${i}`)].sort());
    expect(await callJson(`/api/contacts/count?labels=${labels}`, { auth: w.admin })).toEqual({ count: 12 });
    expect(await callJson(`/api/contacts/count?labels=${labels}&match=all`, { auth: w.admin })).toEqual({ count: 1 });
    const allList = await callJson<{ data: ContactView[] }>(`/api/contacts?labels=${labels}&match=all`, { auth: w.admin });
    expect(allList.data.map((c) => c.name)).toEqual(["all"]);
    const marker = await createLabel(w.admin, "Marker");
    const changed = await callJson("/api/contacts/labels", {
      method: "POST",
      json: { action: "add", label_ids: [marker], filter: { labels: include } },
      auth: w.admin,
      expect: 200,
    });
    expect(changed).toEqual({ matched: 12, changed: 12 });
    expect(await callJson(`/api/contacts/count?labels=${marker}`, { auth: w.admin })).toEqual({ count: 12 });
  });

  it("a campaign to them checks, launches and sends to the right recipients", async () => {
    const created = await callJson<{ id: number }>("/api/campaigns", {
      method: "POST",
      json: { ...templateCampaign(w), audience: { labels: include, exclude_labels: exclude } },
      auth: w.admin,
    });
    const check = await callJson<{ recipients: number }>(`/api/campaigns/${created.id}/preview`, { auth: w.admin });
    expect(check.recipients).toBe(11);
    await callJson(`/api/campaigns/${created.id}/launch`, { json: {}, expect: 200, auth: w.admin });
    const done = await drive(w.admin, created.id, (c) => c.status === "completed");
    expect(done.status).toBe("completed");
    await expectAllFinal(w, created.id, 11);
    expect((await allRecipients(w.admin, created.id)).map((r) => r.phone).sort()).toEqual(expectedPhones);
  }, 30_000);
});

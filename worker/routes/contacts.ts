import { and, desc, eq, lt, type SQL, sql } from "drizzle-orm";
import { SQLiteAsyncDialect } from "drizzle-orm/sqlite-core";
import { Hono } from "hono";
import { z } from "zod";
import { toContactViews } from "../contacts/views";
import { labelCondition } from "../db/audience";
import { batchAll, chunk, type Db, deleteOwned, duplicateAs, idSet, likeContains, nowSeconds } from "../db/client";
import { createContactWriter } from "../db/contact-writes";
import { assertLabelsExist } from "../db/labels";
import { type Contact, contactLabels, contacts } from "../db/schema";
import { workspaceCountry } from "../db/workspaces";
import { labelSelection, MAX_SELECTED_LABELS } from "../domain/campaign-settings";
import { createImportReader, type ImportColumnMap, type ImportError, mapImportHeader } from "../domain/contact-import";
import { type CsvRecord, createCsvCheck, createCsvReader } from "../domain/csv";
import { normalizePhone } from "../domain/phone";
import { pieces, spoolBody } from "../lib/body-spool";
import type { AppEnv } from "../lib/context";
import { ApiError, notFound } from "../lib/errors";
import { describe, idParam, validate } from "../lib/validate";
import { bulkLabelResultView, contactView, importResult } from "../views/contact";

const MAX_IMPORT_BYTES = 50 * 1024 * 1024;
const MAX_REPORTED_ERRORS = 10_000;
/** Most attribute names GET /api/contacts/attributes lists. */
const MAX_ATTRIBUTE_KEYS = 200;

const attributeValue = z.union([z.string().max(1000, "must be at most 1000 characters"), z.number(), z.boolean()]).transform(String);
const attributes = z
  .record(z.string().regex(/^[a-z0-9_]{1,64}$/, "attribute names use a-z, 0-9 and _ (at most 64)"), attributeValue)
  .refine((a) => Object.keys(a).length <= 50, "at most 50 attributes");
/** Labels put on a contact. */
const labelIds = z.array(z.number().int().positive()).max(50, "at most 50 labels");
/** `?labels=1,2,3` in query strings: at most `max` label ids. */
const idList = (max: number) =>
  z
    .string()
    .regex(/^\d+(,\d+)*$/, "must be comma-separated label ids, e.g. 3,7")
    .transform((s) => s.split(",").map(Number))
    .refine((ids) => ids.length <= max, `at most ${max} labels`);

const contactInput = z.object({
  name: z.string().trim().max(200).default(""),
  phone: z.string().trim().min(1, "is required").max(40),
  attributes: attributes.default({}),
  label_ids: labelIds.default([]),
  opted_out: z.boolean().default(false),
});
const contactPatch = z
  .object({
    name: z.string().trim().max(200),
    phone: z.string().trim().min(1, "is required").max(40),
    attributes,
    label_ids: labelIds,
    opted_out: z.boolean(),
  })
  .partial()
  .refine((v) => Object.keys(v).length > 0, "give at least one field to change");

const filterQuery = z.object({
  q: z.string().trim().max(100).optional(),
  labels: idList(MAX_SELECTED_LABELS).optional(),
  match: z.enum(["any", "all"]).default("any"),
  opted_out: z.enum(["true", "false"]).optional(),
  marketing_stopped: z.enum(["true", "false"]).optional().describe("true: contacts who stopped marketing messages at WhatsApp; false: the others"),
});

const listQuery = filterQuery.extend({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().regex(/^\d+$/, "must be the next_cursor of a previous page").optional(),
});

/** Which contacts a list, a count or a bulk change concerns (the list's filters). */
export type ContactFilter = {
  /** Part of the name, or at least 3 digits of the phone. */
  q?: string | undefined;
  labels?: readonly number[] | undefined;
  match: "any" | "all";
  opted_out?: boolean | undefined;
  marketing_stopped?: boolean | undefined;
};

const filterOfQuery = (q: z.infer<typeof filterQuery>): ContactFilter => ({
  q: q.q,
  labels: q.labels,
  match: q.match,
  opted_out: q.opted_out === undefined ? undefined : q.opted_out === "true",
  marketing_stopped: q.marketing_stopped === undefined ? undefined : q.marketing_stopped === "true",
});

/**
 * SQL condition on `contacts` for a filter within one workspace. Label ids must already be
 * checked to belong to the workspace; `strategy` is passed on to `labelCondition`.
 */
export function contactFilterCondition(workspaceId: number, filter: ContactFilter, strategy: "set" | "probe"): SQL {
  const where: (SQL | undefined)[] = [eq(contacts.workspaceId, workspaceId)];
  const q = filter.q?.trim();
  if (q) {
    const text = likeContains(q);
    const digits = q.replace(/\D/g, "");
    where.push(
      digits.length >= 3
        ? sql`(${contacts.name} LIKE ${text} ESCAPE '\\' OR ${contacts.phone} LIKE ${`%${digits}%`})`
        : sql`${contacts.name} LIKE ${text} ESCAPE '\\'`,
    );
  }
  if (filter.labels?.length) where.push(labelCondition({ labels: filter.labels, match: filter.match }, strategy));
  if (filter.opted_out !== undefined) where.push(filter.opted_out ? sql`${contacts.optedOutAt} IS NOT NULL` : sql`${contacts.optedOutAt} IS NULL`);
  if (filter.marketing_stopped !== undefined) {
    where.push(filter.marketing_stopped ? sql`${contacts.marketingStoppedAt} IS NOT NULL` : sql`${contacts.marketingStoppedAt} IS NULL`);
  }
  return and(...where)!;
}

/** Explicit column roles for an import, one per header column, e.g. `name,phone,attribute:city,ignore`. */
const importColumns = z
  .string()
  .max(20_000)
  .transform((s) => s.split(","))
  .pipe(
    z
      .array(
        z.union([
          z.enum(["name", "phone", "labels", "ignore"]),
          z.string().regex(/^attribute:[a-z0-9_]{1,64}$/, "each column is name, phone, labels, ignore or attribute:<key> (key: a-z, 0-9 and _, at most 64)"),
        ]),
      )
      .max(500, "at most 500 columns"),
  )
  .superRefine((roles, ctx) => {
    const count = (role: string) => roles.filter((r) => r === role).length;
    if (count("phone") !== 1) ctx.addIssue({ code: "custom", message: "exactly one column must be phone" });
    for (const role of ["name", "labels"]) if (count(role) > 1) ctx.addIssue({ code: "custom", message: `at most one column can be ${role}` });
    const keys = roles.filter((r) => r.startsWith("attribute:"));
    const clash = keys.find((k, i) => keys.indexOf(k) !== i);
    if (clash) ctx.addIssue({ code: "custom", message: `two columns are ${clash}` });
  });

const importQuery = z.object({ label_ids: idList(50).optional(), columns: importColumns.optional() });

/** The column map an explicit `columns` list describes. */
function columnMapOf(roles: readonly string[]): ImportColumnMap {
  const map: ImportColumnMap = { phone: roles.indexOf("phone"), attributes: [], columns: roles.length };
  roles.forEach((role, index) => {
    if (role === "name") map.name = index;
    else if (role === "labels") map.labels = index;
    else if (role.startsWith("attribute:")) map.attributes.push({ index, key: role.slice("attribute:".length) });
  });
  return map;
}

const bulkLabelInput = z
  .object({
    action: z.enum(["add", "remove"]),
    label_ids: z.array(z.number().int().positive()).min(1, "pick at least one label").max(50, "at most 50 labels"),
    contact_ids: z
      .array(z.number().int().positive())
      .min(1, "give at least one contact")
      .max(10_000, "at most 10,000 contacts; use filter for more")
      .optional(),
    filter: z
      .object({
        q: z.string().trim().max(100).optional(),
        labels: labelSelection.optional(),
        match: z.enum(["any", "all"]).default("any"),
        opted_out: z.boolean().optional(),
        marketing_stopped: z.boolean().optional(),
      })
      .strict()
      .optional(),
  })
  .superRefine((v, ctx) => {
    if ((v.contact_ids === undefined) === (v.filter === undefined)) {
      ctx.addIssue({ code: "custom", path: ["contact_ids"], message: "give either contact_ids or filter, not both" });
    }
  });

async function normalizeOrThrow(db: Db, workspaceId: number, raw: string): Promise<string> {
  const result = normalizePhone(raw, await workspaceCountry(db, workspaceId));
  if (!result.ok) throw new ApiError("validation_failed", `phone: ${result.reason}`, [{ path: "phone", message: result.reason }]);
  return result.e164;
}

async function findContact(db: Db, workspaceId: number, id: number): Promise<Contact> {
  const row = await db
    .select()
    .from(contacts)
    .where(and(eq(contacts.id, id), eq(contacts.workspaceId, workspaceId)))
    .get();
  if (!row) throw notFound("contact", id);
  return row;
}

async function phoneTaken(db: Db, workspaceId: number, phone: string): Promise<never> {
  const other = await db
    .select({ id: contacts.id })
    .from(contacts)
    .where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.phone, phone)))
    .get();
  throw new ApiError("conflict", `another contact already has phone ${phone}`, { contact_id: other?.id });
}

const dialect = new SQLiteAsyncDialect();

/** A D1 statement for drizzle SQL, for batches of raw statements (INSERT … SELECT, DELETE … IN). */
function prepared(db: Db, statement: SQL): D1PreparedStatement {
  const query = dialect.sqlToQuery(statement);
  return db.$client.prepare(query.sql).bind(...query.params);
}

function labelInserts(db: Db, workspaceId: number, contactId: number, ids: readonly number[]) {
  return chunk([...new Set(ids)], 30).map((part) =>
    db
      .insert(contactLabels)
      .values(part.map((labelId) => ({ contactId, labelId, workspaceId })))
      .onConflictDoNothing(),
  );
}

export const contactRoutes = new Hono<AppEnv>()
  .get(
    "/",
    describe({
      summary: "List contacts: search by name or phone, filter by labels, opt-out and marketing stop, newest first, cursor paging",
      tags: ["contacts"],
      access: "user",
      responses: { 200: { description: "a page of contacts", schema: z.object({ data: z.array(contactView), next_cursor: z.string().nullable() }) } },
    }),
    validate("query", listQuery),
    async (c) => {
      const query = c.req.valid("query");
      const { workspaceId } = c.get("principal");
      const db = c.get("db");
      if (query.labels) await assertLabelsExist(db, workspaceId, query.labels, "labels");
      const where: SQL[] = [contactFilterCondition(workspaceId, filterOfQuery(query), "probe")];
      if (query.cursor) where.push(lt(contacts.id, Number(query.cursor)));
      const rows = await db
        .select()
        .from(contacts)
        .where(and(...where))
        .orderBy(desc(contacts.id))
        .limit(query.limit + 1);
      const page = rows.slice(0, query.limit);
      const next = rows.length > query.limit ? String(page[page.length - 1]!.id) : null;
      return c.json({ data: await toContactViews(db, page), next_cursor: next });
    },
  )
  .get(
    "/attributes",
    describe({
      summary: "The custom attribute names the workspace's contacts use, sorted (at most 200), e.g. for template variable sources",
      tags: ["contacts"],
      access: "user",
      responses: { 200: { description: "attribute names", schema: z.object({ data: z.array(z.string()) }) } },
    }),
    async (c) => {
      const rows = await c.get("db").all<{ key: string }>(
        sql`SELECT DISTINCT a.key AS key FROM ${contacts}, json_each(${contacts.attributes}) AS a
              WHERE ${contacts.workspaceId} = ${c.get("principal").workspaceId}
              ORDER BY a.key LIMIT ${MAX_ATTRIBUTE_KEYS}`,
      );
      return c.json({ data: rows.map((r) => r.key) });
    },
  )
  .get(
    "/count",
    describe({
      summary: "Count the contacts the list's filters match (q, labels, match, opted_out, marketing_stopped as in GET /api/contacts)",
      tags: ["contacts"],
      access: "user",
      responses: { 200: { description: "how many contacts match", schema: z.object({ count: z.number() }) } },
    }),
    validate("query", filterQuery),
    async (c) => {
      const query = c.req.valid("query");
      const { workspaceId } = c.get("principal");
      const db = c.get("db");
      if (query.labels) await assertLabelsExist(db, workspaceId, query.labels, "labels");
      const row = await db
        .select({ n: sql<number>`count(*)` })
        .from(contacts)
        .where(contactFilterCondition(workspaceId, filterOfQuery(query), "set"))
        .get();
      return c.json({ count: Number(row?.n ?? 0) });
    },
  )
  .post(
    "/labels",
    describe({
      summary:
        "Add or remove labels on many contacts at once: the contacts named by contact_ids, or every contact matching filter (the list's filters). All or nothing. Labels of another workspace answer 400 like unknown ones; contact ids of another workspace (or deleted) are ignored and not counted in matched",
      tags: ["contacts"],
      access: "user",
      responses: {
        200: {
          description: "contacts concerned, and how many of them gained (add) or lost (remove) at least one label",
          schema: bulkLabelResultView,
        },
      },
    }),
    validate("json", bulkLabelInput),
    async (c) => {
      const input = c.req.valid("json");
      const { workspaceId } = c.get("principal");
      const db = c.get("db");
      await assertLabelsExist(db, workspaceId, input.label_ids, "label_ids");
      if (input.filter?.labels) await assertLabelsExist(db, workspaceId, input.filter.labels, "filter.labels");
      const chosen = input.contact_ids
        ? and(eq(contacts.workspaceId, workspaceId), sql`${contacts.id} IN ${idSet([...new Set(input.contact_ids)])}`)!
        : contactFilterCondition(workspaceId, input.filter!, "set");
      const labelJson = JSON.stringify([...new Set(input.label_ids)]);
      const labelCount = new Set(input.label_ids).size;
      // How many of the labels a contact holds: add changes those holding fewer than all of
      // them, remove those holding at least one.
      const held = sql`(SELECT count(*) FROM ${contactLabels} WHERE ${contactLabels.contactId} = ${contacts.id} AND ${contactLabels.labelId} IN (SELECT value FROM json_each(${labelJson})))`;
      const write =
        input.action === "add"
          ? sql`INSERT INTO ${contactLabels} (contact_id, label_id, workspace_id)
                SELECT ${contacts.id}, l.value, ${contacts.workspaceId} FROM ${contacts} CROSS JOIN json_each(${labelJson}) AS l
                WHERE ${chosen}
                ON CONFLICT DO NOTHING`
          : sql`DELETE FROM ${contactLabels}
                WHERE ${contactLabels.workspaceId} = ${workspaceId}
                  AND ${contactLabels.labelId} IN (SELECT value FROM json_each(${labelJson}))
                  AND ${contactLabels.contactId} IN (SELECT ${contacts.id} FROM ${contacts} WHERE ${chosen})`;
      const changing = input.action === "add" ? sql`${held} < ${labelCount}` : sql`${held} > 0`;
      // One batch is one transaction: the counts and the write see the same contacts, and the
      // write applies to all of them or to none.
      const [matched, changed] = await db.$client.batch<{ n: number }>([
        prepared(db, sql`SELECT count(*) AS n FROM ${contacts} WHERE ${chosen}`),
        prepared(db, sql`SELECT count(*) AS n FROM ${contacts} WHERE ${chosen} AND ${changing}`),
        prepared(db, write),
      ]);
      return c.json({ matched: Number(matched?.results[0]?.n ?? 0), changed: Number(changed?.results[0]?.n ?? 0) });
    },
  )
  .post(
    "/import",
    describe({
      summary:
        "Import contacts from CSV (header row; name, phone, labels, other columns become attributes, or the roles `columns` gives each column in order: name, phone, labels, ignore, attribute:<key>); existing phones are updated; label_ids are attached to every row",
      tags: ["contacts"],
      access: "user",
      requestBody: { contentType: "text/csv", description: "UTF-8 CSV, comma or semicolon separated, at most 100,000 rows" },
      responses: { 200: { description: "what was imported, with line-numbered errors", schema: importResult } },
    }),
    validate("query", importQuery),
    async (c) => {
      const { workspaceId } = c.get("principal");
      const db = c.get("db");
      const { label_ids: extra = [], columns } = c.req.valid("query");
      await assertLabelsExist(db, workspaceId, extra, "label_ids");
      const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
      if (type.startsWith("multipart/") || type === "application/json" || type === "application/x-www-form-urlencoded") {
        throw new ApiError("unsupported_media_type", "send the CSV file itself as the request body (Content-Type: text/csv)");
      }
      const declared = Number(c.req.header("content-length") ?? 0);
      if (declared > MAX_IMPORT_BYTES) throw new ApiError("payload_too_large", "the file is larger than 50 MB");
      // First reading: the whole file is checked as it arrives, and kept compressed, so a bad
      // file is refused before anything is written and memory never holds the file itself.
      const check = createCsvCheck();
      const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
      let utf8 = true;
      const body = await spoolBody(c.req.raw.body, MAX_IMPORT_BYTES, (piece) => {
        if (!utf8) return false;
        try {
          check.push(decoder.decode(piece, { stream: true }));
        } catch {
          utf8 = false;
        }
        // A failed check still reads on: a control character or a non-UTF-8 byte further on is the error to report.
        return utf8 && !check.failed;
      });
      if (!body.ok && body.tooLarge) throw new ApiError("payload_too_large", "the file is larger than 50 MB");
      if (utf8) {
        try {
          check.push(decoder.decode());
        } catch {
          utf8 = false;
        }
      }
      if (!utf8) throw new ApiError("invalid_csv", "the file is not UTF-8 text; save it as CSV UTF-8 and try again");
      const file = check.end();
      if (!file.ok) throw new ApiError("invalid_csv", file.reason, file.line === undefined ? undefined : { line: file.line });
      if (!body.ok) throw new Error("contact import: a valid file was not kept for its second reading");
      let map: ImportColumnMap;
      if (columns) {
        if (columns.length !== file.header.length) {
          const message = `the file's header has ${file.header.length} columns but columns lists ${columns.length}`;
          throw new ApiError("validation_failed", `columns: ${message}`, [{ path: "columns", message }]);
        }
        map = columnMapOf(columns);
      } else {
        const mapped = mapImportHeader(file.header);
        if (!mapped.ok) throw new ApiError("invalid_csv", mapped.reason, { line: 1 });
        map = mapped.map;
      }
      // Second reading: records come a piece of the file at a time and are written in chunks,
      // so a 100,000-row file never sits in memory as text or as rows.
      const read = createImportReader(map, await workspaceCountry(db, workspaceId));
      const writer = createContactWriter(db, workspaceId, extra);
      const errors: ImportError[] = [];
      const records = createCsvReader(file.delimiter);
      const text = new TextDecoder("utf-8");
      const take = async (batch: CsvRecord[]) => {
        for (const record of batch) {
          const result = read(record);
          if ("reason" in result) errors.push(result);
          else await writer.add(result);
        }
      };
      for await (const piece of pieces(body.replay())) await take(records.push(text.decode(piece, { stream: true })));
      await take(records.push(text.decode()));
      await take(records.end());
      const outcome = await writer.finish();
      const allErrors = [...errors, ...outcome.failed].sort((a, b) => a.line - b.line);
      return c.json({
        created: outcome.created,
        updated: outcome.updated,
        skipped: allErrors.length,
        errors: allErrors.slice(0, MAX_REPORTED_ERRORS),
        errors_truncated: allErrors.length > MAX_REPORTED_ERRORS,
      });
    },
  )
  .get(
    "/:id",
    describe({ summary: "One contact", tags: ["contacts"], access: "user", responses: { 200: { description: "contact", schema: contactView } } }),
    validate("param", idParam),
    async (c) => {
      const db = c.get("db");
      const row = await findContact(db, c.get("principal").workspaceId, c.req.valid("param").id);
      return c.json((await toContactViews(db, [row]))[0]);
    },
  )
  .post(
    "/",
    describe({
      summary: "Create a contact (phone normalised to E.164; one contact per phone)",
      tags: ["contacts"],
      access: "user",
      responses: { 201: { description: "created", schema: contactView } },
    }),
    validate("json", contactInput),
    async (c) => {
      const input = c.req.valid("json");
      const { workspaceId } = c.get("principal");
      const db = c.get("db");
      const phone = await normalizeOrThrow(db, workspaceId, input.phone);
      await assertLabelsExist(db, workspaceId, input.label_ids, "label_ids");
      let row: Contact;
      try {
        row = (await db
          .insert(contacts)
          .values({
            workspaceId,
            name: input.name,
            phone,
            attributes: JSON.stringify(input.attributes),
            optedOutAt: input.opted_out ? nowSeconds() : null,
          })
          .returning()
          .get())!;
      } catch (e) {
        throw await duplicateAs(e, () => phoneTaken(db, workspaceId, phone));
      }
      const inserts = labelInserts(db, workspaceId, row.id, input.label_ids);
      await batchAll(db, inserts);
      return c.json((await toContactViews(db, [row]))[0], 201);
    },
  )
  .patch(
    "/:id",
    describe({
      summary:
        "Change a contact; attributes and label_ids replace the current ones, opted_out sets or clears the opt-out (marketing_stopped_at is WhatsApp's to set: read-only)",
      tags: ["contacts"],
      access: "user",
      responses: { 200: { description: "updated", schema: contactView } },
    }),
    validate("param", idParam),
    validate("json", contactPatch),
    async (c) => {
      const { id } = c.req.valid("param");
      const input = c.req.valid("json");
      const { workspaceId } = c.get("principal");
      const db = c.get("db");
      const current = await findContact(db, workspaceId, id);
      const phone = input.phone === undefined ? undefined : await normalizeOrThrow(db, workspaceId, input.phone);
      if (input.label_ids) await assertLabelsExist(db, workspaceId, input.label_ids, "label_ids");
      const scope = and(eq(contacts.id, id), eq(contacts.workspaceId, workspaceId));
      const update = db
        .update(contacts)
        .set({
          ...(input.name === undefined ? {} : { name: input.name }),
          ...(phone === undefined ? {} : { phone }),
          ...(input.attributes === undefined ? {} : { attributes: JSON.stringify(input.attributes) }),
          ...(input.opted_out === undefined ? {} : { optedOutAt: input.opted_out ? (current.optedOutAt ?? nowSeconds()) : null }),
          updatedAt: nowSeconds(),
        })
        .where(scope);
      const labelWrites = input.label_ids
        ? [
            db.delete(contactLabels).where(and(eq(contactLabels.contactId, id), eq(contactLabels.workspaceId, workspaceId))),
            ...labelInserts(db, workspaceId, id, input.label_ids),
          ]
        : [];
      try {
        await db.batch([update, ...labelWrites]);
      } catch (e) {
        throw await duplicateAs(e, () => (phone ? phoneTaken(db, workspaceId, phone) : e));
      }
      return c.json((await toContactViews(db, [await findContact(db, workspaceId, id)]))[0]);
    },
  )
  .delete(
    "/:id",
    describe({ summary: "Delete a contact", tags: ["contacts"], access: "user", responses: { 204: { description: "deleted" } } }),
    validate("param", idParam),
    async (c) => {
      const { id } = c.req.valid("param");
      await deleteOwned(c.get("db"), contacts, id, c.get("principal").workspaceId, "contact");
      return c.body(null, 204);
    },
  );

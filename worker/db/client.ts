import { and, eq, type SQL, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import { notFound } from "../lib/errors";
import * as schema from "./schema";

export function createDb(d1: D1Database) {
  return drizzle(d1, { schema });
}

export type Db = ReturnType<typeof createDb>;

type BatchItem = Parameters<Db["batch"]>[0][number];

/**
 * Runs a list of statements as one D1 batch (one transaction), typed without casts at the call
 * site; an empty list runs nothing.
 * @example await batchAll(db, ids.map((id) => db.delete(labels).where(eq(labels.id, id))))
 */
export async function batchAll<T extends BatchItem>(db: Db, statements: readonly T[]): Promise<void> {
  if (statements.length === 0) return;
  await db.batch(statements as unknown as [T, ...T[]]);
}

/** D1 refuses statements with more than 100 bound parameters. */
export const D1_MAX_PARAMS = 100;

/** Splits `items` into chunks so each chunk's rows fit in one statement. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * A list of ids as one bound parameter, read back with `json_each`, so a statement binds one
 * parameter however many ids there are (D1 takes at most 100 per statement).
 * @example sql`${contacts.id} IN ${idSet([1, 2, 3])}` // contacts.id IN (SELECT value FROM json_each('[1,2,3]'))
 */
export const idSet = (ids: readonly number[]): SQL => sql`(SELECT value FROM json_each(${JSON.stringify(ids)}))`;

/** Seconds since the epoch, as stored in every timestamp column. */
export const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * A LIKE pattern matching `text` anywhere, with `%`, `_` and the escape character `\` taken
 * literally; use it with `ESCAPE '\'`.
 *
 * @example sql`title LIKE ${likeContains("50%_off")} ESCAPE '\\'` // matches "… 50%_off …" only
 */
export const likeContains = (text: string) => `%${text.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;

/** Timestamp columns are Unix seconds; the API speaks ISO 8601. */
export const isoOrNull = (seconds: number | null | undefined) => (seconds === null || seconds === undefined ? null : new Date(seconds * 1000).toISOString());

function failedOn(error: unknown, text: string): boolean {
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
    if (String((e as Error).message ?? e).includes(text)) return true;
  }
  return false;
}

/** True when a write failed on a UNIQUE constraint (drizzle wraps D1's error in `cause`). */
export const isUniqueViolation = (error: unknown) => failedOn(error, "UNIQUE constraint failed");

/** True when a write failed because other rows still refer to the row. */
/**
 * The one way a write answers a duplicate: what to throw for `error` — `conflict()` (a 409 naming
 * what is taken) when it broke a unique constraint, the error itself otherwise.
 * @example try { await db.insert(labels).values(row) } catch (e) { throw await duplicateAs(e, () => duplicateName(row.name)) }
 */
export async function duplicateAs(error: unknown, conflict: () => unknown): Promise<unknown> {
  return isUniqueViolation(error) ? await conflict() : error;
}

export const isForeignKeyViolation = (error: unknown) => failedOn(error, "FOREIGN KEY constraint failed");

type WorkspaceTable = SQLiteTable & { id: SQLiteColumn; workspaceId: SQLiteColumn };

/**
 * One row of the caller's workspace, or a 404 as if it did not exist (another workspace's row included).
 * @example const inbox = await findOwned(db, inboxes, 3, principal.workspaceId, "inbox")
 */
export async function findOwned<T extends WorkspaceTable>(db: Db, table: T, id: number, workspaceId: number, what: string): Promise<T["$inferSelect"]> {
  const row = await getOwned(db, table, id, workspaceId);
  if (!row) throw notFound(what, id);
  return row;
}

/** One row of the workspace, or undefined. */
export async function getOwned<T extends WorkspaceTable>(db: Db, table: T, id: number, workspaceId: number): Promise<T["$inferSelect"] | undefined> {
  const rows = await db
    .select()
    .from(table as SQLiteTable)
    .where(and(eq(table.id, id), eq(table.workspaceId, workspaceId)))
    .limit(1);
  return rows[0] as T["$inferSelect"] | undefined;
}

/**
 * Deletes one row of the caller's workspace, or answers 404 as if it never existed.
 * @example await deleteOwned(db, labels, 12, principal.workspaceId, "label")
 */
export async function deleteOwned(db: Db, table: WorkspaceTable, id: number, workspaceId: number, what: string): Promise<void> {
  const deleted = await db
    .delete(table)
    .where(and(eq(table.id, id), eq(table.workspaceId, workspaceId)))
    .returning({ id: table.id });
  if (deleted.length === 0) throw notFound(what, id);
}

import { and, eq, sql } from "drizzle-orm";
import { labelKey } from "../domain/contact-import";
import { ApiError } from "../lib/errors";
import { type Db, idSet } from "./client";
import { labels } from "./schema";

/**
 * Checks that every id names a label of the workspace; another workspace's label is
 * reported exactly like a missing one.
 */
export async function assertLabelsExist(db: Db, workspaceId: number, ids: readonly number[], field: string): Promise<void> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return;
  const rows = await db
    .select({ id: labels.id })
    .from(labels)
    .where(and(eq(labels.workspaceId, workspaceId), sql`${labels.id} IN ${idSet(unique)}`));
  const found = new Set(rows.map((r) => r.id));
  const missing = unique.filter((id) => !found.has(id));
  if (missing.length) {
    throw new ApiError("validation_failed", `${field}: unknown label ${missing.join(", ")}`, [
      { path: field, message: `unknown label id(s): ${missing.join(", ")}` },
    ]);
  }
}

/**
 * Returns the id of each named label, keyed by `labelKey(name)`, creating the missing ones.
 * @example const ids = await ensureLabels(db, 1, ["VIP", "Leads"]) // Map { "vip" => 3, "leads" => 7 }
 */
export async function ensureLabels(db: Db, workspaceId: number, names: readonly string[]): Promise<Map<string, number>> {
  const byKey = new Map<string, string>();
  for (const name of names) if (!byKey.has(labelKey(name))) byKey.set(labelKey(name), name);
  const ids = new Map<string, number>();
  if (byKey.size === 0) return ids;
  // The names travel as one JSON parameter, however many there are.
  const wanted = JSON.stringify([...byKey.values()]);
  await db.run(sql`INSERT INTO ${labels} (workspace_id, name) SELECT ${workspaceId}, value FROM json_each(${wanted}) WHERE true ON CONFLICT DO NOTHING`);
  const rows = await db
    .select({ id: labels.id, name: labels.name })
    .from(labels)
    .where(and(eq(labels.workspaceId, workspaceId), sql`${labels.name} COLLATE NOCASE IN (SELECT value FROM json_each(${wanted}))`));
  for (const r of rows) ids.set(labelKey(r.name), r.id);
  return ids;
}

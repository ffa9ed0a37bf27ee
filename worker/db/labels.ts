import { and, eq, inArray, sql } from "drizzle-orm";
import { labelKey } from "../domain/contact-import";
import { ApiError } from "../lib/errors";
import type { Db } from "./client";
import { chunk } from "./client";
import { labels } from "./schema";

/**
 * Checks that every id names a label of the workspace; another workspace's label is
 * reported exactly like a missing one.
 */
export async function assertLabelsExist(db: Db, workspaceId: number, ids: readonly number[], field: string): Promise<void> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return;
  const found = new Set<number>();
  for (const part of chunk(unique, 90)) {
    const rows = await db
      .select({ id: labels.id })
      .from(labels)
      .where(and(eq(labels.workspaceId, workspaceId), inArray(labels.id, part)));
    for (const r of rows) found.add(r.id);
  }
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
  const wanted = [...byKey.values()];
  for (const part of chunk(wanted, 45)) {
    await db
      .insert(labels)
      .values(part.map((name) => ({ workspaceId, name })))
      .onConflictDoNothing();
  }
  for (const part of chunk(wanted, 90)) {
    const rows = await db
      .select({ id: labels.id, name: labels.name })
      .from(labels)
      .where(and(eq(labels.workspaceId, workspaceId), inArray(sql`${labels.name} COLLATE NOCASE`, part)));
    for (const r of rows) ids.set(labelKey(r.name), r.id);
  }
  return ids;
}

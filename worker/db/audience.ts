import { type SQL, sql } from "drizzle-orm";
import { idSet } from "./client";
import { contactLabels, contacts } from "./schema";

export type LabelFilter = {
  /** Contacts carrying these labels; empty means no label condition. */
  labels: readonly number[];
  match: "any" | "all";
  excludeLabels?: readonly number[];
};

/**
 * SQL condition on `contacts` for a label selection. Label ids must already be checked to
 * belong to the workspace. Each list of ids is one bound parameter (`idSet`).
 *
 * `set` (for counting a whole audience) is written as `contacts.id IN (…)`, so SQLite drives the
 * lookup from the label index instead of probing every contact; `probe` (for the first rows in id
 * order, as pages and samples need) tests each contact with primary-key lookups and stops early.
 */
export function labelCondition(filter: LabelFilter, strategy: "set" | "probe" = "set"): SQL | undefined {
  const parts: SQL[] = [];
  const ids = [...new Set(filter.labels)];
  if (ids.length > 0) {
    const wanted = idSet(ids);
    const all = filter.match === "all" && ids.length > 1;
    if (strategy === "probe") {
      const held = sql`(SELECT count(*) FROM ${contactLabels} WHERE ${contactLabels.contactId} = ${contacts.id} AND ${contactLabels.labelId} IN ${wanted})`;
      parts.push(
        all
          ? sql`${held} = ${ids.length}`
          : sql`EXISTS (SELECT 1 FROM ${contactLabels} WHERE ${contactLabels.contactId} = ${contacts.id} AND ${contactLabels.labelId} IN ${wanted})`,
      );
    } else {
      parts.push(
        all
          ? sql`${contacts.id} IN (SELECT ${contactLabels.contactId} FROM ${contactLabels} WHERE ${contactLabels.labelId} IN ${wanted} GROUP BY ${contactLabels.contactId} HAVING count(*) = ${ids.length})`
          : sql`${contacts.id} IN (SELECT ${contactLabels.contactId} FROM ${contactLabels} WHERE ${contactLabels.labelId} IN ${wanted})`,
      );
    }
  }
  const excluded = [...new Set(filter.excludeLabels ?? [])];
  if (excluded.length > 0) {
    parts.push(
      sql`NOT EXISTS (SELECT 1 FROM ${contactLabels} WHERE ${contactLabels.contactId} = ${contacts.id} AND ${contactLabels.labelId} IN ${idSet(excluded)})`,
    );
  }
  return parts.length ? sql.join(parts, sql` AND `) : undefined;
}

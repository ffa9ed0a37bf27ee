import type { ImportError, ImportRow } from "../domain/contact-import";
import type { Db } from "./client";
import { ensureLabels } from "./labels";

/** Rows written per D1 batch (one transaction): big enough to be fast, small enough to stay far below D1's size limits. */
export const IMPORT_CHUNK_ROWS = 1000;

export type ImportOutcome = { created: number; updated: number; failed: ImportError[] };

/**
 * Upserts contacts by phone and attaches their labels, one chunk of rows per `write` call. Each
 * call is one transaction holding the contacts and their labels together, so a row is either
 * written whole or not at all. Rows travel as one JSON parameter per statement (`json_each`),
 * which keeps every statement far below D1's 100-parameter limit. CROSS JOIN keeps the JSON rows
 * as the outer loop, so each row is one index lookup instead of a scan of the workspace's contacts.
 *
 * @example
 * const writer = createContactWriter(db, workspaceId);
 * await writer.write(rows); // at most IMPORT_CHUNK_ROWS rows
 * writer.outcome; // { created, updated, failed }
 */
export function createContactWriter(db: Db, workspaceId: number, extraLabelIds: readonly number[] = []) {
  const labelIds = new Map<string, number>();
  const outcome: ImportOutcome = { created: 0, updated: 0, failed: [] };
  const d1 = db.$client;

  async function write(part: readonly ImportRow[]): Promise<void> {
    if (part.length === 0) return;
    const missing = part.flatMap((r) => r.labels).filter((l) => !labelIds.has(l.toLowerCase()));
    for (const [key, id] of await ensureLabels(db, workspaceId, missing)) labelIds.set(key, id);
    const payload = JSON.stringify(
      part.map((r) => ({
        phone: r.phone,
        name: r.name ?? "",
        attributes: r.attributes,
        label_ids: [...new Set([...r.labels.map((l) => labelIds.get(l.toLowerCase())!), ...extraLabelIds])],
      })),
    );
    const phones = JSON.stringify(part.map((r) => r.phone));
    try {
      const [existing] = await d1.batch<{ n: number }>([
        d1
          .prepare("SELECT count(*) AS n FROM json_each(?2) AS j CROSS JOIN contacts AS c ON c.workspace_id = ?1 AND c.phone = j.value")
          .bind(workspaceId, phones),
        d1
          .prepare(
            `INSERT INTO contacts (workspace_id, name, phone, attributes)
             SELECT ?1, j.value ->> 'name', j.value ->> 'phone', j.value -> 'attributes' FROM json_each(?2) AS j WHERE true
             ON CONFLICT (workspace_id, phone) DO UPDATE SET
               name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE contacts.name END,
               attributes = json_patch(contacts.attributes, excluded.attributes),
               updated_at = unixepoch()`,
          )
          .bind(workspaceId, payload),
        d1
          .prepare(
            `INSERT OR IGNORE INTO contact_labels (contact_id, label_id, workspace_id)
             SELECT c.id, l.value, ?1
             FROM json_each(?2) AS j
             CROSS JOIN contacts AS c ON c.workspace_id = ?1 AND c.phone = j.value ->> 'phone'
             CROSS JOIN json_each(j.value -> 'label_ids') AS l`,
          )
          .bind(workspaceId, payload),
      ]);
      const already = existing!.results[0]?.n ?? 0;
      outcome.updated += already;
      outcome.created += part.length - already;
    } catch (error) {
      const reason = `not saved: ${(error as Error).message}`;
      for (const r of part) outcome.failed.push({ line: r.line, reason });
    }
  }

  return { write, outcome };
}

import type { ImportError, ImportRow } from "../domain/contact-import";
import type { Db } from "./client";
import { chunk } from "./client";
import { ensureLabels } from "./labels";

/** Rows written per D1 batch (one transaction): big enough to be fast, small enough to stay far below D1's size limits. */
export const IMPORT_CHUNK_ROWS = 1000;

export type ImportOutcome = { created: number; updated: number; failed: ImportError[] };

/**
 * Upserts contacts by phone and attaches their labels. Each chunk is one transaction holding
 * the contacts and their labels together, so a row is either written whole or not at all.
 * Rows travel as one JSON parameter per statement (`json_each`), which keeps every statement
 * far below D1's 100-parameter limit.
 */
export async function upsertContacts(
  db: Db,
  workspaceId: number,
  rows: readonly ImportRow[],
  extraLabelIds: readonly number[] = [],
): Promise<ImportOutcome> {
  const labelIds = await ensureLabels(
    db,
    workspaceId,
    rows.flatMap((r) => r.labels),
  );
  const outcome: ImportOutcome = { created: 0, updated: 0, failed: [] };
  for (const part of chunk(rows, IMPORT_CHUNK_ROWS)) {
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
      const d1 = db.$client;
      const [existing] = await d1.batch<{ n: number }>([
        d1
          .prepare("SELECT count(*) AS n FROM contacts WHERE workspace_id = ? AND phone IN (SELECT value FROM json_each(?))")
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
             JOIN contacts AS c ON c.workspace_id = ?1 AND c.phone = j.value ->> 'phone'
             JOIN json_each(j.value -> 'label_ids') AS l`,
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
  return outcome;
}

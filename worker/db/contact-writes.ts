import { type ImportError, type ImportRow, labelKey } from "../domain/contact-import";
import { logEvent } from "../lib/log";
import type { Db } from "./client";
import { ensureLabels } from "./labels";

/** Rows written per D1 batch (one transaction). */
export const IMPORT_CHUNK_ROWS = 1000;
/**
 * A batch's rows travel as one JSON value, and D1 refuses values over about 2 MB; sizes are
 * estimated at 3 bytes per character (the UTF-8 worst case inside the BMP) to stay far below.
 */
const IMPORT_CHUNK_BYTES = 900_000;

export type ImportOutcome = { created: number; updated: number; failed: ImportError[] };

function estimatedBytes(row: ImportRow): number {
  let chars = row.phone.length + (row.name?.length ?? 0) + 64 + row.labels.length * 8;
  for (const [key, value] of Object.entries(row.attributes)) chars += key.length + value.length + 8;
  return chars * 3;
}

/**
 * Upserts contacts by phone and attaches their labels. Rows are buffered by `add` and written in
 * batches of at most IMPORT_CHUNK_ROWS rows and IMPORT_CHUNK_BYTES; each batch is one transaction
 * holding the contacts and their labels together, so a row is either written whole or not at all.
 * Rows travel as one JSON parameter per statement (`json_each`), which keeps every statement far
 * below D1's 100-parameter limit. CROSS JOIN keeps the JSON rows as the outer loop, so each row is
 * one index lookup instead of a scan of the workspace's contacts.
 *
 * @example
 * const writer = createContactWriter(db, workspaceId);
 * for (const row of rows) await writer.add(row);
 * const { created, updated, failed } = await writer.finish();
 */
export function createContactWriter(db: Db, workspaceId: number, extraLabelIds: readonly number[] = []) {
  const labelIds = new Map<string, number>();
  const outcome: ImportOutcome = { created: 0, updated: 0, failed: [] };
  const d1 = db.$client;
  let pending: ImportRow[] = [];
  let pendingBytes = 0;

  async function write(part: readonly ImportRow[]): Promise<void> {
    if (part.length === 0) return;
    const missing = part.flatMap((r) => r.labels).filter((l) => !labelIds.has(labelKey(l)));
    for (const [key, id] of await ensureLabels(db, workspaceId, missing)) labelIds.set(key, id);
    const labelIdOf = (name: string) => {
      const id = labelIds.get(labelKey(name));
      if (id === undefined) throw new Error(`label "${name}" could not be created`);
      return id;
    };
    try {
      const payload = JSON.stringify(
        part.map((r) => ({
          phone: r.phone,
          name: r.name ?? "",
          attributes: r.attributes,
          label_ids: [...new Set([...r.labels.map(labelIdOf), ...extraLabelIds])],
        })),
      );
      const phones = JSON.stringify(part.map((r) => r.phone));
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
            `INSERT INTO contact_labels (contact_id, label_id, workspace_id)
             SELECT c.id, l.value, ?1
             FROM json_each(?2) AS j
             CROSS JOIN contacts AS c ON c.workspace_id = ?1 AND c.phone = j.value ->> 'phone'
             CROSS JOIN json_each(j.value -> 'label_ids') AS l
             WHERE true
             ON CONFLICT DO NOTHING`,
          )
          .bind(workspaceId, payload),
      ]);
      const already = existing!.results[0]?.n ?? 0;
      outcome.updated += already;
      outcome.created += part.length - already;
    } catch (error) {
      logEvent("error", "contacts.import_batch_failed", { rows: part.length, first_line: part[0]!.line, last_line: part.at(-1)!.line, error });
      for (const r of part) outcome.failed.push({ line: r.line, reason: "not saved: the database refused this batch; import the file again" });
    }
  }

  return {
    async add(row: ImportRow): Promise<void> {
      const bytes = estimatedBytes(row);
      if (pending.length === IMPORT_CHUNK_ROWS || (pending.length > 0 && pendingBytes + bytes > IMPORT_CHUNK_BYTES)) {
        await write(pending);
        pending = [];
        pendingBytes = 0;
      }
      pending.push(row);
      pendingBytes += bytes;
    },
    async finish(): Promise<ImportOutcome> {
      await write(pending);
      pending = [];
      return outcome;
    },
  };
}

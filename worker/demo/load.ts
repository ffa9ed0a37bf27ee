import { and, eq } from "drizzle-orm";
import { batchAll, type Db } from "../db/client";
import { ensureLabels } from "../db/labels";
import { inboxes, labels } from "../db/schema";
import { labelKey } from "../domain/contact-import";
import { inboxInput, insertInbox } from "../inboxes/connect";
import { syncTemplates } from "../templates/sync";
import { DEMO_LABELS, demoContacts } from "./demo-data";

/** The demo's sandbox number is fixed per workspace, which is what makes loading it idempotent. */
const demoNumber = (workspaceId: number) => ({
  phone_number_id: `1555${String(workspaceId).padStart(9, "0")}`,
  waba_id: `2555${String(workspaceId).padStart(9, "0")}`,
  display_phone: `+1 555-01${String(workspaceId % 100).padStart(2, "0")}`,
});

/**
 * Loads the demo into a workspace: a sandbox inbox with its templates synced through the sandbox,
 * the demo labels, and a few hundred demo contacts. Whatever already exists is left as it is.
 */
export async function loadDemo(env: Env, db: Db, workspaceId: number, origin: string, ctx: Pick<ExecutionContext, "waitUntil">) {
  const number = demoNumber(workspaceId);
  let inbox = await db
    .select()
    .from(inboxes)
    .where(and(eq(inboxes.workspaceId, workspaceId), eq(inboxes.phoneNumberId, number.phone_number_id)))
    .get();
  inbox ??= await insertInbox(
    env,
    db,
    workspaceId,
    origin,
    inboxInput.parse({ name: "Demo sandbox", provider: "sandbox", ...number, messaging_limit_tier: "2000" }),
  );
  const { synced } = await syncTemplates(env, db, inbox, ctx);

  const labelIds = await ensureLabels(
    db,
    workspaceId,
    DEMO_LABELS.map((l) => l.name),
  );
  await batchAll(
    db,
    DEMO_LABELS.map((l) =>
      db
        .update(labels)
        .set({ color: l.color })
        .where(and(eq(labels.id, labelIds.get(labelKey(l.name))!), eq(labels.color, "#64748b"))),
    ),
  );

  const now = Math.floor(Date.now() / 1000);
  const people = demoContacts().map((p) => ({
    phone: p.phone,
    name: p.name,
    attributes: p.attributes,
    last_inbound_at: p.lastInboundAgoS === null ? null : now - p.lastInboundAgoS,
    opted_out_at: p.optedOut ? now - 86_400 : null,
    label_ids: p.labels.map((l) => labelIds.get(labelKey(l))!),
  }));
  const payload = JSON.stringify(people);
  const d1 = db.$client;
  const [inserted] = await d1.batch([
    d1
      .prepare(
        `INSERT INTO contacts (workspace_id, name, phone, attributes, last_inbound_at, opted_out_at)
         SELECT ?1, j.value ->> 'name', j.value ->> 'phone', j.value -> 'attributes', j.value ->> 'last_inbound_at', j.value ->> 'opted_out_at'
         FROM json_each(?2) AS j WHERE true
         ON CONFLICT (workspace_id, phone) DO NOTHING`,
      )
      .bind(workspaceId, payload),
    d1
      .prepare(
        `INSERT INTO contact_labels (contact_id, label_id, workspace_id)
         SELECT c.id, l.value, ?1 FROM json_each(?2) AS j
         CROSS JOIN contacts AS c ON c.workspace_id = ?1 AND c.phone = j.value ->> 'phone'
         CROSS JOIN json_each(j.value -> 'label_ids') AS l WHERE true
         ON CONFLICT DO NOTHING`,
      )
      .bind(workspaceId, payload),
  ]);
  return { inbox_id: inbox.id, templates: synced, labels: DEMO_LABELS.length, contacts_created: inserted!.meta.changes };
}

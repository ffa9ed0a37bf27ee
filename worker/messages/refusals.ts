import { and, eq, gte, sql } from "drizzle-orm";
import { marketingPreferencesStatement } from "../contacts/marketing-preferences";
import type { Db } from "../db/client";
import { messageEvents } from "../db/schema";
import { MARKETING_LIMIT_ERROR, MARKETING_STOPPED_ERROR } from "../domain/error-policy";
import type { ProviderError } from "../domain/provider";
import { logEvent } from "../lib/log";

/** Refusals kept in message_events when WhatsApp answers a send with them at once, as it does in a failed status. */
const RECORDED_REFUSALS = new Set([MARKETING_LIMIT_ERROR, MARKETING_STOPPED_ERROR]);

/**
 * What a send WhatsApp refused at once leaves in D1 besides its own record: a user who stopped
 * marketing (`stop_marketing`) gets the contact's marketing stop, and a marketing refusal (131049,
 * 131050) a `failed` row in message_events, so refusals are counted in one place. A refused send
 * has no wamid: its row is keyed by the send's callback data, once per send.
 *
 * @example await env.DB.batch(refusalStatements(env.DB, { workspaceId: 1, inboxId: 2, to: "+5511987654321", callbackData: "herald:c:3:4" }, error));
 */
export function refusalStatements(
  d1: D1Database,
  send: { workspaceId: number; inboxId: number; to: string; callbackData: string },
  error: ProviderError,
  now = Date.now(),
): D1PreparedStatement[] {
  const at = Math.floor(now / 1000);
  const statements: D1PreparedStatement[] = [];
  if (error.policy === "stop_marketing")
    statements.push(marketingPreferencesStatement(d1, send.workspaceId, send.inboxId, [{ phone: send.to, value: "stop", at }]));
  if (error.code !== undefined && RECORDED_REFUSALS.has(error.code)) {
    statements.push(
      d1
        .prepare(
          `INSERT INTO message_events (workspace_id, inbox_id, wamid, status, occurred_at, recipient_id, biz_opaque_callback_data, error_code, error_title, error_details)
           VALUES (?1, ?2, ?3, 'failed', ?4, ?5, ?3, ?6, ?7, ?8) ON CONFLICT (inbox_id, wamid, status) DO NOTHING`,
        )
        .bind(send.workspaceId, send.inboxId, send.callbackData, at, send.to.replace(/\D/g, ""), error.code, error.title, error.details ?? error.message),
    );
  }
  return statements;
}

/** Applies `refusalStatements`; a failure to record them is logged, not thrown (the send's own outcome matters more). */
export async function recordRefusal(d1: D1Database, send: Parameters<typeof refusalStatements>[1], error: ProviderError): Promise<void> {
  const statements = refusalStatements(d1, send, error);
  if (statements.length === 0) return;
  try {
    await d1.batch(statements);
  } catch (e) {
    logEvent("error", "messages.refusal_unrecorded", { workspace_id: send.workspaceId, inbox_id: send.inboxId, code: error.code ?? null, error: e });
  }
}

/**
 * How many messages of the workspace WhatsApp refused with `errorCode` since `since` (unix
 * seconds): failed statuses, and sends refused at once, as message_events keeps them. One range
 * of the (workspace, error code, time) index.
 *
 * @example await countRefusals(db, 1, 131049, nowSeconds() - 30 * 86400) // 12
 */
export async function countRefusals(db: Db, workspaceId: number, errorCode: number, since: number): Promise<number> {
  const row = await db
    .select({ n: sql<number>`count(*)` })
    .from(messageEvents)
    .where(and(eq(messageEvents.workspaceId, workspaceId), eq(messageEvents.errorCode, errorCode), gte(messageEvents.occurredAt, since)))
    .get();
  return row?.n ?? 0;
}

import { and, eq, gte, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { messageEvents } from "../db/schema";

/**
 * How many messages of the workspace WhatsApp refused with `errorCode` since `since` (unix
 * seconds): failed statuses, and campaign sends refused at once, as message_events keeps them.
 * One range of the (workspace, error code, time) index.
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

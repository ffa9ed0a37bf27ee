import { and, desc, eq, gte, lt, lte } from "drizzle-orm";
import { type Db, isoOrNull } from "../db/client";
import { apiTokens, auditEvents, users } from "../db/schema";
import type { AuditAction, SubjectType } from "../domain/audit";
import type { AuditEventView, AuditPageView } from "../views/audit";

export type AuditQuery = {
  subject_type?: SubjectType;
  subject_id?: number;
  action?: AuditAction;
  actor_user_id?: number;
  /** Unix seconds, inclusive. */
  since?: number;
  until?: number;
  /** Events older than this id (the previous page's next_cursor). */
  cursor?: number;
  limit: number;
};

/** A page of the workspace's audit events, newest first, with the acting user and token described while they exist. */
export async function listAudit(db: Db, workspaceId: number, q: AuditQuery): Promise<AuditPageView> {
  const rows = await db
    .select({ event: auditEvents, userName: users.name, userEmail: users.email, tokenName: apiTokens.name })
    .from(auditEvents)
    .leftJoin(users, and(eq(users.id, auditEvents.actorUserId), eq(users.workspaceId, auditEvents.workspaceId)))
    .leftJoin(apiTokens, and(eq(apiTokens.id, auditEvents.actorTokenId), eq(apiTokens.workspaceId, auditEvents.workspaceId)))
    .where(
      and(
        eq(auditEvents.workspaceId, workspaceId),
        q.subject_type === undefined ? undefined : eq(auditEvents.subjectType, q.subject_type),
        q.subject_id === undefined ? undefined : eq(auditEvents.subjectId, q.subject_id),
        q.action === undefined ? undefined : eq(auditEvents.action, q.action),
        q.actor_user_id === undefined ? undefined : eq(auditEvents.actorUserId, q.actor_user_id),
        q.since === undefined ? undefined : gte(auditEvents.at, q.since),
        q.until === undefined ? undefined : lte(auditEvents.at, q.until),
        q.cursor === undefined ? undefined : lt(auditEvents.id, q.cursor),
      ),
    )
    .orderBy(desc(auditEvents.id))
    .limit(q.limit + 1);
  const page = rows.slice(0, q.limit);
  return {
    data: page.map(toAuditEventView),
    next_cursor: rows.length > q.limit ? String(page[page.length - 1]!.event.id) : null,
  };
}

function toAuditEventView(r: {
  event: typeof auditEvents.$inferSelect;
  userName: string | null;
  userEmail: string | null;
  tokenName: string | null;
}): AuditEventView {
  const e = r.event;
  return {
    id: e.id,
    at: isoOrNull(e.at)!,
    action: e.action as AuditEventView["action"],
    subject_type: e.subjectType as AuditEventView["subject_type"],
    subject_id: e.subjectId,
    actor: {
      type: e.actorType,
      user_id: e.actorUserId,
      user_name: r.userName,
      user_email: r.userEmail,
      token_id: e.actorTokenId,
      token_name: r.tokenName,
    },
    detail: JSON.parse(e.detail) as Record<string, unknown>,
  };
}

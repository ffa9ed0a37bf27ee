import { type SQL, sql } from "drizzle-orm";
import type { Context } from "hono";
import { type Db, nowSeconds } from "../db/client";
import { auditEvents } from "../db/schema";
import { type ActorType, type AuditAction, subjectOf } from "../domain/audit";
import type { AppEnv, Principal } from "../lib/context";

/** Who made a change: a signed-in user, a user's API token, or Herald itself. */
export type Actor = { workspaceId: number; type: ActorType; userId: number | null; tokenId: number | null };

/** One audit event: the action, the id of its subject, and what changed (never a secret's value). */
export type AuditEntry = { action: AuditAction; subjectId: number | SQL | null; detail?: Record<string, unknown> };

export const actorOf = (p: Principal): Actor => ({
  workspaceId: p.workspaceId,
  type: p.via === "token" ? "token" : "user",
  userId: p.userId,
  tokenId: p.via === "token" ? p.tokenId : null,
});

export const systemActor = (workspaceId: number): Actor => ({ workspaceId, type: "system", userId: null, tokenId: null });

/** The id of the row the statement just before, in the same batch, inserted. */
export const JUST_INSERTED: SQL = sql`last_insert_rowid()`;

/** Keys whose values could be credentials: dropped from every detail, however deep. */
const SECRET_KEY = /token|secret|password|hash/i;

/** The detail with every key that could hold a credential removed. */
export function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => !SECRET_KEY.test(k))
      .map(([k, v]) => [k, withoutSecrets(v)]),
  );
}

const whoOf = (who: Actor | Context<AppEnv>): Actor => ("type" in who ? who : actorOf(who.get("principal")));

/**
 * The insert of one audit event, to run in the same `db.batch` as the change it records so both
 * land together. With `ifChanged`, the event is written only when the statement just before it
 * in the batch changed a row (a conditional update or delete that matched nothing records nothing).
 * @example await db.batch([db.update(campaigns).set(v).where(w), auditStatement(db, c, { action: "campaign.update", subjectId: id })])
 */
export function auditStatement(db: Db, who: Actor | Context<AppEnv>, entry: AuditEntry, opts: { ifChanged?: boolean } = {}) {
  const actor = whoOf(who);
  const detail = JSON.stringify(withoutSecrets(entry.detail ?? {}));
  // Every column in table order (the id is left to SQLite), so the row can depend on the statement before.
  return db.insert(auditEvents).select(
    sql`SELECT NULL, ${actor.workspaceId}, ${nowSeconds()}, ${actor.type}, ${actor.userId}, ${actor.tokenId}, ${entry.action}, ${subjectOf(entry.action)}, ${entry.subjectId}, ${detail}
          WHERE ${opts.ifChanged ? sql`changes() > 0` : sql`1`}`,
  );
}

/**
 * Records one audit event on its own, for a change already made (or one that is not a single
 * D1 write, such as a launch through the campaign's object).
 * @example await recordAudit(db, c, { action: "campaign.pause", subjectId: id })
 */
export async function recordAudit(db: Db, who: Actor | Context<AppEnv>, entry: AuditEntry): Promise<void> {
  await auditStatement(db, who, entry);
}

/**
 * The event of a campaign that Herald paused or failed on its own (actor "system", with the
 * reason), for the batch that copies the new status to the campaign's D1 row. It must run before
 * that copy: it is written only when the row's status is about to change to `status`, so each
 * automatic pause or failure is recorded once, however often the status is copied.
 */
export function automaticStopStatement(d1: D1Database, campaignId: number, status: "paused" | "failed", reason: string | null): D1PreparedStatement {
  const action: AuditAction = status === "paused" ? "campaign.pause" : "campaign.fail";
  return d1
    .prepare(
      `INSERT INTO audit_events (workspace_id, at, actor_type, action, subject_type, subject_id, detail)
       SELECT workspace_id, unixepoch(), 'system', ?1, 'campaign', id, json_object('reason', ?2) FROM campaigns
       WHERE id = ?3 AND status != ?4 AND status NOT IN ('completed', 'failed', 'cancelled')`,
    )
    .bind(action, reason, campaignId, status);
}

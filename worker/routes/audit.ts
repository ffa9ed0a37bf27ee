import { Hono } from "hono";
import { z } from "zod";
import { listAudit } from "../audit/list";
import { findOwned } from "../db/client";
import { campaigns } from "../db/schema";
import { AUDIT_ACTIONS, SUBJECT_TYPES } from "../domain/audit";
import type { AppEnv } from "../lib/context";
import { describe, idParam, validate } from "../lib/validate";
import { requireAdmin } from "../middleware/auth";
import { auditPageView } from "../views/audit";

const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/;
const ISO_MESSAGE = "must be an ISO 8601 date or date-time, e.g. 2026-12-01T09:00:00Z";

/** An ISO 8601 time as Unix seconds. */
const isoSeconds = z
  .string()
  .trim()
  .regex(ISO_TIME, ISO_MESSAGE)
  .transform((v) => Date.parse(v))
  .refine((ms) => !Number.isNaN(ms), ISO_MESSAGE)
  .transform((ms) => Math.floor(ms / 1000));

const positiveId = z.coerce.number().int("must be a whole number").positive("must be a positive id");
const paging = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().regex(/^\d+$/, "must be the next_cursor of a previous page").transform(Number).optional(),
};

const auditQuery = z
  .object({
    subject_type: z.enum(SUBJECT_TYPES).optional(),
    subject_id: positiveId.optional(),
    action: z.enum(AUDIT_ACTIONS).optional(),
    actor_user_id: positiveId.optional(),
    /** Events at or after this time. */
    since: isoSeconds.optional(),
    /** Events at or before this time. */
    until: isoSeconds.optional(),
    ...paging,
  })
  .superRefine((q, ctx) => {
    if (q.since !== undefined && q.until !== undefined && q.until < q.since)
      ctx.addIssue({ code: "custom", path: ["until"], message: "must not be before since" });
  });

/** Admin-only: the workspace's audit trail. */
export const auditRoutes = new Hono<AppEnv>().get(
  "/",
  requireAdmin,
  describe({
    summary:
      "Who changed campaigns, inboxes, users, API tokens and workspace settings, and when (Herald's own automatic pauses and failures too), newest first; filter by subject, action, user and time",
    tags: ["audit"],
    access: "admin",
    responses: { 200: { description: "audit events", schema: auditPageView } },
  }),
  validate("query", auditQuery),
  async (c) => c.json(await listAudit(c.get("db"), c.get("principal").workspaceId, c.req.valid("query"))),
);

/** Any user of the workspace: one campaign's history. */
export const campaignHistoryRoutes = new Hono<AppEnv>().get(
  "/:id/history",
  describe({
    summary:
      "The campaign's history: who created, edited, launched, scheduled, paused, resumed or cancelled it, and its automatic pauses and failures, newest first",
    tags: ["campaigns"],
    access: "user",
    responses: { 200: { description: "the campaign's audit events", schema: auditPageView } },
  }),
  validate("param", idParam),
  validate("query", z.object(paging)),
  async (c) => {
    const db = c.get("db");
    const { workspaceId } = c.get("principal");
    const campaign = await findOwned(db, campaigns, c.req.valid("param").id, workspaceId, "campaign");
    return c.json(await listAudit(db, workspaceId, { ...c.req.valid("query"), subject_type: "campaign", subject_id: campaign.id }));
  },
);

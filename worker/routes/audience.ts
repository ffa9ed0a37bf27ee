import { and, asc, eq, sql } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { serviceWindowStart } from "../campaigns/launch";
import { toContactViews } from "../contacts/views";
import { labelCondition } from "../db/audience";
import { assertLabelsExist } from "../db/labels";
import { contacts } from "../db/schema";
import { labelSelection } from "../domain/campaign-settings";
import type { AppEnv } from "../lib/context";
import { describe, validate } from "../lib/validate";
import { previewView } from "../views/contact";

export const audienceInput = z.object({
  labels: labelSelection.min(1, "pick at least one label"),
  match: z.enum(["any", "all"]).default("any"),
  exclude_labels: labelSelection.default([]),
});

const SAMPLE_SIZE = 10;

export const audienceRoutes = new Hono<AppEnv>().post(
  "/preview",
  describe({
    summary: "Count the contacts a label selection reaches (opted-out contacts excluded) with a sample",
    tags: ["audience"],
    access: "user",
    responses: { 200: { description: "audience size", schema: previewView } },
  }),
  validate("json", audienceInput),
  async (c) => {
    const input = c.req.valid("json");
    const { workspaceId } = c.get("principal");
    const db = c.get("db");
    await assertLabelsExist(db, workspaceId, input.labels, "labels");
    await assertLabelsExist(db, workspaceId, input.exclude_labels, "exclude_labels");
    const filter = { labels: input.labels, match: input.match, excludeLabels: input.exclude_labels };
    const matching = and(eq(contacts.workspaceId, workspaceId), labelCondition(filter, "set"));
    const windowStart = serviceWindowStart(Date.now());
    const [counts, sample] = await db.batch([
      db
        .select({
          matched: sql<number>`count(*)`,
          optedOut: sql<number>`coalesce(sum(${contacts.optedOutAt} IS NOT NULL), 0)`,
          outsideWindow: sql<number>`coalesce(sum(${contacts.optedOutAt} IS NULL AND coalesce(${contacts.lastInboundAt}, 0) < ${windowStart}), 0)`,
        })
        .from(contacts)
        .where(matching),
      db
        .select()
        .from(contacts)
        .where(and(eq(contacts.workspaceId, workspaceId), labelCondition(filter, "probe"), sql`${contacts.optedOutAt} IS NULL`))
        .orderBy(asc(contacts.id))
        .limit(SAMPLE_SIZE),
    ]);
    const matched = Number(counts[0]?.matched ?? 0);
    const optedOut = Number(counts[0]?.optedOut ?? 0);
    return c.json({
      total: matched - optedOut,
      matched,
      opted_out_excluded: optedOut,
      outside_window: Number(counts[0]?.outsideWindow ?? 0),
      sample: await toContactViews(db, sample),
    });
  },
);

import { and, asc, eq, sql } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { audienceScopes } from "../campaigns/audience";
import { serviceWindowStart } from "../campaigns/launch";
import { assertAudienceRefs, resultIdsOf } from "../campaigns/retarget";
import { toContactViews } from "../contacts/views";
import { labelCondition } from "../db/audience";
import { type Contact, contacts } from "../db/schema";
import { type Audience, audienceSchema, labelsOrResults } from "../domain/campaign-settings";
import type { AppEnv } from "../lib/context";
import { describe, validate } from "../lib/validate";
import { previewView } from "../views/contact";

/**
 * An audience as the campaign editor builds it. A label both included and excluded is left out
 * (the campaign's own audience refuses the pair instead).
 */
const previewInput = z.object({ ...audienceSchema.shape }).superRefine(labelsOrResults("pick at least one label"));

const SAMPLE_SIZE = 10;

export const audienceRoutes = new Hono<AppEnv>().post(
  "/preview",
  describe({
    summary:
      "Count the contacts an audience reaches (opted-out contacts excluded) with a sample: a label selection, or with `from_campaign` an earlier campaign's recipients in the chosen results, narrowed by the labels given (read in chunks of 5,000 of that campaign's recipients)",
    tags: ["audience"],
    access: "user",
    responses: { 200: { description: "audience size", schema: previewView } },
  }),
  validate("json", previewInput),
  async (c) => {
    const audience: Audience = c.req.valid("json");
    const { workspaceId } = c.get("principal");
    const db = c.get("db");
    await assertAudienceRefs(db, workspaceId, audience, "");
    const filter = { labels: audience.labels, match: audience.match, excludeLabels: audience.exclude_labels };
    const windowStart = serviceWindowStart(Date.now());
    let matched = 0;
    let optedOut = 0;
    let outsideWindow = 0;
    const sample: Contact[] = [];
    for await (const scope of audienceScopes(audience, resultIdsOf(c.env, audience))) {
      const [counts, rows] = await db.batch([
        db
          .select({
            matched: sql<number>`count(*)`,
            optedOut: sql<number>`coalesce(sum(${contacts.optedOutAt} IS NOT NULL), 0)`,
            outsideWindow: sql<number>`coalesce(sum(${contacts.optedOutAt} IS NULL AND coalesce(${contacts.lastInboundAt}, 0) < ${windowStart}), 0)`,
          })
          .from(contacts)
          .where(and(eq(contacts.workspaceId, workspaceId), labelCondition(filter, scope.strategy), scope.where)),
        db
          .select()
          .from(contacts)
          .where(and(eq(contacts.workspaceId, workspaceId), labelCondition(filter, "probe"), sql`${contacts.optedOutAt} IS NULL`, scope.where))
          .orderBy(asc(contacts.id))
          .limit(SAMPLE_SIZE - sample.length),
      ]);
      matched += Number(counts[0]?.matched ?? 0);
      optedOut += Number(counts[0]?.optedOut ?? 0);
      outsideWindow += Number(counts[0]?.outsideWindow ?? 0);
      sample.push(...rows);
    }
    return c.json({
      total: matched - optedOut,
      matched,
      opted_out_excluded: optedOut,
      outside_window: outsideWindow,
      sample: await toContactViews(db, sample),
    });
  },
);

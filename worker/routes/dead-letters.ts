import { and, desc, eq, lt } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { isoOrNull } from "../db/client";
import { deadLetters } from "../db/schema";
import { DEAD_LETTER_QUEUES, type DeadLetterQueue } from "../dead-letters/consumer";
import type { AppEnv } from "../lib/context";
import { describe, validate } from "../lib/validate";
import { requireAdmin } from "../middleware/auth";

const queueNames = Object.keys(DEAD_LETTER_QUEUES) as [DeadLetterQueue, ...DeadLetterQueue[]];

const listQuery = z.object({
  queue: z.enum(queueNames).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().regex(/^\d+$/, "must be the next_cursor of a previous page").optional(),
});

const deadLetterView = z.object({
  id: z.number(),
  queue: z.enum(queueNames),
  kind: z
    .enum(["webhook", "release", "report", "unknown"])
    .describe(
      "webhook: a WhatsApp webhook never applied; release: recipients a campaign released that were never sent; report: send outcomes that never reached their campaign",
    ),
  summary: z.string(),
  inbox_id: z.number().nullable(),
  campaign_id: z.number().nullable(),
  body: z.string().describe("the queue message as JSON, cut when it is longer than 16 KB"),
  body_truncated: z.boolean(),
  received_at: z.string().nullable(),
});

const toView = (d: typeof deadLetters.$inferSelect): z.infer<typeof deadLetterView> => ({
  id: d.id,
  queue: d.queue as DeadLetterQueue,
  kind: d.kind,
  summary: d.summary,
  inbox_id: d.inboxId,
  campaign_id: d.campaignId,
  body: d.body,
  body_truncated: d.bodyTruncated,
  received_at: isoOrNull(d.receivedAt),
});

/** Admin-only: queue messages of the workspace that Herald gave up on, newest first. */
export const deadLetterRoutes = new Hono<AppEnv>().use(requireAdmin).get(
  "/",
  describe({
    summary: "Queue messages given up on after their retries (webhooks never applied, campaign sends never done or reported), newest first, cursor paging",
    tags: ["dead letters"],
    access: "admin",
    responses: { 200: { description: "a page of dead letters", schema: z.object({ data: z.array(deadLetterView), next_cursor: z.string().nullable() }) } },
  }),
  validate("query", listQuery),
  async (c) => {
    const q = c.req.valid("query");
    const rows = await c
      .get("db")
      .select()
      .from(deadLetters)
      .where(
        and(
          eq(deadLetters.workspaceId, c.get("principal").workspaceId),
          q.queue ? eq(deadLetters.queue, q.queue) : undefined,
          q.cursor ? lt(deadLetters.id, Number(q.cursor)) : undefined,
        ),
      )
      .orderBy(desc(deadLetters.id))
      .limit(q.limit + 1);
    const page = rows.slice(0, q.limit);
    return c.json({ data: page.map(toView), next_cursor: rows.length > q.limit ? String(page[page.length - 1]!.id) : null });
  },
);

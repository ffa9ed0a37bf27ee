import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { countryCode, toWorkspaceView } from "../accounts/views";
import { auditStatement } from "../audit/record";
import { nowSeconds } from "../db/client";
import { workspaces } from "../db/schema";
import { changedFields } from "../domain/audit";
import { MARKETING_LIMIT_ERROR } from "../domain/error-policy";
import { FREQUENCY_CAP_BOUNDS } from "../domain/launch-skips";
import type { AppEnv } from "../lib/context";
import { describe, validate } from "../lib/validate";
import { countRefusals } from "../messages/refusals";
import { requireAdmin } from "../middleware/auth";
import { refusalCountView, workspaceView } from "../views/accounts";

/** The period the Settings page counts WhatsApp's marketing-limit refusals over. */
const REFUSALS_DAYS = 30;

const { messages: capMessages, days: capDays } = FREQUENCY_CAP_BOUNDS;

const patchInput = z
  .object({
    name: z.string().trim().min(1, "is required").max(100),
    default_country: countryCode,
    opt_out_keywords: z.array(z.string().trim().min(1, "must not be empty").max(40, "must be at most 40 characters")).max(30, "at most 30 keywords"),
    attribution_window_hours: z.number().int("must be a whole number of hours").min(1, "must be at least 1").max(720, "must be at most 720 (30 days)"),
    frequency_cap_messages: z
      .number()
      .int("must be a whole number of messages")
      .min(capMessages.min, `must be at least ${capMessages.min}`)
      .max(capMessages.max, `must be at most ${capMessages.max}`)
      .nullable()
      .describe("campaign messages a contact may receive within frequency_cap_days; null turns the cap off"),
    frequency_cap_days: z
      .number()
      .int("must be a whole number of days")
      .min(capDays.min, `must be at least ${capDays.min}`)
      .max(capDays.max, `must be at most ${capDays.max}`),
  })
  .partial()
  .refine(
    (v) => Object.keys(v).length > 0,
    "give name, default_country, opt_out_keywords, attribution_window_hours, frequency_cap_messages or frequency_cap_days",
  );

export const workspaceRoutes = new Hono<AppEnv>()
  .get(
    "/",
    describe({
      summary: "The caller's workspace",
      tags: ["workspace"],
      access: "user",
      responses: { 200: { description: "workspace", schema: workspaceView } },
    }),
    async (c) => {
      const row = await c
        .get("db")
        .select()
        .from(workspaces)
        .where(eq(workspaces.id, c.get("principal").workspaceId))
        .get();
      return c.json(toWorkspaceView(row!));
    },
  )
  .get(
    "/marketing-refusals",
    describe({
      summary: `Messages WhatsApp refused with ${MARKETING_LIMIT_ERROR} (its per-user marketing limit) in the last ${REFUSALS_DAYS} days, across the workspace`,
      tags: ["workspace"],
      access: "user",
      responses: { 200: { description: "refusal count", schema: refusalCountView } },
    }),
    async (c) => {
      const count = await countRefusals(c.get("db"), c.get("principal").workspaceId, MARKETING_LIMIT_ERROR, nowSeconds() - REFUSALS_DAYS * 86_400);
      return c.json({ error_code: MARKETING_LIMIT_ERROR, days: REFUSALS_DAYS, count });
    },
  )
  .patch(
    "/",
    requireAdmin,
    describe({
      summary:
        "Rename the workspace, change the country used for phones without a country code, the opt-out keywords, the reply attribution window or the frequency cap",
      tags: ["workspace"],
      access: "admin",
      responses: { 200: { description: "updated", schema: workspaceView } },
    }),
    validate("json", patchInput),
    async (c) => {
      const input = c.req.valid("json");
      const db = c.get("db");
      const { workspaceId } = c.get("principal");
      const update = db
        .update(workspaces)
        .set({
          ...(input.name === undefined ? {} : { name: input.name }),
          ...(input.default_country === undefined ? {} : { defaultCountry: input.default_country }),
          ...(input.opt_out_keywords === undefined ? {} : { optOutKeywords: JSON.stringify([...new Set(input.opt_out_keywords)]) }),
          ...(input.attribution_window_hours === undefined ? {} : { attributionWindowHours: input.attribution_window_hours }),
          ...(input.frequency_cap_messages === undefined ? {} : { frequencyCapMessages: input.frequency_cap_messages }),
          ...(input.frequency_cap_days === undefined ? {} : { frequencyCapDays: input.frequency_cap_days }),
        })
        .where(eq(workspaces.id, workspaceId))
        .returning();
      const [[row]] = await db.batch([
        update,
        auditStatement(db, c, { action: "workspace.update", subjectId: workspaceId, detail: { fields: changedFields(input) } }),
      ]);
      return c.json(toWorkspaceView(row!));
    },
  );

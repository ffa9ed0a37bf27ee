import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { countryCode, toWorkspaceView } from "../accounts/views";
import { auditStatement } from "../audit/record";
import { workspaces } from "../db/schema";
import { changedFields } from "../domain/audit";
import type { AppEnv } from "../lib/context";
import { describe, validate } from "../lib/validate";
import { requireAdmin } from "../middleware/auth";
import { workspaceView } from "../views/accounts";

const patchInput = z
  .object({
    name: z.string().trim().min(1, "is required").max(100),
    default_country: countryCode,
    opt_out_keywords: z.array(z.string().trim().min(1, "must not be empty").max(40, "must be at most 40 characters")).max(30, "at most 30 keywords"),
    attribution_window_hours: z.number().int("must be a whole number of hours").min(1, "must be at least 1").max(720, "must be at most 720 (30 days)"),
  })
  .partial()
  .refine((v) => Object.keys(v).length > 0, "give name, default_country, opt_out_keywords or attribution_window_hours");

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
  .patch(
    "/",
    requireAdmin,
    describe({
      summary: "Rename the workspace, change the country used for phones without a country code, or the opt-out keywords",
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

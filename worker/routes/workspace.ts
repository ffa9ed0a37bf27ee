import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { workspaces } from "../db/schema";
import type { AppEnv } from "../lib/context";
import { describe, validate } from "../lib/validate";
import { requireAdmin } from "../middleware/auth";
import { countryCode } from "./auth";
import { toWorkspaceView, workspaceView } from "./views";

const patchInput = z
  .object({ name: z.string().trim().min(1, "is required").max(100), default_country: countryCode })
  .partial()
  .refine((v) => Object.keys(v).length > 0, "give name or default_country");

export const workspaceRoutes = new Hono<AppEnv>()
  .get(
    "/",
    describe({ summary: "The caller's workspace", tags: ["workspace"], access: "user", responses: { 200: { description: "workspace", schema: workspaceView } } }),
    async (c) => {
      const row = await c.get("db").select().from(workspaces).where(eq(workspaces.id, c.get("principal").workspaceId)).get();
      return c.json(toWorkspaceView(row!));
    },
  )
  .patch(
    "/",
    requireAdmin,
    describe({ summary: "Rename the workspace or change the country used for phones without a country code", tags: ["workspace"], access: "admin", responses: { 200: { description: "updated", schema: workspaceView } } }),
    validate("json", patchInput),
    async (c) => {
      const input = c.req.valid("json");
      const row = await c
        .get("db")
        .update(workspaces)
        .set({
          ...(input.name === undefined ? {} : { name: input.name }),
          ...(input.default_country === undefined ? {} : { defaultCountry: input.default_country }),
        })
        .where(eq(workspaces.id, c.get("principal").workspaceId))
        .returning()
        .get();
      return c.json(toWorkspaceView(row!));
    },
  );

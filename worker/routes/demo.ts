import { Hono } from "hono";
import { z } from "zod";
import { loadDemo } from "../demo/load";
import type { AppEnv } from "../lib/context";
import { describe } from "../lib/validate";
import { requireAdmin } from "../middleware/auth";

const demoView = z.object({
  inbox_id: z.number(),
  templates: z.number(),
  labels: z.number(),
  contacts_created: z.number(),
});

export const demoRoutes = new Hono<AppEnv>().post(
  "/",
  requireAdmin,
  describe({
    summary: "Load the demo: a sandbox inbox with synced templates, demo labels and a few hundred demo contacts (loading it again changes nothing)",
    tags: ["demo"],
    access: "admin",
    responses: { 200: { description: "what the demo workspace holds", schema: demoView } },
  }),
  async (c) => {
    const result = await loadDemo(c.env, c.get("db"), c.get("principal").workspaceId, new URL(c.req.url).origin, c.executionCtx);
    return c.json(result);
  },
);

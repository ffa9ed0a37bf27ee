import { Hono } from "hono";
import { campaignCost } from "../costs/spend";
import { findOwned } from "../db/client";
import { campaigns } from "../db/schema";
import type { AppEnv } from "../lib/context";
import { describe, idParam, validate } from "../lib/validate";
import { campaignCostView } from "../views/cost";

export const campaignCostRoutes = new Hono<AppEnv>().get(
  "/:id/cost",
  describe({
    summary:
      "What the campaign has cost so far: delivered messages WhatsApp bills × the rate of their country and category (the card plus the workspace's overrides), per variant and per country, with the estimate taken at launch",
    tags: ["campaigns"],
    access: "user",
    responses: { 200: { description: "cost so far", schema: campaignCostView } },
  }),
  validate("param", idParam),
  async (c) => {
    const db = c.get("db");
    const campaign = await findOwned(db, campaigns, c.req.valid("param").id, c.get("principal").workspaceId, "campaign");
    return c.json(await campaignCost(c.env, db, campaign));
  },
);

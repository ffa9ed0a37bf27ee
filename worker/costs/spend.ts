/**
 * A campaign's cost so far: its object's delivered recipients grouped by variant, phone prefix
 * and the pricing WhatsApp reported, priced at the workspace's rates in force.
 */
import type { z } from "zod";
import type { Db } from "../db/client";
import type { Campaign } from "../db/schema";
import { costSoFar } from "../domain/campaign-cost";
import { hasLaunched } from "../domain/campaign-lifecycle";
import { senderOf } from "../lib/objects";
import type { campaignCostView } from "../views/cost";
import { workspaceOverrides } from "./rates";

export type CampaignCostView = z.output<typeof campaignCostView>;

/** What `campaign` has cost so far (nothing before it is launched), with the estimate taken at launch. */
export async function campaignCost(env: Env, db: Db, campaign: Campaign): Promise<CampaignCostView> {
  const launched = hasLaunched(campaign.status) && campaign.launchedAt !== null;
  const [sent, overrides] = await Promise.all([
    launched ? senderOf(env, campaign.id).cost() : Promise.resolve({ groups: [], estimate: null }),
    workspaceOverrides(db, campaign.workspaceId),
  ]);
  return { ...costSoFar(sent.groups, overrides), estimate: sent.estimate };
}

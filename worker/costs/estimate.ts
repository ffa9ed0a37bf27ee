/**
 * What launching a campaign now would cost: its audience in D1 grouped by phone prefix in one
 * aggregate query (one pass over the audience, whatever its size), priced in the domain at the
 * workspace's rates.
 */
import { and, sql } from "drizzle-orm";
import { audienceScopes, audienceWhere, serviceWindowStart } from "../campaigns/audience";
import type { ResultIds } from "../campaigns/retarget";
import type { Db } from "../db/client";
import { type Campaign, contacts } from "../db/schema";
import { type AudienceGroup, type CostEstimate, estimateCost, type PricedContent } from "../domain/campaign-cost";
import type { Audience, CampaignContent } from "../domain/campaign-settings";
import { PREFIX_DIGITS } from "../domain/phone-country";
import { campaignTemplateCategory } from "../templates/category";
import { workspaceOverrides } from "./rates";

/**
 * The audience's contacts per phone prefix, with how many of them wrote within the 24 h window at
 * `now`: one aggregate query, or one per chunk of an earlier campaign's results for a retargeting
 * audience (`resultIds` reads them).
 */
export async function audienceByPrefix(db: Db, workspaceId: number, audience: Audience, now = Date.now(), resultIds?: ResultIds): Promise<AudienceGroup[]> {
  // E.164 phones: the digits after the "+".
  const prefix = sql<string>`substr(${contacts.phone}, 2, ${sql.raw(String(PREFIX_DIGITS))})`;
  const groups = new Map<string, AudienceGroup>();
  for await (const scope of audienceScopes(audience, resultIds)) {
    const rows = await db
      .select({
        prefix,
        recipients: sql<number>`count(*)`,
        inWindow: sql<number>`sum(coalesce(${contacts.lastInboundAt}, 0) >= ${serviceWindowStart(now)})`,
      })
      .from(contacts)
      .where(and(audienceWhere(workspaceId, audience, scope.strategy), scope.where))
      .groupBy(prefix);
    for (const r of rows) {
      const group = groups.get(r.prefix) ?? { prefix: r.prefix, recipients: 0, inWindow: 0 };
      group.recipients += r.recipients;
      group.inWindow += r.inWindow ?? 0;
      groups.set(r.prefix, group);
    }
  }
  return [...groups.values()];
}

/** How a campaign's content is priced. */
async function pricedContent(db: Db, campaign: Campaign, content: CampaignContent): Promise<PricedContent> {
  return content.type === "text" ? { type: "text" } : { type: "template", category: await campaignTemplateCategory(db, campaign, content) };
}

/** The estimate of launching `campaign` now, at the workspace's rates. */
export async function estimateCampaignCost(db: Db, campaign: Campaign, now = Date.now(), resultIds?: ResultIds): Promise<CostEstimate> {
  const audience = JSON.parse(campaign.audience) as Audience;
  const content = JSON.parse(campaign.content) as CampaignContent;
  const [groups, priced, overrides] = await Promise.all([
    audienceByPrefix(db, campaign.workspaceId, audience, now, resultIds),
    pricedContent(db, campaign, content),
    workspaceOverrides(db, campaign.workspaceId),
  ]);
  return estimateCost(groups, priced, overrides);
}

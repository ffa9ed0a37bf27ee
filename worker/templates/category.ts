import { and, eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { type Campaign, templates } from "../db/schema";
import type { CampaignContent } from "../domain/campaign-settings";

/**
 * The category (lower case: "marketing", "utility", "authentication") of the template a campaign
 * sends, as its inbox last synced it; null for free text or a template the inbox has not synced.
 */
export async function campaignTemplateCategory(db: Db, campaign: Pick<Campaign, "workspaceId" | "inboxId">, content: CampaignContent): Promise<string | null> {
  if (content.type !== "template") return null;
  const row = await db
    .select({ category: templates.category })
    .from(templates)
    .where(
      and(
        eq(templates.workspaceId, campaign.workspaceId),
        eq(templates.inboxId, campaign.inboxId),
        eq(templates.name, content.template_name),
        eq(templates.language, content.language),
      ),
    )
    .get();
  return row ? row.category.toLowerCase() : null;
}

import { and, asc, eq, gt, sql } from "drizzle-orm";
import { labelCondition } from "../db/audience";
import { createDb, type Db } from "../db/client";
import { assertLabelsExist } from "../db/labels";
import { campaigns, contacts, inboxes, templates, type Campaign, type Inbox } from "../db/schema";
import { missingForAudience } from "../domain/campaign-render";
import type { Audience, CampaignContent, SendSettings } from "../domain/campaign-settings";
import { ApiError } from "../lib/errors";
import { templateSnapshot } from "../routes/inbox-messaging";
import type { CampaignConfig, Progress, RecipientInput } from "./campaign-sender";
import { tierLimit } from "./inbox-limiter";

/** Contacts read from D1 per query and handed to the campaign's Durable Object per call. */
const PAGE = 5_000;
/** The customer service window: free text only reaches people who wrote within it. */
export const SERVICE_WINDOW_S = 24 * 3600;

/**
 * Unix seconds where the service window open at `now` (epoch ms) begins: a contact whose last
 * inbound message is older, or who never wrote, is outside the window.
 */
export const serviceWindowStart = (now: number) => Math.floor(now / 1000) - SERVICE_WINDOW_S;

export const senderOf = (env: Env, campaignId: number) => env.CAMPAIGNS.get(env.CAMPAIGNS.idFromName(String(campaignId)));

type AudienceContact = { id: number; name: string; phone: string; attributes: string; lastInboundAt: number | null };

/** Pages through the campaign's audience in id order: label match, opted-out contacts left out. */
async function* audiencePages(db: Db, workspaceId: number, audience: Audience): AsyncGenerator<AudienceContact[]> {
  let cursor = 0;
  for (;;) {
    const page = await db
      .select({ id: contacts.id, name: contacts.name, phone: contacts.phone, attributes: contacts.attributes, lastInboundAt: contacts.lastInboundAt })
      .from(contacts)
      .where(
        and(
          eq(contacts.workspaceId, workspaceId),
          sql`${contacts.optedOutAt} IS NULL`,
          gt(contacts.id, cursor),
          labelCondition({ labels: audience.labels, match: audience.match, excludeLabels: audience.exclude_labels }, "set"),
        ),
      )
      .orderBy(asc(contacts.id))
      .limit(PAGE);
    if (page.length === 0) return;
    yield page;
    cursor = page[page.length - 1]!.id;
    if (page.length < PAGE) return;
  }
}

export type AudienceCheck = {
  recipients: number;
  skipped_outside_window: number;
  /** Template recipients who have not written in 24 h: each counts against the inbox's messaging limit. */
  outside_window: number;
  missing_values: { affected: number; examples: { phone: string; missing: string[] }[] };
};

const toContact = (c: AudienceContact) => ({ name: c.name, phone: c.phone, attributes: JSON.parse(c.attributes) as Record<string, string> });

/**
 * What launching now would freeze: how many recipients, how many free-text recipients fall
 * outside the 24 h window (skipped), and how many lack a variable value with no fallback.
 */
export async function checkAudience(db: Db, campaign: Campaign, now = Date.now()): Promise<AudienceCheck> {
  const audience = JSON.parse(campaign.audience) as Audience;
  const content = JSON.parse(campaign.content) as CampaignContent;
  await assertLabelsExist(db, campaign.workspaceId, [...audience.labels, ...audience.exclude_labels], "audience");
  const windowStart = serviceWindowStart(now);
  const result: AudienceCheck = { recipients: 0, skipped_outside_window: 0, outside_window: 0, missing_values: { affected: 0, examples: [] } };
  for await (const page of audiencePages(db, campaign.workspaceId, audience)) {
    const reachable = content.type === "text" ? page.filter((c) => (c.lastInboundAt ?? 0) >= windowStart) : page;
    result.recipients += page.length;
    if (content.type === "template") result.outside_window += page.filter((c) => (c.lastInboundAt ?? 0) < windowStart).length;
    result.skipped_outside_window += page.length - reachable.length;
    const missing = missingForAudience(content, reachable.map(toContact));
    result.missing_values.affected += missing.affected;
    for (const example of missing.examples) if (result.missing_values.examples.length < 5) result.missing_values.examples.push(example);
  }
  return result;
}

async function loadInbox(db: Db, campaign: Campaign): Promise<Inbox> {
  const inbox = await db
    .select()
    .from(inboxes)
    .where(and(eq(inboxes.id, campaign.inboxId), eq(inboxes.workspaceId, campaign.workspaceId)))
    .get();
  if (!inbox) throw new ApiError("conflict", "the campaign's inbox no longer exists");
  return inbox;
}

/** The approved template a template campaign sends, as it is now. */
export async function approvedTemplate(db: Db, inboxId: number, content: CampaignContent) {
  if (content.type !== "template") return undefined;
  const row = await db
    .select()
    .from(templates)
    .where(and(eq(templates.inboxId, inboxId), eq(templates.name, content.template_name), eq(templates.language, content.language)))
    .get();
  if (!row) throw new ApiError("conflict", `template ${content.template_name} (${content.language}) is not synced for this inbox; sync the inbox's templates`);
  if (row.status !== "APPROVED") throw new ApiError("conflict", `template ${content.template_name} (${content.language}) is ${row.status}; only APPROVED templates can be sent`);
  return templateSnapshot(row);
}

/**
 * Freezes the audience into the campaign's Durable Object and starts sending. Refuses an empty
 * audience and missing variable values before anything is frozen. Safe to call again after a
 * failure half way: the object ignores phones it already holds.
 */
export async function launchCampaign(env: Env, db: Db, campaign: Campaign): Promise<Progress & { warnings?: { outsideWindow: number } }> {
  const audience = JSON.parse(campaign.audience) as Audience;
  const content = JSON.parse(campaign.content) as CampaignContent;
  const settings = JSON.parse(campaign.settings) as SendSettings;
  const inbox = await loadInbox(db, campaign);
  const template = await approvedTemplate(db, inbox.id, content);
  const now = Date.now();
  const check = await checkAudience(db, campaign, now);
  if (check.recipients === 0) throw new ApiError("conflict", "the audience is empty: no contact that has not opted out carries these labels");
  if (content.type === "text" && check.recipients === check.skipped_outside_window) {
    throw new ApiError(
      "conflict",
      `none of the ${check.recipients} contacts wrote in the last 24 hours, so free text cannot reach anyone; use an approved template`,
      check,
    );
  }
  if (check.missing_values.affected > 0) {
    throw new ApiError("conflict", `${check.missing_values.affected} contacts lack a value for a variable that has no fallback`, check.missing_values);
  }

  const sender = senderOf(env, campaign.id);
  const config: CampaignConfig = {
    campaignId: campaign.id,
    workspaceId: campaign.workspaceId,
    inboxId: inbox.id,
    throughputCap: inbox.throughputCap,
    content,
    settings,
    ...(template ? { template } : {}),
  };
  await sender.prepare(config);
  const windowStart = serviceWindowStart(now);
  for await (const page of audiencePages(db, campaign.workspaceId, audience)) {
    const rows: RecipientInput[] = page.map((c) => ({
      contactId: c.id,
      phone: c.phone,
      name: c.name,
      attributes: JSON.parse(c.attributes) as Record<string, string>,
      lastInboundAt: c.lastInboundAt,
      ...(content.type === "text" && (c.lastInboundAt ?? 0) < windowStart ? { skipReason: "outside_service_window" } : {}),
    }));
    await sender.addRecipients(rows);
  }
  await db
    .update(campaigns)
    .set({ status: "sending", statusReason: null, launchedAt: Math.floor(now / 1000), updatedAt: Math.floor(now / 1000) })
    .where(eq(campaigns.id, campaign.id));
  return { ...(await sender.start()), warnings: { outsideWindow: check.outside_window } };
}

/**
 * Starts a scheduled campaign whose time has come, unless it changed meanwhile (moved back to
 * draft, cancelled, rescheduled later or already started). A launch that cannot happen marks the
 * campaign failed with the reason. Used by the campaign's own alarm and by the cron trigger.
 */
export async function launchScheduled(env: Env, campaignId: number): Promise<boolean> {
  const db = createDb(env.DB);
  const campaign = await db.select().from(campaigns).where(eq(campaigns.id, campaignId)).get();
  const now = Date.now();
  if (!campaign || campaign.status !== "scheduled" || (campaign.scheduledAt ?? Infinity) * 1000 > now + 1000) return false;
  try {
    await launchCampaign(env, db, campaign);
    return true;
  } catch (error) {
    const reason = error instanceof ApiError ? error.message : "the launch failed; see the logs";
    console.error(`scheduled campaign ${campaign.id} could not start`, error);
    await db
      .update(campaigns)
      .set({ status: "failed", statusReason: `could not start: ${reason}`, updatedAt: Math.floor(now / 1000) })
      .where(and(eq(campaigns.id, campaign.id), eq(campaigns.status, "scheduled")));
    return false;
  }
}

export type MessagingLimit = { tier: string; limit: number | null; used: number; remaining: number | null; warning: string | null };

/** How much of the inbox's messaging limit is left, and a warning when the audience needs more. */
export async function messagingLimit(env: Env, inbox: Inbox, outsideWindow: number): Promise<MessagingLimit> {
  const limit = tierLimit(inbox.messagingLimitTier);
  const { used } = await env.INBOX_LIMITER.get(env.INBOX_LIMITER.idFromName(String(inbox.id))).usage();
  const remaining = limit === null ? null : Math.max(0, limit - used);
  const warning =
    remaining !== null && outsideWindow > remaining
      ? `${outsideWindow} recipients are outside the 24 h window but the inbox can reach ${remaining} more today (tier ${inbox.messagingLimitTier}, ${used} used); the rest will wait for the limit instead of failing`
      : null;
  return { tier: inbox.messagingLimitTier, limit, used, remaining, warning };
}

import { and, eq } from "drizzle-orm";
import type { z } from "zod";
import { auditStatement, recordAudit, systemActor } from "../audit/record";
import { estimateCampaignCost } from "../costs/estimate";
import { createDb, type Db, getOwned } from "../db/client";
import { type Campaign, campaigns, type Inbox, inboxes, templates, workspaces } from "../db/schema";
import { isFinal } from "../domain/campaign-lifecycle";
import { type Audience, type CampaignContent, type Schedule, type SendSettings, toUtcMillis } from "../domain/campaign-settings";
import { frequencyCapOf, type SkipRules, skippedTotal, skipRulesFor } from "../domain/launch-skips";
import { tierLimit } from "../domain/messaging-limit";
import { estimateSchedule, windowZone } from "../domain/send-window";
import { ApiError } from "../lib/errors";
import { logEvent } from "../lib/log";
import { limiterOf, senderOf } from "../lib/objects";
import { campaignTemplateCategory } from "../templates/category";
import { templateSnapshot } from "../templates/sync";
import type { launchScheduleView, messagingLimitView } from "../views/campaign";
import { type AudienceCheck, checkAudience, MAX_AUDIENCE, serviceWindowStart } from "./audience";
import type { CampaignConfig, Progress } from "./campaign-sender";
import { assertAudienceRefs, resultIdsOf } from "./retarget";

export { type AudienceCheck, SERVICE_WINDOW_S, serviceWindowStart } from "./audience";

/**
 * Who a launch of the campaign at `now` skips: free text outside the 24 h window, a marketing
 * template (its category as synced) to contacts who stopped marketing, and the workspace's
 * frequency cap.
 */
export async function launchSkipRules(db: Db, campaign: Campaign, content: CampaignContent, now: number): Promise<SkipRules> {
  const workspace = await db
    .select({ messages: workspaces.frequencyCapMessages, days: workspaces.frequencyCapDays })
    .from(workspaces)
    .where(eq(workspaces.id, campaign.workspaceId))
    .get();
  return skipRulesFor({
    content: content.type,
    templateCategory: await campaignTemplateCategory(db, campaign, content),
    cap: workspace ? frequencyCapOf(workspace.messages, workspace.days) : null,
    windowStart: serviceWindowStart(now),
    now,
  });
}

/**
 * What launching a campaign now would freeze (the launch preview), its labels and the campaign
 * its results come from (when it retargets one) checked first; `rules` default to the launch's.
 */
export async function previewAudience(env: Env, db: Db, campaign: Campaign, now = Date.now(), rules?: SkipRules): Promise<AudienceCheck> {
  const audience = JSON.parse(campaign.audience) as Audience;
  const content = JSON.parse(campaign.content) as CampaignContent;
  await assertAudienceRefs(db, campaign.workspaceId, audience, "audience.", campaign.id);
  return checkAudience(
    db,
    campaign.workspaceId,
    audience,
    content,
    rules ?? (await launchSkipRules(db, campaign, content, now)),
    now,
    resultIdsOf(env, audience),
  );
}

/** Why nobody would receive the campaign: each reason recipients are skipped for, with its count. */
function everyoneSkipped(check: AudienceCheck): string {
  const reasons = [
    [check.skipped_outside_window, "have not written in the last 24 hours (free text cannot reach them)"],
    [check.skipped.marketing_stopped, "stopped marketing messages at WhatsApp"],
    [check.skipped.frequency_cap, "already received as many campaign messages as the workspace's frequency cap allows"],
  ] as const;
  const said = reasons.filter(([n]) => n > 0).map(([n, why]) => `${n} ${why}`);
  return `all ${check.recipients} contacts would be skipped: ${said.join("; ")}`;
}

async function loadInbox(db: Db, campaign: Campaign): Promise<Inbox> {
  const inbox = await getOwned(db, inboxes, campaign.inboxId, campaign.workspaceId);
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
  if (row.status !== "APPROVED")
    throw new ApiError("conflict", `template ${content.template_name} (${content.language}) is ${row.status}; only APPROVED templates can be sent`);
  return templateSnapshot(row);
}

/**
 * Launches a draft or scheduled campaign: checks the audience in D1 (empty, too large, free text
 * that reaches nobody, missing variable values: refused before anything changes), moves the
 * catalog to `sending` only from the status the launch started from (a cancel or unschedule that
 * came first wins), then has the campaign's object begin: it freezes the audience page by page
 * (within the call for a small audience, in the background for a large one) and sends once it is
 * frozen. While the audience is being frozen the campaign is `sending` with a `status_note`
 * saying so, and `preparing` is true.
 */
export async function launchCampaign(env: Env, db: Db, campaign: Campaign): Promise<Progress & { warnings?: { outsideWindow: number } }> {
  const audience = JSON.parse(campaign.audience) as Audience;
  const content = JSON.parse(campaign.content) as CampaignContent;
  const settings = JSON.parse(campaign.settings) as SendSettings;
  const inbox = await loadInbox(db, campaign);
  const template = await approvedTemplate(db, inbox.id, content);
  const now = Date.now();
  const rules = await launchSkipRules(db, campaign, content, now);
  const check = await previewAudience(env, db, campaign, now, rules);
  if (check.recipients === 0) {
    throw new ApiError(
      "conflict",
      audience.from_campaign
        ? "the audience is empty: no recipient of that campaign in these results is a contact who has not opted out and matches the labels"
        : "the audience is empty: no contact that has not opted out carries these labels",
    );
  }
  if (check.recipients > MAX_AUDIENCE) {
    throw new ApiError(
      "conflict",
      `the audience has ${check.recipients.toLocaleString("en")} contacts; a campaign can reach at most ${MAX_AUDIENCE.toLocaleString("en")}: narrow the labels or split it into several campaigns`,
      { recipients: check.recipients, limit: MAX_AUDIENCE },
    );
  }
  if (content.type === "text" && check.recipients === check.skipped_outside_window) {
    throw new ApiError(
      "conflict",
      `none of the ${check.recipients} contacts wrote in the last 24 hours, so free text cannot reach anyone; use an approved template`,
      check,
    );
  }
  if (check.recipients === skippedTotal(check)) throw new ApiError("conflict", everyoneSkipped(check), check);
  if (check.missing_values.affected > 0) {
    throw new ApiError("conflict", `${check.missing_values.affected} contacts lack a value for a variable that has no fallback`, check.missing_values);
  }

  // Kept with the campaign to compare with what it costs; a failure to price it does not stop the launch.
  const estimate = await estimateCampaignCost(db, campaign, now, resultIdsOf(env, audience)).catch((error: unknown) => {
    logEvent("error", "campaign.cost_estimate_failed", { workspace_id: campaign.workspaceId, campaign_id: campaign.id, error });
    return undefined;
  });

  const nowS = Math.floor(now / 1000);
  const moved = await db
    .update(campaigns)
    .set({ status: "sending", statusReason: null, launchedAt: nowS, updatedAt: nowS })
    .where(and(eq(campaigns.id, campaign.id), eq(campaigns.status, campaign.status)))
    .returning({ id: campaigns.id })
    .get();
  if (!moved) throw new ApiError("conflict", "the campaign changed meanwhile (cancelled, moved back to draft or launched); reload it");

  const config: CampaignConfig = {
    campaignId: campaign.id,
    workspaceId: campaign.workspaceId,
    inboxId: inbox.id,
    throughputCap: inbox.throughputCap,
    content,
    settings: withWindowZone(settings, campaign.timezone),
    ...(template ? { template } : {}),
    audience,
    windowStart: serviceWindowStart(now),
    ...(estimate ? { estimate } : {}),
    skipRules: rules,
  };
  const sender = senderOf(env, campaign.id);
  let progress: Progress & { begun: boolean };
  try {
    progress = await sender.begin(config);
  } catch (error) {
    // Whether the object began decides: it sends on its own once begun, and the catalog follows it.
    const now = await sender.progress().catch(() => null);
    if (now === null || now.status === "draft") {
      await db
        .update(campaigns)
        .set({ status: campaign.status, launchedAt: null, updatedAt: nowS })
        .where(and(eq(campaigns.id, campaign.id), eq(campaigns.status, "sending")));
      throw error;
    }
    logEvent("warn", "campaign.launch_answer_lost", { workspace_id: campaign.workspaceId, campaign_id: campaign.id, message: "the campaign began", error });
    progress = { ...now, begun: true };
  }
  if (!progress.begun && isFinal(progress.status)) {
    // Cancelled between the catalog's move and the object's start: the cancel stands.
    await db
      .update(campaigns)
      .set({ status: progress.status, completedAt: nowS, updatedAt: nowS })
      .where(and(eq(campaigns.id, campaign.id), eq(campaigns.status, "sending")));
  }
  return { ...progress, warnings: { outsideWindow: check.outside_window } };
}

/** The settings with the send window's zone written in (the campaign's own when the window names none), as the campaign's object applies them. */
function withWindowZone(settings: SendSettings, campaignZone: string | null): SendSettings {
  const window = settings.send_window;
  return window ? { ...settings, send_window: { ...window, timezone: windowZone(window, campaignZone) } } : settings;
}

export type LaunchSchedule = z.output<typeof launchScheduleView>;

/**
 * When a campaign launched now, or at `schedule` (a scheduled campaign: at its own time), would
 * send its first message (the window's next opening after that, when it has a window) and its
 * last, for `recipients` at its pace and the inbox's cap (null: no inbox, no cap). A time
 * already past counts as now.
 */
export function launchSchedule(
  campaign: Campaign,
  recipients: number,
  inbox: Pick<Inbox, "throughputCap"> | null,
  now: number,
  schedule?: Schedule,
): LaunchSchedule {
  const scheduledAt = campaign.status === "scheduled" && campaign.scheduledAt !== null ? campaign.scheduledAt * 1000 : now;
  const start = Math.max(now, schedule ? toUtcMillis(schedule.at, schedule.timezone) : scheduledAt);
  const settings = withWindowZone(JSON.parse(campaign.settings) as SendSettings, schedule?.timezone ?? campaign.timezone);
  const window = settings.send_window ?? null;
  const capPerSecond = inbox?.throughputCap ?? Number.POSITIVE_INFINITY;
  const estimate = estimateSchedule({ recipients, settings, capPerSecond, start, window, timeZone: window?.timezone ?? "UTC" });
  return {
    starts_at: new Date(estimate.startsAt).toISOString(),
    estimated_days: estimate.days,
    estimated_end_at: new Date(estimate.endsAt).toISOString(),
  };
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
  if (campaign?.status !== "scheduled" || (campaign.scheduledAt ?? Infinity) * 1000 > now + 1000) return false;
  const herald = systemActor(campaign.workspaceId);
  try {
    await launchCampaign(env, db, campaign);
  } catch (error) {
    const reason = error instanceof ApiError ? error.message : "the launch failed; see the logs";
    logEvent("error", "campaign.scheduled_launch_failed", { workspace_id: campaign.workspaceId, campaign_id: campaign.id, reason, error });
    const statusReason = `could not start: ${reason}`;
    await db.batch([
      db
        .update(campaigns)
        .set({ status: "failed", statusReason, updatedAt: Math.floor(now / 1000) })
        .where(and(eq(campaigns.id, campaign.id), eq(campaigns.status, "scheduled"))),
      auditStatement(db, herald, { action: "campaign.fail", subjectId: campaign.id, detail: { reason: statusReason } }, { ifChanged: true }),
    ]);
    return false;
  }
  await recordAudit(db, herald, { action: "campaign.launch", subjectId: campaign.id, detail: { scheduled: true } });
  return true;
}

export type MessagingLimit = z.output<typeof messagingLimitView>;

/** How much of the inbox's messaging limit is left, and a warning when the audience needs more. */
export async function messagingLimit(env: Env, inbox: Inbox, outsideWindow: number): Promise<MessagingLimit> {
  const limit = tierLimit(inbox.messagingLimitTier);
  const { used } = await limiterOf(env, inbox.id).usage();
  const remaining = limit === null ? null : Math.max(0, limit - used);
  const warning =
    remaining !== null && outsideWindow > remaining
      ? `${outsideWindow} recipients are outside the 24 h window but the inbox can reach ${remaining} more today (tier ${inbox.messagingLimitTier}, ${used} used); the rest will wait for the limit instead of failing`
      : null;
  return { tier: inbox.messagingLimitTier, limit, used, remaining, warning };
}

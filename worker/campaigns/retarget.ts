/**
 * Retargeting: an audience drawn from an earlier campaign's results. That campaign's object keeps
 * its recipients; they are read page by page, in contact id order, and the contacts themselves
 * come from D1 (so label conditions, exclusions and opt-outs apply as they are at launch).
 */
import { type Db, getOwned } from "../db/client";
import { assertLabelsExist } from "../db/labels";
import { type Campaign, campaigns } from "../db/schema";
import { hasLaunched } from "../domain/campaign-lifecycle";
import type { Audience, FromCampaign } from "../domain/campaign-settings";
import { ApiError } from "../lib/errors";
import { senderOf } from "../lib/objects";

/** The contact ids of the chosen results after contact id `after`, in id order, at most `limit`. */
export type ResultIds = (after: number, limit: number) => Promise<number[]>;

/** Reads the ids of a retargeting audience from the earlier campaign's object; undefined for a label audience. */
export function resultIdsOf(env: Env, audience: Audience): ResultIds | undefined {
  const from = audience.from_campaign;
  if (!from) return undefined;
  const sender = senderOf(env, from.campaign_id);
  return (after, limit) => sender.resultContacts(from.states, after, limit);
}

/** Whether the campaign's recipients exist: it launched (a campaign cancelled while scheduled never did). */
export const launched = (c: Pick<Campaign, "status" | "launchedAt">) => hasLaunched(c.status) && c.launchedAt !== null;

const refused = (path: string, message: string) => new ApiError("validation_failed", `${path}: ${message}`, [{ path, message }]);

/**
 * The campaign an audience's results come from, once it is a launched campaign of the workspace
 * other than `selfId` (the campaign the audience belongs to); a 400 naming `path` otherwise
 * (another workspace's campaign is reported exactly like a missing one).
 */
export async function resultSource(db: Db, workspaceId: number, from: FromCampaign, path: string, selfId?: number): Promise<Campaign> {
  if (from.campaign_id === selfId) throw refused(path, "a campaign cannot take its audience from its own results; choose an earlier campaign");
  const source = await getOwned(db, campaigns, from.campaign_id, workspaceId);
  if (!source) throw refused(path, `unknown campaign ${from.campaign_id}`);
  if (!launched(source)) {
    throw refused(path, `campaign ${from.campaign_id} has not launched (it is ${source.status}); only a launched campaign's results can be an audience`);
  }
  return source;
}

/**
 * Checks what an audience refers to: its labels (`<prefix>labels`, `<prefix>exclude_labels`) and
 * the campaign its results come from (`<prefix>from_campaign.campaign_id`).
 * @example await assertAudienceRefs(db, workspaceId, audience, "audience.", campaign.id)
 */
export async function assertAudienceRefs(db: Db, workspaceId: number, audience: Audience, prefix: string, selfId?: number): Promise<void> {
  await assertLabelsExist(db, workspaceId, audience.labels, `${prefix}labels`);
  await assertLabelsExist(db, workspaceId, audience.exclude_labels, `${prefix}exclude_labels`);
  if (audience.from_campaign) await resultSource(db, workspaceId, audience.from_campaign, `${prefix}from_campaign.campaign_id`, selfId);
}

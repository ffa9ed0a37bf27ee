import { and, eq, inArray, lt } from "drizzle-orm";
import { type Db, nowSeconds } from "../db/client";
import { campaigns } from "../db/schema";
import { logEvent } from "../lib/log";
import { senderOf } from "../lib/objects";
import { launchScheduled } from "./launch";

/**
 * The cron trigger's part: starts scheduled campaigns whose time has come and re-arms any
 * sending campaign whose alarm is missing or overdue.
 */
export async function runCampaignCron(env: Env, db: Db): Promise<{ started: number; rearmed: number }> {
  const now = nowSeconds();
  const due = await db
    .select({ id: campaigns.id })
    .from(campaigns)
    .where(and(eq(campaigns.status, "scheduled"), lt(campaigns.scheduledAt, now + 1)))
    .limit(50);
  // One campaign that throws must not hold the others: each is tried on its own.
  const each = async (ids: { id: number }[], step: (id: number) => Promise<boolean>, what: string) => {
    let done = 0;
    for (const { id } of ids) {
      try {
        if (await step(id)) done++;
      } catch (error) {
        logEvent("error", "cron.campaign_step_failed", { campaign_id: id, step: what, error });
      }
    }
    return done;
  };
  const started = await each(due, (id) => launchScheduled(env, id), "the scheduled launch");
  const sending = await db
    .select({ id: campaigns.id })
    .from(campaigns)
    .where(inArray(campaigns.status, ["sending", "paused"]));
  const rearmed = await each(sending, async (id) => (await senderOf(env, id).ensureAlarm()).rearmed, "re-arming its alarm");
  return { started, rearmed };
}

/**
 * A campaign's audience in D1: the launch check as one aggregate query (its cost is one pass over
 * the audience in SQLite, whatever its size), and the keyset pages the campaign's object freezes.
 * A retargeting audience is read in chunks of an earlier campaign's results (see `audienceScopes`).
 */
import { and, asc, eq, gt, type SQL, sql } from "drizzle-orm";
import { labelCondition } from "../db/audience";
import { type Db, idSet } from "../db/client";
import { campaignSends, contacts } from "../db/schema";
import { fieldColumn, missingFor, type RequiredField, requiredFields } from "../domain/campaign-render";
import type { Audience, CampaignContent } from "../domain/campaign-settings";
import type { SkipReason, SkipRules } from "../domain/launch-skips";
import type { ResultIds } from "./retarget";

/** The customer service window: free text only reaches people who wrote within it. */
export const SERVICE_WINDOW_S = 24 * 3600;

/**
 * Unix seconds where the service window open at `now` (epoch ms) begins: a contact whose last
 * inbound message is older, or who never wrote, is outside the window.
 */
export const serviceWindowStart = (now: number) => Math.floor(now / 1000) - SERVICE_WINDOW_S;

/** Whether a contact whose last inbound message was at `lastInboundAt` (unix s; null: never) is outside the window at `now` (epoch ms). */
export const outsideServiceWindow = (lastInboundAt: number | null, now = Date.now()) => lastInboundAt === null || lastInboundAt < serviceWindowStart(now);

/**
 * Most recipients one campaign may have. A campaign's object stores about 0.5 kB per recipient
 * (a million is about half a gigabyte of its 10 GB) and freezes a million in a few minutes; at
 * 80 messages a second a million takes about 3.6 days to send, beyond which a campaign is better
 * split.
 */
export const MAX_AUDIENCE = 1_000_000;

export type AudienceCheck = {
  recipients: number;
  skipped_outside_window: number;
  /** Template recipients who have not written in 24 h: each counts against the inbox's messaging limit. */
  outside_window: number;
  missing_values: { affected: number; examples: { phone: string; missing: string[] }[] };
  /** Recipients skipped for the workspace's frequency cap, and marketing-template recipients who stopped marketing messages. */
  skipped: { frequency_cap: number; marketing_stopped: number };
};

// JavaScript's String.prototype.trim() removes these (among others); SQLite's trim() only spaces.
const BLANKS = " \t\n\v\f\r\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff";

/** SQL that is true when a contact has no value (absent or blank) for a required field. */
function absent(field: RequiredField): SQL {
  const where = fieldColumn(field.key);
  if ("column" in where) {
    return where.column === "name" ? sql`trim(${contacts.name}, ${BLANKS}) = ''` : sql`trim(${contacts.phone}, ${BLANKS}) = ''`;
  }
  return sql`coalesce(trim(${contacts.attributes} ->> ${`$."${where.attribute}"`}, ${BLANKS}), '') = ''`;
}

/** The contacts a campaign with `audience` reaches: the labels matched, opted-out contacts left out. */
export const audienceWhere = (workspaceId: number, audience: Audience, strategy: "set" | "probe") =>
  and(
    eq(contacts.workspaceId, workspaceId),
    sql`${contacts.optedOutAt} IS NULL`,
    labelCondition({ labels: audience.labels, match: audience.match, excludeLabels: audience.exclude_labels }, strategy),
  );

/**
 * SQL giving the reason a contact is skipped under `rules` (the first that applies, in the order of
 * SKIP_REASONS), or NULL when it is sent to. The frequency cap looks for the cap's n-th campaign
 * send to the phone since the cap's start: a bounded range of the campaign_sends phone index.
 */
function skipReasonSql(workspaceId: number, rules: SkipRules): SQL {
  const branches: SQL[] = [];
  const reason = (r: SkipReason) => sql.raw(`'${r}'`);
  if (rules.windowStart !== null) {
    branches.push(sql`WHEN coalesce(${contacts.lastInboundAt}, 0) < ${rules.windowStart} THEN ${reason("outside_service_window")}`);
  }
  if (rules.marketing) branches.push(sql`WHEN ${contacts.marketingStoppedAt} IS NOT NULL THEN ${reason("marketing_stopped")}`);
  if (rules.cap) {
    branches.push(
      sql`WHEN EXISTS (SELECT 1 FROM ${campaignSends} WHERE ${campaignSends.workspaceId} = ${workspaceId} AND ${campaignSends.phone} = ${contacts.phone}
            AND ${campaignSends.sentAt} >= ${rules.cap.since} LIMIT 1 OFFSET ${rules.cap.messages - 1}) THEN ${reason("frequency_cap")}`,
    );
  }
  return branches.length ? sql`(CASE ${sql.join(branches, sql` `)} END)` : sql`NULL`;
}

/**
 * Contact ids read from an earlier campaign's results per chunk when a retargeting audience is
 * counted: each chunk is one call to that campaign's object (a walk of its contact index) and
 * one D1 query probing the ids by primary key (one JSON parameter), so a source of a million
 * recipients takes 200 of each.
 */
export const RESULT_CHUNK = 5_000;

/** A part of an audience that one query reads: the contacts it may hold, and how label conditions are best written for it. */
export type AudienceScope = { where: SQL | undefined; strategy: "set" | "probe" };

const idsIn = (ids: readonly number[]) => sql`${contacts.id} IN ${idSet(ids)}`;

/**
 * The parts an audience is read in: a label audience is one (the whole workspace, label
 * conditions as sets); a retargeting audience one per chunk of the earlier campaign's results
 * (the ids themselves, label conditions probed per contact).
 */
export async function* audienceScopes(audience: Audience, resultIds: ResultIds | undefined, chunk = RESULT_CHUNK): AsyncGenerator<AudienceScope> {
  if (!audience.from_campaign) {
    yield { where: undefined, strategy: "set" };
    return;
  }
  if (!resultIds) throw new Error("a retargeting audience needs its results");
  for (let after = 0; ; ) {
    const ids = await resultIds(after, chunk);
    if (ids.length) yield { where: idsIn(ids), strategy: "probe" };
    if (ids.length < chunk) return;
    after = ids[ids.length - 1]!;
  }
}

/**
 * What launching now would freeze under `rules`: how many recipients, how many are skipped and
 * why, how many template recipients are outside the 24 h window (they count against the messaging
 * limit), and how many lack a variable value with no fallback (with the first five, for the
 * message). Skipped recipients are not sent to, so neither their window nor their gaps count. A
 * retargeting audience (`resultIds` reads its ids) is summed chunk by chunk.
 */
export async function checkAudience(
  db: Db,
  workspaceId: number,
  audience: Audience,
  content: CampaignContent,
  rules: SkipRules,
  now = Date.now(),
  resultIds?: ResultIds,
): Promise<AudienceCheck> {
  const fields = requiredFields(content);
  const lacking = fields.length ? sql.join(fields.map(absent), sql` OR `) : sql`0`;
  const reason = skipReasonSql(workspaceId, rules);
  const sums = { recipients: 0, outside: 0, affected: 0, outsideWindow: 0, marketingStopped: 0, frequencyCap: 0 };
  const examples: AudienceCheck["missing_values"]["examples"] = [];
  for await (const scope of audienceScopes(audience, resultIds)) {
    // Each contact's reason is computed once, in a subquery SQLite does not fold into the aggregate
    // (it never flattens a subquery with an OFFSET), although the aggregate reads it several times.
    const rows = db
      .select({
        reason: sql<SkipReason | null>`${reason}`.as("reason"),
        outside: sql<number>`coalesce(${contacts.lastInboundAt}, 0) < ${serviceWindowStart(now)}`.as("outside"),
        lacking: sql<number>`${lacking}`.as("lacking"),
      })
      .from(contacts)
      .where(and(audienceWhere(workspaceId, audience, scope.strategy), scope.where))
      .limit(-1)
      .offset(0)
      .as("audience");
    const skippedFor = (r: SkipReason) => sql<number | null>`sum(${rows.reason} = ${sql.raw(`'${r}'`)})`;
    const totals = await db
      .select({
        recipients: sql<number>`count(*)`,
        outside: sql<number | null>`sum(${rows.reason} IS NULL AND ${rows.outside})`,
        affected: sql<number | null>`sum(${rows.reason} IS NULL AND ${rows.lacking})`,
        outsideWindow: skippedFor("outside_service_window"),
        marketingStopped: skippedFor("marketing_stopped"),
        frequencyCap: skippedFor("frequency_cap"),
      })
      .from(rows)
      .get();
    for (const key of Object.keys(sums) as (keyof typeof sums)[]) sums[key] += totals?.[key] ?? 0;
    if ((totals?.affected ?? 0) > 0 && examples.length < MISSING_EXAMPLES) {
      const found = await db
        .select({ name: contacts.name, phone: contacts.phone, attributes: contacts.attributes })
        .from(contacts)
        .where(and(audienceWhere(workspaceId, audience, "probe"), scope.where, sql`${reason} IS NULL AND (${lacking})`))
        .orderBy(asc(contacts.id))
        .limit(MISSING_EXAMPLES - examples.length);
      for (const row of found) {
        examples.push({
          phone: row.phone,
          missing: missingFor(content, { name: row.name, phone: row.phone, attributes: JSON.parse(row.attributes) as Record<string, string> }),
        });
      }
    }
  }
  return {
    recipients: sums.recipients,
    skipped_outside_window: sums.outsideWindow,
    outside_window: content.type === "template" ? sums.outside : 0,
    missing_values: { affected: sums.affected, examples },
    skipped: { frequency_cap: sums.frequencyCap, marketing_stopped: sums.marketingStopped },
  };
}

/** Contacts lacking a value the launch check names as examples. */
const MISSING_EXAMPLES = 5;

export type AudienceContact = {
  id: number;
  name: string;
  phone: string;
  attributes: string;
  lastInboundAt: number | null;
  /** Why the launch skips this contact, or null. */
  skipReason: SkipReason | null;
};

/** One page of an audience: its contacts, and the cursor the next page starts after (null: the audience is exhausted). */
export type AudiencePage = { contacts: AudienceContact[]; next: number | null };

/**
 * The audience's contacts after id `cursor`, in id order, each with the reason `rules` skip it: a
 * keyset page read by walking the workspace's contacts from the cursor (no sort, no list of the
 * whole audience), at most `limit`.
 * A retargeting audience reads `limit` ids of the earlier campaign's results after the cursor
 * and those of them the audience takes, in one query: its page may hold fewer than `limit`
 * contacts (even none) before the end.
 */
export async function audiencePage(
  db: Db,
  workspaceId: number,
  audience: Audience,
  rules: SkipRules,
  cursor: number,
  limit: number,
  resultIds?: ResultIds,
): Promise<AudiencePage> {
  const read = (where: SQL | undefined, n: number) =>
    db
      .select({
        id: contacts.id,
        name: contacts.name,
        phone: contacts.phone,
        attributes: contacts.attributes,
        lastInboundAt: contacts.lastInboundAt,
        skipReason: sql<SkipReason | null>`${skipReasonSql(workspaceId, rules)}`,
      })
      .from(contacts)
      .where(and(audienceWhere(workspaceId, audience, "probe"), where))
      .orderBy(asc(contacts.id))
      .limit(n);
  if (!audience.from_campaign) {
    const page = await read(gt(contacts.id, cursor), limit);
    return { contacts: page, next: page.length < limit ? null : page[page.length - 1]!.id };
  }
  if (!resultIds) throw new Error("a retargeting audience needs its results");
  const ids = await resultIds(cursor, limit);
  const page = ids.length ? await read(idsIn(ids), ids.length) : [];
  return { contacts: page, next: ids.length < limit ? null : ids[ids.length - 1]! };
}

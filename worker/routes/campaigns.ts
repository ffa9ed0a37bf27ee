import { and, desc, eq, inArray, isNotNull, isNull, lt, sql } from "drizzle-orm";
import { type Context, Hono } from "hono";
import { z } from "zod";
import { auditStatement, JUST_INSERTED, recordAudit } from "../audit/record";
import { LIVE_STATUS_HEADER, type Progress, RECIPIENT_STATES } from "../campaigns/campaign-sender";
import { approvedTemplate, launchCampaign, launchSchedule, messagingLimit, previewAudience } from "../campaigns/launch";
import { progressView } from "../campaigns/progress";
import { assertAudienceRefs, launched, resultIdsOf } from "../campaigns/retarget";
import { variantResults } from "../campaigns/variant-results";
import { estimateCampaignCost } from "../costs/estimate";
import { type Db, getOwned, isoOrNull, likeContains, nowSeconds } from "../db/client";
import { type Campaign, campaigns, contacts, inboxes } from "../db/schema";
import { workspaceCountry } from "../db/workspaces";
import { changedFields } from "../domain/audit";
import {
  CAMPAIGN_STATUSES,
  type CampaignAction,
  type CampaignStatus,
  hasLaunched,
  isDeletable,
  isEditable,
  operatorActions,
  transition,
} from "../domain/campaign-lifecycle";
import { renderText, resolveTemplateValues } from "../domain/campaign-render";
import { RESULT_STATES } from "../domain/campaign-results";
import {
  type Audience,
  audienceSchema,
  type CampaignContent,
  contentSchema,
  resolveSchedule,
  scheduleSchema,
  sendSettingsSchema,
} from "../domain/campaign-settings";
import { fitTitle, MAX_TITLE_LENGTH } from "../domain/campaign-title";
import { csvLine } from "../domain/csv-export";
import { describeMetaError } from "../domain/error-policy";
import { type OptedOutPhone, optOutRefusal } from "../domain/opt-out";
import { normalizePhone } from "../domain/phone";
import { toTemplateMessage } from "../domain/templates";
import type { AppEnv } from "../lib/context";
import { ApiError, notFound } from "../lib/errors";
import { senderOf } from "../lib/objects";
import { describe, failureMessage, idParam, issuesOf, strictInput, validate } from "../lib/validate";
import { sendOneMessage } from "../messages/send";
import { assertSocketOrigin } from "../middleware/auth";
import { providerFor } from "../provider";
import { assertTemplateValues } from "../templates/values";
import {
  type CampaignView,
  campaignView,
  failureGroupView,
  launchPreviewView,
  type RecipientView,
  recipientView,
  seriesPointView,
  variantResultsView,
} from "../views/campaign";
import { type ResultCountsView, resultCountsView } from "../views/retarget";

const DELETABLE_STATUSES = CAMPAIGN_STATUSES.filter(isDeletable);

const campaignInput = z.object({
  title: z.string().trim().min(1, "is required").max(MAX_TITLE_LENGTH),
  inbox_id: z.number().int().positive(),
  audience: audienceSchema,
  content: contentSchema,
  settings: sendSettingsSchema.default(sendSettingsSchema.parse({})),
});
const campaignPatch = z
  .object({
    title: campaignInput.shape.title,
    inbox_id: campaignInput.shape.inbox_id,
    audience: audienceSchema,
    content: contentSchema,
    /** Only the settings given change; the result is checked as a whole. */
    settings: z.record(z.string(), z.unknown()),
  })
  .partial()
  .refine((v) => Object.keys(v).length > 0, "give at least one field to change");

const launchInput = z.object({ schedule: scheduleSchema.optional() });
const duplicateInput = z.object({ title: campaignInput.shape.title.optional() });
/** The launch preview as if scheduled at `at` in `timezone` (both or neither). */
const previewQuery = scheduleSchema
  .partial()
  .refine((q) => (q.at === undefined) === (q.timezone === undefined), { path: ["timezone"], message: "give at and timezone together, or neither" });
const testInput = z.object({
  phones: z.array(z.string().trim().min(1).max(40)).min(1, "give at least one phone").max(5, "at most 5 phones"),
});
const listQuery = z.object({
  status: z.enum(CAMPAIGN_STATUSES).optional(),
  /** Case-insensitive part of the title. */
  q: z.string().trim().max(100).optional(),
  /** `true`: only campaigns that launched (those whose results can be an audience); `false`: only those that did not. */
  launched: z.enum(["true", "false"]).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().regex(/^\d+$/, "must be the next_cursor of a previous page").optional(),
});
const recipientsQuery = z.object({
  state: z.enum(RECIPIENT_STATES).optional(),
  /** Part of the phone, in digits (a leading + is ignored). */
  phone: z
    .string()
    .trim()
    .max(20, "must be at most 20 characters")
    .regex(/^\+?\d+$/, "must be digits, optionally after a +")
    .optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().regex(/^\d+$/, "must be the next_cursor of a previous page").optional(),
});

/** A campaign with the name of its inbox (null once the inbox is gone). */
type CampaignRow = Campaign & { inboxName: string | null };

function toCampaignView(c: CampaignRow, live?: Progress): CampaignView {
  const snapshot = JSON.parse(c.counters) as Record<string, number>;
  const states = live ? live.states : snapshot;
  const total = live ? live.total : (snapshot.total ?? 0);
  const status = live?.status ?? c.status;
  return {
    id: c.id,
    title: c.title,
    inbox_id: c.inboxId,
    inbox_name: c.inboxName,
    status,
    actions: operatorActions(status),
    status_reason: live ? live.reason : c.statusReason,
    status_note: live?.note ?? null,
    preparing: live?.preparing ?? false,
    audience: JSON.parse(c.audience) as CampaignView["audience"],
    content: JSON.parse(c.content) as CampaignView["content"],
    settings: JSON.parse(c.settings) as CampaignView["settings"],
    scheduled_at: isoOrNull(c.scheduledAt),
    timezone: c.timezone,
    progress: progressView(total, states as Record<string, number>),
    launched_at: isoOrNull(c.launchedAt),
    completed_at: isoOrNull(c.completedAt),
    created_at: isoOrNull(c.createdAt),
    updated_at: isoOrNull(c.updatedAt),
  };
}

/** Campaigns joined with their inbox, for its name. */
const campaignsWithInbox = (db: Db) =>
  db
    .select({ campaign: campaigns, inboxName: inboxes.name })
    .from(campaigns)
    .leftJoin(inboxes, and(eq(inboxes.id, campaigns.inboxId), eq(inboxes.workspaceId, campaigns.workspaceId)));

const toRow = (r: { campaign: Campaign; inboxName: string | null }): CampaignRow => ({ ...r.campaign, inboxName: r.inboxName });

async function findCampaign(db: Db, workspaceId: number, id: number): Promise<CampaignRow> {
  const row = await campaignsWithInbox(db)
    .where(and(eq(campaigns.id, id), eq(campaigns.workspaceId, workspaceId)))
    .get();
  if (!row) throw notFound("campaign", id);
  return toRow(row);
}

/** "Copy of <title>", cut to the title limit. */
const copyTitle = (title: string) => fitTitle(`Copy of ${title}`);

/** The campaign's status as its sender knows it once launched. */
async function liveProgress(env: Env, c: Campaign): Promise<Progress | undefined> {
  return hasLaunched(c.status) && c.launchedAt !== null ? senderOf(env, c.id).progress() : undefined;
}

function allow(status: CampaignStatus, action: CampaignAction): CampaignStatus {
  const t = transition(status, action);
  if (!t.ok) throw new ApiError("conflict", t.message);
  return t.to;
}

/** Checks what a campaign's body refers to (`selfId`: the campaign being changed, if any) and answers its inbox. */
async function checkReferences(
  db: Db,
  workspaceId: number,
  input: { inbox_id?: number; audience?: z.infer<typeof audienceSchema>; content?: CampaignContent },
  inboxId: number,
  selfId?: number,
) {
  const inbox = await getOwned(db, inboxes, inboxId, workspaceId);
  if (!inbox) throw new ApiError("validation_failed", `inbox_id: unknown inbox ${inboxId}`, [{ path: "inbox_id", message: "unknown inbox" }]);
  if (input.audience) await assertAudienceRefs(db, workspaceId, input.audience, "audience.", selfId);
  if (input.content?.type === "template") {
    const template = await approvedTemplate(db, inbox.id, input.content);
    // Every variable needs a source; the text only matters for the check, the source decides at send time.
    const placeholder = (sources?: Record<string, unknown>) => (sources ? Object.fromEntries(Object.keys(sources).map((k) => [k, "x"])) : undefined);
    const { values } = input.content;
    assertTemplateValues(
      template!.variables,
      { header: placeholder(values.header), media: values.media, body: placeholder(values.body), buttons: placeholder(values.buttons) },
      "content.values",
    );
  }
  return inbox;
}

/** Inserts a new draft and its "campaign.create" event in one batch. */
async function insertDraft(c: Context<AppEnv>, values: typeof campaigns.$inferInsert, detail: Record<string, unknown> = {}): Promise<Campaign> {
  const db = c.get("db");
  const [[row]] = await db.batch([
    db.insert(campaigns).values(values).returning(),
    auditStatement(db, c, { action: "campaign.create", subjectId: JUST_INSERTED, detail: { title: values.title, ...detail } }),
  ]);
  return row!;
}

/** The campaign a pause or resume acts on, once its live status allows the action (409 otherwise). */
async function campaignFor(c: Context<AppEnv>, id: number, action: "pause" | "resume"): Promise<CampaignRow> {
  const row = await findCampaign(c.get("db"), c.get("principal").workspaceId, id);
  const live = await liveProgress(c.env, row);
  allow(live?.status ?? row.status, action);
  return row;
}

/**
 * The answer of pause, resume and cancel: the campaign as it now stands, 200 once nothing more is
 * sent, 202 with `in_flight` when sends were still out after the wait (they may reach WhatsApp
 * after this answer).
 */
async function afterSenderAction(c: Context<AppEnv>, row: CampaignRow, progress: Progress & { settled?: boolean; in_flight?: number }) {
  const view = toCampaignView(await findCampaign(c.get("db"), row.workspaceId, row.id), progress);
  if (progress.settled === false) return c.json({ ...view, in_flight: progress.in_flight ?? 0 }, 202);
  return c.json(view, 200);
}

export const campaignRoutes = new Hono<AppEnv>()
  .get(
    "/",
    describe({
      summary: "List campaigns, newest first, with their status and progress; filter by status and by part of the title (q)",
      tags: ["campaigns"],
      access: "user",
      responses: { 200: { description: "campaigns", schema: z.object({ data: z.array(campaignView), next_cursor: z.string().nullable() }) } },
    }),
    validate("query", listQuery),
    async (c) => {
      const q = c.req.valid("query");
      const rows = await campaignsWithInbox(c.get("db"))
        .where(
          and(
            eq(campaigns.workspaceId, c.get("principal").workspaceId),
            q.status ? eq(campaigns.status, q.status) : undefined,
            q.q ? sql`${campaigns.title} LIKE ${likeContains(q.q)} ESCAPE '\\'` : undefined,
            q.launched === undefined ? undefined : q.launched === "true" ? isNotNull(campaigns.launchedAt) : isNull(campaigns.launchedAt),
            q.cursor ? lt(campaigns.id, Number(q.cursor)) : undefined,
          ),
        )
        .orderBy(desc(campaigns.id))
        .limit(q.limit + 1);
      const page = rows.slice(0, q.limit);
      return c.json({
        data: page.map((r) => toCampaignView(toRow(r))),
        next_cursor: rows.length > q.limit ? String(page[page.length - 1]!.campaign.id) : null,
      });
    },
  )
  .post(
    "/",
    describe({
      summary: "Create a campaign as a draft",
      tags: ["campaigns"],
      access: "user",
      responses: { 201: { description: "draft", schema: campaignView } },
    }),
    validate("json", campaignInput),
    async (c) => {
      const input = c.req.valid("json");
      const p = c.get("principal");
      const db = c.get("db");
      const inbox = await checkReferences(db, p.workspaceId, input, input.inbox_id);
      const row = await insertDraft(c, {
        workspaceId: p.workspaceId,
        inboxId: input.inbox_id,
        title: input.title,
        status: "draft",
        audience: JSON.stringify(input.audience),
        content: JSON.stringify(input.content),
        settings: JSON.stringify(input.settings),
        createdBy: p.userId,
      });
      return c.json(toCampaignView({ ...row, inboxName: inbox.name }), 201);
    },
  )
  .get(
    "/:id",
    describe({
      summary: "One campaign with live progress",
      tags: ["campaigns"],
      access: "user",
      responses: { 200: { description: "campaign", schema: campaignView } },
    }),
    validate("param", idParam),
    async (c) => {
      const row = await findCampaign(c.get("db"), c.get("principal").workspaceId, c.req.valid("param").id);
      return c.json(toCampaignView(row, await liveProgress(c.env, row)));
    },
  )
  .get(
    "/:id/live",
    describe({
      summary: "Live progress over a WebSocket (send Upgrade: websocket); without one, poll GET /api/campaigns/:id",
      tags: ["campaigns"],
      access: "user",
      responses: {
        101: {
          description:
            'WebSocket: first the current progress, then each change (at most ~4 a second), as {"type":"progress",status,reason,total,states,progress}',
        },
        403: { description: "a browser page of another origin than the app's (or TRUSTED_ORIGINS)" },
        426: { description: "not a WebSocket upgrade request" },
      },
    }),
    validate("param", idParam),
    async (c) => {
      const row = await findCampaign(c.get("db"), c.get("principal").workspaceId, c.req.valid("param").id);
      if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
        throw new ApiError("upgrade_required", "this is a WebSocket endpoint: send Upgrade: websocket, or poll GET /api/campaigns/:id", undefined, {
          upgrade: "websocket",
        });
      }
      assertSocketOrigin(c);
      // Only the upgrade reaches the object (no credentials); a campaign not launched yet shows the catalog's status.
      const headers = new Headers({ upgrade: "websocket" });
      if (!(hasLaunched(row.status) && row.launchedAt !== null)) headers.set(LIVE_STATUS_HEADER, row.status);
      const res = await senderOf(c.env, row.id).fetch(new Request(c.req.url, { headers }));
      if (!res.webSocket) return new Response(res.body, res);
      // A fresh response, so the app's middleware can add its headers.
      return new Response(null, { status: 101, webSocket: res.webSocket });
    },
  )
  .patch(
    "/:id",
    describe({
      summary: "Change a draft (a launched campaign's content and audience are frozen; its title can still change)",
      tags: ["campaigns"],
      access: "user",
      responses: { 200: { description: "updated", schema: campaignView } },
    }),
    validate("param", idParam),
    validate("json", campaignPatch),
    async (c) => {
      const input = c.req.valid("json");
      const p = c.get("principal");
      const db = c.get("db");
      const row = await findCampaign(db, p.workspaceId, c.req.valid("param").id);
      const onlyTitle = Object.keys(input).every((k) => k === "title");
      if (!onlyTitle && !isEditable(row.status)) {
        throw new ApiError("conflict", `this campaign is ${row.status}: only a draft's inbox, audience, content and settings can change`);
      }
      const inbox = onlyTitle ? undefined : await checkReferences(db, p.workspaceId, input, input.inbox_id ?? row.inboxId, row.id);
      let settings: string | undefined;
      if (input.settings) {
        const merged = strictInput(sendSettingsSchema).safeParse({ ...(JSON.parse(row.settings) as object), ...input.settings });
        if (!merged.success) {
          const issues = issuesOf(merged.error).map((i) => ({ path: `settings.${i.path}`, message: i.message }));
          throw new ApiError("validation_failed", failureMessage("body", issues), issues);
        }
        settings = JSON.stringify(merged.data);
      }
      const [[updated]] = await db.batch([
        db
          .update(campaigns)
          .set({
            ...(input.title === undefined ? {} : { title: input.title }),
            ...(input.inbox_id === undefined ? {} : { inboxId: input.inbox_id }),
            ...(input.audience === undefined ? {} : { audience: JSON.stringify(input.audience) }),
            ...(input.content === undefined ? {} : { content: JSON.stringify(input.content) }),
            ...(settings === undefined ? {} : { settings }),
            updatedAt: nowSeconds(),
          })
          .where(eq(campaigns.id, row.id))
          .returning(),
        auditStatement(db, c, { action: "campaign.update", subjectId: row.id, detail: { fields: changedFields(input) } }),
      ]);
      const fresh = { ...updated!, inboxName: inbox?.name ?? row.inboxName };
      return c.json(toCampaignView(fresh, await liveProgress(c.env, fresh)));
    },
  )
  .delete(
    "/:id",
    describe({
      summary: "Delete a campaign that is not scheduled, sending or paused, with everything its object stored about its recipients",
      tags: ["campaigns"],
      access: "user",
      responses: { 204: { description: "deleted" } },
    }),
    validate("param", idParam),
    async (c) => {
      const db = c.get("db");
      const row = await findCampaign(db, c.get("principal").workspaceId, c.req.valid("param").id);
      if (!isDeletable(row.status)) throw new ApiError("conflict", `cancel the ${row.status} campaign before deleting it`);
      // The object first: if erasing fails, the campaign is still listed and can be deleted again.
      // The object refuses while it may send, and the row goes only while still deletable, so a
      // launch racing the delete either keeps its campaign or begins afresh on the erased object.
      const erased = await senderOf(c.env, row.id).erase();
      if (!erased.erased) throw new ApiError("conflict", `cancel the ${erased.status} campaign before deleting it`);
      const [[deleted]] = await db.batch([
        db
          .delete(campaigns)
          .where(and(eq(campaigns.id, row.id), eq(campaigns.workspaceId, row.workspaceId), inArray(campaigns.status, DELETABLE_STATUSES)))
          .returning({ id: campaigns.id }),
        auditStatement(db, c, { action: "campaign.delete", subjectId: row.id, detail: { title: row.title } }, { ifChanged: true }),
      ]);
      if (!deleted) {
        const now = await findCampaign(db, row.workspaceId, row.id);
        throw new ApiError("conflict", `cancel the ${now.status} campaign before deleting it`);
      }
      return c.body(null, 204);
    },
  )
  .post(
    "/:id/duplicate",
    describe({
      summary:
        'Copy a campaign, whatever its status, as a new draft with the same inbox, audience, content and settings, titled `title` when given (e.g. in the operator\'s language), else "Copy of …"',
      tags: ["campaigns"],
      access: "user",
      responses: { 201: { description: "the new draft", schema: campaignView } },
    }),
    validate("param", idParam),
    validate("json", duplicateInput),
    async (c) => {
      const p = c.get("principal");
      const db = c.get("db");
      const source = await findCampaign(db, p.workspaceId, c.req.valid("param").id);
      const { title } = c.req.valid("json");
      const row = await insertDraft(
        c,
        {
          workspaceId: p.workspaceId,
          inboxId: source.inboxId,
          title: title ?? copyTitle(source.title),
          status: "draft",
          audience: source.audience,
          content: source.content,
          settings: source.settings,
          createdBy: p.userId,
        },
        { duplicate_of: source.id },
      );
      return c.json(toCampaignView({ ...row, inboxName: source.inboxName }), 201);
    },
  )
  .get(
    "/:id/results",
    describe({
      summary:
        "How many of the campaign's recipients are in each result state: the states an audience of another campaign picks them by (`audience.from_campaign`); all 0 before it launched",
      tags: ["campaigns"],
      access: "user",
      responses: { 200: { description: "recipients per result state", schema: resultCountsView } },
    }),
    validate("param", idParam),
    async (c) => {
      const row = await findCampaign(c.get("db"), c.get("principal").workspaceId, c.req.valid("param").id);
      const counts = launched(row)
        ? await senderOf(c.env, row.id).resultCounts()
        : (Object.fromEntries(RESULT_STATES.map((state) => [state, 0])) as ResultCountsView["counts"]);
      return c.json({ campaign_id: row.id, counts } satisfies ResultCountsView);
    },
  )
  .get(
    "/:id/preview",
    describe({
      summary:
        "What launching now (or as scheduled at `at` in `timezone`) would do: recipients, those skipped (free text outside the 24 h window, over the frequency cap, stopped marketing), contacts lacking a variable value, what it would cost (cost_estimate), and when sending would start and end (schedule)",
      tags: ["campaigns"],
      access: "user",
      responses: {
        200: {
          description: "launch preview",
          schema: launchPreviewView,
        },
      },
    }),
    validate("param", idParam),
    validate("query", previewQuery),
    async (c) => {
      const db = c.get("db");
      const row = await findCampaign(db, c.get("principal").workspaceId, c.req.valid("param").id);
      const { at, timezone } = c.req.valid("query");
      const now = Date.now();
      const check = await previewAudience(c.env, db, row, now);
      const inbox = await getOwned(db, inboxes, row.inboxId, row.workspaceId);
      const schedule = launchSchedule(row, check.recipients - check.skipped_outside_window, inbox ?? null, now, at && timezone ? { at, timezone } : undefined);
      return c.json({
        ...check,
        ...(inbox ? { messaging_limit: await messagingLimit(c.env, inbox, check.outside_window) } : {}),
        cost_estimate: await estimateCampaignCost(db, row, now, resultIdsOf(c.env, JSON.parse(row.audience) as Audience)),
        schedule,
      });
    },
  )
  .post(
    "/:id/launch",
    describe({
      summary: "Launch now (freezes the audience and starts sending) or, with `schedule`, at a date and time in a time zone",
      tags: ["campaigns"],
      access: "user",
      responses: { 200: { description: "the campaign", schema: campaignView } },
    }),
    validate("param", idParam),
    validate("json", launchInput),
    async (c) => {
      const { schedule } = c.req.valid("json");
      const db = c.get("db");
      const row = await findCampaign(db, c.get("principal").workspaceId, c.req.valid("param").id);
      if (schedule) {
        allow(row.status, "schedule");
        const resolved = resolveSchedule(schedule, Date.now());
        if (!resolved.ok) throw new ApiError("validation_failed", `schedule.at: ${resolved.message}`, [{ path: "schedule.at", message: resolved.message }]);
        const at = resolved.at;
        const [[updated]] = await db.batch([
          db
            .update(campaigns)
            .set({ status: "scheduled", scheduledAt: Math.floor(at / 1000), timezone: schedule.timezone, updatedAt: nowSeconds() })
            .where(and(eq(campaigns.id, row.id), eq(campaigns.status, row.status)))
            .returning(),
          auditStatement(
            db,
            c,
            { action: "campaign.schedule", subjectId: row.id, detail: { scheduled_at: new Date(at).toISOString(), timezone: schedule.timezone } },
            { ifChanged: true },
          ),
        ]);
        if (!updated) throw new ApiError("conflict", "the campaign changed meanwhile; reload it");
        await senderOf(c.env, row.id).scheduleStart(row.id, at, "scheduled");
        return c.json(toCampaignView({ ...updated, inboxName: row.inboxName }));
      }
      allow(row.status, "start");
      const progress = await launchCampaign(c.env, db, row);
      await recordAudit(db, c, { action: "campaign.launch", subjectId: row.id });
      const fresh = await findCampaign(db, row.workspaceId, row.id);
      const inbox = await db.select().from(inboxes).where(eq(inboxes.id, row.inboxId)).get();
      const outside = progress.warnings?.outsideWindow ?? 0;
      const limit = inbox ? await messagingLimit(c.env, inbox, outside) : null;
      return c.json({ ...toCampaignView(fresh, progress), warnings: limit?.warning ? [limit.warning] : [] });
    },
  )
  .post(
    "/:id/unschedule",
    describe({
      summary: "Move a scheduled campaign back to draft",
      tags: ["campaigns"],
      access: "user",
      responses: { 200: { description: "the draft", schema: campaignView } },
    }),
    validate("param", idParam),
    async (c) => {
      const db = c.get("db");
      const row = await findCampaign(db, c.get("principal").workspaceId, c.req.valid("param").id);
      allow(row.status, "unschedule");
      const [[updated]] = await db.batch([
        db
          .update(campaigns)
          .set({ status: "draft", scheduledAt: null, timezone: null, updatedAt: nowSeconds() })
          .where(and(eq(campaigns.id, row.id), eq(campaigns.status, "scheduled")))
          .returning(),
        auditStatement(db, c, { action: "campaign.unschedule", subjectId: row.id }, { ifChanged: true }),
      ]);
      if (!updated) throw new ApiError("conflict", "the campaign already started");
      await senderOf(c.env, row.id).scheduleStart(row.id, null, "draft");
      return c.json(toCampaignView({ ...updated, inboxName: row.inboxName }));
    },
  )
  .post(
    "/:id/pause",
    describe({
      summary: "Pause: answers once the sends already in flight have settled; nothing is sent after a 200 answer",
      tags: ["campaigns"],
      access: "user",
      responses: {
        200: { description: "paused; nothing more is sent", schema: campaignView },
        202: {
          description: "paused, but `in_flight` sends were still out after 20 s of waiting: they may still reach WhatsApp",
          schema: campaignView.extend({ in_flight: z.number().int() }),
        },
      },
    }),
    validate("param", idParam),
    async (c) => {
      const row = await campaignFor(c, c.req.valid("param").id, "pause");
      const progress = await senderOf(c.env, row.id).pause("paused by an operator");
      await recordAudit(c.get("db"), c, { action: "campaign.pause", subjectId: row.id });
      return afterSenderAction(c, row, progress);
    },
  )
  .post(
    "/:id/resume",
    describe({
      summary: "Resume where the campaign stopped, at the same pace",
      tags: ["campaigns"],
      access: "user",
      responses: { 200: { description: "the campaign", schema: campaignView } },
    }),
    validate("param", idParam),
    async (c) => {
      const row = await campaignFor(c, c.req.valid("param").id, "resume");
      const progress = await senderOf(c.env, row.id).resume();
      await recordAudit(c.get("db"), c, { action: "campaign.resume", subjectId: row.id });
      return afterSenderAction(c, row, progress);
    },
  )
  .post(
    "/:id/cancel",
    describe({
      summary: "Cancel: recipients not sent yet become cancelled; answers once the sends already in flight have settled",
      tags: ["campaigns"],
      access: "user",
      responses: {
        200: { description: "the campaign; nothing more is sent", schema: campaignView },
        202: {
          description: "cancelled, but `in_flight` sends were still out after 20 s of waiting: they may still reach WhatsApp",
          schema: campaignView.extend({ in_flight: z.number().int() }),
        },
      },
    }),
    validate("param", idParam),
    async (c) => {
      const db = c.get("db");
      const row = await findCampaign(db, c.get("principal").workspaceId, c.req.valid("param").id);
      const sender = senderOf(c.env, row.id);
      if (row.status === "scheduled") {
        allow(row.status, "cancel");
        const [[updated]] = await db.batch([
          db
            .update(campaigns)
            .set({ status: "cancelled", updatedAt: nowSeconds(), completedAt: nowSeconds() })
            .where(and(eq(campaigns.id, row.id), eq(campaigns.status, "scheduled")))
            .returning(),
          auditStatement(db, c, { action: "campaign.cancel", subjectId: row.id }, { ifChanged: true }),
        ]);
        if (updated) {
          await sender.scheduleStart(row.id, null, "cancelled");
          // Recorded in the object too, so a launch already under way cannot start it.
          await sender.cancel();
          return c.json(toCampaignView({ ...updated, inboxName: row.inboxName }));
        }
        // The launch moved it to sending meanwhile: cancel the launched campaign.
      }
      const fresh = await findCampaign(db, row.workspaceId, row.id);
      const live = await liveProgress(c.env, fresh);
      // An object that has not begun yet (its launch under way) shows "draft": the catalog's status counts.
      allow(live && live.status !== "draft" ? live.status : fresh.status, "cancel");
      const progress = await sender.cancel();
      if (progress.status === "cancelled") await recordAudit(db, c, { action: "campaign.cancel", subjectId: row.id });
      if (live?.status === "draft" && progress.status === "cancelled") {
        await db
          .update(campaigns)
          .set({ status: "cancelled", updatedAt: nowSeconds(), completedAt: nowSeconds() })
          .where(and(eq(campaigns.id, row.id), eq(campaigns.status, "sending")));
      }
      return afterSenderAction(c, row, progress);
    },
  )
  .post(
    "/:id/test",
    describe({
      summary: "Send the campaign's content to a few phones now (rendered with the matching contact's data), without touching its progress",
      tags: ["campaigns"],
      access: "user",
      responses: {
        200: {
          description: "one result per phone",
          schema: z.object({ results: z.array(z.object({ phone: z.string(), ok: z.boolean(), wamid: z.string().optional(), error: z.string().optional() })) }),
        },
        409: { description: "`opted_out`: a phone belongs to a contact who opted out; nothing was sent", schema: z.object({ error: z.unknown() }) },
      },
    }),
    validate("param", idParam),
    validate("json", testInput),
    async (c) => {
      const p = c.get("principal");
      const db = c.get("db");
      const row = await findCampaign(db, p.workspaceId, c.req.valid("param").id);
      const content = JSON.parse(row.content) as CampaignContent;
      const inbox = await getOwned(db, inboxes, row.inboxId, p.workspaceId);
      if (!inbox) throw new ApiError("conflict", "the campaign's inbox no longer exists");
      const template = await approvedTemplate(db, inbox.id, content);
      const country = await workspaceCountry(db, p.workspaceId);
      const phones = c.req.valid("json").phones.map((raw) => ({ raw, phone: normalizePhone(raw, country) }));
      const e164s = phones.flatMap(({ phone }) => (phone.ok ? [phone.e164] : []));
      const known = e164s.length
        ? await db
            .select()
            .from(contacts)
            .where(and(eq(contacts.workspaceId, p.workspaceId), inArray(contacts.phone, e164s)))
        : [];
      const contactOf = new Map(known.map((k) => [k.phone, k]));
      // Nothing goes out when one of the phones opted out: the operator fixes the list first.
      const optedOut: OptedOutPhone[] = phones.flatMap(({ phone }, i) => {
        const optedOutAt = phone.ok ? contactOf.get(phone.e164)?.optedOutAt : null;
        return phone.ok && optedOutAt != null ? [{ path: `phones.${i}`, phone: phone.e164, optedOutAt }] : [];
      });
      if (optedOut.length) {
        const refusal = optOutRefusal(optedOut);
        throw new ApiError("opted_out", refusal.message, refusal.details);
      }
      // Set up before any send, so a failure here writes no message.
      const provider = await providerFor(c.env, inbox, c.executionCtx);
      const results = [];
      for (const { raw, phone } of phones) {
        if (!phone.ok) {
          results.push({ phone: raw, ok: false, error: phone.reason });
          continue;
        }
        const contact = contactOf.get(phone.e164);
        const who = { name: contact?.name ?? "", phone: phone.e164, attributes: contact ? (JSON.parse(contact.attributes) as Record<string, string>) : {} };
        const rendered = content.type === "text" ? renderText(content.variants[0]!, who) : resolveTemplateValues(content.values, who);
        if (!rendered.ok) {
          results.push({ phone: phone.e164, ok: false, error: `no value for ${rendered.missing.join(", ")}` });
          continue;
        }
        try {
          const { message, error } = await sendOneMessage(db, c.env, {
            workspaceId: p.workspaceId,
            userId: p.userId,
            inbox,
            provider,
            to: phone.e164,
            contact: contact ?? null,
            message:
              "text" in rendered
                ? { kind: "text", body: rendered.text }
                : { kind: "template", name: template!.name, message: toTemplateMessage(template!, rendered.values) },
            stored: { campaign_test: row.id, ...("text" in rendered ? { text: rendered.text } : { values: rendered.values }) },
            callback: `herald:test:${row.id}`,
          });
          results.push(error ? { phone: phone.e164, ok: false, error: error.title } : { phone: phone.e164, ok: true, wamid: message.wamid! });
        } catch (error) {
          // No turn from the number's limiter (over its messaging limit, or busy): nothing was written or sent.
          if (!(error instanceof ApiError)) throw error;
          results.push({ phone: phone.e164, ok: false, error: error.message });
        }
      }
      return c.json({ results });
    },
  )
  .get(
    "/:id/recipients",
    describe({
      summary: "The campaign's recipients in send order, with state and error per recipient; filter by state and by part of the phone; cursor paging",
      tags: ["campaigns"],
      access: "user",
      responses: {
        200: { description: "recipients", schema: z.object({ data: z.array(recipientView), next_cursor: z.string().nullable() }) },
      },
    }),
    validate("param", idParam),
    validate("query", recipientsQuery),
    async (c) => {
      const row = await findCampaign(c.get("db"), c.get("principal").workspaceId, c.req.valid("param").id);
      const q = c.req.valid("query");
      if (!hasLaunched(row.status)) return c.json({ data: [], next_cursor: null });
      const page = await senderOf(c.env, row.id).recipients({
        ...(q.state ? { state: q.state } : {}),
        ...(q.phone ? { phone: q.phone.replace(/^\+/, "") } : {}),
        limit: q.limit,
        ...(q.cursor ? { cursor: Number(q.cursor) } : {}),
      });
      const text = (JSON.parse(row.content) as CampaignContent).type === "text";
      return c.json({ data: page.data.map((r) => toRecipientView(r, text)), next_cursor: page.next_cursor });
    },
  )
  .get(
    "/:id/series",
    describe({
      summary: "Per-minute counts of sends, failures, deliveries, reads and replies, for charting progress over time",
      tags: ["campaigns"],
      access: "user",
      responses: {
        200: {
          description: "series",
          schema: z.object({
            data: z.array(seriesPointView),
          }),
        },
      },
    }),
    validate("param", idParam),
    async (c) => {
      const row = await findCampaign(c.get("db"), c.get("principal").workspaceId, c.req.valid("param").id);
      if (!hasLaunched(row.status) || row.launchedAt === null) return c.json({ data: [] });
      const series = await senderOf(c.env, row.id).series();
      return c.json({ data: series.map((p) => ({ ...p, minute: new Date(p.minute * 1000).toISOString() })) });
    },
  )
  .get(
    "/:id/failures",
    describe({
      summary: "Failed recipients grouped by error code, most frequent first, with what each error means and what to do about it",
      tags: ["campaigns"],
      access: "user",
      responses: {
        200: {
          description: "failures by error code",
          schema: z.object({ data: z.array(failureGroupView) }),
        },
      },
    }),
    validate("param", idParam),
    async (c) => {
      const row = await findCampaign(c.get("db"), c.get("principal").workspaceId, c.req.valid("param").id);
      if (!hasLaunched(row.status) || row.launchedAt === null) return c.json({ data: [] });
      const groups = await senderOf(c.env, row.id).failures();
      return c.json({ data: groups.map((g) => ({ ...g, ...describeMetaError(g.error_code) })) });
    },
  )
  .get(
    "/:id/variants",
    describe({
      summary:
        "Results per wording variant of a free-text campaign (recipients, cumulative counters, read rate = read ÷ delivered, reply rate = replied ÷ delivered) and the best reply rate when it is significant at 95 %",
      tags: ["campaigns"],
      access: "user",
      responses: { 200: { description: "results per variant (a template campaign has none)", schema: variantResultsView } },
    }),
    validate("param", idParam),
    async (c) => {
      const row = await findCampaign(c.get("db"), c.get("principal").workspaceId, c.req.valid("param").id);
      const counts = hasLaunched(row.status) && row.launchedAt !== null ? await senderOf(c.env, row.id).variantStates() : [];
      return c.json(variantResults(JSON.parse(row.content) as CampaignContent, counts));
    },
  )
  .get(
    "/:id/recipients.csv",
    describe({
      summary: "Every recipient as CSV (streamed; safe to open in a spreadsheet)",
      tags: ["campaigns"],
      access: "user",
      responses: { 200: { description: "CSV", contentType: "text/csv", schema: z.string() } },
    }),
    validate("param", idParam),
    validate("query", recipientsQuery.pick({ state: true })),
    async (c) => {
      const row = await findCampaign(c.get("db"), c.get("principal").workspaceId, c.req.valid("param").id);
      const { state } = c.req.valid("query");
      const sender = hasLaunched(row.status) && row.launchedAt !== null ? senderOf(c.env, row.id) : null;
      const text = (JSON.parse(row.content) as CampaignContent).type === "text";
      const encoder = new TextEncoder();
      let cursor: number | undefined;
      let started = false;
      // Pages are pulled from the campaign's object as the client reads, so memory stays flat.
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (!started) {
            started = true;
            controller.enqueue(encoder.encode(csvLine(CSV_COLUMNS)));
            if (!sender) return controller.close();
          }
          const page = await sender!.recipients({ ...(state ? { state } : {}), limit: 500, ...(cursor ? { cursor } : {}) });
          const lines = page.data.map((r) => csvLine(csvValues(toRecipientView(r, text))));
          controller.enqueue(encoder.encode(lines.join("")));
          if (!page.next_cursor) controller.close();
          else cursor = Number(page.next_cursor);
        },
      });
      return new Response(body, {
        headers: {
          "content-type": "text/csv; charset=utf-8",
          "content-disposition": `attachment; filename="campaign-${row.id}-recipients.csv"`,
        },
      });
    },
  );

const CSV_COLUMNS = [
  "phone",
  "name",
  "state",
  "variant",
  "wamid",
  "sent_at",
  "delivered_at",
  "read_at",
  "replied_at",
  "failed_at",
  "error_code",
  "error_title",
  "error_details",
  "reason",
  "content",
] as const;

/** A recipient's CSV cells, in CSV_COLUMNS order: the variant 1-based (empty for a template), the content as JSON. */
function csvValues(v: RecipientView): (string | number | null)[] {
  return CSV_COLUMNS.map((k) => {
    if (k === "variant") return v.variant === null ? null : v.variant + 1;
    const value = v[k];
    return typeof value === "object" && value !== null ? JSON.stringify(value) : (value as string | number | null);
  });
}

const msToIso = (v: unknown) => (typeof v === "number" ? new Date(v).toISOString() : null);

/**
 * A recipient as the API shows it: ISO timestamps, the content it received as JSON, its variant
 * only in a free-text campaign (`text`).
 */
function toRecipientView(r: Record<string, string | number | null>, text: boolean): RecipientView {
  return {
    id: r.id as number,
    contact_id: r.contact_id as number | null,
    phone: r.phone as string,
    name: r.name as string | null,
    state: r.state as RecipientView["state"],
    attempts: r.attempts as number,
    variant: text ? (r.variant as number | null) : null,
    wamid: r.wamid as string | null,
    error_code: r.error_code as number | null,
    error_title: r.error_title as string | null,
    error_details: r.error_details as string | null,
    reason: r.reason as string | null,
    content: typeof r.content === "string" ? (JSON.parse(r.content) as unknown) : null,
    sent_at: msToIso(r.sent_at),
    delivered_at: msToIso(r.delivered_at),
    read_at: msToIso(r.read_at),
    replied_at: msToIso(r.replied_at),
    failed_at: msToIso(r.failed_at),
    updated_at: msToIso(r.updated_at),
  };
}

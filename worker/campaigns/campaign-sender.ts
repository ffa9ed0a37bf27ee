import { DurableObject } from "cloudflare:workers";
import { createDb } from "../db/client";
import type { CostEstimate } from "../domain/campaign-cost";
import { type CampaignAction, type CampaignStatus, transition } from "../domain/campaign-lifecycle";
import {
  canRetry,
  drawGapMs,
  FailureWindow,
  INITIAL_PACING,
  nextReleaseAt,
  type PacingState,
  pickVariant,
  recordRelease,
  retryDelayMs,
} from "../domain/campaign-pacing";
import type { ResultState } from "../domain/campaign-results";
import { deliveryRank } from "../domain/delivery-status";
import type { SkipRules } from "../domain/launch-skips";
import { windowWaitNote } from "../domain/send-window";
import { type FaultPlan, faultPlan } from "../lib/faults";
import { logEvent } from "../lib/log";
import type { LiveProgressView } from "../views/campaign";
import { type AudiencePage, audiencePage } from "./audience";
import { launchScheduled } from "./launch";
import { progressView } from "./progress";
import { resultIdsOf } from "./retarget";
import { CatalogSync } from "./sender/catalog";
import { grantFor } from "./sender/grants";
import { LiveBroadcaster } from "./sender/live";
import { type BilledGroup, CLAIM_TIMEOUT_REASON, type FrozenRecipient, MESSAGING_LIMIT_REASON, type RecipientState, RecipientStore } from "./sender/store";
import type { CampaignConfig, Grant, OutboundJob, Outcome, Progress, StatusUpdate } from "./sender/types";
import { campaignWindowClosedUntil, recipientOpenings, SEND_WINDOW_REASON } from "./sender/window";

export { RECIPIENT_STATES, type RecipientState } from "./sender/store";
export type { CampaignConfig, Grant, OutboundJob, Outcome, Progress, StatusUpdate } from "./sender/types";

/** Milliseconds between ticks while releasing at full speed (min = max = 0). */
const FAST_TICK_MS = 250;
/** Releases a campaign may have outstanding (released or being sent), in seconds of its inbox's cap. */
const OUTSTANDING_S = 1.5;
/** A released recipient nobody claimed within this is handed to the queue again (claims make that safe). */
const RELEASE_TIMEOUT_MS = 60_000;
/** A claimed recipient with no report after this may or may not have been sent: it becomes `unknown`. */
const CLAIM_TIMEOUT_MS = 5 * 60_000;
/** How long pause and cancel wait for sends already in flight. */
const SETTLE_TIMEOUT_MS = 20_000;
/** Template errors after which the campaign cannot go on at all. */
const FATAL_CODES = new Set([132001, 132016]);
/** How long the launch call itself spends freezing the audience; the rest is frozen by the alarm. */
const BEGIN_BUDGET_MS = 300;
/** How long one alarm spends freezing before it yields to other calls. */
const FREEZE_SLICE_MS = 1_000;
/** Contacts read per page while freezing: the first page, and the bounds it adapts within. */
const FIRST_PAGE = 1_000;
const MIN_PAGE = 100;
const MAX_PAGE = 5_000;
/** Bytes of contacts aimed at per page (the page size adapts to the contacts' size). */
const PAGE_BYTES = 512 * 1024;
/** Most contact ids one page of results may hold. */
const MAX_RESULT_PAGE = 10_000;
/** Failed audience reads in a row after which the launch fails (each waits twice as long). */
const MAX_FREEZE_FAILURES = 8;
/** Recipients one tick may set aside until their own send window opens (per-contact windows). */
const MAX_POSTPONED_PER_TICK = 500;

/** The pace of releases: the domain's pacing state, the next release's due time, and how many so far. */
type Pace = { state: PacingState; due: { at: number; batchEnded: boolean }; sequence: number; notBefore: number };
/** Where freezing the audience stands. */
type Freeze = { cursor: number; done: boolean; failures: number; pageSize: number };

/** The launch's skip rules; a campaign launched before they were kept skips only free text outside the window. */
const skipRulesOf = (config: CampaignConfig): SkipRules =>
  config.skipRules ?? { windowStart: config.content.type === "text" ? config.windowStart : null, marketing: false, cap: null };

const startingPace = (now: number): Pace => ({ state: INITIAL_PACING, due: { at: now, batchEnded: false }, sequence: 0, notBefore: now });

/** Header the API sets with the catalog's status of a campaign not launched yet (the object only knows "draft"). */
export const LIVE_STATUS_HEADER = "x-herald-campaign-status";

/**
 * One campaign's sender. Freezes the audience at launch (one row per recipient, one recipient per
 * phone), paces releases with its alarm, grants claims only while sending, and applies reported
 * outcomes. Every state change happens in synchronous SQLite code between awaits, so each tick,
 * claim and report is atomic; ticks are safe to run twice, claims are granted at most once per
 * recipient, and `unknown` outcomes are never sent again. Status changes follow the campaign
 * lifecycle (`domain/campaign-lifecycle`).
 */
export class CampaignSender extends DurableObject<Env> {
  private storeOrNull: RecipientStore | null = null;
  private readonly catalog: CatalogSync;
  private readonly live: LiveBroadcaster;
  private settleWaiters: (() => void)[] = [];
  private freezing = false;
  /** The latest claim time handed out: every claim gets a later one, so it identifies the claim. */
  private lastClaimAt = 0;
  /** How long pause and cancel wait for sends in flight. */
  settleTimeoutMs = SETTLE_TIMEOUT_MS;
  /** How long a claimed recipient waits for its report before it becomes `unknown`. */
  claimTimeoutMs = CLAIM_TIMEOUT_MS;
  /** Injected faults (only ever set in local development with a fault plan; see lib/faults.ts). */
  private readonly faults: FaultPlan | null;
  /** The first wait after a failed audience read (doubled after each failure in a row). */
  freezeRetryMs = 1_000;
  /** Reads one page of the audience from D1 (replaceable to simulate a failing database). */
  readAudience: (config: CampaignConfig, cursor: number, limit: number) => Promise<AudiencePage> = (config, cursor, limit) =>
    audiencePage(createDb(this.env.DB), config.workspaceId, config.audience, skipRulesOf(config), cursor, limit, resultIdsOf(this.env, config.audience));

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.faults = faultPlan(env);
    this.claimTimeoutMs = this.faults?.claimTimeoutMs ?? CLAIM_TIMEOUT_MS;
    this.catalog = new CatalogSync(env.DB, () => this.store);
    this.live = new LiveBroadcaster(ctx, () => ({ message: this.liveMessage(), status: this.status() }));
    // Keep-alive pings are answered without waking a hibernated object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
  }

  // ---- state ------------------------------------------------------------------------------

  /** The object's tables, created on first use: an object erased, or never used, stores nothing. */
  private get store(): RecipientStore {
    return (this.storeOrNull ??= new RecipientStore(this.ctx.storage.sql));
  }

  private getConfig(): CampaignConfig | null {
    return this.store.getMeta<CampaignConfig>("config");
  }

  private config(): CampaignConfig {
    const config = this.getConfig();
    if (!config) throw new Error("campaign not launched");
    return config;
  }

  private status(): CampaignStatus {
    return this.store.getMeta<CampaignStatus>("status") ?? "draft";
  }

  /**
   * `automatic` marks a change Herald made on its own (an automatic pause or failure), which the
   * copy to D1 records in the audit trail; changes asked for through the API are recorded there.
   */
  private setStatus(status: CampaignStatus, reason: string | null = null, automatic = false): void {
    this.store.setMeta("status", status);
    this.store.setMeta("reason", reason);
    this.store.setMeta("automatic", automatic);
  }

  /** Applies a lifecycle action; false (and nothing changes) when the lifecycle does not allow it now. */
  private move(action: CampaignAction, reason: string | null = null, automatic = false): boolean {
    const from = this.status();
    const next = transition(from, action);
    if (!next.ok) return false;
    this.setStatus(next.to, reason, automatic);
    logEvent("info", "campaign.transition", { ...this.logIds(), from, to: next.to, action, reason });
    return true;
  }

  /** The workspace and campaign a log line of this object concerns. */
  private logIds(): { workspace_id?: number; campaign_id?: number } {
    const config = this.getConfig();
    if (config) return { workspace_id: config.workspaceId, campaign_id: config.campaignId };
    const id = this.store.getMeta<number>("campaign_id");
    return id === null ? {} : { campaign_id: id };
  }

  /** Pauses or fails the campaign for a reason Herald found, and logs it as an automatic pause. */
  private stopAutomatically(how: "pause" | "fail", reason: string): void {
    const before = this.status();
    if (how === "fail") this.failCampaign(reason);
    else this.pauseNow(reason, true);
    if (this.status() !== before) logEvent("warn", how === "fail" ? "campaign.auto_fail" : "campaign.auto_pause", { ...this.logIds(), reason });
  }

  /** True once the whole audience is frozen (and for an object launched before freezing moved here). */
  private frozen(): boolean {
    return this.store.getMeta<Freeze>("freeze")?.done ?? true;
  }

  private pace(now: number): Pace {
    const pace = this.store.getMeta<Partial<Pace>>("pace");
    // An object launched before this pace record existed kept only its sequence: it starts a fresh pace.
    if (!pace?.state || !pace.due) return { ...startingPace(now), sequence: pace?.sequence ?? 0 };
    return { notBefore: now, ...pace } as Pace;
  }

  // ---- launch -----------------------------------------------------------------------------

  /**
   * Starts the campaign: keeps `config`, freezes its audience and starts sending once it is
   * frozen. It spends at most BEGIN_BUDGET_MS freezing before it answers; the alarm freezes the
   * rest. A campaign cancelled before (or begun already) is left as it is (`begun: false`).
   * Anything left from an earlier launch that did not finish is dropped first.
   */
  async begin(config: CampaignConfig): Promise<Progress & { begun: boolean }> {
    if (this.status() !== "draft") return { ...this.progress(), begun: false };
    this.store.clearAudience();
    this.store.setMeta("config", config);
    this.store.setMeta("start_at", null);
    this.store.setMeta("window_wait", null);
    this.store.setMeta("freeze", { cursor: 0, done: false, failures: 0, pageSize: FIRST_PAGE } satisfies Freeze);
    this.store.setMeta("pace", startingPace(Date.now()));
    this.move("start");
    await this.freezeSome(BEGIN_BUDGET_MS);
    // Not frozen yet: the alarm goes on (unless a failed read already set it for a later retry).
    if (!this.frozen() && (this.store.getMeta<Freeze>("freeze")?.failures ?? 0) === 0) await this.ctx.storage.setAlarm(Date.now());
    await this.flush(true);
    return { ...this.progress(), begun: true };
  }

  /**
   * Freezes audience pages for up to `budgetMs`: keyset pages of the contacts in id order (of a
   * retargeting audience, pages of the earlier campaign's results, read from D1 with the label
   * conditions), sized to about PAGE_BYTES, written in statements of bounded size. Stops when
   * the campaign is cancelled or failed meanwhile. A read that fails is tried again by the alarm, waiting twice
   * as long each time; after MAX_FREEZE_FAILURES in a row the launch fails and leaves nothing.
   */
  private async freezeSome(budgetMs: number): Promise<void> {
    if (this.freezing) return;
    this.freezing = true;
    try {
      const deadline = Date.now() + budgetMs;
      const config = this.config();
      const open = () => this.status() === "sending" || this.status() === "paused";
      for (;;) {
        const freeze = this.store.getMeta<Freeze>("freeze");
        if (!freeze || freeze.done || !open()) return;
        let page: AudiencePage;
        try {
          page = await this.readAudience(config, freeze.cursor, freeze.pageSize);
        } catch (error) {
          if (!open()) return;
          freeze.failures++;
          logEvent("error", "campaign.audience_read_failed", {
            workspace_id: config.workspaceId,
            campaign_id: config.campaignId,
            failures_in_a_row: freeze.failures,
            error,
          });
          if (freeze.failures >= MAX_FREEZE_FAILURES) {
            await this.failLaunch(`the audience could not be read: ${error instanceof Error ? error.message : String(error)}`);
            return;
          }
          this.store.setMeta("freeze", freeze);
          await this.ctx.storage.setAlarm(Date.now() + this.freezeRetryMs * 2 ** (freeze.failures - 1));
          return;
        }
        // Cancelled while the page was read: nothing more is added.
        if (!open()) return;
        let bytes = 0;
        const rows: FrozenRecipient[] = page.contacts.map((c) => {
          bytes += c.attributes.length + c.name.length + c.phone.length + 64;
          return {
            contactId: c.id,
            phone: c.phone,
            name: c.name,
            attributes: c.attributes,
            lastInboundAt: c.lastInboundAt,
            ...(c.skipReason ? { skipReason: c.skipReason } : {}),
          };
        });
        this.store.addRecipients(rows, Date.now());
        const done = page.next === null;
        const perRow = rows.length ? bytes / rows.length : 1;
        const next: Freeze = {
          cursor: page.next ?? freeze.cursor,
          done,
          failures: 0,
          pageSize: Math.max(MIN_PAGE, Math.min(MAX_PAGE, Math.floor(PAGE_BYTES / perRow))),
        };
        this.store.setMeta("freeze", next);
        if (done) {
          await this.audienceFrozen();
          return;
        }
        if (Date.now() >= deadline) return;
      }
    } finally {
      this.freezing = false;
    }
  }

  /** The whole audience is frozen: a sending campaign starts releasing now (a paused one on resume). */
  private async audienceFrozen(): Promise<void> {
    const now = Date.now();
    this.store.setMeta("pace", startingPace(now));
    this.store.clearOutcomes();
    this.finishIfDone();
    if (this.status() === "sending") {
      this.noteWindow(this.config(), now);
      await this.arm(now);
    }
    await this.flush(true);
  }

  /** A launch that cannot finish: the campaign fails with the reason and keeps no recipient. */
  private async failLaunch(reason: string): Promise<void> {
    this.store.clearAudience();
    this.store.setMeta("freeze", { cursor: 0, done: true, failures: 0, pageSize: FIRST_PAGE } satisfies Freeze);
    this.move("fail", `could not launch: ${reason}`, true);
    await this.flush(true);
  }

  // ---- lifecycle --------------------------------------------------------------------------

  /**
   * Stops granting claims at once, then waits (bounded) until the sends already claimed have
   * reported, so nothing is sent after it returns unless `settled` is false: then `in_flight`
   * sends were still out when it stopped waiting.
   */
  async pause(reason: string | null = null): Promise<Progress & { settled: boolean; in_flight: number }> {
    if (this.status() === "sending") this.pauseNow(reason, false);
    const settled = await this.settle();
    await this.flush(true);
    return { ...this.progress(), settled, in_flight: this.store.count("sending") };
  }

  /** Pauses a sending campaign for a reason Herald found (e.g. its inbox cannot be used), without waiting. */
  async halt(reason: string): Promise<Progress> {
    if (this.status() === "sending") this.stopAutomatically("pause", reason);
    await this.flush(true);
    return this.progress();
  }

  /** Continues where it stopped, at the same pace. */
  async resume(): Promise<Progress> {
    if (this.move("resume")) {
      const config = this.config();
      const now = Date.now();
      const pace = this.pace(now);
      pace.due = { at: now + drawGapMs(config.settings.min_delay_s, config.settings.max_delay_s), batchEnded: false };
      pace.notBefore = now;
      this.store.setMeta("pace", pace);
      this.store.clearOutcomes();
      this.noteWindow(config, now);
      this.finishIfDone();
      await this.arm(now);
    }
    await this.flush(true);
    return this.progress();
  }

  /**
   * Cancels every recipient not sent yet; sends in flight are allowed to settle. An object whose
   * launch has not begun yet records the cancellation, so a launch that comes later does not start.
   */
  async cancel(): Promise<Progress & { settled: boolean; in_flight: number }> {
    const status = this.status();
    if (status === "draft") {
      // Not begun yet: the catalog's campaign is scheduled, or its launch is under way, and a
      // scheduled campaign may be cancelled. Recorded, so a launch that comes later does not
      // begin. There is no recipient yet.
      const next = transition("scheduled", "cancel");
      if (next.ok) this.setStatus(next.to);
    } else if (this.move("cancel")) {
      this.store.cancelUnsent(Date.now());
    }
    const settled = await this.settle();
    await this.flush(true);
    return { ...this.progress(), settled, in_flight: this.store.count("sending") };
  }

  /**
   * Erases everything the object stores, recipients' names, phones, attributes and messages
   * included, and its alarm: the campaign is being deleted. Safe to call again, and on an object
   * never launched. A campaign that may still send (sending or paused, as this object knows it)
   * is left as it is (`erased: false`). Work interrupted by the erase (an alarm or a report
   * waiting on I/O) finds an empty draft when it resumes, and a draft without config releases,
   * claims and stores nothing.
   */
  async erase(): Promise<{ erased: true } | { erased: false; status: CampaignStatus }> {
    const status = this.status();
    if (status === "sending" || status === "paused") return { erased: false, status };
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.storeOrNull = null;
    this.lastClaimAt = 0;
    for (const ws of this.ctx.getWebSockets()) {
      try {
        ws.close(1000, "campaign deleted");
      } catch {
        // already closed
      }
    }
    return { erased: true };
  }

  private async settle(): Promise<boolean> {
    const deadline = Date.now() + this.settleTimeoutMs;
    while (this.store.count("sending") > 0) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(remaining, 500));
        this.settleWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return true;
  }

  private wakeSettlers(): void {
    const waiters = this.settleWaiters;
    this.settleWaiters = [];
    for (const wake of waiters) wake();
  }

  /** Refuses claims from now on; released recipients go back to pending, so a late claim finds nothing. */
  private pauseNow(reason: string | null, automatic: boolean): void {
    if (!this.move("pause", reason, automatic)) return;
    this.store.unrelease(Date.now());
  }

  private failCampaign(reason: string): void {
    if (!this.move("fail", reason, true)) return;
    this.store.cancelUnsent(Date.now(), "campaign failed");
  }

  private finishIfDone(): void {
    const status = this.status();
    if ((status !== "sending" && status !== "paused") || !this.frozen()) return;
    if (this.store.count("pending", "released", "sending") > 0) return;
    this.move("complete");
  }

  // ---- scheduling -------------------------------------------------------------------------

  override async alarm(): Promise<void> {
    const startAt = this.store.getMeta<number>("start_at");
    if (startAt !== null && this.status() === "draft") {
      if (Date.now() >= startAt) await this.startScheduled();
      else await this.ctx.storage.setAlarm(startAt);
      return;
    }
    if (this.faults) await this.tickWithFaults(this.faults);
    else await this.tick();
  }

  /**
   * The alarm's tick under a fault plan (local development only): run twice, one after the other
   * or both at once, and the object reset afterwards, as the plan decides for this alarm.
   */
  private async tickWithFaults(faults: FaultPlan): Promise<void> {
    // The alarm's number is stored, so an object reset by the plan goes on with the next one.
    const count = (this.store.getMeta<number>("fault_plan_alarms") ?? 0) + 1;
    this.store.setMeta("fault_plan_alarms", count);
    const alarm = `${this.getConfig()?.campaignId}:${count}`;
    if (faults.strikes("concurrent_alarm", alarm)) await Promise.all([this.tick(), this.tick()]);
    else await this.tick();
    if (faults.strikes("repeat_alarm", alarm)) await this.tick();
    if (faults.strikes("evict", alarm)) this.ctx.abort(`the campaign object is evicted after alarm ${alarm} (by the fault plan)`);
  }

  /**
   * Arms the alarm for a scheduled launch (the cron trigger is the safety net), or clears it with
   * null when the campaign goes back to draft or is cancelled. `catalogStatus` is the campaign's
   * status in the catalog after the change (scheduled, draft or cancelled): open live sockets get it
   * at once, as they would get any change of a launched campaign.
   */
  async scheduleStart(campaignId: number, at: number | null, catalogStatus: CampaignStatus): Promise<void> {
    if (this.status() !== "draft") return;
    this.store.setMeta("campaign_id", campaignId);
    this.store.setMeta("start_at", at);
    if (at !== null) await this.ctx.storage.setAlarm(at);
    this.live.sendAll(this.liveMessage(catalogStatus));
  }

  private async startScheduled(): Promise<void> {
    this.store.setMeta("start_at", null);
    const id = this.getConfig()?.campaignId ?? Number(this.store.getMeta<number>("campaign_id"));
    await launchScheduled(this.env, id);
  }

  /** Re-arms a sending campaign whose alarm was lost or is overdue (called by the cron trigger). */
  async ensureAlarm(): Promise<{ rearmed: boolean }> {
    const status = this.status();
    const needsAlarm =
      status === "sending" || ((status === "paused" || status === "cancelled" || status === "failed") && (!this.frozen() || this.store.count("sending") > 0));
    if (!needsAlarm) return { rearmed: false };
    const current = await this.ctx.storage.getAlarm();
    if (current !== null && current > Date.now() - 5_000) return { rearmed: false };
    await this.ctx.storage.setAlarm(Date.now());
    return { rearmed: true };
  }

  // ---- the tick ---------------------------------------------------------------------------

  /** One pacing step (or one slice of freezing the audience); safe to run any number of times. */
  async tick(): Promise<void> {
    const status = this.status();
    if (!this.frozen() && (status === "sending" || status === "paused")) {
      // The launch call is freezing right now: look again shortly.
      if (this.freezing) {
        await this.ctx.storage.setAlarm(Date.now() + 200);
        return;
      }
      await this.freezeSome(FREEZE_SLICE_MS);
      const freeze = this.store.getMeta<Freeze>("freeze");
      if (freeze && !freeze.done && freeze.failures === 0) await this.ctx.storage.setAlarm(Date.now());
      await this.flush(false);
      return;
    }
    if (status !== "sending") {
      // Claims whose sender died still expire, so a paused, cancelled or failed campaign settles.
      this.store.expireClaims(Date.now() - this.claimTimeoutMs, Date.now());
      this.finishIfDone();
      const oldest = this.store.oldestClaim();
      if (oldest !== null) await this.ctx.storage.setAlarm(oldest + this.claimTimeoutMs + 1);
      await this.flush(this.status() !== status);
      return;
    }
    const now = Date.now();
    const config = this.config();
    this.store.expireClaims(now - this.claimTimeoutMs, now);
    this.reopenAfterWait(now);
    let released: number[] = [];
    if (campaignWindowClosedUntil(config, now) === null) {
      const stale = this.store.refreshStaleReleases(now - RELEASE_TIMEOUT_MS, now);
      released = [...stale, ...this.release(config, now)];
    } else {
      // Closed: releases nobody claimed yet wait for the opening, as after a pause.
      this.store.unrelease(now);
    }
    if (released.length) await this.enqueue(config, released);
    this.noteWindow(config, now);
    this.finishIfDone();
    await this.flush(false);
    if (this.status() === "sending") await this.arm(this.nextWake(now));
  }

  /** Releases at most this many recipients at once: OUTSTANDING_S seconds of the inbox's cap. */
  private outstandingLimit(config: CampaignConfig): number {
    return Math.max(10, Math.ceil(config.throughputCap * OUTSTANDING_S));
  }

  /**
   * Marks the recipients due now as released, following the campaign's pace (the domain's
   * `nextReleaseAt`), the inbox cap, and the bound on releases outstanding.
   */
  private release(config: CampaignConfig, now: number): number[] {
    const { settings } = config;
    const fast = settings.max_delay_s === 0;
    const pace = this.pace(now);
    if (pace.notBefore > now) return [];
    // At full speed a tick releases what the inbox can send until the next tick.
    const perTick = fast ? Math.max(1, Math.ceil((config.throughputCap * FAST_TICK_MS) / 1000)) : 1;
    const room = this.outstandingLimit(config) - this.store.count("released", "sending");
    // A full window waits for reports (each report re-arms the alarm), not for a timer.
    if (room <= 0) return [];
    const limit = Math.min(perTick, room);
    const out: number[] = [];
    const openingOf = recipientOpenings(config, now);
    let postponed = 0;
    while (out.length < limit && pace.due.at <= now) {
      // A batch pause ends the tick, so one tick never releases more than a batch.
      if (pace.due.batchEnded && settings.batch_pause_s > 0 && out.length > 0) break;
      const row = this.store.nextDue(now);
      if (!row) break;
      const opening = openingOf?.(row.attributes) ?? now;
      if (opening > now) {
        // Its own window is closed: it waits until it opens, and the next recipient gets the turn.
        this.store.postpone(row.id, opening, SEND_WINDOW_REASON, now);
        if (++postponed >= MAX_POSTPONED_PER_TICK) {
          pace.notBefore = now + FAST_TICK_MS;
          break;
        }
        continue;
      }
      const variant =
        row.variant ??
        (config.content.type === "text"
          ? pickVariant(config.content.variants.length, {
              randomize: settings.randomize_variants,
              campaignId: config.campaignId,
              contactId: row.contact_id,
              sequence: pace.sequence,
            })
          : 0);
      this.store.markReleased(row.id, variant, now);
      out.push(row.id);
      pace.sequence++;
      pace.state = recordRelease(pace.state, now, settings);
      pace.due = nextReleaseAt(pace.state, settings, now);
    }
    // Stopped by the per-tick or outstanding bound with more due: the next tick comes a little later.
    if (out.length >= limit && pace.due.at <= now) pace.notBefore = now + FAST_TICK_MS;
    this.store.setMeta("pace", pace);
    return out;
  }

  private async enqueue(config: CampaignConfig, ids: number[]): Promise<void> {
    const group = config.settings.max_delay_s === 0 ? 5 : 1;
    const messages: { body: OutboundJob }[] = [];
    for (let i = 0; i < ids.length; i += group) {
      const body: OutboundJob = { campaignId: config.campaignId, inboxId: config.inboxId, ids: ids.slice(i, i + group) };
      messages.push({ body });
      if (this.faults?.strikes("duplicate_job", `${body.campaignId}:${body.ids.join(",")}`)) messages.push({ body });
    }
    for (let i = 0; i < messages.length; i += 100) await this.env.OUTBOUND.sendBatch(messages.slice(i, i + 100));
  }

  private nextWake(now: number): number {
    const pace = this.pace(now);
    const config = this.getConfig();
    // The campaign's window is closed: it wakes at the opening (and meanwhile only to settle sends in flight).
    const opening = config && campaignWindowClosedUntil(config, now);
    if (opening) return this.store.count("released", "sending") > 0 ? Math.min(opening, now + RELEASE_TIMEOUT_MS) : opening;
    // Waiting for reports: the periodic tick only re-sends releases nobody claimed.
    if (config && this.store.count("released", "sending") >= this.outstandingLimit(config)) return now + RELEASE_TIMEOUT_MS;
    const earliest = Math.max(pace.due.at, pace.notBefore);
    const candidates = [now + RELEASE_TIMEOUT_MS];
    if (this.store.hasNeverTried()) candidates.push(earliest);
    const retry = this.store.nextRetryAt();
    if (retry !== null) candidates.push(Math.max(retry, earliest));
    return Math.max(now, Math.min(...candidates));
  }

  /**
   * Records when the campaign may send again when its window keeps it waiting: the campaign's
   * window is closed, or (per-contact windows) every recipient left waits for its own window.
   * Shown as the status note while sending.
   */
  private noteWindow(config: CampaignConfig, now: number): void {
    let until = campaignWindowClosedUntil(config, now);
    if (until === null && config.settings.send_window?.per_contact_timezone && !this.store.hasNeverTried()) {
      const first = this.store.earliestWait();
      if (first && first.reason === SEND_WINDOW_REASON && first.due_at > now) until = first.due_at;
    }
    if (until !== this.store.getMeta<number>("window_wait")) this.store.setMeta("window_wait", until);
  }

  /**
   * After waiting for the send window, sending starts again at the campaign's pace as after a
   * resume: the first recipient at the opening and the gaps after it, in a new batch, never in
   * a burst for the time spent waiting.
   */
  private reopenAfterWait(now: number): void {
    const until = this.store.getMeta<number>("window_wait");
    if (until === null || until > now) return;
    this.store.setMeta("pace", { ...startingPace(now), sequence: this.pace(now).sequence });
    this.store.setMeta("window_wait", null);
  }

  private async arm(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at || current < Date.now() - 1000) await this.ctx.storage.setAlarm(at);
  }

  // ---- claims and reports -----------------------------------------------------------------

  /**
   * Grants the released recipients among `ids` while the campaign is sending, marking them
   * `sending` first. A paused or cancelled campaign, or a recipient claimed before, gets nothing.
   */
  claim(ids: number[]): { grants: Grant[]; template?: CampaignConfig["template"] } {
    if (this.status() !== "sending" || ids.length === 0) return { grants: [] };
    const config = this.config();
    const now = Math.max(Date.now(), this.lastClaimAt + 1);
    this.lastClaimAt = now;
    const rows = this.store.claim(ids, now);
    const grants: Grant[] = [];
    for (const row of rows) {
      const contact = { name: row.name, phone: row.phone, attributes: JSON.parse(row.attributes) as Record<string, string> };
      const grant = grantFor(config, row, contact, now);
      if ("missing" in grant) {
        this.store.markFailed(row.id, { reason: `no value for ${grant.missing.join(", ")}` }, now);
        continue;
      }
      this.store.setContent(row.id, grant.message);
      grants.push(grant);
    }
    if (grants.length < rows.length) this.finishIfDone();
    return { grants, ...(config.template ? { template: config.template } : {}) };
  }

  /** Whether claimed recipients may still be sent now (the consumer asks just before their send time). */
  isSending(): boolean {
    return this.status() === "sending";
  }

  /**
   * Applies the consumer's outcomes to recipients still `sending`; a repeated report changes
   * nothing. A recipient that was not sent (retry, deferred, returned) goes back to pending while
   * the campaign can still send, and ends `cancelled` when it was cancelled or failed meanwhile.
   */
  async report(outcomes: Outcome[]): Promise<Progress> {
    const now = Date.now();
    const config = this.getConfig();
    // Not launched, or erased since its sends were claimed: there is nothing to apply them to.
    if (!config) return this.progress();
    const store = this.store;
    const ended = this.status() === "cancelled" || this.status() === "failed";
    let campaignError: { code?: number; title: string } | null = null;
    for (const o of outcomes) {
      const current = store.current(o.id);
      if (!current) continue;
      // Only the claim the outcome answers: a report repeated after the recipient was claimed again changes nothing.
      if (o.claim !== undefined && o.claim !== current.claimed_at) continue;
      // A report that comes after its claim timed out still says what happened, when it answers
      // that very claim: the recipient became `unknown` only for want of it.
      const late = current.state === "unknown" && o.claim !== undefined && current.reason === CLAIM_TIMEOUT_REASON;
      if (current.state !== "sending" && !late) continue;
      if (late && o.result === "unknown") continue;
      if (o.result === "sent") {
        store.markSent(o.id, o.wamid, now);
        store.tally("sent", now);
        store.recordOutcome(false);
      } else if (o.result === "failed") {
        store.markFailed(o.id, { code: o.code, title: o.title, details: o.details }, now);
        store.recordOutcome(true);
        store.tally("failed", now);
        if (o.policy === "pause_campaign") campaignError ??= { code: o.code, title: o.title };
      } else if (o.result === "unknown") {
        store.markUnknown(o.id, o.title, now);
      } else if (ended || (late && this.status() === "completed")) {
        // Not sent, and the campaign will send nothing more.
        store.markCancelled(o.id, `campaign ${this.status()}`, now);
      } else if (o.result === "returned") {
        store.giveBack(o.id, null, null, now);
        // No send time was free: nothing more is released before the inbox has room again.
        if (o.until !== undefined) {
          const pace = this.pace(now);
          pace.notBefore = Math.max(pace.notBefore, o.until);
          store.setMeta("pace", pace);
        }
      } else if (o.result === "deferred") {
        // Not the recipient's fault and nothing was sent: back to pending, without using up an attempt.
        store.giveBack(o.id, o.until, MESSAGING_LIMIT_REASON, now);
        store.setMeta("note", o.note);
      } else {
        // A throttled inbox is not the recipient's fault: it does not use up an attempt.
        const attempts = o.policy === "retry_inbox_later" ? current.attempts - 1 : current.attempts;
        if (!canRetry(o.policy, attempts)) {
          store.markFailed(o.id, { code: o.code, title: o.title, reason: `gave up after ${attempts} attempts` }, now);
          store.recordOutcome(true);
          store.tally("failed", now);
        } else {
          store.scheduleRetry(o.id, now + retryDelayMs(o.policy, Math.max(1, attempts), o.delayMs), attempts, o, now);
        }
      }
    }

    if (this.status() === "sending") {
      if (campaignError) {
        const why = `WhatsApp refused the campaign: ${campaignError.title}${campaignError.code ? ` (${campaignError.code})` : ""}`;
        this.stopAutomatically(campaignError.code !== undefined && FATAL_CODES.has(campaignError.code) ? "fail" : "pause", why);
      } else {
        const size = config.settings.failure_window;
        const window = new FailureWindow(
          size,
          this.store.recentOutcomes(size).map((failed) => (failed ? "failed" : "ok")),
        );
        if (window.allFailed()) this.stopAutomatically("fail", `every one of the last ${size} sends failed`);
        else if (window.shouldPause(config.settings.failure_threshold))
          this.stopAutomatically("pause", `${window.failures()} of the last ${size} sends failed`);
      }
    }
    this.finishIfDone();
    if (this.store.count("sending") === 0) this.wakeSettlers();
    if (this.status() === "sending") await this.arm(this.nextWake(now));
    // A report that ends, pauses or fails the campaign reaches the catalog at once.
    await this.flush(this.status() !== "sending");
    return this.progress();
  }

  // ---- reading ----------------------------------------------------------------------------

  progress(): Progress {
    const counts = this.store.counts();
    const status = this.status();
    const preparing = !this.frozen() && (status === "sending" || status === "paused");
    const windowWait = status === "sending" ? this.store.getMeta<number>("window_wait") : null;
    let note: string | null = null;
    if (preparing) note = `preparing the audience: ${counts.total.toLocaleString("en")} recipients so far`;
    else if (windowWait !== null && windowWait > Date.now()) note = windowWaitNote(windowWait);
    else if (status === "sending" && counts.waitingForLimit > 0) note = this.store.getMeta<string>("note");
    return { status, reason: this.store.getMeta<string>("reason"), note, preparing, total: counts.total, states: counts.states };
  }

  recipients(query: { state?: RecipientState; phone?: string; cursor?: number; limit?: number }) {
    return this.store.recipients(query);
  }

  failures() {
    return this.store.failures();
  }

  /** Recipients per variant and state (see RecipientStore.variantStates). */
  variantStates() {
    return this.store.variantStates();
  }

  /**
   * The contact ids of the recipients in the chosen result states, after contact id `after`, in
   * contact id order, at most `limit` (1 to MAX_RESULT_PAGE): the pages a campaign that
   * retargets this one counts and freezes.
   */
  resultContacts(states: ResultState[], after: number, limit: number): number[] {
    return this.store.resultContactIds(states, after, Math.min(Math.max(Math.trunc(limit), 1), MAX_RESULT_PAGE));
  }

  /** How many recipients are in each result state. */
  resultCounts(): Record<ResultState, number> {
    return this.store.resultCounts();
  }

  series() {
    return this.store.series();
  }

  /** Delivered recipients grouped by variant, phone prefix and pricing, with the estimate taken at launch. */
  cost(): { groups: BilledGroup[]; estimate: CostEstimate | null } {
    return { groups: this.store.billing(), estimate: this.getConfig()?.estimate ?? null };
  }

  // ---- D1 snapshot ------------------------------------------------------------------------

  /** Pushes live progress and copies status and counters to the campaign's D1 row (at most once a second unless forced). */
  private async flush(force: boolean): Promise<void> {
    this.live.broadcast();
    const config = this.getConfig();
    if (!config) return;
    const p = this.progress();
    await this.catalog.flush(config, p.status, p.reason, this.store.counts(), force, this.store.getMeta<boolean>("automatic") === true);
  }

  /**
   * Copies the sends not yet in D1 there now, so a reply that arrived before the periodic copy
   * can be matched to its send.
   */
  async flushSendsNow(): Promise<void> {
    const config = this.getConfig();
    if (config) await this.catalog.flushSends(config);
  }

  // ---- live progress (WebSocket, hibernation API) ----------------------------------------

  /**
   * Accepts a WebSocket from the API (which checked the user and the workspace) and sends the
   * current progress at once; later changes are pushed by the broadcaster. Clients only listen.
   */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response("expected Upgrade: websocket", { status: 426, headers: { upgrade: "websocket" } });
    }
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server);
    server.send(this.liveMessage((request.headers.get(LIVE_STATUS_HEADER) as CampaignStatus | null) ?? undefined));
    return new Response(null, { status: 101, webSocket: client });
  }

  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    // The auto-response answers "ping" while hibernated; this covers an awake object too.
    if (message === "ping") ws.send("pong");
  }

  override webSocketClose(_ws: WebSocket, _code: number, _reason: string): void {
    // The runtime replies to the close itself (compatibility flag web_socket_auto_reply_to_close,
    // default since 2026-04-07); a closed socket drops out of getWebSockets().
  }

  override webSocketError(ws: WebSocket): void {
    try {
      ws.close(1011, "error");
    } catch {
      // already closed
    }
  }

  /** `{type:"progress", status, reason, note, preparing, total, states, progress}`, `progress` as GET /api/campaigns/:id shows it. */
  private liveMessage(catalogStatus?: CampaignStatus): string {
    const p = this.progress();
    const status = p.status === "draft" && catalogStatus ? catalogStatus : p.status;
    const message: LiveProgressView = {
      type: "progress",
      status,
      reason: p.reason,
      note: p.note,
      preparing: p.preparing,
      total: p.total,
      states: p.states,
      progress: progressView(p.total, p.states),
    };
    return JSON.stringify(message);
  }

  // ---- delivery tracking ------------------------------------------------------------------

  /**
   * Applies WhatsApp status webhooks to recipients, forward only: sent < failed < delivered < read
   * < replied (a failure yields to a later proof of delivery; nothing moves back). Duplicates and
   * any order give the same result. A status for an `unknown` recipient resolves it; a status whose
   * wamid differs from the recipient's is ignored. The first pricing a message's statuses carry
   * (billable, category) is kept once, whatever the status it came with.
   */
  async applyStatuses(events: StatusUpdate[]): Promise<{ applied: number }> {
    const now = Date.now();
    let applied = 0;
    let priced = 0;
    for (const e of events) {
      const was = this.store.track(e, now);
      // Pricing comes with several statuses of a message, in any order: the first one is kept.
      if (e.billing && this.store.recordBilling(e.recipientId, e.wamid, e.billing)) priced++;
      if (was === null) continue;
      this.store.tally(e.status, e.timestamp * 1000);
      // A status can overtake the sender's report: the message was sent all the same.
      if (deliveryRank(was) === 0) this.store.queueSend(e.recipientId, e.timestamp);
      applied++;
    }
    // A price alone changes the cost shown live, so it is broadcast like a move.
    if (applied || priced) {
      this.finishIfDone();
      if (this.store.count("sending") === 0) this.wakeSettlers();
      await this.flush(false);
    }
    return { applied };
  }

  /** Marks recipients as having replied (once), from an inbound message that answers the campaign. */
  async markReplied(replies: { recipientId: number; timestamp: number }[]): Promise<{ applied: number }> {
    let applied = 0;
    for (const r of replies) {
      if (this.store.markReplied(r.recipientId, r.timestamp * 1000, Date.now())) {
        applied++;
        this.store.tally("replied", r.timestamp * 1000);
      }
    }
    if (applied) await this.flush(false);
    return { applied };
  }
}

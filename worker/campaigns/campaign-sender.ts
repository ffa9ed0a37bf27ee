import { DurableObject } from "cloudflare:workers";
import { canRetry, drawGapMs, FailureWindow, pickVariant, retryDelayMs } from "../domain/campaign-pacing";
import { renderText, resolveTemplateValues } from "../domain/campaign-render";
import type { CampaignContent, SendSettings } from "../domain/campaign-settings";
import type { CampaignStatus } from "../domain/campaign-lifecycle";
import type { TemplateSnapshot, TemplateValues } from "../domain/templates";
import type { ErrorPolicy } from "../provider/types";
import { progressView } from "./progress";

/** What a campaign sends and how, frozen at launch. */
export type CampaignConfig = {
  campaignId: number;
  workspaceId: number;
  inboxId: number;
  throughputCap: number;
  content: CampaignContent;
  settings: SendSettings;
  /** The approved template as it was at launch (template content only). */
  template?: TemplateSnapshot;
};

export type RecipientInput = {
  contactId: number;
  phone: string;
  name: string;
  attributes: Record<string, string>;
  /** Set when the recipient is frozen as skipped, e.g. "outside_service_window". */
  skipReason?: string;
  /** The contact's last inbound message (unix seconds): inside 24 h a send does not count against the messaging limit. */
  lastInboundAt?: number | null;
};

export const RECIPIENT_STATES = ["pending", "released", "sending", "sent", "delivered", "read", "replied", "failed", "skipped", "cancelled", "unknown"] as const;
export type RecipientState = (typeof RECIPIENT_STATES)[number];

/** A recipient the consumer may send to now, with its message rendered. */
export type Grant = {
  id: number;
  to: string;
  /** Last inbound message of the contact at launch (unix seconds), for the messaging-limit guard. */
  inboundAt: number | null;
  callbackData: string;
  message: { kind: "text"; body: string; previewUrl: boolean } | { kind: "template"; values: TemplateValues };
};

export type Outcome =
  | { id: number; result: "sent"; wamid: string }
  | { id: number; result: "failed"; policy: ErrorPolicy; code?: number; title: string; details?: string }
  | { id: number; result: "retry"; policy: ErrorPolicy; code?: number; title: string; delayMs?: number }
  | { id: number; result: "unknown"; title: string }
  /** Not sent: the inbox's messaging limit is reached until `until` (epoch ms). */
  | { id: number; result: "deferred"; until: number; note: string };

export type OutboundJob = { campaignId: number; inboxId: number; ids: number[] };

/** A status webhook for one campaign recipient. */
export type StatusUpdate = {
  recipientId: number;
  wamid: string;
  status: "sent" | "delivered" | "read" | "failed";
  /** Unix seconds, from Meta. */
  timestamp: number;
  errorCode?: number;
  errorTitle?: string;
};

/** Order in which delivery tracking moves a recipient; states before `sent` rank lowest. */
const TRACKED_RANK: Record<string, number> = { pending: 0, released: 0, sending: 0, unknown: 0, sent: 1, failed: 2, delivered: 3, read: 4, replied: 5 };

export type Progress = {
  status: CampaignStatus;
  reason: string | null;
  /** Why a sending campaign is waiting, e.g. for the messaging limit. */
  note: string | null;
  total: number;
  states: Record<RecipientState, number>;
};

/** Milliseconds between ticks while releasing at full speed (min = max = 0). */
const FAST_TICK_MS = 250;
/** A released recipient nobody claimed within this is handed to the queue again (claims make that safe). */
const RELEASE_TIMEOUT_MS = 60_000;
/** A claimed recipient with no report after this may or may not have been sent: it becomes `unknown`. */
const CLAIM_TIMEOUT_MS = 5 * 60_000;
/** How long pause and cancel wait for sends already in flight. */
const SETTLE_TIMEOUT_MS = 20_000;
/** Counters are copied to D1 at most this often while sending. */
const FLUSH_EVERY_MS = 1_000;
/** Template errors after which the campaign cannot go on at all. */
const FATAL_CODES = new Set([132001, 132016]);

type Pace = { nextAt: number; inBatch: number; sequence: number };
type Row = { id: number; contact_id: number; phone: string; name: string; attributes: string; variant: number | null; inbound_at?: number | null };

const FINAL_STATUSES = new Set<CampaignStatus>(["completed", "failed", "cancelled"]);

/** Live progress goes out at most once per this interval per campaign (the latest state wins)... */
const LIVE_INTERVAL_MS = 250;
/** ...except a change to one of these statuses, which is sent at once. */
const LIVE_FINAL_STATUSES = new Set<CampaignStatus>(["completed", "paused", "failed", "cancelled"]);
/** Header the API sets with the catalog's status of a campaign not launched yet (the object only knows "draft"). */
export const LIVE_STATUS_HEADER = "x-herald-campaign-status";

/**
 * One campaign's sender. Holds the frozen audience (one row per recipient, one recipient per
 * phone), paces releases with its alarm, grants claims only while sending, and applies reported
 * outcomes. Every state change happens in synchronous SQLite code between awaits, so each tick,
 * claim and report is atomic; ticks are safe to run twice, claims are granted at most once per
 * recipient, and `unknown` outcomes are never sent again.
 */
export class CampaignSender extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private settleWaiters: (() => void)[] = [];
  private lastFlush = 0;
  /** Live view throttle (in memory: after hibernation the next change simply goes out at once). */
  private liveSentAt = 0;
  private liveLast: string | null = null;
  private liveStatus: CampaignStatus | null = null;
  private liveTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    // Keep-alive pings are answered without waking a hibernated object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS recipients (
        id INTEGER PRIMARY KEY,
        contact_id INTEGER NOT NULL,
        phone TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        attributes TEXT NOT NULL,
        state TEXT NOT NULL,
        due_at INTEGER,
        attempts INTEGER NOT NULL DEFAULT 0,
        variant INTEGER,
        wamid TEXT,
        error_code INTEGER,
        error_title TEXT,
        error_details TEXT,
        reason TEXT,
        content TEXT,
        released_at INTEGER,
        claimed_at INTEGER,
        sent_at INTEGER,
        delivered_at INTEGER,
        read_at INTEGER,
        replied_at INTEGER,
        failed_at INTEGER,
        updated_at INTEGER
      );
      CREATE INDEX IF NOT EXISTS recipients_state_due ON recipients (state, due_at, id);
      CREATE INDEX IF NOT EXISTS recipients_wamid ON recipients (wamid);
      CREATE TABLE IF NOT EXISTS outcomes (seq INTEGER PRIMARY KEY AUTOINCREMENT, failed INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS series (minute INTEGER NOT NULL, kind TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (minute, kind));
      CREATE TABLE IF NOT EXISTS sends_outbox (recipient_id INTEGER PRIMARY KEY, wamid TEXT NOT NULL, phone TEXT NOT NULL, sent_at INTEGER NOT NULL);
    `);
    // Added after the first release of the table: the contact's last inbound message (unix s).
    if (!this.sql.exec<{ name: string }>("PRAGMA table_info(recipients)").toArray().some((c) => c.name === "inbound_at")) {
      this.sql.exec("ALTER TABLE recipients ADD COLUMN inbound_at INTEGER");
    }
  }

  // ---- meta -------------------------------------------------------------------------------

  private getMeta<T>(key: string): T | null {
    const row = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0];
    return row ? (JSON.parse(row.value) as T) : null;
  }

  private setMeta(key: string, value: unknown): void {
    this.sql.exec("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, JSON.stringify(value));
  }

  private config(): CampaignConfig {
    const config = this.getMeta<CampaignConfig>("config");
    if (!config) throw new Error("campaign not prepared");
    return config;
  }

  private status(): CampaignStatus {
    return this.getMeta<CampaignStatus>("status") ?? "draft";
  }

  private reason(): string | null {
    return this.getMeta<string>("reason");
  }

  private setStatus(status: CampaignStatus, reason: string | null = null): void {
    this.setMeta("status", status);
    this.setMeta("reason", reason);
  }

  // ---- freezing ---------------------------------------------------------------------------

  /** Stores the campaign's configuration once; a second call with a launched campaign changes nothing. */
  prepare(config: CampaignConfig): { ok: boolean } {
    if (this.getMeta("config") && this.status() !== "draft") return { ok: false };
    this.setMeta("config", config);
    if (!this.getMeta("status")) this.setStatus("draft");
    return { ok: true };
  }

  /** Adds frozen recipients in send order; a phone already present is ignored. Returns how many were added. */
  addRecipients(rows: RecipientInput[]): { added: number } {
    if (this.status() !== "draft") return { added: 0 };
    const now = Date.now();
    const before = this.count();
    this.sql.exec(
      `INSERT INTO recipients (contact_id, phone, name, attributes, inbound_at, state, reason, updated_at)
       SELECT j.value ->> 'contactId', j.value ->> 'phone', j.value ->> 'name', json(j.value -> 'attributes'), j.value ->> 'lastInboundAt',
              CASE WHEN j.value ->> 'skipReason' IS NULL THEN 'pending' ELSE 'skipped' END, j.value ->> 'skipReason', ?2
       FROM json_each(?1) AS j WHERE true
       ON CONFLICT (phone) DO NOTHING`,
      JSON.stringify(rows),
      now,
    );
    return { added: this.count() - before };
  }

  /** Drops a frozen audience that was not launched (e.g. the launch was refused half way). */
  discard(): void {
    if (this.status() !== "draft") return;
    this.sql.exec("DELETE FROM recipients");
  }

  private count(where = "1 = 1", ...bindings: unknown[]): number {
    return this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM recipients WHERE ${where}`, ...bindings).one().n;
  }

  // ---- lifecycle --------------------------------------------------------------------------

  /** Starts sending (the audience must be frozen). */
  async start(): Promise<Progress> {
    if (this.status() === "draft") {
      this.setStatus("sending");
      this.setMeta("pace", { nextAt: Date.now(), inBatch: 0, sequence: 0 } satisfies Pace);
      this.sql.exec("DELETE FROM outcomes");
      this.finishIfDone();
      await this.arm(Date.now());
    }
    await this.flush(true);
    return this.progress();
  }

  /**
   * Stops granting claims at once, then waits (bounded) until the sends already claimed have
   * reported, so nothing is sent after it returns.
   */
  async pause(reason: string | null = null): Promise<Progress & { settled: boolean }> {
    if (this.status() === "sending") this.pauseNow(reason);
    const settled = await this.settle();
    await this.flush(true);
    return { ...this.progress(), settled };
  }

  /** Continues where it stopped, at the same pace. */
  async resume(): Promise<Progress> {
    if (this.status() === "paused") {
      const config = this.config();
      this.setStatus("sending");
      const pace = this.getMeta<Pace>("pace") ?? { nextAt: 0, inBatch: 0, sequence: 0 };
      const gap = drawGapMs(config.settings.min_delay_s, config.settings.max_delay_s);
      pace.nextAt = Date.now() + gap;
      this.setMeta("pace", pace);
      this.sql.exec("DELETE FROM outcomes");
      this.finishIfDone();
      await this.arm(Date.now());
    }
    await this.flush(true);
    return this.progress();
  }

  /** Cancels every recipient not sent yet; sends in flight are allowed to settle. */
  async cancel(): Promise<Progress & { settled: boolean }> {
    const status = this.status();
    if (!FINAL_STATUSES.has(status)) {
      this.setStatus("cancelled");
      this.sql.exec("UPDATE recipients SET state = 'cancelled', updated_at = ? WHERE state IN ('pending', 'released')", Date.now());
    }
    const settled = await this.settle();
    await this.flush(true);
    return { ...this.progress(), settled };
  }

  private async settle(): Promise<boolean> {
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    while (this.count("state = 'sending'") > 0) {
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

  // ---- the tick ---------------------------------------------------------------------------

  override async alarm(): Promise<void> {
    const startAt = this.getMeta<number>("start_at");
    if (startAt !== null && this.status() === "draft") {
      if (Date.now() >= startAt) await this.startScheduled();
      else await this.ctx.storage.setAlarm(startAt);
      return;
    }
    await this.tick();
  }

  /**
   * Arms the alarm for a scheduled launch (the cron trigger is the safety net), or clears it with
   * null when the campaign goes back to draft or is cancelled. `catalogStatus` is the campaign's
   * status in the catalog after the change (scheduled, draft or cancelled): open live sockets get it
   * at once, as they would get any change of a launched campaign.
   */
  async scheduleStart(campaignId: number, at: number | null, catalogStatus: CampaignStatus): Promise<void> {
    if (this.status() !== "draft") return;
    this.setMeta("campaign_id", campaignId);
    this.setMeta("start_at", at);
    if (at !== null) await this.ctx.storage.setAlarm(at);
    const message = this.liveMessage(catalogStatus);
    for (const ws of this.ctx.getWebSockets()) {
      try {
        ws.send(message);
      } catch {
        // a socket closing right now
      }
    }
  }

  private async startScheduled(): Promise<void> {
    this.setMeta("start_at", null);
    const config = this.getMeta<CampaignConfig>("config");
    const id = config?.campaignId ?? Number(this.getMeta<number>("campaign_id"));
    const { launchScheduled } = await import("./launch");
    await launchScheduled(this.env, id);
  }

  /** One pacing step; safe to run any number of times. */
  async tick(): Promise<void> {
    const status = this.status();
    if (status !== "sending") {
      // Claims whose sender died still expire, so a paused, cancelled or failed campaign settles.
      this.expireClaims(Date.now());
      this.finishIfDone();
      const oldest = this.sql.exec<{ t: number | null }>("SELECT min(claimed_at) AS t FROM recipients WHERE state = 'sending'").one().t;
      if (oldest !== null) await this.ctx.storage.setAlarm(oldest + CLAIM_TIMEOUT_MS + 1);
      await this.flush(this.status() !== status);
      return;
    }
    const now = Date.now();
    const config = this.config();
    this.expireClaims(now);
    const stale = this.sql
      .exec<{ id: number }>("SELECT id FROM recipients WHERE state = 'released' AND released_at < ? LIMIT 500", now - RELEASE_TIMEOUT_MS)
      .toArray()
      .map((r) => r.id);
    if (stale.length) this.sql.exec("UPDATE recipients SET released_at = ? WHERE id IN (SELECT value FROM json_each(?))", now, JSON.stringify(stale));
    const released = [...stale, ...this.release(config, now)];
    if (released.length) await this.enqueue(config, released);
    this.finishIfDone();
    await this.flush(false);
    if (this.status() === "sending") await this.arm(this.nextWake(now));
  }

  /** Marks the recipients due now as released, following the campaign's pace and the inbox cap. */
  private release(config: CampaignConfig, now: number): number[] {
    const { settings } = config;
    const fast = settings.max_delay_s === 0;
    const pace = this.getMeta<Pace>("pace") ?? { nextAt: now, inBatch: 0, sequence: 0 };
    // At full speed a tick releases what the inbox can send until the next tick.
    const limit = fast ? Math.max(1, Math.ceil((config.throughputCap * FAST_TICK_MS) / 1000)) : 1;
    const out: number[] = [];
    while (pace.nextAt <= now && out.length < limit) {
      const row = this.nextDue(now);
      if (!row) break;
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
      this.sql.exec("UPDATE recipients SET state = 'released', released_at = ?, variant = ?, updated_at = ? WHERE id = ?", now, variant, now, row.id);
      out.push(row.id);
      pace.sequence++;
      pace.inBatch++;
      let gap = fast ? 0 : drawGapMs(settings.min_delay_s, settings.max_delay_s);
      if (pace.inBatch >= settings.batch_size) {
        pace.inBatch = 0;
        gap += settings.batch_pause_s * 1000;
      }
      pace.nextAt = now + gap;
    }
    if (fast && pace.nextAt <= now && out.length >= limit) pace.nextAt = now + FAST_TICK_MS;
    this.setMeta("pace", pace);
    return out;
  }

  private async enqueue(config: CampaignConfig, ids: number[]): Promise<void> {
    const group = config.settings.max_delay_s === 0 ? 5 : 1;
    const messages: { body: OutboundJob }[] = [];
    for (let i = 0; i < ids.length; i += group) {
      messages.push({ body: { campaignId: config.campaignId, inboxId: config.inboxId, ids: ids.slice(i, i + group) } });
    }
    for (let i = 0; i < messages.length; i += 100) await this.env.OUTBOUND.sendBatch(messages.slice(i, i + 100));
  }

  private expireClaims(now: number): void {
    this.sql.exec(
      "UPDATE recipients SET state = 'unknown', reason = 'no report from the sender', updated_at = ? WHERE state = 'sending' AND claimed_at < ?",
      now,
      now - CLAIM_TIMEOUT_MS,
    );
  }

  /**
   * The next recipient to release: those never tried first, in send order, then retries that are
   * due, earliest first. Each is a range of the (state, due_at, id) index, so the cost does not
   * grow with the audience.
   */
  private nextDue(now: number): Row | undefined {
    const columns = "id, contact_id, phone, name, attributes, variant";
    return (
      this.sql.exec<Row>(`SELECT ${columns} FROM recipients WHERE state = 'pending' AND due_at IS NULL ORDER BY id LIMIT 1`).toArray()[0] ??
      this.sql.exec<Row>(`SELECT ${columns} FROM recipients WHERE state = 'pending' AND due_at <= ? ORDER BY due_at, id LIMIT 1`, now).toArray()[0]
    );
  }

  private nextWake(now: number): number {
    const pace = this.getMeta<Pace>("pace");
    const candidates = [now + RELEASE_TIMEOUT_MS];
    const neverTried = this.sql.exec("SELECT 1 FROM recipients WHERE state = 'pending' AND due_at IS NULL LIMIT 1").toArray().length > 0;
    if (neverTried && pace) candidates.push(pace.nextAt);
    const retry = this.sql.exec<{ t: number | null }>("SELECT min(due_at) AS t FROM recipients WHERE state = 'pending' AND due_at IS NOT NULL").one().t;
    if (retry !== null) candidates.push(Math.max(retry, pace?.nextAt ?? retry));
    return Math.max(now, Math.min(...candidates));
  }

  private async arm(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at || current < Date.now() - 1000) await this.ctx.storage.setAlarm(at);
  }

  /** Re-arms a sending campaign whose alarm was lost or is overdue (called by the cron trigger). */
  async ensureAlarm(): Promise<{ rearmed: boolean }> {
    if (this.status() !== "sending") return { rearmed: false };
    const current = await this.ctx.storage.getAlarm();
    if (current !== null && current > Date.now() - 5_000) return { rearmed: false };
    await this.ctx.storage.setAlarm(Date.now());
    return { rearmed: true };
  }

  private finishIfDone(): void {
    if (this.status() !== "sending" && this.status() !== "paused") return;
    if (this.count("state IN ('pending', 'released', 'sending')") > 0) return;
    if (this.status() === "paused" && this.count("state = 'pending'") > 0) return;
    this.setStatus("completed");
  }

  // ---- claims and reports -----------------------------------------------------------------

  /**
   * Grants the released recipients among `ids` while the campaign is sending, marking them
   * `sending` first. A paused or cancelled campaign, or a recipient claimed before, gets nothing.
   */
  claim(ids: number[]): { grants: Grant[]; template?: CampaignConfig["template"] } {
    if (this.status() !== "sending" || ids.length === 0) return { grants: [] };
    const config = this.config();
    const now = Date.now();
    const rows = this.sql
      .exec<Row>(
        `UPDATE recipients SET state = 'sending', claimed_at = ?1, attempts = attempts + 1, reason = NULL, updated_at = ?1
         WHERE id IN (SELECT value FROM json_each(?2)) AND state = 'released'
         RETURNING id, contact_id, phone, name, attributes, variant, inbound_at`,
        now,
        JSON.stringify(ids),
      )
      .toArray();
    const grants: Grant[] = [];
    for (const row of rows) {
      const contact = { name: row.name, phone: row.phone, attributes: JSON.parse(row.attributes) as Record<string, string> };
      const grant = this.render(config, row, contact);
      if ("missing" in grant) {
        this.sql.exec(
          "UPDATE recipients SET state = 'failed', reason = ?, failed_at = ?, updated_at = ? WHERE id = ?",
          `no value for ${grant.missing.join(", ")}`,
          now,
          now,
          row.id,
        );
        continue;
      }
      this.sql.exec("UPDATE recipients SET content = ? WHERE id = ?", JSON.stringify(grant.message), row.id);
      grants.push(grant);
    }
    return { grants, ...(config.template ? { template: config.template } : {}) };
  }

  private render(config: CampaignConfig, row: Row, contact: { name: string; phone: string; attributes: Record<string, string> }): Grant | { missing: string[] } {
    const base = { id: row.id, to: row.phone, inboundAt: row.inbound_at ?? null, callbackData: `herald:c:${config.campaignId}:${row.id}` };
    if (config.content.type === "text") {
      const variant = config.content.variants[row.variant ?? 0] ?? config.content.variants[0]!;
      const rendered = renderText(variant, contact);
      if (!rendered.ok) return { missing: rendered.missing };
      return { ...base, message: { kind: "text", body: rendered.text, previewUrl: config.content.preview_url ?? false } };
    }
    const values = resolveTemplateValues(config.content.values, contact);
    if (!values.ok) return { missing: values.missing };
    return { ...base, message: { kind: "template", values: values.values } };
  }

  /** Applies the consumer's outcomes to recipients still `sending`; a repeated report changes nothing. */
  async report(outcomes: Outcome[]): Promise<Progress> {
    const now = Date.now();
    const config = this.config();
    let campaignError: { code?: number; title: string } | null = null;
    for (const o of outcomes) {
      const current = this.sql.exec<{ state: string; attempts: number }>("SELECT state, attempts FROM recipients WHERE id = ?", o.id).toArray()[0];
      if (!current || current.state !== "sending") continue;
      if (o.result === "sent") {
        this.sql.exec("UPDATE recipients SET state = 'sent', wamid = ?, sent_at = ?, updated_at = ? WHERE id = ?", o.wamid, now, now, o.id);
        this.tally("sent", now);
        this.sql.exec(
          "INSERT INTO sends_outbox (recipient_id, wamid, phone, sent_at) SELECT id, wamid, phone, ? FROM recipients WHERE id = ? ON CONFLICT DO NOTHING",
          Math.floor(now / 1000),
          o.id,
        );
        this.sql.exec("INSERT INTO outcomes (failed) VALUES (0)");
      } else if (o.result === "failed") {
        this.sql.exec(
          "UPDATE recipients SET state = 'failed', error_code = ?, error_title = ?, error_details = ?, failed_at = ?, updated_at = ? WHERE id = ?",
          o.code ?? null,
          o.title,
          o.details ?? null,
          now,
          now,
          o.id,
        );
        this.sql.exec("INSERT INTO outcomes (failed) VALUES (1)");
        this.tally("failed", now);
        if (o.policy === "pause_campaign") campaignError ??= { code: o.code, title: o.title };
      } else if (o.result === "retry") {
        // A throttled inbox is not the recipient's fault: it does not use up an attempt.
        const attempts = o.policy === "retry_inbox_later" ? current.attempts - 1 : current.attempts;
        if (!canRetry(o.policy, attempts)) {
          this.sql.exec(
            "UPDATE recipients SET state = 'failed', error_code = ?, error_title = ?, reason = ?, failed_at = ?, updated_at = ? WHERE id = ?",
            o.code ?? null,
            o.title,
            `gave up after ${attempts} attempts`,
            now,
            now,
            o.id,
          );
          this.sql.exec("INSERT INTO outcomes (failed) VALUES (1)");
        } else {
          this.sql.exec(
            "UPDATE recipients SET state = 'pending', due_at = ?, attempts = ?, error_code = ?, error_title = ?, updated_at = ? WHERE id = ?",
            now + retryDelayMs(o.policy, Math.max(1, attempts), o.delayMs),
            attempts,
            o.code ?? null,
            o.title,
            now,
            o.id,
          );
        }
      } else if (o.result === "deferred") {
        // Not the recipient's fault and nothing was sent: back to pending, without using up an attempt.
        this.sql.exec(
          "UPDATE recipients SET state = 'pending', due_at = ?, attempts = attempts - 1, reason = 'messaging_limit', updated_at = ? WHERE id = ?",
          o.until,
          now,
          o.id,
        );
        this.setMeta("note", o.note);
      } else {
        this.sql.exec("UPDATE recipients SET state = 'unknown', reason = ?, updated_at = ? WHERE id = ?", o.title, now, o.id);
      }
    }
    this.sql.exec("DELETE FROM outcomes WHERE seq <= (SELECT max(seq) FROM outcomes) - ?", config.settings.failure_window);

    if (this.status() === "sending") {
      if (campaignError) {
        const why = `WhatsApp refused the campaign: ${campaignError.title}${campaignError.code ? ` (${campaignError.code})` : ""}`;
        if (campaignError.code !== undefined && FATAL_CODES.has(campaignError.code)) this.failCampaign(why);
        else this.pauseNow(why);
      } else {
        const window = this.failureWindow(config.settings.failure_window);
        if (window.allFailed()) this.failCampaign(`every one of the last ${config.settings.failure_window} sends failed`);
        else if (window.shouldPause(config.settings.failure_threshold)) {
          this.pauseNow(`${window.failures()} of the last ${config.settings.failure_window} sends failed`);
        }
      }
    }
    this.finishIfDone();
    if (this.count("state = 'sending'") === 0) this.wakeSettlers();
    if (this.status() === "sending") await this.arm(this.nextWake(now));
    // A report that ends, pauses or fails the campaign reaches the catalog at once.
    await this.flush(this.status() !== "sending");
    return this.progress();
  }

  /** Adds one event to the per-minute series the UI charts (`at` in epoch ms). */
  private tally(kind: "sent" | "failed" | "delivered" | "read" | "replied", at: number): void {
    this.sql.exec(
      "INSERT INTO series (minute, kind, n) VALUES (?, ?, 1) ON CONFLICT (minute, kind) DO UPDATE SET n = n + 1",
      Math.floor(at / 60_000) * 60,
      kind,
    );
  }

  /** Events per minute (unix seconds of the minute's start), oldest first. */
  series(): { minute: number; sent: number; failed: number; delivered: number; read: number; replied: number }[] {
    const byMinute = new Map<number, { minute: number; sent: number; failed: number; delivered: number; read: number; replied: number }>();
    for (const row of this.sql.exec<{ minute: number; kind: string; n: number }>("SELECT minute, kind, n FROM series ORDER BY minute").toArray()) {
      const entry = byMinute.get(row.minute) ?? { minute: row.minute, sent: 0, failed: 0, delivered: 0, read: 0, replied: 0 };
      entry[row.kind as "sent"] = row.n;
      byMinute.set(row.minute, entry);
    }
    return [...byMinute.values()];
  }

  private wakeSettlers(): void {
    const waiters = this.settleWaiters;
    this.settleWaiters = [];
    for (const wake of waiters) wake();
  }

  /** Refuses claims from now on; released recipients go back to pending, so a late claim finds nothing. */
  private pauseNow(reason: string | null): void {
    this.setStatus("paused", reason);
    this.sql.exec("UPDATE recipients SET state = 'pending', updated_at = ? WHERE state = 'released'", Date.now());
  }

  private failCampaign(reason: string): void {
    this.setStatus("failed", reason);
    this.sql.exec("UPDATE recipients SET state = 'cancelled', reason = 'campaign failed', updated_at = ? WHERE state IN ('pending', 'released')", Date.now());
  }

  private failureWindow(size: number): FailureWindow {
    const window = new FailureWindow(size);
    for (const row of this.sql.exec<{ failed: number }>("SELECT failed FROM outcomes ORDER BY seq").toArray()) window.record(row.failed ? "failed" : "ok");
    return window;
  }

  // ---- reading ----------------------------------------------------------------------------

  progress(): Progress {
    const states = Object.fromEntries(RECIPIENT_STATES.map((s) => [s, 0])) as Record<RecipientState, number>;
    let total = 0;
    for (const row of this.sql.exec<{ state: RecipientState; n: number }>("SELECT state, count(*) AS n FROM recipients GROUP BY state").toArray()) {
      states[row.state] = row.n;
      total += row.n;
    }
    const waiting = this.status() === "sending" && this.count("state = 'pending' AND reason = 'messaging_limit'") > 0;
    return { status: this.status(), reason: this.reason(), note: waiting ? this.getMeta<string>("note") : null, total, states };
  }

  /**
   * Recipients in send order, optionally of one state and whose phone contains `phone` (digits),
   * after the id `cursor`.
   */
  recipients(query: { state?: RecipientState; phone?: string; cursor?: number; limit?: number }) {
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
    const rows = this.sql
      .exec<Record<string, string | number | null>>(
        `SELECT id, contact_id, phone, name, state, attempts, variant, wamid, error_code, error_title, error_details, reason, content,
                sent_at, delivered_at, read_at, replied_at, failed_at, updated_at
         FROM recipients WHERE id > ?1 AND (?2 IS NULL OR state = ?2) AND (?4 IS NULL OR instr(phone, ?4) > 0) ORDER BY id LIMIT ?3`,
        query.cursor ?? 0,
        query.state ?? null,
        limit + 1,
        query.phone ?? null,
      )
      .toArray();
    const page = rows.slice(0, limit);
    return { data: page, next_cursor: rows.length > limit ? String(page[page.length - 1]!.id) : null };
  }

  /**
   * Failed recipients grouped by error code, most frequent first (ties by code, no code last).
   * Each group carries the error title of its latest failure.
   */
  failures(): { error_code: number | null; error_title: string | null; count: number }[] {
    // With a single max() aggregate, SQLite takes the bare error_title from the row holding the maximum.
    return this.sql
      .exec<{ error_code: number | null; error_title: string | null; count: number; last: number | null }>(
        `SELECT error_code, error_title, count(*) AS count, max(coalesce(failed_at, updated_at)) AS last
         FROM recipients WHERE state = 'failed'
         GROUP BY error_code ORDER BY count DESC, error_code IS NULL, error_code`,
      )
      .toArray()
      .map(({ error_code, error_title, count }) => ({ error_code, error_title, count }));
  }

  // ---- D1 snapshot ------------------------------------------------------------------------

  /** Copies status and counters to the campaign's D1 row (at most once a second unless forced). */
  private async flush(force: boolean): Promise<void> {
    this.broadcast();
    const now = Date.now();
    if (!force && now - this.lastFlush < FLUSH_EVERY_MS) return;
    const config = this.getMeta<CampaignConfig>("config");
    if (!config) return;
    this.lastFlush = now;
    const progress = this.progress();
    const completed = FINAL_STATUSES.has(progress.status) ? Math.floor(now / 1000) : null;
    await this.env.DB.prepare(
      `UPDATE campaigns SET status = ?1, status_reason = ?2, counters = ?3, completed_at = coalesce(completed_at, ?4), updated_at = unixepoch()
       WHERE id = ?5`,
    )
      .bind(progress.status, progress.reason, JSON.stringify({ total: progress.total, ...progress.states }), completed, config.campaignId)
      .run();
    await this.flushSends(config);
  }

  /**
   * Copies the sends not yet in D1 there now, so a reply that arrived before the periodic copy
   * can be matched to its send.
   */
  async flushSendsNow(): Promise<void> {
    const config = this.getMeta<CampaignConfig>("config");
    if (config) await this.flushSends(config);
  }

  /** Copies sent messages' wamids to D1 (campaign_sends), where webhooks and replies look them up. */
  private async flushSends(config: CampaignConfig): Promise<void> {
    for (;;) {
      const rows = this.sql
        .exec<{ recipient_id: number; wamid: string; phone: string; sent_at: number }>("SELECT recipient_id, wamid, phone, sent_at FROM sends_outbox ORDER BY recipient_id LIMIT 2000")
        .toArray();
      if (rows.length === 0) return;
      await this.env.DB.prepare(
        `INSERT INTO campaign_sends (inbox_id, wamid, workspace_id, campaign_id, recipient_id, phone, sent_at)
         SELECT ?1, j.value ->> 'wamid', ?2, ?3, j.value ->> 'recipient_id', j.value ->> 'phone', j.value ->> 'sent_at'
         FROM json_each(?4) AS j WHERE true
         ON CONFLICT DO NOTHING`,
      )
        .bind(config.inboxId, config.workspaceId, config.campaignId, JSON.stringify(rows))
        .run();
      this.sql.exec("DELETE FROM sends_outbox WHERE recipient_id IN (SELECT value FROM json_each(?))", JSON.stringify(rows.map((r) => r.recipient_id)));
    }
  }

  // ---- live progress (WebSocket, hibernation API) ----------------------------------------

  /**
   * Accepts a WebSocket from the API (which checked the user and the workspace) and sends the
   * current progress at once; later changes are pushed by `broadcast`. Clients only listen.
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

  /** `{type:"progress", status, reason, total, states, progress}`, `progress` as GET /api/campaigns/:id shows it. */
  private liveMessage(catalogStatus?: CampaignStatus): string {
    const p = this.progress();
    const status = p.status === "draft" && catalogStatus ? catalogStatus : p.status;
    return JSON.stringify({ type: "progress", status, reason: p.reason, total: p.total, states: p.states, progress: progressView(p.total, p.states) });
  }

  /**
   * Pushes the current progress to every connected socket, at most once per LIVE_INTERVAL_MS:
   * changes in between are coalesced into one later message with the latest state. A change to
   * a final status (completed, paused, failed, cancelled) goes out at once.
   */
  private broadcast(): void {
    const sockets = this.ctx.getWebSockets();
    if (sockets.length === 0) return;
    const status = this.status();
    const finalChange = LIVE_FINAL_STATUSES.has(status) && status !== this.liveStatus;
    const wait = this.liveSentAt + LIVE_INTERVAL_MS - Date.now();
    if (!finalChange && wait > 0) {
      this.liveTimer ??= setTimeout(() => {
        this.liveTimer = null;
        this.broadcast();
      }, wait);
      return;
    }
    if (this.liveTimer) {
      clearTimeout(this.liveTimer);
      this.liveTimer = null;
    }
    const message = this.liveMessage();
    this.liveStatus = status;
    if (message === this.liveLast) return;
    this.liveLast = message;
    this.liveSentAt = Date.now();
    for (const ws of sockets) {
      try {
        ws.send(message);
      } catch {
        // a socket closing right now; its close handler cleans up
      }
    }
  }

  // ---- delivery tracking ------------------------------------------------------------------

  /**
   * Applies WhatsApp status webhooks to recipients, forward only: sent < failed < delivered < read
   * < replied (a failure yields to a later proof of delivery; nothing moves back). Duplicates and
   * any order give the same result. A status for an `unknown` recipient resolves it; a status whose
   * wamid differs from the recipient's is ignored.
   */
  async applyStatuses(events: StatusUpdate[]): Promise<{ applied: number }> {
    const now = Date.now();
    let applied = 0;
    for (const e of events) {
      const row = this.sql.exec<{ state: string; wamid: string | null }>("SELECT state, wamid FROM recipients WHERE id = ?", e.recipientId).toArray()[0];
      if (!row || (row.wamid !== null && row.wamid !== e.wamid)) continue;
      const target = TRACKED_RANK[e.status];
      const current = TRACKED_RANK[row.state];
      if (target === undefined || current === undefined || target <= current) continue;
      const at = e.timestamp * 1000;
      const column = `${e.status}_at` as const;
      this.sql.exec(
        `UPDATE recipients SET state = ?, wamid = coalesce(wamid, ?), ${column} = coalesce(${column}, ?),
           sent_at = coalesce(sent_at, ?), error_code = CASE WHEN ? = 'failed' THEN ? ELSE error_code END,
           error_title = CASE WHEN ? = 'failed' THEN ? ELSE error_title END, updated_at = ? WHERE id = ?`,
        e.status,
        e.wamid,
        at,
        at,
        e.status,
        e.errorCode ?? null,
        e.status,
        e.errorTitle ?? null,
        now,
        e.recipientId,
      );
      this.tally(e.status, at);
      // A status can overtake the sender's report: the message was sent all the same.
      if (current === 0) {
        this.sql.exec(
          "INSERT INTO sends_outbox (recipient_id, wamid, phone, sent_at) SELECT id, wamid, phone, ? FROM recipients WHERE id = ? ON CONFLICT DO NOTHING",
          e.timestamp,
          e.recipientId,
        );
      }
      applied++;
    }
    if (applied) {
      this.finishIfDone();
      if (this.count("state = 'sending'") === 0) this.wakeSettlers();
      await this.flush(false);
    }
    return { applied };
  }

  /** Marks recipients as having replied (once), from an inbound message that answers the campaign. */
  async markReplied(replies: { recipientId: number; timestamp: number }[]): Promise<{ applied: number }> {
    let applied = 0;
    for (const r of replies) {
      const changed = this.sql
        .exec(
          "UPDATE recipients SET state = 'replied', replied_at = ?, updated_at = ? WHERE id = ? AND state IN ('sent', 'delivered', 'read', 'unknown')",
          r.timestamp * 1000,
          Date.now(),
          r.recipientId,
        ).rowsWritten;
      if (changed > 0) {
        applied++;
        this.tally("replied", r.timestamp * 1000);
      }
    }
    if (applied) await this.flush(false);
    return { applied };
  }
}

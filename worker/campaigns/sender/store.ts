import { type FailedSelection, RECIPIENT_STATE_OF, RESULT_STATES, type ResultState, recipientSelection } from "../../domain/campaign-results";
import { deliveryRank } from "../../domain/delivery-status";
import { TEMPORARY_FAILURE_CODES } from "../../domain/error-policy";
import { PREFIX_DIGITS } from "../../domain/phone-country";
/**
 * The SQLite storage of one campaign's Durable Object: the frozen audience (one row per
 * recipient), per-state counters kept by triggers, the outcome window for auto-pause, the
 * per-minute series and the sends not yet copied to D1. Every query a send depends on is an
 * index lookup or an index range bounded by the work in flight, so its cost does not grow with
 * the audience.
 */

import { RECIPIENT_STATES, type RecipientState } from "../../domain/delivery-status";

export { RECIPIENT_STATES, type RecipientState };

/** Counter of the pending recipients waiting for the inbox's messaging limit. */
const LIMIT_WAIT = "limit_wait";
/** Why a pending recipient waits for the messaging limit (its `reason`). */
export const MESSAGING_LIMIT_REASON = "messaging_limit";
/** Why a claimed recipient became `unknown` when its sender never reported. */
export const CLAIM_TIMEOUT_REASON = "no report from the sender";

/** A recipient as release and claim read it. */
export type RecipientRow = {
  id: number;
  contact_id: number;
  phone: string;
  name: string;
  attributes: string;
  variant: number | null;
  inbound_at: number | null;
};

/** A frozen recipient as the freeze writes it. */
export type FrozenRecipient = {
  contactId: number;
  phone: string;
  name: string;
  /** The contact's attributes as a JSON object text. */
  attributes: string;
  lastInboundAt: number | null;
  skipReason?: string;
};

/** Largest JSON text handed to one SQL statement (the SQL API refuses arguments over 2 MB). */
export const MAX_STATEMENT_BYTES = 1_000_000;

const SCHEMA = `
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
  -- Retargeting walks the recipients in contact order. contact_id never changes, so state changes do not touch this index.
  CREATE INDEX IF NOT EXISTS recipients_contact ON recipients (contact_id);
  CREATE TABLE IF NOT EXISTS outcomes (seq INTEGER PRIMARY KEY AUTOINCREMENT, failed INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS series (minute INTEGER NOT NULL, kind TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (minute, kind));
  CREATE TABLE IF NOT EXISTS sends_outbox (recipient_id INTEGER PRIMARY KEY, wamid TEXT NOT NULL, phone TEXT NOT NULL, sent_at INTEGER NOT NULL);
`;

// One counter row per state (and one for the messaging-limit wait), kept exact by triggers on
// every insert, state or reason change and delete of a recipient.
const COUNTERS = `
  CREATE TABLE IF NOT EXISTS counts (key TEXT PRIMARY KEY, n INTEGER NOT NULL);
  CREATE TRIGGER IF NOT EXISTS recipients_counted_insert AFTER INSERT ON recipients BEGIN
    UPDATE counts SET n = n + 1 WHERE key = NEW.state;
    UPDATE counts SET n = n + 1 WHERE key = '${LIMIT_WAIT}' AND NEW.state = 'pending' AND NEW.reason IS '${MESSAGING_LIMIT_REASON}';
  END;
  CREATE TRIGGER IF NOT EXISTS recipients_counted_update AFTER UPDATE OF state, reason ON recipients
  WHEN OLD.state IS NOT NEW.state OR OLD.reason IS NOT NEW.reason BEGIN
    UPDATE counts SET n = n - 1 WHERE key = OLD.state AND OLD.state IS NOT NEW.state;
    UPDATE counts SET n = n + 1 WHERE key = NEW.state AND OLD.state IS NOT NEW.state;
    UPDATE counts SET n = n - 1 WHERE key = '${LIMIT_WAIT}' AND OLD.state = 'pending' AND OLD.reason IS '${MESSAGING_LIMIT_REASON}';
    UPDATE counts SET n = n + 1 WHERE key = '${LIMIT_WAIT}' AND NEW.state = 'pending' AND NEW.reason IS '${MESSAGING_LIMIT_REASON}';
  END;
  CREATE TRIGGER IF NOT EXISTS recipients_counted_delete AFTER DELETE ON recipients BEGIN
    UPDATE counts SET n = n - 1 WHERE key = OLD.state;
    UPDATE counts SET n = n - 1 WHERE key = '${LIMIT_WAIT}' AND OLD.state = 'pending' AND OLD.reason IS '${MESSAGING_LIMIT_REASON}';
  END;
`;

/** How many recipients of one variant (0-based, null when none was given) are in one state. */
export type VariantStateCount = { variant: number | null; state: RecipientState; n: number };

/** The temporary error codes as an SQL list (numbers from Herald's own error table, so written inline). */
const TEMPORARY_CODES = TEMPORARY_FAILURE_CODES.map((code) => Math.trunc(code)).join(", ");

/** Which failed recipients a selection takes, as SQL on `error_code`. */
const FAILED_WHERE: Readonly<Record<FailedSelection, string>> = {
  temporary: `error_code IN (${TEMPORARY_CODES})`,
  permanent: `(error_code IS NULL OR error_code NOT IN (${TEMPORARY_CODES}))`,
  all: "1",
  none: "0",
};

/** States of a recipient whose message was delivered (a reply proves it too). */
const DELIVERED = "('delivered', 'read', 'replied')";
/**
 * The billing key of a recipient row (`row` is "OLD." or "NEW." in a trigger, "" in a query):
 * variant, phone prefix (the digits after the "+"), pricing category, billable (-1: no pricing seen).
 */
const billingKey = (row: "OLD." | "NEW." | "") =>
  `coalesce(${row}variant, 0), substr(${row}phone, 2, ${PREFIX_DIGITS}), coalesce(${row}pricing_category, ''), coalesce(${row}billable, -1)`;

// Delivered recipients counted per (variant, phone prefix, pricing category, billable), kept exact
// by triggers, so the cost so far is read from a few rows whatever the audience's size. A
// recipient moves between rows when it is delivered or its pricing arrives, in any order, once.
const BILLING = `
  CREATE TABLE IF NOT EXISTS billing (
    variant INTEGER NOT NULL, prefix TEXT NOT NULL, category TEXT NOT NULL, billable INTEGER NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (variant, prefix, category, billable)
  );
  CREATE TRIGGER IF NOT EXISTS recipients_billed_insert AFTER INSERT ON recipients WHEN NEW.state IN ${DELIVERED} BEGIN
    INSERT INTO billing (variant, prefix, category, billable, n) VALUES (${billingKey("NEW.")}, 1)
      ON CONFLICT (variant, prefix, category, billable) DO UPDATE SET n = n + 1;
  END;
  CREATE TRIGGER IF NOT EXISTS recipients_billed_update AFTER UPDATE OF state, variant, billable, pricing_category ON recipients
  WHEN (OLD.state IN ${DELIVERED} OR NEW.state IN ${DELIVERED}) AND ((OLD.state IN ${DELIVERED}) IS NOT (NEW.state IN ${DELIVERED})
    OR OLD.variant IS NOT NEW.variant OR OLD.billable IS NOT NEW.billable OR OLD.pricing_category IS NOT NEW.pricing_category) BEGIN
    UPDATE billing SET n = n - 1
      WHERE OLD.state IN ${DELIVERED} AND (variant, prefix, category, billable) = (${billingKey("OLD.")});
    INSERT INTO billing (variant, prefix, category, billable, n) SELECT ${billingKey("NEW.")}, 1 WHERE NEW.state IN ${DELIVERED}
      ON CONFLICT (variant, prefix, category, billable) DO UPDATE SET n = n + 1;
  END;
  CREATE TRIGGER IF NOT EXISTS recipients_billed_delete AFTER DELETE ON recipients WHEN OLD.state IN ${DELIVERED} BEGIN
    UPDATE billing SET n = n - 1 WHERE (variant, prefix, category, billable) = (${billingKey("OLD.")});
  END;
`;

/** Columns added to `recipients` after its first release, created on objects that lack them. */
const ADDED_COLUMNS = [
  ["inbound_at", "INTEGER"],
  ["billable", "INTEGER"],
  ["pricing_category", "TEXT"],
] as const;

/** What WhatsApp said of a message's price: whether it bills it, and in which category. */
export type Billing = { billable: boolean; category: string };

/** Delivered recipients sharing a variant, a phone prefix and their pricing (`billable` null: none reported). */
export type BilledGroup = { variant: number; prefix: string; category: string | null; billable: boolean | null; count: number };

export type Counts = { total: number; states: Record<RecipientState, number>; waitingForLimit: number };

export class RecipientStore {
  constructor(readonly sql: SqlStorage) {
    sql.exec(SCHEMA);
    // Added after the first release of the table: the contact's last inbound message (unix s),
    // then what WhatsApp's status webhooks said of the message's price.
    const columns = new Set(
      sql
        .exec<{ name: string }>("PRAGMA table_info(recipients)")
        .toArray()
        .map((c) => c.name),
    );
    for (const [name, type] of ADDED_COLUMNS) if (!columns.has(name)) sql.exec(`ALTER TABLE recipients ADD COLUMN ${name} ${type}`);
    const unbilled = sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'billing'").toArray().length === 0;
    sql.exec(BILLING);
    if (unbilled) {
      // Counted once from the rows already stored (an object created before billing existed).
      sql.exec(
        `INSERT INTO billing (variant, prefix, category, billable, n)
         SELECT ${billingKey("")}, count(*) FROM recipients WHERE state IN ${DELIVERED} GROUP BY 1, 2, 3, 4`,
      );
    }
    const fresh = sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'counts'").toArray().length === 0;
    sql.exec(COUNTERS);
    if (fresh) {
      // Counted once from the rows already stored (an object created before counters existed).
      for (const key of [...RECIPIENT_STATES, LIMIT_WAIT]) sql.exec("INSERT OR IGNORE INTO counts (key, n) VALUES (?, 0)", key);
      sql.exec("UPDATE counts SET n = (SELECT count(*) FROM recipients WHERE state = counts.key) WHERE key <> ?", LIMIT_WAIT);
      sql.exec(
        "UPDATE counts SET n = (SELECT count(*) FROM recipients WHERE state = 'pending' AND reason = ?) WHERE key = ?",
        MESSAGING_LIMIT_REASON,
        LIMIT_WAIT,
      );
    }
  }

  // ---- meta -------------------------------------------------------------------------------

  getMeta<T>(key: string): T | null {
    const row = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0];
    return row ? (JSON.parse(row.value) as T) : null;
  }

  setMeta(key: string, value: unknown): void {
    this.sql.exec("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, JSON.stringify(value));
  }

  // ---- counters ---------------------------------------------------------------------------

  counts(): Counts {
    const states = Object.fromEntries(RECIPIENT_STATES.map((s) => [s, 0])) as Record<RecipientState, number>;
    let total = 0;
    let waitingForLimit = 0;
    for (const row of this.sql.exec<{ key: string; n: number }>("SELECT key, n FROM counts").toArray()) {
      if (row.key === LIMIT_WAIT) waitingForLimit = row.n;
      else if (row.key in states) {
        states[row.key as RecipientState] = row.n;
        total += row.n;
      }
    }
    return { total, states, waitingForLimit };
  }

  count(...states: RecipientState[]): number {
    return (
      this.sql.exec<{ n: number | null }>("SELECT sum(n) AS n FROM counts WHERE key IN (SELECT value FROM json_each(?))", JSON.stringify(states)).one().n ?? 0
    );
  }

  // ---- the audience -----------------------------------------------------------------------

  /**
   * Adds frozen recipients in send order, in statements of at most MAX_STATEMENT_BYTES of JSON;
   * a phone already present is ignored. Returns how many were added.
   */
  addRecipients(rows: FrozenRecipient[], now: number): number {
    const before = this.count(...RECIPIENT_STATES);
    let chunk: string[] = [];
    let bytes = 2;
    const flush = () => {
      if (chunk.length === 0) return;
      this.sql.exec(
        `INSERT INTO recipients (contact_id, phone, name, attributes, inbound_at, state, reason, updated_at)
         SELECT j.value ->> 'contactId', j.value ->> 'phone', j.value ->> 'name', json(j.value ->> 'attributes'), j.value ->> 'lastInboundAt',
                CASE WHEN j.value ->> 'skipReason' IS NULL THEN 'pending' ELSE 'skipped' END, j.value ->> 'skipReason', ?2
         FROM json_each(?1) AS j WHERE true
         ON CONFLICT (phone) DO NOTHING`,
        `[${chunk.join(",")}]`,
        now,
      );
      chunk = [];
      bytes = 2;
    };
    for (const row of rows) {
      const text = JSON.stringify(row);
      // UTF-8 takes at most three bytes per UTF-16 unit.
      const size = text.length * 3 + 1;
      if (bytes + size > MAX_STATEMENT_BYTES) flush();
      chunk.push(text);
      bytes += size;
    }
    flush();
    return this.count(...RECIPIENT_STATES) - before;
  }

  /** Drops every recipient (an audience that was never sent to). */
  clearAudience(): void {
    this.sql.exec("DELETE FROM recipients");
    this.sql.exec("DELETE FROM sends_outbox");
    this.sql.exec("DELETE FROM series");
    this.sql.exec("DELETE FROM outcomes");
    this.sql.exec("UPDATE counts SET n = 0");
    this.sql.exec("DELETE FROM billing");
  }

  /**
   * The next recipient to release: those never tried first, in send order, then retries that are
   * due, earliest first. Each is a range of the (state, due_at, id) index.
   */
  nextDue(now: number): RecipientRow | undefined {
    const columns = "id, contact_id, phone, name, attributes, variant, inbound_at";
    return (
      this.sql.exec<RecipientRow>(`SELECT ${columns} FROM recipients WHERE state = 'pending' AND due_at IS NULL ORDER BY id LIMIT 1`).toArray()[0] ??
      this.sql.exec<RecipientRow>(`SELECT ${columns} FROM recipients WHERE state = 'pending' AND due_at <= ? ORDER BY due_at, id LIMIT 1`, now).toArray()[0]
    );
  }

  hasNeverTried(): boolean {
    return this.sql.exec("SELECT 1 FROM recipients WHERE state = 'pending' AND due_at IS NULL LIMIT 1").toArray().length > 0;
  }

  /** The earliest time a waiting pending recipient is due (a retry, the messaging limit, a send window), or null. */
  nextRetryAt(): number | null {
    return this.earliestWait()?.due_at ?? null;
  }

  /** The pending recipient due first among those waiting (a retry, the messaging limit, a send window), or null. */
  earliestWait(): { due_at: number; reason: string | null } | null {
    return (
      this.sql
        .exec<{ due_at: number; reason: string | null }>(
          "SELECT due_at, reason FROM recipients WHERE state = 'pending' AND due_at IS NOT NULL ORDER BY due_at LIMIT 1",
        )
        .toArray()[0] ?? null
    );
  }

  /** The oldest claim still open, or null. */
  oldestClaim(): number | null {
    if (this.count("sending") === 0) return null;
    return this.sql.exec<{ t: number | null }>("SELECT min(claimed_at) AS t FROM recipients WHERE state = 'sending'").one().t;
  }

  // ---- state changes of recipients ---------------------------------------------------------

  markReleased(id: number, variant: number, now: number): void {
    this.sql.exec("UPDATE recipients SET state = 'released', released_at = ?, variant = ?, updated_at = ? WHERE id = ?", now, variant, now, id);
  }

  /** Released recipients nobody claimed since `before` are stamped as released again now (up to 500); returns their ids. */
  refreshStaleReleases(before: number, now: number): number[] {
    if (this.count("released") === 0) return [];
    const ids = this.sql
      .exec<{ id: number }>("SELECT id FROM recipients WHERE state = 'released' AND released_at < ? LIMIT 500", before)
      .toArray()
      .map((r) => r.id);
    if (ids.length) this.sql.exec("UPDATE recipients SET released_at = ? WHERE id IN (SELECT value FROM json_each(?))", now, JSON.stringify(ids));
    return ids;
  }

  /** Released recipients go back to pending (a pause), so a late claim finds nothing. */
  unrelease(now: number): void {
    this.sql.exec("UPDATE recipients SET state = 'pending', updated_at = ? WHERE state = 'released'", now);
  }

  /** Every recipient not handed to a sender yet becomes cancelled (with `reason` when given). */
  cancelUnsent(now: number, reason?: string): void {
    this.sql.exec(
      "UPDATE recipients SET state = 'cancelled', reason = coalesce(?, reason), updated_at = ? WHERE state IN ('pending', 'released')",
      reason ?? null,
      now,
    );
  }

  /** Claims with no report since `before` may or may not have been sent: they become `unknown`. */
  expireClaims(before: number, now: number): void {
    if (this.count("sending") === 0) return;
    this.sql.exec(
      "UPDATE recipients SET state = 'unknown', reason = ?, updated_at = ? WHERE state = 'sending' AND claimed_at < ?",
      CLAIM_TIMEOUT_REASON,
      now,
      before,
    );
  }

  /** Marks the released recipients among `ids` as `sending` (an attempt) and returns them. */
  claim(ids: number[], now: number): RecipientRow[] {
    return this.sql
      .exec<RecipientRow>(
        `UPDATE recipients SET state = 'sending', claimed_at = ?1, attempts = attempts + 1, reason = NULL, updated_at = ?1
         WHERE id IN (SELECT value FROM json_each(?2)) AND state = 'released'
         RETURNING id, contact_id, phone, name, attributes, variant, inbound_at`,
        now,
        JSON.stringify(ids),
      )
      .toArray();
  }

  setContent(id: number, content: unknown): void {
    this.sql.exec("UPDATE recipients SET content = ? WHERE id = ?", JSON.stringify(content), id);
  }

  /** The state and attempts of a recipient, if it exists. */
  current(id: number): { state: RecipientState; attempts: number; claimed_at: number | null; reason: string | null } | undefined {
    return this.sql
      .exec<{ state: RecipientState; attempts: number; claimed_at: number | null; reason: string | null }>(
        "SELECT state, attempts, claimed_at, reason FROM recipients WHERE id = ?",
        id,
      )
      .toArray()[0];
  }

  markSent(id: number, wamid: string, now: number): void {
    this.sql.exec("UPDATE recipients SET state = 'sent', wamid = ?, sent_at = ?, updated_at = ? WHERE id = ?", wamid, now, now, id);
    this.queueSend(id, Math.floor(now / 1000));
  }

  /** Fails a recipient: with WhatsApp's error (its code, title and details replace any earlier one), or only a reason. */
  markFailed(id: number, failure: { code?: number; title?: string; details?: string; reason?: string }, now: number): void {
    const withError = failure.title !== undefined;
    this.sql.exec(
      `UPDATE recipients SET state = 'failed', error_code = CASE WHEN ?1 THEN ?2 ELSE error_code END, error_title = CASE WHEN ?1 THEN ?3 ELSE error_title END,
         error_details = CASE WHEN ?1 THEN ?4 ELSE error_details END, reason = coalesce(?5, reason), failed_at = ?6, updated_at = ?6 WHERE id = ?7`,
      withError ? 1 : 0,
      failure.code ?? null,
      failure.title ?? null,
      failure.details ?? null,
      failure.reason ?? null,
      now,
      id,
    );
  }

  markUnknown(id: number, reason: string, now: number): void {
    this.sql.exec("UPDATE recipients SET state = 'unknown', reason = ?, updated_at = ? WHERE id = ?", reason, now, id);
  }

  /** Not sent, and never will be: the campaign ended. */
  markCancelled(id: number, reason: string, now: number): void {
    this.sql.exec("UPDATE recipients SET state = 'cancelled', reason = ?, updated_at = ? WHERE id = ?", reason, now, id);
  }

  /**
   * Back to pending without using up the attempt: due at `dueAt`, or with the never-tried (in send
   * order) when null; `reason` says why it waits.
   */
  giveBack(id: number, dueAt: number | null, reason: string | null, now: number): void {
    this.sql.exec(
      "UPDATE recipients SET state = 'pending', due_at = ?, attempts = attempts - 1, reason = ?, updated_at = ? WHERE id = ?",
      dueAt,
      reason,
      now,
      id,
    );
  }

  /** A pending recipient waits until `dueAt` for `reason` (its attempts and error stay as they are). */
  postpone(id: number, dueAt: number, reason: string, now: number): void {
    this.sql.exec("UPDATE recipients SET due_at = ?, reason = ?, updated_at = ? WHERE id = ? AND state = 'pending'", dueAt, reason, now, id);
  }

  /** Back to pending for another attempt at `dueAt`, keeping the error that caused it. */
  scheduleRetry(id: number, dueAt: number, attempts: number, error: { code?: number; title: string }, now: number): void {
    this.sql.exec(
      "UPDATE recipients SET state = 'pending', due_at = ?, attempts = ?, error_code = ?, error_title = ?, updated_at = ? WHERE id = ?",
      dueAt,
      attempts,
      error.code ?? null,
      error.title,
      now,
      id,
    );
  }

  /**
   * Moves a recipient to a delivery status (forward only: `rank` gives the order), unless its
   * wamid differs. Returns the state it was in when it moved, or null when nothing changed.
   */
  track(
    e: { recipientId: number; wamid: string; status: "sent" | "delivered" | "read" | "failed"; timestamp: number; errorCode?: number; errorTitle?: string },
    now: number,
  ): RecipientState | null {
    const row = this.sql.exec<{ state: RecipientState; wamid: string | null }>("SELECT state, wamid FROM recipients WHERE id = ?", e.recipientId).toArray()[0];
    if (!row || (row.wamid !== null && row.wamid !== e.wamid)) return null;
    const target = deliveryRank(e.status);
    const current = deliveryRank(row.state);
    if (target === undefined || current === undefined || target <= current) return null;
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
    return row.state;
  }

  /**
   * Keeps what a status webhook said of the recipient's price, the first time it says it (later
   * statuses of the same message say the same); a status of another message (wamid) is ignored.
   * Returns whether it was kept.
   */
  recordBilling(id: number, wamid: string, billing: Billing): boolean {
    return (
      this.sql
        .exec(
          "UPDATE recipients SET billable = ?, pricing_category = ? WHERE id = ? AND billable IS NULL AND (wamid IS NULL OR wamid = ?) RETURNING id",
          billing.billable ? 1 : 0,
          billing.category,
          id,
          wamid,
        )
        .toArray().length > 0
    );
  }

  /** Delivered recipients per variant, phone prefix and pricing. */
  billing(): BilledGroup[] {
    return this.sql
      .exec<{ variant: number; prefix: string; category: string; billable: number; n: number }>(
        "SELECT variant, prefix, category, billable, n FROM billing WHERE n > 0 ORDER BY variant, prefix, category, billable",
      )
      .toArray()
      .map((r) => ({
        variant: r.variant,
        prefix: r.prefix,
        category: r.category === "" ? null : r.category,
        billable: r.billable === -1 ? null : r.billable === 1,
        count: r.n,
      }));
  }

  /** Marks a sent (or unknown) recipient as having replied at `at` (epoch ms); false when it could not. */
  markReplied(id: number, at: number, now: number): boolean {
    return (
      this.sql
        .exec(
          "UPDATE recipients SET state = 'replied', replied_at = ?, updated_at = ? WHERE id = ? AND state IN ('sent', 'delivered', 'read', 'unknown') RETURNING id",
          at,
          now,
          id,
        )
        .toArray().length > 0
    );
  }

  // ---- the series -------------------------------------------------------------------------

  /** Adds one event to the per-minute series the UI charts (`at` in epoch ms). */
  tally(kind: "sent" | "failed" | "delivered" | "read" | "replied", at: number): void {
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

  // ---- the outcome window -----------------------------------------------------------------

  recordOutcome(failed: boolean): void {
    this.sql.exec("INSERT INTO outcomes (failed) VALUES (?)", failed ? 1 : 0);
  }

  /** Keeps the latest `size` outcomes; returns them oldest first. */
  recentOutcomes(size: number): boolean[] {
    this.sql.exec("DELETE FROM outcomes WHERE seq <= (SELECT max(seq) FROM outcomes) - ?", size);
    return this.sql
      .exec<{ failed: number }>("SELECT failed FROM outcomes ORDER BY seq")
      .toArray()
      .map((r) => r.failed === 1);
  }

  clearOutcomes(): void {
    this.sql.exec("DELETE FROM outcomes");
  }

  // ---- sends not yet in D1 ----------------------------------------------------------------

  queueSend(recipientId: number, sentAtS: number): void {
    this.sql.exec(
      "INSERT INTO sends_outbox (recipient_id, wamid, phone, sent_at) SELECT id, wamid, phone, ? FROM recipients WHERE id = ? AND wamid IS NOT NULL ON CONFLICT DO NOTHING",
      sentAtS,
      recipientId,
    );
  }

  pendingSends(limit: number): { recipient_id: number; wamid: string; phone: string; sent_at: number }[] {
    return this.sql
      .exec<{ recipient_id: number; wamid: string; phone: string; sent_at: number }>(
        "SELECT recipient_id, wamid, phone, sent_at FROM sends_outbox ORDER BY recipient_id LIMIT ?",
        limit,
      )
      .toArray();
  }

  dropSends(ids: number[]): void {
    this.sql.exec("DELETE FROM sends_outbox WHERE recipient_id IN (SELECT value FROM json_each(?))", JSON.stringify(ids));
  }

  // ---- reading ----------------------------------------------------------------------------

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
   * Recipients per variant and state, in one GROUP BY over the audience (variant null: not given
   * one yet, or skipped). A read on demand, like the recipients listing: it scans the audience.
   */
  variantStates(): VariantStateCount[] {
    return this.sql.exec<VariantStateCount>("SELECT variant, state, count(*) AS n FROM recipients GROUP BY variant, state ORDER BY variant, state").toArray();
  }

  /**
   * The contact ids of the recipients in the chosen result states, after contact id `after`, in
   * contact id order, at most `limit`: a walk of the contact index from `after` that reads each
   * recipient's state, so one pass over every page costs one read per recipient.
   */
  resultContactIds(states: readonly ResultState[], after: number, limit: number): number[] {
    const selection = recipientSelection(states);
    return this.sql
      .exec<{ contact_id: number }>(
        `SELECT DISTINCT contact_id FROM recipients
         WHERE contact_id > ?1 AND (state IN (SELECT value FROM json_each(?2)) OR (state = 'failed' AND ${FAILED_WHERE[selection.failed]}))
         ORDER BY contact_id LIMIT ?3`,
        after,
        JSON.stringify(selection.states),
        limit,
      )
      .toArray()
      .map((r) => r.contact_id);
  }

  /** How many recipients are in each result state: the counters, and the failed ones split by their error (a range of the state index). */
  resultCounts(): Record<ResultState, number> {
    const counts = Object.fromEntries(RESULT_STATES.map((r) => [r, 0])) as Record<ResultState, number>;
    const { states } = this.counts();
    for (const result of RESULT_STATES) if (RECIPIENT_STATE_OF[result] !== "failed") counts[result] = states[RECIPIENT_STATE_OF[result]];
    const temporary =
      states.failed === 0
        ? 0
        : this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM recipients WHERE state = 'failed' AND ${FAILED_WHERE.temporary}`).one().n;
    counts.failed_temporary = temporary;
    counts.failed_permanent = states.failed - temporary;
    return counts;
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
}

import { automaticStopStatement } from "../../audit/record";
import { type CampaignStatus, isFinal } from "../../domain/campaign-lifecycle";
import type { Counts, RecipientStore } from "./store";

/** Counters are copied to D1 at most this often while sending. */
const FLUSH_EVERY_MS = 1_000;
/** Sends copied to D1 per statement. */
const SENDS_PER_STATEMENT = 2_000;

export type CatalogKey = { campaignId: number; workspaceId: number; inboxId: number };

/**
 * Keeps a campaign's D1 row (status, reason, counters) and `campaign_sends` (the wamids webhooks
 * and replies are matched by) up to date with its object.
 */
export class CatalogSync {
  private lastFlush = 0;

  constructor(
    private readonly db: D1Database,
    /** The object's store as it is now (it is made anew after an erase). */
    private readonly store: () => RecipientStore,
  ) {}

  /**
   * Copies status and counters (at most once a second unless forced), then the new sends. When
   * Herald itself paused or failed the campaign (`automatic`), the copy that changes the row's
   * status records the audit event with it, in one batch.
   */
  async flush(key: CatalogKey, status: CampaignStatus, reason: string | null, counts: Counts, force: boolean, automatic = false): Promise<void> {
    const now = Date.now();
    if (!force && now - this.lastFlush < FLUSH_EVERY_MS) return;
    this.lastFlush = now;
    const completed = isFinal(status) ? Math.floor(now / 1000) : null;
    const update = this.db
      .prepare(
        // A copy overtaken by a later one that ended the campaign does not bring it back.
        `UPDATE campaigns SET status = ?1, status_reason = ?2, counters = ?3, completed_at = coalesce(completed_at, ?4), updated_at = unixepoch()
         WHERE id = ?5 AND (status NOT IN ('completed', 'failed', 'cancelled') OR status = ?1)`,
      )
      .bind(status, reason, JSON.stringify({ total: counts.total, ...counts.states }), completed, key.campaignId);
    if (automatic && (status === "paused" || status === "failed"))
      await this.db.batch([automaticStopStatement(this.db, key.campaignId, status, reason), update]);
    else await update.run();
    await this.flushSends(key);
  }

  /** Copies sent messages' wamids to D1 (campaign_sends), where webhooks and replies look them up. */
  async flushSends(key: CatalogKey): Promise<void> {
    for (;;) {
      const rows = this.store().pendingSends(SENDS_PER_STATEMENT);
      if (rows.length === 0) return;
      await this.db
        .prepare(
          `INSERT INTO campaign_sends (inbox_id, wamid, workspace_id, campaign_id, recipient_id, phone, sent_at)
           SELECT ?1, j.value ->> 'wamid', ?2, ?3, j.value ->> 'recipient_id', j.value ->> 'phone', j.value ->> 'sent_at'
           FROM json_each(?4) AS j WHERE true
           ON CONFLICT DO NOTHING`,
        )
        .bind(key.inboxId, key.workspaceId, key.campaignId, JSON.stringify(rows))
        .run();
      this.store().dropSends(rows.map((r) => r.recipient_id));
    }
  }
}

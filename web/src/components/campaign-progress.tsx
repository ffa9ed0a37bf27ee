import { t } from "../i18n";
import { formatDateTime, formatNumber, percent } from "../lib/format";
import { windowWaitText } from "../lib/send-window";
import type { Campaign, CampaignDetail, CampaignProgress } from "../types";

const COUNTERS = ["sent", "delivered", "read", "replied", "failed"] as const;
const EXTRA = ["skipped", "cancelled", "unknown"] as const;

/** A counter's name, e.g. "Delivered" / "Entregues". */
export const counterLabel = (k: (typeof COUNTERS)[number] | (typeof EXTRA)[number]) => t(`campaigns.counter.${k}`);

export function Counters({ p }: { p: CampaignProgress }) {
  const shown = [...COUNTERS, ...EXTRA.filter((k) => p[k] > 0)];
  return (
    <dl class="counters">
      {shown.map((k) => (
        <div key={k}>
          <dt>{counterLabel(k)}</dt>
          <dd data-counter={k}>{formatNumber(p[k])}</dd>
        </div>
      ))}
      <div>
        <dt>{t("campaigns.counter.of")}</dt>
        <dd data-counter="total">{formatNumber(p.total)}</dd>
      </div>
    </dl>
  );
}

export function Rates({ p }: { p: CampaignProgress }) {
  return (
    <p class="rates muted">
      {t("campaigns.rates", { delivered: percent(p.delivered, p.sent), read: percent(p.read, p.delivered), replied: percent(p.replied, p.sent) })}
      {p.failed > 0 && <> · {t("campaigns.rateFailed", { failed: percent(p.failed, p.sent + p.failed) })}</>}
    </p>
  );
}

/** The moment that matters most for a campaign's status. */
export function Timing({ c }: { c: CampaignDetail }) {
  if (c.status === "scheduled") return <span>{t("campaigns.starts", { at: formatDateTime(c.scheduled_at) })}</span>;
  if (c.completed_at) return <span>{t("campaigns.ended", { at: formatDateTime(c.completed_at) })}</span>;
  if (c.launched_at) return <span>{t("campaigns.launched", { at: formatDateTime(c.launched_at) })}</span>;
  return <span>{t("campaigns.created", { at: formatDateTime(c.created_at) })}</span>;
}

/**
 * The line under a campaign's status: that its audience is being prepared (said in the page's
 * language), else the server's note (a wait) or the status reason.
 */
export function campaignNote(c: Pick<Campaign, "preparing" | "status_note" | "status_reason" | "progress">): string | null {
  if (c.preparing) return t("campaigns.preparing", { count: c.progress.total });
  return windowWaitText(c.status_note) ?? c.status_note ?? c.status_reason;
}

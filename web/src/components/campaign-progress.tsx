import { formatDateTime, formatNumber, percent } from "../lib/format";
import type { CampaignDetail, CampaignProgress } from "../types";

const COUNTERS = ["sent", "delivered", "read", "replied", "failed"] as const;

export function Counters({ p }: { p: CampaignProgress }) {
  const extra = (["skipped", "cancelled", "unknown"] as const).filter((k) => p[k] > 0);
  return (
    <dl class="counters">
      {COUNTERS.map((k) => (
        <div key={k}>
          <dt>{k[0]!.toUpperCase() + k.slice(1)}</dt>
          <dd data-counter={k}>{formatNumber(p[k])}</dd>
        </div>
      ))}
      {extra.map((k) => (
        <div key={k}>
          <dt>{k[0]!.toUpperCase() + k.slice(1)}</dt>
          <dd data-counter={k}>{formatNumber(p[k])}</dd>
        </div>
      ))}
      <div>
        <dt>Of</dt>
        <dd data-counter="total">{formatNumber(p.total)}</dd>
      </div>
    </dl>
  );
}

export function Rates({ p }: { p: CampaignProgress }) {
  return (
    <p class="rates muted">
      Delivered {percent(p.delivered, p.sent)} · read {percent(p.read, p.delivered)} · replied {percent(p.replied, p.sent)}
      {p.failed > 0 && <> · failed {percent(p.failed, p.sent + p.failed)}</>}
    </p>
  );
}

/** The moment that matters most for a campaign's status. */
export function Timing({ c }: { c: CampaignDetail }) {
  if (c.status === "scheduled") return <span>Starts {formatDateTime(c.scheduled_at)}</span>;
  if (c.completed_at) return <span>Ended {formatDateTime(c.completed_at)}</span>;
  if (c.launched_at) return <span>Launched {formatDateTime(c.launched_at)}</span>;
  return <span>Created {formatDateTime(c.created_at)}</span>;
}

import { t } from "../i18n";
import type { CampaignProgress } from "../types";
import { counterLabel } from "./campaign-progress";

/**
 * One bar for a campaign's recipients, split into what became of them: replied, read (not
 * replied), delivered (not read), sent (not delivered yet), failed; the rest is still to send.
 */
export function ProgressBar({ progress: p, label }: { progress: CampaignProgress; label: string }) {
  const replied = p.replied;
  const read = Math.max(0, p.read - p.replied);
  const delivered = Math.max(0, p.delivered - p.read);
  const sent = Math.max(0, p.sent - p.delivered);
  const failed = p.failed;
  const parts = [
    { key: "replied", n: replied },
    { key: "read", n: read },
    { key: "delivered", n: delivered },
    { key: "sent", n: sent },
    { key: "failed", n: failed },
  ];
  const total = Math.max(p.total, 1);
  const handled = p.sent + p.failed + p.skipped + p.unknown;
  return (
    <div
      class="stacked-bar"
      role="img"
      aria-label={t("campaigns.barLabel", {
        title: label,
        handled,
        total: p.total,
        delivered: p.delivered,
        read: p.read,
        replied: p.replied,
        failed: p.failed,
      })}
    >
      {parts.map((part) => (part.n > 0 ? <span key={part.key} class={`bar-${part.key}`} style={{ width: `${(part.n / total) * 100}%` }} /> : null))}
    </div>
  );
}

/** The legend of ProgressBar's colours. */
export function ProgressLegend() {
  return (
    <ul class="bar-legend" aria-hidden="true">
      {(["replied", "read", "delivered", "sent", "failed"] as const).map((k) => (
        <li key={k}>
          <span class={`legend-swatch bar-${k}`} /> {counterLabel(k)}
        </li>
      ))}
    </ul>
  );
}

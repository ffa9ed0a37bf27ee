import { t } from "../i18n";
import type { CampaignStatus } from "../types";

/** A status as the operator reads it, e.g. "Sending" / "Enviando". */
export const statusLabel = (s: CampaignStatus) => t(`campaigns.status.${s}`);

export const CAMPAIGN_STATUSES: CampaignStatus[] = ["draft", "scheduled", "sending", "paused", "completed", "failed", "cancelled"];

export function StatusBadge({ status }: { status: CampaignStatus }) {
  return (
    <span class={`badge badge-${status}`} data-status={status}>
      {statusLabel(status)}
    </span>
  );
}

import type { CampaignStatus } from "../types";

export const STATUS_LABEL: Record<CampaignStatus, string> = {
  draft: "Draft",
  scheduled: "Scheduled",
  sending: "Sending",
  paused: "Paused",
  completed: "Completed",
  failed: "Failed",
  cancelled: "Cancelled",
};

export function StatusBadge({ status }: { status: CampaignStatus }) {
  return (
    <span class={`badge badge-${status}`} data-status={status}>
      {STATUS_LABEL[status]}
    </span>
  );
}

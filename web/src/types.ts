/** Shapes the API answers with (see /api/openapi.json). */

export type Role = "admin" | "operator";

export type User = { id: number; email: string; name: string; role: Role };

export type Workspace = { id: number; name: string; default_country: string };

export type Session = { user: User; workspace: Workspace };

export type Label = { id: number; name: string; color: string; contact_count: number };

export type CampaignStatus = "draft" | "scheduled" | "sending" | "paused" | "completed" | "failed" | "cancelled";

/** Cumulative counters: a read message also counts as delivered and sent. */
export type CampaignProgress = {
  total: number;
  pending: number;
  sent: number;
  delivered: number;
  read: number;
  replied: number;
  failed: number;
  skipped: number;
  cancelled: number;
  unknown: number;
};

export type Campaign = {
  id: number;
  title: string;
  inbox_id: number;
  status: CampaignStatus;
  status_reason: string | null;
  status_note: string | null;
  scheduled_at: string | null;
  timezone: string | null;
  progress: CampaignProgress;
  launched_at: string | null;
  completed_at: string | null;
  created_at: string | null;
};

/** A message of GET /api/campaigns/:id/live. */
export type LiveProgress = { type: "progress"; status: CampaignStatus; reason: string | null; progress: CampaignProgress };

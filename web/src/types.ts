/** Shapes the API answers with (see /api/openapi.json); those in worker/views/ derive from the API's own zod views. */
import type { z } from "zod";
import type { audienceSchema, fromCampaignSchema, SendWindow } from "../../worker/domain/campaign-settings";
import type { sessionView, userView, workspaceView } from "../../worker/views/accounts";
import type { AuditEventView, AuditPageView } from "../../worker/views/audit";
import type {
  CampaignView,
  failureGroupView,
  LiveProgressView,
  launchPreviewView,
  RecipientView,
  seriesPointView,
  VariantResultsView,
} from "../../worker/views/campaign";
import type { bulkLabelResultView, contactView, importResult, previewView } from "../../worker/views/contact";
import type { campaignCostView, costEstimateView, rateCardView, rateOverrideView } from "../../worker/views/cost";
import type { connectionCheckView, inboxView } from "../../worker/views/inbox";
import type { labelView } from "../../worker/views/label";
import type { eventView, messageView, templateSyncView, templateView, variableView } from "../../worker/views/messaging";
import type { providerErrorView } from "../../worker/views/provider-error";
import type { ResultCountsView } from "../../worker/views/retarget";

export type User = z.output<typeof userView>;
export type Role = User["role"];

export type Workspace = z.output<typeof workspaceView>;

/** What this deployment offers (the WhatsApp sandbox is for local use and trials). */
export type Features = Session["features"];

export type Session = z.output<typeof sessionView>;

export type Label = z.output<typeof labelView>;

/** One recorded change (GET /api/audit, GET /api/campaigns/:id/history). */
export type AuditEvent = AuditEventView;
export type AuditPage = AuditPageView;

/** A campaign as the API shows it (list items and the detail alike), derived from the API's own view. */
export type CampaignDetail = CampaignView;
export type Campaign = CampaignView;
export type CampaignStatus = CampaignView["status"];
/** Cumulative counters: a read message also counts as delivered and sent. */
export type CampaignProgress = CampaignView["progress"];

/** A message of GET /api/campaigns/:id/live. */
export type LiveProgress = LiveProgressView;

/** Operator actions the server allows on a campaign now (from the lifecycle rules). */
export type CampaignOperatorAction = CampaignView["actions"][number];

/** Who a campaign goes to: labels, or an earlier campaign's results (`from_campaign`) narrowed by labels. */
export type AudienceSelection = z.output<typeof audienceSchema>;

/** What became of a campaign's recipients, as an audience picks them. */
export type ResultState = z.output<typeof fromCampaignSchema>["states"][number];

/** GET /api/campaigns/:id/results. */
export type ResultCounts = ResultCountsView;

export type ContactField = "name" | "first_name" | "phone" | `attributes.${string}`;

export type ValueSource = { source: "fixed"; value: string } | { source: "contact"; field: ContactField; fallback?: string };

export type TemplateContentInput = {
  type: "template";
  template_name: string;
  language: string;
  values: {
    header?: Record<string, ValueSource>;
    media?: { link?: string; id?: string; filename?: string };
    body?: Record<string, ValueSource>;
    buttons?: Record<string, ValueSource>;
  };
};

export type TextContentInput = { type: "text"; variants: string[]; preview_url?: boolean };

export type CampaignContent = TemplateContentInput | TextContentInput;

export type SendSettings = {
  min_delay_s: number;
  max_delay_s: number;
  batch_size: number;
  batch_pause_s: number;
  randomize_variants: boolean;
  failure_threshold: number;
  failure_window: number;
  /** When the campaign may send; absent or null: at any time. */
  send_window?: SendWindow | null;
};

export type InboxView = z.output<typeof inboxView>;
export type Inbox = InboxView;

export type TemplateVariable = z.output<typeof variableView>;
export type Template = z.output<typeof templateView>;

export type Contact = z.output<typeof contactView>;

export type AudiencePreview = z.output<typeof previewView>;

export type LaunchPreview = z.output<typeof launchPreviewView>;

export type Recipient = RecipientView;

/** GET /api/campaigns/:id/variants: a free-text campaign's results per wording variant. */
export type VariantResults = VariantResultsView;

export type SeriesPoint = z.output<typeof seriesPointView>;

export type FailureGroup = z.output<typeof failureGroupView>;

/** GET /api/inboxes[/:id]: an inbox as the API shows it (secrets never; the verify token to admins only). */

/** What Meta (or the sandbox) answered about a number, or why it refused. */
export type ProviderErrorView = z.output<typeof providerErrorView>;

/** POST /api/inboxes/:id/test. */
export type ConnectionCheck = z.output<typeof connectionCheckView>;

/** POST /api/inboxes/:id/templates/sync. */
export type TemplateSyncResult = z.output<typeof templateSyncView>;

/* contacts */

/** GET /api/contacts/:id and the items of GET /api/contacts. */
export type ContactView = Contact;

/** GET /api/contacts: newest first, cursor paging. */
export type ContactListPage = { data: ContactView[]; next_cursor: string | null };

/** POST /api/contacts/labels. */
export type BulkLabelResult = z.output<typeof bulkLabelResultView>;

/** POST /api/contacts/import. */
export type ContactImportResult = z.output<typeof importResult>;

/* messages */

/** POST /api/inboxes/:id/messages: one message sent through an inbox; `status` moves accepted → sent → delivered → read, or failed. */
export type SentMessage = z.output<typeof messageView>;

/** A status WhatsApp reported for a message. */
export type SentMessageEvent = z.output<typeof eventView>;

/** GET /api/inboxes/:id/messages/:messageId. */
export type SentMessageDetail = SentMessage & { events: SentMessageEvent[] };

/* cost */

/** GET /api/rates: WhatsApp's rates shipped with Herald, with the workspace's overrides. */
export type RateCard = z.output<typeof rateCardView>;

/** PUT /api/rates/overrides and the items of RateCard["overrides"]. */
export type RateOverride = z.output<typeof rateOverrideView>;

/** The launch preview's `cost_estimate`. */
export type CostEstimate = z.output<typeof costEstimateView>;

/** GET /api/campaigns/:id/cost. */
export type CampaignCost = z.output<typeof campaignCostView>;

/**
 * What flows between a campaign's object and its senders: the configuration fixed at launch, the
 * grants a sender gets, the outcomes it reports, the queue's jobs and the status webhooks.
 */
import type { CostEstimate } from "../../domain/campaign-cost";
import type { CampaignStatus } from "../../domain/campaign-lifecycle";
import type { Audience, CampaignContent, SendSettings } from "../../domain/campaign-settings";
import type { SkipRules } from "../../domain/launch-skips";
import type { ErrorPolicy } from "../../domain/provider";
import type { TemplateSnapshot, TemplateValues } from "../../domain/templates";
import type { Billing, RecipientState } from "./store";

/** What a campaign sends, to whom and how, fixed at launch. */
export type CampaignConfig = {
  campaignId: number;
  workspaceId: number;
  inboxId: number;
  throughputCap: number;
  content: CampaignContent;
  settings: SendSettings;
  /** The approved template as it was at launch (template content only). */
  template?: TemplateSnapshot;
  /** Who receives it: frozen by the object, page by page, when the launch begins. */
  audience: Audience;
  /** Unix seconds where the 24 h service window began at launch: free text skips contacts who last wrote before. */
  windowStart: number;
  /** What the campaign was expected to cost when it was launched, at the rates of that moment. */
  estimate?: CostEstimate;
  /** Who the freeze skips, fixed at launch (absent for campaigns launched before it was kept: the window rule alone). */
  skipRules?: SkipRules;
};

/** A recipient the consumer may send to now, with its message rendered. */
export type Grant = {
  id: number;
  /** The claim's time (epoch ms), unique per claim: outcomes carry it back. */
  claim: number;
  to: string;
  /** Last inbound message of the contact at launch (unix seconds), for the messaging-limit guard. */
  inboundAt: number | null;
  callbackData: string;
  message: { kind: "text"; body: string; previewUrl: boolean } | { kind: "template"; values: TemplateValues };
};

/** What a sender reports for one claimed recipient; `claim` is the grant's, so a repeated report cannot touch a later claim. */
export type Outcome = { claim?: number } & (
  | { id: number; result: "sent"; wamid: string }
  | { id: number; result: "failed"; policy: ErrorPolicy; code?: number; title: string; details?: string }
  /** Not sent, to be tried again later (a throttled inbox, a temporary error, or a failure before the request left). */
  | { id: number; result: "retry"; policy: ErrorPolicy; code?: number; title: string; delayMs?: number }
  /** The request may have reached WhatsApp: never sent again. */
  | { id: number; result: "unknown"; title: string }
  /** Not sent: the inbox's messaging limit is reached until `until` (epoch ms). */
  | { id: number; result: "deferred"; until: number; note: string }
  /** Not sent and nothing used up (no send time was free soon enough; `until` says when the inbox has room): released again in its turn. */
  | { id: number; result: "returned"; until?: number }
);

/**
 * A queue message: recipients to claim and send, or (`report`) outcomes whose report could not
 * reach the campaign when they happened.
 */
export type OutboundJob = { campaignId: number; inboxId: number; ids: number[]; report?: Outcome[] };

/** A status webhook for one campaign recipient. */
export type StatusUpdate = {
  recipientId: number;
  wamid: string;
  status: "sent" | "delivered" | "read" | "failed";
  /** Unix seconds, from Meta. */
  timestamp: number;
  errorCode?: number;
  errorTitle?: string;
  /** The `pricing` WhatsApp attached to the status: whether the message is billed, and in which category. */
  billing?: Billing;
};

export type Progress = {
  status: CampaignStatus;
  reason: string | null;
  /** Why a sending campaign is waiting: its audience is still being prepared, or the messaging limit. */
  note: string | null;
  /** True until the whole audience is frozen; nothing is sent before. */
  preparing: boolean;
  total: number;
  states: Record<RecipientState, number>;
};

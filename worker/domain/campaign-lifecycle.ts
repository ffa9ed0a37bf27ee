/** The campaign state machine: every status change goes through `transition`. */

export const CAMPAIGN_STATUSES = ["draft", "scheduled", "sending", "paused", "completed", "failed", "cancelled"] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

export const CAMPAIGN_ACTIONS = ["schedule", "unschedule", "start", "pause", "resume", "cancel", "complete", "fail"] as const;
export type CampaignAction = (typeof CAMPAIGN_ACTIONS)[number];

export type TransitionResult = { ok: true; to: CampaignStatus } | { ok: false; message: string };

const ALLOWED: Record<CampaignStatus, Partial<Record<CampaignAction, CampaignStatus>>> = {
  draft: { schedule: "scheduled", start: "sending" },
  scheduled: { unschedule: "draft", start: "sending", cancel: "cancelled" },
  sending: { pause: "paused", cancel: "cancelled", complete: "completed", fail: "failed" },
  // `complete` while paused: the last sends in flight settled after the pause.
  paused: { resume: "sending", cancel: "cancelled", complete: "completed", fail: "failed" },
  completed: {},
  failed: {},
  cancelled: {},
};

/** Where each action leads wherever it is allowed: every action has a single target. */
const TARGET = Object.fromEntries(CAMPAIGN_STATUSES.flatMap((status) => Object.entries(ALLOWED[status]))) as Record<CampaignAction, CampaignStatus>;

const FINAL: ReadonlySet<CampaignStatus> = new Set(["completed", "failed", "cancelled"]);

const A_CAMPAIGN: Record<CampaignStatus, string> = {
  draft: "a draft",
  scheduled: "a scheduled campaign",
  sending: "a campaign that is sending",
  paused: "a paused campaign",
  completed: "a completed campaign",
  failed: "a failed campaign",
  cancelled: "a cancelled campaign",
};

const PAST_PARTICIPLE: Record<CampaignAction, string> = {
  schedule: "scheduled",
  unschedule: "moved back to draft",
  start: "started",
  pause: "paused",
  resume: "resumed",
  cancel: "cancelled",
  complete: "completed",
  fail: "marked as failed",
};

function refusal(from: CampaignStatus, action: CampaignAction): string {
  if (TARGET[action] === from) return from === "draft" ? "the campaign is already a draft" : `the campaign is already ${from}`;
  if (action === "schedule") return `only a draft can be scheduled; this campaign is ${from}`;
  if (action === "unschedule") return `only a scheduled campaign can be moved back to draft; this campaign is ${from}`;
  if (action === "resume") return `only a paused campaign can be resumed; this campaign is ${from}`;
  if (action === "start" && from === "paused") return "a paused campaign cannot be started; resume it instead";
  if (action === "pause" && (from === "draft" || from === "scheduled")) return `${A_CAMPAIGN[from]} cannot be paused: it is not sending yet`;
  if (action === "cancel" && from === "draft") return "a draft cannot be cancelled: it was never launched";
  return `${A_CAMPAIGN[from]} cannot be ${PAST_PARTICIPLE[action]}`;
}

/**
 * Applies an action to a campaign status. An illegal change is refused with a message meant for
 * the operator (routes answer it with 409).
 *
 * @example
 * transition("draft", "schedule"); // { ok: true, to: "scheduled" }
 * transition("completed", "pause"); // { ok: false, message: "a completed campaign cannot be paused" }
 * transition("paused", "pause"); // { ok: false, message: "the campaign is already paused" }
 */
export function transition(from: CampaignStatus, action: CampaignAction): TransitionResult {
  const to = ALLOWED[from][action];
  return to ? { ok: true, to } : { ok: false, message: refusal(from, action) };
}

/** The actions allowed from a status, in `CAMPAIGN_ACTIONS` order (for the buttons a UI shows). */
export function allowedActions(status: CampaignStatus): CampaignAction[] {
  return CAMPAIGN_ACTIONS.filter((action) => ALLOWED[status][action] !== undefined);
}

/** Only a draft's content, audience, settings and schedule can change; launch freezes them. */
export function isEditable(status: CampaignStatus): boolean {
  return status === "draft";
}

/** A campaign that may still send (scheduled, sending or paused) must be cancelled before it can be deleted. */
export function isDeletable(status: CampaignStatus): boolean {
  return status !== "scheduled" && status !== "sending" && status !== "paused";
}

/** What an operator can do to a campaign, in the order a UI shows the buttons. */
export const OPERATOR_ACTIONS = ["edit", "launch", "schedule", "unschedule", "pause", "resume", "cancel", "duplicate", "delete"] as const;
export type OperatorAction = (typeof OPERATOR_ACTIONS)[number];

/** The lifecycle action behind each operator action that is one ("launch" is `start`). */
const LIFECYCLE_ACTION: Partial<Record<OperatorAction, CampaignAction>> = {
  launch: "start",
  schedule: "schedule",
  unschedule: "unschedule",
  pause: "pause",
  resume: "resume",
  cancel: "cancel",
};

/**
 * The operator actions allowed now, in `OPERATOR_ACTIONS` order: the lifecycle actions the
 * status allows (`complete` and `fail` are Herald's own, never an operator's), "edit" while
 * editable, "delete" while deletable, and "duplicate" always.
 *
 * @example
 * operatorActions("draft"); // ["edit", "launch", "schedule", "duplicate", "delete"]
 * operatorActions("sending"); // ["pause", "cancel", "duplicate"]
 * operatorActions("completed"); // ["duplicate", "delete"]
 */
export function operatorActions(status: CampaignStatus): OperatorAction[] {
  return OPERATOR_ACTIONS.filter((action) => {
    if (action === "edit") return isEditable(status);
    if (action === "delete") return isDeletable(status);
    if (action === "duplicate") return true;
    const lifecycle = LIFECYCLE_ACTION[action];
    return lifecycle !== undefined && ALLOWED[status][lifecycle] !== undefined;
  });
}

/**
 * Whether the campaign may have launched (recipients, progress, a sender): every status a started
 * campaign reaches. A campaign cancelled while scheduled reaches one of them without launching;
 * its `launched_at` tells.
 */
export function hasLaunched(status: CampaignStatus): boolean {
  return status !== "draft" && status !== "scheduled";
}

/** Whether a change to this status stops the sending (it ended, or it is paused). */
export function stopsSending(status: CampaignStatus): boolean {
  return isFinal(status) || status === "paused";
}

/** No action leaves these statuses. */
export function isFinal(status: CampaignStatus): boolean {
  return FINAL.has(status);
}

export function isCampaignStatus(value: unknown): value is CampaignStatus {
  return typeof value === "string" && (CAMPAIGN_STATUSES as readonly string[]).includes(value);
}

import { describe, expect, it } from "vitest";
import {
  allowedActions,
  CAMPAIGN_ACTIONS,
  CAMPAIGN_STATUSES,
  type CampaignAction,
  type CampaignStatus,
  hasLaunched,
  isCampaignStatus,
  isDeletable,
  isEditable,
  isFinal,
  OPERATOR_ACTIONS,
  operatorActions,
  stopsSending,
  transition,
} from "../../worker/domain/campaign-lifecycle";

// The lifecycle written out independently of the module's table.
const ALLOWED: [from: CampaignStatus, action: CampaignAction, to: CampaignStatus][] = [
  ["draft", "schedule", "scheduled"],
  ["draft", "start", "sending"],
  ["scheduled", "start", "sending"],
  ["scheduled", "unschedule", "draft"],
  ["scheduled", "cancel", "cancelled"],
  ["sending", "pause", "paused"],
  ["sending", "cancel", "cancelled"],
  ["sending", "complete", "completed"],
  ["sending", "fail", "failed"],
  ["paused", "resume", "sending"],
  ["paused", "cancel", "cancelled"],
  ["paused", "complete", "completed"],
  ["paused", "fail", "failed"],
];

const target = (from: CampaignStatus, action: CampaignAction) => ALLOWED.find(([f, a]) => f === from && a === action)?.[2];
const EVERY_PAIR = CAMPAIGN_STATUSES.flatMap((from) => CAMPAIGN_ACTIONS.map((action) => [from, action] as const));

describe("transition", () => {
  it("covers 7 statuses × 8 actions", () => {
    expect(EVERY_PAIR).toHaveLength(56);
  });

  it.each(EVERY_PAIR.filter(([from, action]) => target(from, action)))("%s -%s-> allowed", (from, action) => {
    expect(transition(from, action)).toEqual({ ok: true, to: target(from, action) });
  });

  it.each(EVERY_PAIR.filter(([from, action]) => !target(from, action)))("%s -%s-> refused with a message", (from, action) => {
    const result = transition(from, action);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.message.length).toBeGreaterThan(10);
      expect(result.message).not.toMatch(/undefined/);
    }
  });

  it.each([
    ["completed", "pause", "a completed campaign cannot be paused"],
    ["sending", "schedule", "only a draft can be scheduled; this campaign is sending"],
    ["paused", "pause", "the campaign is already paused"],
    ["sending", "resume", "the campaign is already sending"],
    ["sending", "start", "the campaign is already sending"],
    ["cancelled", "cancel", "the campaign is already cancelled"],
    ["draft", "unschedule", "the campaign is already a draft"],
    ["paused", "start", "a paused campaign cannot be started; resume it instead"],
    ["draft", "pause", "a draft cannot be paused: it is not sending yet"],
    ["draft", "cancel", "a draft cannot be cancelled: it was never launched"],
    ["completed", "resume", "only a paused campaign can be resumed; this campaign is completed"],
    ["failed", "start", "a failed campaign cannot be started"],
    ["scheduled", "fail", "a scheduled campaign cannot be marked as failed"],
  ] as const)("%s -%s-> says %j", (from, action, message) => {
    expect(transition(from, action)).toEqual({ ok: false, message });
  });

  it("lets nothing leave a final status", () => {
    for (const status of CAMPAIGN_STATUSES.filter(isFinal)) {
      for (const action of CAMPAIGN_ACTIONS) expect(transition(status, action).ok, `${status} ${action}`).toBe(false);
    }
  });
});

describe("allowedActions", () => {
  it("lists exactly the allowed actions of each status", () => {
    for (const status of CAMPAIGN_STATUSES) {
      expect(allowedActions(status)).toEqual(CAMPAIGN_ACTIONS.filter((action) => target(status, action)));
    }
  });
});

describe("isEditable / isFinal", () => {
  it.each(CAMPAIGN_STATUSES.map((s) => [s]))("%s", (status) => {
    expect(isEditable(status)).toBe(status === "draft");
    expect(isFinal(status)).toBe(status === "completed" || status === "failed" || status === "cancelled");
  });

  it("recognizes status strings", () => {
    expect(isCampaignStatus("paused")).toBe(true);
    expect(isCampaignStatus("PAUSED")).toBe(false);
    expect(isCampaignStatus(3)).toBe(false);
  });
});

describe("isDeletable", () => {
  it.each(CAMPAIGN_STATUSES.map((s) => [s]))("%s", (status) => {
    expect(isDeletable(status)).toBe(!["scheduled", "sending", "paused"].includes(status));
  });
});

describe("operatorActions", () => {
  it.each([
    ["draft", ["edit", "launch", "schedule", "duplicate", "delete"]],
    ["scheduled", ["launch", "unschedule", "cancel", "duplicate"]],
    ["sending", ["pause", "cancel", "duplicate"]],
    ["paused", ["resume", "cancel", "duplicate"]],
    ["completed", ["duplicate", "delete"]],
    ["failed", ["duplicate", "delete"]],
    ["cancelled", ["duplicate", "delete"]],
  ] as const)("%s offers %j", (status, actions) => {
    expect(operatorActions(status)).toEqual(actions);
  });

  it("never offers cancelling a draft", () => {
    expect(operatorActions("draft")).not.toContain("cancel");
  });

  it("offers a lifecycle action exactly when the transition is allowed (launch being start)", () => {
    const lifecycle = { launch: "start", schedule: "schedule", unschedule: "unschedule", pause: "pause", resume: "resume", cancel: "cancel" } as const;
    for (const status of CAMPAIGN_STATUSES) {
      for (const [action, transitionAction] of Object.entries(lifecycle)) {
        expect(operatorActions(status).includes(action as keyof typeof lifecycle), `${status} ${action}`).toBe(transition(status, transitionAction).ok);
      }
    }
  });

  it("lists actions in OPERATOR_ACTIONS order and always offers duplicate", () => {
    for (const status of CAMPAIGN_STATUSES) {
      const actions = operatorActions(status);
      expect(actions).toEqual(OPERATOR_ACTIONS.filter((a) => actions.includes(a)));
      expect(actions).toContain("duplicate");
      expect(actions.includes("edit")).toBe(isEditable(status));
      expect(actions.includes("delete")).toBe(isDeletable(status));
    }
  });
});

describe("launched and stopping statuses", () => {
  it("a campaign may have launched in every status a started campaign reaches: all but draft and scheduled", () => {
    const reachedByStart = new Set<CampaignStatus>(["sending"]);
    // Everything reachable from `sending` has launched too.
    for (let grew = true; grew; ) {
      grew = false;
      for (const from of [...reachedByStart]) {
        for (const action of CAMPAIGN_ACTIONS) {
          const t = transition(from, action);
          if (t.ok && !reachedByStart.has(t.to)) {
            reachedByStart.add(t.to);
            grew = true;
          }
        }
      }
    }
    for (const status of CAMPAIGN_STATUSES) expect(hasLaunched(status), status).toBe(reachedByStart.has(status));
  });

  it("a change to a final status or to paused stops the sending", () => {
    for (const status of CAMPAIGN_STATUSES) expect(stopsSending(status), status).toBe(isFinal(status) || status === "paused");
    expect(stopsSending("sending")).toBe(false);
  });
});

/**
 * The campaign editor's working copy: what the operator has chosen so far, how it becomes the
 * API's body, and which step owns each field an error can name.
 */

import { SEND_SETTING_DEFAULTS } from "../../../../worker/domain/send-defaults";
import { t } from "../../i18n";
import { browserTimeZone } from "../../lib/format";
import type { AudienceSelection, CampaignContent, CampaignDetail, ResultState, SendSettings, TemplateContentInput, ValueSource } from "../../types";

export const STEPS = ["type", "title", "inbox", "audience", "content", "settings", "when", "review"] as const;
export type Step = (typeof STEPS)[number];

/** A step's name in the stepper and its heading. */
export const stepLabel = (step: Step) => t(`campaigns.step.${step}`);

export type When = "now" | "schedule" | "draft";

/** An audience from an earlier campaign's results, as far as the operator has chosen it. */
export type RetargetChoice = { campaign_id: number | null; states: ResultState[] };

export type Draft = {
  id: number | null;
  title: string;
  inbox_id: number | null;
  /** The label part of the audience (all of it, unless `retarget` is chosen). */
  audience: Omit<AudienceSelection, "from_campaign">;
  /** The earlier campaign whose results the audience comes from; null for a label audience. */
  retarget: RetargetChoice | null;
  contentType: "template" | "text";
  template: { name: string; language: string } | null;
  values: TemplateContentInput["values"];
  variants: string[];
  settings: SendSettings;
  when: When;
  schedule: { date: string; time: string; timezone: string };
};

export const DEFAULT_SETTINGS: SendSettings = { ...SEND_SETTING_DEFAULTS };

const pad = (n: number) => String(n).padStart(2, "0");

/** A schedule one hour from now, on the hour, in the browser's time zone. */
function defaultSchedule(now = new Date()): Draft["schedule"] {
  const at = new Date(now.getTime() + 3_600_000);
  at.setMinutes(0, 0, 0);
  return { date: `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`, time: `${pad(at.getHours())}:00`, timezone: browserTimeZone() };
}

export function emptyDraft(): Draft {
  return {
    id: null,
    title: "",
    inbox_id: null,
    audience: { labels: [], match: "any", exclude_labels: [] },
    retarget: null,
    contentType: "template",
    template: null,
    values: {},
    variants: [""],
    settings: { ...DEFAULT_SETTINGS },
    when: "now",
    schedule: defaultSchedule(),
  };
}

/** A saved draft, reopened in the editor. */
export function draftFrom(c: CampaignDetail): Draft {
  const base = emptyDraft();
  const content = c.content;
  return {
    ...base,
    id: c.id,
    title: c.title,
    inbox_id: c.inbox_id,
    audience: { labels: c.audience.labels ?? [], match: c.audience.match ?? "any", exclude_labels: c.audience.exclude_labels ?? [] },
    retarget: c.audience.from_campaign ? { campaign_id: c.audience.from_campaign.campaign_id, states: c.audience.from_campaign.states } : null,
    contentType: content.type,
    template: content.type === "template" ? { name: content.template_name, language: content.language } : null,
    values: content.type === "template" ? content.values : {},
    variants: content.type === "text" ? content.variants : [""],
    settings: { ...DEFAULT_SETTINGS, ...c.settings },
  };
}

export function contentOf(d: Draft): CampaignContent | null {
  if (d.contentType === "text") return { type: "text", variants: d.variants };
  if (!d.template) return null;
  return { type: "template", template_name: d.template.name, language: d.template.language, values: d.values };
}

/** A new draft that retargets a launched campaign: its results as the audience, from the same inbox. */
export function retargetDraft(source: CampaignDetail): Draft {
  return { ...emptyDraft(), inbox_id: source.inbox_id, retarget: { campaign_id: source.id, states: [] } };
}

/**
 * The audience the API takes; with `retarget` its campaign must be chosen (the audience step
 * checks it first), else the API names `audience.from_campaign.campaign_id`.
 */
export function audienceOf(d: Draft): AudienceSelection {
  return d.retarget ? { ...d.audience, from_campaign: { campaign_id: d.retarget.campaign_id ?? 0, states: d.retarget.states } } : d.audience;
}

/** The audience to count while it is being chosen; null until it can reach someone (labels, or a campaign and a result). */
export function audienceToCount(d: Draft): AudienceSelection | null {
  if (d.retarget) return d.retarget.campaign_id !== null && d.retarget.states.length > 0 ? audienceOf(d) : null;
  return d.audience.labels.length > 0 ? d.audience : null;
}

/** The body of POST /api/campaigns and PATCH /api/campaigns/:id. */
export function bodyOf(d: Draft) {
  return { title: d.title.trim(), inbox_id: d.inbox_id, audience: audienceOf(d), content: contentOf(d), settings: d.settings };
}

/** The step where the field an API error names (`details[].path`) is edited. */
export function stepOfPath(path: string): Step {
  const head = path.split(".")[0];
  if (head === "title") return "title";
  if (head === "inbox_id") return "inbox";
  if (head === "audience" || head === "labels" || head === "exclude_labels" || head === "from_campaign") return "audience";
  if (head === "content") return "content";
  if (head === "settings") return "settings";
  if (head === "schedule") return "when";
  return "review";
}

export type Errors = Record<string, string>;

/** The path of a template variable's value, as the API names it in errors. */
export function variablePath(component: "header" | "body" | "button", key: string): string {
  return `content.values.${component === "button" ? "buttons" : component}.${key}`;
}

export type Section = "header" | "body" | "buttons";

export function sectionOf(component: "header" | "body" | "button"): Section {
  return component === "button" ? "buttons" : component;
}

/** Sets (or with `undefined`, clears) one template variable's source. */
export function withSource(
  values: TemplateContentInput["values"],
  section: Section,
  key: string,
  source: ValueSource | undefined,
): TemplateContentInput["values"] {
  const current = { ...(values[section] ?? {}) };
  if (source) current[key] = source;
  else delete current[key];
  return { ...values, [section]: current };
}

/** "2026-12-01T09:30" in the schedule's own zone. */
export const scheduleAt = (s: Draft["schedule"]) => `${s.date}T${s.time}`;

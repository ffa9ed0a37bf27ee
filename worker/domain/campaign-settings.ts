/**
 * What an operator configures on a campaign — send settings, audience, content, schedule — as
 * zod schemas shared by the routes and the campaign Durable Object.
 */
import { z } from "zod";
import { RESULT_STATE_MEANINGS, RESULT_STATES } from "./campaign-results";
import { malformedVariables } from "./contact-variables";
import { SEND_SETTING_DEFAULTS as DEFAULTS } from "./send-defaults";
import { WEEKDAYS } from "./send-window";
import { canonicalTimeZone, isTimeZone, offsetAt, utc } from "./time-zone";

export { isTimeZone } from "./time-zone";

const MAX_DELAY_S = 3_600;
const MAX_BATCH_PAUSE_S = 86_400;
const MAX_TEXT_LENGTH = 4_096;
const MAX_PARAMETER_LENGTH = 1_024;

const hasMillisecondResolution = (seconds: number) => Math.abs(seconds * 1000 - Math.round(seconds * 1000)) < 1e-6;
const notBlank = (text: string) => text.trim() !== "";
/** Characters as WhatsApp counts them (code points), not UTF-16 units. */
const charCount = (text: string) => {
  let n = 0;
  for (const _ of text) n++;
  return n;
};

const seconds = (max: number) =>
  z
    .number()
    .min(0, "must be at least 0")
    .max(max, `must be at most ${max.toLocaleString("en")} seconds`)
    .refine(hasMillisecondResolution, "must have at most 3 decimals (millisecond resolution)");

/** An IANA time zone name such as "America/Sao_Paulo", given back in Intl's spelling. */
export const timeZoneSchema = z.string().refine(isTimeZone, 'must be an IANA time zone such as "America/Sao_Paulo"').transform(canonicalTimeZone);

const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day like "09:00" (00:00 to 23:59)');

/**
 * When a campaign may send: on `days`, from `from` until `to` (local clock times, `to` not
 * included). A `to` earlier than `from` is an overnight window that closes the next day
 * (20:00–02:00 on Friday runs from Friday 20:00 to Saturday 02:00: the day is the day it opens).
 * Times are read in `timezone` (the campaign's own zone when left out, UTC when the campaign
 * has none), or, with `per_contact_timezone`, in each contact's `timezone` attribute when that
 * holds a zone name (the window's zone otherwise).
 *
 * @example
 * sendWindowSchema.parse({ days: ["fri", "mon"], from: "09:00", to: "18:00", timezone: "America/Sao_Paulo" });
 * // { days: ["mon", "fri"], from: "09:00", to: "18:00", timezone: "America/Sao_Paulo", per_contact_timezone: false }
 */
export const sendWindowSchema = z
  .object({
    days: z
      .array(z.enum(WEEKDAYS, { error: `must be one of ${WEEKDAYS.join(", ")}` }))
      .min(1, "choose at least one day")
      .refine((days) => new Set(days).size === days.length, "name each day once")
      .transform((days) => WEEKDAYS.filter((d) => days.includes(d))),
    from: clockTime,
    to: clockTime,
    timezone: timeZoneSchema.optional(),
    per_contact_timezone: z.boolean().default(false),
  })
  .superRefine((window, ctx) => {
    if (window.from === window.to) {
      ctx.addIssue({ code: "custom", path: ["to"], message: `must differ from "from" (${window.from}); a window must close at some time` });
    }
  });
export type SendWindow = z.output<typeof sendWindowSchema>;

const sendSettingsFields = z.object({
  min_delay_s: seconds(MAX_DELAY_S).default(DEFAULTS.min_delay_s),
  max_delay_s: seconds(MAX_DELAY_S).default(DEFAULTS.max_delay_s),
  batch_size: z.number().int("must be a whole number").min(1, "must be at least 1").max(1_000, "must be at most 1,000").default(DEFAULTS.batch_size),
  batch_pause_s: seconds(MAX_BATCH_PAUSE_S).default(DEFAULTS.batch_pause_s),
  randomize_variants: z.boolean().default(DEFAULTS.randomize_variants),
  /** Failure rate over the last `failure_window` sends at which the campaign pauses itself. */
  failure_threshold: z.number().min(0.05, "must be at least 0.05 (5%)").max(1, "must be at most 1 (100%)").default(DEFAULTS.failure_threshold),
  failure_window: z.number().int("must be a whole number").min(10, "must be at least 10").max(1_000, "must be at most 1,000").default(DEFAULTS.failure_window),
  /** When the campaign may send; absent or null: at any time. */
  send_window: sendWindowSchema.nullable().optional(),
});

/**
 * Pacing and auto-pause settings. Every field has a default, so `{}` is
 * valid; as a field of a larger schema use `sendSettingsSchema.prefault({})` (zod's `.default({})`
 * would skip the field defaults).
 *
 * @example
 * sendSettingsSchema.parse({ min_delay_s: 1 });
 * // { min_delay_s: 1, max_delay_s: 8, batch_size: 50, batch_pause_s: 0, randomize_variants: true,
 * //   failure_threshold: 0.5, failure_window: 50 }
 */
export const sendSettingsSchema = sendSettingsFields.superRefine((settings, ctx) => {
  if (settings.min_delay_s > settings.max_delay_s) {
    ctx.addIssue({
      code: "custom",
      path: ["max_delay_s"],
      message: `max_delay_s (${settings.max_delay_s}) must be at least min_delay_s (${settings.min_delay_s})`,
    });
  }
});
export type SendSettings = z.output<typeof sendSettingsSchema>;
export type SendSettingsInput = z.input<typeof sendSettingsSchema>;

/** The settings a campaign gets when none are given. */
export const DEFAULT_SEND_SETTINGS: SendSettings = sendSettingsSchema.parse({});

const labelId = z.number().int("label ids are whole numbers").positive("label ids are positive");

/** Most labels a selection of contacts (an audience's labels, its excluded labels, a filter) may name. */
export const MAX_SELECTED_LABELS = 500;

/** Label ids choosing contacts: at most MAX_SELECTED_LABELS. */
export const labelSelection = z.array(labelId).max(MAX_SELECTED_LABELS, `at most ${MAX_SELECTED_LABELS} labels`);

/**
 * Retargeting: the recipients of an earlier campaign of the workspace, in the chosen result
 * states. The campaign must have launched and cannot be the one the audience belongs to
 * (checked by the routes).
 */
export const fromCampaignSchema = z
  .object({
    campaign_id: z.number().int("campaign ids are whole numbers").positive("campaign ids are positive"),
    states: z
      .array(z.enum(RESULT_STATES))
      .min(1, "choose at least one result")
      .refine((states) => new Set(states).size === states.length, "name each result once")
      .describe(
        `The results whose recipients are chosen (any of them): ${RESULT_STATES.map((state) => `\`${state}\`: ${RESULT_STATE_MEANINGS[state]}`).join("; ")}. Recipients in state \`unknown\` (the message may have reached them) are never chosen.`,
      ),
  })
  .describe("the recipients of a launched campaign of the workspace, by what became of their message");
export type FromCampaign = z.output<typeof fromCampaignSchema>;

/**
 * A check that labels are chosen unless the contacts come from a campaign's results, refused
 * with `message` at `labels`.
 * @example schema.superRefine(labelsOrResults("pick at least one label"))
 */
export const labelsOrResults =
  (message: string) =>
  (audience: { labels: readonly number[]; from_campaign?: unknown }, ctx: z.RefinementCtx): void => {
    if (audience.labels.length === 0 && !audience.from_campaign) ctx.addIssue({ code: "custom", path: ["labels"], message });
  };

/**
 * Who a campaign goes to: contacts with any (or all) of `labels`, minus those with any of
 * `exclude_labels`; or, with `from_campaign`, the recipients of an earlier campaign in the chosen
 * result states, further restricted by `labels` when some are given. Opted-out contacts are
 * always left out. Resolved at launch.
 *
 * @example
 * audienceSchema.parse({ labels: [3] }); // { labels: [3], match: "any", exclude_labels: [] }
 * audienceSchema.parse({ from_campaign: { campaign_id: 12, states: ["read_not_replied"] }, exclude_labels: [4] });
 * // { labels: [], match: "any", exclude_labels: [4], from_campaign: { campaign_id: 12, states: ["read_not_replied"] } }
 */
export const audienceSchema = z
  .object({
    labels: labelSelection.default([]),
    match: z.enum(["any", "all"]).default("any"),
    exclude_labels: labelSelection.default([]),
    from_campaign: fromCampaignSchema.optional(),
  })
  .superRefine((audience, ctx) => {
    labelsOrResults("choose at least one label")(audience, ctx);
    const both = audience.exclude_labels.filter((id) => audience.labels.includes(id));
    if (both.length) {
      ctx.addIssue({
        code: "custom",
        path: ["exclude_labels"],
        message: `label${both.length > 1 ? "s" : ""} ${both.join(", ")} cannot be both included and excluded`,
      });
    }
  });
export type Audience = z.output<typeof audienceSchema>;

const ATTRIBUTE_KEY = /^[a-z0-9_]{1,64}$/;

/** A contact field a template variable can take its value from. */
export const contactFieldSchema = z.union(
  [z.literal("name"), z.literal("first_name"), z.literal("phone"), z.templateLiteral(["attributes.", z.string().regex(ATTRIBUTE_KEY)])],
  { error: 'must be "name", "first_name", "phone" or "attributes.<key>" (key in a-z, 0-9 and _)' },
);
export type ContactField = z.output<typeof contactFieldSchema>;

const parameterText = z
  .string()
  .max(MAX_PARAMETER_LENGTH, `must be at most ${MAX_PARAMETER_LENGTH.toLocaleString("en")} characters`)
  .refine(notBlank, "must not be blank");

/** Where the value of one template variable comes from: a fixed text, or a contact field with a fallback. */
export const valueSourceSchema = z.discriminatedUnion("source", [
  z.object({ source: z.literal("fixed"), value: parameterText }),
  z.object({ source: z.literal("contact"), field: contactFieldSchema, fallback: parameterText.optional() }),
]);
export type ValueSource = z.output<typeof valueSourceSchema>;

/** A record whose bad keys are reported with `message` (zod's own is "Invalid key in record"). */
const keyedBy = (key: RegExp, message: string) =>
  z.record(z.string().regex(key), valueSourceSchema, { error: (issue) => (issue.code === "invalid_key" ? message : undefined) });
const sources = keyedBy(/^[A-Za-z0-9_]{1,64}$/, 'must be a template variable name, e.g. "1" or "first_name"');

const mediaSchema = z
  .object({
    link: z
      .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
      .max(2_000)
      .optional(),
    id: z.string().min(1).max(128).optional(),
    filename: z.string().min(1).max(240).optional(),
  })
  .superRefine((media, ctx) => {
    if (!media.link && !media.id) ctx.addIssue({ code: "custom", message: "give the media's link or its id" });
    if (media.link && media.id) ctx.addIssue({ code: "custom", message: "give the media's link or its id, not both" });
  });

export const templateContentSchema = z.object({
  type: z.literal("template"),
  template_name: z.string().regex(/^[a-z0-9_]{1,512}$/, "must be a template name (a-z, 0-9 and _)"),
  language: z.string().regex(/^[a-z]{2,3}(_[A-Za-z0-9]{2,8})?$/, 'must be a template language code, e.g. "en_US" or "pt_BR"'),
  /** Keyed like the template's variables (see `templateVariables`); checked against the template by the route. */
  values: z
    .object({
      header: sources.optional(),
      media: mediaSchema.optional(),
      body: sources.optional(),
      buttons: keyedBy(/^[0-9]$/, "button indexes go from 0 to 9").optional(),
    })
    .default({}),
});
export type TemplateContent = z.output<typeof templateContentSchema>;

const textVariant = z
  .string()
  .refine(notBlank, "must not be blank")
  .refine((text) => charCount(text) <= MAX_TEXT_LENGTH, `must be at most ${MAX_TEXT_LENGTH.toLocaleString("en")} characters`)
  .superRefine((text, ctx) => {
    for (const snippet of malformedVariables(text)) {
      ctx.addIssue({
        code: "custom",
        message: `${snippet} is not a valid variable; write {{contact.name}} or {{contact.name | "fallback"}}`,
      });
    }
  });

export const textContentSchema = z.object({
  type: z.literal("text"),
  variants: z.array(textVariant).min(1, "give at least one variant").max(10, "at most 10 variants"),
  preview_url: z.boolean().optional(),
});
export type TextContent = z.output<typeof textContentSchema>;

/**
 * What a campaign sends: an approved template with a value source for each variable, or free
 * text in 1–10 variants using `{{contact.*}}` variables (see campaign-render).
 *
 * @example
 * contentSchema.parse({ type: "text", variants: ['Hi {{contact.first_name | "there"}}!'] });
 * contentSchema.parse({
 *   type: "template", template_name: "promo", language: "pt_BR",
 *   values: { body: { "1": { source: "contact", field: "name", fallback: "cliente" } } },
 * });
 */
export const contentSchema = z.discriminatedUnion("type", [templateContentSchema, textContentSchema]);
export type CampaignContent = z.output<typeof contentSchema>;

// ---------------------------------------------------------------------------------------------
// Schedule

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2})?$/;
type DateTimeFields = { year: number; month: number; day: number; hour: number; minute: number; second: number; ms: number; offsetMs?: number };

function parseDateTime(at: string): DateTimeFields | undefined {
  const m = DATE_TIME.exec(at);
  if (!m) return undefined;
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [number, number, number, number, number];
  const second = m[6] ? Number(m[6]) : 0;
  const ms = m[7] ? Number(m[7].padEnd(3, "0")) : 0;
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  if (new Date(utc(year, month, day, 0, 0, 0, 0)).getUTCDate() !== day) return undefined;
  const fields: DateTimeFields = { year, month, day, hour, minute, second, ms };
  const offset = m[8];
  if (offset && offset !== "Z") {
    const [hours, minutes] = offset.slice(1).split(":").map(Number) as [number, number];
    if (hours > 23 || minutes > 59) return undefined;
    fields.offsetMs = (offset[0] === "-" ? -1 : 1) * (hours * 60 + minutes) * 60_000;
  } else if (offset === "Z") fields.offsetMs = 0;
  return fields;
}

const DAY_MS = 86_400_000;

/**
 * Epoch ms of a wall-clock time in a time zone, correct across daylight-saving changes:
 * - a time skipped by a spring-forward jump moves forward by the jump (02:30 on the New York
 *   spring-forward day is 03:30 EDT);
 * - a time that happens twice on a fall-back day is its earlier occurrence (01:30 EDT, not EST).
 *
 * A time with an offset ("…T09:30-03:00" or "…Z") is taken as is and the zone is ignored.
 * Throws a RangeError for an invalid date-time or time zone; validate with `scheduleSchema` first.
 *
 * @example
 * toUtcMillis("2026-12-01T09:30", "America/Sao_Paulo"); // Date.UTC(2026, 11, 1, 12, 30)
 * toUtcMillis("2026-03-08T02:30", "America/New_York"); // Date.UTC(2026, 2, 8, 7, 30) — 03:30 EDT
 */
export function toUtcMillis(at: string, timeZone: string): number {
  const fields = parseDateTime(at);
  if (!fields) throw new RangeError(`not a date and time: ${JSON.stringify(at)}`);
  const wall = utc(fields.year, fields.month, fields.day, fields.hour, fields.minute, fields.second, fields.ms);
  if (fields.offsetMs !== undefined) return wall - fields.offsetMs;
  if (!isTimeZone(timeZone)) throw new RangeError(`not a time zone: ${JSON.stringify(timeZone)}`);
  // The offsets in force around that wall time (a day either side covers any single transition);
  // each is right if the instant it gives shows that wall time.
  const offsets = new Set([offsetAt(timeZone, wall - DAY_MS), offsetAt(timeZone, wall), offsetAt(timeZone, wall + DAY_MS)]);
  const candidates = [...offsets].map((offset) => wall - offset);
  const valid = candidates.filter((instant) => offsetAt(timeZone, instant) === wall - instant);
  if (valid.length) return Math.min(...valid);
  // Nothing shows that wall time: it fell in a gap. Reading it with the offset from before the
  // jump gives the latest candidate, which shows the wall time moved forward by the gap.
  return Math.max(...candidates);
}

/**
 * When a campaign starts: a wall-clock time and the IANA zone it was entered in. Stored as given
 * and converted with `resolveSchedule` (which also refuses a time already past).
 */
export const scheduleSchema = z.object({
  at: z.string().refine((at) => parseDateTime(at) !== undefined, 'must be a date and time like "2026-12-01T09:30" (an offset such as "-03:00" is optional)'),
  timezone: timeZoneSchema,
});
export type Schedule = z.output<typeof scheduleSchema>;

/**
 * The epoch ms a schedule stands for, refused when it is not after `now`.
 *
 * @example
 * resolveSchedule({ at: "2026-12-01T09:30", timezone: "America/Sao_Paulo" }, Date.now());
 * // { ok: true, at: 1796128200000 }
 * resolveSchedule({ at: "2020-01-01T09:30", timezone: "UTC" }, Date.now());
 * // { ok: false, message: "the scheduled time 2020-01-01T09:30 (UTC) is in the past; pick a later time or launch now" }
 */
export function resolveSchedule(schedule: Schedule, now: number): { ok: true; at: number } | { ok: false; message: string } {
  const fields = parseDateTime(schedule.at);
  if (!fields) return { ok: false, message: `the scheduled time ${JSON.stringify(schedule.at)} is not a date and time` };
  if (fields.offsetMs === undefined && !isTimeZone(schedule.timezone)) {
    return { ok: false, message: `${JSON.stringify(schedule.timezone)} is not a known time zone` };
  }
  const at = toUtcMillis(schedule.at, schedule.timezone);
  if (at <= now) {
    const where = fields.offsetMs === undefined ? ` (${schedule.timezone})` : "";
    return { ok: false, message: `the scheduled time ${schedule.at}${where} is in the past; pick a later time or launch now` };
  }
  return { ok: true, at };
}

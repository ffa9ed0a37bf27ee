import { z } from "zod";
import { type MetaTemplate, parameterFormat, type TemplateVariable, templateVariables } from "../domain/templates";
import type { GraphFailure } from "./graph-errors";

/**
 * Validation of `POST /{phone_number_id}/messages` bodies the way Meta answers them: shape problems
 * are 100 "Invalid parameter" with details naming the field, unsupported types 131051, template
 * parameter problems 132000 / 132005 / 132012 / 132018. Pure: no storage, no clock.
 */

const mediaObject = z
  .strictObject({
    link: z.url().optional(),
    id: z.string().min(1).optional(),
    caption: z.string().max(1024).optional(),
    filename: z.string().max(240).optional(),
  })
  .refine((m) => (m.link === undefined) !== (m.id === undefined), "needs exactly one of link or id");

const parameterName = z
  .string()
  .regex(/^[a-z0-9_]{1,512}$/, "must be lowercase letters, digits and underscores")
  .optional();

const parameter = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("text"), text: z.string().min(1, "must not be empty"), parameter_name: parameterName }),
  z.strictObject({
    type: z.literal("currency"),
    currency: z.strictObject({
      fallback_value: z.string().min(1),
      code: z.string().regex(/^[A-Z]{3}$/, "must be an ISO 4217 code"),
      amount_1000: z.number().int(),
    }),
    parameter_name: parameterName,
  }),
  z.strictObject({ type: z.literal("date_time"), date_time: z.looseObject({ fallback_value: z.string().min(1) }), parameter_name: parameterName }),
  z.strictObject({ type: z.literal("image"), image: mediaObject }),
  z.strictObject({ type: z.literal("video"), video: mediaObject }),
  z.strictObject({ type: z.literal("document"), document: mediaObject }),
  z.strictObject({
    type: z.literal("location"),
    location: z.strictObject({
      latitude: z.union([z.number(), z.string()]),
      longitude: z.union([z.number(), z.string()]),
      name: z.string().optional(),
      address: z.string().optional(),
    }),
  }),
  z.strictObject({ type: z.literal("payload"), payload: z.string().min(1).max(1000) }),
  z.strictObject({ type: z.literal("coupon_code"), coupon_code: z.string().min(1).max(15) }),
  z.strictObject({ type: z.literal("action"), action: z.record(z.string(), z.unknown()) }),
]);
type Parameter = z.infer<typeof parameter>;

const component = z
  .strictObject({
    type: z.enum(["header", "body", "button"]),
    sub_type: z.enum(["quick_reply", "url", "copy_code", "flow", "catalog", "voice_call"]).optional(),
    index: z
      .string()
      .regex(/^[0-9]$/, 'must be a string "0" to "9"')
      .optional(),
    parameters: z.array(parameter).max(100).optional(),
  })
  .superRefine((c, ctx) => {
    if (c.type === "button") {
      if (c.sub_type === undefined) ctx.addIssue({ code: "custom", path: ["sub_type"], message: "is required for button components" });
      if (c.index === undefined) ctx.addIssue({ code: "custom", path: ["index"], message: "is required for button components" });
    } else {
      if (c.sub_type !== undefined) ctx.addIssue({ code: "custom", path: ["sub_type"], message: `is only allowed on button components` });
      if (c.index !== undefined) ctx.addIssue({ code: "custom", path: ["index"], message: `is only allowed on button components` });
    }
  });
type Component = z.infer<typeof component>;

const templateObject = z.strictObject({
  name: z.string().min(1).max(512),
  language: z.strictObject({ code: z.string().min(2).max(15), policy: z.literal("deterministic").optional() }),
  components: z.array(component).max(20).optional(),
});
export type TemplateSend = z.infer<typeof templateObject>;

const messageBody = z
  .strictObject({
    messaging_product: z.literal("whatsapp"),
    recipient_type: z.literal("individual").optional(),
    to: z.string().regex(/^\+?[1-9]\d{6,14}$/, "must be a phone number in international format, digits with or without +"),
    type: z.enum(["text", "template"]).optional(),
    text: z
      .strictObject({ body: z.string().min(1, "must not be empty").max(4096, "must be at most 4096 characters"), preview_url: z.boolean().optional() })
      .optional(),
    template: templateObject.optional(),
    context: z.strictObject({ message_id: z.string().min(1) }).optional(),
    biz_opaque_callback_data: z.string().max(512, "must be at most 512 characters").optional(),
  })
  .superRefine((m, ctx) => {
    const type = m.type ?? "text";
    const other = type === "text" ? "template" : "text";
    if (m[type] === undefined) ctx.addIssue({ code: "custom", path: [type], message: `is required for type ${type}` });
    if (m[other] !== undefined) ctx.addIssue({ code: "custom", path: [other], message: `is not allowed for type ${type}` });
  });

const markRead = z.strictObject({
  messaging_product: z.literal("whatsapp"),
  status: z.literal("read"),
  message_id: z.string().min(1),
  typing_indicator: z.strictObject({ type: z.literal("text") }).optional(),
});

export type SendRequest =
  | {
      kind: "message";
      to: string;
      waId: string;
      type: "text" | "template";
      text?: string;
      template?: TemplateSend;
      bizOpaqueCallbackData?: string;
      replyTo?: string;
    }
  | { kind: "mark_read"; messageId: string };

export type Checked<T> = { ok: true; value: T } | { ok: false; failure: GraphFailure };

/** Message types Meta supports that the sandbox does not simulate: 131051 rather than 100. */
const OTHER_META_TYPES = new Set(["audio", "contacts", "document", "image", "interactive", "location", "reaction", "sticker", "video"]);

function fieldPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) out += typeof part === "number" ? `[${part}]` : out ? `.${String(part)}` : String(part);
  return out;
}

function invalid(details: string): { ok: false; failure: GraphFailure } {
  return { ok: false, failure: { code: 100, details } };
}

function firstIssue(error: z.ZodError, input: unknown): { ok: false; failure: GraphFailure } {
  const issue = error.issues[0]!;
  const path = fieldPath(issue.path);
  if (issue.code === "unrecognized_keys") return invalid(`Unexpected key "${issue.keys[0]}" on param "${path || "message"}".`);
  let value: unknown = input;
  for (const part of issue.path) value = (value as Record<PropertyKey, unknown> | undefined)?.[part as string];
  if (value === undefined && issue.code === "invalid_type") return invalid(`The parameter ${path} is required.`);
  if (issue.code === "invalid_union" && path.endsWith("]"))
    return invalid(`Param ${path} has an invalid type or is missing its ${String((value as { type?: unknown })?.type ?? "value")} object.`);
  return invalid(`Param ${path || "message"} is invalid: ${issue.message}.`);
}

/**
 * Parses the raw body of a send. `type` other than text/template is 131051; every other
 * problem is 100 with details naming the field.
 * @example parseSendRequest('{"messaging_product":"whatsapp","to":"+5511987654321","text":{"body":"Oi"}}')
 */
export function parseSendRequest(raw: string): Checked<SendRequest> {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return invalid("The request body is not valid JSON.");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) return invalid("The request body must be a JSON object.");
  const fields = body as Record<string, unknown>;
  if ("status" in fields) {
    const read = markRead.safeParse(body);
    if (!read.success) return firstIssue(read.error, body);
    return { ok: true, value: { kind: "mark_read", messageId: read.data.message_id } };
  }
  if (typeof fields.type === "string" && fields.type !== "text" && fields.type !== "template") {
    const known = OTHER_META_TYPES.has(fields.type);
    return {
      ok: false,
      failure: known
        ? { code: 131051, details: `Message type ${fields.type} is not supported by the sandbox (text and template are).` }
        : { code: 131051, details: `Message type ${fields.type} is not a WhatsApp message type.` },
    };
  }
  const parsed = messageBody.safeParse(body);
  if (!parsed.success) return firstIssue(parsed.error, body);
  const m = parsed.data;
  return {
    ok: true,
    value: {
      kind: "message",
      to: m.to,
      waId: m.to.replace(/^\+/, ""),
      type: m.type ?? "text",
      ...(m.text ? { text: m.text.body } : {}),
      ...(m.template ? { template: m.template } : {}),
      ...(m.biz_opaque_callback_data === undefined ? {} : { bizOpaqueCallbackData: m.biz_opaque_callback_data }),
      ...(m.context ? { replyTo: m.context.message_id } : {}),
    },
  };
}

const TEXT_PARAMETER_LIMIT = 1024;

/** Meta refuses template text values with newlines, tabs or more than four spaces in a row. */
const BAD_TEXT = /[\n\t]| {5,}/;

const mismatch = (where: string, given: number, expected: number): GraphFailure => ({
  code: 132000,
  details: `${where}: number of localizable_params (${given}) does not match the expected number of params (${expected})`,
});

function checkTextParams(where: string, params: Parameter[], expected: TemplateVariable[], named: boolean, allowed: Parameter["type"][]): GraphFailure | null {
  if (params.length !== expected.length) return mismatch(where, params.length, expected.length);
  if (named) {
    const want = expected.map((v) => v.name);
    const given = params.map((p) => ("parameter_name" in p ? p.parameter_name : undefined));
    const missing = given.indexOf(undefined);
    if (missing >= 0)
      return { code: 132000, details: `${where}: parameter ${missing} needs a parameter_name (the template uses named parameters: ${want.join(", ")})` };
    const unknown = given.find((n) => !want.includes(n!));
    if (unknown !== undefined) return { code: 132000, details: `${where}: parameter name "${unknown}" is not in the template (expected ${want.join(", ")})` };
    if (new Set(given).size !== given.length) return { code: 132000, details: `${where}: a parameter_name is given twice` };
  }
  for (const p of params) {
    if (!allowed.includes(p.type)) return { code: 132012, details: `${where}: parameter of type ${p.type} where the template expects ${allowed.join(" or ")}` };
    if (p.type !== "text") continue;
    if (p.text.length > TEXT_PARAMETER_LIMIT)
      return { code: 132005, details: `${where}: a text parameter is ${p.text.length} characters long; the limit is ${TEXT_PARAMETER_LIMIT}` };
    if (BAD_TEXT.test(p.text)) return { code: 132018, details: `${where}: Param text cannot have new-line/tab characters or more than 4 consecutive spaces` };
  }
  return null;
}

const SUB_TYPE_OF: Record<string, string> = {
  QUICK_REPLY: "quick_reply",
  URL: "url",
  COPY_CODE: "copy_code",
  FLOW: "flow",
  CATALOG: "catalog",
  VOICE_CALL: "voice_call",
};

/**
 * Checks the components of a template send against the template's variables (see
 * `templateVariables`): 132000 for a count or name mismatch, 132012 for a wrong format, 132005 for
 * text over 1,024 characters, 132018 for newlines/tabs in text, 100 for duplicate or unknown components.
 */
export function checkTemplateParameters(template: Pick<MetaTemplate, "components" | "parameter_format">, components: Component[] = []): GraphFailure | null {
  const variables = templateVariables(template);
  const named = parameterFormat(template) === "named";
  const seen = new Set<string>();
  for (const [i, c] of components.entries()) {
    const key = c.type === "button" ? `button ${c.index}` : c.type;
    if (seen.has(key)) return { code: 100, details: `Param template.components[${i}] repeats the ${key} component.` };
    seen.add(key);
  }
  const find = (type: Component["type"], index?: string) => components.find((c) => c.type === type && (index === undefined || c.index === index));

  const headerVars = variables.filter((v) => v.component === "header");
  const headerParams = find("header")?.parameters ?? [];
  const media = headerVars[0] && headerVars[0].kind !== "text" ? headerVars[0] : undefined;
  if (media) {
    if (headerParams.length !== 1) return mismatch("header", headerParams.length, 1);
    if (headerParams[0]!.type !== media.kind) {
      return { code: 132012, details: `header: Format mismatch, expected ${media.kind.toUpperCase()}, received ${headerParams[0]!.type.toUpperCase()}` };
    }
  } else {
    const problem = checkTextParams("header", headerParams, headerVars, named, ["text"]);
    if (problem) return problem;
  }

  const bodyVars = variables.filter((v) => v.component === "body");
  const problem = checkTextParams("body", find("body")?.parameters ?? [], bodyVars, named, ["text", "currency", "date_time"]);
  if (problem) return problem;

  const templateButtons = template.components.find((c) => c.type === "BUTTONS");
  const buttons = templateButtons?.type === "BUTTONS" ? templateButtons.buttons : [];
  for (const [i, c] of components.entries()) {
    if (c.type !== "button") continue;
    const index = Number(c.index);
    const button = buttons[index];
    if (!button) return { code: 131009, details: `Param template.components[${i}].index: button at index ${index} does not exist in the template` };
    if (SUB_TYPE_OF[button.type] !== c.sub_type) {
      return {
        code: 131009,
        details: `Param template.components[${i}].sub_type: button at index ${index} is ${SUB_TYPE_OF[button.type] ?? button.type}, not ${c.sub_type}`,
      };
    }
    if (c.sub_type === "quick_reply") {
      const params = c.parameters ?? [];
      if (params.length > 1) return mismatch(`button ${index}`, params.length, 1);
      if (params[0] && params[0].type !== "payload")
        return { code: 132012, details: `button ${index}: a quick reply takes a payload parameter, not ${params[0].type}` };
    }
  }
  for (const [index, button] of buttons.entries()) {
    if (button.type !== "URL") continue;
    const expected = variables.filter((v) => v.component === "button" && v.buttonIndex === index);
    const given = find("button", String(index))?.parameters ?? [];
    const issue = checkTextParams(`button ${index}`, given, expected, false, ["text"]);
    if (issue) return issue;
  }
  return null;
}

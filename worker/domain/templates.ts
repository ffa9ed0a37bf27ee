/** Message templates as Meta describes them, and the variables an operator must fill in. */

import type { TemplateMessage } from "./provider";

export type TemplateStatus = "APPROVED" | "PENDING" | "REJECTED" | "PAUSED" | "DISABLED" | (string & {});
export type TemplateCategory = "MARKETING" | "UTILITY" | "AUTHENTICATION" | (string & {});
export type ParameterFormat = "positional" | "named";

export type TemplateButton = {
  type: "QUICK_REPLY" | "URL" | "PHONE_NUMBER" | "COPY_CODE" | "OTP" | (string & {});
  text?: string;
  url?: string;
  phone_number?: string;
  example?: string[];
};

export type TemplateComponent =
  | { type: "HEADER"; format: "TEXT" | "IMAGE" | "VIDEO" | "DOCUMENT" | "LOCATION" | (string & {}); text?: string; example?: unknown }
  | { type: "BODY"; text: string; example?: unknown }
  | { type: "FOOTER"; text: string }
  | { type: "BUTTONS"; buttons: TemplateButton[] };

/** One template as `GET /{waba_id}/message_templates` lists it. */
export type MetaTemplate = {
  id: string;
  name: string;
  language: string;
  status: TemplateStatus;
  category: TemplateCategory;
  parameter_format?: "POSITIONAL" | "NAMED";
  components: TemplateComponent[];
};

/**
 * A value the sender supplies: `{{1}}`/`{{first_name}}` in a text header, body or URL button,
 * or the media of an IMAGE/VIDEO/DOCUMENT header.
 */
export type TemplateVariable = {
  component: "header" | "body" | "button";
  /** Button position (0-based) for button variables. */
  buttonIndex?: number;
  /** "1", "2"… for positional templates, the placeholder name for named ones, "media" for header media. */
  name: string;
  kind: "text" | "image" | "video" | "document" | "location";
  example?: string;
};

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;

/** Placeholder names in a text, in order of first appearance, each once. */
export function placeholders(text: string | undefined): string[] {
  if (!text) return [];
  const seen: string[] = [];
  for (const match of text.matchAll(PLACEHOLDER)) if (!seen.includes(match[1]!)) seen.push(match[1]!);
  return seen;
}

/** Positional when every placeholder is a number, unless Meta says otherwise. */
export function parameterFormat(template: Pick<MetaTemplate, "parameter_format" | "components">): ParameterFormat {
  if (template.parameter_format) return template.parameter_format === "NAMED" ? "named" : "positional";
  const names = template.components.flatMap((c) =>
    c.type === "BUTTONS" ? c.buttons.flatMap((b) => placeholders(b.url)) : "text" in c ? placeholders(c.text) : [],
  );
  return names.every((n) => /^\d+$/.test(n)) ? "positional" : "named";
}

function examples(example: unknown, key: string): string[] {
  const value = (example as Record<string, unknown> | undefined)?.[key];
  if (!Array.isArray(value)) return [];
  const flat = Array.isArray(value[0]) ? (value[0] as unknown[]) : value;
  return flat.map((v) => (typeof v === "object" && v !== null ? String((v as { example?: unknown }).example ?? "") : String(v)));
}

function namedExamples(example: unknown, key: string): Map<string, string> {
  const value = (example as Record<string, unknown> | undefined)?.[key];
  const out = new Map<string, string>();
  if (Array.isArray(value)) {
    for (const item of value as { param_name?: string; example?: string }[]) {
      if (item?.param_name) out.set(item.param_name, String(item.example ?? ""));
    }
  }
  return out;
}

/**
 * Every variable of a template, in the order Meta expects their parameters: header, body, then
 * buttons by index.
 *
 * @example
 * templateVariables({ components: [{ type: "BODY", text: "Hi {{1}}, code {{2}}" }] })
 * // [{ component: "body", name: "1", kind: "text" }, { component: "body", name: "2", kind: "text" }]
 */
export function templateVariables(template: Pick<MetaTemplate, "parameter_format" | "components">): TemplateVariable[] {
  const named = parameterFormat(template) === "named";
  const out: TemplateVariable[] = [];
  const header = template.components.find((c) => c.type === "HEADER");
  if (header && header.type === "HEADER") {
    const format = header.format.toUpperCase();
    if (format === "TEXT") {
      const ex = named ? namedExamples(header.example, "header_text_named_params") : null;
      const positional = examples(header.example, "header_text");
      for (const [i, name] of placeholders(header.text).entries())
        out.push(withExample({ component: "header", name, kind: "text" }, ex?.get(name) ?? positional[i]));
    } else if (format === "IMAGE" || format === "VIDEO" || format === "DOCUMENT" || format === "LOCATION") {
      const handle = examples(header.example, "header_handle")[0] ?? examples(header.example, "header_url")[0];
      out.push(withExample({ component: "header", name: "media", kind: format.toLowerCase() as TemplateVariable["kind"] }, handle));
    }
  }
  const body = template.components.find((c) => c.type === "BODY");
  if (body && body.type === "BODY") {
    const ex = named ? namedExamples(body.example, "body_text_named_params") : null;
    const positional = examples(body.example, "body_text");
    for (const [i, name] of placeholders(body.text).entries()) out.push(withExample({ component: "body", name, kind: "text" }, ex?.get(name) ?? positional[i]));
  }
  const buttons = template.components.find((c) => c.type === "BUTTONS");
  if (buttons && buttons.type === "BUTTONS") {
    buttons.buttons.forEach((button, buttonIndex) => {
      if (button.type !== "URL") return;
      for (const name of placeholders(button.url)) out.push(withExample({ component: "button", buttonIndex, name, kind: "text" }, button.example?.[0]));
    });
  }
  return out;
}

function withExample(variable: TemplateVariable, example: string | undefined): TemplateVariable {
  return example ? { ...variable, example } : variable;
}

/** Text of the template's body, for previews. */
export function bodyText(template: Pick<MetaTemplate, "components">): string {
  const body = template.components.find((c) => c.type === "BODY");
  return body && body.type === "BODY" ? body.text : "";
}

/** Values for a template send, keyed like its variables ("1" or "first_name"). */
export type TemplateValues = {
  header?: Record<string, string>;
  /** For IMAGE/VIDEO/DOCUMENT headers. */
  media?: { link?: string; id?: string; filename?: string };
  body?: Record<string, string>;
  /** Per button index: the URL suffix of a URL button, or the payload of a quick-reply button. */
  buttons?: Record<string, string>;
};

/** A template message as its recipient would see it (see `templatePreview`). */
export type TemplatePreview = {
  header: { format: "TEXT"; text: string } | { format: "IMAGE" | "VIDEO" | "DOCUMENT" | "LOCATION" | (string & {}); link?: string } | null;
  body: string;
  footer: string | null;
  buttons: { type: string; text: string; url?: string }[];
};

/** A text with its placeholders filled from `values`; a placeholder without a (non-blank) value stays as written. */
function fillPlaceholders(text: string, values: Record<string, string> | undefined): string {
  return text.replace(PLACEHOLDER, (written, name: string) => {
    const value = values?.[name];
    return value === undefined || value.trim() === "" ? written : value;
  });
}

/**
 * A template's components rendered with the values given, for previews: placeholders
 * (`{{1}}` or `{{first_name}}`) of the text header, the body and URL buttons are replaced by
 * the values of `header`, `body` and `buttons` (a URL button's value, keyed by its index, fills
 * its URL). A placeholder without a value, or with a blank one, stays as written. A media
 * header shows the media link, when given.
 *
 * @example
 * templatePreview(
 *   [{ type: "BODY", text: "Hi {{1}}, use {{2}}" }, { type: "BUTTONS", buttons: [{ type: "URL", text: "Shop", url: "https://x.test/{{1}}" }] }],
 *   { body: { "1": "Ana" }, buttons: { "0": "summer" } },
 * );
 * // { header: null, body: "Hi Ana, use {{2}}", footer: null, buttons: [{ type: "URL", text: "Shop", url: "https://x.test/summer" }] }
 */
export function templatePreview(components: readonly TemplateComponent[], values: TemplateValues): TemplatePreview {
  let header: TemplatePreview["header"] = null;
  let body = "";
  let footer: string | null = null;
  const buttons: TemplatePreview["buttons"] = [];
  for (const component of components) {
    if (component.type === "HEADER") {
      const format = component.format.toUpperCase();
      if (format === "TEXT") header = { format: "TEXT", text: fillPlaceholders(component.text ?? "", values.header) };
      else header = values.media?.link ? { format, link: values.media.link } : { format };
    } else if (component.type === "BODY") {
      body = fillPlaceholders(component.text, values.body);
    } else if (component.type === "FOOTER") {
      footer = component.text;
    } else if (component.type === "BUTTONS") {
      component.buttons.forEach((button, index) => {
        const value = values.buttons?.[String(index)];
        const url = button.type === "URL" && button.url !== undefined ? fillPlaceholders(button.url, placeholderValues(button.url, value)) : button.url;
        buttons.push({ type: button.type, text: button.text ?? "", ...(url === undefined ? {} : { url }) });
      });
    }
  }
  return { header, body, footer, buttons };
}

/** A URL button has one value (its variable part): it fills each placeholder of the URL. */
function placeholderValues(url: string, value: string | undefined): Record<string, string> | undefined {
  return value === undefined ? undefined : Object.fromEntries(placeholders(url).map((name) => [name, value]));
}

export type ValueProblem = { path: string; message: string };

/** Meta refuses longer text parameters when a template has more than a body. */
export const MAX_TEXT_PARAMETER = 1024;

/**
 * Checks values against a template's variables: every variable filled, nothing unknown, media
 * for media headers. Returns the problems, each with the path of the value.
 * @example checkTemplateValues(vars, { body: { "1": "Ana" } }) // [{ path: "body.2", message: "is required" }]
 */
export function checkTemplateValues(variables: readonly TemplateVariable[], values: TemplateValues): ValueProblem[] {
  const problems: ValueProblem[] = [];
  const expect = (section: "header" | "body", given: Record<string, string> | undefined) => {
    const names = variables.filter((v) => v.component === section && v.kind === "text").map((v) => v.name);
    for (const name of names) {
      const value = given?.[name];
      if (value === undefined || value.trim() === "") problems.push({ path: `${section}.${name}`, message: "is required" });
      else if (value.length > MAX_TEXT_PARAMETER) problems.push({ path: `${section}.${name}`, message: `must be at most ${MAX_TEXT_PARAMETER} characters` });
    }
    for (const name of Object.keys(given ?? {})) {
      if (!names.includes(name)) problems.push({ path: `${section}.${name}`, message: "the template has no such variable" });
    }
  };
  expect("header", values.header);
  expect("body", values.body);
  const media = variables.find((v) => v.component === "header" && v.kind !== "text");
  if (media && !values.media?.link && !values.media?.id) problems.push({ path: "media", message: `the ${media.kind} header needs a link or a media id` });
  if (!media && values.media) problems.push({ path: "media", message: "the template has no media header" });
  const urlButtons = new Set(variables.filter((v) => v.component === "button").map((v) => String(v.buttonIndex)));
  for (const index of urlButtons) {
    if (!values.buttons?.[index]?.trim()) problems.push({ path: `buttons.${index}`, message: "the URL button needs its variable part" });
  }
  return problems;
}

/** What sending needs of a template; a campaign freezes it at launch. */
export type TemplateSnapshot = {
  name: string;
  language: string;
  parameterFormat: ParameterFormat;
  variables: TemplateVariable[];
  components: TemplateComponent[];
};

/** Herald's checked values as the provider's template message. */
export function toTemplateMessage(template: TemplateSnapshot, values: TemplateValues): Omit<TemplateMessage, "to"> {
  const { variables, components } = template;
  const media = variables.find((v) => v.component === "header" && v.kind !== "text");
  const buttonDefs = components.find((c) => c.type === "BUTTONS");
  const buttons: NonNullable<TemplateMessage["buttons"]> = [];
  for (const [index, value] of Object.entries(values.buttons ?? {})) {
    const def = buttonDefs && buttonDefs.type === "BUTTONS" ? buttonDefs.buttons[Number(index)] : undefined;
    if (def?.type === "URL") buttons.push({ index: Number(index), subType: "url", text: value });
    else if (def?.type === "QUICK_REPLY") buttons.push({ index: Number(index), subType: "quick_reply", payload: value });
  }
  return {
    name: template.name,
    language: template.language,
    parameterFormat: template.parameterFormat,
    ...(media && values.media
      ? {
          header: {
            media: {
              kind: media.kind as "image" | "video" | "document",
              value: values.media.id
                ? { id: values.media.id, ...(values.media.filename ? { filename: values.media.filename } : {}) }
                : { link: values.media.link!, ...(values.media.filename ? { filename: values.media.filename } : {}) },
            },
          },
        }
      : values.header && Object.keys(values.header).length
        ? { header: { text: values.header } }
        : {}),
    ...(values.body && Object.keys(values.body).length ? { body: values.body } : {}),
    ...(buttons.length ? { buttons } : {}),
  };
}

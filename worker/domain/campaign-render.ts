/**
 * Turns a campaign's content into what one contact receives: `{{contact.*}}` variables in free
 * text, and value sources (fixed text or a contact field) for template variables.
 */
import type { CampaignContent, TemplateContent, ValueSource } from "./campaign-settings";
import { malformedVariables, parseTextVariables, type TextVariable, toVariable, VARIABLE } from "./contact-variables";
import type { TemplateValues } from "./templates";

export { malformedVariables, parseTextVariables, type TextVariable };

/** What rendering needs of a contact. `attributes` are the contact's custom attributes by key. */
export type RenderContact = { name: string; phone: string; attributes: Record<string, string> };

export type RenderResult<T> = ({ ok: true } & T) | { ok: false; missing: string[] };

/** Built-in variables; a custom attribute with one of these keys is reached as `contact.attributes.<key>`. */
const BUILT_IN = ["name", "first_name", "phone"] as const;

function firstName(name: string): string {
  return name.trim().split(/\s+/)[0] ?? "";
}

/** A value that is empty or only spaces counts as absent. */
function present(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== "";
}

function contactValue(key: string, contact: RenderContact): string | undefined {
  if (key.startsWith("attributes.")) return contact.attributes[key.slice("attributes.".length)];
  if (key === "name") return contact.name;
  if (key === "first_name") return firstName(contact.name);
  if (key === "phone") return contact.phone;
  return contact.attributes[key];
}

/**
 * Replaces the contact variables of a free text. A variable without a value (absent or blank)
 * takes its fallback (which may be `""`); with neither, rendering fails naming every such
 * variable. Text like `{{ foo }}` is not a contact variable and is left as is.
 *
 * @example
 * renderText('Hi {{contact.first_name | "there"}}!', { name: "Ana Souza", phone: "+5511…", attributes: {} });
 * // { ok: true, text: "Hi Ana!" }
 * renderText("Your code: {{contact.code}}", { name: "Ana", phone: "+55…", attributes: {} });
 * // { ok: false, missing: ["contact.code"] }
 */
export function renderText(text: string, contact: RenderContact): RenderResult<{ text: string }> {
  const missing: string[] = [];
  const rendered = text.replace(VARIABLE, (_match, key: string, doubleQuoted?: string, singleQuoted?: string) => {
    const { path, fallback } = toVariable(key, doubleQuoted, singleQuoted);
    const value = contactValue(path.slice("contact.".length), contact);
    if (present(value)) return value;
    if (fallback !== undefined) return fallback;
    if (!missing.includes(path)) missing.push(path);
    return "";
  });
  return missing.length ? { ok: false, missing } : { ok: true, text: rendered };
}

/** The value of a template variable source for one contact, or undefined when it has none. */
function sourceValue(source: ValueSource, contact: RenderContact): string | undefined {
  if (source.source === "fixed") return source.value;
  const value = contactValue(source.field, contact);
  if (present(value)) return value;
  return present(source.fallback) ? source.fallback : undefined;
}

// Meta refuses template text parameters containing new lines, tabs or more than four
// consecutive spaces (error 132018); contact attributes imported from spreadsheets can have them.
const tidyParameter = (value: string) => value.replace(/\s+/g, " ").trim();

/**
 * The template values one contact would get, as far as it has them: fixed values as given,
 * contact fields with their fallback; every contact field with neither is named in `missing`
 * and left out of `values`. A preview shows the partial values; a send needs `missing` empty.
 *
 * @example
 * partialTemplateValues({ body: { "1": { source: "contact", field: "attributes.city" } } }, { name: "Ana", phone: "+55…", attributes: {} });
 * // { values: { body: {} }, missing: ["attributes.city"] }
 */
export function partialTemplateValues(values: TemplateContent["values"], contact: RenderContact): { values: TemplateValues; missing: string[] } {
  const missing: string[] = [];
  const section = (sources: Record<string, ValueSource> | undefined) => {
    if (!sources) return undefined;
    const out: Record<string, string> = {};
    for (const [key, source] of Object.entries(sources)) {
      const value = sourceValue(source, contact);
      if (value === undefined) {
        const field = source.source === "contact" ? source.field : key;
        if (!missing.includes(field)) missing.push(field);
      } else out[key] = tidyParameter(value);
    }
    return out;
  };
  const resolved: TemplateValues = {};
  const header = section(values.header);
  const body = section(values.body);
  const buttons = section(values.buttons);
  if (header) resolved.header = header;
  if (values.media) resolved.media = { ...values.media };
  if (body) resolved.body = body;
  if (buttons) resolved.buttons = buttons;
  return { values: resolved, missing };
}

/**
 * The template values for one contact: fixed values as given, contact fields with their
 * fallback. Fails naming each contact field that has neither a value nor a fallback.
 *
 * @example
 * resolveTemplateValues(
 *   { body: { "1": { source: "contact", field: "name", fallback: "customer" }, "2": { source: "fixed", value: "SALE20" } } },
 *   { name: "", phone: "+5511…", attributes: {} },
 * ); // { ok: true, values: { body: { "1": "customer", "2": "SALE20" } } }
 */
export function resolveTemplateValues(values: TemplateContent["values"], contact: RenderContact): RenderResult<{ values: TemplateValues }> {
  const { values: resolved, missing } = partialTemplateValues(values, contact);
  return missing.length ? { ok: false, missing } : { ok: true, values: resolved };
}

/**
 * What one contact would lack for a content. For free text, every variant counts: which one a
 * recipient gets is only decided at send time, so a value missing from any variant is missing.
 * Missing items are text variable paths ("contact.city") or template fields ("attributes.city").
 */
export function missingFor(content: CampaignContent, contact: RenderContact): string[] {
  if (content.type === "template") {
    const result = resolveTemplateValues(content.values, contact);
    return result.ok ? [] : result.missing;
  }
  const missing: string[] = [];
  for (const variant of content.variants) {
    const result = renderText(variant, contact);
    if (!result.ok) for (const path of result.missing) if (!missing.includes(path)) missing.push(path);
  }
  return missing;
}

export type AudienceGaps = {
  /** Contacts that would miss at least one value. */
  affected: number;
  /** How many contacts miss each variable or field. */
  byVariable: Record<string, number>;
  /** The first few affected contacts. */
  examples: { phone: string; missing: string[] }[];
};

const MAX_EXAMPLES = 5;

/**
 * Counts the contacts of an audience that would miss a value, for the launch check ("12 contacts
 * lack contact.city and have no fallback").
 *
 * @example
 * missingForAudience(content, contacts);
 * // { affected: 2, byVariable: { "contact.city": 2 }, examples: [{ phone: "+5511…", missing: ["contact.city"] }, …] }
 */
export function missingForAudience(content: CampaignContent, contacts: Iterable<RenderContact>): AudienceGaps {
  const gaps: AudienceGaps = { affected: 0, byVariable: {}, examples: [] };
  for (const contact of contacts) {
    const missing = missingFor(content, contact);
    if (missing.length === 0) continue;
    gaps.affected++;
    for (const path of missing) gaps.byVariable[path] = (gaps.byVariable[path] ?? 0) + 1;
    if (gaps.examples.length < MAX_EXAMPLES) gaps.examples.push({ phone: contact.phone, missing });
  }
  return gaps;
}

export type PickerVariable = {
  /** What the variable stands for, e.g. "contact.first_name". */
  path: string;
  /** The text the editor inserts, e.g. "{{contact.first_name}}". */
  insert: string;
  label: string;
};

const ATTRIBUTE_KEY = /^[a-z0-9_]{1,64}$/;

/**
 * The variables a free-text editor offers: name, first name, phone, then the custom attribute
 * keys given (invalid keys dropped, duplicates once). An attribute whose key is a built-in name
 * is offered as `contact.attributes.<key>`.
 *
 * @example
 * variablePicker(["city"]).map((v) => v.insert);
 * // ["{{contact.name}}", "{{contact.first_name}}", "{{contact.phone}}", "{{contact.city}}"]
 */
export function variablePicker(attributeKeys: Iterable<string> = []): PickerVariable[] {
  const entry = (path: string, label: string): PickerVariable => ({ path, insert: `{{${path}}}`, label });
  const out = [entry("contact.name", "Name"), entry("contact.first_name", "First name"), entry("contact.phone", "Phone")];
  for (const key of attributeKeys) {
    if (!ATTRIBUTE_KEY.test(key)) continue;
    const path = (BUILT_IN as readonly string[]).includes(key) ? `contact.attributes.${key}` : `contact.${key}`;
    if (!out.some((v) => v.path === path)) out.push(entry(path, key));
  }
  return out;
}

/** A contact field a content needs with no fallback: `name` as `missingFor` reports it, `key` as the contact is read. */
export type RequiredField = { name: string; key: string };

/**
 * The contact fields a content cannot do without (no fallback, or a blank one for templates),
 * each once, so an audience can be checked for them without rendering every contact: a contact
 * lacks a value exactly when `missingFor` names one of these for it.
 *
 * @example
 * requiredFields({ type: "text", variants: ['Hi {{contact.first_name | "there"}} from {{contact.city}}'] });
 * // [{ name: "contact.city", key: "city" }]
 */
export function requiredFields(content: CampaignContent): RequiredField[] {
  const out: RequiredField[] = [];
  const add = (name: string, key: string) => {
    if (!out.some((f) => f.name === name)) out.push({ name, key });
  };
  if (content.type === "text") {
    for (const variant of content.variants) {
      for (const v of parseTextVariables(variant)) if (v.fallback === undefined) add(v.path, v.path.slice("contact.".length));
    }
    return out;
  }
  for (const sources of [content.values.header, content.values.body, content.values.buttons]) {
    for (const source of Object.values(sources ?? {})) {
      if (source.source === "contact" && !present(source.fallback)) add(source.field, source.field);
    }
  }
  return out;
}

/** Where a required field's value is read: a built-in column, or a custom attribute by key. */
export function fieldColumn(key: string): { column: "name" | "phone" } | { attribute: string } {
  if (key === "name" || key === "first_name") return { column: "name" };
  if (key === "phone") return { column: "phone" };
  return { attribute: key.startsWith("attributes.") ? key.slice("attributes.".length) : key };
}

/**
 * The grammar of contact variables in free text: `{{contact.key}}` or
 * `{{contact.attributes.key}}`, optionally with a quoted fallback. Rendering and the content
 * schema both read it from here.
 */

export type TextVariable = {
  /** As written, lower-cased: "contact.name", "contact.first_name", "contact.city", "contact.attributes.city". */
  path: string;
  fallback?: string;
};

// `{{contact.key}}` or `{{contact.attributes.key}}`, optionally `| "fallback"` or `| 'fallback'`.
export const VARIABLE = /\{\{\s*contact\.((?:attributes\.)?[A-Za-z0-9_]+)\s*(?:\|\s*(?:"([^"]*)"|'([^']*)')\s*)?\}\}/g;
const CONTACT_OPENING = /\{\{\s*contact\s*\./g;

/**
 * The `{{contact.*}}` variables of a free text, in order of first appearance, each
 * (path, fallback) pair once. Anything else between braces is not a variable.
 *
 * @example
 * parseTextVariables('Hi {{ contact.first_name | "there" }}, {{contact.city}}')
 * // [{ path: "contact.first_name", fallback: "there" }, { path: "contact.city" }]
 */
export function parseTextVariables(text: string): TextVariable[] {
  const out: TextVariable[] = [];
  for (const match of text.matchAll(VARIABLE)) {
    const variable = toVariable(match[1]!, match[2], match[3]);
    if (!out.some((v) => v.path === variable.path && v.fallback === variable.fallback)) out.push(variable);
  }
  return out;
}

export function toVariable(key: string, doubleQuoted: string | undefined, singleQuoted: string | undefined): TextVariable {
  const path = `contact.${key.toLowerCase()}`;
  const fallback = doubleQuoted ?? singleQuoted;
  return fallback === undefined ? { path } : { path, fallback };
}

/**
 * Text that opens like a contact variable but does not parse as one, e.g. an unquoted fallback
 * `{{contact.name | customer}}`. Such text would reach recipients verbatim, so the content
 * schema refuses it.
 *
 * @example malformedVariables("Hi {{contact.name | customer}}") // ["{{contact.name | customer}}"]
 */
export function malformedVariables(text: string): string[] {
  const rest = text.replace(VARIABLE, "");
  const out: string[] = [];
  for (const match of rest.matchAll(CONTACT_OPENING)) {
    const start = match.index!;
    const close = rest.indexOf("}}", start);
    const snippet = close === -1 || close - start > 80 ? `${rest.slice(start, start + 40)}…` : rest.slice(start, close + 2);
    if (!out.includes(snippet)) out.push(snippet);
  }
  return out;
}

import { checkTemplateValues, type TemplateValues, type TemplateVariable } from "../domain/templates";
import { ApiError } from "../lib/errors";

/**
 * Refuses values that do not fit a template's variables: a 400 naming each problem under `path`
 * (`template` for a single message, `content.values` for a campaign).
 * @example assertTemplateValues(vars, { body: { "1": "Ana" } }, "template") // throws: template.body.2 is required
 */
export function assertTemplateValues(variables: readonly TemplateVariable[], values: TemplateValues, path: string): void {
  const problems = checkTemplateValues(variables, values);
  if (problems.length === 0) return;
  throw new ApiError(
    "validation_failed",
    `${path === "template" ? "template values" : path}: ${problems.map((p) => `${p.path} ${p.message}`).join("; ")}`,
    problems.map((p) => ({ path: `${path}.${p.path}`, message: p.message })),
  );
}

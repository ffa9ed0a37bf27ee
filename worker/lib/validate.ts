import { zValidator } from "@hono/zod-validator";
import type { Context, MiddlewareHandler, ValidationTargets } from "hono";
import { z } from "zod";
import { ApiError } from "./errors";

export const OPENAPI_META = Symbol.for("herald.openapi");

export type InputMeta = { kind: "input"; target: keyof ValidationTargets; schema: z.ZodType };
export type RouteMeta = {
  kind: "route";
  summary: string;
  tags: string[];
  /** `public` routes need no credentials; `admin` routes need the admin role. */
  access: "public" | "user" | "admin";
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
  requestBody?: { contentType: string; description: string };
};
type Tagged = { [OPENAPI_META]?: InputMeta | RouteMeta };

export const UNKNOWN_FIELD = "unknown field: check its spelling; this request takes no such field";

/**
 * Flattens zod issues into `[{path, message}]` with dotted paths, e.g. `label_ids.2`. Keys an
 * object does not declare come first, one entry each, at their own path (`audience.exclude_label`).
 */
export function issuesOf(error: z.ZodError): { path: string; message: string }[] {
  const unknown: { path: string; message: string }[] = [];
  const others: { path: string; message: string }[] = [];
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) unknown.push({ path: [...issue.path, key].map(String).join("."), message: UNKNOWN_FIELD });
    } else {
      others.push({ path: issue.path.map(String).join("."), message: issue.message });
    }
  }
  return [...unknown, ...others];
}

/** One message for a failed validation: the unknown fields by name, else the first problem. */
export function failureMessage(where: string, issues: { path: string; message: string }[]): string {
  const unknown = issues.filter((i) => i.message === UNKNOWN_FIELD).map((i) => i.path);
  const rest = issues.length - unknown.length;
  if (unknown.length) {
    const more = rest ? ` (and ${rest} more problem${rest > 1 ? "s" : ""})` : "";
    return `invalid ${where}: unknown field${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}${more}`;
  }
  const first = issues[0];
  if (!first) return `invalid ${where}`;
  return `invalid ${where}: ${first.path ? `${first.path}: ` : ""}${first.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ""}`;
}

const strictCopies = new WeakMap<z.ZodType, z.ZodType>();

/**
 * The same schema, except that every object in it, however deep (inside arrays, records,
 * unions, optional, default and pipe wrappers), refuses keys it does not declare, as
 * `z.strictObject` does. An object that chose what to do with other keys (`z.looseObject`,
 * `.catchall()`) keeps its choice. Checks, defaults, transforms and descriptions are kept.
 *
 * @example strictInput(z.object({ a: z.object({ b: z.number() }) })).safeParse({ a: { b: 1, c: 2 } })
 * // fails with unrecognized_keys ["c"] at path ["a"]
 */
export function strictInput<S extends z.ZodType>(schema: S): S {
  return strict(schema) as S;
}

function strict(schema: z.ZodType): z.ZodType {
  const known = strictCopies.get(schema);
  if (known) return known;
  const def = schema._zod.def as z.core.$ZodTypeDef & Record<string, any>;
  let copy: z.ZodType = schema;
  const clone = (changes: Record<string, unknown>) => schema.clone({ ...def, ...changes } as typeof def);
  switch (def.type) {
    case "object": {
      const shape: Record<string, z.ZodType> = {};
      for (const [key, value] of Object.entries(def.shape as Record<string, z.ZodType>)) shape[key] = strict(value);
      copy = clone({ shape, catchall: def.catchall ?? z.never() });
      break;
    }
    case "array":
      copy = clone({ element: strict(def.element) });
      break;
    case "record":
      copy = clone({ valueType: strict(def.valueType) });
      break;
    case "tuple":
      copy = clone({ items: def.items.map(strict), rest: def.rest ? strict(def.rest) : def.rest });
      break;
    case "union":
      copy = clone({ options: def.options.map(strict) });
      break;
    case "intersection":
      copy = clone({ left: strict(def.left), right: strict(def.right) });
      break;
    case "pipe":
      copy = clone({ in: strict(def.in), out: strict(def.out) });
      break;
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "nonoptional":
    case "catch":
    case "readonly":
      copy = clone({ innerType: strict(def.innerType) });
      break;
    case "lazy": {
      const getter = def.getter as () => z.ZodType;
      copy = clone({ getter: () => strict(getter()) });
      break;
    }
  }
  const meta = z.globalRegistry.get(schema);
  if (copy !== schema && meta) z.globalRegistry.add(copy, meta);
  strictCopies.set(schema, copy);
  return copy;
}

const TARGET_NAME: Partial<Record<keyof ValidationTargets, string>> = {
  json: "body",
  query: "query string",
  param: "path",
  header: "header",
};

/**
 * zod validation whose failure becomes the app's own 400 naming every bad field, and whose
 * schema is recorded for the OpenAPI document. JSON bodies and query strings are checked with
 * `strictInput(schema)`, so a key the schema does not declare, at any depth, is refused by name.
 * @example app.post("/", validate("json", labelInput), (c) => c.json(c.req.valid("json")))
 */
export function validate<Target extends keyof ValidationTargets, S extends z.ZodType>(target: Target, schema: S) {
  // Bodies and query strings name only fields the route knows: a misspelt key is refused, not dropped.
  const checked = target === "json" || target === "query" ? strictInput(schema) : schema;
  const validator = zValidator(target, checked, (result) => {
    if (!result.success) {
      const issues = issuesOf(result.error as unknown as z.ZodError);
      throw new ApiError("validation_failed", failureMessage(TARGET_NAME[target] ?? target, issues), issues);
    }
  });
  const middleware = (
    target === "json"
      ? async (c, next) => {
          await refuseUntypedBody(c);
          return validator(c, next);
        }
      : validator
  ) as typeof validator;
  (middleware as Tagged)[OPENAPI_META] = { kind: "input", target, schema: checked };
  return middleware;
}

const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;

/**
 * A body sent without a JSON Content-Type would be read as `{}` (curl -d sends form encoding):
 * it is refused instead, so its fields are never silently ignored.
 */
async function refuseUntypedBody(c: Context): Promise<void> {
  const mediaType = (c.req.header("content-type") ?? "").split(";")[0]!.trim();
  if (JSON_MEDIA_TYPE.test(mediaType) || c.req.raw.body === null) return;
  if ((await c.req.arrayBuffer()).byteLength === 0) return;
  throw new ApiError("unsupported_media_type", `send the body as JSON with Content-Type: application/json${mediaType ? `, not ${mediaType}` : ""}`);
}

/**
 * Documents a route for `/api/openapi.json`; does nothing at request time.
 * @example app.get("/", describe({ summary: "List labels", tags: ["labels"], access: "user", responses: { 200: { description: "labels" } } }), handler)
 */
export function describe(meta: Omit<RouteMeta, "kind">): MiddlewareHandler {
  const middleware: MiddlewareHandler = async (_c, next) => {
    await next();
  };
  (middleware as Tagged)[OPENAPI_META] = { kind: "route", ...meta };
  return middleware;
}

export function metaOf(handler: unknown): InputMeta | RouteMeta | undefined {
  return (handler as Tagged | undefined)?.[OPENAPI_META];
}

/** Positive integer ids in paths, written in plain decimal digits ("1e3" and "0x10" are refused). */
export const idParam = z.object({
  id: z
    .string()
    .regex(/^[1-9]\d{0,15}$/, "must be a positive whole number")
    .transform(Number),
});

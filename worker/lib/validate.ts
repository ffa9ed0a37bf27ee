import { zValidator } from "@hono/zod-validator";
import type { MiddlewareHandler, ValidationTargets } from "hono";
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

/** Flattens zod issues into `[{path, message}]` with dotted paths, e.g. `label_ids.2`. */
export function issuesOf(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join("."), message: issue.message }));
}

const TARGET_NAME: Partial<Record<keyof ValidationTargets, string>> = {
  json: "body",
  query: "query string",
  param: "path",
  header: "header",
};

/**
 * zod validation whose failure becomes the app's own 400 naming every bad field, and whose
 * schema is recorded for the OpenAPI document.
 * @example app.post("/", validate("json", labelInput), (c) => c.json(c.req.valid("json")))
 */
export function validate<Target extends keyof ValidationTargets, S extends z.ZodType>(target: Target, schema: S) {
  const middleware = zValidator(target, schema, (result) => {
    if (!result.success) {
      const issues = issuesOf(result.error as unknown as z.ZodError);
      const first = issues[0];
      const where = TARGET_NAME[target] ?? target;
      const message = first
        ? `invalid ${where}: ${first.path ? `${first.path}: ` : ""}${first.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ""}`
        : `invalid ${where}`;
      throw new ApiError("validation_failed", message, issues);
    }
  });
  (middleware as Tagged)[OPENAPI_META] = { kind: "input", target, schema };
  return middleware;
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

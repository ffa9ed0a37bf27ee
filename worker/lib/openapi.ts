import type { Hono } from "hono";
import { z } from "zod";
import { type InputMeta, metaOf, type RouteMeta } from "./validate";

const errorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

function jsonSchema(schema: z.ZodType, io: "input" | "output") {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: "draft-2020-12", io, unrepresentable: "any" });
  return rest;
}

/**
 * Builds the OpenAPI 3.1 document from the zod schemas the routes validate with, so the
 * document cannot drift from what the API accepts.
 */
export function buildOpenApi(app: Hono<any>, info: { title: string; version: string }) {
  const operations = new Map<string, { method: string; path: string; route?: RouteMeta; inputs: InputMeta[] }>();
  for (const r of app.routes) {
    if (r.method === "ALL") continue;
    const meta = metaOf(r.handler);
    if (!meta) continue;
    const key = `${r.method} ${r.path}`;
    const op = operations.get(key) ?? { method: r.method.toLowerCase(), path: r.path, inputs: [] };
    if (meta.kind === "route") op.route = meta;
    else op.inputs.push(meta);
    operations.set(key, op);
  }

  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations.values()) {
    if (!op.route) continue;
    const path = op.path.replace(/:([A-Za-z_]+)(\{[^}]*\})?/g, "{$1}");
    const parameters: unknown[] = [];
    let requestBody: unknown;
    for (const input of op.inputs) {
      if (input.target === "json") {
        requestBody = { required: true, content: { "application/json": { schema: jsonSchema(input.schema, "input") } } };
        continue;
      }
      const where = input.target === "param" ? "path" : input.target === "query" ? "query" : input.target;
      const schema = jsonSchema(input.schema, "input") as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, property] of Object.entries(schema.properties ?? {})) {
        parameters.push({ name, in: where, required: where === "path" || (schema.required ?? []).includes(name), schema: property });
      }
    }
    if (!requestBody && op.route.requestBody) {
      requestBody = {
        required: true,
        description: op.route.requestBody.description,
        content: { [op.route.requestBody.contentType]: { schema: { type: "string" } } },
      };
    }
    const responses: Record<string, unknown> = {};
    for (const [status, response] of Object.entries(op.route.responses)) {
      responses[status] = {
        description: response.description,
        ...(response.schema ? { content: { [response.contentType ?? "application/json"]: { schema: jsonSchema(response.schema, "output") } } } : {}),
      };
    }
    responses.default = { description: "Error", content: { "application/json": { schema: jsonSchema(errorSchema, "output") } } };
    paths[path] ??= {};
    paths[path]![op.method] = {
      summary: op.route.summary,
      tags: op.route.tags,
      ...(op.route.access === "public" ? { security: [] } : {}),
      ...(op.route.access === "admin" ? { description: "Requires the admin role." } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(requestBody ? { requestBody } : {}),
      responses,
    };
  }

  return {
    openapi: "3.1.0",
    info,
    servers: [{ url: "/" }],
    security: [{ session: [] }, { bearer: [] }],
    components: {
      securitySchemes: {
        session: {
          type: "apiKey",
          in: "cookie",
          name: "__Host-herald_session",
          description: "The session cookie set by POST /api/auth/login; named herald_session over plain http (local development)",
        },
        bearer: { type: "http", scheme: "bearer", description: "An API token from POST /api/tokens" },
      },
    },
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
  };
}

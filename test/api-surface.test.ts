import { describe, expect, it } from "vitest";
import { call, callJson, errorCode, seedWorkspace } from "./helpers";

type Operation = { security?: unknown[]; requestBody?: unknown; parameters?: { name: string; in: string }[] };
type OpenApi = { openapi: string; paths: Record<string, Record<string, Operation>> };

const PUBLIC = new Set([
  "get /api/health",
  "get /api/openapi.json",
  "get /api/auth/setup",
  "post /api/auth/setup",
  "post /api/auth/login",
  "post /api/auth/logout",
]);

async function document(): Promise<OpenApi> {
  return callJson<OpenApi>("/api/openapi.json");
}

describe("OpenAPI document", () => {
  it("is OpenAPI 3.1 and lists every route of the API with its schemas", async () => {
    const doc = await document();
    expect(doc.openapi).toBe("3.1.0");
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
    for (const expected of [
      "post /api/auth/setup",
      "post /api/auth/login",
      "get /api/auth/me",
      "get /api/labels",
      "patch /api/labels/{id}",
      "get /api/contacts",
      "get /api/contacts/attributes",
      "post /api/contacts/import",
      "get /api/contacts/count",
      "post /api/contacts/labels",
      "delete /api/contacts/{id}",
      "post /api/inboxes",
      "post /api/audience/preview",
      "post /api/tokens",
      "get /api/users",
      "get /api/campaigns",
      "post /api/campaigns/{id}/duplicate",
      "get /api/campaigns/{id}/results",
      "get /api/campaigns/{id}/failures",
      "get /api/campaigns/{id}/variants",
      "get /api/campaigns/{id}/recipients",
      "get /api/campaigns/{id}/cost",
      "get /api/rates",
      "put /api/rates/overrides",
      "delete /api/rates/overrides",
      "get /api/campaigns/{id}/history",
      "get /api/audit",
      "get /api/sandbox/inboxes/{id}/phones",
      "get /api/sandbox/inboxes/{id}/phones/{wa_id}/messages",
      "post /api/sandbox/inboxes/{id}/marketing-preference",
      "get /api/workspace/marketing-refusals",
    ]) {
      expect(operations).toContain(expected);
    }
    const createContact = doc.paths["/api/contacts"]!.post as any;
    expect(createContact.requestBody.content["application/json"].schema.properties.phone.type).toBe("string");
    const list = doc.paths["/api/contacts"]!.get!;
    expect(list.parameters!.map((p) => p.name)).toEqual(expect.arrayContaining(["q", "labels", "cursor", "limit"]));
    expect(doc.paths["/api/campaigns"]!.get!.parameters!.map((p) => p.name)).toEqual(expect.arrayContaining(["q", "status", "launched", "cursor", "limit"]));
    expect(doc.paths["/api/campaigns/{id}/recipients"]!.get!.parameters!.map((p) => p.name)).toEqual(expect.arrayContaining(["phone", "state"]));
    expect((doc.paths["/api/contacts/import"]!.post as any).requestBody.content).toHaveProperty("text/csv");
    expect(doc.paths["/api/contacts/import"]!.post!.parameters!.map((p) => p.name)).toEqual(expect.arrayContaining(["label_ids", "columns"]));
    expect(Object.keys((doc.paths["/api/contacts/labels"]!.post as any).requestBody.content["application/json"].schema.properties)).toEqual(
      expect.arrayContaining(["action", "label_ids", "contact_ids", "filter"]),
    );
    // Write-only secrets appear only in request bodies.
    const inboxResponse = JSON.stringify((doc.paths["/api/inboxes"]!.post as any).responses);
    expect(inboxResponse).not.toContain('"access_token"');
    expect(inboxResponse).not.toContain('"app_secret"');
  });

  it("marks exactly the public routes as needing no credentials", async () => {
    const doc = await document();
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const isPublic = Array.isArray(op.security) && op.security.length === 0;
        expect(isPublic, `${method} ${path}`).toBe(PUBLIC.has(`${method} ${path}`));
      }
    }
  });
});

describe("every non-public route needs credentials", () => {
  it("answers 401 with the error shape, for each documented operation", async () => {
    const doc = await document();
    let checked = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops)) {
        if (PUBLIC.has(`${method} ${path}`)) continue;
        const concrete = path.replace(/\{[^}]+\}/g, "1");
        const res = await call(concrete, { method: method.toUpperCase(), json: method === "get" || method === "delete" ? undefined : {} });
        expect(res.status, `${method} ${concrete}`).toBe(401);
        expect(await errorCode(res)).toBe("unauthorized");
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
  });

  it("an expired or forged cookie is no credential", async () => {
    expect((await call("/api/labels", { auth: { cookie: "herald_session=forged" } })).status).toBe(401);
  });
});

describe("unknown keys", () => {
  /** Each documented operation with a JSON body or query parameters, with valid path parameters (ids set to 1). */
  async function operations(kind: "json" | "query") {
    const doc = await document();
    const out: { method: string; path: string }[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const has = kind === "json" ? Boolean((op.requestBody as any)?.content?.["application/json"]) : (op.parameters ?? []).some((p) => p.in === "query");
        if (has) out.push({ method: method.toUpperCase(), path: path.replace("{wa_id}", "5511999990000").replace(/\{[^}]+\}/g, "1") });
      }
    }
    return out;
  }

  it("every route with a JSON body answers 400 naming a key it does not know", async () => {
    const admin = await seedWorkspace();
    const routes = await operations("json");
    expect(routes.length).toBeGreaterThan(15);
    for (const { method, path } of routes) {
      const res = await call(path, { method, json: { unexpected_key: 1 }, auth: admin });
      const body = (await res.json()) as any;
      expect(res.status, `${method} ${path}: ${JSON.stringify(body)}`).toBe(400);
      expect(body.error.code, `${method} ${path}`).toBe("validation_failed");
      expect(body.error.message, `${method} ${path}`).toContain("unexpected_key");
      expect(body.error.details, `${method} ${path}`).toContainEqual({ path: "unexpected_key", message: expect.stringContaining("unknown field") });
    }
  });

  it("every route with query parameters answers 400 naming one it does not know", async () => {
    const admin = await seedWorkspace();
    const routes = await operations("query");
    expect(routes.length).toBeGreaterThan(5);
    for (const { method, path } of routes) {
      const res = await call(`${path}?unexpected_key=1`, {
        method,
        auth: admin,
        ...(method === "GET" ? {} : { body: "", headers: { "content-type": "text/csv" } }),
      });
      const body = (await res.json()) as any;
      expect(res.status, `${method} ${path}: ${JSON.stringify(body)}`).toBe(400);
      expect(body.error.code, `${method} ${path}`).toBe("validation_failed");
      expect(body.error.details, `${method} ${path}`).toContainEqual({ path: "unexpected_key", message: expect.stringContaining("unknown") });
    }
  });

  it("documents request bodies as closed objects", async () => {
    const doc = await document();
    const create = (doc.paths["/api/campaigns"]!.post as any).requestBody.content["application/json"].schema;
    expect(create.additionalProperties).toBe(false);
    expect(create.properties.audience.additionalProperties).toBe(false);
    expect(create.properties.audience.properties.from_campaign.additionalProperties).toBe(false);
  });
});

describe("errors", () => {
  it("unknown API routes are a JSON 404", async () => {
    const account = await seedWorkspace();
    const res = await call("/api/nothing-here", { auth: account });
    expect(res.status).toBe(404);
    expect(await errorCode(res)).toBe("not_found");
  });

  it("a non-numeric id is a validation error naming the path parameter", async () => {
    const account = await seedWorkspace();
    for (const id of ["abc", "1e3", "0x10", "0", "-1", "12345678901234567"]) {
      const res = await call(`/api/labels/${id}`, { auth: account });
      expect(res.status, id).toBe(400);
      expect(((await res.json()) as any).error.details[0].path).toBe("id");
    }
  });

  it("health answers without credentials, also for HEAD", async () => {
    expect(await callJson("/api/health")).toMatchObject({ ok: true });
    expect((await call("/api/health", { method: "HEAD" })).status).toBe(200);
  });

  it("responses carry security headers", async () => {
    const res = await call("/api/health");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-frame-options")).toBe("SAMEORIGIN");
  });
});

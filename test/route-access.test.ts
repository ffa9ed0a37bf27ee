import { describe, expect, it } from "vitest";
import { app } from "../worker/app";
import { metaOf, type RouteMeta } from "../worker/lib/validate";
import { call, errorCode, seedOperator, seedWorkspace } from "./helpers";

type Access = RouteMeta["access"];

/** Every /api route the app serves, with the access level its `describe()` declares. */
function apiRoutes(): { method: string; path: string; access: Access | undefined }[] {
  const routes = new Map<string, { method: string; path: string; access: Access | undefined }>();
  for (const r of app.routes) {
    if (r.method === "ALL" || !r.path.startsWith("/api/")) continue;
    const key = `${r.method} ${r.path}`;
    const route = routes.get(key) ?? { method: r.method, path: r.path, access: undefined };
    const meta = metaOf(r.handler);
    if (meta?.kind === "route") route.access = meta.access;
    routes.set(key, route);
  }
  return [...routes.values()];
}

/** Routes that answer without credentials, on purpose. */
const PUBLIC = ["GET /api/health", "GET /api/openapi.json", "GET /api/auth/setup", "POST /api/auth/setup", "POST /api/auth/login", "POST /api/auth/logout"];

const concrete = (path: string) => path.replace(/:[A-Za-z_]+(\{[^}]*\})?/g, "1");
const bodyFor = (method: string) => (method === "GET" || method === "DELETE" ? undefined : {});

describe("access to every API route", () => {
  const routes = apiRoutes();

  it("every route declares its access level", () => {
    expect(routes.length).toBeGreaterThan(40);
    const undeclared = routes.filter((r) => r.access === undefined && r.path !== "/api/openapi.json").map((r) => `${r.method} ${r.path}`);
    expect(undeclared).toEqual([]);
    const declaredPublic = routes.filter((r) => r.access === "public").map((r) => `${r.method} ${r.path}`);
    expect(declaredPublic.sort()).toEqual(PUBLIC.filter((r) => r !== "GET /api/openapi.json").sort());
  });

  it("the audit trail is for admins; a campaign's history for any user", () => {
    const access = (key: string) => routes.find((r) => `${r.method} ${r.path}` === key)?.access;
    expect(access("GET /api/audit")).toBe("admin");
    expect(access("GET /api/campaigns/:id/history")).toBe("user");
  });

  it("user and admin routes answer 401 without credentials", async () => {
    for (const r of routes.filter((r) => r.access !== "public" && r.path !== "/api/openapi.json")) {
      const res = await call(concrete(r.path), { method: r.method, json: bodyFor(r.method) });
      expect(res.status, `${r.method} ${r.path}`).toBe(401);
      expect(await errorCode(res)).toBe("unauthorized");
    }
  });

  it("admin routes answer 403 to an operator; user routes never do", async () => {
    const admin = await seedWorkspace();
    for (const r of routes.filter((r) => r.access === "user" || r.access === "admin")) {
      // A fresh operator each time: a route may end the caller's session or change their account.
      const operator = await seedOperator(admin);
      const res = await call(concrete(r.path), { method: r.method, json: bodyFor(r.method), auth: operator });
      const label = `${r.method} ${r.path} (${r.access})`;
      if (r.access === "admin") {
        expect(res.status, label).toBe(403);
        expect(await errorCode(res), label).toBe("forbidden");
      } else {
        expect([401, 403], label).not.toContain(res.status);
      }
    }
  }, 60_000);

  it("declares the access of the rate card and cost routes", () => {
    const access = Object.fromEntries(routes.map((r) => [`${r.method} ${r.path}`, r.access]));
    expect({
      "GET /api/rates": access["GET /api/rates"],
      "PUT /api/rates/overrides": access["PUT /api/rates/overrides"],
      "DELETE /api/rates/overrides": access["DELETE /api/rates/overrides"],
      "GET /api/campaigns/:id/cost": access["GET /api/campaigns/:id/cost"],
    }).toEqual({
      "GET /api/rates": "user",
      "PUT /api/rates/overrides": "admin",
      "DELETE /api/rates/overrides": "admin",
      "GET /api/campaigns/:id/cost": "user",
    });
  });

  it("public routes answer without credentials", async () => {
    for (const r of routes.filter((r) => r.access === "public")) {
      const res = await call(concrete(r.path), { method: r.method, json: bodyFor(r.method) });
      expect([401, 403], `${r.method} ${r.path}`).not.toContain(res.status);
    }
  });
});

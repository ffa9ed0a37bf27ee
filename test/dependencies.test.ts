import { describe, expect, it } from "vitest";
import pkg from "../package.json";

/**
 * Every package that ships inside the Worker or the web app, and why Herald needs it. Adding a
 * production dependency means adding it here: a deliberate, reviewed decision.
 */
const PRODUCTION_DEPENDENCIES: Record<string, string> = {
  hono: "the Worker's router, middleware (secure headers, cookies, body limits) and WebSocket upgrade",
  "@hono/zod-validator": "zod validation of request bodies, query strings and paths inside Hono routes",
  zod: "schemas for every input and the documented API views",
  "drizzle-orm": "typed D1 queries and the schema the migrations come from",
  "libphonenumber-js": "phone numbers normalized to E.164 with per-country rules",
  preact: "the web UI",
  "preact-iso": "the web UI's router and lazy pages",
  "@preact/signals": "the web UI's state",
  uplot: "the campaign's sends-per-minute chart",
};

describe("production dependencies", () => {
  it("are exactly the listed ones", () => {
    expect(Object.keys(pkg.dependencies).sort()).toEqual(Object.keys(PRODUCTION_DEPENDENCIES).sort());
  });

  it("are pinned to one exact version (no ranges, tags, URLs or git)", () => {
    for (const [name, version] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })) {
      expect(version, name).toMatch(/^\d+\.\d+\.\d+$/);
    }
  });

  it("the lockfile records the same versions", async () => {
    const lock = (await import("../package-lock.json")).default as { packages: Record<string, { version?: string }> };
    for (const [name, version] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })) {
      expect(lock.packages[`node_modules/${name}`]?.version, name).toBe(version);
    }
  });
});

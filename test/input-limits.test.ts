import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { textCampaign, world } from "./campaigns/world";
import { type Auth, callJson, ORIGIN, seedWorkspace } from "./helpers";

const LIMIT = 64 * 1024;

type ErrorBody = { error: { code: string; message: string; details?: any } };

/** A JSON-looking body of `total` bytes served in 8 kB chunks, recording how many bytes were pulled. */
function endlessJson(total: number) {
  const state = { pulled: 0 };
  const chunk = new TextEncoder().encode(`"${"x".repeat(8190)}",`);
  let started = false;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(new TextEncoder().encode("["));
        return;
      }
      if (state.pulled >= total) {
        controller.enqueue(new TextEncoder().encode("1]"));
        controller.close();
        return;
      }
      state.pulled += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
  return { stream, state };
}

function post(path: string, body: BodyInit, headers: Record<string, string> = {}, auth?: Auth) {
  const all: Record<string, string> = { origin: ORIGIN, "content-type": "application/json", ...headers };
  if (auth?.cookie) all.cookie = auth.cookie;
  return exports.default.fetch(new Request(`${ORIGIN}${path}`, { method: "POST", headers: all, body }));
}

async function expectTooLarge(res: Response, limit = LIMIT) {
  expect(res.status).toBe(413);
  const body = (await res.json()) as ErrorBody;
  expect(body.error.code).toBe("payload_too_large");
  expect(body.error.message).toContain(`${limit / 1024} kB`);
  expect(body.error.details).toEqual({ limit_bytes: limit });
}

describe("JSON bodies are limited to 64 kB", () => {
  const padded = (bytes: number) => JSON.stringify({ email: "a@example.test", password: "p".repeat(bytes) });

  it("refuses a login body whose Content-Length is over the limit, before signing in", async () => {
    const body = padded(LIMIT);
    await expectTooLarge(await post("/api/auth/login", body, { "content-length": String(body.length) }));
  });

  it("refuses a streamed login body without Content-Length, and stops reading it", async () => {
    const { stream, state } = endlessJson(10 * 1024 * 1024);
    await expectTooLarge(await post("/api/auth/login", stream));
    expect(state.pulled).toBeLessThan(1024 * 1024);
  });

  it("refuses a streamed body whose Content-Length claims it is small", async () => {
    const { stream } = endlessJson(1024 * 1024);
    await expectTooLarge(await post("/api/auth/login", stream, { "content-length": "100" }));
  });

  it("refuses an oversized first-run setup body", async () => {
    const body = JSON.stringify({ workspace_name: "x".repeat(LIMIT), name: "A", email: "a@example.test", password: "a long password" });
    await expectTooLarge(await post("/api/auth/setup", body));
  });

  it("refuses large and streamed bodies on an authenticated route, and creates nothing", async () => {
    const admin = await seedWorkspace();
    const name = "n".repeat(LIMIT);
    await expectTooLarge(await post("/api/labels", JSON.stringify({ name }), {}, admin));
    const { stream, state } = endlessJson(10 * 1024 * 1024);
    await expectTooLarge(await post("/api/labels", stream, {}, admin));
    expect(state.pulled).toBeLessThan(1024 * 1024);
    const labels = await exports.default.fetch(new Request(`${ORIGIN}/api/labels`, { headers: { cookie: admin.cookie! } }));
    expect(((await labels.json()) as { data: unknown[] }).data).toEqual([]);
  });

  it("still accepts a body just under the limit", async () => {
    const admin = await seedWorkspace();
    // A valid contact whose attributes fill the body close to 64 kB.
    const attributes = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, "v".repeat(1000)]));
    const body = JSON.stringify({ name: "Big", phone: "+55 11 91111-1111", attributes });
    expect(body.length).toBeGreaterThan(50_000);
    expect(body.length).toBeLessThan(LIMIT);
    const { stream } = (() => {
      const bytes = new TextEncoder().encode(body);
      return {
        stream: new ReadableStream({
          start(c) {
            c.enqueue(bytes.slice(0, 30_000));
            c.enqueue(bytes.slice(30_000));
            c.close();
          },
        }),
      };
    })();
    const res = await post("/api/contacts", stream, {}, admin);
    expect(res.status).toBe(201);
  });

  it("gives 256 kB to a campaign, whose ten variants of 4,096 characters can pass 64 kB", async () => {
    const w = await world(0);
    const variants = Array.from({ length: 10 }, (_, i) => `${i} ${"न".repeat(4090)}`);
    const body = JSON.stringify(textCampaign(w, variants));
    expect(new TextEncoder().encode(body).byteLength).toBeGreaterThan(100_000);
    const created = await callJson<{ content: { variants: string[] } }>("/api/campaigns", {
      method: "POST",
      body,
      headers: { "content-type": "application/json" },
      auth: w.admin,
      expect: 201,
    });
    expect(created.content.variants).toEqual(variants);
    const { stream } = endlessJson(1024 * 1024);
    await expectTooLarge(await post("/api/campaigns", stream, {}, w.admin), 256 * 1024);
  });

  it("leaves the CSV import its own larger limit", async () => {
    const admin = await seedWorkspace();
    const lines = ["name,phone,notes"];
    for (let i = 0; i < 100; i++) lines.push(`N${i},+55 11 9${String(1000_0000 + i)},${"n".repeat(900)}`);
    const csv = lines.join("\n");
    expect(csv.length).toBeGreaterThan(LIMIT);
    const res = await post("/api/contacts/import", csv, { "content-type": "text/csv" }, admin);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ created: 100, skipped: 0 });
  });
});

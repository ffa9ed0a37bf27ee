import { describe, expect, it } from "vitest";
import { callJson } from "../helpers";
import { freshPhone, metaErrorOf, sandboxInbox, send, setScenario, text } from "./helpers";

const records = (fx: { admin: any; inboxId: number }, query = "") =>
  callJson<{ data: any[]; next_cursor: string | null }>(`/api/sandbox/inboxes/${fx.inboxId}/requests?limit=10000${query}`, { auth: fx.admin });

describe("throughput cap (130429)", () => {
  it("accepts exactly the cap out of a parallel burst and refuses the rest within the window", async () => {
    const fx = await sandboxInbox();
    const results = await Promise.all(Array.from({ length: 100 }, () => send(fx, text(freshPhone()))));
    const accepted = results.filter((r) => r.status === 200);
    const throttled = results.filter((r) => r.status !== 200);
    expect(accepted).toHaveLength(80);
    expect(throttled).toHaveLength(20);
    for (const r of throttled) {
      expect(r.status).toBe(400);
      expect(metaErrorOf(r.json)).toMatchObject({ code: 130429, message: "(#130429) Rate limit hit" });
    }

    const { data } = await records(fx);
    expect(data).toHaveLength(100);
    for (const r of data) expect(Number.isInteger(r.at)).toBe(true);
    const times = data.map((r) => r.at);
    expect(Math.max(...times) - Math.min(...times)).toBeLessThan(1000);
    expect(data.filter((r) => r.status === 200)).toHaveLength(80);
    expect(data.filter((r) => r.error_code === 130429)).toHaveLength(20);
  });

  it("accepts again once the window has moved on, and follows the scenario's cap", async () => {
    const fx = await sandboxInbox({ scenario: { throughput_cap: 3 } });
    const burst = await Promise.all(Array.from({ length: 5 }, () => send(fx, text(freshPhone()))));
    expect(burst.filter((r) => r.status === 200)).toHaveLength(3);
    await new Promise((resolve) => setTimeout(resolve, 1050));
    expect((await send(fx, text(freshPhone()))).status).toBe(200);
  });

  it("refused requests do not use up the cap", async () => {
    const fx = await sandboxInbox({ scenario: { throughput_cap: 2 } });
    for (let i = 0; i < 5; i++) expect(metaErrorOf((await send(fx, text("5511999990000"))).json).code).toBe(131026);
    expect((await send(fx, text(freshPhone()))).status).toBe(200);
    expect((await send(fx, text(freshPhone()))).status).toBe(200);
    expect(metaErrorOf((await send(fx, text(freshPhone()))).json).code).toBe(130429);
  });
});

describe("pair rate limit (131056)", () => {
  it("refuses a second message to the same recipient within the limit, not to others", async () => {
    const fx = await sandboxInbox();
    const to = freshPhone();
    expect((await send(fx, text(to))).status).toBe(200);
    const again = await send(fx, text(`+${to}`));
    expect(again.status).toBe(400);
    expect(metaErrorOf(again.json).code).toBe(131056);
    expect((await send(fx, text(freshPhone()))).status).toBe(200);
  });

  it("follows the scenario: a short limit expires, 0 disables it", async () => {
    const fx = await sandboxInbox({ scenario: { pair_rate_limit_ms: 50 } });
    const to = freshPhone();
    expect((await send(fx, text(to))).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect((await send(fx, text(to))).status).toBe(200);
    await setScenario(fx, { pair_rate_limit_ms: 0 });
    expect((await send(fx, text(to))).status).toBe(200);
    expect((await send(fx, text(to))).status).toBe(200);
  });
});

describe("random failures", () => {
  it("with rate 1.0 refuses every valid send with the default code 131000 (HTTP 500)", async () => {
    const fx = await sandboxInbox({ scenario: { random_failure_rate: 1 } });
    for (let i = 0; i < 5; i++) {
      const { status, json } = await send(fx, text(freshPhone()));
      expect(status).toBe(500);
      expect(metaErrorOf(json).code).toBe(131000);
    }
  });

  it("draws codes from random_failure_codes", async () => {
    const fx = await sandboxInbox({ scenario: { random_failure_rate: 1, random_failure_codes: [131016, 4, 131048] } });
    const codes = new Set<number>();
    for (let i = 0; i < 30; i++) codes.add(metaErrorOf((await send(fx, text(freshPhone()))).json).code);
    expect([...codes].every((c) => [131016, 4, 131048].includes(c))).toBe(true);
    expect(codes.size).toBeGreaterThan(1);
  });

  it("with rate 0 never fails", async () => {
    const fx = await sandboxInbox({ scenario: { random_failure_rate: 0 } });
    for (let i = 0; i < 10; i++) expect((await send(fx, text(freshPhone()))).status).toBe(200);
  });
});

/**
 * The fault plan of the chaos soak (worker/lib/faults.ts): off unless local development and
 * CHAOS_FAULTS both say so, one schedule per seed, each fault hitting about its share of events.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { FaultPlan, faultPlan, faultPlanSchema, unitHash } from "../worker/lib/faults";

const PLAN = { seed: 7, duplicate_job: 0.1, crash_after_claim: 0.02 };
const withVars = (vars: Partial<Env>) => ({ ...env, ...vars }) as Env;
const plan = (fields: Record<string, unknown>) => new FaultPlan(faultPlanSchema.parse(fields));
// Each hit is logged for the soak to count; the tests read the log instead of printing it.
let warnings: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  warnings = vi.spyOn(console, "warn").mockImplementation(() => {});
  return () => warnings.mockRestore();
});

const events = (n: number) => Array.from({ length: n }, (_, i) => `3:${i * 5 + 1},${i * 5 + 2}:1`);

describe("whether faults are injected at all", () => {
  it("never in a deployment, even with a plan", () => {
    expect(faultPlan(withVars({ HERALD_ENV: "production", CHAOS_FAULTS: JSON.stringify(PLAN) }))).toBeNull();
    expect(faultPlan(withVars({ HERALD_ENV: undefined as unknown as string, CHAOS_FAULTS: JSON.stringify(PLAN) }))).toBeNull();
  });

  it("never in local development without a plan", () => {
    expect(faultPlan(withVars({ HERALD_ENV: "development", CHAOS_FAULTS: "" }))).toBeNull();
    expect(faultPlan(withVars({ HERALD_ENV: "development", CHAOS_FAULTS: "  " }))).toBeNull();
    expect(faultPlan(withVars({ HERALD_ENV: "development", CHAOS_FAULTS: undefined as unknown as string }))).toBeNull();
    // The tests' own Worker runs without one.
    expect(faultPlan(env)).toBeNull();
  });

  it("in local development with a plan, which must be valid", () => {
    const active = faultPlan(withVars({ HERALD_ENV: "development", CHAOS_FAULTS: JSON.stringify({ ...PLAN, claim_timeout_ms: 20_000 }) }));
    expect(active?.plan).toMatchObject({ seed: 7, duplicate_job: 0.1, crash_after_claim: 0.02, evict: 0 });
    expect(active?.claimTimeoutMs).toBe(20_000);
    const dev = (text: string) => () => faultPlan(withVars({ HERALD_ENV: "development", CHAOS_FAULTS: text }));
    expect(dev(JSON.stringify({ ...PLAN, duplicate_job: 1.5 }))).toThrow();
    expect(dev(JSON.stringify({ ...PLAN, drop_everything: 1 }))).toThrow();
    expect(dev(JSON.stringify({ duplicate_job: 0.1 }))).toThrow();
    expect(dev("{not json")).toThrow();
  });
});

describe("the schedule", () => {
  it("is the same for the same seed and events, and another for another seed", () => {
    const hits = (seed: number) => events(2_000).filter((e) => plan({ ...PLAN, seed }).strikes("duplicate_job", e));
    expect(hits(7)).toEqual(hits(7));
    expect(hits(8)).not.toEqual(hits(7));
  });

  it("hits about the planned share of events, and each fault its own events", () => {
    const p = plan({ seed: 11, duplicate_job: 0.1, repeat_alarm: 0.1, evict: 0, concurrent_alarm: 1 });
    const all = events(20_000);
    const duplicated = all.filter((e) => p.strikes("duplicate_job", e));
    const repeated = all.filter((e) => p.strikes("repeat_alarm", e));
    expect(duplicated.length).toBeGreaterThan(1_800);
    expect(duplicated.length).toBeLessThan(2_200);
    expect(repeated.length).toBeGreaterThan(1_800);
    expect(repeated.length).toBeLessThan(2_200);
    // Independent faults: about a tenth of the duplicated events are also repeated, not all of them.
    const repeatedSet = new Set(repeated);
    const both = duplicated.filter((e) => repeatedSet.has(e)).length;
    expect(both).toBeGreaterThan(120);
    expect(both).toBeLessThan(300);
    expect(all.some((e) => p.strikes("evict", e))).toBe(false);
    expect(all.every((e) => p.strikes("concurrent_alarm", e))).toBe(true);
  });

  it("crashes the consumer exactly where the plan strikes", () => {
    const p = plan({ seed: 3, crash_before_report: 0.5 });
    const all = events(200);
    const struck = all.filter((e) => p.strikes("crash_before_report", e));
    expect(struck.length).toBeGreaterThan(60);
    // One log line per hit, naming the fault and the event.
    expect(warnings.mock.calls.map((c: unknown[]) => String(c[0]))).toEqual(struck.map((e) => `injected fault: crash_before_report (${e})`));
    warnings.mockClear();
    for (const e of all) {
      if (struck.includes(e)) expect(() => p.crash("crash_before_report", e)).toThrow(/crash_before_report/);
      else expect(() => p.crash("crash_before_report", e)).not.toThrow();
    }
    expect(() => p.crash("crash_after_claim", struck[0]!)).not.toThrow();
  });

  it("draws from a hash spread evenly over [0, 1)", () => {
    const values = Array.from({ length: 10_000 }, (_, i) => unitHash(`x${i}`));
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    const tenths = new Array(10).fill(0);
    for (const v of values) tenths[Math.floor(v * 10)]++;
    for (const n of tenths) expect(Math.abs(n - 1_000)).toBeLessThan(150);
  });
});

import { z } from "zod";
import { hash32 } from "../domain/campaign-pacing";
import { localDevelopment } from "./config";

/**
 * Fault injection inside the Worker, for the chaos soak (`npm run bench:chaos`, bench/chaos.mjs).
 *
 * OFF unless BOTH hold: the Worker runs for local development (`HERALD_ENV = "development"`) and
 * the `CHAOS_FAULTS` variable holds a JSON fault plan. A deployment has `HERALD_ENV = "production"`
 * and an empty `CHAOS_FAULTS` (wrangler.toml), so `faultPlan()` answers null there and no hook
 * does anything. A plan that does not parse is refused loudly rather than ignored.
 *
 * The faults the soak cannot cause from outside (through the API and the sandbox's scenario):
 * - `duplicate_job`: an outbound job is put on the queue twice (a duplicate queue delivery);
 * - `repeat_alarm`: the campaign object's alarm runs its tick again right after the first;
 * - `concurrent_alarm`: the alarm runs two ticks at once;
 * - `evict`: the campaign object is reset after a tick (`ctx.abort()`), losing its memory;
 * - `crash_after_claim`: the outbound consumer dies after claiming recipients, before sending;
 * - `crash_before_report`: the consumer dies after sending, before reporting the outcomes.
 * Each is a share (0–1) of the events it can hit, decided by a hash of the plan's `seed`, the
 * fault and the event's identity: one seed gives one schedule of faults for the same events.
 * `claim_timeout_ms` shortens how long a claimed recipient without a report waits before it
 * becomes `unknown` (5 minutes otherwise), so a short soak can settle what the crashes leave.
 */
const rate = z.number().min(0).max(1).default(0);
export const faultPlanSchema = z.strictObject({
  seed: z.number().int(),
  duplicate_job: rate,
  repeat_alarm: rate,
  concurrent_alarm: rate,
  evict: rate,
  crash_after_claim: rate,
  crash_before_report: rate,
  claim_timeout_ms: z.number().int().min(1_000).max(3_600_000).optional(),
});

export type FaultName = "duplicate_job" | "repeat_alarm" | "concurrent_alarm" | "evict" | "crash_after_claim" | "crash_before_report";

/** A parsed plan: `strikes(fault, event)` says whether that fault hits that event. */
export class FaultPlan {
  constructor(readonly plan: z.output<typeof faultPlanSchema>) {}

  get claimTimeoutMs(): number | undefined {
    return this.plan.claim_timeout_ms;
  }

  /** Whether the fault hits the event; each hit is logged as `injected fault: <fault> (<event>)`, which the soak counts. */
  strikes(fault: FaultName, event: string): boolean {
    const share = this.plan[fault];
    const hit = share > 0 && unitHash(`${this.plan.seed}|${fault}|${event}`) < share;
    if (hit) console.warn(`injected fault: ${fault} (${event})`);
    return hit;
  }

  /** Throws (the consumer crashes) when the fault hits the event. */
  crash(fault: "crash_after_claim" | "crash_before_report", event: string): void {
    if (this.strikes(fault, event)) throw new Error(`the consumer crashed here (${fault}, by the fault plan)`);
  }
}

const parsed = new Map<string, FaultPlan>();

/** The fault plan of this Worker, or null (always null outside local development or without CHAOS_FAULTS). */
export function faultPlan(env: Env): FaultPlan | null {
  const source = env.CHAOS_FAULTS?.trim();
  if (!source || !localDevelopment(env)) return null;
  let plan = parsed.get(source);
  if (!plan) {
    plan = new FaultPlan(faultPlanSchema.parse(JSON.parse(source)));
    parsed.set(source, plan);
  }
  return plan;
}

/** A number in [0, 1) from a string (its 32-bit hash scaled down). */
export const unitHash = (text: string): number => hash32(text) / 4294967296;

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ErrorPolicy } from "../../worker/domain/provider";
import { loopbackFetch } from "../../worker/lib/loopback";
import { CloudApiProvider } from "../../worker/provider/cloud-api";
import { freshPhone, type SandboxFixture, sandboxInbox, setScenario } from "./helpers";

const ctx = { waitUntil: (_p: Promise<unknown>) => {} };

function client(fx: SandboxFixture, timeoutMs?: number) {
  return new CloudApiProvider({
    baseUrl: "http://localhost/sandbox/graph",
    version: "v23.0",
    phoneNumberId: fx.phoneNumberId,
    wabaId: fx.wabaId,
    accessToken: fx.token,
    fetch: loopbackFetch(env, ctx),
    ...(timeoutMs ? { timeoutMs } : {}),
  });
}

async function policyOf(send: Promise<{ ok: boolean; error?: { policy: ErrorPolicy; code?: number } }>) {
  const result = await send;
  if (result.ok) throw new Error("expected the send to fail");
  return { policy: result.error!.policy, code: result.error!.code };
}

describe("every policy class of the error table, through the sandbox and the real client", () => {
  it("retry_inbox_later: the number's throughput cap (130429)", async () => {
    const fx = await sandboxInbox({ scenario: { throughput_cap: 1, pair_rate_limit_ms: 0 } });
    const provider = client(fx);
    expect((await provider.sendText({ to: freshPhone(), body: "one" })).ok).toBe(true);
    expect(await policyOf(provider.sendText({ to: freshPhone(), body: "two" }))).toEqual({ policy: "retry_inbox_later", code: 130429 });
  });

  it("retry_recipient_later: the pair rate limit (131056) and transient errors (131000)", async () => {
    const fx = await sandboxInbox();
    const provider = client(fx);
    const to = freshPhone();
    expect((await provider.sendText({ to, body: "one" })).ok).toBe(true);
    expect(await policyOf(provider.sendText({ to, body: "two" }))).toEqual({ policy: "retry_recipient_later", code: 131056 });
    await setScenario(fx, { random_failure_rate: 1, random_failure_codes: [131000] });
    expect(await policyOf(provider.sendText({ to: freshPhone(), body: "x" }))).toEqual({ policy: "retry_recipient_later", code: 131000 });
  });

  it("fail_recipient: not on WhatsApp (131026) and parameter mismatches (132000)", async () => {
    const fx = await sandboxInbox();
    const provider = client(fx);
    expect(await policyOf(provider.sendText({ to: "5511987650000", body: "x" }))).toEqual({ policy: "fail_recipient", code: 131026 });
    const mismatch = provider.sendTemplate({ to: freshPhone(), name: "welcome_offer", language: "pt_BR", parameterFormat: "positional", body: { "1": "Ana" } });
    expect(await policyOf(mismatch)).toEqual({ policy: "fail_recipient", code: 132000 });
  });

  it("stop_marketing: the user stopped marketing messages (131050)", async () => {
    const fx = await sandboxInbox({ scenario: { random_failure_rate: 1, random_failure_codes: [131050] } });
    expect(await policyOf(client(fx).sendText({ to: freshPhone(), body: "x" }))).toEqual({ policy: "stop_marketing", code: 131050 });
  });

  it("pause_campaign: expired token (190) and templates missing, paused or disabled (132001, 132015, 132016)", async () => {
    const fx = await sandboxInbox({ scenario: { token_expired: true } });
    expect(await policyOf(client(fx).sendText({ to: freshPhone(), body: "x" }))).toEqual({ policy: "pause_campaign", code: 190 });
    const ok = await sandboxInbox();
    const provider = client(ok);
    const template = (name: string, language: string) => policyOf(provider.sendTemplate({ to: freshPhone(), name, language, parameterFormat: "positional" }));
    expect(await template("no_such_template", "en_US")).toEqual({ policy: "pause_campaign", code: 132001 });
    expect(await template("flash_sale", "pt_BR")).toEqual({ policy: "pause_campaign", code: 132015 });
    expect(await template("old_newsletter", "en_US")).toEqual({ policy: "pause_campaign", code: 132016 });
  });

  it("unknown: the answer never came back, although the message was sent", async () => {
    const fx = await sandboxInbox({ scenario: { slow_response_rate: 1, slow_response_ms: 1000, pair_rate_limit_ms: 0 } });
    const to = freshPhone();
    const outcome = await client(fx, 100).sendText({ to, body: "lost answer" });
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.error.policy).toBe("unknown");
    // The sandbox did accept it: resending would be a duplicate, which is why `unknown` is never retried.
    await new Promise((r) => setTimeout(r, 1100));
    const stub = env.SANDBOX.get(env.SANDBOX.idFromName(fx.phoneNumberId));
    const { data } = await stub.records({ limit: 100 });
    expect(data.filter((r) => r.to === to && r.status === 200)).toHaveLength(1);
  });
});

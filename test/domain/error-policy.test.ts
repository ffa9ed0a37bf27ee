import { describe, expect, it } from "vitest";
import { classifyMetaError, describeMetaError, ERROR_POLICY_TABLE, networkFailure } from "../../worker/domain/error-policy";
import type { ErrorPolicy } from "../../worker/domain/provider";

// What to do with each error code, written out independently of ERROR_POLICY_TABLE, so a wrong row there fails here.
const EXPECTED: [codes: number[], policy: ErrorPolicy][] = [
  [[130429], "retry_inbox_later"],
  [[4, 80007], "retry_inbox_later"],
  [[131056], "retry_recipient_later"],
  [[131000, 131016, 133004, 1, 2], "retry_recipient_later"],
  [[131057], "retry_recipient_later"],
  [[131026], "fail_recipient"],
  [[131047], "fail_recipient"],
  [[131049], "fail_recipient"],
  [[131050], "stop_marketing"],
  [[130472], "fail_recipient"],
  [[131008, 131009, 100, 131051], "fail_recipient"],
  [[132000, 132012, 132005], "fail_recipient"],
  [[131048], "pause_campaign"],
  [[132001, 132015, 132016], "pause_campaign"],
  [[0, 190, 3, 10], "pause_campaign"],
  [[131031, 368, 131042, 131045, 133010, 131064], "pause_campaign"],
];

describe("classifyMetaError", () => {
  it.each(EXPECTED.flatMap(([codes, policy]) => codes.map((code) => [code, policy] as const)))("code %i → %s", (code, policy) => {
    const result = classifyMetaError(code);
    expect(result.policy).toBe(policy);
    expect(result.title).not.toBe("");
  });

  it("ERROR_POLICY_TABLE lists exactly the documented codes, each once", () => {
    const documented = EXPECTED.flatMap(([codes]) => codes).sort((a, b) => a - b);
    const listed = ERROR_POLICY_TABLE.flatMap((rule) => rule.codes).sort((a, b) => a - b);
    expect(listed).toEqual(documented);
    for (const rule of ERROR_POLICY_TABLE) {
      for (const code of rule.codes) expect(classifyMetaError(code)).toMatchObject({ policy: rule.policy, title: rule.title });
    }
  });

  it.each([200, 201, 250, 299])("permission error %i pauses the campaign", (code) => {
    expect(classifyMetaError(code).policy).toBe("pause_campaign");
  });

  it.each([199, 300])("%i, just outside the 200–299 range, is not a permission error", (code) => {
    expect(classifyMetaError(code).policy).toBe("fail_recipient");
  });

  it("gives backoff hints to the retry policies", () => {
    for (const code of [131000, 131016, 133004, 1, 2]) expect(classifyMetaError(code).retryAfterMs).toBeGreaterThan(0);
    expect(classifyMetaError(131056).retryAfterMs).toBeGreaterThanOrEqual(6_000);
    expect(classifyMetaError(131057).retryAfterMs).toBe(60_000);
    for (const code of [130429, 4, 80007]) expect(classifyMetaError(code).retryAfterMs).toBeGreaterThan(0);
    for (const rule of ERROR_POLICY_TABLE) {
      if (rule.policy.startsWith("retry_")) expect(rule.retryAfterMs, `${rule.codes}`).toBeGreaterThan(0);
      else expect(rule.retryAfterMs, `${rule.codes}`).toBeUndefined();
    }
  });

  it("fails only the recipient for unknown codes, naming the code", () => {
    expect(classifyMetaError(987654)).toEqual({ policy: "fail_recipient", title: "Unknown error (code 987654)" });
    expect(classifyMetaError(undefined)).toEqual({ policy: "fail_recipient", title: "Unknown error (no code)" });
    expect(classifyMetaError(Number.NaN).policy).toBe("fail_recipient");
  });

  it("ignores the subcode for now", () => {
    expect(classifyMetaError(190, 463)).toEqual(classifyMetaError(190));
    expect(classifyMetaError(100, 2494010)).toEqual(classifyMetaError(100));
  });
});

describe("describeMetaError", () => {
  it("gives every rule of the table advice for the operator", () => {
    for (const rule of ERROR_POLICY_TABLE) expect(rule.advice.length, `${rule.codes}`).toBeGreaterThan(30);
    expect(new Set(ERROR_POLICY_TABLE.map((rule) => rule.advice)).size).toBe(ERROR_POLICY_TABLE.length);
  });

  it.each(EXPECTED.flatMap(([codes, policy]) => codes.map((code) => [code, policy] as const)))(
    "code %i: the rule's policy, title as meaning, and advice",
    (code, policy) => {
      const rule = ERROR_POLICY_TABLE.find((r) => r.codes.includes(code))!;
      expect(describeMetaError(code)).toEqual({ policy, meaning: rule.title, advice: rule.advice });
    },
  );

  it.each([
    [131026, /on WhatsApp.*remove it from the audience/],
    [130429, /[Ll]ower the pace/],
    [131048, /[Ll]ower the pace.*expect your messages.*quality.*WhatsApp Manager/],
    [132001, /[Ss]ync.*templates.*status and language/],
    [190, /[Rr]econnect the inbox with a new access token/],
    [250, /[Rr]econnect the inbox with a new access token/],
    [131047, /template.*24 hours/],
    [131049, /marketing messages.*frequency cap in Settings/],
    [131050, /turned off marketing messages.*[Uu]tility templates.*still reach them/],
  ])("tells what to do about %i", (code, advice) => {
    expect(describeMetaError(code).advice).toMatch(advice);
  });

  it("131049 is WhatsApp's per-user marketing limit: the recipient fails, no retry", () => {
    expect(describeMetaError(131049)).toMatchObject({
      policy: "fail_recipient",
      meaning: "WhatsApp's per-user marketing limit: this person received too many marketing messages recently",
    });
    expect(classifyMetaError(131049).retryAfterMs).toBeUndefined();
  });

  it("explains an unknown code and a missing one generically", () => {
    expect(describeMetaError(987654)).toMatchObject({ policy: "fail_recipient", meaning: "Unknown error (code 987654)" });
    expect(describeMetaError(null)).toMatchObject({ policy: "fail_recipient", meaning: "Failed without an error code" });
    expect(describeMetaError(undefined)).toEqual(describeMetaError(null));
    for (const code of [987654, null]) expect(describeMetaError(code).advice.length).toBeGreaterThan(30);
  });
});

describe("networkFailure", () => {
  it.each(["timeout", "network"] as const)("%s after the request may have left → unknown, no retry hint", (reason) => {
    const error = networkFailure(reason, true);
    expect(error.policy).toBe("unknown");
    expect(error.retryAfterMs).toBeUndefined();
    expect(error.code).toBeUndefined();
    expect(error.message).toMatch(/may have reached Meta/);
  });

  it.each(["timeout", "network"] as const)("%s before anything was sent → retry later", (reason) => {
    const error = networkFailure(reason, false);
    expect(error.policy).toBe("retry_recipient_later");
    expect(error.retryAfterMs).toBeGreaterThan(0);
    expect(error.message).toMatch(/safe to retry/);
  });

  it("includes the underlying detail in the message", () => {
    expect(networkFailure("network", true, "connection reset").message).toContain("connection reset");
    expect(networkFailure("timeout", true).title).toMatch(/timeout/);
  });
});

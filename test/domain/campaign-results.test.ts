import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { RESULT_STATES, recipientSelection } from "../../worker/domain/campaign-results";
import { audienceSchema } from "../../worker/domain/campaign-settings";
import { TEMPORARY_FAILURE_CODES } from "../../worker/domain/error-policy";

function problems(schema: z.ZodType, input: unknown) {
  const result = schema.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message }));
}

describe("TEMPORARY_FAILURE_CODES", () => {
  it("are exactly the codes Herald retries by itself", () => {
    // Written out independently of the error table, so a wrong row there fails here.
    expect([...TEMPORARY_FAILURE_CODES].sort((a, b) => a - b)).toEqual([1, 2, 4, 80007, 130429, 131000, 131016, 131056, 131057, 133004]);
  });

  it("leave out failures that were the recipient's for good, campaign-wide refusals and unknown codes", () => {
    for (const code of [131026, 131047, 131049, 131050, 130472, 100, 132000, 131048, 190, 250, 999999])
      expect(TEMPORARY_FAILURE_CODES, String(code)).not.toContain(code);
  });
});

describe("recipientSelection", () => {
  it.each([
    [["read_not_replied"], ["read"], "none"],
    [["sent_not_delivered", "delivered_not_read", "replied"], ["sent", "delivered", "replied"], "none"],
    [["failed_temporary"], [], "temporary"],
    [["failed_permanent", "skipped"], ["skipped"], "permanent"],
    [["failed_permanent", "failed_temporary", "cancelled"], ["cancelled"], "all"],
  ] as const)("%j → states %j, failed %s", (states, recipientStates, failed) => {
    expect(recipientSelection(states)).toEqual({ states: recipientStates, failed });
  });

  it("never selects a recipient that is unknown or not sent yet, whatever is chosen", () => {
    const all = recipientSelection(RESULT_STATES);
    expect(all.states.sort()).toEqual(["cancelled", "delivered", "read", "replied", "sent", "skipped"]);
    expect(all.failed).toBe("all");
    for (const state of ["unknown", "pending", "released", "sending"]) expect(all.states).not.toContain(state);
  });
});

describe("audienceSchema with from_campaign", () => {
  it("makes labels optional; labels, match and exclusions still apply", () => {
    expect(audienceSchema.parse({ from_campaign: { campaign_id: 7, states: ["replied"] } })).toEqual({
      labels: [],
      match: "any",
      exclude_labels: [],
      from_campaign: { campaign_id: 7, states: ["replied"] },
    });
    expect(
      audienceSchema.parse({ labels: [1, 2], match: "all", exclude_labels: [3], from_campaign: { campaign_id: 7, states: ["skipped", "cancelled"] } }),
    ).toEqual({
      labels: [1, 2],
      match: "all",
      exclude_labels: [3],
      from_campaign: { campaign_id: 7, states: ["skipped", "cancelled"] },
    });
  });

  it.each([
    [{}, "labels", "choose at least one label"],
    [{ from_campaign: { campaign_id: 7, states: [] } }, "from_campaign.states", "choose at least one result"],
    [{ from_campaign: { campaign_id: 7, states: ["replied", "replied"] } }, "from_campaign.states", "name each result once"],
    [{ from_campaign: { campaign_id: 0, states: ["replied"] } }, "from_campaign.campaign_id", "campaign ids are positive"],
    [{ from_campaign: { campaign_id: 1.5, states: ["replied"] } }, "from_campaign.campaign_id", "campaign ids are whole numbers"],
    [
      { labels: [1], exclude_labels: [1], from_campaign: { campaign_id: 7, states: ["replied"] } },
      "exclude_labels",
      "label 1 cannot be both included and excluded",
    ],
  ])("refuses %j", (input, path, message) => {
    expect(problems(audienceSchema, input)).toContainEqual({ path, message });
  });

  it("refuses a state no result has, such as unknown", () => {
    expect(problems(audienceSchema, { from_campaign: { campaign_id: 7, states: ["unknown"] } })[0]?.path).toBe("from_campaign.states.0");
  });

  it("documents every result state in the schema", () => {
    const described = audienceSchema.shape.from_campaign.unwrap().shape.states.description ?? "";
    for (const state of RESULT_STATES) expect(described).toContain(`\`${state}\`:`);
    expect(described).toContain("131000");
  });
});

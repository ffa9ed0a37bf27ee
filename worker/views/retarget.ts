/** What the API shows of a campaign's results as an audience for another campaign (retargeting). */
import { z } from "zod";
import { RESULT_STATE_MEANINGS, RESULT_STATES } from "../domain/campaign-results";

/** How many of a campaign's recipients are in each result state. */
export const resultCountsView = z.object({
  campaign_id: z.number(),
  counts: z
    .record(z.enum(RESULT_STATES), z.number().int())
    .describe(`recipients per result state: ${RESULT_STATES.map((state) => `\`${state}\`: ${RESULT_STATE_MEANINGS[state]}`).join("; ")}`),
});

export type ResultCountsView = z.output<typeof resultCountsView>;

/**
 * What became of a launched campaign's recipients, in the terms an operator picks them by to
 * send another campaign to them (retargeting). Each result state stands for one recipient state
 * of the campaign's object; a failure is split by whether its error was temporary. Recipients
 * whose message may have reached WhatsApp without an answer (`unknown`) belong to no result
 * state, so they are never sent to again this way; nor are those not sent yet (pending,
 * released, sending).
 */
import type { RecipientState } from "./delivery-status";
import { TEMPORARY_FAILURE_CODES } from "./error-policy";

export const RESULT_STATES = [
  "sent_not_delivered",
  "delivered_not_read",
  "read_not_replied",
  "replied",
  "failed_temporary",
  "failed_permanent",
  "skipped",
  "cancelled",
] as const;
export type ResultState = (typeof RESULT_STATES)[number];

/** What each result state means, for the API's documentation. */
export const RESULT_STATE_MEANINGS: Readonly<Record<ResultState, string>> = {
  sent_not_delivered: "WhatsApp accepted the message but reported no delivery (recipient state `sent`)",
  delivered_not_read: "delivered but never read (state `delivered`)",
  read_not_replied: "read, without a reply (state `read`)",
  replied: "replied to the campaign (state `replied`)",
  failed_temporary: `failed with an error Herald retries by itself, once its attempts ran out: a temporary error at Meta, a throughput, per-recipient rate or maintenance error (codes ${TEMPORARY_FAILURE_CODES.join(", ")})`,
  failed_permanent: "failed with any other error or without an error code (e.g. 131026 undeliverable, 131049 marketing limit, a missing variable value)",
  skipped: "never sent: free text to a contact outside the 24-hour window (state `skipped`)",
  cancelled: "never sent: the campaign was cancelled, or failed, before their turn (state `cancelled`)",
};

/** The recipient state behind each result state (the failed ones are split by `TEMPORARY_FAILURE_CODES`). */
export const RECIPIENT_STATE_OF: Readonly<Record<ResultState, RecipientState>> = {
  sent_not_delivered: "sent",
  delivered_not_read: "delivered",
  read_not_replied: "read",
  replied: "replied",
  failed_temporary: "failed",
  failed_permanent: "failed",
  skipped: "skipped",
  cancelled: "cancelled",
};

/** Which failed recipients a selection takes: by the kind of their error, every one, or none. */
export type FailedSelection = "temporary" | "permanent" | "all" | "none";

/**
 * A selection of result states as a query on recipients needs it: the recipient states taken
 * whole, and which failed recipients are taken.
 *
 * @example
 * recipientSelection(["read_not_replied", "failed_temporary"]); // { states: ["read"], failed: "temporary" }
 */
export function recipientSelection(states: readonly ResultState[]): { states: RecipientState[]; failed: FailedSelection } {
  const chosen = new Set(states);
  const temporary = chosen.has("failed_temporary");
  const permanent = chosen.has("failed_permanent");
  return {
    states: RESULT_STATES.filter((r) => chosen.has(r) && RECIPIENT_STATE_OF[r] !== "failed").map((r) => RECIPIENT_STATE_OF[r]),
    failed: temporary && permanent ? "all" : temporary ? "temporary" : permanent ? "permanent" : "none",
  };
}

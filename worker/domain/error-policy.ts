import type { ErrorPolicy, ProviderError } from "./provider";

/** One row of the error table: the Meta `error.code`s it covers and what Herald does about them. */
export type ErrorPolicyRule = {
  codes: readonly number[];
  /** Inclusive code ranges, for families such as the 200–299 permission errors. */
  ranges?: readonly (readonly [from: number, to: number])[];
  policy: ErrorPolicy;
  title: string;
  /** Suggested wait before the first retry; callers grow it with their own backoff. */
  retryAfterMs?: number;
  /** What the operator can do about it. */
  advice: string;
};

export type ErrorClassification = { policy: ErrorPolicy; title: string; retryAfterMs?: number };

/** WhatsApp's per-user marketing limit: the person received too many marketing messages from businesses. */
export const MARKETING_LIMIT_ERROR = 131049;
/** The person stopped marketing messages from this business. */
export const MARKETING_STOPPED_ERROR = 131050;

/**
 * What Herald does with each of Meta's error codes, row by row. Codes absent from it are
 * classified as `fail_recipient` (see `classifyMetaError`).
 */
export const ERROR_POLICY_TABLE: readonly ErrorPolicyRule[] = [
  {
    codes: [130429],
    policy: "retry_inbox_later",
    title: "Throughput limit of the number reached",
    retryAfterMs: 1_000,
    advice: "Lower the pace (longer delays between messages, or fewer campaigns from this inbox at once); Herald retries these messages by itself.",
  },
  {
    codes: [4, 80007],
    policy: "retry_inbox_later",
    title: "App or WhatsApp Business Account rate limit reached",
    retryAfterMs: 60_000,
    advice: "Lower the pace and avoid running many campaigns on the same WhatsApp Business Account at once; Herald retries these messages by itself.",
  },
  // Meta allows about one message per 6 s from one number to one user.
  {
    codes: [131056],
    policy: "retry_recipient_later",
    title: "Too many messages to this recipient",
    retryAfterMs: 6_000,
    advice: "Avoid sending several messages to the same person in a short time (e.g. overlapping campaigns); Herald retries after a pause.",
  },
  {
    codes: [131000, 131016, 133004, 1, 2],
    policy: "retry_recipient_later",
    title: "Temporary error at Meta",
    retryAfterMs: 5_000,
    advice: "Usually temporary: Herald retries by itself. If it keeps happening, wait a while and resume or duplicate the campaign for the recipients left.",
  },
  // Maintenance lasts up to a minute (e.g. a throughput upgrade).
  {
    codes: [131057],
    policy: "retry_recipient_later",
    title: "WhatsApp account in maintenance",
    retryAfterMs: 60_000,
    advice: "The WhatsApp account is briefly in maintenance; Herald retries by itself. Nothing to change.",
  },
  {
    codes: [131026],
    policy: "fail_recipient",
    title: "Message undeliverable to this recipient",
    advice: "Check the number is on WhatsApp and correct; remove it from the audience if it keeps failing.",
  },
  {
    codes: [131047],
    policy: "fail_recipient",
    title: "Outside the 24-hour window: send a template instead",
    advice: "Use an approved template for contacts who have not written to you in the last 24 hours; free text only reaches those who have.",
  },
  {
    codes: [MARKETING_LIMIT_ERROR],
    policy: "fail_recipient",
    title: "WhatsApp's per-user marketing limit: this person received too many marketing messages recently",
    advice:
      "WhatsApp limits how many marketing messages each person receives from all businesses; Herald does not retry these. Set a frequency cap in Settings (e.g. 1 campaign message per 7 days) so contacts get fewer of your messages, and send to them again in a few days.",
  },
  {
    codes: [MARKETING_STOPPED_ERROR],
    policy: "stop_marketing",
    title: "Recipient stopped marketing messages",
    advice:
      "The person turned off marketing messages from you at WhatsApp; Herald recorded it on the contact, and marketing templates leave them out until they resume. Utility templates and replies still reach them.",
  },
  {
    codes: [130472],
    policy: "fail_recipient",
    title: "Recipient is part of a Meta experiment",
    advice: "Meta held this marketing message back as part of an experiment; nothing to fix on your side.",
  },
  {
    codes: [131008, 131009, 100, 131051],
    policy: "fail_recipient",
    title: "Invalid or missing parameter",
    advice: "Check the campaign's content: values, media link and message type; send a test message to see the exact error.",
  },
  {
    codes: [132000, 132012, 132005],
    policy: "fail_recipient",
    title: "Template parameters do not match the template",
    advice: "Sync the inbox's templates and check the campaign's values match the template's variables (count, format and length).",
  },
  {
    codes: [131048],
    policy: "pause_campaign",
    title: "Spam rate limit: the number was flagged, check its quality",
    advice: "Lower the pace, send only to people who expect your messages, and check the number's quality rating in WhatsApp Manager before resuming.",
  },
  {
    codes: [132001, 132015, 132016],
    policy: "pause_campaign",
    title: "Template missing in this language, paused or disabled",
    advice: "Sync the inbox's templates and check the template's status and language in WhatsApp Manager; use an approved template in the campaign's language.",
  },
  {
    codes: [0, 190, 3, 10],
    ranges: [[200, 299]],
    policy: "pause_campaign",
    title: "Access token expired or lacks permission: new credentials needed",
    advice: "Reconnect the inbox with a new access token that can send WhatsApp messages for this number, then resume the campaign.",
  },
  {
    codes: [131031, 368, 131042, 131045, 133010, 131064],
    policy: "pause_campaign",
    title: "WhatsApp account blocked, unpaid or not registered",
    advice: "Check the WhatsApp Business Account in WhatsApp Manager (account status, payment method, number registration), then resume the campaign.",
  },
];

const BY_CODE = new Map<number, ErrorPolicyRule>(ERROR_POLICY_TABLE.flatMap((rule) => rule.codes.map((code) => [code, rule] as const)));

function ruleFor(code: number): ErrorPolicyRule | undefined {
  return BY_CODE.get(code) ?? ERROR_POLICY_TABLE.find((rule) => rule.ranges?.some(([from, to]) => code >= from && code <= to));
}

/**
 * Decides what to do after Meta answered with an error, from `error.code` alone (never the HTTP
 * status). Codes Herald does not know fail only that recipient: retrying could spam, pausing
 * could stop a campaign over a one-off problem.
 *
 * `subcode` (`error_subcode`) is accepted so callers pass what Meta sent; no row of the table
 * depends on it today.
 *
 * @example
 * classifyMetaError(130429); // { policy: "retry_inbox_later", title: "Throughput limit…", retryAfterMs: 1000 }
 * classifyMetaError(131050); // { policy: "stop_marketing", title: "Recipient stopped marketing messages" }
 * classifyMetaError(999999); // { policy: "fail_recipient", title: "Unknown error (code 999999)" }
 */
export function classifyMetaError(code: number | undefined, subcode?: number): ErrorClassification {
  const rule = code === undefined || !Number.isFinite(code) ? undefined : ruleFor(code);
  if (!rule) return { policy: "fail_recipient", title: code === undefined ? "Unknown error (no code)" : `Unknown error (code ${code})` };
  return rule.retryAfterMs === undefined
    ? { policy: rule.policy, title: rule.title }
    : { policy: rule.policy, title: rule.title, retryAfterMs: rule.retryAfterMs };
}

/** The policies under which Herald sends the same message again by itself. */
const RETRIED: ReadonlySet<ErrorPolicy> = new Set(["retry_recipient_later", "retry_inbox_later"]);

/**
 * The codes of a temporary failure (ranges spelt out): those Herald retries by itself (a
 * temporary error at Meta, a throughput or per-recipient rate limit, maintenance). A recipient
 * that failed with one of them ran out of attempts; it was not refused for good, so sending
 * again later may well reach it. A failure without a code (a missing variable value) or with
 * any other code is permanent.
 *
 * @example TEMPORARY_FAILURE_CODES.includes(131000); // true: temporary error at Meta
 * @example TEMPORARY_FAILURE_CODES.includes(131026); // false: undeliverable to this recipient
 */
export const TEMPORARY_FAILURE_CODES: readonly number[] = ERROR_POLICY_TABLE.filter((rule) => RETRIED.has(rule.policy)).flatMap((rule) => [
  ...rule.codes,
  ...(rule.ranges ?? []).flatMap(([from, to]) => Array.from({ length: to - from + 1 }, (_, i) => from + i)),
]);

export type ErrorDescription = { policy: ErrorPolicy; meaning: string; advice: string };

/**
 * An error code explained for operators: what Herald does about it, what it means (the rule's
 * title) and what to do. Unknown codes and a missing code get a generic explanation.
 *
 * @example
 * describeMetaError(131026);
 * // { policy: "fail_recipient", meaning: "Message undeliverable to this recipient", advice: "Check the number is on WhatsApp…" }
 * describeMetaError(null); // { policy: "fail_recipient", meaning: "Failed without an error code", advice: "…" }
 */
export function describeMetaError(code: number | null | undefined): ErrorDescription {
  if (code === null || code === undefined || !Number.isFinite(code)) {
    return {
      policy: "fail_recipient",
      meaning: "Failed without an error code",
      advice: "See each failed recipient's reason: a contact may lack a value for a variable, or WhatsApp gave no code.",
    };
  }
  const rule = ruleFor(code);
  if (!rule) {
    return {
      policy: "fail_recipient",
      meaning: `Unknown error (code ${code})`,
      advice: "Herald does not know this code: see the failed recipients' error details, and send a test message to check the inbox and the content.",
    };
  }
  return { policy: rule.policy, meaning: rule.title, advice: rule.advice };
}

/** Wait suggested before retrying a request that certainly never left. */
const NETWORK_RETRY_MS = 5_000;

/**
 * The error for a request that got no answer. `sent` says whether the request may have reached
 * Meta: then it may have been delivered and must never be resent automatically (`unknown`).
 * Only a request that certainly never left (e.g. a DNS failure or refused connection detected
 * before any byte was written) is safe to retry; when in doubt pass `sent: true`.
 *
 * @example
 * networkFailure("timeout", true); // { policy: "unknown", title: "No answer from Meta (timeout)", message: "…" }
 * networkFailure("network", false, "connection refused"); // { policy: "retry_recipient_later", retryAfterMs: 5000, … }
 */
export function networkFailure(reason: "timeout" | "network", sent: boolean, detail?: string): ProviderError {
  const what = reason === "timeout" ? "the request timed out" : "the connection failed";
  const suffix = detail ? ` (${detail})` : "";
  if (sent) {
    return {
      policy: "unknown",
      title: reason === "timeout" ? "No answer from Meta (timeout)" : "No answer from Meta (network error)",
      message: `${capitalize(what)}${suffix}; the request may have reached Meta, so it is not resent automatically.`,
    };
  }
  return {
    policy: "retry_recipient_later",
    title: reason === "timeout" ? "Request not sent (timeout)" : "Request not sent (network error)",
    message: `${capitalize(what)} before the request was sent${suffix}; it is safe to retry.`,
    retryAfterMs: NETWORK_RETRY_MS,
  };
}

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

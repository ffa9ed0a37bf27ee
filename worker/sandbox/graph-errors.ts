import { randomToken } from "../lib/crypto";

/** What Meta says for each error code the sandbox produces: title, HTTP status, usual details. */
export const META_ERRORS: Record<number, { title: string; status: number; details?: string; subcode?: number }> = {
  0: { title: "AuthException", status: 401, details: "We were unable to authenticate the app user." },
  1: { title: "API Unknown", status: 400, details: "Invalid request or possible server error." },
  2: { title: "API Service", status: 503, details: "Temporary due to downtime or due to being overloaded." },
  4: { title: "API Too Many Calls", status: 400, details: "The app has reached its API call rate limit." },
  10: { title: "API Permission Denied", status: 403, details: "Permission is either not granted or has been removed." },
  100: { title: "Invalid parameter", status: 400 },
  190: { title: "Invalid OAuth access token - Cannot parse access token", status: 401 },
  368: { title: "Temporarily blocked for policies violations", status: 400 },
  2500: { title: "Unknown path components", status: 400 },
  80007: { title: "Rate limit issues", status: 400, details: "The WhatsApp Business Account has reached its rate limit." },
  130429: { title: "Rate limit hit", status: 400, details: "Cloud API message throughput has been reached." },
  130472: { title: "User's number is part of an experiment", status: 400 },
  131000: { title: "Something went wrong", status: 500, details: "Message failed to send due to an unknown error." },
  131008: { title: "Required parameter is missing", status: 400 },
  131009: { title: "Parameter value is not valid", status: 400 },
  131016: { title: "Service unavailable", status: 503, details: "A service is temporarily unavailable." },
  131026: { title: "Message undeliverable", status: 400, details: "Message Undeliverable." },
  131031: { title: "Business Account locked", status: 400 },
  131042: { title: "Business eligibility payment issue", status: 400 },
  131045: { title: "Incorrect certificate", status: 400 },
  131047: {
    title: "Re-engagement message",
    status: 400,
    details: "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
  },
  131048: {
    title: "Spam rate limit hit",
    status: 400,
    details: "Message failed to send because there are restrictions on how many messages can be sent from this phone number.",
  },
  131049: {
    title: "This message was not delivered to maintain healthy ecosystem engagement.",
    status: 400,
    details: "In order to maintain a healthy ecosystem engagement, the message failed to be delivered.",
  },
  131050: {
    title: "Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.",
    status: 400,
  },
  131051: { title: "Unsupported message type", status: 400 },
  131056: {
    title: "(Business Account, Consumer Account) pair rate limit hit",
    status: 400,
    details: "Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.",
  },
  131057: { title: "Account in maintenance mode", status: 400 },
  131064: { title: "Template classification limit", status: 400 },
  132000: { title: "Number of parameters does not match the expected number of params", status: 400 },
  132001: { title: "Template name does not exist in the translation", status: 400 },
  132005: { title: "Translated text too long", status: 400 },
  132012: { title: "Parameter format does not match format in the created template", status: 400 },
  132015: { title: "Template is Paused", status: 400 },
  132016: { title: "Template is disabled", status: 400 },
  132018: { title: "There was an issue with the parameters in your template.", status: 400 },
  133004: { title: "Server temporarily unavailable", status: 503 },
  133010: { title: "Phone number not registered", status: 400 },
};

/** A failed call as the sandbox answers it: Meta's status and error body. */
export type GraphFailure = { code: number; details?: string; subcode?: number; message?: string; status?: number };

export type GraphResponse = { status: number; body: unknown };

export type MetaErrorBody = {
  error: {
    message: string;
    type: string;
    code: number;
    error_subcode?: number;
    error_data?: { messaging_product: "whatsapp"; details: string };
    fbtrace_id: string;
  };
};

/** A trace id shaped like Meta's (`fbtrace_id`). */
export const fbtraceId = () => randomToken(16).slice(0, 23);

/**
 * Meta's error envelope for a code, e.g. 130429 → HTTP 400
 * `{error:{message:"(#130429) Rate limit hit", type:"OAuthException", code:130429, error_data:{…}, fbtrace_id}}`.
 */
export function metaError(failure: GraphFailure): GraphResponse {
  const known = META_ERRORS[failure.code];
  const title = known?.title ?? "Simulated failure";
  const details = failure.details ?? known?.details ?? title;
  const subcode = failure.subcode ?? known?.subcode;
  const message = failure.message ?? (failure.code === 190 ? title : `(#${failure.code}) ${title}`);
  const body: MetaErrorBody = {
    error: {
      message,
      type: "OAuthException",
      code: failure.code,
      ...(subcode === undefined ? {} : { error_subcode: subcode }),
      error_data: { messaging_product: "whatsapp", details },
      fbtrace_id: fbtraceId(),
    },
  };
  return { status: failure.status ?? known?.status ?? 400, body };
}

/** The `errors` entry of a failed status webhook for a code. */
export function webhookError(code: number) {
  const known = META_ERRORS[code];
  const title = known?.title ?? "Simulated failure";
  return {
    code,
    title,
    message: title,
    error_data: { details: known?.details ?? title },
    href: "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
  };
}

import type { MetaTemplate } from "./templates";

/**
 * What to do after a failed call, decided on Meta's `error.code` (never on the HTTP status):
 * - `retry_inbox_later`: the number or app is throttled (130429, 4, 80007): slow the whole inbox, retry.
 * - `retry_recipient_later`: this recipient cannot take it now (131056) or Meta had a transient
 *   failure (131000, 131016, 133004, 1, 2, 131057): retry the same message later, with backoff.
 * - `fail_recipient`: this message will never go to this recipient (131026, 131047, 131049, 130472,
 *   bad parameters 100/131008/131009/131051, template parameter mismatches 132000/132005/132012).
 * - `stop_marketing`: the user stopped marketing messages (131050): fail the recipient and record the
 *   contact's marketing stop (other messages still reach them).
 * - `pause_campaign`: nothing can be sent until a person acts (auth 0/3/10/190/200–299, template
 *   missing/paused/disabled 132001/132015/132016, spam 131048, account problems 131031/368/131042/131045/133010/131064).
 * - `unknown`: the request may have reached Meta but no answer came back (network error, timeout):
 *   never resend automatically.
 */
export type ErrorPolicy = "retry_inbox_later" | "retry_recipient_later" | "fail_recipient" | "stop_marketing" | "pause_campaign" | "unknown";

export type ProviderError = {
  policy: ErrorPolicy;
  /** Meta's `error.code`; absent for network errors and timeouts. */
  code?: number;
  subcode?: number;
  title: string;
  message: string;
  details?: string;
  httpStatus?: number;
  fbtraceId?: string;
  /** Suggested wait before a retry, for the retry policies. */
  retryAfterMs?: number;
};

export type Result<T> = { ok: true; value: T } | { ok: false; error: ProviderError };

/** Fields common to every outbound message. */
export type SendOptions = {
  /** E.164 with or without "+"; Meta takes digits. */
  to: string;
  /** Echoed back in status webhooks (≤ 512 chars): how Herald matches statuses to recipients. */
  bizOpaqueCallbackData?: string;
  /** wamid of the message this one replies to. */
  replyTo?: string;
};

export type TextMessage = SendOptions & { body: string; previewUrl?: boolean };

export type MediaParameter = { link: string; filename?: string } | { id: string; filename?: string };

/**
 * Parameters of a template send. Text values are keyed by variable name: "1", "2"… for positional
 * templates (sent in numeric order), the placeholder name for named ones (sent with
 * `parameter_name`).
 */
export type TemplateMessage = SendOptions & {
  name: string;
  language: string;
  parameterFormat: "positional" | "named";
  header?: { text: Record<string, string> } | { media: { kind: "image" | "video" | "document"; value: MediaParameter } };
  body?: Record<string, string>;
  /** Button parameters by button index: a URL suffix for URL buttons, a payload for quick replies. */
  buttons?: ({ index: number; subType: "url"; text: string } | { index: number; subType: "quick_reply"; payload: string })[];
};

export type SendAccepted = { wamid: string; waId?: string; messageStatus?: string };

export type TemplatePage = { templates: MetaTemplate[]; next?: string };

export type PhoneNumberInfo = {
  id: string;
  displayPhoneNumber?: string;
  verifiedName?: string;
  qualityRating?: string;
  /** Herald's tier name: "250", "2000", "10000", "100000" or "unlimited" (Meta's TIER_* mapped). */
  messagingLimitTier?: string;
  /** Meta's throughput level: STANDARD (80 msg/s) or HIGH (1,000 msg/s). */
  throughputLevel?: string;
};

/**
 * Everything Herald asks of a WhatsApp number. The Cloud API implementation serves both real
 * numbers and the built-in sandbox (which answers the same HTTP requests).
 */
export interface WhatsAppProvider {
  sendText(message: TextMessage): Promise<Result<SendAccepted>>;
  sendTemplate(message: TemplateMessage): Promise<Result<SendAccepted>>;
  /** One page of the WABA's templates; pass the previous page's `next` to continue. */
  listTemplates(next?: string): Promise<Result<TemplatePage>>;
  phoneNumberInfo(): Promise<Result<PhoneNumberInfo>>;
}

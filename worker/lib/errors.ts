import type { ContentfulStatusCode } from "hono/utils/http-status";

/** Every error the API answers with, and the HTTP status it maps to. */
export const ERROR_STATUS = {
  bad_request: 400,
  invalid_json: 400,
  validation_failed: 400,
  invalid_csv: 400,
  unauthorized: 401,
  forbidden: 403,
  csrf_rejected: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  opted_out: 409,
  already_set_up: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  upgrade_required: 426,
  too_many_requests: 429,
  not_configured: 500,
  internal: 500,
  provider_unavailable: 502,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof ERROR_STATUS;

export type ErrorBody = { error: { code: ErrorCode; message: string; details?: unknown } };

/**
 * An expected failure, rendered by `app.onError` as `{error:{code,message,details?}}`.
 * @example throw new ApiError("not_found", "contact 12 not found")
 */
export class ApiError extends Error {
  readonly status: ContentfulStatusCode;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "ApiError";
    this.status = ERROR_STATUS[code];
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.details === undefined ? {} : { details: this.details }) } };
  }
}

export const notFound = (what: string, id?: string | number) => new ApiError("not_found", id === undefined ? `${what} not found` : `${what} ${id} not found`);

import { t } from "./i18n";

/**
 * The one way the UI talks to the Worker: JSON in, JSON out, the session cookie sent along,
 * and the API's error shape `{error:{code,message,details?}}` turned into a thrown ApiError.
 */

export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    /** HTTP status; 0 when the server could not be reached at all. */
    readonly status: number,
    /** The API's error code (e.g. `unauthorized`, `validation_failed`), or `network_error` / `bad_response`. */
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

type ErrorBody = { error?: { code?: unknown; message?: unknown; details?: unknown } };

async function readJson(res: Response): Promise<unknown> {
  const text = await res.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export async function request<T>(method: Method, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (e) {
    if ((e as Error)?.name === "AbortError") throw e;
    throw new ApiError(0, "network_error", t("common.networkError"));
  }
  if (res.status === 204) return undefined as T;
  const data = await readJson(res);
  if (!res.ok) {
    const error = (data as ErrorBody | undefined)?.error;
    if (error && typeof error.code === "string" && typeof error.message === "string") {
      throw new ApiError(res.status, error.code, error.message, error.details);
    }
    throw new ApiError(res.status, "bad_response", t("common.badStatus", { status: res.status }));
  }
  if (data === undefined) throw new ApiError(res.status, "bad_response", t("common.unreadable"));
  return data as T;
}

export const api = {
  get: <T>(path: string, signal?: AbortSignal) => request<T>("GET", path, undefined, signal),
  post: <T>(path: string, body?: unknown) => request<T>("POST", path, body),
  patch: <T>(path: string, body: unknown) => request<T>("PATCH", path, body),
  delete: <T = void>(path: string) => request<T>("DELETE", path),
};

/** Per-field messages from a `validation_failed` error's details (`[{path, message}]`), keyed by path. */
export function fieldErrors(error: unknown): Record<string, string> {
  if (!(error instanceof ApiError) || !Array.isArray(error.details)) return {};
  const out: Record<string, string> = {};
  for (const issue of error.details as { path?: unknown; message?: unknown }[]) {
    if (typeof issue?.path === "string" && typeof issue.message === "string" && !(issue.path in out)) {
      out[issue.path] = issue.message;
    }
  }
  return out;
}

/** A message fit to show a person, whatever was thrown. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return t("common.genericError");
}

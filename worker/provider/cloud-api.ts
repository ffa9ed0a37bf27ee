import { classifyMetaError, networkFailure } from "../domain/error-policy";
import { buildTemplateMessage, buildTextMessage, type MessageBody } from "../domain/message-builder";
import type { PhoneNumberInfo, ProviderError, Result, SendAccepted, TemplateMessage, TemplatePage, TextMessage, WhatsAppProvider } from "../domain/provider";
import type { MetaTemplate } from "../domain/templates";

export type CloudApiOptions = {
  /** Graph API root without the version, e.g. "https://graph.facebook.com" or the sandbox's URL. */
  baseUrl: string;
  /** Graph API version, e.g. "v23.0". */
  version: string;
  phoneNumberId: string;
  wabaId: string;
  accessToken: string;
  /**
   * The token the inbox had before its latest change, while its grace period lasts: a request
   * Meta refuses because the access token is invalid (code 190) is made again once with it.
   */
  previousAccessToken?: string | null;
  fetch?: typeof fetch;
  /** Per request, including reading the answer; 15 s by default. */
  timeoutMs?: number;
};

const DEFAULT_TIMEOUT_MS = 15_000;
/** Meta's code for an access token that is invalid or expired: the request did nothing. */
const INVALID_TOKEN = 190;

// Meta's TIER_* names mapped to Herald's; TIER_50 numbers are still in the lowest (250) tier for Herald.
const TIERS: Record<string, string> = {
  TIER_50: "250",
  TIER_250: "250",
  TIER_1K: "2000",
  TIER_2K: "2000",
  TIER_10K: "10000",
  TIER_100K: "100000",
  TIER_UNLIMITED: "unlimited",
};

type Answer = { ok: true; status: number; json: unknown } | { ok: false; error: ProviderError };

/**
 * The WhatsApp Cloud API over HTTP, for real numbers and for the sandbox (which answers the same
 * requests). Errors are classified from Meta's `error.code`; a request that got no answer is
 * reported with policy `unknown` because it may have been delivered.
 *
 * @example
 * const provider = new CloudApiProvider({ baseUrl: "https://graph.facebook.com", version: "v23.0",
 *   phoneNumberId: "106540352242922", wabaId: "419561257915477", accessToken: token });
 * const sent = await provider.sendText({ to: "+5511987654321", body: "Hi!" });
 * if (sent.ok) console.log(sent.value.wamid); else console.log(sent.error.policy);
 */
export class CloudApiProvider implements WhatsAppProvider {
  readonly #base: string;
  readonly #origin: string;
  readonly #version: string;
  readonly #phoneNumberId: string;
  readonly #wabaId: string;
  readonly #accessToken: string;
  readonly #previousAccessToken: string | null;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;

  /** Throws a TypeError when `baseUrl` is not an http(s) URL. */
  constructor(options: CloudApiOptions) {
    const url = new URL(options.baseUrl);
    if (url.protocol !== "https:" && url.protocol !== "http:") throw new TypeError(`baseUrl must be http(s): ${options.baseUrl}`);
    this.#base = options.baseUrl.replace(/\/+$/, "");
    this.#origin = url.origin;
    this.#version = encodeURIComponent(options.version);
    this.#phoneNumberId = encodeURIComponent(options.phoneNumberId);
    this.#wabaId = encodeURIComponent(options.wabaId);
    this.#accessToken = options.accessToken;
    this.#previousAccessToken = options.previousAccessToken && options.previousAccessToken !== options.accessToken ? options.previousAccessToken : null;
    // Called unbound: workerd's fetch throws "Illegal invocation" when called as a method of another object.
    const f = options.fetch ?? globalThis.fetch;
    this.#fetch = (input, init) => f(input, init);
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /**
   * Sends a free-text message (only delivered inside the 24 h window).
   * @example const r = await provider.sendText({ to: "+5511987654321", body: "Hi!" });
   */
  sendText(message: TextMessage): Promise<Result<SendAccepted>> {
    return this.#send(buildTextMessage(message));
  }

  /**
   * Sends an approved template.
   * @example const r = await provider.sendTemplate({ to: "+5511987654321", name: "welcome", language: "pt_BR", parameterFormat: "positional", body: { "1": "Ana" } });
   */
  sendTemplate(message: TemplateMessage): Promise<Result<SendAccepted>> {
    return this.#send(buildTemplateMessage(message));
  }

  /**
   * One page of the WABA's templates. `next` must be a previous page's `next`, on the same origin
   * as `baseUrl`: anything else is refused so the access token never goes to another host.
   * @example
   * let page = await provider.listTemplates();
   * while (page.ok && page.value.next) page = await provider.listTemplates(page.value.next);
   */
  async listTemplates(next?: string): Promise<Result<TemplatePage>> {
    let url = `${this.#base}/${this.#version}/${this.#wabaId}/message_templates?limit=100`;
    if (next !== undefined) {
      let parsed: URL | undefined;
      try {
        parsed = new URL(next);
      } catch {
        parsed = undefined;
      }
      if (!parsed || parsed.origin !== this.#origin) {
        return invalid(`refused to follow a templates page on another host: ${parsed?.origin ?? JSON.stringify(next)}`);
      }
      url = parsed.href;
    }
    const answer = await this.#request("GET", url);
    if (!answer.ok) return answer;
    const json = answer.json as { data?: unknown; paging?: { next?: unknown } } | null;
    if (!json || typeof json !== "object" || !Array.isArray(json.data)) {
      return invalid("Meta's templates answer has no data array", answer.status);
    }
    const templates = json.data.filter(isTemplate).map((t) => (Array.isArray(t.components) ? t : { ...t, components: [] }));
    const nextUrl = json.paging?.next;
    return { ok: true, value: typeof nextUrl === "string" && nextUrl !== "" ? { templates, next: nextUrl } : { templates } };
  }

  /**
   * The number's name, quality rating, messaging limit tier (Herald's names) and throughput level.
   * @example const info = await provider.phoneNumberInfo(); // { ok: true, value: { id, messagingLimitTier: "2000", … } }
   */
  async phoneNumberInfo(): Promise<Result<PhoneNumberInfo>> {
    const fields = "display_phone_number,verified_name,quality_rating,messaging_limit_tier,throughput";
    const answer = await this.#request("GET", `${this.#base}/${this.#version}/${this.#phoneNumberId}?fields=${fields}`);
    if (!answer.ok) return answer;
    const json = answer.json as Record<string, unknown> | null;
    if (!json || typeof json !== "object") return invalid("Meta's phone number answer is not an object", answer.status);
    const info: PhoneNumberInfo = { id: typeof json.id === "string" ? json.id : decodeURIComponent(this.#phoneNumberId) };
    if (typeof json.display_phone_number === "string") info.displayPhoneNumber = json.display_phone_number;
    if (typeof json.verified_name === "string") info.verifiedName = json.verified_name;
    if (typeof json.quality_rating === "string") info.qualityRating = json.quality_rating;
    const tier = typeof json.messaging_limit_tier === "string" ? TIERS[json.messaging_limit_tier] : undefined;
    if (tier) info.messagingLimitTier = tier;
    const level = (json.throughput as { level?: unknown } | undefined)?.level;
    if (typeof level === "string") info.throughputLevel = level;
    return { ok: true, value: info };
  }

  async #send(body: MessageBody): Promise<Result<SendAccepted>> {
    const answer = await this.#request("POST", `${this.#base}/${this.#version}/${this.#phoneNumberId}/messages`, body);
    if (!answer.ok) return answer;
    const json = answer.json as { messages?: { id?: unknown; message_status?: unknown }[]; contacts?: { wa_id?: unknown }[] } | null;
    const message = Array.isArray(json?.messages) ? json.messages[0] : undefined;
    if (typeof message?.id !== "string" || message.id === "") {
      return {
        ok: false,
        error: {
          policy: "unknown",
          title: "Meta accepted the request without a message id",
          message: `HTTP ${answer.status} without messages[0].id; the message may have been sent, so it is not resent automatically.`,
          httpStatus: answer.status,
        },
      };
    }
    const accepted: SendAccepted = { wamid: message.id };
    const waId = Array.isArray(json?.contacts) ? json.contacts[0]?.wa_id : undefined;
    if (typeof waId === "string") accepted.waId = waId;
    if (typeof message.message_status === "string") accepted.messageStatus = message.message_status;
    return { ok: true, value: accepted };
  }

  /**
   * One request: a 2xx JSON answer, or the error classified. Refused for an invalid access token
   * (nothing was sent) while a previous token is in its grace period, it is made again with that one.
   */
  async #request(method: "GET" | "POST", url: string, body?: unknown): Promise<Answer> {
    const answer = await this.#exchange(this.#accessToken, method, url, body);
    if (answer.ok || answer.error.code !== INVALID_TOKEN || this.#previousAccessToken === null) return answer;
    return this.#exchange(this.#previousAccessToken, method, url, body);
  }

  /** One HTTP exchange with `token`. */
  async #exchange(token: string, method: "GET" | "POST", url: string, body?: unknown): Promise<Answer> {
    const signal = AbortSignal.timeout(this.#timeoutMs);
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    let response: Response;
    let text: string;
    try {
      const exchange = (async () => {
        // Redirects are not followed: the Authorization header must only go to baseUrl.
        const res = await this.#fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal, redirect: "manual" });
        return [res, await res.text()] as const;
      })();
      // Raced against the signal too, for fetch implementations that ignore it (the sandbox's loopback).
      const timedOut = new Promise<never>((_, reject) => signal.addEventListener("abort", () => reject(signal.reason), { once: true }));
      exchange.catch(() => {});
      [response, text] = await Promise.race([exchange, timedOut]);
    } catch (error) {
      // Once fetch was called the request may have reached Meta; nothing tells a refused connection apart reliably.
      return { ok: false, error: networkFailure(signal.aborted ? "timeout" : "network", true, errorText(error)) };
    }

    const json = parseJson(text);
    if (response.status >= 200 && response.status < 300) {
      if (json === undefined) {
        return {
          ok: false,
          error: {
            policy: method === "POST" ? "unknown" : "fail_recipient",
            title: "Meta answered with something that is not JSON",
            message: `HTTP ${response.status} with a body that is not JSON: ${snippet(text)}`,
            httpStatus: response.status,
          },
        };
      }
      return { ok: true, status: response.status, json };
    }
    return { ok: false, error: errorFromAnswer(method, response, json, text) };
  }
}

type MetaErrorEnvelope = {
  error: {
    message?: unknown;
    type?: unknown;
    code: number;
    error_subcode?: unknown;
    error_user_msg?: unknown;
    error_data?: { details?: unknown };
    fbtrace_id?: unknown;
  };
};

function isErrorEnvelope(json: unknown): json is MetaErrorEnvelope {
  const error = (json as { error?: { code?: unknown } } | undefined)?.error;
  return typeof error === "object" && error !== null && typeof error.code === "number";
}

function errorFromAnswer(method: "GET" | "POST", response: Response, json: unknown, text: string): ProviderError {
  if (!isErrorEnvelope(json)) {
    // Not Meta speaking (a proxy, a load balancer): only the status is known. A 5xx to a send
    // (e.g. a gateway's 502 or 504) may come after Meta accepted the message: never resent.
    const policy = response.status >= 500 ? (method === "POST" ? "unknown" : "retry_recipient_later") : "fail_recipient";
    const error: ProviderError = {
      policy,
      title: `HTTP ${response.status} without a Meta error`,
      message: `HTTP ${response.status} ${response.statusText}`.trim() + (text ? `: ${snippet(text)}` : ""),
      httpStatus: response.status,
    };
    if (policy === "retry_recipient_later") error.retryAfterMs = 5_000;
    return error;
  }
  const e = json.error;
  const subcode = typeof e.error_subcode === "number" ? e.error_subcode : undefined;
  const classified = classifyMetaError(e.code, subcode);
  const error: ProviderError = {
    policy: classified.policy,
    code: e.code,
    title: classified.title,
    message: typeof e.message === "string" ? e.message : classified.title,
    httpStatus: response.status,
  };
  if (subcode !== undefined) error.subcode = subcode;
  const details = typeof e.error_data?.details === "string" ? e.error_data.details : typeof e.error_user_msg === "string" ? e.error_user_msg : undefined;
  if (details !== undefined) error.details = details;
  if (typeof e.fbtrace_id === "string") error.fbtraceId = e.fbtrace_id;
  if (classified.retryAfterMs !== undefined) error.retryAfterMs = classified.retryAfterMs;
  return error;
}

function invalid(message: string, httpStatus?: number): { ok: false; error: ProviderError } {
  const error: ProviderError = { policy: "fail_recipient", title: "Unexpected answer from the Cloud API", message };
  if (httpStatus !== undefined) error.httpStatus = httpStatus;
  return { ok: false, error };
}

function isTemplate(value: unknown): value is MetaTemplate {
  const t = value as Partial<MetaTemplate> | null;
  return typeof t === "object" && t !== null && typeof t.name === "string" && typeof t.language === "string";
}

function parseJson(text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const snippet = (text: string) => (text.length > 200 ? `${text.slice(0, 200)}…` : text);
const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

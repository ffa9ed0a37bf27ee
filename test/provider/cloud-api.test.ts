import { describe, expect, it } from "vitest";
import { buildTemplateMessage, buildTextMessage } from "../../worker/domain/message-builder";
import type { TemplateMessage } from "../../worker/domain/provider";
import { CloudApiProvider } from "../../worker/provider/cloud-api";
import listTemplatesSample from "../fixtures/meta/meta-openapi_response-list-message-templates.json";
import sendSuccessSample from "../fixtures/meta/meta-openapi_response-send-message-200.json";

const BASE = "https://graph.example.test";
const TOKEN = "EAAG-secret-token";

type Recorded = { url: string; method: string; authorization: string | null; contentType: string | null; body: unknown };
type Reply = Response | ((request: Request) => Response | Promise<Response>);

/** A fetch that records each request and answers from `replies` in order (the last one repeats). */
function fakeFetch(...replies: Reply[]) {
  const requests: Recorded[] = [];
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const text = await request.text();
    requests.push({
      url: request.url,
      method: request.method,
      authorization: request.headers.get("authorization"),
      contentType: request.headers.get("content-type"),
      body: text ? JSON.parse(text) : undefined,
    });
    const reply = replies[Math.min(requests.length - 1, replies.length - 1)]!;
    return typeof reply === "function" ? reply(request) : reply.clone();
  }) as typeof globalThis.fetch;
  return { fetch, requests };
}

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

const metaError = (code: number, extra: Record<string, unknown> = {}) => ({
  error: {
    message: `(#${code}) Something went wrong`,
    type: "OAuthException",
    code,
    error_data: { messaging_product: "whatsapp", details: `details of ${code}` },
    fbtrace_id: "AbCdEf123",
    ...extra,
  },
});

function provider(fetch: typeof globalThis.fetch, extra: { timeoutMs?: number; baseUrl?: string; previousAccessToken?: string | null } = {}) {
  return new CloudApiProvider({
    baseUrl: BASE,
    version: "v23.0",
    phoneNumberId: "106540352242922",
    wabaId: "419561257915477",
    accessToken: TOKEN,
    fetch,
    ...extra,
  });
}

const TEMPLATE: TemplateMessage = {
  to: "+1 650 555 1234",
  name: "welcome_offer",
  language: "pt_BR",
  parameterFormat: "positional",
  header: { media: { kind: "image", value: { link: "https://cdn.example.test/a.png" } } },
  body: { "1": "Ana", "2": "15%" },
  buttons: [{ index: 0, subType: "quick_reply", payload: "STOP" }],
  bizOpaqueCallbackData: "r:42",
};

describe("CloudApiProvider sends", () => {
  it("posts a text message with the bearer token and the builder's body", async () => {
    const { fetch, requests } = fakeFetch(json(sendSuccessSample));
    const message = { to: "+1 650 555 1234", body: "Hello!", replyTo: "wamid.PREV" };
    const result = await provider(fetch).sendText(message);
    expect(result).toEqual({ ok: true, value: { wamid: "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJCOTY3NDc0NDFDRUI3NTA0Q0UA", waId: "16505551234" } });
    expect(requests).toEqual([
      {
        url: `${BASE}/v23.0/106540352242922/messages`,
        method: "POST",
        authorization: `Bearer ${TOKEN}`,
        contentType: "application/json",
        body: buildTextMessage(message),
      },
    ]);
  });

  it("posts a template message and reads message_status", async () => {
    const { fetch, requests } = fakeFetch(json({ ...sendSuccessSample, messages: [{ id: "wamid.T", message_status: "accepted" }] }));
    const result = await provider(fetch).sendTemplate(TEMPLATE);
    expect(result).toEqual({ ok: true, value: { wamid: "wamid.T", waId: "16505551234", messageStatus: "accepted" } });
    expect(requests[0]!.body).toEqual(buildTemplateMessage(TEMPLATE));
    expect(requests[0]!.url).toBe(`${BASE}/v23.0/106540352242922/messages`);
  });

  it("accepts a baseUrl with a path and a trailing slash", async () => {
    const { fetch, requests } = fakeFetch(json(sendSuccessSample));
    await provider(fetch, { baseUrl: "http://localhost/sandbox/graph/" }).sendText({ to: "1", body: "x" });
    expect(requests[0]!.url).toBe("http://localhost/sandbox/graph/v23.0/106540352242922/messages");
  });

  it.each([
    [130429, 400, "retry_inbox_later"],
    [80007, 400, "retry_inbox_later"],
    [131056, 400, "retry_recipient_later"],
    [131000, 500, "retry_recipient_later"],
    [131026, 400, "fail_recipient"],
    [131050, 400, "stop_marketing"],
    [190, 401, "pause_campaign"],
    [132001, 404, "pause_campaign"],
  ] as const)("classifies error code %i (HTTP %i) as %s", async (code, status, policy) => {
    const { fetch } = fakeFetch(json(metaError(code), status));
    const result = await provider(fetch).sendText({ to: "1", body: "x" });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatchObject({
      policy,
      code,
      message: `(#${code}) Something went wrong`,
      details: `details of ${code}`,
      httpStatus: status,
      fbtraceId: "AbCdEf123",
    });
  });

  it("decides by error code, not HTTP status: 130429 on HTTP 400 slows the inbox", async () => {
    const { fetch } = fakeFetch(json(metaError(130429), 400));
    const result = await provider(fetch).sendTemplate(TEMPLATE);
    expect(result).toMatchObject({ ok: false, error: { policy: "retry_inbox_later", code: 130429, httpStatus: 400, retryAfterMs: expect.any(Number) } });
  });

  it("keeps the subcode", async () => {
    const { fetch } = fakeFetch(json(metaError(190, { error_subcode: 463 }), 401));
    expect(await provider(fetch).sendText({ to: "1", body: "x" })).toMatchObject({ ok: false, error: { policy: "pause_campaign", code: 190, subcode: 463 } });
  });

  it.each([502, 503, 504])("a send answered %i without a Graph error (a gateway) is unknown: it may have been sent, so it is never resent", async (status) => {
    const { fetch } = fakeFetch(new Response("<html>Bad Gateway</html>", { status, statusText: "Bad Gateway" }));
    const result = await provider(fetch).sendText({ to: "1", body: "x" });
    expect(result).toMatchObject({ ok: false, error: { policy: "unknown", httpStatus: status, message: expect.stringContaining(String(status)) } });
  });

  it("a read answered 502 without a Graph error is retried later (reading twice is harmless)", async () => {
    const { fetch } = fakeFetch(new Response("<html>Bad Gateway</html>", { status: 502, statusText: "Bad Gateway" }));
    const result = await provider(fetch).listTemplates();
    expect(result).toMatchObject({ ok: false, error: { policy: "retry_recipient_later", httpStatus: 502 } });
  });

  it("fails the recipient on a non-JSON 4xx", async () => {
    const { fetch } = fakeFetch(new Response("nope", { status: 403 }));
    expect(await provider(fetch).sendText({ to: "1", body: "x" })).toMatchObject({ ok: false, error: { policy: "fail_recipient", httpStatus: 403 } });
  });

  it.each([
    ["without messages", { messaging_product: "whatsapp", contacts: [{ input: "1", wa_id: "1" }] }],
    ["with an empty messages list", { messages: [] }],
    ["with a message without id", { messages: [{}] }],
  ])("reports a 2xx %s as unknown (it may have been sent)", async (_, body) => {
    const { fetch } = fakeFetch(json(body));
    expect(await provider(fetch).sendText({ to: "1", body: "x" })).toMatchObject({ ok: false, error: { policy: "unknown", httpStatus: 200 } });
  });

  it("reports a 2xx that is not JSON as unknown", async () => {
    const { fetch } = fakeFetch(new Response("OK", { status: 200 }));
    expect(await provider(fetch).sendText({ to: "1", body: "x" })).toMatchObject({ ok: false, error: { policy: "unknown" } });
  });

  it("reports a fetch that throws as unknown", async () => {
    const fetch = (async () => {
      throw new TypeError("Network connection lost.");
    }) as typeof globalThis.fetch;
    const result = await provider(fetch).sendText({ to: "1", body: "x" });
    expect(result).toMatchObject({ ok: false, error: { policy: "unknown", message: expect.stringContaining("Network connection lost.") } });
  });

  it("gives up after timeoutMs and reports unknown", async () => {
    let signal: AbortSignal | undefined;
    const fetch = ((_input: RequestInfo | URL, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) => {
        signal = init?.signal ?? undefined;
        signal?.addEventListener("abort", () => reject(signal!.reason));
      })) as typeof globalThis.fetch;
    const started = Date.now();
    const result = await provider(fetch, { timeoutMs: 50 }).sendText({ to: "1", body: "x" });
    expect(result).toMatchObject({ ok: false, error: { policy: "unknown", title: expect.stringContaining("timeout") } });
    expect(signal?.aborted).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("does not follow redirects, so the token stays on baseUrl", async () => {
    let redirect: RequestInit["redirect"];
    const fetch = (async (_input: RequestInfo | URL, init?: RequestInit) => {
      redirect = init?.redirect;
      return json(sendSuccessSample);
    }) as typeof globalThis.fetch;
    await provider(fetch).sendText({ to: "1", body: "x" });
    expect(redirect).toBe("manual");
  });

  it("refuses a baseUrl that is not http(s)", () => {
    expect(() => provider(fakeFetch().fetch, { baseUrl: "ftp://graph.example.test" })).toThrow(TypeError);
    expect(() => provider(fakeFetch().fetch, { baseUrl: "graph.facebook.com" })).toThrow(TypeError);
  });
});

describe("CloudApiProvider.listTemplates", () => {
  const [first, second] = listTemplatesSample.data;

  it("follows paging.next over three pages", async () => {
    const page2 = `${BASE}/v23.0/419561257915477/message_templates?limit=100&after=MjQZD`;
    const page3 = `${BASE}/v23.0/419561257915477/message_templates?limit=100&after=NDgZD`;
    const { fetch, requests } = fakeFetch(
      json({ ...listTemplatesSample, data: [first], paging: { cursors: { after: "MjQZD" }, next: page2 } }),
      json({ ...listTemplatesSample, data: [second], paging: { cursors: { after: "NDgZD" }, next: page3 } }),
      json({ data: [{ ...first, name: "last_one", id: "3" }], paging: { cursors: { before: "x", after: "y" } } }),
    );
    const p = provider(fetch);
    const names: string[] = [];
    let next: string | undefined;
    let pages = 0;
    do {
      const page = await p.listTemplates(next);
      if (!page.ok) throw new Error(page.error.message);
      names.push(...page.value.templates.map((t) => t.name));
      next = page.value.next;
      pages++;
    } while (next);
    expect(pages).toBe(3);
    expect(names).toEqual(["hello_world", "2023_april_promo", "last_one"]);
    expect(requests.map((r) => [r.method, r.url, r.authorization])).toEqual([
      ["GET", `${BASE}/v23.0/419561257915477/message_templates?limit=100`, `Bearer ${TOKEN}`],
      ["GET", page2, `Bearer ${TOKEN}`],
      ["GET", page3, `Bearer ${TOKEN}`],
    ]);
  });

  it("returns the sample's templates as Meta lists them", async () => {
    const { fetch } = fakeFetch(json(listTemplatesSample));
    const result = await provider(fetch).listTemplates();
    expect(result).toEqual({ ok: true, value: { templates: listTemplatesSample.data } });
  });

  it.each([
    ["another host", "https://evil.example/v23.0/419561257915477/message_templates?after=x"],
    ["another scheme", "http://graph.example.test/v23.0/419561257915477/message_templates?after=x"],
    ["another port", "https://graph.example.test:8443/v23.0/x"],
    ["not a URL", "/v23.0/419561257915477/message_templates"],
  ])("refuses a next URL on %s without requesting it", async (_, next) => {
    const { fetch, requests } = fakeFetch(json(listTemplatesSample));
    const result = await provider(fetch).listTemplates(next);
    expect(result.ok).toBe(false);
    expect(requests).toEqual([]);
  });

  it("classifies an error answer by its code", async () => {
    const { fetch } = fakeFetch(json(metaError(190), 401));
    expect(await provider(fetch).listTemplates()).toMatchObject({ ok: false, error: { policy: "pause_campaign", code: 190 } });
  });

  it("refuses an answer without a data array", async () => {
    const { fetch } = fakeFetch(json({ templates: [] }));
    expect((await provider(fetch).listTemplates()).ok).toBe(false);
  });
});

describe("CloudApiProvider.phoneNumberInfo", () => {
  const answer = (tier: string | undefined) => ({
    id: "106540352242922",
    display_phone_number: "+1 555-078-3881",
    verified_name: "Jasper's Market",
    quality_rating: "GREEN",
    ...(tier ? { messaging_limit_tier: tier } : {}),
    throughput: { level: "STANDARD" },
  });

  it("asks for the fields Herald shows", async () => {
    const { fetch, requests } = fakeFetch(json(answer("TIER_1K")));
    const result = await provider(fetch).phoneNumberInfo();
    expect(result).toEqual({
      ok: true,
      value: {
        id: "106540352242922",
        displayPhoneNumber: "+1 555-078-3881",
        verifiedName: "Jasper's Market",
        qualityRating: "GREEN",
        messagingLimitTier: "2000",
        throughputLevel: "STANDARD",
      },
    });
    expect(requests).toEqual([
      {
        url: `${BASE}/v23.0/106540352242922?fields=display_phone_number,verified_name,quality_rating,messaging_limit_tier,throughput`,
        method: "GET",
        authorization: `Bearer ${TOKEN}`,
        contentType: null,
        body: undefined,
      },
    ]);
  });

  it.each([
    ["TIER_50", "250"],
    ["TIER_250", "250"],
    ["TIER_1K", "2000"],
    ["TIER_2K", "2000"],
    ["TIER_10K", "10000"],
    ["TIER_100K", "100000"],
    ["TIER_UNLIMITED", "unlimited"],
  ])("maps %s to %s", async (tier, herald) => {
    const { fetch } = fakeFetch(json(answer(tier)));
    expect(await provider(fetch).phoneNumberInfo()).toMatchObject({ ok: true, value: { messagingLimitTier: herald } });
  });

  it("leaves out a tier it does not know or Meta did not send", async () => {
    for (const tier of ["TIER_42", undefined]) {
      const { fetch } = fakeFetch(json(answer(tier)));
      const result = await provider(fetch).phoneNumberInfo();
      expect(result.ok && result.value).not.toHaveProperty("messagingLimitTier");
    }
  });
});

describe("CloudApiProvider timeouts", () => {
  it("times out even when fetch ignores the AbortSignal", async () => {
    const fetch = (() => new Promise<Response>(() => {})) as typeof globalThis.fetch;
    const result = await provider(fetch, { timeoutMs: 50 }).sendTemplate(TEMPLATE);
    expect(result).toMatchObject({ ok: false, error: { policy: "unknown" } });
  });

  it("times out while the answer's body is still arriving", async () => {
    const fetch = (async () => new Response(new ReadableStream({ start() {} }), { status: 200 })) as typeof globalThis.fetch;
    const result = await provider(fetch, { timeoutMs: 50 }).sendText({ to: "1", body: "x" });
    expect(result).toMatchObject({ ok: false, error: { policy: "unknown", title: expect.stringContaining("timeout") } });
  });

  describe("a rotated access token", () => {
    const OLD = "EAAG-old-token";
    /** Meta's answer: the new token is not valid yet (190), the old one still is. */
    const metaKnowsOnly = (token: string) => (request: Request) =>
      request.headers.get("authorization") === `Bearer ${token}` ? json(sendSuccessSample) : json(metaError(190), 401);

    it("a request refused for the new token is made once more with the previous one during its grace period", async () => {
      const { fetch, requests } = fakeFetch(metaKnowsOnly(OLD));
      const result = await provider(fetch, { previousAccessToken: OLD }).sendText({ to: "+5511987654321", body: "Hi" });
      expect(result.ok).toBe(true);
      expect(requests.map((r) => r.authorization)).toEqual([`Bearer ${TOKEN}`, `Bearer ${OLD}`]);
    });

    it("without a previous token, or for any other error, the refusal stands and nothing is repeated", async () => {
      const alone = fakeFetch(metaKnowsOnly(OLD));
      const refused = await provider(alone.fetch).sendText({ to: "+5511987654321", body: "Hi" });
      expect(refused).toMatchObject({ ok: false, error: { code: 190 } });
      expect(alone.requests).toHaveLength(1);
      const other = fakeFetch(json(metaError(131026), 400));
      const failed = await provider(other.fetch, { previousAccessToken: OLD }).sendText({ to: "+5511987654321", body: "Hi" });
      expect(failed).toMatchObject({ ok: false, error: { code: 131026 } });
      expect(other.requests).toHaveLength(1);
    });
  });
});

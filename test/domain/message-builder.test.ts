import { describe, expect, it } from "vitest";
import { buildTemplateMessage, buildTextMessage, summarizeMessage } from "../../worker/domain/message-builder";
import sendTemplateSample from "../fixtures/meta/meta-openapi_request-send-template-interactive.json";
import sendTextSample from "../fixtures/meta/meta-openapi_request-send-text.json";

/** Replaces every string and number leaf with its type, to compare shapes rather than values. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape(v)]));
  return typeof value;
}

describe("buildTextMessage", () => {
  it("has exactly the shape of Meta's send-text sample", () => {
    const body = buildTextMessage({ to: "+55 11 98765-4321", body: "text-message-content" });
    expect(body).toEqual({ ...sendTextSample, to: "5511987654321" });
    expect(shape(body)).toEqual(shape(sendTextSample));
  });

  it("passes preview_url through", () => {
    expect(buildTextMessage({ to: "1", body: "https://example.com", previewUrl: true }).text).toEqual({
      body: "https://example.com",
      preview_url: true,
    });
  });

  it("keeps only the digits of the recipient", () => {
    expect(buildTextMessage({ to: " +1 (650) 555-1234 ", body: "x" }).to).toBe("16505551234");
    expect(() => buildTextMessage({ to: "+", body: "x" })).toThrow(RangeError);
  });

  it("adds biz_opaque_callback_data and context when given", () => {
    const body = buildTextMessage({ to: "+1", body: "x", bizOpaqueCallbackData: "c=12;r=345", replyTo: "wamid.ABC" });
    expect(body.biz_opaque_callback_data).toBe("c=12;r=345");
    expect(body.context).toEqual({ message_id: "wamid.ABC" });
    const plain = buildTextMessage({ to: "+1", body: "x" });
    expect("biz_opaque_callback_data" in plain).toBe(false);
    expect("context" in plain).toBe(false);
  });

  it("refuses callback data over 512 characters and bodies over 4,096", () => {
    expect(buildTextMessage({ to: "1", body: "x", bizOpaqueCallbackData: "a".repeat(512) }).biz_opaque_callback_data).toHaveLength(512);
    expect(() => buildTextMessage({ to: "1", body: "x", bizOpaqueCallbackData: "a".repeat(513) })).toThrow(RangeError);
    expect(() => buildTextMessage({ to: "1", body: "a".repeat(4_097) })).toThrow(/4096/);
    expect(buildTextMessage({ to: "1", body: "a".repeat(4_096) }).text.body).toHaveLength(4_096);
  });
});

describe("buildTemplateMessage", () => {
  it("matches the structure of Meta's template sample (image header, body text, quick replies)", () => {
    const body = buildTemplateMessage({
      to: "+16505551234",
      name: "template-name",
      language: "language-and-locale-code",
      parameterFormat: "positional",
      header: { media: { kind: "image", value: { link: "http(s)://the-image-url" } } },
      body: { "1": "text-string" },
      buttons: [
        { index: 1, subType: "quick_reply", payload: "9rwnB8RbYmPF5t2Mn09x4h" },
        { index: 0, subType: "quick_reply", payload: "aGlzIHRoaXMgaXMgY29v" },
      ],
    });
    // Herald only produces text body parameters, so the sample's currency and date_time are dropped.
    const [header, sampleBody, ...buttons] = sendTemplateSample.template.components;
    const expected = {
      ...sendTemplateSample,
      to: "16505551234",
      template: { ...sendTemplateSample.template, components: [header, { ...sampleBody, parameters: sampleBody!.parameters.slice(0, 1) }, ...buttons] },
    };
    expect(body).toEqual(expected);
  });

  it("builds URL buttons with a text parameter, sorted by index", () => {
    const body = buildTemplateMessage({
      to: "1",
      name: "order_update",
      language: "en_US",
      parameterFormat: "positional",
      buttons: [
        { index: 2, subType: "quick_reply", payload: "STOP" },
        { index: 0, subType: "url", text: "order/123" },
      ],
    });
    expect(body.template.components).toEqual([
      { type: "button", sub_type: "url", index: "0", parameters: [{ type: "text", text: "order/123" }] },
      { type: "button", sub_type: "quick_reply", index: "2", parameters: [{ type: "payload", payload: "STOP" }] },
    ]);
  });

  it("sends positional parameters in numeric order ('10' after '2')", () => {
    const values = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [String(11 - i), `v${11 - i}`]));
    const body = buildTemplateMessage({ to: "1", name: "t", language: "en", parameterFormat: "positional", body: values });
    expect(body.template.components![0]).toEqual({
      type: "body",
      parameters: Array.from({ length: 11 }, (_, i) => ({ type: "text", text: `v${i + 1}` })),
    });
  });

  it("gives named parameters their parameter_name, in the order given", () => {
    const body = buildTemplateMessage({
      to: "1",
      name: "welcome_offer",
      language: "pt_BR",
      parameterFormat: "named",
      header: { text: { store: "Loja Centro" } },
      body: { first_name: "Ana", discount: "15%" },
    });
    expect(body.template.components).toEqual([
      { type: "header", parameters: [{ type: "text", parameter_name: "store", text: "Loja Centro" }] },
      {
        type: "body",
        parameters: [
          { type: "text", parameter_name: "first_name", text: "Ana" },
          { type: "text", parameter_name: "discount", text: "15%" },
        ],
      },
    ]);
  });

  it("builds text, video and document headers", () => {
    const base = { to: "1", name: "t", language: "en", parameterFormat: "positional" } as const;
    expect(buildTemplateMessage({ ...base, header: { text: { "1": "Fall Sale" } } }).template.components).toEqual([
      { type: "header", parameters: [{ type: "text", text: "Fall Sale" }] },
    ]);
    expect(buildTemplateMessage({ ...base, header: { media: { kind: "video", value: { id: "4490709327384033" } } } }).template.components).toEqual([
      { type: "header", parameters: [{ type: "video", video: { id: "4490709327384033" } }] },
    ]);
    expect(
      buildTemplateMessage({ ...base, header: { media: { kind: "document", value: { link: "https://x.test/a.pdf", filename: "Invoice.pdf" } } } }).template
        .components,
    ).toEqual([{ type: "header", parameters: [{ type: "document", document: { link: "https://x.test/a.pdf", filename: "Invoice.pdf" } }] }]);
    // Meta's image object has no filename.
    expect(
      buildTemplateMessage({ ...base, header: { media: { kind: "image", value: { link: "https://x.test/a.png", filename: "a.png" } } } }).template.components,
    ).toEqual([{ type: "header", parameters: [{ type: "image", image: { link: "https://x.test/a.png" } }] }]);
  });

  it("leaves out empty components, and the components list when nothing is left", () => {
    const body = buildTemplateMessage({
      to: "+1",
      name: "hello_world",
      language: "en_US",
      parameterFormat: "positional",
      header: { text: {} },
      body: {},
      buttons: [],
    });
    expect(body).toEqual({
      messaging_product: "whatsapp",
      recipient_type: "individual",
      to: "1",
      type: "template",
      template: { name: "hello_world", language: { code: "en_US" } },
    });
  });

  it("adds biz_opaque_callback_data and context when given", () => {
    const body = buildTemplateMessage({
      to: "+1",
      name: "t",
      language: "en",
      parameterFormat: "positional",
      bizOpaqueCallbackData: "campaign:7",
      replyTo: "wamid.XYZ",
    });
    expect(body.biz_opaque_callback_data).toBe("campaign:7");
    expect(body.context).toEqual({ message_id: "wamid.XYZ" });
    expect(() => buildTemplateMessage({ to: "1", name: "t", language: "en", parameterFormat: "positional", bizOpaqueCallbackData: "x".repeat(513) })).toThrow(
      RangeError,
    );
  });

  it("refuses text parameters over 1,024 characters, naming the variable", () => {
    const base = { to: "1", name: "t", language: "en" } as const;
    const long = "a".repeat(1_025);
    expect(buildTemplateMessage({ ...base, parameterFormat: "positional", body: { "1": "a".repeat(1_024) } }).template.components).toHaveLength(1);
    // Counted in characters, not UTF-16 units: 1,024 emoji fit.
    expect(() => buildTemplateMessage({ ...base, parameterFormat: "positional", body: { "1": "😀".repeat(1_024) } })).not.toThrow();
    expect(() => buildTemplateMessage({ ...base, parameterFormat: "positional", body: { "1": "ok", "2": long } })).toThrow(/body \{\{2\}\}.*1,024/);
    expect(() => buildTemplateMessage({ ...base, parameterFormat: "named", body: { first_name: long } })).toThrow(/first_name/);
    expect(() => buildTemplateMessage({ ...base, parameterFormat: "positional", header: { text: { "1": long } } })).toThrow(/header \{\{1\}\}/);
    expect(() => buildTemplateMessage({ ...base, parameterFormat: "positional", buttons: [{ index: 0, subType: "url", text: long }] })).toThrow(/button 0/);
    expect(() => buildTemplateMessage({ ...base, parameterFormat: "positional", body: { "1": long } })).toThrow(RangeError);
  });

  it("refuses non-numeric positional names and button indexes outside 0–9", () => {
    const base = { to: "1", name: "t", language: "en", parameterFormat: "positional" } as const;
    expect(() => buildTemplateMessage({ ...base, body: { first_name: "Ana" } })).toThrow(RangeError);
    expect(() => buildTemplateMessage({ ...base, buttons: [{ index: 10, subType: "quick_reply", payload: "x" }] })).toThrow(RangeError);
    expect(() => buildTemplateMessage({ ...base, buttons: [{ index: -1, subType: "quick_reply", payload: "x" }] })).toThrow(RangeError);
  });
});

describe("summarizeMessage", () => {
  it("names a template and its language", () => {
    const body = buildTemplateMessage({ to: "1", name: "welcome_offer", language: "pt_BR", parameterFormat: "positional", body: { "1": "Ana" } });
    expect(summarizeMessage(body)).toBe("template welcome_offer (pt_BR)");
  });

  it("shows a short text whole, on one line", () => {
    expect(summarizeMessage(buildTextMessage({ to: "1", body: "Hello\n\nthere  friend" }))).toBe("text: Hello there friend");
  });

  it("cuts a long text at 60 characters", () => {
    const text = "0123456789".repeat(10);
    expect(summarizeMessage(buildTextMessage({ to: "1", body: text }))).toBe(`text: ${text.slice(0, 60)}…`);
    expect(summarizeMessage(buildTextMessage({ to: "1", body: "😀".repeat(61) }))).toBe(`text: ${"😀".repeat(60)}…`);
  });
});

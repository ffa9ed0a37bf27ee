import { describe, expect, it } from "vitest";
import { freshPhone, metaErrorOf, sandboxInbox, send, setScenario, templateMessage, text } from "./helpers";

const WAMID = /^wamid\.[A-Za-z0-9+/]+=*$/;

describe("sandbox sends: happy path", () => {
  it("accepts a text message with Meta's success shape", async () => {
    const fx = await sandboxInbox({ webhooks: true });
    const to = `+${freshPhone()}`;
    const { status, json } = await send(fx, text(to));
    expect(status).toBe(200);
    expect(json).toEqual({ messaging_product: "whatsapp", contacts: [{ input: to, wa_id: to.slice(1) }], messages: [{ id: expect.stringMatching(WAMID) }] });
  });

  it("gives every message a different wamid and accepts numbers without +", async () => {
    const fx = await sandboxInbox();
    const a = await send(fx, text(freshPhone()));
    const b = await send(fx, text(freshPhone()));
    expect(a.json.messages[0].id).not.toBe(b.json.messages[0].id);
    expect(a.json.contacts[0].input).toBe(a.json.contacts[0].wa_id);
  });

  it("accepts each sendable demo template with its parameters, with message_status accepted", async () => {
    const fx = await sandboxInbox();
    const sends = [
      templateMessage(freshPhone(), "hello_world", "en_US"),
      templateMessage(freshPhone(), "welcome_offer", "pt_BR", [
        { type: "header", parameters: [{ type: "text", text: "Maria" }] },
        {
          type: "body",
          parameters: [
            { type: "text", text: "Maria" },
            { type: "text", text: "BEMVINDO15" },
          ],
        },
        { type: "button", sub_type: "quick_reply", index: "0", parameters: [{ type: "payload", payload: "quero" }] },
        { type: "button", sub_type: "quick_reply", index: "1", parameters: [{ type: "payload", payload: "parar" }] },
      ]),
      templateMessage(freshPhone(), "order_update", "en_US", [
        {
          type: "body",
          parameters: [
            { type: "text", parameter_name: "order_id", text: "A-1001" },
            { type: "text", parameter_name: "first_name", text: "Jessica" },
          ],
        },
        { type: "button", sub_type: "url", index: "0", parameters: [{ type: "text", text: "A-1001" }] },
      ]),
      templateMessage(freshPhone(), "new_collection", "pt_BR", [
        { type: "header", parameters: [{ type: "image", image: { link: "https://example.com/colecao.jpg" } }] },
        { type: "body", parameters: [{ type: "text", text: "Ana" }] },
      ]),
      templateMessage(freshPhone(), "appointment_reminder", "en_US", [
        {
          type: "body",
          parameters: [
            { type: "text", text: "Alex" },
            { type: "date_time", date_time: { fallback_value: "June 3" } },
            { type: "text", text: "10:30" },
          ],
        },
      ]),
    ];
    for (const body of sends) {
      const { status, json } = await send(fx, body);
      expect(status, JSON.stringify(json)).toBe(200);
      expect(json.messages[0]).toEqual({ id: expect.stringMatching(WAMID), message_status: "accepted" });
    }
  });

  it("accepts biz_opaque_callback_data up to 512 characters and a context.message_id", async () => {
    const fx = await sandboxInbox();
    const { status } = await send(fx, text(freshPhone(), "Oi", { biz_opaque_callback_data: "x".repeat(512), context: { message_id: "wamid.abc" } }));
    expect(status).toBe(200);
  });

  it("answers mark-as-read requests with success", async () => {
    const fx = await sandboxInbox();
    const { status, json } = await send(fx, {
      messaging_product: "whatsapp",
      status: "read",
      message_id: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
    });
    expect(status).toBe(200);
    expect(json).toEqual({ success: true });
  });
});

describe("sandbox sends: authentication", () => {
  it("refuses a wrong or missing token with 190 and HTTP 401", async () => {
    const fx = await sandboxInbox();
    for (const token of ["not-the-token", null]) {
      const { status, json } = await send(fx, text(freshPhone()), token);
      expect(status).toBe(401);
      expect(metaErrorOf(json).code).toBe(190);
    }
  });

  it("refuses another sandbox inbox's token", async () => {
    const fx = await sandboxInbox();
    const other = await sandboxInbox();
    const { status, json } = await send({ phoneNumberId: fx.phoneNumberId, token: other.token }, text(freshPhone()));
    expect(status).toBe(401);
    expect(metaErrorOf(json).code).toBe(190);
  });

  it("answers 100 subcode 33 for a phone number id no sandbox inbox has", async () => {
    const fx = await sandboxInbox();
    const { status, json } = await send({ phoneNumberId: "999000111222333", token: fx.token }, text(freshPhone()));
    expect(status).toBe(400);
    expect(metaErrorOf(json)).toMatchObject({ code: 100, error_subcode: 33 });
  });

  it("answers 190 with subcode 463 when the scenario says the token expired", async () => {
    const fx = await sandboxInbox({ scenario: { token_expired: true } });
    const { status, json } = await send(fx, text(freshPhone()));
    expect(status).toBe(401);
    expect(metaErrorOf(json)).toMatchObject({ code: 190, error_subcode: 463, message: expect.stringContaining("Session has expired") });
    await setScenario(fx, { token_expired: false });
    expect((await send(fx, text(freshPhone()))).status).toBe(200);
  });
});

describe("sandbox sends: body validation", () => {
  const cases: [string, (to: string) => unknown, string][] = [
    ["missing messaging_product", (to) => ({ to, type: "text", text: { body: "x" } }), "messaging_product"],
    ["wrong messaging_product", (to) => ({ ...text(to), messaging_product: "sms" }), "messaging_product"],
    ["bad recipient_type", (to) => ({ ...text(to), recipient_type: "group" }), "recipient_type"],
    ["missing to", () => ({ messaging_product: "whatsapp", type: "text", text: { body: "x" } }), "to"],
    ["letters in to", () => text("55 11 abc"), "to"],
    ["empty text body", (to) => text(to, ""), "text.body"],
    ["text body over 4096", (to) => text(to, "a".repeat(4097)), "text.body"],
    ["text type without text", (to) => ({ messaging_product: "whatsapp", to, type: "text" }), "text"],
    ["template without name", (to) => ({ ...templateMessage(to, "x", "en_US"), template: { language: { code: "en_US" } } }), "template.name"],
    [
      "template without language code",
      (to) => ({ ...templateMessage(to, "hello_world", "en_US"), template: { name: "hello_world", language: {} } }),
      "template.language.code",
    ],
    ["component without type", (to) => templateMessage(to, "hello_world", "en_US", [{ parameters: [] }]), "template.components[0].type"],
    [
      "button index out of range",
      (to) => templateMessage(to, "welcome_offer", "pt_BR", [{ type: "button", sub_type: "quick_reply", index: "10" }]),
      "template.components[0].index",
    ],
    [
      "numeric button index",
      (to) => templateMessage(to, "welcome_offer", "pt_BR", [{ type: "button", sub_type: "quick_reply", index: 0 }]),
      "template.components[0].index",
    ],
    ["button without sub_type", (to) => templateMessage(to, "welcome_offer", "pt_BR", [{ type: "button", index: "0" }]), "template.components[0].sub_type"],
    ["biz_opaque_callback_data over 512", (to) => text(to, "x", { biz_opaque_callback_data: "x".repeat(513) }), "biz_opaque_callback_data"],
    ["context without message_id", (to) => text(to, "x", { context: {} }), "context.message_id"],
    ["unknown top-level key", (to) => text(to, "x", { priority: "high" }), "priority"],
  ];

  for (const [name, body, field] of cases) {
    it(`100 Invalid parameter: ${name}`, async () => {
      const fx = await sandboxInbox();
      const { status, json } = await send(fx, body(freshPhone()));
      expect(status).toBe(400);
      const error = metaErrorOf(json);
      expect(error.code).toBe(100);
      expect(error.message).toBe("(#100) Invalid parameter");
      expect(error.error_data).toEqual({ messaging_product: "whatsapp", details: expect.stringContaining(field) });
    });
  }

  it("100 for a body that is not JSON", async () => {
    const fx = await sandboxInbox();
    const { status, json } = await send(fx, "{not json");
    expect(status).toBe(400);
    expect(metaErrorOf(json).code).toBe(100);
  });

  it("131051 for message types the sandbox does not simulate", async () => {
    const fx = await sandboxInbox();
    for (const type of ["image", "interactive", "hologram"]) {
      const { status, json } = await send(fx, { messaging_product: "whatsapp", to: freshPhone(), type, [type]: {} });
      expect(status).toBe(400);
      expect(metaErrorOf(json).code).toBe(131051);
    }
  });
});

describe("sandbox sends: recipients not on WhatsApp", () => {
  it("refuses numbers ending with the undeliverable suffix with 131026", async () => {
    const fx = await sandboxInbox();
    const { status, json } = await send(fx, text("+5511999990000"));
    expect(status).toBe(400);
    expect(metaErrorOf(json)).toMatchObject({ code: 131026, message: "(#131026) Message undeliverable" });
  });

  it("uses the scenario's suffix and list", async () => {
    const fx = await sandboxInbox({ scenario: { undeliverable_suffix: "77", undeliverable: ["5511988887766"] } });
    expect((await send(fx, text("5511999990000"))).status).toBe(200);
    expect(metaErrorOf((await send(fx, text("5511999991177"))).json).code).toBe(131026);
    expect(metaErrorOf((await send(fx, text("+5511988887766"))).json).code).toBe(131026);
  });
});

describe("sandbox sends: templates", () => {
  const refusals: [string, string, string, number][] = [
    ["unknown name", "no_such_template", "en_US", 132001],
    ["known name in another language", "welcome_offer", "en_US", 132001],
    ["pending", "summer_sale_draft", "en_US", 132001],
    ["rejected", "crypto_promo", "en_US", 132001],
    ["paused", "flash_sale", "pt_BR", 132015],
    ["disabled", "old_newsletter", "en_US", 132016],
  ];
  for (const [what, name, language, code] of refusals) {
    it(`${code} for a template that is ${what}`, async () => {
      const fx = await sandboxInbox();
      const { status, json } = await send(fx, templateMessage(freshPhone(), name, language, [{ type: "body", parameters: [{ type: "text", text: "Ana" }] }]));
      expect(status).toBe(400);
      expect(metaErrorOf(json).code).toBe(code);
    });
  }

  it("applies the scenario's template status overrides", async () => {
    const fx = await sandboxInbox({ scenario: { template_statuses: { hello_world: "PAUSED" } } });
    expect(metaErrorOf((await send(fx, templateMessage(freshPhone(), "hello_world", "en_US"))).json).code).toBe(132015);
  });

  it("132000 when a positional template gets the wrong number of parameters", async () => {
    const fx = await sandboxInbox();
    const tooFew = await send(
      fx,
      templateMessage(freshPhone(), "appointment_reminder", "en_US", [{ type: "body", parameters: [{ type: "text", text: "Alex" }] }]),
    );
    expect(metaErrorOf(tooFew.json)).toMatchObject({
      code: 132000,
      error_data: { details: "body: number of localizable_params (1) does not match the expected number of params (3)" },
    });
    const none = await send(fx, templateMessage(freshPhone(), "welcome_offer", "pt_BR"));
    expect(metaErrorOf(none.json).code).toBe(132000);
    const extra = await send(fx, templateMessage(freshPhone(), "hello_world", "en_US", [{ type: "body", parameters: [{ type: "text", text: "surplus" }] }]));
    expect(metaErrorOf(extra.json).code).toBe(132000);
    const missingUrlSuffix = await send(
      fx,
      templateMessage(freshPhone(), "order_update", "en_US", [
        {
          type: "body",
          parameters: [
            { type: "text", parameter_name: "first_name", text: "J" },
            { type: "text", parameter_name: "order_id", text: "1" },
          ],
        },
      ]),
    );
    expect(metaErrorOf(missingUrlSuffix.json)).toMatchObject({ code: 132000, error_data: { details: expect.stringContaining("button 0") } });
  });

  it("132000 when a named template gets positional or wrongly named parameters", async () => {
    const fx = await sandboxInbox();
    const button = { type: "button", sub_type: "url", index: "0", parameters: [{ type: "text", text: "A-1" }] };
    const positional = await send(
      fx,
      templateMessage(freshPhone(), "order_update", "en_US", [
        {
          type: "body",
          parameters: [
            { type: "text", text: "J" },
            { type: "text", text: "1" },
          ],
        },
        button,
      ]),
    );
    expect(metaErrorOf(positional.json)).toMatchObject({ code: 132000, error_data: { details: expect.stringContaining("parameter_name") } });
    const wrongName = await send(
      fx,
      templateMessage(freshPhone(), "order_update", "en_US", [
        {
          type: "body",
          parameters: [
            { type: "text", parameter_name: "name", text: "J" },
            { type: "text", parameter_name: "order_id", text: "1" },
          ],
        },
        button,
      ]),
    );
    expect(metaErrorOf(wrongName.json)).toMatchObject({ code: 132000, error_data: { details: expect.stringContaining('"name"') } });
  });

  it("132005 for a text parameter over 1,024 characters", async () => {
    const fx = await sandboxInbox();
    const { json } = await send(
      fx,
      templateMessage(freshPhone(), "new_collection", "pt_BR", [
        { type: "header", parameters: [{ type: "image", image: { link: "https://example.com/a.jpg" } }] },
        { type: "body", parameters: [{ type: "text", text: "a".repeat(1025) }] },
      ]),
    );
    expect(metaErrorOf(json).code).toBe(132005);
  });

  it("132012 for a header of the wrong media type, 132018 for newlines in a parameter", async () => {
    const fx = await sandboxInbox();
    const video = await send(
      fx,
      templateMessage(freshPhone(), "new_collection", "pt_BR", [
        { type: "header", parameters: [{ type: "video", video: { link: "https://example.com/a.mp4" } }] },
        { type: "body", parameters: [{ type: "text", text: "Ana" }] },
      ]),
    );
    expect(metaErrorOf(video.json).code).toBe(132012);
    const newline = await send(
      fx,
      templateMessage(freshPhone(), "new_collection", "pt_BR", [
        { type: "header", parameters: [{ type: "image", image: { id: "1234" } }] },
        { type: "body", parameters: [{ type: "text", text: "Ana\nSouza" }] },
      ]),
    );
    expect(metaErrorOf(newline.json).code).toBe(132018);
  });

  it("131009 for a button index the template does not have", async () => {
    const fx = await sandboxInbox();
    const { json } = await send(
      fx,
      templateMessage(freshPhone(), "hello_world", "en_US", [
        { type: "button", sub_type: "quick_reply", index: "3", parameters: [{ type: "payload", payload: "x" }] },
      ]),
    );
    expect(metaErrorOf(json).code).toBe(131009);
  });
});

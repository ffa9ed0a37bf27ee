import { describe, expect, it } from "vitest";
import { parseWebhookEnvelope, type WebhookEvent } from "../../worker/domain/webhook-envelope";
import interactiveButtonReply from "../fixtures/meta/meta-openapi_inbound-interactive-button-reply.json";
import systemUserChangedNumber from "../fixtures/meta/meta-openapi_inbound-system-user-changed-number.json";
import templateQuickReply from "../fixtures/meta/meta-openapi_inbound-template-quick-reply-button.json";
import inboundText from "../fixtures/meta/meta-openapi_inbound-text.json";
import textWithContext from "../fixtures/meta/meta-openapi_inbound-text-with-context.json";
import unsupportedWithErrors from "../fixtures/meta/meta-openapi_inbound-unsupported-with-errors.json";

const WABA = "419561257915477";
const PHONE_ID = "106540352242922";
const METADATA = { display_phone_number: "15550783881", phone_number_id: PHONE_ID };

function events(json: unknown): WebhookEvent[] {
  const result = parseWebhookEnvelope(json);
  if (!result.ok) throw new Error(`expected the envelope to parse, got: ${result.reason}`);
  return result.events;
}

const envelope = (...entry: unknown[]) => ({ object: "whatsapp_business_account", entry });
const messagesChange = (value: Record<string, unknown>) => ({ field: "messages", value: { messaging_product: "whatsapp", metadata: METADATA, ...value } });

describe("parseWebhookEnvelope: Meta's inbound samples", () => {
  it("reads a text message with the sender's profile name", () => {
    expect(parseWebhookEnvelope(inboundText)).toEqual({
      ok: true,
      ignored: 0,
      events: [
        {
          kind: "inbound",
          wabaId: WABA,
          phoneNumberId: PHONE_ID,
          wamid: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
          from: "16505551234",
          timestamp: 1749416383,
          type: "text",
          text: "Does it come in another color?",
          profileName: "Sheena Nelson",
          errors: [],
        },
      ],
    });
  });

  it("links a reply to the message it quotes", () => {
    expect(events(textWithContext)).toEqual([
      {
        kind: "inbound",
        wabaId: "102290129340398",
        phoneNumberId: PHONE_ID,
        wamid: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTA2NTUwRkNEMDdFQjJCRUU0NQA=",
        from: "16505551234",
        timestamp: 1750016800,
        type: "text",
        text: "Is this still available?",
        contextId: "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGA9wcm9kdWN0X2lucXVpcnkA",
        profileName: "Sheena Nelson",
        errors: [],
      },
    ]);
  });

  it("reads a template quick-reply button as payload and text", () => {
    expect(events(templateQuickReply)).toEqual([
      expect.objectContaining({
        kind: "inbound",
        type: "button",
        payload: "Unsubscribe",
        text: "Unsubscribe",
        contextId: "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJFNjk2OTMwNEZCQjhGMzUyQUYA",
        timestamp: 1750091045,
      }),
    ]);
  });

  it("reads an interactive button reply as payload (id) and text (title)", () => {
    expect(events(interactiveButtonReply)).toEqual([
      expect.objectContaining({
        kind: "inbound",
        type: "interactive",
        payload: "cancel-button",
        text: "Cancel",
        contextId: "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MEM2RUJFNkI0RENGQTVDRjUA",
      }),
    ]);
  });

  it("keeps a system message (user changed number) as an inbound event of type system", () => {
    const [event, ...rest] = events(systemUserChangedNumber);
    expect(rest).toEqual([]);
    expect(event).toEqual({
      kind: "inbound",
      wabaId: "102290129340398",
      phoneNumberId: PHONE_ID,
      wamid: "wamid.HBgLMTk4MzU1NTE5NzQVAgASGAoxMTgyMDg2MjY3AA==",
      from: "16505551234",
      timestamp: 1750269342,
      type: "system",
      errors: [],
    });
  });

  it("keeps an unsupported message with its errors", () => {
    expect(events(unsupportedWithErrors)).toEqual([
      expect.objectContaining({
        type: "unsupported",
        from: "16505551234",
        errors: [{ code: 131051, title: "Message type unknown", message: "Message type unknown", details: "Message type is currently not supported." }],
      }),
    ]);
  });

  it("reads a list reply like a button reply", () => {
    const json = envelope({
      id: WABA,
      changes: [
        messagesChange({
          messages: [
            {
              from: "1555",
              id: "wamid.L",
              timestamp: "1750000000",
              type: "interactive",
              interactive: { type: "list_reply", list_reply: { id: "row-2", title: "Tuesday", description: "x" } },
            },
          ],
        }),
      ],
    });
    expect(events(json)).toEqual([expect.objectContaining({ payload: "row-2", text: "Tuesday" })]);
  });
});

describe("parseWebhookEnvelope: statuses", () => {
  const conversation = { id: "c1", expiration_timestamp: "1750086400", origin: { type: "marketing" } };
  const pricing = { billable: true, pricing_model: "PMP", category: "marketing" };
  const statuses = envelope({
    id: WABA,
    changes: [
      messagesChange({
        statuses: [
          { id: "wamid.1", status: "sent", timestamp: "1750000001", recipient_id: "16505551234", biz_opaque_callback_data: "r:42", conversation, pricing },
          { id: "wamid.1", status: "delivered", timestamp: "1750000002", recipient_id: "16505551234" },
          { id: "wamid.1", status: "read", timestamp: "1750000003", recipient_id: "16505551234" },
          {
            id: "wamid.2",
            status: "failed",
            timestamp: "1750000004",
            recipient_id: "16505550000",
            errors: [
              { code: 131026, title: "Message undeliverable", message: "Message undeliverable", error_data: { details: "Not on WhatsApp" }, href: "https://x" },
            ],
          },
          { id: "wamid.3", status: "delivered", timestamp: "1750000005" },
          { id: "wamid.4", status: "read", timestamp: "1750000006", recipient_id: "" },
        ],
      }),
    ],
  });

  it("reads sent, delivered, read and failed with errors, callback data, conversation and pricing", () => {
    const result = parseWebhookEnvelope(statuses);
    expect(result).toMatchObject({ ok: true, ignored: 0 });
    const list = events(statuses);
    expect(list.map((e) => e.kind === "status" && e.status)).toEqual(["sent", "delivered", "read", "failed", "delivered", "read"]);
    expect(list[0]).toEqual({
      kind: "status",
      wabaId: WABA,
      phoneNumberId: PHONE_ID,
      wamid: "wamid.1",
      status: "sent",
      timestamp: 1750000001,
      recipientId: "16505551234",
      bizOpaqueCallbackData: "r:42",
      errors: [],
      conversation,
      pricing,
      billing: { billable: true, category: "marketing", model: "PMP" },
    });
    expect(list[3]).toMatchObject({
      status: "failed",
      errors: [{ code: 131026, title: "Message undeliverable", message: "Message undeliverable", details: "Not on WhatsApp" }],
    });
  });

  it("accepts statuses without recipient_id or with an empty one", () => {
    const list = events(statuses);
    expect(list[4]).toEqual({
      kind: "status",
      wabaId: WABA,
      phoneNumberId: PHONE_ID,
      wamid: "wamid.3",
      status: "delivered",
      timestamp: 1750000005,
      errors: [],
    });
    expect(list[5]).not.toHaveProperty("recipientId");
  });
});

describe("parseWebhookEnvelope: pricing", () => {
  const statusWith = (pricing: unknown, extra: Record<string, unknown> = {}) =>
    events(
      envelope({ id: WABA, changes: [messagesChange({ statuses: [{ id: "wamid.P", status: "delivered", timestamp: "1750000001", pricing, ...extra }] })] }),
    )[0];

  it("reads a per-message price: billable, category, model and type", () => {
    expect(statusWith({ billable: false, pricing_model: "PMP", category: "utility", type: "free_customer_service" })).toMatchObject({
      billing: { billable: false, category: "utility", model: "PMP", type: "free_customer_service" },
    });
  });

  it("reads an older conversation-based price the same way", () => {
    const conversation = { id: "c9", origin: { type: "authentication" } };
    expect(statusWith({ billable: true, pricing_model: "CBP", category: "authentication" }, { conversation })).toMatchObject({
      conversation,
      billing: { billable: true, category: "authentication", model: "CBP" },
    });
  });

  it("keeps a price it cannot read as it came, without billing", () => {
    const odd = { billable: "yes", category: "marketing" };
    const status = statusWith(odd);
    expect(status).toMatchObject({ pricing: odd });
    expect(status).not.toHaveProperty("billing");
    expect(statusWith({ billable: true })).not.toHaveProperty("billing");
  });
});

describe("parseWebhookEnvelope: envelopes", () => {
  it("reads several entries with several changes in one POST", () => {
    const json = envelope(
      {
        id: "waba-1",
        changes: [
          messagesChange({ statuses: [{ id: "wamid.A", status: "sent", timestamp: "1", recipient_id: "1" }] }),
          {
            field: "messages",
            value: { messaging_product: "whatsapp", metadata: { phone_number_id: "phone-2" }, statuses: [{ id: "wamid.B", status: "read", timestamp: "2" }] },
          },
        ],
      },
      { id: "waba-2", changes: [messagesChange({ messages: [{ from: "1", id: "wamid.C", timestamp: "3", type: "text", text: { body: "hi" } }] })] },
    );
    expect(events(json).map((e) => [e.kind, e.wabaId, "phoneNumberId" in e ? e.phoneNumberId : null, "wamid" in e ? e.wamid : null])).toEqual([
      ["status", "waba-1", PHONE_ID, "wamid.A"],
      ["status", "waba-1", "phone-2", "wamid.B"],
      ["inbound", "waba-2", PHONE_ID, "wamid.C"],
    ]);
  });

  it("reads statuses and messages from the same change", () => {
    const json = envelope({
      id: WABA,
      changes: [
        messagesChange({
          statuses: [{ id: "wamid.S", status: "sent", timestamp: "1" }],
          messages: [{ from: "1", id: "wamid.M", timestamp: "2", type: "reaction", reaction: { message_id: "wamid.S", emoji: "👍" } }],
        }),
      ],
    });
    expect(events(json).map((e) => e.kind)).toEqual(["status", "inbound"]);
  });

  it("reads a template status update", () => {
    const json = envelope({
      id: WABA,
      time: 1750000000,
      changes: [
        {
          field: "message_template_status_update",
          value: {
            event: "REJECTED",
            message_template_id: 1192339204654487,
            message_template_name: "spring_sale",
            message_template_language: "en_US",
            reason: "INCORRECT_CATEGORY",
          },
        },
        {
          field: "message_template_status_update",
          value: {
            event: "APPROVED",
            message_template_id: "920070352646140",
            message_template_name: "promo",
            message_template_language: "pt_BR",
            reason: "NONE",
          },
        },
      ],
    });
    expect(parseWebhookEnvelope(json)).toEqual({
      ok: true,
      ignored: 0,
      events: [
        {
          kind: "template_status",
          wabaId: WABA,
          templateId: "1192339204654487",
          name: "spring_sale",
          language: "en_US",
          status: "REJECTED",
          reason: "INCORRECT_CATEGORY",
        },
        { kind: "template_status", wabaId: WABA, templateId: "920070352646140", name: "promo", language: "pt_BR", status: "APPROVED" },
      ],
    });
  });

  it.each([
    ["another object", { object: "page", entry: [] }],
    ["no object", { entry: [] }],
    ["an array", []],
    ["a string", "whatsapp_business_account"],
    ["null", null],
    ["entry that is not an array", { object: "whatsapp_business_account", entry: {} }],
  ])("refuses %s", (_, json) => {
    expect(parseWebhookEnvelope(json)).toMatchObject({ ok: false, reason: expect.any(String) });
  });

  it("accepts an envelope without entries", () => {
    expect(parseWebhookEnvelope(envelope())).toEqual({ ok: true, events: [], ignored: 0 });
  });

  it("skips and counts malformed items without dropping the rest", () => {
    const json = envelope(
      "not an entry",
      { id: WABA, changes: ["not a change", { value: {} }] },
      {
        id: WABA,
        changes: [
          messagesChange({
            statuses: [
              { status: "sent", timestamp: "1" },
              { id: "wamid.ok", status: "sent", timestamp: "1" },
              { id: "wamid.bad-time", status: "sent", timestamp: "yesterday" },
            ],
            messages: [
              { from: "1", timestamp: "1", type: "text", text: { body: "no id" } },
              { from: "1", id: "wamid.in", timestamp: "2", type: "text", text: { body: "ok" } },
            ],
          }),
          { field: "messages", value: { statuses: [{ id: "wamid.no-metadata", status: "sent", timestamp: "1" }] } },
          { field: "message_template_status_update", value: { event: "APPROVED" } },
        ],
      },
    );
    const result = parseWebhookEnvelope(json);
    expect(result).toMatchObject({ ok: true, ignored: 8 });
    expect(events(json).map((e) => ("wamid" in e ? e.wamid : e.kind))).toEqual(["wamid.ok", "wamid.in"]);
  });

  it("ignores (and counts) fields Herald does not handle", () => {
    const json = envelope({
      id: WABA,
      changes: [
        { field: "account_update", value: { event: "VERIFIED_ACCOUNT" } },
        { field: "phone_number_quality_update", value: { current_limit: "TIER_1K" } },
        messagesChange({ statuses: [{ id: "wamid.1", status: "sent", timestamp: "1" }] }),
      ],
    });
    expect(parseWebhookEnvelope(json)).toMatchObject({ ok: true, ignored: 2, events: [{ kind: "status", wamid: "wamid.1" }] });
  });

  it("never refuses unfamiliar message types or extra fields", () => {
    const json = {
      object: "whatsapp_business_account",
      brand_new_top_level: true,
      entry: [
        {
          id: WABA,
          time: 1750000000,
          extra: { nested: [1, 2] },
          changes: [
            {
              field: "messages",
              extra: "x",
              value: {
                messaging_product: "whatsapp",
                metadata: { ...METADATA, extra: 1 },
                contacts: [{ profile: { name: "Zed", pronouns: "they" }, wa_id: "1555", user_id: "BR.123" }, "garbage"],
                messages: [
                  { from: "1555", id: "wamid.H", timestamp: "5", type: "hologram", hologram: { depth: 3 } },
                  { from: "1555", id: "wamid.E", timestamp: 6, type: "ephemeral" },
                  { from: "1555", id: "wamid.T", timestamp: "7", type: "text", text: "not an object", context: 42, errors: "nope" },
                ],
                statuses: [
                  { id: "wamid.S", status: "played", timestamp: "8", recipient_id: "1555", recipient_user_id: "BR.123", errors: [{ title: "no code" }] },
                ],
              },
            },
          ],
        },
      ],
    };
    const result = parseWebhookEnvelope(json);
    expect(result).toMatchObject({ ok: true, ignored: 0 });
    expect(events(json)).toEqual([
      expect.objectContaining({ kind: "status", status: "played", timestamp: 8, errors: [] }),
      expect.objectContaining({ kind: "inbound", type: "hologram", timestamp: 5, profileName: "Zed" }),
      expect.objectContaining({ kind: "inbound", type: "ephemeral", timestamp: 6 }),
      { kind: "inbound", wabaId: WABA, phoneNumberId: PHONE_ID, wamid: "wamid.T", from: "1555", timestamp: 7, type: "text", profileName: "Zed", errors: [] },
    ]);
  });

  it("keeps an inbound message whose sender Meta left out", () => {
    const json = envelope({ id: WABA, changes: [messagesChange({ messages: [{ id: "wamid.U", timestamp: "1", type: "text", text: { body: "STOP" } }] })] });
    expect(events(json)).toEqual([expect.objectContaining({ wamid: "wamid.U", from: "", text: "STOP" })]);
  });
});

describe("parseWebhookEnvelope: marketing preferences (user_preferences)", () => {
  const preferencesChange = (preferences: unknown[], metadata: unknown = METADATA) => ({
    field: "user_preferences",
    value: { messaging_product: "whatsapp", metadata, contacts: [{ profile: { name: "Sheena Nelson" }, wa_id: "16505551234" }], user_preferences: preferences },
  });
  const preference = (value: string, extra: Record<string, unknown> = {}) => ({
    wa_id: "16505551234",
    detail: "User requested to stop marketing messages",
    category: "marketing_messages",
    value,
    timestamp: 1731705721,
    ...extra,
  });

  it("reads a stop and a resume with the user's WhatsApp id and time", () => {
    const json = envelope({ id: WABA, changes: [preferencesChange([preference("stop"), preference("resume", { timestamp: "1731705800", detail: "" })])] });
    expect(parseWebhookEnvelope(json)).toEqual({
      ok: true,
      ignored: 0,
      events: [
        {
          kind: "marketing_preference",
          wabaId: WABA,
          phoneNumberId: PHONE_ID,
          waId: "16505551234",
          value: "stop",
          timestamp: 1731705721,
          detail: "User requested to stop marketing messages",
        },
        { kind: "marketing_preference", wabaId: WABA, phoneNumberId: PHONE_ID, waId: "16505551234", value: "resume", timestamp: 1731705800 },
      ],
    });
  });

  it("skips other categories, unknown values and malformed items, keeping the valid ones of the same change", () => {
    const json = envelope({
      id: WABA,
      changes: [
        preferencesChange([
          preference("stop", { category: "utility_messages" }),
          preference("pause"),
          preference("stop", { wa_id: "+1 650" }),
          preference("stop", { timestamp: "yesterday" }),
          "garbage",
          preference("resume", { wa_id: "5511987654321" }),
        ]),
        preferencesChange([preference("stop")], { display_phone_number: "1555" }),
        { field: "user_preferences", value: { metadata: METADATA, user_preferences: "stop" } },
      ],
    });
    const result = parseWebhookEnvelope(json);
    expect(result).toMatchObject({ ok: true, ignored: 7 });
    expect(events(json)).toEqual([expect.objectContaining({ kind: "marketing_preference", waId: "5511987654321", value: "resume" })]);
  });
});

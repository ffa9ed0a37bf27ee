import { toBase64, toHex } from "../lib/crypto";
import { webhookError } from "./graph-errors";
import type { Scenario } from "./scenario";

/**
 * What the sandbox sends back after accepting a message: status events and simulated customer
 * messages, planned at acceptance, grouped into Meta's webhook envelopes when due and signed
 * like Meta signs them. Pure apart from the random source, so tests can check shapes directly.
 */

/** The number a webhook speaks for, as the envelope's `entry.id` and `metadata` name it. */
export type NumberRef = { wabaId: string; phoneNumberId: string; displayPhoneNumber: string };

export type Category = "marketing" | "utility" | "authentication" | "service";

export type StatusEvent = {
  id: string;
  status: "sent" | "delivered" | "read" | "failed";
  timestamp: string;
  recipient_id: string;
  biz_opaque_callback_data?: string;
  conversation?: { id: string; expiration_timestamp?: string; origin: { type: Category } };
  pricing?: { billable: boolean; pricing_model: "PMP"; category: Category; type: "regular" | "free_customer_service" };
  errors?: ReturnType<typeof webhookError>[];
};

export type InboundEvent = {
  contacts: [{ profile: { name: string }; wa_id: string }];
  messages: [
    {
      context?: { from: string; id: string };
      from: string;
      id: string;
      timestamp: string;
    } & ({ type: "text"; text: { body: string } } | { type: "button"; button: { text: string; payload: string } }),
  ];
};

/** A user stopping or resuming the business's marketing messages, as a `user_preferences` change carries it. */
export type PreferenceEvent = {
  contacts: [{ profile: { name: string }; wa_id: string }];
  user_preferences: [{ wa_id: string; detail: string; category: "marketing_messages"; value: "stop" | "resume"; timestamp: string }];
};

export type PlannedEvent = { dueAt: number } & (
  | { kind: "status"; event: StatusEvent }
  | { kind: "inbound"; event: InboundEvent }
  | { kind: "preference"; event: PreferenceEvent }
);

type Metadata = { display_phone_number: string; phone_number_id: string };

export type WebhookEnvelope = {
  object: "whatsapp_business_account";
  entry: {
    id: string;
    changes: (
      | {
          field: "messages";
          value: {
            messaging_product: "whatsapp";
            metadata: Metadata;
            contacts?: InboundEvent["contacts"];
            messages?: InboundEvent["messages"];
            statuses?: StatusEvent[];
          };
        }
      | { field: "user_preferences"; value: { messaging_product: "whatsapp"; metadata: Metadata } & PreferenceEvent }
    )[];
  }[];
};

const encoder = new TextEncoder();

function randomHexUpper(length: number): string {
  return toHex(crypto.getRandomValues(new Uint8Array(Math.ceil(length / 2))))
    .slice(0, length)
    .toUpperCase();
}

/**
 * A message id shaped like Meta's: base64 of a small record holding the user's number and a
 * random id, e.g. `wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYEjcwQzZFQkU2QjREQ0ZBNUNGNQA=`.
 */
export function newWamid(waId: string, direction: "outbound" | "inbound" = "outbound"): string {
  const number = encoder.encode(waId.slice(0, 20));
  const random = encoder.encode(randomHexUpper(direction === "outbound" ? 18 : 20));
  const bytes = new Uint8Array([
    0x1c,
    0x18,
    number.length,
    ...number,
    0x15,
    0x02,
    0x00,
    direction === "outbound" ? 0x11 : 0x12,
    0x18,
    random.length,
    ...random,
    0x00,
  ]);
  return `wamid.${toBase64(bytes)}`;
}

/** Meta's `display_phone_number` in webhooks: digits only. Falls back to a 1-555 number. */
export function displayDigits(displayPhone: string, phoneNumberId: string): string {
  const digits = displayPhone.replace(/\D/g, "");
  return digits.length >= 6 ? digits : `1555${phoneNumberId.slice(-7).padStart(7, "0")}`;
}

const REPLIES = [
  "Obrigado! Quero saber mais",
  "Qual o preço?",
  "Tenho interesse 😊",
  "Pode me mandar o catálogo?",
  "Ok, vou dar uma olhada",
  "Ainda tem disponível?",
  "Thanks! Sounds good",
  "Can you tell me more?",
  "What time do you open tomorrow?",
  "👍",
];

const NAMES = [
  "Ana Souza",
  "Bruno Lima",
  "Carla Mendes",
  "Diego Alves",
  "Fernanda Rocha",
  "Sheena Nelson",
  "Mark Chen",
  "Priya Patel",
  "João Pereira",
  "Lucía García",
];

type Random = () => number;

const pick = <T>(items: readonly T[], random: Random): T => items[Math.floor(random() * items.length)]!;
const within = ([min, max]: readonly [number, number], random: Random) => min + Math.floor(random() * (max - min + 1));
const seconds = (ms: number) => String(Math.floor(ms / 1000));

/** An inbound text from a customer, optionally quoting one of the business's messages. */
export function inboundText(
  input: { from: string; body: string; at: number; name?: string; replyTo?: { wamid: string; businessNumber: string } },
  random: Random = Math.random,
): InboundEvent {
  return inboundMessage(input, { type: "text", text: { body: input.body } }, random);
}

/**
 * A customer's tap on a quick-reply button of a template message (`type: "button"`), which Meta
 * always sends quoting that message.
 */
export function inboundButton(
  input: { from: string; text: string; payload: string; at: number; name?: string; replyTo?: { wamid: string; businessNumber: string } },
  random: Random = Math.random,
): InboundEvent {
  return inboundMessage(input, { type: "button", button: { text: input.text, payload: input.payload } }, random);
}

function inboundMessage(
  input: { from: string; at: number; name?: string; replyTo?: { wamid: string; businessNumber: string } },
  content: { type: "text"; text: { body: string } } | { type: "button"; button: { text: string; payload: string } },
  random: Random,
): InboundEvent {
  return {
    contacts: [{ profile: { name: input.name ?? pick(NAMES, random) }, wa_id: input.from }],
    messages: [
      {
        ...(input.replyTo ? { context: { from: input.replyTo.businessNumber, id: input.replyTo.wamid } } : {}),
        from: input.from,
        id: newWamid(input.from, "inbound"),
        timestamp: seconds(input.at),
        ...content,
      },
    ],
  };
}

/**
 * WhatsApp's per-message pricing of a message: free text ("service") and utility templates are
 * free inside the customer's 24 h service window; marketing and authentication templates are
 * always billed.
 *
 * @example pricingOf("utility", true); // { billable: false, pricing_model: "PMP", category: "utility", type: "free_customer_service" }
 * @example pricingOf("marketing", true); // { billable: true, pricing_model: "PMP", category: "marketing", type: "regular" }
 */
export function pricingOf(category: Category, inServiceWindow: boolean): NonNullable<StatusEvent["pricing"]> {
  const billable = category === "marketing" || category === "authentication" || (category === "utility" && !inServiceWindow);
  return { billable, pricing_model: "PMP", category, type: billable ? "regular" : "free_customer_service" };
}

/**
 * The webhook events for one accepted message under a scenario: `sent`, then `delivered` and
 * maybe `read`, or `failed`; sometimes a reply quoting the message or a STOP. Delays are drawn
 * from the scenario's [min, max] ranges, measured from acceptance, and kept in order. `sent` and
 * `delivered` carry the message's pricing (see `pricingOf`; `inServiceWindow`: the customer wrote
 * to the number within 24 h).
 */
export function planEvents(
  message: {
    wamid: string;
    waId: string;
    category: Category;
    inServiceWindow?: boolean;
    bizOpaqueCallbackData?: string;
    acceptedAt: number;
    businessNumber: string;
  },
  scenario: Pick<
    Scenario,
    "sent_delay_ms" | "delivered_delay_ms" | "read_delay_ms" | "reply_delay_ms" | "failed_rate" | "unread_rate" | "reply_rate" | "opt_out_rate"
  >,
  random: Random = Math.random,
): PlannedEvent[] {
  const t0 = message.acceptedAt;
  const base = {
    id: message.wamid,
    recipient_id: message.waId,
    ...(message.bizOpaqueCallbackData === undefined ? {} : { biz_opaque_callback_data: message.bizOpaqueCallbackData }),
  };
  const conversationId = randomHexUpper(32).toLowerCase();
  const billing = (withExpiry: boolean, at: number) => ({
    conversation: {
      id: conversationId,
      ...(withExpiry ? { expiration_timestamp: seconds(at + 86_400_000) } : {}),
      origin: { type: message.category },
    },
    pricing: pricingOf(message.category, message.inServiceWindow ?? message.category === "service"),
  });
  const status = (dueAt: number, fields: Omit<StatusEvent, "id" | "recipient_id" | "timestamp">): PlannedEvent => ({
    dueAt,
    kind: "status",
    event: { ...base, timestamp: seconds(dueAt), ...fields },
  });

  const sentAt = t0 + within(scenario.sent_delay_ms, random);
  const events: PlannedEvent[] = [status(sentAt, { status: "sent", ...billing(true, sentAt) })];
  const secondAt = Math.max(sentAt, t0 + within(scenario.delivered_delay_ms, random));
  if (random() < scenario.failed_rate) {
    const code = message.category === "marketing" && random() < 0.5 ? 131049 : 131026;
    events.push(status(secondAt, { status: "failed", errors: [webhookError(code)] }));
    return events;
  }
  events.push(status(secondAt, { status: "delivered", ...billing(false, secondAt) }));
  const readAt = random() >= scenario.unread_rate ? Math.max(secondAt, t0 + within(scenario.read_delay_ms, random)) : undefined;
  if (readAt !== undefined) events.push(status(readAt, { status: "read" }));
  const answerAt = (readAt ?? secondAt) + within(scenario.reply_delay_ms, random);
  if (random() < scenario.opt_out_rate) {
    events.push({ dueAt: answerAt, kind: "inbound", event: inboundText({ from: message.waId, body: "STOP", at: answerAt }, random) });
  } else if (readAt !== undefined && random() < scenario.reply_rate) {
    const replyTo = { wamid: message.wamid, businessNumber: message.businessNumber };
    events.push({ dueAt: answerAt, kind: "inbound", event: inboundText({ from: message.waId, body: pick(REPLIES, random), at: answerAt, replyTo }, random) });
  }
  return events;
}

const metadata = (ref: NumberRef) => ({ display_phone_number: ref.displayPhoneNumber, phone_number_id: ref.phoneNumberId });

/** One envelope carrying statuses that fell due together (Meta batches them the same way). */
export function statusEnvelope(ref: NumberRef, statuses: StatusEvent[]): WebhookEnvelope {
  return {
    object: "whatsapp_business_account",
    entry: [{ id: ref.wabaId, changes: [{ field: "messages", value: { messaging_product: "whatsapp", metadata: metadata(ref), statuses } }] }],
  };
}

/** One envelope per customer message, with its `contacts` and `messages`. */
export function inboundEnvelope(ref: NumberRef, inbound: InboundEvent): WebhookEnvelope {
  return {
    object: "whatsapp_business_account",
    entry: [
      {
        id: ref.wabaId,
        changes: [
          { field: "messages", value: { messaging_product: "whatsapp", metadata: metadata(ref), contacts: inbound.contacts, messages: inbound.messages } },
        ],
      },
    ],
  };
}

/**
 * A customer stopping (or resuming) the number's marketing messages from WhatsApp's menu.
 * @example marketingPreference({ from: "5511987654321", value: "stop", at: 1767225600000 }).user_preferences[0].value // "stop"
 */
export function marketingPreference(
  input: { from: string; value: "stop" | "resume"; at: number; name?: string },
  random: Random = Math.random,
): PreferenceEvent {
  return {
    contacts: [{ profile: { name: input.name ?? pick(NAMES, random) }, wa_id: input.from }],
    user_preferences: [
      {
        wa_id: input.from,
        detail: input.value === "stop" ? "User requested to stop marketing messages" : "User requested to resume marketing messages",
        category: "marketing_messages",
        value: input.value,
        timestamp: seconds(input.at),
      },
    ],
  };
}

/** One envelope per marketing preference change. */
export function preferenceEnvelope(ref: NumberRef, preference: PreferenceEvent): WebhookEnvelope {
  return {
    object: "whatsapp_business_account",
    entry: [{ id: ref.wabaId, changes: [{ field: "user_preferences", value: { messaging_product: "whatsapp", metadata: metadata(ref), ...preference } }] }],
  };
}

/**
 * The `X-Hub-Signature-256` header value for a body: `sha256=` + hex HMAC-SHA256 of its exact
 * bytes keyed with the app secret.
 */
export async function signatureHeader(appSecret: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(appSecret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return `sha256=${toHex(await crypto.subtle.sign("HMAC", key, encoder.encode(body)))}`;
}

/** Delay before retrying an envelope after `attempts` failed deliveries: 1 s, 2 s, 4 s… capped at 5 minutes. */
export const retryDelayMs = (attempts: number) => Math.min(1000 * 2 ** Math.max(0, attempts - 1), 300_000);

/** Meta retries for days; the sandbox gives up sooner so dev runs stay quiet. */
export const MAX_DELIVERY_ATTEMPTS = 10;

/** Statuses per envelope at most, when many fall due together. */
export const MAX_STATUSES_PER_ENVELOPE = 50;

import { z } from "zod";

/** An error Meta attached to a status or an inbound message. */
export type WebhookError = { code: number; title: string; message?: string; details?: string };

export type StatusEvent = {
  kind: "status";
  wabaId: string;
  phoneNumberId: string;
  wamid: string;
  status: "sent" | "delivered" | "read" | "failed" | (string & {});
  /** Unix seconds. */
  timestamp: number;
  /** Absent (or empty in Meta's payload) for users with usernames: match statuses by wamid. */
  recipientId?: string;
  bizOpaqueCallbackData?: string;
  errors: WebhookError[];
  conversation?: unknown;
  pricing?: unknown;
  /** What `pricing` says, when it says it in the expected shape. */
  billing?: StatusBilling;
};

/**
 * A status's price as WhatsApp reports it: whether the message is billed and in which category
 * ("marketing", "utility", "authentication", "service"…); `model` is "PMP" (per message, since
 * July 2025) or "CBP" (per conversation, older payloads, read the same way), `type` "regular",
 * "free_customer_service" or "free_entry_point" when given.
 */
export type StatusBilling = { billable: boolean; category: string; model?: string; type?: string };

export type InboundEvent = {
  kind: "inbound";
  wabaId: string;
  phoneNumberId: string;
  wamid: string;
  /** The sender's WhatsApp id (digits); empty when Meta left it out. */
  from: string;
  /** Unix seconds. */
  timestamp: number;
  /** Meta's message type, including ones Herald ignores ("system", "unsupported", "reaction"…). */
  type: string;
  /** Text body, or the title of the button / list row the user tapped. */
  text?: string;
  /** Payload of a template quick-reply button, or the id of an interactive button / list row. */
  payload?: string;
  /** wamid of the message this one replies to. */
  contextId?: string;
  profileName?: string;
  errors: WebhookError[];
};

export type TemplateStatusEvent = {
  kind: "template_status";
  wabaId: string;
  templateId: string;
  name: string;
  language: string;
  /** Meta's event: APPROVED, REJECTED, PAUSED, DISABLED, PENDING_DELETION… */
  status: string;
  reason?: string;
};

/** A WhatsApp user stopped or resumed the business's marketing messages (`field: "user_preferences"`). */
export type MarketingPreferenceEvent = {
  kind: "marketing_preference";
  wabaId: string;
  phoneNumberId: string;
  /** The user's WhatsApp id (digits). */
  waId: string;
  value: "stop" | "resume";
  /** Unix seconds. */
  timestamp: number;
  /** Meta's words for the change, when it gives them. */
  detail?: string;
};

export type WebhookEvent = StatusEvent | InboundEvent | TemplateStatusEvent | MarketingPreferenceEvent;

export type ParsedEnvelope = { ok: true; events: WebhookEvent[]; ignored: number } | { ok: false; reason: string };

// Every object is loose: Meta adds fields without notice and an envelope must never be refused for them.
const id = z.union([z.string().min(1), z.number().transform(String)]);
const unixSeconds = z.union([z.string().regex(/^\d+$/).transform(Number), z.number().int().nonnegative()]);
const optionalString = z.string().optional().catch(undefined);

const envelopeSchema = z.looseObject({ object: z.string(), entry: z.array(z.unknown()) });
const entrySchema = z.looseObject({ id, changes: z.array(z.unknown()) });
const changeSchema = z.looseObject({ field: z.string(), value: z.unknown() });

const errorSchema = z.looseObject({
  code: z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]),
  title: optionalString,
  message: optionalString,
  error_data: z.looseObject({ details: optionalString }).optional().catch(undefined),
});
const errorsSchema = z.array(z.unknown()).optional().catch(undefined);

const messagesValueSchema = z.looseObject({
  metadata: z.looseObject({ phone_number_id: id }),
  contacts: z.array(z.unknown()).optional().catch(undefined),
  messages: z.array(z.unknown()).optional(),
  statuses: z.array(z.unknown()).optional(),
  errors: z.array(z.unknown()).optional().catch(undefined),
});

const contactSchema = z.looseObject({ wa_id: z.string(), profile: z.looseObject({ name: optionalString }).optional().catch(undefined) });

const statusSchema = z.looseObject({
  id: z.string().min(1),
  status: z.string().min(1),
  timestamp: unixSeconds,
  recipient_id: optionalString,
  biz_opaque_callback_data: optionalString,
  errors: errorsSchema,
  conversation: z.unknown().optional(),
  pricing: z.unknown().optional(),
});

const pricingSchema = z.looseObject({
  billable: z.boolean(),
  category: z.string().min(1).max(64),
  pricing_model: z.string().max(32).optional().catch(undefined),
  type: z.string().max(64).optional().catch(undefined),
});

/** The billing a status's `pricing` states; undefined when it is absent or not shaped as expected. */
function readBilling(pricing: unknown): StatusBilling | undefined {
  const parsed = pricingSchema.safeParse(pricing);
  if (!parsed.success) return undefined;
  const { billable, category, pricing_model, type } = parsed.data;
  return { billable, category, ...(pricing_model ? { model: pricing_model } : {}), ...(type ? { type } : {}) };
}

const reply = z.looseObject({ id: optionalString, title: optionalString }).optional().catch(undefined);
const messageSchema = z.looseObject({
  id: z.string().min(1),
  from: optionalString,
  timestamp: unixSeconds,
  type: z.string().min(1),
  text: z.looseObject({ body: optionalString }).optional().catch(undefined),
  button: z.looseObject({ payload: optionalString, text: optionalString }).optional().catch(undefined),
  interactive: z.looseObject({ button_reply: reply, list_reply: reply }).optional().catch(undefined),
  context: z.looseObject({ id: optionalString }).optional().catch(undefined),
  errors: errorsSchema,
});

const templateStatusSchema = z.looseObject({
  event: z.string().min(1),
  message_template_id: id,
  message_template_name: z.string().min(1),
  message_template_language: z.string().min(1),
  reason: z.string().nullish().catch(undefined),
});

const preferencesValueSchema = z.looseObject({
  metadata: z.looseObject({ phone_number_id: id }),
  user_preferences: z.array(z.unknown()),
});

const preferenceSchema = z.looseObject({
  wa_id: z.string().regex(/^\d{1,20}$/),
  category: z.string(),
  value: z.enum(["stop", "resume"]),
  timestamp: unixSeconds,
  detail: optionalString,
});

/**
 * Flattens a Meta webhook POST into status, inbound, template-status and marketing-preference events. Only a body
 * that is not a WhatsApp Business Account envelope is refused; unknown fields, unfamiliar
 * message types and extra properties pass, and malformed items (a status without id, a change
 * without metadata…) or changes Herald does not handle are skipped and counted in `ignored`.
 *
 * @example
 * parseWebhookEnvelope({ object: "whatsapp_business_account", entry: [{ id: "1", changes: [{ field: "messages",
 *   value: { metadata: { phone_number_id: "2" }, statuses: [{ id: "wamid.X", status: "read", timestamp: "1750000000" }] } }] }] });
 * // { ok: true, ignored: 0, events: [{ kind: "status", wabaId: "1", phoneNumberId: "2", wamid: "wamid.X",
 * //   status: "read", timestamp: 1750000000, errors: [] }] }
 */
export function parseWebhookEnvelope(json: unknown): ParsedEnvelope {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return { ok: false, reason: "body is not a JSON object" };
  const envelope = envelopeSchema.safeParse(json);
  if (!envelope.success) {
    const object = (json as { object?: unknown }).object;
    if (object !== "whatsapp_business_account") return { ok: false, reason: `unexpected object ${JSON.stringify(object ?? null)}` };
    return { ok: false, reason: "entry must be an array" };
  }
  if (envelope.data.object !== "whatsapp_business_account") {
    return { ok: false, reason: `unexpected object ${JSON.stringify(envelope.data.object)}` };
  }

  const events: WebhookEvent[] = [];
  let ignored = 0;
  for (const rawEntry of envelope.data.entry) {
    const entry = entrySchema.safeParse(rawEntry);
    if (!entry.success) {
      ignored++;
      continue;
    }
    for (const rawChange of entry.data.changes) {
      const change = changeSchema.safeParse(rawChange);
      if (!change.success) {
        ignored++;
        continue;
      }
      const wabaId = entry.data.id;
      if (change.data.field === "messages") ignored += readMessagesChange(wabaId, change.data.value, events);
      else if (change.data.field === "message_template_status_update") ignored += readTemplateStatus(wabaId, change.data.value, events);
      else if (change.data.field === "user_preferences") ignored += readUserPreferences(wabaId, change.data.value, events);
      else ignored++;
    }
  }
  return { ok: true, events, ignored };
}

/** Appends the change's events; returns how many items it skipped. */
function readMessagesChange(wabaId: string, rawValue: unknown, events: WebhookEvent[]): number {
  const value = messagesValueSchema.safeParse(rawValue);
  if (!value.success) return 1;
  const phoneNumberId = value.data.metadata.phone_number_id;
  // Change-level errors (e.g. a webhook Meta could not build) carry nothing Herald acts on.
  let ignored = value.data.errors?.length ?? 0;

  for (const raw of value.data.statuses ?? []) {
    const status = statusSchema.safeParse(raw);
    if (!status.success) {
      ignored++;
      continue;
    }
    const s = status.data;
    const event: StatusEvent = { kind: "status", wabaId, phoneNumberId, wamid: s.id, status: s.status, timestamp: s.timestamp, errors: readErrors(s.errors) };
    if (s.recipient_id) event.recipientId = s.recipient_id;
    if (s.biz_opaque_callback_data) event.bizOpaqueCallbackData = s.biz_opaque_callback_data;
    if (s.conversation !== undefined) event.conversation = s.conversation;
    if (s.pricing !== undefined) {
      event.pricing = s.pricing;
      const billing = readBilling(s.pricing);
      if (billing) event.billing = billing;
    }
    events.push(event);
  }

  const profiles = new Map<string, string>();
  for (const raw of value.data.contacts ?? []) {
    const contact = contactSchema.safeParse(raw);
    if (contact.success && contact.data.profile?.name) profiles.set(contact.data.wa_id, contact.data.profile.name);
  }

  for (const raw of value.data.messages ?? []) {
    const message = messageSchema.safeParse(raw);
    if (!message.success) {
      ignored++;
      continue;
    }
    const m = message.data;
    const from = m.from ?? "";
    const event: InboundEvent = {
      kind: "inbound",
      wabaId,
      phoneNumberId,
      wamid: m.id,
      from,
      timestamp: m.timestamp,
      type: m.type,
      errors: readErrors(m.errors),
    };
    const tapped = m.interactive?.button_reply ?? m.interactive?.list_reply;
    if (m.text?.body !== undefined) event.text = m.text.body;
    else if (m.button) {
      if (m.button.text !== undefined) event.text = m.button.text;
      if (m.button.payload !== undefined) event.payload = m.button.payload;
    } else if (tapped) {
      if (tapped.title !== undefined) event.text = tapped.title;
      if (tapped.id !== undefined) event.payload = tapped.id;
    }
    if (m.context?.id) event.contextId = m.context.id;
    const profileName = profiles.get(from);
    if (profileName) event.profileName = profileName;
    events.push(event);
  }
  return ignored;
}

function readTemplateStatus(wabaId: string, rawValue: unknown, events: WebhookEvent[]): number {
  const value = templateStatusSchema.safeParse(rawValue);
  if (!value.success) return 1;
  const v = value.data;
  const event: TemplateStatusEvent = {
    kind: "template_status",
    wabaId,
    templateId: v.message_template_id,
    name: v.message_template_name,
    language: v.message_template_language,
    status: v.event,
  };
  // Meta sends reason "NONE" when there is none.
  if (v.reason && v.reason !== "NONE") event.reason = v.reason;
  events.push(event);
  return 0;
}

/**
 * Appends the marketing preferences of a `user_preferences` change; returns how many items it
 * skipped: malformed ones, values other than stop and resume, and categories other than
 * `marketing_messages` (the only one Herald acts on).
 */
function readUserPreferences(wabaId: string, rawValue: unknown, events: WebhookEvent[]): number {
  const value = preferencesValueSchema.safeParse(rawValue);
  if (!value.success) return 1;
  let ignored = 0;
  for (const raw of value.data.user_preferences) {
    const item = preferenceSchema.safeParse(raw);
    if (!item.success || item.data.category !== "marketing_messages") {
      ignored++;
      continue;
    }
    const p = item.data;
    const event: MarketingPreferenceEvent = {
      kind: "marketing_preference",
      wabaId,
      phoneNumberId: value.data.metadata.phone_number_id,
      waId: p.wa_id,
      value: p.value,
      timestamp: p.timestamp,
    };
    if (p.detail) event.detail = p.detail;
    events.push(event);
  }
  return ignored;
}

function readErrors(raw: unknown[] | undefined): WebhookError[] {
  const out: WebhookError[] = [];
  for (const item of raw ?? []) {
    const parsed = errorSchema.safeParse(item);
    if (!parsed.success) continue;
    const e = parsed.data;
    const error: WebhookError = { code: e.code, title: e.title ?? e.message ?? "" };
    if (e.message !== undefined) error.message = e.message;
    if (e.error_data?.details !== undefined) error.details = e.error_data.details;
    out.push(error);
  }
  return out;
}

/** `parseWebhookEnvelope` over the raw body text; a body that is not JSON is refused with a reason. */
export function parseEnvelopeText(text: string): ParsedEnvelope {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: "the body is not JSON" };
  }
  return parseWebhookEnvelope(json);
}

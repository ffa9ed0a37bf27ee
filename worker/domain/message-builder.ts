import type { MediaParameter, SendOptions, TemplateMessage, TextMessage } from "./provider";

/** Longest text parameter Meta accepts in a template with more than a body. */
export const MAX_TEXT_PARAMETER_LENGTH = 1_024;
/** Longest `biz_opaque_callback_data` Meta accepts. */
export const MAX_CALLBACK_DATA_LENGTH = 512;
/** Longest body of a free-text message. */
export const MAX_TEXT_BODY_LENGTH = 4_096;

type BaseBody = {
  messaging_product: "whatsapp";
  recipient_type: "individual";
  to: string;
  biz_opaque_callback_data?: string;
  context?: { message_id: string };
};

export type TextParameterBody = { type: "text"; text: string; parameter_name?: string };
export type MediaParameterBody =
  | { type: "image"; image: { link: string } | { id: string } }
  | { type: "video"; video: { link: string } | { id: string } }
  | { type: "document"; document: ({ link: string } | { id: string }) & { filename?: string } };

export type TemplateComponentBody =
  | { type: "header"; parameters: (TextParameterBody | MediaParameterBody)[] }
  | { type: "body"; parameters: TextParameterBody[] }
  | { type: "button"; sub_type: "url"; index: string; parameters: [{ type: "text"; text: string }] }
  | { type: "button"; sub_type: "quick_reply"; index: string; parameters: [{ type: "payload"; payload: string }] };

/** The JSON body of `POST /{phone_number_id}/messages` for a free-text message. */
export type TextMessageBody = BaseBody & { type: "text"; text: { body: string; preview_url: boolean } };

/** The JSON body of `POST /{phone_number_id}/messages` for a template message. */
export type TemplateMessageBody = BaseBody & {
  type: "template";
  template: { name: string; language: { code: string }; components?: TemplateComponentBody[] };
};

export type MessageBody = TextMessageBody | TemplateMessageBody;

/**
 * The Cloud API body for a free-text message (only deliverable inside the 24 h window).
 * Throws a RangeError for an empty recipient, a body over 4,096 characters or callback data
 * over 512 characters: callers validate earlier, these are guards.
 *
 * @example
 * buildTextMessage({ to: "+55 11 98765-4321", body: "Hi!" });
 * // { messaging_product: "whatsapp", recipient_type: "individual", to: "5511987654321",
 * //   type: "text", text: { body: "Hi!", preview_url: false } }
 */
export function buildTextMessage(m: TextMessage): TextMessageBody {
  if (charCount(m.body) > MAX_TEXT_BODY_LENGTH) {
    throw new RangeError(`text body is ${charCount(m.body)} characters; the limit is ${MAX_TEXT_BODY_LENGTH}`);
  }
  return {
    ...base(m),
    type: "text",
    text: { body: m.body, preview_url: m.previewUrl ?? false },
    ...extras(m),
  };
}

/**
 * The Cloud API body for a template message: header, body and button parameters in the order
 * Meta expects. Positional parameters go in numeric order ("2" before "10"); named ones in the
 * order given, each with its `parameter_name`. Components without parameters are left out.
 * Throws a RangeError for a text parameter over 1,024 characters (naming the variable), callback
 * data over 512 characters, a non-numeric positional name or a button index outside 0–9.
 *
 * @example
 * buildTemplateMessage({ to: "+5511987654321", name: "welcome_offer", language: "pt_BR",
 *   parameterFormat: "positional", body: { "1": "Ana" } });
 * // { messaging_product: "whatsapp", recipient_type: "individual", to: "5511987654321", type: "template",
 * //   template: { name: "welcome_offer", language: { code: "pt_BR" },
 * //     components: [{ type: "body", parameters: [{ type: "text", text: "Ana" }] }] } }
 */
export function buildTemplateMessage(m: TemplateMessage): TemplateMessageBody {
  const components: TemplateComponentBody[] = [];

  if (m.header && "text" in m.header) {
    const parameters = textParameters(m.header.text, m.parameterFormat, "header");
    if (parameters.length > 0) components.push({ type: "header", parameters });
  } else if (m.header && "media" in m.header) {
    components.push({ type: "header", parameters: [mediaParameter(m.header.media.kind, m.header.media.value)] });
  }

  if (m.body) {
    const parameters = textParameters(m.body, m.parameterFormat, "body");
    if (parameters.length > 0) components.push({ type: "body", parameters });
  }

  for (const button of [...(m.buttons ?? [])].sort((a, b) => a.index - b.index)) {
    if (!Number.isInteger(button.index) || button.index < 0 || button.index > 9) {
      throw new RangeError(`button index must be 0–9, got ${button.index}`);
    }
    const index = String(button.index);
    if (button.subType === "url") {
      checkTextLength(button.text, `button ${index}`);
      components.push({ type: "button", sub_type: "url", index, parameters: [{ type: "text", text: button.text }] });
    } else {
      components.push({ type: "button", sub_type: "quick_reply", index, parameters: [{ type: "payload", payload: button.payload }] });
    }
  }

  return {
    ...base(m),
    type: "template",
    template: {
      name: m.name,
      language: { code: m.language },
      ...(components.length > 0 ? { components } : {}),
    },
    ...extras(m),
  };
}

/**
 * A short human description of an outbound body, for logs and the UI.
 *
 * @example
 * summarizeMessage(buildTemplateMessage({ to: "1", name: "welcome_offer", language: "pt_BR", parameterFormat: "positional" }));
 * // "template welcome_offer (pt_BR)"
 * summarizeMessage(buildTextMessage({ to: "1", body: "Hello\nthere" })); // "text: Hello there"
 */
export function summarizeMessage(body: MessageBody): string {
  if (body.type === "template") return `template ${body.template.name} (${body.template.language.code})`;
  if (body.type === "text") {
    const flat = body.text.body.replace(/\s+/g, " ").trim();
    const chars = [...flat];
    return `text: ${chars.length > SUMMARY_CHARS ? `${chars.slice(0, SUMMARY_CHARS).join("").trimEnd()}…` : flat}`;
  }
  return `message of type ${(body as { type?: unknown }).type}`;
}

const SUMMARY_CHARS = 60;

function base(m: SendOptions): BaseBody {
  const to = m.to.replace(/\D/g, "");
  if (to === "") throw new RangeError(`recipient has no digits: ${JSON.stringify(m.to)}`);
  return { messaging_product: "whatsapp", recipient_type: "individual", to };
}

function extras(m: SendOptions): Pick<BaseBody, "biz_opaque_callback_data" | "context"> {
  const out: Pick<BaseBody, "biz_opaque_callback_data" | "context"> = {};
  if (m.bizOpaqueCallbackData) {
    if (m.bizOpaqueCallbackData.length > MAX_CALLBACK_DATA_LENGTH) {
      throw new RangeError(`biz_opaque_callback_data is ${m.bizOpaqueCallbackData.length} characters; the limit is ${MAX_CALLBACK_DATA_LENGTH}`);
    }
    out.biz_opaque_callback_data = m.bizOpaqueCallbackData;
  }
  if (m.replyTo) out.context = { message_id: m.replyTo };
  return out;
}

function textParameters(values: Record<string, string>, format: TemplateMessage["parameterFormat"], component: string): TextParameterBody[] {
  const entries = Object.entries(values);
  if (format === "named") {
    return entries.map(([name, text]) => {
      checkTextLength(text, `${component} {{${name}}}`);
      return { type: "text", parameter_name: name, text };
    });
  }
  for (const [name] of entries) {
    if (!/^\d+$/.test(name)) throw new RangeError(`positional ${component} parameter names must be numbers, got ${JSON.stringify(name)}`);
  }
  return entries
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([name, text]) => {
      checkTextLength(text, `${component} {{${name}}}`);
      return { type: "text", text };
    });
}

function mediaParameter(kind: "image" | "video" | "document", value: MediaParameter): MediaParameterBody {
  const source = "link" in value ? { link: value.link } : { id: value.id };
  if (kind === "document") return { type: "document", document: value.filename ? { ...source, filename: value.filename } : source };
  // Meta's image and video objects have no filename.
  return kind === "image" ? { type: "image", image: source } : { type: "video", video: source };
}

function checkTextLength(text: string, variable: string): void {
  const length = charCount(text);
  if (length > MAX_TEXT_PARAMETER_LENGTH) {
    throw new RangeError(`template parameter ${variable} is ${length} characters; the limit is ${MAX_TEXT_PARAMETER_LENGTH.toLocaleString("en")}`);
  }
}

// Counted in code points, so an emoji counts once as a person (and Meta) would count it.
const charCount = (text: string) => {
  let n = 0;
  for (const _ of text) n++;
  return n;
};

import { z } from "zod";
import { type MetaTemplate, parameterFormat, type TemplateValues, templatePreview } from "../domain/templates";
import type { TemplateSend } from "./send-checks";

/**
 * What a simulated contact's phone shows: the messages the sandbox number sent it (text, or a
 * template rendered with the parameters of the send) and the messages the contact sent back (a
 * text, or a tap on a template's quick-reply button). Pure: the Durable Object stores the result.
 */

export const phoneButtonView = z.object({
  type: z.string().describe("QUICK_REPLY, URL, PHONE_NUMBER…"),
  text: z.string(),
  url: z.string().optional(),
  payload: z.string().optional().describe("quick replies: the payload a tap sends back (the send's payload, else the button text)"),
});

export const phoneContentView = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text"), body: z.string() }),
  z.object({
    type: z.literal("template"),
    name: z.string(),
    language: z.string(),
    header: z.object({ format: z.string(), text: z.string().optional(), link: z.string().optional() }).nullable(),
    body: z.string(),
    footer: z.string().nullable(),
    buttons: z.array(phoneButtonView),
  }),
  z.object({ type: z.literal("button"), text: z.string(), payload: z.string() }),
]);
export type PhoneContent = z.infer<typeof phoneContentView>;

type Parameter = NonNullable<NonNullable<TemplateSend["components"]>[number]["parameters"]>[number];

/** The text a parameter shows in the message (currencies and dates show their fallback). */
function shownText(p: Parameter): string | undefined {
  if (p.type === "text") return p.text;
  if (p.type === "currency") return p.currency.fallback_value;
  if (p.type === "date_time") return p.date_time.fallback_value;
  if (p.type === "coupon_code") return p.coupon_code;
  return undefined;
}

/** Text parameters keyed like the template's variables: "1", "2"… or their parameter names. */
function keyed(params: readonly Parameter[], named: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  params.forEach((p, i) => {
    const text = shownText(p);
    if (text === undefined) return;
    const name = named && "parameter_name" in p && p.parameter_name ? p.parameter_name : String(i + 1);
    out[name] = text;
  });
  return out;
}

/**
 * A template send as its recipient sees it: placeholders filled from the send's parameters, a
 * media header with its link, and each quick-reply button with the payload a tap returns.
 * @example renderTemplateSend(welcomeOffer, { name: "welcome_offer", language: { code: "pt_BR" },
 *   components: [{ type: "body", parameters: [{ type: "text", text: "Ana" }, { type: "text", text: "OI10" }] }] })
 * // { type: "template", body: "Olá Ana! … use o cupom OI10 …", buttons: [{ type: "QUICK_REPLY", text: "Quero!", payload: "Quero!" }, …], … }
 */
export function renderTemplateSend(template: Pick<MetaTemplate, "components" | "parameter_format">, send: TemplateSend): PhoneContent {
  const named = parameterFormat(template) === "named";
  const components = send.components ?? [];
  const values: TemplateValues = {};
  const payloads = new Map<number, string>();
  for (const c of components) {
    const params = c.parameters ?? [];
    if (c.type === "header") {
      const media = params.find((p) => p.type === "image" || p.type === "video" || p.type === "document");
      if (media && "image" in media) values.media = mediaOf(media.image);
      else if (media && "video" in media) values.media = mediaOf(media.video);
      else if (media && "document" in media) values.media = mediaOf(media.document);
      else values.header = keyed(params, named);
    } else if (c.type === "body") {
      values.body = keyed(params, named);
    } else if (c.type === "button" && c.index !== undefined) {
      const first = params[0];
      if (c.sub_type === "quick_reply" && first?.type === "payload") payloads.set(Number(c.index), first.payload);
      else if (c.sub_type === "url" && first && first.type === "text") (values.buttons ??= {})[c.index] = first.text;
    }
  }
  const preview = templatePreview(template.components, values);
  return {
    type: "template",
    name: send.name,
    language: send.language.code,
    header: preview.header,
    body: preview.body,
    footer: preview.footer,
    buttons: preview.buttons.map((b, index) => (b.type === "QUICK_REPLY" ? { ...b, payload: payloads.get(index) ?? b.text } : b)),
  };
}

function mediaOf(m: { link?: string | undefined; id?: string | undefined }): { link?: string; id?: string } {
  return m.link ? { link: m.link } : m.id ? { id: m.id } : {};
}

/** A short one-line description of a message, for the list of contacts. */
export function previewOf(content: PhoneContent): string {
  const text = content.type === "template" ? content.body : content.type === "button" ? content.text : content.body;
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 80 ? `${flat.slice(0, 79).trimEnd()}…` : flat;
}

/** Callback data Herald sets on a campaign's sends: `herald:c:<campaignId>:<recipientId>`. */
const CAMPAIGN_CALLBACK = /^herald:c:(\d+):(\d+)$/;

export function campaignOf(callback: string | null): { campaignId: number; recipientId: number } | null {
  const match = CAMPAIGN_CALLBACK.exec(callback ?? "");
  return match ? { campaignId: Number(match[1]), recipientId: Number(match[2]) } : null;
}

/** Forward-only order of an outbound message's status on the phone. */
export const PHONE_STATUS_RANK: Record<string, number> = { accepted: 0, sent: 1, failed: 2, delivered: 3, read: 4 };

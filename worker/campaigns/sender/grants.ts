import { type RenderContact, renderText, resolveTemplateValues } from "../../domain/campaign-render";
import type { RecipientRow } from "./store";
import type { CampaignConfig, Grant } from "./types";

/** The message one claimed recipient gets, or the contact fields it lacks (it then fails without a send). */
export function grantFor(config: CampaignConfig, row: RecipientRow, contact: RenderContact, claim: number): Grant | { missing: string[] } {
  const base = { id: row.id, claim, to: row.phone, inboundAt: row.inbound_at ?? null, callbackData: `herald:c:${config.campaignId}:${row.id}` };
  if (config.content.type === "text") {
    const variant = config.content.variants[row.variant ?? 0] ?? config.content.variants[0]!;
    const rendered = renderText(variant, contact);
    if (!rendered.ok) return { missing: rendered.missing };
    return { ...base, message: { kind: "text", body: rendered.text, previewUrl: config.content.preview_url ?? false } };
  }
  const values = resolveTemplateValues(config.content.values, contact);
  if (!values.ok) return { missing: values.missing };
  return { ...base, message: { kind: "template", values: values.values } };
}

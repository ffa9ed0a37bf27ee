import { z } from "zod";

/** What the API shows of a contact; also feeds the OpenAPI document. */
export const labelRef = z.object({ id: z.number(), name: z.string(), color: z.string() });
export const contactView = z.object({
  id: z.number(),
  name: z.string(),
  phone: z.string(),
  attributes: z.record(z.string(), z.string()),
  labels: z.array(labelRef),
  opted_out: z.boolean(),
  opted_out_at: z.string().nullable(),
  /** When the contact stopped marketing messages at WhatsApp (read-only; null: marketing templates reach them). */
  marketing_stopped_at: z.string().nullable(),
  last_inbound_at: z.string().nullable(),
  created_at: z.string().nullable(),
  updated_at: z.string().nullable(),
});

/** What an audience would reach: counts and a sample. */
export const previewView = z.object({
  total: z.number().describe("contacts that would receive the campaign"),
  matched: z.number().describe("contacts matching the labels, before opt-outs are removed"),
  opted_out_excluded: z.number(),
  outside_window: z.number().describe("of total, contacts with no inbound message in the last 24 hours: only a template reaches them"),
  sample: z.array(contactView),
});

/** What a CSV import did, with each refused line and why. */
export const importResult = z.object({
  created: z.number(),
  updated: z.number(),
  skipped: z.number(),
  errors: z.array(z.object({ line: z.number(), reason: z.string() })),
  errors_truncated: z.boolean(),
});

/** What a bulk label change did: contacts matched, and those whose labels changed. */
export const bulkLabelResultView = z.object({ matched: z.number(), changed: z.number() });

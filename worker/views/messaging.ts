import { z } from "zod";

/** What the API shows of a synced template: its variables as Herald reads them from the components. */
export const variableView = z.object({
  component: z.enum(["header", "body", "button"]),
  button_index: z.number().optional(),
  name: z.string(),
  kind: z.enum(["text", "image", "video", "document", "location"]),
  example: z.string().optional(),
});
export const templateView = z.object({
  id: z.number(),
  meta_id: z.string(),
  name: z.string(),
  language: z.string(),
  status: z.string(),
  category: z.string(),
  parameter_format: z.enum(["positional", "named"]),
  components: z.array(z.unknown()),
  variables: z.array(variableView),
  synced_at: z.string().nullable(),
});

/** What the API shows of a single message and of each status WhatsApp reported for it. */
export const eventView = z.object({
  status: z.string(),
  occurred_at: z.string().nullable(),
  received_at: z.string().nullable(),
  error_code: z.number().nullable(),
  error_title: z.string().nullable(),
});
export const messageView = z.object({
  id: z.number(),
  inbox_id: z.number(),
  contact_id: z.number().nullable(),
  to: z.string(),
  kind: z.enum(["text", "template"]),
  template_name: z.string().nullable(),
  content: z.unknown(),
  wamid: z.string().nullable(),
  status: z.string(),
  error_code: z.number().nullable(),
  error_title: z.string().nullable(),
  created_at: z.string().nullable(),
  updated_at: z.string().nullable(),
});

/** What a template sync changed. */
export const templateSyncView = z.object({ synced: z.number(), removed: z.number() });

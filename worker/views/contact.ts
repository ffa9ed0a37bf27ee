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
  last_inbound_at: z.string().nullable(),
  created_at: z.string().nullable(),
  updated_at: z.string().nullable(),
});

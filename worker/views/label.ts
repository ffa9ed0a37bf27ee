import { z } from "zod";

/** What the API shows of a label, with how many contacts carry it. */
export const labelView = z.object({ id: z.number(), name: z.string(), color: z.string(), contact_count: z.number(), created_at: z.string().nullable() });

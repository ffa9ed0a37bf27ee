import { z } from "zod";
import type { ProviderError } from "../domain/provider";

/** What the API shows of a provider's refusal: Meta's code and words, and Herald's policy for it. */
export const providerErrorView = z.object({
  policy: z.string(),
  code: z.number().optional(),
  title: z.string(),
  message: z.string(),
  details: z.string().optional(),
});
export const toProviderErrorView = (e: ProviderError): z.infer<typeof providerErrorView> => ({
  policy: e.policy,
  ...(e.code === undefined ? {} : { code: e.code }),
  title: e.title,
  message: e.message,
  ...(e.details ? { details: e.details } : {}),
});

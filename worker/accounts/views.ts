import { z } from "zod";
import { isoOrNull } from "../db/client";
import type { User, Workspace } from "../db/schema";
import { isCountryCode } from "../domain/phone";
import type { userView, workspaceView } from "../views/accounts";

export const toUserView = (u: Pick<User, "id" | "email" | "name" | "role" | "createdAt">): z.infer<typeof userView> => ({
  id: u.id,
  email: u.email,
  name: u.name,
  role: u.role,
  created_at: isoOrNull(u.createdAt),
});

export const toWorkspaceView = (
  w: Pick<Workspace, "id" | "name" | "defaultCountry" | "optOutKeywords" | "attributionWindowHours" | "frequencyCapMessages" | "frequencyCapDays">,
): z.infer<typeof workspaceView> => ({
  id: w.id,
  name: w.name,
  default_country: w.defaultCountry,
  opt_out_keywords: JSON.parse(w.optOutKeywords) as string[],
  attribution_window_hours: w.attributionWindowHours,
  frequency_cap_messages: w.frequencyCapMessages,
  frequency_cap_days: w.frequencyCapDays,
});

export const email = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email({ message: "must be an email address" }))
  .refine((e) => e.length <= 254, "must be at most 254 characters");

export const password = z.string().min(10, "must be at least 10 characters").max(200, "must be at most 200 characters");

export const personName = z.string().trim().max(100, "must be at most 100 characters");

/** A workspace's default phone country: ISO 3166-1 alpha-2, upper-cased. */
export const countryCode = z.string().trim().toUpperCase().refine(isCountryCode, "must be an ISO 3166-1 alpha-2 country code such as BR or US");

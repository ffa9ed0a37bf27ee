import { Hono } from "hono";
import { z } from "zod";
import { countryCode } from "../accounts/views";
import { recordAudit } from "../audit/record";
import { deleteOverride, effectiveCard, putOverride } from "../costs/rates";
import { MONEY_DECIMALS, parseUsd } from "../domain/money";
import { PHONE_COUNTRIES } from "../domain/phone-country";
import { PRICED_CATEGORIES } from "../domain/rate-card";
import type { AppEnv } from "../lib/context";
import { describe, validate } from "../lib/validate";
import { requireAdmin } from "../middleware/auth";
import { rateCardView, rateOverrideView } from "../views/cost";

/** The highest rate an override may set: far above any WhatsApp price, so a slip of the decimal point is refused. */
const MAX_RATE_USD = 10;

const RATE_MESSAGE = `must be an amount of US dollars from 0 to ${MAX_RATE_USD} with at most ${MONEY_DECIMALS} decimals, written with a point, e.g. "0.0625"`;

/** A rate in US dollars, as a decimal string (or a JSON number written the same way), read as exact micro-dollars. */
const rate = z.union([z.string().trim(), z.number().transform(String)], { error: RATE_MESSAGE }).transform((text, ctx) => {
  const micros = parseUsd(text);
  if (micros === null || micros > MAX_RATE_USD * 1_000_000) {
    ctx.addIssue({ code: "custom", message: RATE_MESSAGE });
    return z.NEVER;
  }
  return micros;
});

const category = z.enum(PRICED_CATEGORIES, { error: `must be one of ${PRICED_CATEGORIES.join(", ")}` });
const overrideKey = z.object({ country: countryCode, category });
const overrideInput = overrideKey.extend({ rate });

export const rateRoutes = new Hono<AppEnv>()
  .get(
    "/",
    describe({
      summary: "The rate card in force: WhatsApp's per-message rates shipped with Herald (effective date and source), with the workspace's overrides",
      tags: ["rates"],
      access: "user",
      responses: { 200: { description: "rates", schema: rateCardView } },
    }),
    async (c) => c.json(await effectiveCard(c.get("db"), c.get("principal").workspaceId, PHONE_COUNTRIES)),
  )
  .put(
    "/overrides",
    requireAdmin,
    describe({
      summary: "Set the workspace's rate for one country and template category (replaces an earlier override of the pair)",
      tags: ["rates"],
      access: "admin",
      responses: { 200: { description: "the override", schema: rateOverrideView } },
    }),
    validate("json", overrideInput),
    async (c) => {
      const input = c.req.valid("json");
      const p = c.get("principal");
      const override = await putOverride(c.get("db"), { workspaceId: p.workspaceId, userId: p.userId, ...input });
      await recordAudit(c.get("db"), c, {
        action: "workspace.rate_override",
        subjectId: p.workspaceId,
        detail: { country: input.country, category: input.category, rate_micros: input.rate },
      });
      return c.json(override);
    },
  )
  .delete(
    "/overrides",
    requireAdmin,
    describe({
      summary: "Remove the workspace's rate for one country and template category: the shipped card's rate applies again",
      tags: ["rates"],
      access: "admin",
      responses: { 204: { description: "removed" }, 404: { description: "the workspace has no override for that country and category" } },
    }),
    validate("query", overrideKey),
    async (c) => {
      const { country, category } = c.req.valid("query");
      await deleteOverride(c.get("db"), c.get("principal").workspaceId, country, category);
      await recordAudit(c.get("db"), c, { action: "workspace.rate_override_remove", subjectId: c.get("principal").workspaceId, detail: { country, category } });
      return c.body(null, 204);
    },
  );

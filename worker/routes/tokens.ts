import { and, desc, eq } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { auditStatement, JUST_INSERTED } from "../audit/record";
import { isoOrNull } from "../db/client";
import { apiTokens } from "../db/schema";
import type { AppEnv, Principal } from "../lib/context";
import { randomToken, sha256Hex } from "../lib/crypto";
import { notFound } from "../lib/errors";
import { API_TOKEN_PREFIX } from "../lib/sessions";
import { describe, idParam, validate } from "../lib/validate";

const tokenView = z.object({
  id: z.number(),
  name: z.string(),
  prefix: z.string(),
  user_id: z.number(),
  last_used_at: z.string().nullable(),
  created_at: z.string().nullable(),
});

const toTokenView = (t: typeof apiTokens.$inferSelect): z.infer<typeof tokenView> => ({
  id: t.id,
  name: t.name,
  prefix: t.prefix,
  user_id: t.userId,
  last_used_at: isoOrNull(t.lastUsedAt),
  created_at: isoOrNull(t.createdAt),
});

/** Admins see and revoke every token of the workspace; operators only their own. */
const visibleTo = (p: Principal) =>
  p.role === "admin" ? eq(apiTokens.workspaceId, p.workspaceId) : and(eq(apiTokens.workspaceId, p.workspaceId), eq(apiTokens.userId, p.userId));

export const tokenRoutes = new Hono<AppEnv>()
  .get(
    "/",
    describe({
      summary: "List API tokens (never their values)",
      tags: ["tokens"],
      access: "user",
      responses: { 200: { description: "tokens", schema: z.object({ data: z.array(tokenView) }) } },
    }),
    async (c) => {
      const rows = await c
        .get("db")
        .select()
        .from(apiTokens)
        .where(visibleTo(c.get("principal")))
        .orderBy(desc(apiTokens.id));
      return c.json({ data: rows.map(toTokenView) });
    },
  )
  .post(
    "/",
    describe({
      summary: "Create an API token for the caller; its value is shown only in this answer, and a new password for its user revokes it",
      tags: ["tokens"],
      access: "user",
      responses: { 201: { description: "created", schema: tokenView.extend({ token: z.string() }) } },
    }),
    validate("json", z.object({ name: z.string().trim().min(1, "is required").max(100) })),
    async (c) => {
      const p = c.get("principal");
      const token = `${API_TOKEN_PREFIX}${randomToken(32)}`;
      const { name } = c.req.valid("json");
      const db = c.get("db");
      const [[row]] = await db.batch([
        db
          .insert(apiTokens)
          .values({
            workspaceId: p.workspaceId,
            userId: p.userId,
            name,
            prefix: token.slice(0, API_TOKEN_PREFIX.length + 6),
            tokenHash: await sha256Hex(token),
          })
          .returning(),
        auditStatement(db, c, { action: "token.create", subjectId: JUST_INSERTED, detail: { name } }),
      ]);
      return c.json({ ...toTokenView(row!), token }, 201);
    },
  )
  .delete(
    "/:id",
    describe({ summary: "Revoke an API token", tags: ["tokens"], access: "user", responses: { 204: { description: "revoked" } } }),
    validate("param", idParam),
    async (c) => {
      const { id } = c.req.valid("param");
      const db = c.get("db");
      const mine = and(eq(apiTokens.id, id), visibleTo(c.get("principal")));
      const token = await db.select({ name: apiTokens.name, userId: apiTokens.userId }).from(apiTokens).where(mine).get();
      if (!token) throw notFound("API token", id);
      const [deleted] = await db.batch([
        db.delete(apiTokens).where(mine).returning({ id: apiTokens.id }),
        auditStatement(db, c, { action: "token.revoke", subjectId: id, detail: { name: token.name, owner_user_id: token.userId } }, { ifChanged: true }),
      ]);
      if (deleted.length === 0) throw notFound("API token", id);
      return c.body(null, 204);
    },
  );

import { and, asc, eq, ne } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { email, password, personName, toUserView } from "../accounts/views";
import { auditStatement, JUST_INSERTED } from "../audit/record";
import type { Db } from "../db/client";
import { duplicateAs } from "../db/client";
import { users } from "../db/schema";
import { changedFields } from "../domain/audit";
import type { AppEnv } from "../lib/context";
import { hashPassword } from "../lib/crypto";
import { ApiError, notFound } from "../lib/errors";
import { currentSessionHash, passwordChangeRevocations } from "../lib/sessions";
import { describe, idParam, validate } from "../lib/validate";
import { requireAdmin } from "../middleware/auth";
import { userView } from "../views/accounts";

const role = z.enum(["admin", "operator"]);
const createInput = z.object({ email, name: personName.default(""), password, role: role.default("operator") });
const updateInput = z
  .object({ name: personName, role, password })
  .partial()
  .refine((v) => Object.keys(v).length > 0, "give at least one of name, role, password");

/** Admin-only: the people of the workspace. */
export const userRoutes = new Hono<AppEnv>()
  .use(requireAdmin)
  .get(
    "/",
    describe({
      summary: "List users",
      tags: ["users"],
      access: "admin",
      responses: { 200: { description: "users", schema: z.object({ data: z.array(userView) }) } },
    }),
    async (c) => {
      const rows = await c
        .get("db")
        .select()
        .from(users)
        .where(eq(users.workspaceId, c.get("principal").workspaceId))
        .orderBy(asc(users.id));
      return c.json({ data: rows.map(toUserView) });
    },
  )
  .post(
    "/",
    describe({
      summary: "Create a user (operator by default) with a first password",
      tags: ["users"],
      access: "admin",
      responses: { 201: { description: "created", schema: userView } },
    }),
    validate("json", createInput),
    async (c) => {
      const input = c.req.valid("json");
      const passwordHash = await hashPassword(input.password);
      try {
        const db = c.get("db");
        const [[row]] = await db.batch([
          db
            .insert(users)
            .values({ workspaceId: c.get("principal").workspaceId, email: input.email, name: input.name, role: input.role, passwordHash })
            .returning(),
          auditStatement(db, c, { action: "user.create", subjectId: JUST_INSERTED, detail: { email: input.email, role: input.role } }),
        ]);
        return c.json(toUserView(row!), 201);
      } catch (error) {
        throw await duplicateAs(error, () => new ApiError("conflict", `a user with email ${input.email} already exists`));
      }
    },
  )
  .patch(
    "/:id",
    describe({
      summary: "Change a user's name, role or password (a new password ends their sessions, but the caller's own, and revokes their API tokens)",
      tags: ["users"],
      access: "admin",
      responses: { 200: { description: "updated", schema: userView } },
    }),
    validate("param", idParam),
    validate("json", updateInput),
    async (c) => {
      const { id } = c.req.valid("param");
      const input = c.req.valid("json");
      const principal = c.get("principal");
      const { workspaceId } = principal;
      const db = c.get("db");
      const user = await db
        .select()
        .from(users)
        .where(and(eq(users.id, id), eq(users.workspaceId, workspaceId)))
        .get();
      if (!user) throw notFound("user", id);
      if (input.role === "operator" && user.role === "admin") await assertAnotherAdmin(db, workspaceId, id);
      const update = db
        .update(users)
        .set({
          ...(input.name === undefined ? {} : { name: input.name }),
          ...(input.role === undefined ? {} : { role: input.role }),
          ...(input.password === undefined ? {} : { passwordHash: await hashPassword(input.password) }),
          updatedAt: Math.floor(Date.now() / 1000),
        })
        .where(and(eq(users.id, id), eq(users.workspaceId, workspaceId)))
        .returning();
      // A new password signs the user out everywhere and revokes their API tokens; a user who
      // changes their own password keeps the session they did it from.
      const keep = principal.userId === id && principal.via === "session" ? await currentSessionHash(c) : null;
      const audit = auditStatement(db, c, { action: userChangeAction(input, user.role), subjectId: id, detail: userChangeDetail(input, user.role) });
      const [updated] =
        input.password === undefined ? await db.batch([update, audit]) : await db.batch([update, ...passwordChangeRevocations(db, user, keep), audit]);
      const row = updated[0];
      return c.json(toUserView(row!));
    },
  )
  .delete(
    "/:id",
    describe({
      summary: "Delete a user (their sessions and API tokens go with them)",
      tags: ["users"],
      access: "admin",
      responses: { 204: { description: "deleted" } },
    }),
    validate("param", idParam),
    async (c) => {
      const { id } = c.req.valid("param");
      const principal = c.get("principal");
      if (id === principal.userId) throw new ApiError("conflict", "you cannot delete yourself");
      const db = c.get("db");
      const user = await db
        .select()
        .from(users)
        .where(and(eq(users.id, id), eq(users.workspaceId, principal.workspaceId)))
        .get();
      if (!user) throw notFound("user", id);
      if (user.role === "admin") await assertAnotherAdmin(db, principal.workspaceId, id);
      await db.batch([
        db.delete(users).where(and(eq(users.id, id), eq(users.workspaceId, principal.workspaceId))),
        auditStatement(db, c, { action: "user.delete", subjectId: id, detail: { email: user.email } }, { ifChanged: true }),
      ]);
      return c.body(null, 204);
    },
  );

type UserChange = z.infer<typeof updateInput>;

/** One event per change: a new password, else a new role, else an edit. */
function userChangeAction(input: UserChange, currentRole: string) {
  if (input.password !== undefined) return "user.password_reset" as const;
  if (input.role !== undefined && input.role !== currentRole) return "user.role_change" as const;
  return "user.update" as const;
}

/** The fields changed (a password by name only) and, for a new role, the old and new one. */
function userChangeDetail(input: UserChange, currentRole: string): Record<string, unknown> {
  const roleChanged = input.role !== undefined && input.role !== currentRole;
  return { fields: changedFields(input), ...(roleChanged ? { role: { from: currentRole, to: input.role } } : {}) };
}

async function assertAnotherAdmin(db: Db, workspaceId: number, exceptId: number) {
  const other = await db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.workspaceId, workspaceId), eq(users.role, "admin"), ne(users.id, exceptId)))
    .limit(1)
    .get();
  if (!other) throw new ApiError("conflict", "the workspace must keep at least one admin");
}

import { and, asc, eq, sql } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { deleteOwned, duplicateAs, isoOrNull } from "../db/client";
import { contactLabels, labels } from "../db/schema";
import type { AppEnv } from "../lib/context";
import { ApiError, notFound } from "../lib/errors";
import { describe, idParam, validate } from "../lib/validate";
import { labelView } from "../views/label";

export const labelName = z.string().trim().min(1, "is required").max(50, "must be at most 50 characters");
const color = z.string().regex(/^#[0-9a-fA-F]{6}$/, "must be a colour like #22c55e");
const labelInput = z.object({ name: labelName, color: color.optional() });
const labelPatch = labelInput.partial().refine((v) => Object.keys(v).length > 0, "give name or color");

const contactCount = sql<number>`(SELECT count(*) FROM ${contactLabels} WHERE ${contactLabels.labelId} = ${labels.id})`.as("contact_count");

function toLabelView(l: { id: number; name: string; color: string; createdAt: number; contactCount?: number }): z.infer<typeof labelView> {
  return { id: l.id, name: l.name, color: l.color, contact_count: l.contactCount ?? 0, created_at: isoOrNull(l.createdAt) };
}

const duplicateName = (name: string) => new ApiError("conflict", `a label named "${name}" already exists`);

export const labelRoutes = new Hono<AppEnv>()
  .get(
    "/",
    describe({
      summary: "List labels with their contact counts",
      tags: ["labels"],
      access: "user",
      responses: { 200: { description: "labels", schema: z.object({ data: z.array(labelView) }) } },
    }),
    async (c) => {
      const rows = await c
        .get("db")
        .select({ id: labels.id, name: labels.name, color: labels.color, createdAt: labels.createdAt, contactCount })
        .from(labels)
        .where(eq(labels.workspaceId, c.get("principal").workspaceId))
        .orderBy(asc(sql`${labels.name} COLLATE NOCASE`));
      return c.json({ data: rows.map(toLabelView) });
    },
  )
  .get(
    "/:id",
    describe({ summary: "One label", tags: ["labels"], access: "user", responses: { 200: { description: "label", schema: labelView } } }),
    validate("param", idParam),
    async (c) => {
      const { id } = c.req.valid("param");
      const row = await c
        .get("db")
        .select({ id: labels.id, name: labels.name, color: labels.color, createdAt: labels.createdAt, contactCount })
        .from(labels)
        .where(and(eq(labels.id, id), eq(labels.workspaceId, c.get("principal").workspaceId)))
        .get();
      if (!row) throw notFound("label", id);
      return c.json(toLabelView(row));
    },
  )
  .post(
    "/",
    describe({ summary: "Create a label", tags: ["labels"], access: "user", responses: { 201: { description: "created", schema: labelView } } }),
    validate("json", labelInput),
    async (c) => {
      const input = c.req.valid("json");
      try {
        const row = await c
          .get("db")
          .insert(labels)
          .values({ workspaceId: c.get("principal").workspaceId, name: input.name, ...(input.color ? { color: input.color } : {}) })
          .returning()
          .get();
        return c.json(toLabelView(row), 201);
      } catch (e) {
        throw await duplicateAs(e, () => duplicateName(input.name));
      }
    },
  )
  .patch(
    "/:id",
    describe({ summary: "Rename or recolour a label", tags: ["labels"], access: "user", responses: { 200: { description: "updated", schema: labelView } } }),
    validate("param", idParam),
    validate("json", labelPatch),
    async (c) => {
      const { id } = c.req.valid("param");
      const input = c.req.valid("json");
      const { workspaceId } = c.get("principal");
      const db = c.get("db");
      try {
        const row = await db
          .update(labels)
          .set(input)
          .where(and(eq(labels.id, id), eq(labels.workspaceId, workspaceId)))
          .returning()
          .get();
        if (!row) throw notFound("label", id);
      } catch (e) {
        throw await duplicateAs(e, () => duplicateName(input.name ?? ""));
      }
      const row = await db
        .select({ id: labels.id, name: labels.name, color: labels.color, createdAt: labels.createdAt, contactCount })
        .from(labels)
        .where(eq(labels.id, id))
        .get();
      return c.json(toLabelView(row!));
    },
  )
  .delete(
    "/:id",
    describe({
      summary: "Delete a label; its contacts stay, only the label is detached",
      tags: ["labels"],
      access: "user",
      responses: { 204: { description: "deleted" } },
    }),
    validate("param", idParam),
    async (c) => {
      const { id } = c.req.valid("param");
      await deleteOwned(c.get("db"), labels, id, c.get("principal").workspaceId, "label");
      return c.body(null, 204);
    },
  );

import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { countryCode, email, password, personName, toUserView, toWorkspaceView } from "../accounts/views";
import { users, workspaces } from "../db/schema";
import { loadDemo } from "../demo/load";
import { demoOnSetup, sandboxEnabled, setupSecret, setupSecretRequired } from "../lib/config";
import type { AppEnv } from "../lib/context";
import { burnPasswordCheck, hashPassword, sha256Hex, timingSafeEqual, verifyPassword } from "../lib/crypto";
import { ApiError } from "../lib/errors";
import { logEvent } from "../lib/log";
import { clearFailures, lockedFor, recordFailure, throttleKeys } from "../lib/login-throttle";
import { endSession, startSession } from "../lib/sessions";
import { describe, validate } from "../lib/validate";
import { sessionView } from "../views/accounts";

const setupInput = z.object({
  workspace_name: z.string().trim().min(1, "is required").max(100),
  name: personName.min(1, "is required"),
  email,
  password,
  default_country: countryCode.default("BR"),
  /** Load the demo (sandbox inbox, templates, contacts); the deployment's DEMO_ON_SETUP decides when absent. */
  load_demo: z.boolean().optional(),
  /** The deployment's SETUP_SECRET; required outside local development (see GET /api/auth/setup). */
  setup_secret: z.string().max(1000).optional(),
});

const loginInput = z.object({ email, password: z.string().min(1, "is required").max(200) });

const featuresOf = (env: Env): z.infer<typeof sessionView>["features"] => ({ sandbox: sandboxEnabled(env) });
const setupView = sessionView.extend({
  demo: z.object({ inbox_id: z.number(), templates: z.number(), labels: z.number(), contacts_created: z.number() }).optional(),
  demo_error: z.string().optional(),
});

/**
 * Whoever reaches a fresh deployment first would otherwise make themselves its admin: outside
 * local development setup needs the deployment's SETUP_SECRET, and is closed while none is set.
 */
async function assertSetupSecret(env: Env, given: string | undefined): Promise<void> {
  if (!setupSecretRequired(env)) return;
  const expected = setupSecret(env);
  if (expected === null) {
    throw new ApiError(
      "not_configured",
      "first-run setup is closed: outside local development it needs a setup secret; set one with `wrangler secret put SETUP_SECRET` and send it as setup_secret",
    );
  }
  if (!given?.trim()) {
    throw new ApiError("forbidden", "setup_secret is required on this deployment", [
      { path: "setup_secret", message: "is required: the deployment's SETUP_SECRET" },
    ]);
  }
  // Digests of equal length: the comparison reveals neither where nor whether the lengths differ.
  if (!timingSafeEqual(await sha256Hex(given.trim()), await sha256Hex(expected))) {
    throw new ApiError("forbidden", "setup_secret is wrong", [{ path: "setup_secret", message: "does not match the deployment's SETUP_SECRET" }]);
  }
}

export const authRoutes = new Hono<AppEnv>()
  .get(
    "/setup",
    describe({
      summary: "Whether Herald still needs its first admin",
      tags: ["auth"],
      access: "public",
      responses: {
        200: {
          description: "setup state",
          schema: z.object({
            setup_required: z.boolean(),
            setup_secret_required: z.boolean().describe("POST /api/auth/setup must carry setup_secret (the deployment's SETUP_SECRET)"),
          }),
        },
      },
    }),
    async (c) => {
      const any = await c.get("db").select({ id: users.id }).from(users).limit(1).get();
      return c.json({ setup_required: !any, setup_secret_required: setupSecretRequired(c.env) });
    },
  )
  .post(
    "/setup",
    describe({
      summary: "Create the first workspace and its admin (refused once any user exists); outside local development it needs setup_secret",
      tags: ["auth"],
      access: "public",
      responses: { 201: { description: "signed in as the new admin", schema: setupView } },
    }),
    validate("json", setupInput),
    async (c) => {
      const input = c.req.valid("json");
      const db = c.get("db");
      if (await db.select({ id: users.id }).from(users).limit(1).get()) {
        throw new ApiError("already_set_up", "Herald is already set up; sign in instead");
      }
      await assertSetupSecret(c.env, input.setup_secret);
      const passwordHash = await hashPassword(input.password);
      // Both inserts are guarded in one transaction, so two racing setups cannot both win.
      const d1 = db.$client;
      const [, created] = await d1.batch<{ id: number; workspace_id: number }>([
        d1
          .prepare("INSERT INTO workspaces (name, default_country) SELECT ?, ? WHERE NOT EXISTS (SELECT 1 FROM users)")
          .bind(input.workspace_name, input.default_country),
        d1
          .prepare(
            `INSERT INTO users (workspace_id, email, name, password_hash, role)
             SELECT last_insert_rowid(), ?, ?, ?, 'admin' WHERE NOT EXISTS (SELECT 1 FROM users) AND changes() = 1
             RETURNING id, workspace_id`,
          )
          .bind(input.email, input.name, passwordHash),
      ]);
      const row = created!.results[0];
      if (!row) throw new ApiError("already_set_up", "Herald is already set up; sign in instead");
      const user = await db.select().from(users).where(eq(users.id, row.id)).get();
      const workspace = await db.select().from(workspaces).where(eq(workspaces.id, row.workspace_id)).get();
      await startSession(c, { id: row.id, workspaceId: row.workspace_id });
      const answer = { user: toUserView(user!), workspace: toWorkspaceView(workspace!), features: featuresOf(c.env) };
      if (!(input.load_demo ?? demoOnSetup(c.env))) return c.json(answer, 201);
      try {
        const demo = await loadDemo(c.env, db, row.workspace_id, new URL(c.req.url).origin, c.executionCtx);
        return c.json({ ...answer, demo }, 201);
      } catch (error) {
        // The workspace exists either way; the demo can be loaded again from POST /api/demo.
        logEvent("error", "setup.demo_failed", { error });
        return c.json({ ...answer, demo_error: (error as Error).message }, 201);
      }
    },
  )
  .post(
    "/login",
    describe({
      summary: "Sign in with email and password; sets the session cookie",
      tags: ["auth"],
      access: "public",
      responses: { 200: { description: "signed in", schema: sessionView } },
    }),
    validate("json", loginInput),
    async (c) => {
      const { email, password } = c.req.valid("json");
      const db = c.get("db");
      const keys = throttleKeys(email, c.req.header("cf-connecting-ip"));
      const wait = await lockedFor(db, keys);
      if (wait > 0) {
        throw new ApiError("too_many_requests", `too many failed sign-ins from this client; try again in ${Math.ceil(wait / 60)} min`, undefined, {
          "Retry-After": String(wait),
        });
      }
      const user = await db.select().from(users).where(eq(users.email, email)).get();
      const ok = user ? await verifyPassword(password, user.passwordHash) : (await burnPasswordCheck(password), false);
      if (!user || !ok) {
        await recordFailure(db, keys);
        throw new ApiError("unauthorized", "wrong email or password");
      }
      await clearFailures(db, keys);
      const workspace = await db.select().from(workspaces).where(eq(workspaces.id, user.workspaceId)).get();
      await startSession(c, user);
      return c.json({ user: toUserView(user), workspace: toWorkspaceView(workspace!), features: featuresOf(c.env) });
    },
  )
  .post(
    "/logout",
    describe({ summary: "End the current session", tags: ["auth"], access: "public", responses: { 204: { description: "signed out" } } }),
    async (c) => {
      await endSession(c);
      return c.body(null, 204);
    },
  )
  .get(
    "/me",
    describe({
      summary: "The signed-in user and workspace, and the deployment's features",
      tags: ["auth"],
      access: "user",
      responses: { 200: { description: "current user", schema: sessionView.extend({ via: z.enum(["session", "token"]) }) } },
    }),
    async (c) => {
      const p = c.get("principal");
      const db = c.get("db");
      const user = await db.select().from(users).where(eq(users.id, p.userId)).get();
      const workspace = await db.select().from(workspaces).where(eq(workspaces.id, p.workspaceId)).get();
      return c.json({ user: toUserView(user!), workspace: toWorkspaceView(workspace!), features: featuresOf(c.env), via: p.via });
    },
  );

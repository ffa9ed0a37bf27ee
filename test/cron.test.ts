import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import worker from "../worker/index";

it("purges expired sessions, sessions past their lifetime and stale login attempts", async () => {
  const ws = await env.DB.prepare("INSERT INTO workspaces (name) VALUES ('w') RETURNING id").first<{ id: number }>();
  const user = await env.DB.prepare("INSERT INTO users (workspace_id, email, password_hash, role) VALUES (?, 'a@b.test', 'x', 'admin') RETURNING id")
    .bind(ws!.id)
    .first<{ id: number }>();
  const now = Math.floor(Date.now() / 1000);
  await env.DB.batch([
    env.DB.prepare("INSERT INTO sessions (id_hash, user_id, workspace_id, expires_at) VALUES ('old', ?, ?, ?)").bind(user!.id, ws!.id, now - 10),
    env.DB.prepare("INSERT INTO sessions (id_hash, user_id, workspace_id, expires_at) VALUES ('live', ?, ?, ?)").bind(user!.id, ws!.id, now + 3600),
    // Past the 30 days a session may live, whatever its idle expiry says.
    env.DB.prepare("INSERT INTO sessions (id_hash, user_id, workspace_id, created_at, expires_at) VALUES ('aged', ?, ?, ?, ?)").bind(
      user!.id,
      ws!.id,
      now - 31 * 86400,
      now + 3600,
    ),
    env.DB.prepare("INSERT INTO login_attempts (key, failures, window_started_at, locked_until) VALUES ('email:stale', 3, ?, NULL)").bind(now - 3600),
    env.DB.prepare("INSERT INTO login_attempts (key, failures, window_started_at, locked_until) VALUES ('email:locked', 5, ?, ?)").bind(now - 60, now + 600),
  ]);
  await worker.scheduled(createScheduledController({ cron: "* * * * *" }), env);
  const sessions = await env.DB.prepare("SELECT id_hash FROM sessions ORDER BY id_hash").all<{ id_hash: string }>();
  expect(sessions.results.map((r) => r.id_hash)).toEqual(["live"]);
  const attempts = await env.DB.prepare("SELECT key FROM login_attempts").all<{ key: string }>();
  expect(attempts.results.map((r) => r.key)).toEqual(["email:locked"]);
});

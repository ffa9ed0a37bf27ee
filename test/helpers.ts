import { env, exports } from "cloudflare:workers";
import { hashPassword } from "../worker/lib/crypto";

export const ORIGIN = "http://localhost";

/** Credentials a test request carries: a session cookie or an API token. */
export type Auth = { cookie?: string; token?: string };

export type Account = Auth & { workspaceId: number; userId: number; email: string; password: string };

type CallInit = {
  method?: string;
  json?: unknown;
  body?: BodyInit;
  headers?: Record<string, string>;
  auth?: Auth;
};

/**
 * Calls the Worker as a same-origin browser would (Origin header set), with optional credentials.
 * @example const res = await call("/api/labels", { method: "POST", json: { name: "VIP" }, auth: admin })
 */
export function call(path: string, init: CallInit = {}): Promise<Response> {
  const headers: Record<string, string> = { origin: ORIGIN, ...init.headers };
  if (init.auth?.cookie) headers.cookie = init.auth.cookie;
  if (init.auth?.token) headers.authorization = `Bearer ${init.auth.token}`;
  let body = init.body;
  if (init.json !== undefined) {
    body = JSON.stringify(init.json);
    headers["content-type"] ??= "application/json";
  }
  return exports.default.fetch(new Request(`${ORIGIN}${path}`, { method: init.method ?? (body ? "POST" : "GET"), headers, body }));
}

/** Like `call`, but fails the test unless the status matches, and returns the parsed JSON. */
export async function callJson<T = any>(path: string, init: CallInit & { expect?: number } = {}): Promise<T> {
  const res = await call(path, init);
  const text = await res.text();
  const method = init.method ?? (init.json !== undefined || init.body !== undefined ? "POST" : "GET");
  const expected = init.expect ?? (method === "POST" ? 201 : 200);
  if (res.status !== expected) throw new Error(`${method} ${path}: expected ${expected}, got ${res.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** The `name=value` part of the session cookie a response set. */
export function sessionCookie(res: Response): string {
  const header = res.headers.getSetCookie().find((c) => c.startsWith("herald_session="));
  if (!header) throw new Error("no session cookie was set");
  return header.split(";")[0]!;
}

let seq = 0;
const unique = () => `${Date.now().toString(36)}${(seq++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/**
 * Creates a workspace with one user straight in D1 and signs that user in through the API.
 * POST /api/auth/setup works once per database, so tests that need several workspaces use this.
 */
export async function seedWorkspace(opts: { role?: "admin" | "operator"; workspaceId?: number; country?: string } = {}): Promise<Account> {
  const email = `user-${unique()}@example.test`;
  const password = "correct horse battery";
  let workspaceId = opts.workspaceId;
  if (workspaceId === undefined) {
    const ws = await env.DB.prepare("INSERT INTO workspaces (name, default_country) VALUES (?, ?) RETURNING id")
      .bind(`Workspace ${unique()}`, opts.country ?? "BR")
      .first<{ id: number }>();
    workspaceId = ws!.id;
  }
  const user = await env.DB.prepare("INSERT INTO users (workspace_id, email, name, password_hash, role) VALUES (?, ?, ?, ?, ?) RETURNING id")
    .bind(workspaceId, email, "Test User", await hashPassword(password), opts.role ?? "admin")
    .first<{ id: number }>();
  const res = await call("/api/auth/login", { json: { email, password } });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  return { cookie: sessionCookie(res), workspaceId, userId: user!.id, email, password };
}

/** An operator in the same workspace as `admin`. */
export const seedOperator = (admin: { workspaceId: number }) => seedWorkspace({ role: "operator", workspaceId: admin.workspaceId });

/** Asserts the one error shape and returns its code. */
export async function errorCode(res: Response): Promise<string> {
  const body = (await res.json()) as { error?: { code?: string; message?: string } };
  if (!body.error?.code || typeof body.error.message !== "string") throw new Error(`not an error body: ${JSON.stringify(body)}`);
  return body.error.code;
}

export const uniqueName = (prefix: string) => `${prefix} ${unique()}`;

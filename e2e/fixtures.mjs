import assert from "node:assert/strict";
import { at, baseUrl } from "./browser.mjs";

// What the browser tests share: the first admin, whom e2e/auth.test.mjs sets up through the UI
// and the other files sign in as (setting it up themselves when run alone).
export const admin = {
  workspace: "Acme Store",
  name: "Ada Admin",
  email: "ada@example.com",
  password: "correct horse battery",
};

/**
 * Signs `context` (a Playwright browser context) in as the admin, setting the workspace up
 * without the demo when this runs first on a fresh Herald.
 */
export async function signInAsAdmin(context) {
  const me = await context.request.get(at("/api/auth/me"));
  if (me.ok()) return;
  const setup = await context.request.post(at("/api/auth/setup"), {
    headers: { origin: baseUrl },
    data: { workspace_name: admin.workspace, name: admin.name, email: admin.email, password: admin.password, load_demo: false },
  });
  if (setup.status() === 201) return;
  const login = await context.request.post(at("/api/auth/login"), { headers: { origin: baseUrl }, data: { email: admin.email, password: admin.password } });
  assert.equal(login.status(), 200, `sign-in answered ${login.status()}`);
}

/**
 * The API as the signed-in browser calls it (same cookie jar, same origin): JSON bodies, or a
 * string sent as CSV. Fails the test on any answer that is not 2xx.
 */
export function apiOf(context) {
  return async (method, pathname, data) => {
    const body = data === undefined ? {} : typeof data === "string" ? { data, headers: { origin: baseUrl, "content-type": "text/csv" } } : { data };
    const res = await context.request.fetch(at(pathname), { method, headers: { origin: baseUrl }, ...body });
    const text = await res.text();
    assert.ok(res.ok(), `${method} ${pathname} answered ${res.status()}: ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : null;
  };
}

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

/** A sandbox number whose recipients all receive and read at once, none replies or opts out. */
export const FAST_SCENARIO = {
  pair_rate_limit_ms: 0,
  webhooks_enabled: true,
  sent_delay_ms: [50, 100],
  delivered_delay_ms: [100, 200],
  read_delay_ms: [200, 300],
  failed_rate: 0,
  unread_rate: 0,
  reply_rate: 0,
  opt_out_rate: 0,
};

/** A sandbox inbox (`phone`, `waba`: its ids) with `scenario` set and its templates synced. */
export async function sandboxInbox(api, { name, phone, waba, scenario = FAST_SCENARIO }) {
  const inbox = await api("POST", "/api/inboxes", { name, provider: "sandbox", phone_number_id: phone, waba_id: waba });
  await api("PUT", `/api/sandbox/inboxes/${inbox.id}/scenario`, scenario);
  await api("POST", `/api/inboxes/${inbox.id}/templates/sync`);
  return inbox;
}

/** A new label and `people` ({name, phone}) imported with it; answers the label. */
export async function labelledContacts(api, labelName, people) {
  const label = await api("POST", "/api/labels", { name: labelName });
  const imported = await api("POST", "/api/contacts/import", ["name,phone,labels", ...people.map((p) => `${p.name},${p.phone},${labelName}`)].join("\n"));
  assert.equal(imported.created, people.length, `imported ${JSON.stringify(imported)}`);
  return label;
}

/** The sandbox's `welcome_offer` template (pt_BR) to each contact by name, with the discount `code`. */
export const welcomeOffer = (code) => ({
  type: "template",
  template_name: "welcome_offer",
  language: "pt_BR",
  values: {
    header: { 1: { source: "contact", field: "name", fallback: "cliente" } },
    body: { 1: { source: "contact", field: "name" }, 2: { source: "fixed", value: code } },
  },
});

// The Settings page and the sandbox phone, through the UI in a real browser: renaming the
// workspace (the header follows), users (add, role, password, remove, the refusals), API tokens
// (shown once, copied, used, revoked), then the sandbox phone following a campaign sent from the
// demo's sandbox inbox: a contact replies, another taps a quick reply, a third sends STOP, and
// Herald counts the replies and the opt-out; the scenario form; operators; Portuguese; phone
// width. Only Meta's side (the demo's sandbox number, its scenario) and the campaign being
// watched are set up through the API. Screenshots of every screen go to e2e/artifacts/screens.
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { request as playwrightRequest } from "playwright-core";
import { at, baseUrl, launchBrowser, pageWatch, screensDir } from "./browser.mjs";
import { apiOf, signInAsAdmin } from "./fixtures.mjs";

const stamp = `${Date.now() % 1e6}`.padStart(6, "0");

/** Polls `check` (async, returns a truthy value when done) until it succeeds or `ms` pass. */
async function eventually(what, check, ms = 60_000) {
  const until = Date.now() + ms;
  let last;
  for (;;) {
    last = await check();
    if (last) return last;
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe("settings and the sandbox phone", () => {
  let browser;
  let context;
  let page;
  let api;

  const watch = pageWatch("settings");
  const shot = (name) => watch.settledShot(page, name);

  /** Accepts the next window.confirm, returning its question. */
  const acceptNextConfirm = () =>
    new Promise((resolve) => {
      page.once("dialog", async (dialog) => {
        const message = dialog.message();
        await dialog.accept();
        resolve(message);
      });
    });

  const section = (name) => page.locator(`[data-section="${name}"]`);
  const status = (name) => section(name).getByRole("status").first();
  const workspaceName = () => page.locator(".app-header .workspace-name");

  /** A request context with no session: what another program calling the API sees. */
  let anonymous;
  let originalWorkspace;
  let demo;
  let originalScenario;

  before(async () => {
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: "America/Sao_Paulo", locale: "en-US" });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseUrl });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    watch.page(page);
    await signInAsAdmin(context);
    api = apiOf(context);
    anonymous = await playwrightRequest.newContext();
    originalWorkspace = (await api("GET", "/api/workspace")).name;
    console.log(`e2e: screenshots of every screen in ${screensDir}`);
  });

  after(async () => {
    // The demo number's behaviour goes back to what it was for the other files.
    if (demo && originalScenario) await api("PUT", `/api/sandbox/inboxes/${demo.inbox_id}/scenario`, originalScenario).catch(() => {});
    await anonymous?.dispose();
    await browser?.close();
  });

  it("renames the workspace, and the header shows the new name; a bad field is marked where it is", async () => {
    await page.goto(at("/settings"));
    await page.getByRole("heading", { level: 1, name: "Settings" }).waitFor();
    const name = page.getByLabel("Workspace name");
    await assert.doesNotReject(name.waitFor());
    assert.equal(await name.inputValue(), originalWorkspace);
    await shot("settings");

    const hours = page.getByLabel("Reply attribution window (hours)");
    await hours.fill("0");
    await page.getByRole("button", { name: "Save workspace settings" }).click();
    const hoursError = section("workspace").locator(".field-error");
    await hoursError.waitFor();
    assert.match(await hoursError.textContent(), /at least 1/);
    assert.equal(await hours.getAttribute("aria-invalid"), "true");
    assert.equal(await hours.evaluate((el) => el === document.activeElement), true, "the focus goes to the field in error");
    await shot("workspace-error");

    const renamed = `${originalWorkspace} ${stamp}`;
    await hours.fill("48");
    await name.fill(renamed);
    await page.getByRole("button", { name: "Save workspace settings" }).click();
    await page.getByText("Workspace settings saved.").waitFor();
    assert.equal((await workspaceName().textContent()).trim(), renamed);
    assert.equal((await api("GET", "/api/workspace")).attribution_window_hours, 48);
    await shot("workspace-renamed");

    // And back, so the other files see the name they set up.
    await name.fill(originalWorkspace);
    await hours.fill("72");
    await page.getByRole("button", { name: "Save workspace settings" }).click();
    await page.waitForFunction((n) => document.querySelector(".app-header .workspace-name")?.textContent?.trim() === n, originalWorkspace);
  });

  const operator = { name: `Olga Operator ${stamp}`, email: `olga-${stamp}@example.com`, password: "operator password 1" };
  const userRow = () => page.locator(`[data-user="${operator.email}"]`);

  it("adds an operator, who sees settings without Users and no sandbox phone", async () => {
    await page.goto(at("/settings"));
    const form = page.getByRole("form", { name: "Add a user" });
    await form.getByLabel("Name").fill(operator.name);
    await form.getByLabel("Email").fill(operator.email);
    await form.getByLabel("First password").fill("short");
    await form.getByRole("button", { name: "Add user" }).click();
    const passwordError = form.locator(".field-error");
    await passwordError.waitFor();
    assert.match(await passwordError.textContent(), /at least 10 characters/);
    await shot("user-error");

    await form.getByLabel("First password").fill(operator.password);
    assert.equal(await form.getByLabel("Role").inputValue(), "operator");
    await form.getByRole("button", { name: "Add user" }).click();
    await status("users")
      .filter({ hasText: `${operator.name} was added as an operator.` })
      .waitFor();
    await userRow().waitFor();
    assert.match(await userRow().textContent(), /operator/);
    await shot("user-added");

    // The operator's own view, in another browser.
    const other = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const login = await other.request.post(at("/api/auth/login"), {
        headers: { origin: baseUrl },
        data: { email: operator.email, password: operator.password },
      });
      assert.equal(login.status(), 200);
      const opPage = await other.newPage();
      watch.page(opPage);
      await opPage.goto(at("/settings"));
      await opPage.getByRole("heading", { level: 1, name: "Settings" }).waitFor();
      await opPage.getByText("Only admins can change these settings.").waitFor();
      assert.equal(await opPage.getByLabel("Workspace name").count(), 0, "operators do not edit the workspace");
      assert.equal(await opPage.locator('[data-section="users"]').count(), 0, "operators do not see Users");
      assert.equal(await opPage.getByRole("heading", { name: "API tokens" }).count(), 1);
      await opPage.goto(at("/sandbox"));
      await opPage.locator("[data-notice='admins-only'], [data-notice='sandbox-off']").waitFor();
      await opPage.close();
    } finally {
      await other.close();
    }
  });

  it("changes the user's role, resets their password, and removes them; refusals are shown", async () => {
    await page.goto(at("/settings"));
    await userRow()
      .getByRole("button", { name: `Make admin ${operator.name}` })
      .click();
    await status("users")
      .filter({ hasText: `${operator.name} is now an admin.` })
      .waitFor();
    const users = (await api("GET", "/api/users")).data;
    assert.equal(users.find((u) => u.email === operator.email).role, "admin");
    assert.match(await userRow().textContent(), /admin/);

    await userRow()
      .getByRole("button", { name: `Reset password ${operator.name}` })
      .click();
    const newPassword = userRow().getByLabel(`New password for ${operator.name}`);
    await newPassword.fill("too short");
    await userRow().getByRole("button", { name: "Set password", exact: true }).click();
    await userRow().locator(".field-error").waitFor();
    await shot("password-error");
    await newPassword.fill("a brand new password");
    await userRow().getByRole("button", { name: "Set password", exact: true }).click();
    await status("users")
      .filter({ hasText: `The password of ${operator.name} was changed.` })
      .waitFor();
    const relogin = await anonymous.post(at("/api/auth/login"), {
      headers: { origin: baseUrl },
      data: { email: operator.email, password: "a brand new password" },
    });
    assert.equal(relogin.status(), 200, "the new password signs in");

    // Removing yourself is refused with the API's reason.
    const me = (await api("GET", "/api/auth/me")).user;
    const myRow = page.locator(`[data-user="${me.email}"]`);
    const asked = acceptNextConfirm();
    await myRow.getByRole("button", { name: /^Remove / }).click();
    assert.match(await asked, /Remove .* from the workspace\?/);
    const refusal = section("users").getByRole("alert");
    await refusal.waitFor();
    assert.match(await refusal.textContent(), /you cannot delete yourself/);
    await shot("remove-refused");

    const confirmed = acceptNextConfirm();
    await userRow()
      .getByRole("button", { name: `Remove ${operator.name}` })
      .click();
    assert.match(await confirmed, new RegExp(operator.name));
    await status("users")
      .filter({ hasText: `${operator.name} was removed.` })
      .waitFor();
    assert.equal(await userRow().count(), 0);
    assert.equal(
      (await api("GET", "/api/users")).data.some((u) => u.email === operator.email),
      false,
    );
  });

  it("creates an API token, shows it once with a copy button, it works, and stops working when revoked", async () => {
    await page.goto(at("/settings"));
    const tokenName = `CRM sync ${stamp}`;
    await page.getByLabel("Token name").fill(tokenName);
    await page.getByRole("button", { name: "Create token" }).click();
    const notice = page.locator("[data-notice='new-token']");
    await notice.waitFor();
    assert.match(await notice.textContent(), /will not be shown again/);
    const token = await notice.getByLabel("Your new token").inputValue();
    assert.match(token, /^hrld_/);
    await notice.getByRole("button", { name: "Copy" }).click();
    await notice.getByText("Copied to the clipboard.").waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), token);
    await shot("token-created");

    const me = await anonymous.get(at("/api/auth/me"), { headers: { authorization: `Bearer ${token}` } });
    assert.equal(me.status(), 200);
    assert.equal((await me.json()).via, "token");

    await notice.getByRole("button", { name: "I have copied it" }).click();
    assert.equal(await notice.count(), 0);
    assert.equal((await page.content()).includes(token), false, "the token is gone from the page");
    await page.reload();
    const row = page.locator("[data-section='tokens'] li", { hasText: tokenName });
    await row.waitFor();
    assert.match(await row.textContent(), /last used/);
    assert.equal((await page.content()).includes(token), false, "and never shown again");
    await shot("tokens");

    const asked = acceptNextConfirm();
    await row.getByRole("button", { name: `Revoke ${tokenName}` }).click();
    assert.match(await asked, /Revoke the token/);
    await status("tokens")
      .filter({ hasText: `Token “${tokenName}” revoked.` })
      .waitFor();
    const after = await anonymous.get(at("/api/auth/me"), { headers: { authorization: `Bearer ${token}` } });
    assert.equal(after.status(), 401);
  });

  // ---- The sandbox phone -------------------------------------------------------------------

  const contacts = [
    { name: `Ana Phone ${stamp}`, phone: `+55119${stamp}11` },
    { name: `Bruno Phone ${stamp}`, phone: `+55119${stamp}21` },
    { name: `Carla Phone ${stamp}`, phone: `+55119${stamp}31` },
  ];
  let campaign;

  const openPhone = async (c) => {
    const search = page.getByLabel("Search by number");
    await search.fill(c.phone.slice(-8));
    await page.locator(`[data-wa-id="${c.phone.slice(1)}"]`).click();
    await page.getByRole("heading", { name: `Phone of ${c.name}` }).waitFor();
    await page.locator(".sandbox-msg-received", { hasText: "Oferta para" }).first().waitFor();
  };

  it("shows what a campaign sent each contact, linked to the campaign", async () => {
    if (!(await api("GET", "/api/auth/me")).features.sandbox) {
      await page.goto(at("/sandbox"));
      await page.locator("[data-notice='sandbox-off']").waitFor();
      return;
    }
    // Meta's side: the demo's sandbox number, quick to deliver and read, never answering by itself.
    demo = await api("POST", "/api/demo");
    originalScenario = await api("GET", `/api/sandbox/inboxes/${demo.inbox_id}/scenario`);
    await api("PUT", `/api/sandbox/inboxes/${demo.inbox_id}/scenario`, {
      webhooks_enabled: true,
      token_expired: false,
      throughput_cap: 80,
      random_failure_rate: 0,
      failed_rate: 0,
      unread_rate: 0,
      reply_rate: 0,
      opt_out_rate: 0,
      sent_delay_ms: [0, 100],
      delivered_delay_ms: [100, 300],
      read_delay_ms: [300, 600],
      reply_delay_ms: [1000, 2000],
    });
    // The campaign to watch: three contacts, the demo's welcome_offer template (with quick replies).
    const label = await api("POST", "/api/labels", { name: `Sandbox phone ${stamp}` });
    for (const c of contacts) c.id = (await api("POST", "/api/contacts", { name: c.name, phone: c.phone, label_ids: [label.id] })).id;
    const created = await api("POST", "/api/campaigns", {
      title: `Sandbox phone ${stamp}`,
      inbox_id: demo.inbox_id,
      audience: { labels: [label.id] },
      content: {
        type: "template",
        template_name: "welcome_offer",
        language: "pt_BR",
        values: {
          header: { 1: { source: "contact", field: "first_name", fallback: "cliente" } },
          body: { 1: { source: "contact", field: "first_name", fallback: "cliente" }, 2: { source: "fixed", value: "BEMVINDO15" } },
        },
      },
      settings: { min_delay_s: 0, max_delay_s: 0, batch_size: 50 },
    });
    await api("POST", `/api/campaigns/${created.id}/launch`, {});
    campaign = await eventually("the campaign to be read by its three contacts", async () => {
      const c = await api("GET", `/api/campaigns/${created.id}`);
      return c.progress.read === 3 ? c : null;
    });
    assert.equal(campaign.progress.replied, 0);

    await page.goto(at(`/sandbox?inbox=${demo.inbox_id}`));
    await page.getByRole("heading", { level: 1, name: "Sandbox phone" }).waitFor();
    assert.equal(await page.getByLabel("Sandbox inbox").inputValue(), String(demo.inbox_id));
    await page.locator(".sandbox-phones").waitFor();
    await shot("sandbox");

    await openPhone(contacts[0]);
    const bubble = page.locator(".sandbox-msg-received", { hasText: "Oferta para Ana" }).last();
    assert.match(await bubble.textContent(), /use o cupom BEMVINDO15/);
    const link = bubble.getByRole("link", { name: campaign.title });
    assert.equal(await link.getAttribute("href"), `/campaigns/${campaign.id}`);
    await bubble.getByText(/Read$/).waitFor();
    assert.equal(
      await bubble
        .getByRole("group", { name: /Quick replies/ })
        .getByRole("button")
        .count(),
      2,
    );
    assert.match(await page.locator("[data-contact-state]").textContent(), /Receives campaigns/);
    await shot("sandbox-conversation");
  });

  it("replies, taps a quick reply and sends STOP as contacts; Herald counts the replies and the opt-out", async (t) => {
    if (!campaign) return t.skip("the sandbox is off on this deployment");
    const [ana, bruno, carla] = contacts;
    await page.goto(at(`/sandbox?inbox=${demo.inbox_id}`));

    // Ana answers with a text, quoting the campaign's message.
    await openPhone(ana);
    await page.locator(".sandbox-msg-received").last().getByRole("button", { name: "Reply to this message" }).click();
    await page.getByText(/^Replying to: Olá Ana!/).waitFor();
    const message = page.getByRole("form", { name: `Answer as ${ana.name}` }).getByLabel("Message");
    await page.getByRole("button", { name: "Send", exact: true }).click();
    await page.getByText("Write a message").waitFor();
    await message.fill(`Quero saber mais ${stamp}`);
    await page.getByRole("button", { name: "Send", exact: true }).click();
    const sent = page.locator(".sandbox-msg-sent", { hasText: `Quero saber mais ${stamp}` });
    await sent.waitFor();
    assert.match(await sent.textContent(), /In reply to: Olá Ana!/);
    await shot("sandbox-replied");

    // Carla taps the template's "Quero!" button.
    await openPhone(carla);
    await page
      .locator(".sandbox-msg-received")
      .last()
      .getByRole("group", { name: /Quick replies/ })
      .getByRole("button", { name: "Quero!" })
      .click();
    await page.getByText(`${carla.name} tapped “Quero!”.`).waitFor();
    await page.locator(".sandbox-msg-sent", { hasText: "Quero!" }).waitFor();
    assert.match(await page.locator(".sandbox-msg-sent").last().textContent(), /tapped a button/);

    // Bruno opts out.
    await openPhone(bruno);
    await page.getByRole("button", { name: "Send STOP (opt out)" }).click();
    await page.getByText(`${bruno.name} sent STOP.`).waitFor();
    await page.locator(".sandbox-msg-sent", { hasText: "STOP" }).waitFor();

    // Herald's side: two replies counted on the campaign, Bruno opted out, shown on his phone too.
    const counted = await eventually("the campaign to count the replies", async () => {
      const c = await api("GET", `/api/campaigns/${campaign.id}`);
      return c.progress.replied >= 2 ? c : null;
    });
    assert.ok(counted.progress.replied >= 2);
    await eventually("Bruno to be opted out", async () => (await api("GET", `/api/contacts/${bruno.id}`)).opted_out);
    assert.equal((await api("GET", `/api/contacts/${ana.id}`)).opted_out, false);
    await page.locator("[data-contact-state]").getByText("Opted out").waitFor({ timeout: 20_000 });
    await shot("sandbox-opted-out");

    // The campaign's own page shows the replies.
    await page.locator(".sandbox-msg-received").last().getByRole("link", { name: campaign.title }).click();
    await page.waitForURL(new RegExp(`/campaigns/${campaign.id}$`));
    await page.getByRole("heading", { level: 1, name: campaign.title }).waitFor();
  });

  it("changes the scenario: fields in error are marked, a valid change is saved", async (t) => {
    if (!demo) return t.skip("the sandbox is off on this deployment");
    await page.goto(at(`/sandbox?inbox=${demo.inbox_id}`));
    const scenario = section("scenario");
    const cap = scenario.getByLabel("Throughput cap (messages per second)");
    await cap.waitFor();
    const read = scenario.getByLabel("Read (%)");
    assert.equal(await read.inputValue(), "100");
    await read.fill("150");
    const replyDelay = scenario.locator("[data-field='reply_delay_ms']");
    await replyDelay.getByLabel("From", { exact: true }).fill("9");
    await replyDelay.getByLabel("To", { exact: true }).fill("3");
    await scenario.getByRole("button", { name: "Save scenario" }).click();
    await scenario.getByText("Enter a percentage from 0 to 100").waitFor();
    await replyDelay.getByText("The first value must not be more than the second").waitFor();
    assert.equal(await read.getAttribute("aria-invalid"), "true");
    await shot("scenario-errors");

    await read.fill("80");
    await replyDelay.getByLabel("To", { exact: true }).fill("12");
    await cap.fill("77");
    await scenario.getByRole("checkbox", { name: "Send status updates and simulated replies" }).check();
    await scenario.getByRole("button", { name: "Save scenario" }).click();
    await scenario.getByText("Scenario saved.").waitFor();
    const saved = await api("GET", `/api/sandbox/inboxes/${demo.inbox_id}/scenario`);
    assert.equal(saved.throughput_cap, 77);
    assert.equal(saved.unread_rate, 0.2);
    assert.deepEqual(saved.reply_delay_ms, [9000, 12000]);
    await page.reload();
    assert.equal(await section("scenario").getByLabel("Throughput cap (messages per second)").inputValue(), "77");
    await shot("scenario-saved");
  });

  it("says when the sandbox is off on the deployment", async () => {
    await page.route("**/api/auth/me", async (route) => {
      const response = await route.fetch();
      const body = await response.json();
      await route.fulfill({ response, json: { ...body, features: { sandbox: false } } });
    });
    try {
      await page.goto(at("/sandbox"));
      await page.locator("[data-notice='sandbox-off']").waitFor();
      await page.goto(at("/settings"));
      await page.getByRole("heading", { level: 1, name: "Settings" }).waitFor();
      assert.equal(await section("sandbox").count(), 0, "no sandbox link when it is off");
      await page.goto(at("/sandbox"));
      await page.locator("[data-notice='sandbox-off']").waitFor();
      await shot("sandbox-off");
    } finally {
      await page.unroute("**/api/auth/me");
    }
    await page.goto(at("/settings"));
    if ((await api("GET", "/api/auth/me")).features.sandbox) {
      await section("sandbox").getByRole("link", { name: "Open the sandbox phone" }).click();
      await page.waitForURL(/\/sandbox/);
    }
  });

  it("is in Portuguese when chosen", async () => {
    await page.goto(at("/settings"));
    await page.evaluate(() => localStorage.setItem("herald.locale", "pt-BR"));
    try {
      await page.reload();
      await page.getByRole("heading", { level: 1, name: "Configurações" }).waitFor();
      await page.getByRole("heading", { name: "Espaço de trabalho" }).waitFor();
      await page.getByRole("heading", { name: "Usuários" }).waitFor();
      await page.getByRole("heading", { name: "Tokens de API" }).waitFor();
      await page.getByRole("button", { name: "Criar token" }).waitFor();
      await shot("pt-settings");
      await page.goto(at(demo ? `/sandbox?inbox=${demo.inbox_id}&phone=${contacts[1].phone.slice(1)}` : "/sandbox"));
      await page.getByRole("heading", { level: 1, name: "Celular simulado" }).waitFor();
      if (demo) {
        await page.getByRole("heading", { name: "Cenário" }).waitFor();
        await page.getByRole("heading", { name: `Celular de ${contacts[1].name}` }).waitFor();
        await page.getByRole("button", { name: "Enviar STOP (descadastrar)" }).waitFor();
        await page.locator("[data-contact-state]").getByText("Descadastrado").waitFor();
      }
      await shot("pt-sandbox");
    } finally {
      await page.evaluate(() => localStorage.removeItem("herald.locale"));
    }
  });

  it("fits a phone screen (390 px)", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      const pages = ["/settings", demo ? `/sandbox?inbox=${demo.inbox_id}&phone=${contacts[0].phone.slice(1)}` : "/sandbox"];
      for (const [i, url] of pages.entries()) {
        await page.goto(at(url));
        await page.getByRole("heading", { level: 1 }).waitFor();
        if (i === 0) await page.getByLabel("Workspace name").waitFor();
        if (i === 1 && demo) {
          await page.locator(".sandbox-msg").first().waitFor();
          await section("scenario").getByRole("button", { name: "Save scenario" }).waitFor();
        }
        await page.waitForFunction(() => !document.querySelector("main")?.textContent?.includes("Loading…"));
        const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
        assert.ok(scrollWidth <= innerWidth, `${url} is ${scrollWidth}px wide at 390px`);
        await shot(i === 0 ? "phone-settings" : "phone-sandbox");
      }
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  });

  watch.explainFailures(afterEach);
  watch.itFoundNoProblems(it);
});

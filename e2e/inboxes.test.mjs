// The Inboxes and Templates pages through the UI alone, in a real browser against a fresh Herald
// (see e2e/run.mjs): connecting a Cloud API number typed into the form (its webhook URL and
// verify token shown with copy buttons), its connection test failing in words (Meta's Cloud API
// is out of reach from the test machine), changing its cap, a sandbox inbox with its demo
// templates synced and previewed, what an operator sees, deleting with confirmation, Portuguese,
// phone width. The API is used only to create the operator and to check results.
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { at, baseUrl, launchBrowser, pageWatch, screensDir } from "./browser.mjs";
import { apiOf, signInAsAdmin } from "./fixtures.mjs";

const stamp = `${Date.now() % 1e6}`;

describe("inboxes and templates", () => {
  let browser;
  let context;
  let page;
  /** The API as the signed-in admin's browser calls it. */
  let api;

  const cloud = {
    name: `Sales BR ${stamp}`,
    phoneNumberId: `10654${stamp}`,
    wabaId: `41956${stamp}`,
    displayPhone: "+55 11 4000-0000",
    accessToken: `EAAG-e2e-token-${stamp}`,
    appSecret: `e2e-app-secret-${stamp}`,
  };
  const sandboxName = `Sandbox ${stamp}`;
  let cloudId;
  let sandboxId;

  const watch = pageWatch("inboxes");
  /** A screenshot of the screen, and axe-core's check of it. */
  const shot = (name, on = page) => watch.shot(on, name);
  const follow = (p) => {
    p.setDefaultTimeout(15_000);
    watch.page(p);
  };
  const card = (id) => page.locator(`[data-inbox="${id}"]`);
  const fits = (p = page) => watch.fits(p);

  before(async () => {
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseUrl });
    page = await context.newPage();
    follow(page);
    await signInAsAdmin(context);
    api = apiOf(context);
    await page.goto(at("/inboxes"));
    await page.evaluate(() => localStorage.setItem("herald.locale", "en"));
    console.log(`e2e: screenshots of the inbox screens in ${screensDir}`);
  });

  after(async () => {
    await browser?.close();
  });

  it("connects a Cloud API number typed into the form and shows its webhook URL and verify token with copy buttons", async () => {
    await page.goto(at("/inboxes"));
    await page.getByRole("heading", { name: "Inboxes", level: 1 }).waitFor();
    await page.getByRole("heading", { name: "Connected numbers" }).waitFor();
    await shot("list");

    await page.getByRole("button", { name: "Connect a Cloud API number" }).click();
    const form = page.locator("[data-form='connect-cloud']");
    await form.waitFor();
    // The verify token comes generated; another can be asked for.
    const verify = form.getByLabel("Verify token");
    const offered = await verify.inputValue();
    assert.ok(offered.length >= 32, `a long random verify token is offered (${offered})`);
    await form.getByRole("button", { name: "Generate another" }).click();
    assert.notEqual(await verify.inputValue(), offered);
    // Where Meta shows each value is said next to the field.
    assert.match(await form.textContent(), /WhatsApp → API Setup/);
    assert.match(await form.textContent(), /App settings → Basic/);
    assert.match(await form.textContent(), /System User access token/);

    // Sent empty: every missing field says so next to it, and focus goes to the first.
    await form.getByRole("button", { name: "Connect number" }).click();
    await form.locator(".field-error").first().waitFor();
    assert.match(await form.getByRole("alert").textContent(), /Check the fields marked below/);
    assert.equal(await form.getByLabel("Name", { exact: true }).getAttribute("aria-invalid"), "true");
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("name")), "name");
    for (const message of [
      "Enter a name for the inbox",
      "Enter the phone number ID",
      "Enter the WhatsApp Business Account ID",
      "Enter the access token",
      "Enter the app secret",
    ]) {
      assert.match(await form.textContent(), new RegExp(message));
    }
    await shot("connect-errors");

    await form.getByLabel("Name", { exact: true }).fill(cloud.name);
    await form.getByLabel("Phone number ID").fill(cloud.phoneNumberId);
    await form.getByLabel("WhatsApp Business Account ID").fill(cloud.wabaId);
    await form.getByLabel("Display number (optional)").fill(cloud.displayPhone);
    await form.getByLabel("Access token").fill(cloud.accessToken);
    await form.getByLabel("App secret").fill(cloud.appSecret);
    const token = await verify.inputValue();
    await form.getByLabel("Messaging limit").selectOption("2000");
    await form.getByRole("button", { name: "Connect number" }).click();

    const connected = page.locator("[data-connected]");
    await connected.waitFor();
    cloudId = Number(await connected.getAttribute("data-connected"));
    assert.match(await connected.getByRole("heading", { level: 2 }).textContent(), new RegExp(`“${cloud.name}” is connected`));
    const url = connected.locator("[data-copy='webhook-url'] code");
    assert.equal(await url.textContent(), `${baseUrl}/webhooks/whatsapp/${cloudId}`);
    assert.equal(await connected.locator("[data-copy='verify-token'] code").textContent(), token);
    assert.match(await connected.textContent(), /messages — delivery statuses, replies and opt-outs/);
    assert.match(await connected.textContent(), /message_template_status_update — template approvals/);
    await connected.getByRole("button", { name: "Copy Callback URL (webhook)" }).click();
    await connected.locator("[data-copy='webhook-url'] [role='status']").filter({ hasText: "Copied" }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), `${baseUrl}/webhooks/whatsapp/${cloudId}`);
    await connected.getByRole("button", { name: "Copy Verify token" }).click();
    await connected.locator("[data-copy='verify-token'] [role='status']").filter({ hasText: "Copied" }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), token);
    await shot("connected");

    // The list shows it; the secrets never come back.
    const row = card(cloudId);
    assert.match(await row.textContent(), /Cloud API/);
    assert.equal(await row.locator("[data-fact='number'] dd").textContent(), cloud.displayPhone);
    assert.equal(await row.locator("[data-fact='tier'] dd").textContent(), "2,000 customers a day");
    assert.equal(await row.locator("[data-fact='cap'] dd").textContent(), "80 messages/s");
    assert.equal(await row.getByRole("link", { name: `Templates ${cloud.name}` }).getAttribute("href"), `/inboxes/${cloudId}/templates`);
    const stored = await api("GET", `/api/inboxes/${cloudId}`);
    assert.deepEqual(
      { phone: stored.phone_number_id, waba: stored.waba_id, token: stored.verify_token, secrets: [stored.has_access_token, stored.has_app_secret] },
      { phone: cloud.phoneNumberId, waba: cloud.wabaId, token, secrets: [true, true] },
    );
    const html = await page.content();
    assert.ok(!html.includes(cloud.accessToken) && !html.includes(cloud.appSecret), "secrets are not on the page");

    await connected.getByRole("button", { name: "Done" }).click();
    await connected.waitFor({ state: "detached" });
    // The same set-up stays available on the inbox itself.
    await row.getByText("Webhook set-up").click();
    assert.equal(await row.locator("[data-copy='webhook-url'] code").textContent(), `${baseUrl}/webhooks/whatsapp/${cloudId}`);
    assert.equal(await row.locator("[data-copy='verify-token'] code").textContent(), token);
  });

  it("shows the connection test's failure in words next to the inbox when Meta cannot be reached", async () => {
    const row = card(cloudId);
    await row.getByRole("button", { name: `Test connection ${cloud.name}` }).click();
    const result = row.locator("[data-test-result]");
    await result.waitFor({ timeout: 40_000 });
    assert.equal(await result.getAttribute("data-test-result"), "error");
    const text = await result.textContent();
    assert.match(text, /The connection test failed\./);
    // Meta's error as the API words it: a title (e.g. "No answer from Meta (network error)") and what happened.
    const { error } = await api("POST", `/api/inboxes/${cloudId}/test`);
    assert.ok(error?.title && error.message, "the API answers an error with a title and a message");
    assert.ok(text.includes(error.title), `the title "${error.title}" is shown`);
    assert.match(text, /Herald got no answer from Meta's Cloud API/);
    await shot("test-failed");
  });

  it("changes the throughput cap and tier; blank secrets keep the stored ones", async () => {
    const row = card(cloudId);
    await row.getByRole("button", { name: `Edit ${cloud.name}` }).click();
    const form = row.locator("[data-form='edit']");
    await form.waitFor();
    assert.equal(await form.getByLabel("Access token").inputValue(), "", "secrets are never shown back");
    assert.match(await form.textContent(), /Leave blank to keep the stored one/);
    const cap = form.getByLabel("Throughput cap (messages per second)");
    await cap.fill("5000");
    await form.getByRole("button", { name: "Save changes" }).click();
    await form.getByText("Enter a whole number from 1 to 1,000").waitFor();
    assert.equal(await cap.getAttribute("aria-invalid"), "true");
    await shot("edit-error");
    await cap.fill("40");
    await form.getByLabel("Messaging limit").selectOption("10000");
    await form.getByRole("button", { name: "Save changes" }).click();
    await form.waitFor({ state: "detached" });
    await page
      .getByRole("status")
      .filter({ hasText: `“${cloud.name}” saved.` })
      .waitFor();
    assert.equal(await row.locator("[data-fact='cap'] dd").textContent(), "40 messages/s");
    assert.equal(await row.locator("[data-fact='tier'] dd").textContent(), "10,000 customers a day");
    const stored = await api("GET", `/api/inboxes/${cloudId}`);
    assert.deepEqual([stored.throughput_cap, stored.messaging_limit_tier, stored.has_access_token, stored.has_app_secret], [40, "10000", true, true]);
  });

  it("creates a sandbox inbox, syncs its demo templates and previews one", async () => {
    await page.getByRole("button", { name: "Create a sandbox inbox" }).click();
    const form = page.locator("[data-form='create-sandbox']");
    await form.getByLabel("Name", { exact: true }).fill(sandboxName);
    await shot("sandbox-form");
    await form.getByRole("button", { name: "Create sandbox inbox" }).click();
    await page
      .getByRole("status")
      .filter({ hasText: `Sandbox inbox “${sandboxName}” created.` })
      .waitFor();
    const row = page.locator("[data-inbox]").filter({ has: page.getByRole("heading", { name: sandboxName }) });
    sandboxId = Number(await row.getAttribute("data-inbox"));
    assert.match(await row.locator("[data-provider]").textContent(), /Sandbox/);

    // The simulated number answers the connection test like Meta.
    await row.getByRole("button", { name: `Test connection ${sandboxName}` }).click();
    const result = row.locator("[data-test-result='ok']");
    await result.waitFor();
    assert.match(await result.textContent(), /Connection works/);
    assert.equal(await result.locator("[data-fact='verified-name'] dd").textContent(), sandboxName);
    assert.equal(await result.locator("[data-fact='quality'] dd").textContent(), "High (green)");
    assert.equal(await result.locator("[data-fact='tier'] dd").textContent(), "250 customers a day");
    await shot("sandbox-tested");

    await row.getByRole("link", { name: `Templates ${sandboxName}` }).click();
    await page.waitForURL(new RegExp(`/inboxes/${sandboxId}/templates$`));
    await page.getByRole("heading", { name: `Templates of ${sandboxName}`, level: 1 }).waitFor();
    assert.match(await page.locator("[data-synced-at]").textContent(), /Not synced yet/);
    await shot("templates-empty");

    await page.getByRole("button", { name: "Sync templates" }).click();
    const synced = page.locator("[data-sync-result]");
    await synced.filter({ hasText: /Synced \d+ templates from WhatsApp/ }).waitFor();
    const count = Number((await synced.textContent()).match(/Synced (\d+)/)[1]);
    assert.ok(count >= 9, `the sandbox's demo templates (${count})`);
    assert.match(await page.locator("[data-synced-at]").textContent(), /Last synced: /);
    assert.equal(await page.locator("[data-template]").count(), count);
    await shot("templates");

    // A badge per status; filter by status.
    await page.getByLabel("Status", { exact: true }).selectOption("REJECTED");
    const rejected = page.locator("[data-template]");
    assert.equal(await rejected.count(), 1);
    assert.equal(await rejected.first().getAttribute("data-template"), "crypto_promo");
    assert.equal(await rejected.locator("[data-template-status]").textContent(), "Rejected");
    assert.match(await rejected.textContent(), /Meta rejected it/);
    await page.getByLabel("Status", { exact: true }).selectOption("");

    // Search by name, and the preview with Meta's examples or the placeholders.
    await page.getByLabel("Search by name").fill("welcome");
    const welcome = page.locator("[data-template='welcome_offer']");
    await page.waitForFunction(() => document.querySelectorAll("[data-template]").length === 1);
    assert.equal(await welcome.locator("[data-template-status]").textContent(), "Approved");
    assert.match(await welcome.textContent(), /pt_BR/);
    assert.match(await welcome.textContent(), /Marketing/);
    const bubble = welcome.locator("[data-preview]");
    assert.match(await bubble.textContent(), /Oferta para Maria/);
    assert.match(await bubble.textContent(), /Olá Maria! .*cupom BEMVINDO15/);
    assert.match(await welcome.locator(".bubble-buttons").textContent(), /Quero!/);
    await shot("template-preview");
    await page.getByLabel("Fill the previews with Meta's example values").uncheck();
    assert.match(await bubble.textContent(), /Olá \{\{1\}\}! .*cupom \{\{2\}\}/);
    await page.getByLabel("Search by name").fill("no-such-template");
    await page.getByText("No template matches the search.").waitFor();
    await page.getByLabel("Search by name").fill("");
    await page.getByLabel("Fill the previews with Meta's example values").check();
  });

  it("shows an operator the numbers and their templates but no admin forms", async () => {
    const operator = { email: `operator-${stamp}@example.com`, name: `Otto ${stamp}`, password: "operator password 123", role: "operator" };
    await api("POST", "/api/users", operator);
    const opContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const login = await opContext.request.post(at("/api/auth/login"), {
        headers: { origin: baseUrl },
        data: { email: operator.email, password: operator.password },
      });
      assert.equal(login.status(), 200);
      const op = await opContext.newPage();
      follow(op);
      await op.goto(at("/inboxes"));
      await op.evaluate(() => localStorage.setItem("herald.locale", "en"));
      await op.reload();
      const row = op.locator(`[data-inbox="${cloudId}"]`);
      await row.waitFor();
      assert.match(await op.locator("[data-notice='admins-only']").textContent(), /Only admins can connect or change numbers/);
      for (const name of ["Connect a Cloud API number", "Create a sandbox inbox", /^Test connection/, /^Edit/, /^Delete/]) {
        assert.equal(await op.getByRole("button", { name }).count(), 0, `no ${name} button`);
      }
      assert.equal(await op.locator("form").count(), 0, "no forms");
      assert.equal(await row.locator("[data-copy='verify-token']").count(), 0, "no verify token");
      assert.equal(await row.getByRole("link", { name: `Templates ${cloud.name}` }).count(), 1);
      await shot("operator", op);
      // Operators may sync and read templates.
      await op.goto(at(`/inboxes/${sandboxId}/templates`));
      await op.locator("[data-template='welcome_offer']").waitFor();
      await op.getByRole("button", { name: "Sync templates" }).click();
      await op
        .locator("[data-sync-result]")
        .filter({ hasText: /Synced/ })
        .waitFor();
      await shot("operator-templates", op);
    } finally {
      await opContext.close();
    }
  });

  it("deletes an inbox only after confirmation", async () => {
    await page.goto(at("/inboxes"));
    const row = card(cloudId);
    await row.waitFor();
    let asked = "";
    page.once("dialog", (dialog) => {
      asked = dialog.message();
      void dialog.dismiss();
    });
    await row.getByRole("button", { name: `Delete ${cloud.name}` }).click();
    assert.match(asked, new RegExp(`Delete the inbox “${cloud.name}”\\?`));
    assert.equal(await row.count(), 1, "kept when not confirmed");
    page.once("dialog", (dialog) => void dialog.accept());
    await row.getByRole("button", { name: `Delete ${cloud.name}` }).click();
    await page
      .getByRole("status")
      .filter({ hasText: `Inbox “${cloud.name}” deleted.` })
      .waitFor();
    assert.equal(await row.count(), 0);
    const { data } = await api("GET", "/api/inboxes");
    assert.ok(!data.some((i) => i.id === cloudId), "gone from the API too");
    await shot("deleted");
  });

  it("speaks Brazilian Portuguese", async () => {
    await page.evaluate(() => localStorage.setItem("herald.locale", "pt-BR"));
    try {
      await page.goto(at("/inboxes"));
      await page.getByRole("heading", { name: "Caixas de entrada", level: 1 }).waitFor();
      await page.getByRole("heading", { name: "Números conectados" }).waitFor();
      const row = card(sandboxId);
      assert.match(await row.textContent(), /Limite de mensagens/);
      assert.match(await row.textContent(), /Modelos/);
      await page.getByRole("button", { name: "Conectar um número da Cloud API" }).click();
      const form = page.locator("[data-form='connect-cloud']");
      await form.getByLabel("ID do número de telefone").waitFor();
      await form.getByLabel("Chave secreta do app").waitFor();
      await form.getByRole("button", { name: "Conectar número" }).click();
      await form.getByText("Informe um nome para a caixa de entrada").waitFor();
      await shot("pt-connect");
      await page.goto(at(`/inboxes/${sandboxId}/templates`));
      await page.getByRole("heading", { name: `Modelos de ${sandboxName}`, level: 1 }).waitFor();
      await page.getByRole("button", { name: "Sincronizar modelos" }).waitFor();
      assert.match(await page.locator("[data-synced-at]").textContent(), /Última sincronização: /);
      assert.equal(await page.locator("[data-template='welcome_offer'] [data-template-status]").textContent(), "Aprovado");
      assert.equal(await page.locator("[data-template='flash_sale'] [data-template-status]").textContent(), "Pausado");
      await shot("pt-templates");
    } finally {
      await page.evaluate(() => localStorage.setItem("herald.locale", "en"));
    }
  });

  it("fits a phone screen", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await page.goto(at("/inboxes"));
      await card(sandboxId).waitFor();
      await page.getByRole("button", { name: "Connect a Cloud API number" }).click();
      await page.locator("[data-form='connect-cloud']").waitFor();
      assert.equal(await fits(), true, "the inboxes page with the form fits");
      await shot("phone-inboxes");
      await page.goto(at(`/inboxes/${sandboxId}/templates`));
      await page.locator("[data-template='welcome_offer']").waitFor();
      assert.equal(await fits(), true, "the templates page fits");
      await shot("phone-templates");
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  });

  watch.explainFailures(afterEach);
  watch.itFoundNoProblems(it);
});

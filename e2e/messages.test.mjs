// One message to one contact from the Contacts page, through the UI alone, in a real browser
// against a running Herald (see e2e/run.mjs): the demo's welcome_offer template with its values
// and a live preview, its statuses arriving up to "read" without a reload; free text refused in
// words for a contact who never wrote; opted-out contacts that cannot be messaged; the keyboard;
// Portuguese; phone width. The API only sets up Meta's side (the demo number and its sandbox
// scenario) and checks results. Screenshots of every screen go to e2e/artifacts/screens/messages-*.png.
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { at, launchBrowser, pageWatch, screensDir } from "./browser.mjs";
import { apiOf, signInAsAdmin } from "./fixtures.mjs";

const stamp = `${Date.now() % 1e6}`;
/** The first demo contact (Ana …): its phone ends with these digits, whatever its area code. */
const ANA_DIGITS = "971000000";
/** A phone of this run that no demo contact has: area 69, 9 8xxx-xxxx. */
const seven = String(Date.now() % 1e7).padStart(7, "0");
const newPhone = `+55 69 98${seven.slice(0, 3)}-${seven.slice(3)}`;

describe("sending one message from the Contacts page", () => {
  let browser;
  let context;
  let page;
  /** Whether the focus reaches a row's "Send a message" button within a second (it moves there once the panel is gone and the row re-rendered). */
  const focusReturnsToRowButton = () =>
    page
      .waitForFunction(() => document.activeElement?.hasAttribute("data-send-message"), null, { timeout: 1_000 })
      .then(() => true)
      .catch(() => false);
  let api;
  let demoId;

  const watch = pageWatch("messages");
  /** A screenshot of the screen, and axe-core's check of it. */
  const shot = (name) => watch.shot(page, name);
  const fits = () => watch.fits(page);
  const rows = () => page.locator("[data-contacts] tbody tr");
  const panel = () => page.locator("[data-message-panel]");

  /** Searches the Contacts page and answers the row of the contact whose text matches `name`. */
  async function findContact(search, name) {
    await page.goto(at(`/contacts?q=${encodeURIComponent(search)}`));
    const row = rows().filter({ hasText: name }).first();
    await row.waitFor();
    return row;
  }

  before(async () => {
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "en-US" });
    page = watch.page(await context.newPage());
    page.setDefaultTimeout(15_000);
    await signInAsAdmin(context);
    api = apiOf(context);
    // Meta's side: the demo number (loaded when this runs first), answering fast, delivering and reading everything.
    const { data: inboxes } = await api("GET", "/api/inboxes");
    demoId = inboxes.find((i) => i.provider === "sandbox" && i.name === "Demo sandbox")?.id;
    if (!demoId) demoId = (await api("POST", "/api/demo")).inbox_id;
    await api("PUT", `/api/sandbox/inboxes/${demoId}/scenario`, {
      pair_rate_limit_ms: 0,
      undeliverable_suffix: "",
      sent_delay_ms: [50, 150],
      delivered_delay_ms: [100, 300],
      read_delay_ms: [200, 500],
      failed_rate: 0,
      unread_rate: 0,
      opt_out_rate: 0,
    });
    await page.goto(at("/"));
    await page.evaluate(() => localStorage.setItem("herald.locale", "en"));
    console.log(`e2e: screenshots of every screen in ${screensDir}`);
  });

  after(async () => {
    await browser?.close();
  });

  it("sends the welcome_offer template to a demo contact and shows it read without a reload", async () => {
    const row = await findContact(ANA_DIGITS, "Ana");
    const name = (await row.locator(".contact-name").textContent()).trim();
    await shot("contacts");
    await row.getByRole("button", { name: `Send a message ${name}` }).click();
    await page.getByRole("heading", { name: `Send a message to ${name}` }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.tagName), "H2", "the panel's heading takes the focus");
    assert.match(await panel().locator("dl").textContent(), new RegExp(`To.*${name}`));

    await panel().getByLabel("Inbox", { exact: true }).selectOption(String(demoId));
    await panel()
      .getByRole("radio", { name: /An approved template/ })
      .check();
    await panel().getByLabel("Template", { exact: true }).selectOption({ label: "welcome_offer (pt_BR)" });
    await panel().getByLabel("Header {{1}}").fill("Ana");
    await panel().getByLabel("Body {{1}}").fill("Ana");
    // The preview follows the values; a value not given yet stays as its placeholder.
    const preview = panel().locator("[data-preview]");
    assert.match(await preview.textContent(), /Oferta para Ana/);
    assert.match(await preview.textContent(), /Olá Ana! .*use o cupom \{\{2\}\}/);
    await panel().getByRole("button", { name: "Send", exact: true }).click();
    const missing = panel()
      .locator(".field")
      .filter({ has: page.getByLabel("Body {{2}}") })
      .locator(".field-error");
    assert.equal(await missing.textContent(), "Fill in Body {{2}}");
    assert.equal(await panel().getByLabel("Body {{2}}").getAttribute("aria-invalid"), "true");
    await panel().getByRole("alert").filter({ hasText: "Check the fields marked below." }).waitFor();
    await shot("template-missing-value");

    const coupon = `<b>BEMVINDO${stamp}</b>`;
    await panel().getByLabel("Body {{2}}").fill(coupon);
    assert.equal(await missing.count(), 0, "the error goes once the field is filled");
    assert.match(await preview.textContent(), new RegExp(`use o cupom <b>BEMVINDO${stamp}</b> e ganhe`), "values are shown as text");
    await shot("template-filled");
    await page.evaluate(() => (window.__sameDocument = true));
    await panel().getByRole("button", { name: "Send", exact: true }).click();

    const status = panel().locator("[data-message-status]");
    await status.waitFor();
    await page.getByRole("heading", { name: `Your message to ${name}` }).waitFor();
    await panel().locator('[data-message-status="read"]').waitFor({ timeout: 30_000 });
    assert.equal(await panel().locator(".message-status-now").textContent(), "Status: Read.");
    for (const step of ["accepted", "sent", "delivered", "read"]) {
      assert.equal(await panel().locator(`[data-step="${step}"]`).getAttribute("data-done"), "true", `${step} is ticked`);
    }
    assert.match(await panel().locator('[data-step="read"]').textContent(), /Read\s*\d/);
    assert.equal(await page.evaluate(() => window.__sameDocument), true, "no reload");
    assert.match(await status.locator("[data-preview]").textContent(), new RegExp(`cupom <b>BEMVINDO${stamp}</b>`));
    await shot("template-read");

    // The message as the API stores it: this template, to this contact.
    const { data } = await api("GET", `/api/inboxes/${demoId}/messages`);
    const sent = data.find((m) => JSON.stringify(m.content).includes(`BEMVINDO${stamp}`));
    assert.equal(sent?.template_name, "welcome_offer");
    assert.equal(sent.status, "read");
    assert.match(sent.to, new RegExp(`${ANA_DIGITS}$`));

    await panel().getByRole("button", { name: "Close" }).click();
    await panel().waitFor({ state: "detached" });
    assert.equal(await focusReturnsToRowButton(), true, "the focus returns to the row's button");
  });

  it("refuses free text to a contact who never wrote, and says why", async () => {
    const name = `Never Wrote ${stamp}`;
    await page.goto(at("/contacts"));
    await page.getByRole("button", { name: "Add contact" }).click();
    const form = page.locator(".contact-form");
    await form.getByLabel("Name", { exact: true }).fill(name);
    await form.getByLabel("Phone", { exact: true }).fill(newPhone);
    await form.getByRole("button", { name: "Add contact" }).click();
    await page
      .getByRole("status")
      .filter({ hasText: `${name} added.` })
      .waitFor();

    const row = await findContact(name, name);
    await row.getByRole("button", { name: `Send a message ${name}` }).click();
    await page.getByRole("heading", { name: `Send a message to ${name}` }).waitFor();
    assert.equal(await panel().locator("[data-last-wrote]").textContent(), "Never");
    await panel().getByLabel("Inbox", { exact: true }).selectOption(String(demoId));
    await panel()
      .getByRole("radio", { name: /Free text/ })
      .check();
    const notice = panel().locator("[data-notice='window']");
    assert.equal(
      await notice.textContent(),
      `${name} has never written to you. WhatsApp only delivers free text to contacts who wrote in the last 24 hours: send an approved template instead.`,
    );

    // An empty message is refused next to the field.
    await panel().getByRole("button", { name: "Send", exact: true }).click();
    assert.equal(
      await panel()
        .locator(".field")
        .filter({ has: page.getByLabel("Message", { exact: true }) })
        .locator(".field-error")
        .textContent(),
      "Write the message",
    );

    await panel().getByLabel("Message", { exact: true }).fill(`Hello <i>${stamp}</i>`);
    assert.equal(await panel().locator("[data-preview] .bubble-body").textContent(), `Hello <i>${stamp}</i>`);
    await panel().getByRole("button", { name: "Send", exact: true }).click();
    const refusal = panel().getByRole("alert");
    await refusal.waitFor();
    assert.equal(
      await refusal.textContent(),
      `Not sent: ${name} has never written to you, so WhatsApp would not deliver free text. Send an approved template instead.`,
    );
    assert.equal(await panel().locator("[data-message-status]").count(), 0, "nothing was sent");
    await shot("text-refused");
    const { data } = await api("GET", `/api/inboxes/${demoId}/messages`);
    assert.equal(data.filter((m) => JSON.stringify(m.content).includes(`<i>${stamp}</i>`)).length, 0);

    // Escape closes the panel and gives the focus back to the row's button.
    await panel().getByLabel("Message", { exact: true }).focus();
    await page.keyboard.press("Escape");
    await panel().waitFor({ state: "detached" });
    assert.equal(await focusReturnsToRowButton(), true, "the focus returns to the row's button");
  });

  it("sends free text once the contact has written in, and shows it read", async () => {
    const name = `Never Wrote ${stamp}`;
    // Meta's side: the contact writes to the demo number; Herald learns it from the webhook.
    await api("POST", `/api/sandbox/inboxes/${demoId}/inbound`, { from: newPhone.replace(/[^\d+]/g, ""), text: "Oi, tudo bem?" });
    for (let i = 0; i < 60; i++) {
      const { data } = await api("GET", `/api/contacts?q=${encodeURIComponent(name)}`);
      if (data[0]?.last_inbound_at) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const row = await findContact(name, name);
    await row.getByRole("button", { name: `Send a message ${name}` }).click();
    await page.getByRole("heading", { name: `Send a message to ${name}` }).waitFor();
    assert.notEqual(await panel().locator("[data-last-wrote]").textContent(), "Never");
    await panel().getByLabel("Inbox", { exact: true }).selectOption(String(demoId));
    await panel()
      .getByRole("radio", { name: /Free text/ })
      .check();
    assert.match(
      await panel().locator("[data-notice='window']").textContent(),
      new RegExp(`^${name} last wrote to you on .+: free text reaches them for another (2[34] h|23 h \\d+ min)\\.$`),
    );
    await panel().getByLabel("Message", { exact: true }).fill(`Tudo ótimo! ${stamp}`);
    await shot("text-window-open");
    await panel().getByRole("button", { name: "Send", exact: true }).click();
    await panel().locator('[data-message-status="read"]').waitFor({ timeout: 30_000 });
    assert.match(await panel().locator("[data-message-status] [data-preview]").textContent(), new RegExp(`Tudo ótimo! ${stamp}`));
    await shot("text-read");
    await panel().getByRole("button", { name: "Close" }).click();
  });

  it("does not let an opted-out contact be messaged, and shows why", async () => {
    await page.goto(at("/contacts?opted_out=true"));
    const row = rows().first();
    await row.waitFor();
    const button = row.locator("[data-send-message]");
    assert.equal(await button.isDisabled(), true);
    const reason = row.locator(".send-message-reason");
    assert.equal(await reason.textContent(), "Opted out: cannot be messaged");
    assert.equal(await button.getAttribute("aria-describedby"), await reason.getAttribute("id"));
    await shot("opted-out");
  });

  it("works with the keyboard alone", async () => {
    const row = await findContact(ANA_DIGITS, "Ana");
    await row.locator("[data-send-message]").focus();
    await page.keyboard.press("Enter");
    await panel().getByLabel("Inbox", { exact: true }).waitFor();
    // Tab from the heading reaches the inbox, then the kind of message.
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement?.tagName), "SELECT");
    await panel().getByLabel("Inbox", { exact: true }).selectOption(String(demoId));
    await panel()
      .getByRole("radio", { name: /An approved template/ })
      .focus();
    await page.keyboard.press("Space");
    await panel().getByLabel("Template", { exact: true }).waitFor();
    await page.keyboard.press("Escape");
    await panel().waitFor({ state: "detached" });
  });

  it("speaks Portuguese, and shows a template read there too", async () => {
    await page.evaluate(() => localStorage.setItem("herald.locale", "pt-BR"));
    try {
      const row = await findContact(ANA_DIGITS, "Ana");
      const name = (await row.locator(".contact-name").textContent()).trim();
      await row.getByRole("button", { name: `Enviar mensagem ${name}` }).click();
      await page.getByRole("heading", { name: `Enviar mensagem para ${name}` }).waitFor();
      await panel().getByLabel("Caixa de entrada", { exact: true }).selectOption(String(demoId));
      await panel()
        .getByRole("radio", { name: /Texto livre/ })
        .check();
      await panel().locator("[data-notice='window']").waitFor();
      await panel()
        .getByRole("radio", { name: /Um modelo aprovado/ })
        .check();
      await panel().getByLabel("Modelo", { exact: true }).selectOption({ label: "hello_world (en_US)" });
      assert.match(await panel().textContent(), /Este modelo não tem variáveis/);
      await shot("pt-template");
      await panel().getByRole("button", { name: "Enviar", exact: true }).click();
      await panel().locator('[data-message-status="read"]').waitFor({ timeout: 30_000 });
      assert.equal(await panel().locator(".message-status-now").textContent(), "Status: Lida.");
      assert.match(await panel().locator('[data-step="accepted"]').textContent(), /Aceita pelo WhatsApp/);
      await shot("pt-read");

      await page.goto(at("/contacts?opted_out=true"));
      assert.equal(await rows().first().locator(".send-message-reason").textContent(), "Descadastrado: não recebe mensagens");
    } finally {
      await page.evaluate(() => localStorage.setItem("herald.locale", "en"));
    }
  });

  it("fits a phone screen", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await page.goto(at("/contacts?opted_out=true"));
      await rows().first().locator(".send-message-reason").waitFor();
      assert.equal(await fits(), true, "an opted-out contact's row fits");
      await shot("phone-opted-out");
      const row = await findContact(ANA_DIGITS, "Ana");
      assert.equal(await fits(), true, "the list fits");
      await row.locator("[data-send-message]").click();
      await panel().getByLabel("Inbox", { exact: true }).selectOption(String(demoId));
      await panel()
        .getByRole("radio", { name: /An approved template/ })
        .check();
      await panel().getByLabel("Template", { exact: true }).selectOption({ label: "welcome_offer (pt_BR)" });
      await panel().getByLabel("Header {{1}}").fill("Ana");
      await panel().getByLabel("Body {{1}}").fill("Ana");
      await panel().getByLabel("Body {{2}}").fill("BEMVINDO15");
      assert.equal(await fits(), true, "the panel fits");
      await shot("phone-template");
      await panel().getByRole("button", { name: "Send", exact: true }).click();
      await panel().locator('[data-message-status="read"]').waitFor({ timeout: 30_000 });
      assert.equal(await fits(), true, "the statuses fit");
      await shot("phone-read");
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  });

  watch.explainFailures(afterEach);
  watch.itFoundNoProblems(it);
});

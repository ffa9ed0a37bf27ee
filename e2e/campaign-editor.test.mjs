// Creating, launching and following campaigns through the UI alone, in a real browser against a
// fresh Herald (see e2e/run.mjs): no inbox yet, then the demo loaded from the editor; a template
// campaign sent now and followed to its replies; free text with variants paused and resumed; a
// scheduled campaign starting by itself; a draft reopened and launched; a test send; the
// keyboard alone; phone width. Only the simulated WhatsApp number (the sandbox) is set up
// through the API, as Meta's side of the world. Screenshots of every screen go to a folder the
// run prints.
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { at, launchBrowser, pageWatch, screensDir } from "./browser.mjs";
import { apiOf, signInAsAdmin } from "./fixtures.mjs";

const TIME_ZONE = "America/Sao_Paulo";
const stamp = `${Date.now() % 1e6}`;

describe("campaign editor and campaign page", () => {
  let browser;
  let context;
  let page;

  /** The API as the signed-in browser calls it. */
  let api;

  const watch = pageWatch("campaigns");
  const shot = (name) => watch.shot(page, name);
  const continueButton = () => page.getByRole("button", { name: /^(Continue|Save and review)$/ });
  const stepHeading = (name) => page.getByRole("heading", { name: new RegExp(`Step \\d of 8 ${name}$`) });
  const counter = (name) => page.locator(`[data-campaign] [data-counter="${name}"]`);
  const countOf = async (name) => Number((await counter(name).textContent()).replace(/\D/g, ""));

  /** Steps 1–4: type, title, inbox (the first), audience (labels by name, "all" when asked). */
  async function startCampaign(title, labels, { match = "any" } = {}) {
    await page.goto(at("/campaigns"));
    await page.getByRole("link", { name: "Create campaign" }).click();
    await stepHeading("Type").waitFor();
    await continueButton().click();
    await page.getByLabel("Campaign title").fill(title);
    await continueButton().click();
    await stepHeading("Inbox").waitFor();
    await page.getByRole("group", { name: "Which WhatsApp number sends this campaign?" }).getByRole("radio").first().check();
    await continueButton().click();
    await stepHeading("Audience").waitFor();
    const include = page.getByRole("group", { name: "Send to contacts with these labels" });
    for (const name of labels) await include.getByRole("checkbox", { name: new RegExp(`^${name} \\(`) }).check();
    if (match === "all") await page.getByRole("radio", { name: "All of these labels" }).check();
    await page.locator("[data-audience-total], [data-notice='empty-audience']").first().waitFor();
  }

  /** Step 5 for welcome_offer: header and body {{1}} from the contact's first name, body {{2}} fixed. */
  async function chooseWelcomeOffer() {
    await page.getByRole("radio", { name: /^welcome_offer · pt_BR/ }).check();
    const header = page.locator('[data-variable="header.1"]');
    await header.getByLabel("Value").selectOption("first_name");
    await header.getByLabel("Fallback").fill("cliente");
    const body1 = page.locator('[data-variable="body.1"]');
    await body1.getByLabel("Value").selectOption("first_name");
    await body1.getByLabel("Fallback").fill("cliente");
    const body2 = page.locator('[data-variable="body.2"]');
    await body2.getByLabel("Value").selectOption("fixed");
    await body2.getByLabel("Text").fill("BEMVINDO15");
  }

  /** Step 6: the pace. */
  async function setPace(min, max) {
    await stepHeading("Send settings").waitFor();
    await page.getByLabel("Minimum delay between messages (seconds)").fill(String(min));
    await page.getByLabel("Maximum delay between messages (seconds)").fill(String(max));
    await continueButton().click();
  }

  /** Step 7 and the review's confirm button; ends on the campaign's page. */
  async function confirm(when, confirmLabel) {
    await stepHeading("When").waitFor();
    await page.getByRole("radio", { name: when }).check();
    await continueButton().click();
    await stepHeading("Review").waitFor();
    await page.locator("[data-recipients]").waitFor();
    await page.getByRole("button", { name: confirmLabel }).click();
    await page.waitForURL(/\/campaigns\/\d+$/);
    await page.getByRole("heading", { name: "Progress" }).waitFor();
    return Number(new URL(page.url()).pathname.split("/").pop());
  }

  const badgeText = () => page.locator("h1 + [data-status]").textContent();

  before(async () => {
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: TIME_ZONE });
    page = watch.page(await context.newPage());
    page.setDefaultTimeout(15_000);
    // Signed in as the admin (set up here, without the demo, when this file runs alone).
    await signInAsAdmin(context);
    api = apiOf(context);
    console.log(`e2e: screenshots of every screen in ${screensDir}`);
  });

  after(async () => {
    await browser?.close();
  });

  it("says to connect an inbox first, and lets an admin load the demo number from there", async () => {
    const { data: inboxes } = await api("GET", "/api/inboxes");
    if (inboxes.length === 0) {
      await page.goto(at("/campaigns"));
      await shot("campaigns-empty");
      await page.getByRole("link", { name: "Create campaign" }).click();
      await shot("type");
      await continueButton().click();
      await page.getByLabel("Campaign title").fill(`No inbox ${stamp}`);
      await continueButton().click();
      const notice = page.locator("[data-notice='no-inbox']");
      await notice.waitFor();
      assert.match(await notice.textContent(), /Connect a WhatsApp inbox first/);
      assert.equal(await notice.getByRole("link", { name: /Inboxes page/ }).getAttribute("href"), "/inboxes");
      await shot("no-inbox");
      await notice.getByRole("button", { name: "Load the demo" }).click();
    } else {
      await api("POST", "/api/demo");
      await page.goto(at("/campaigns/new"));
      await continueButton().click();
      await page.getByLabel("Campaign title").fill(`No inbox ${stamp}`);
      await continueButton().click();
    }
    const inbox = page.getByRole("group", { name: "Which WhatsApp number sends this campaign?" });
    await inbox.getByRole("radio", { name: /Demo sandbox/ }).waitFor();
    await shot("inbox");
    // Meta's side: a number that answers quickly, delivers everything, and every reader replies.
    const demo = (await api("GET", "/api/inboxes")).data.find((i) => i.name === "Demo sandbox");
    await api("PUT", `/api/sandbox/inboxes/${demo.id}/scenario`, {
      pair_rate_limit_ms: 0,
      undeliverable_suffix: "",
      sent_delay_ms: [50, 150],
      delivered_delay_ms: [100, 300],
      read_delay_ms: [200, 600],
      reply_delay_ms: [200, 600],
      failed_rate: 0,
      unread_rate: 0,
      reply_rate: 1,
      opt_out_rate: 0,
    });
  });

  it("says so when no contact has the chosen labels", async () => {
    await startCampaign(`Empty ${stamp}`, ["São Paulo", "Rio de Janeiro"], { match: "all" });
    const notice = page.locator("[data-notice='empty-audience']");
    await notice.waitFor();
    assert.match(await notice.textContent(), /No contact has these labels/);
    assert.equal(await notice.getByRole("link", { name: "Contacts" }).getAttribute("href"), "/contacts");
    await shot("audience-empty");
  });

  it("sends a template campaign now and follows it to its replies without a reload, with a test send first", async () => {
    await startCampaign(`Template ${stamp}`, ["VIP"]);
    const total = Number((await page.locator("[data-audience-total]").textContent()).replace(/\D/g, ""));
    assert.ok(total > 0, "the VIP label has contacts");
    const samplePhone = (await page.locator(".sample-list li .muted").first().textContent()).trim();
    await shot("audience");
    await continueButton().click();
    await stepHeading("Content").waitFor();
    await chooseWelcomeOffer();
    // The preview shows the first sample contact's first name and the fixed value, as text.
    const bubble = page.locator("[data-preview]");
    await bubble.filter({ hasText: "BEMVINDO15" }).waitFor();
    assert.doesNotMatch(await bubble.textContent(), /\{\{1\}\}/);
    await shot("content-template");
    await continueButton().click();
    await page.getByText(/Estimated duration for/).waitFor();
    await shot("settings");
    await setPace(0, 0);
    await stepHeading("When").waitFor();
    await shot("when");
    await page.getByRole("radio", { name: "Send now" }).check();
    await continueButton().click();
    await stepHeading("Review").waitFor();
    await page
      .locator("[data-recipients]")
      .filter({ hasText: String(total) })
      .waitFor();

    // A test to a contact of the audience, rendered with that contact's values.
    await page.getByLabel("Phone numbers").fill(samplePhone);
    await page.getByRole("button", { name: "Send test" }).click();
    const results = page.locator("[data-test-results] li");
    await results.waitFor();
    assert.match(await results.textContent(), new RegExp(`\\${samplePhone}: sent`));
    await shot("review");

    await page.getByRole("button", { name: "Send now" }).click();
    await page.waitForURL(/\/campaigns\/\d+$/);
    const id = Number(new URL(page.url()).pathname.split("/").pop());
    await page.getByRole("heading", { name: "Progress" }).waitFor();
    await page.evaluate(() => (window.heraldMarker = true));
    await page.waitForFunction(() => document.querySelector("h1 + [data-status]")?.textContent === "Completed", null, { timeout: 60_000 });
    await page
      .waitForFunction((n) => document.querySelector('[data-campaign] [data-counter="replied"]')?.textContent === String(n), total, { timeout: 60_000 })
      .catch(async (e) => {
        const shown = await page.locator("[data-campaign] .counters").textContent();
        const { progress } = await api("GET", `/api/campaigns/${id}`);
        throw new Error(`${e.message}\nthe page shows ${shown}; the API says ${JSON.stringify(progress)}`);
      });
    assert.equal(await countOf("sent"), total);
    assert.equal(await countOf("delivered"), total);
    assert.equal(await countOf("read"), total);
    assert.equal(await page.evaluate(() => window.heraldMarker), true, "the page was not reloaded");
    // The chart and the recipients table.
    await page.locator("[data-chart] canvas").waitFor();
    // The table follows the campaign too (refreshed every few seconds while progress arrives).
    await page.locator("[data-recipients-table] tbody tr[data-state='replied']").first().waitFor();
    await page.getByLabel("Search by phone").fill(samplePhone.slice(-6));
    await page.waitForFunction(() => document.querySelectorAll("[data-recipients-table] tbody tr").length === 1);
    assert.equal(await page.getByRole("link", { name: "Export CSV" }).getAttribute("href"), `/api/campaigns/${id}/recipients.csv`);
    await shot("campaign-completed");
    const view = await api("GET", `/api/campaigns/${id}`);
    assert.equal(view.progress.replied, total);
    assert.equal(view.content.values.body["2"].value, "BEMVINDO15");
    assert.deepEqual(view.content.values.body["1"], { source: "contact", field: "first_name", fallback: "cliente" });
  });

  it("builds free text with two variants using the variable picker, then pauses and resumes it from its page", async () => {
    await startCampaign(`Variants ${stamp}`, ["Customers"]);
    await continueButton().click();
    await stepHeading("Content").waitFor();
    await page.getByRole("radio", { name: /Message with variants/ }).check();
    const notice = page.locator("[data-notice='service-window']");
    assert.match(await notice.textContent(), /would be skipped today/);
    const first = page.getByRole("textbox", { name: "Variant 1", exact: true });
    await first.fill("Oi ");
    const picker1 = page.getByRole("group", { name: "Insert a variable into variant 1" });
    await picker1.getByLabel("Variable").selectOption("contact.first_name");
    await picker1.getByLabel("Fallback (optional)").fill("cliente");
    await picker1.getByRole("button", { name: "Insert variable" }).click();
    await first.press("End");
    await first.type(", temos novidades!");
    assert.equal(await first.inputValue(), 'Oi {{contact.first_name | "cliente"}}, temos novidades!');
    await page.getByRole("button", { name: "Add a variant" }).click();
    const second = page.getByRole("textbox", { name: "Variant 2", exact: true });
    await second.fill(" chegou a nova coleção.");
    await second.press("Home");
    const picker2 = page.getByRole("group", { name: "Insert a variable into variant 2" });
    await picker2.getByLabel("Variable").selectOption("contact.name");
    await picker2.getByRole("button", { name: "Insert variable" }).click();
    assert.equal(await second.inputValue(), "{{contact.name}} chegou a nova coleção.");
    await shot("content-variants");
    await continueButton().click();
    await setPace(2, 2);
    const id = await confirm("Send now", "Send now");
    await page.waitForFunction(() => document.querySelector("h1 + [data-status]")?.textContent === "Sending");
    await page.getByRole("button", { name: "Pause" }).click();
    await page.waitForFunction(() => document.querySelector("h1 + [data-status]")?.textContent === "Paused");
    assert.equal((await api("GET", `/api/campaigns/${id}`)).status, "paused");
    await shot("campaign-paused");
    await page.getByRole("button", { name: "Resume" }).click();
    await page.waitForFunction(() => document.querySelector("h1 + [data-status]")?.textContent === "Sending");
    assert.equal((await api("GET", `/api/campaigns/${id}`)).status, "sending");
    // Cancelling asks first.
    page.once("dialog", (d) => void d.accept());
    await page.getByRole("button", { name: "Cancel campaign" }).click();
    await page.waitForFunction(() => document.querySelector("h1 + [data-status]")?.textContent === "Cancelled");
    const view = await api("GET", `/api/campaigns/${id}`);
    assert.deepEqual(view.content.variants, ['Oi {{contact.first_name | "cliente"}}, temos novidades!', "{{contact.name}} chegou a nova coleção."]);
  });

  it("saves a draft, offers no cancel on it, reopens it, edits it and launches it", async () => {
    await startCampaign(`Draft ${stamp}`, ["VIP"]);
    await continueButton().click();
    await stepHeading("Content").waitFor();
    await chooseWelcomeOffer();
    await continueButton().click();
    await setPace(0, 0);
    const id = await confirm("Save as draft", "Save draft");
    assert.equal(await badgeText(), "Draft");
    assert.equal(await page.getByRole("button", { name: /Cancel/ }).count(), 0, "a draft cannot be cancelled");
    await page.goto(at("/campaigns"));
    const card = page.locator(`[data-campaign="${id}"]`);
    assert.equal(await card.getByRole("button", { name: /Cancel/ }).count(), 0, "the list offers no cancel on a draft");
    await card.getByRole("link", { name: /^Edit/ }).click();
    await stepHeading("Title").waitFor();
    assert.equal(await page.getByLabel("Campaign title").inputValue(), `Draft ${stamp}`);
    await page.getByLabel("Campaign title").fill(`Draft ${stamp} (edited)`);
    await continueButton().click();
    await continueButton().click();
    await stepHeading("Audience").waitFor();
    await continueButton().click();
    await stepHeading("Content").waitFor();
    assert.equal(await page.getByRole("radio", { name: /^welcome_offer · pt_BR/ }).isChecked(), true, "the draft's template is chosen");
    assert.equal(await page.locator('[data-variable="body.2"]').getByLabel("Text").inputValue(), "BEMVINDO15");
    await continueButton().click();
    await continueButton().click();
    await confirm("Send now", "Send now");
    assert.equal(await page.locator("h1").textContent(), `Draft ${stamp} (edited)`);
    await page.waitForFunction(() => ["Sending", "Completed"].includes(document.querySelector("h1 + [data-status]")?.textContent));
  });

  it("schedules a campaign a minute ahead in the browser's time zone and shows it starting", async () => {
    await startCampaign(`Scheduled ${stamp}`, ["VIP"]);
    await continueButton().click();
    await stepHeading("Content").waitFor();
    await chooseWelcomeOffer();
    await continueButton().click();
    await setPace(0, 0);
    await stepHeading("When").waitFor();
    await page.getByRole("radio", { name: "Schedule" }).check();
    assert.equal(await page.getByLabel("Time zone").inputValue(), TIME_ZONE);
    // A time in the past: the server refuses it, and the refusal appears next to the date.
    await page.getByLabel("Date", { exact: true }).fill("2020-01-01");
    await continueButton().click();
    await stepHeading("Review").waitFor();
    await page.getByRole("button", { name: "Schedule campaign" }).click();
    await stepHeading("When").waitFor();
    const dateError = page.getByLabel("Date", { exact: true });
    assert.equal(await dateError.getAttribute("aria-invalid"), "true");
    const describedBy = await dateError.getAttribute("aria-describedby");
    assert.match(await page.locator(`[id="${describedBy}"]`).textContent(), /in the past/);
    await shot("when-error");
    // The next minute that is at least 30 s away, as the browser's clock shows it in its zone.
    const at = new Date(Math.ceil((Date.now() + 30_000) / 60_000) * 60_000);
    const parts = Object.fromEntries(
      new Intl.DateTimeFormat("en-CA", {
        timeZone: TIME_ZONE,
        hourCycle: "h23",
        year: "numeric",
        month: "2-digit",
        day: "2-digit",
        hour: "2-digit",
        minute: "2-digit",
      })
        .formatToParts(at)
        .map((p) => [p.type, p.value]),
    );
    await page.getByLabel("Date", { exact: true }).fill(`${parts.year}-${parts.month}-${parts.day}`);
    await page.getByLabel("Time", { exact: true }).fill(`${parts.hour}:${parts.minute}`);
    await shot("when-schedule");
    await continueButton().click();
    await stepHeading("Review").waitFor();
    await page.locator("[data-recipients]").waitFor();
    await page.getByRole("button", { name: "Schedule campaign" }).click();
    await page.waitForURL(/\/campaigns\/\d+$/);
    await page.getByRole("heading", { name: "Progress" }).waitFor();
    const id = Number(new URL(page.url()).pathname.split("/").pop());
    assert.equal(await badgeText(), "Scheduled");
    const view = await api("GET", `/api/campaigns/${id}`);
    assert.equal(Date.parse(view.scheduled_at), at.getTime());
    assert.equal(view.timezone, TIME_ZONE);
    await shot("campaign-scheduled");
    await page.waitForFunction(() => ["Sending", "Completed"].includes(document.querySelector("h1 + [data-status]")?.textContent), null, {
      timeout: at.getTime() - Date.now() + 60_000,
    });
  });

  it("creates a campaign with the keyboard alone", async () => {
    await page.goto(at("/campaigns"));
    /** Presses Tab until `matches` holds for the focused element (at most 80 times). */
    const tabUntil = async (matches, arg) => {
      for (let i = 0; i < 80; i++) {
        await page.keyboard.press("Tab");
        if (await page.evaluate(matches, arg)) return;
      }
      assert.fail(`Tab never reached ${String(matches)} ${arg ?? ""}`);
    };
    const focusedText = (text) => document.activeElement?.textContent?.trim() === text;
    const focusedLabel = (label) => {
      const el = document.activeElement;
      return !!el && [...(el.labels ?? [])].some((l) => l.textContent.trim().startsWith(label));
    };
    await tabUntil(focusedText, "Create campaign");
    await page.keyboard.press("Enter");
    await stepHeading("Type").waitFor();
    await tabUntil(focusedText, "Continue");
    await page.keyboard.press("Enter");
    await stepHeading("Title").waitFor();
    // Each new step's heading has the focus; its first field is the next Tab stop.
    await tabUntil(focusedLabel, "Campaign title");
    await page.keyboard.type(`Keyboard ${stamp}`);
    await page.keyboard.press("Enter");
    await stepHeading("Inbox").waitFor();
    await tabUntil(() => document.activeElement?.getAttribute("name") === "inbox");
    await page.keyboard.press("Space");
    await tabUntil(focusedText, "Continue");
    await page.keyboard.press("Enter");
    await stepHeading("Audience").waitFor();
    await tabUntil(focusedLabel, "VIP");
    await page.keyboard.press("Space");
    await page.locator("[data-audience-total]").waitFor();
    await tabUntil(focusedText, "Continue");
    await page.keyboard.press("Enter");
    await stepHeading("Content").waitFor();
    await tabUntil(() => document.activeElement?.getAttribute("name") === "template");
    while (!(await page.evaluate(() => document.activeElement?.value?.startsWith("welcome_offer|")))) await page.keyboard.press("ArrowDown");
    for (const [variable, presses] of [
      ["header.1", 3],
      ["body.1", 3],
      ["body.2", 1],
    ]) {
      await tabUntil(
        (v) => document.activeElement?.closest("[data-variable]")?.getAttribute("data-variable") === v && document.activeElement.tagName === "SELECT",
        variable,
      );
      for (let i = 0; i < presses; i++) await page.keyboard.press("ArrowDown");
      await page.keyboard.press("Tab");
      await page.keyboard.type(variable === "body.2" ? "TECLADO" : "cliente");
    }
    assert.match(await page.locator("[data-preview]").textContent(), /TECLADO/);
    await page.keyboard.press("Enter");
    await stepHeading("Send settings").waitFor();
    await tabUntil(focusedText, "Continue");
    await page.keyboard.press("Enter");
    await stepHeading("When").waitFor();
    await tabUntil(() => document.activeElement?.getAttribute("name") === "when");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowDown");
    assert.equal(await page.getByRole("radio", { name: "Save as draft" }).isChecked(), true);
    await tabUntil(focusedText, "Save and review");
    await page.keyboard.press("Enter");
    await stepHeading("Review").waitFor();
    await page.locator("[data-recipients]").waitFor();
    await tabUntil(focusedText, "Save draft");
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/campaigns\/\d+$/);
    await page.getByRole("heading", { name: "Progress" }).waitFor();
    assert.equal(await page.locator("h1").textContent(), `Keyboard ${stamp}`);
    const id = Number(new URL(page.url()).pathname.split("/").pop());
    const view = await api("GET", `/api/campaigns/${id}`);
    assert.equal(view.status, "draft");
    assert.deepEqual(view.content.values.header["1"], { source: "contact", field: "first_name", fallback: "cliente" });
    assert.deepEqual(view.content.values.body["2"], { source: "fixed", value: "TECLADO" });
  });

  it("shows failures by error code with what to do, and the advice for many failures", async () => {
    const demo = (await api("GET", "/api/inboxes")).data.find((i) => i.name === "Demo sandbox");
    // Meta's side: about a third of the sends refused as not on WhatsApp (below the auto-pause threshold).
    await api("PUT", `/api/sandbox/inboxes/${demo.id}/scenario`, { random_failure_rate: 0.35, random_failure_codes: [131026] });
    try {
      await startCampaign(`Failing ${stamp}`, ["Customers"]);
      await continueButton().click();
      await stepHeading("Content").waitFor();
      await chooseWelcomeOffer();
      await continueButton().click();
      await setPace(0, 0);
      await confirm("Send now", "Send now");
      await page.waitForFunction(() => ["Completed", "Paused"].includes(document.querySelector("h1 + [data-status]")?.textContent), null, { timeout: 60_000 });
      const advice = page.locator("[data-notice='many-failures']");
      await advice.waitFor();
      assert.match(await advice.textContent(), /Lower the pace \(longer delays, smaller batches\) and check the number's health/);
      const row = page.locator("[data-failures] tbody tr").filter({ hasText: "131026" });
      await row.waitFor();
      assert.match(await row.textContent(), /undeliverable/i);
      await page.getByLabel("State", { exact: true }).selectOption("failed");
      await page.waitForFunction(() => {
        const rows = [...document.querySelectorAll("[data-recipients-table] tbody tr")];
        return rows.length > 0 && rows.every((r) => r.getAttribute("data-state") === "failed");
      });
      assert.match(await page.locator("[data-recipients-table] tbody tr").first().textContent(), /131026/);
      await shot("campaign-failures");
    } finally {
      await api("PUT", `/api/sandbox/inboxes/${demo.id}/scenario`, { random_failure_rate: 0 });
    }
  });

  it("speaks Brazilian Portuguese when chosen, and remembers it", async () => {
    await page.goto(at("/campaigns"));
    await page.getByLabel("Language").selectOption("pt-BR");
    await page.getByRole("heading", { name: "Campanhas", exact: true }).waitFor();
    assert.equal(await page.getAttribute("html", "lang"), "pt-BR");
    assert.equal(await page.getByRole("link", { name: "Criar campanha" }).count(), 1);
    await page.reload();
    await page.getByRole("heading", { name: "Campanhas", exact: true }).waitFor();
    await shot("pt-campaigns");
    await page.getByRole("link", { name: "Criar campanha" }).click();
    await page.getByRole("heading", { name: /Passo 1 de 8 Tipo$/ }).waitFor();
    await page.getByRole("button", { name: "Continuar" }).click();
    await page.getByLabel("Título da campanha").fill(`Português ${stamp}`);
    await page.getByRole("button", { name: "Continuar" }).click();
    await page.getByRole("group", { name: "Qual número de WhatsApp envia esta campanha?" }).getByRole("radio").first().check();
    await page.getByRole("button", { name: "Continuar" }).click();
    await page
      .getByRole("checkbox", { name: /^VIP \(/ })
      .first()
      .check();
    await page.getByText(/contatos recebem esta campanha\./).waitFor();
    await shot("pt-audience");
    const { data } = await api("GET", "/api/campaigns?status=completed&limit=1");
    await page.goto(at(`/campaigns/${data[0].id}`));
    await page.getByRole("heading", { name: "Progresso" }).waitFor();
    assert.equal(await page.locator("h1 + [data-status]").textContent(), "Concluída");
    await shot("pt-campaign");
    await page.getByLabel("Idioma").selectOption("en");
    await page.getByRole("heading", { name: "Progress" }).waitFor();
  });

  it("fits a phone screen", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const fits = () => watch.fits(page);
    await page.goto(at("/campaigns"));
    await page.locator("[data-campaign]").first().waitFor();
    assert.equal(await fits(), true, "the list fits");
    await shot("phone-campaigns");
    await startCampaign(`Phone ${stamp}`, ["VIP"]);
    assert.equal(await fits(), true, "the audience step fits");
    await continueButton().click();
    await stepHeading("Content").waitFor();
    await chooseWelcomeOffer();
    assert.equal(await fits(), true, "the content step fits");
    await shot("phone-content");
    const { data } = await api("GET", "/api/campaigns?status=completed&limit=1");
    await page.goto(at(`/campaigns/${data[0].id}`));
    await page.locator("[data-chart] canvas").waitFor();
    assert.equal(await fits(), true, "the campaign page fits");
    await shot("phone-campaign");
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  watch.explainFailures(afterEach);
  watch.itFoundNoProblems(it);
});

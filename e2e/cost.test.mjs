// What campaigns cost, in a real browser: an admin sets the workspace's own rate for a country in
// Settings (an empty country and a mistyped rate are refused next to their fields), the editor's
// review step estimates the campaign at that rate and the card's, and once launched the campaign's
// page shows its cost so far from the pricing the sandbox reports, beside the estimate taken at
// launch. Only Meta's side (a sandbox number), the audience and the draft are set up through the
// API. Portuguese and phone width too. Screenshots of every screen go to e2e/artifacts/screens.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { at, launchBrowser, pageWatch, screensDir } from "./browser.mjs";
import { apiOf, labelledContacts, sandboxInbox, signInAsAdmin } from "./fixtures.mjs";

const stamp = `${Date.now() % 1e6}`.padStart(6, "0");
/** Three contacts in Brazil and one in the United States. */
const PHONES = [1, 2, 3].map((i) => `+5511987${stamp.slice(-5)}${i}`).concat(`+1212555${stamp.slice(-4)}`);

describe("what campaigns cost", () => {
  let browser;
  let context;
  let page;
  let api;
  let inboxId;
  let labelId;
  let campaignId;

  const watch = pageWatch("cost");
  const shot = (name) => watch.settledShot(page, name);
  const rates = () => page.locator('[data-section="rates"]');
  const stepHeading = (name) => page.getByRole("heading", { name: new RegExp(`Step \\d of 8 ${name}$`) });
  const continueButton = () => page.getByRole("button", { name: /^(Continue|Save and review)$/ });

  /** The field (label, control, error) around the control labelled `label`. */
  const fieldOf = (label) =>
    rates()
      .locator(".field")
      .filter({ has: page.getByLabel(label, { exact: true }) });

  before(async () => {
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "en-US" });
    page = watch.page(await context.newPage());
    page.setDefaultTimeout(15_000);
    await signInAsAdmin(context);
    api = apiOf(context);
    inboxId = (await sandboxInbox(api, { name: `Cost sandbox ${stamp}`, phone: `91${stamp}`, waba: `92${stamp}` })).id;
    labelId = (
      await labelledContacts(
        api,
        `Cost ${stamp}`,
        PHONES.map((phone, i) => ({ name: `Cliente ${i}`, phone })),
      )
    ).id;
    const draft = await api("POST", "/api/campaigns", {
      title: `Cost ${stamp}`,
      inbox_id: inboxId,
      audience: { labels: [labelId] },
      content: {
        type: "template",
        template_name: "welcome_offer",
        language: "pt_BR",
        values: {
          header: { 1: { source: "contact", field: "first_name", fallback: "cliente" } },
          body: { 1: { source: "contact", field: "first_name", fallback: "cliente" }, 2: { source: "fixed", value: "BEMVINDO15" } },
        },
      },
      settings: { min_delay_s: 0, max_delay_s: 0 },
    });
    campaignId = draft.id;
    console.log(`e2e: screenshots of every screen in ${screensDir}`);
  });

  after(async () => {
    // The workspace is shared with the other files: its rates go back to WhatsApp's.
    await api?.("DELETE", "/api/rates/overrides?country=BR&category=marketing").catch(() => {});
    await browser?.close();
  });

  it("sets the workspace's own rate for a country in Settings, with errors next to their fields", async () => {
    await page.goto(at("/settings"));
    await rates().getByRole("heading", { name: "WhatsApp rates" }).waitFor();
    await rates()
      .getByText(/No rates of your own/)
      .waitFor();

    // Nothing chosen: the country is asked for, next to its field.
    await rates().getByRole("button", { name: "Save rate" }).click();
    const country = fieldOf("Country");
    await country.locator(".field-error").filter({ hasText: "Choose a country." }).waitFor();
    assert.equal(await country.getByRole("combobox").getAttribute("aria-invalid"), "true");

    await country.getByRole("combobox").selectOption("BR");
    await fieldOf("Category").getByRole("combobox").selectOption("marketing");
    assert.equal(await rates().locator("[data-card-rate]").textContent(), "WhatsApp's rate for Brazil: $0.0625.");
    // A comma instead of a point: the server's refusal shows under the rate.
    const rate = fieldOf("Rate per delivered message (US$)");
    await rate.getByRole("textbox").fill("0,07");
    await rates().getByRole("button", { name: "Save rate" }).click();
    await rate
      .locator(".field-error")
      .filter({ hasText: /with at most 6 decimals/ })
      .waitFor();
    assert.equal(await rate.getByRole("textbox").getAttribute("aria-invalid"), "true");
    await shot("rate-error");

    await rate.getByRole("textbox").fill("0.07");
    await rates().getByRole("button", { name: "Save rate" }).click();
    await rates().getByRole("status").filter({ hasText: "Rate for Brazil, Marketing saved: $0.07." }).waitFor();
    const row = rates().locator('[data-override="BR:marketing"]');
    // The list is read again after the save: its row comes a moment after the message.
    await row.waitFor();
    assert.deepEqual(
      await row
        .locator("td")
        .allTextContents()
        .then((cells) => cells.slice(0, 4)),
      ["Brazil", "Marketing", "$0.07", "$0.0625"],
    );
    assert.equal(await rate.locator(".field-error").count(), 0);
    await shot("rate-saved");
  });

  it("estimates the campaign on the review step: the workspace's rate for Brazil, the card's for the United States", async () => {
    await page.goto(at(`/campaigns/${campaignId}/edit`));
    await stepHeading("Title").waitFor();
    for (let i = 0; i < 5; i++) await continueButton().click();
    await stepHeading("When").waitFor();
    await page.getByRole("radio", { name: "Send now" }).check();
    await continueButton().click();
    await stepHeading("Review").waitFor();
    const estimate = page.locator("[data-cost-estimate]");
    // 3 × $0.07 + 1 × $0.025
    assert.equal(await estimate.locator("[data-cost-total]").textContent(), "$0.235");
    assert.match(await estimate.textContent(), /4 messages billed/);
    const cells = (country) => estimate.locator(`[data-country="${country}"] td`).allTextContents();
    assert.deepEqual(await cells("BR"), ["Brazil", "3", "3", "$0.07", "$0.21"]);
    assert.deepEqual(await cells("US"), ["United States (North America)", "1", "1", "$0.025", "$0.025"]);
    assert.match(await estimate.textContent(), /effective January 1, 2026/);
    await shot("review-estimate");
  });

  it("shows the cost so far on the campaign's page once launched, beside the estimate taken at launch", async () => {
    await page.getByRole("button", { name: "Send now" }).click();
    await page.waitForURL(/\/campaigns\/\d+$/);
    const panel = page.locator("[data-cost-panel]");
    await panel.getByRole("heading", { name: "Cost" }).waitFor();
    await panel.locator("[data-cost-estimate]").filter({ hasText: "$0.235" }).waitFor();
    // Deliveries arrive with their pricing through the sandbox's webhooks; the panel follows them.
    await panel.locator("[data-cost-total]").filter({ hasText: "$0.235" }).waitFor({ timeout: 60_000 });
    assert.match(await panel.textContent(), /4 delivered messages billed/);
    assert.deepEqual(await panel.locator('[data-cost-countries] [data-country="BR"] td').allTextContents(), [
      "Brazil",
      "Marketing",
      "3",
      "0",
      "$0.07",
      "$0.21",
    ]);
    await shot("campaign-cost");
  });

  it("speaks Brazilian Portuguese and fits a phone screen", async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: "pt-BR", storageState: await context.storageState() });
    const small = watch.page(await phone.newPage());
    small.setDefaultTimeout(15_000);
    await small.goto(at(`/campaigns/${campaignId}`));
    const panel = small.locator("[data-cost-panel]");
    await panel.getByRole("heading", { name: "Custo" }).waitFor();
    await panel
      .locator("[data-cost-total]")
      .filter({ hasText: /US\$\s?0,235/ })
      .waitFor();
    assert.ok(await watch.fits(small), "the campaign page fits 390 px");
    const previous = page;
    page = small;
    try {
      await shot("campaign-cost-pt-phone");
      await small.goto(at("/settings"));
      await small.locator('[data-section="rates"]').getByRole("heading", { name: "Tarifas do WhatsApp" }).waitFor();
      assert.match(await small.locator('[data-override="BR:marketing"]').textContent(), /Brasil.*Marketing.*US\$\s?0,07/);
      await shot("rates-pt-phone");
      assert.ok(await watch.fits(small), "Settings fit 390 px");
    } finally {
      page = previous;
    }
    await phone.close();
  });

  it("removes the workspace's rate: WhatsApp's applies again", async () => {
    await page.goto(at("/settings"));
    const row = rates().locator('[data-override="BR:marketing"]');
    page.once("dialog", (dialog) => void dialog.accept());
    await row.getByRole("button", { name: "Remove Brazil, Marketing" }).click();
    await rates().getByRole("status").filter({ hasText: "Rate for Brazil, Marketing removed" }).waitFor();
    await rates()
      .getByText(/No rates of your own/)
      .waitFor();
    assert.equal(await rates().locator("[data-rate-overrides]").count(), 0);
  });

  watch.itFoundNoProblems(it);
});

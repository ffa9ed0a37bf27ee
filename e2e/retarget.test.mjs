// Retargeting and duplicating in a real browser against a fresh Herald (see e2e/run.mjs): from a
// finished campaign's page, "Retarget" opens the editor on an audience from its results; the
// live count follows the results chosen, the review describes the audience, and the campaign
// sent reaches exactly those recipients; "Duplicate" on its page opens the copy's editor. The
// source campaign and its results are made through the API and the sandbox (Meta's side).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { at, launchBrowser, pageWatch } from "./browser.mjs";
import { apiOf, FAST_SCENARIO, labelledContacts, sandboxInbox, signInAsAdmin, welcomeOffer } from "./fixtures.mjs";

const CONTACTS = 6;
const UNDELIVERABLE = 2;
const stamp = `${Date.now() % 1e6}`;
const delay = (ms) => new Promise((r) => setTimeout(r, ms));

describe("retargeting a campaign's results, and duplicating a campaign", () => {
  let browser;
  let context;
  let page;
  let api;
  let sourceId;
  let sourceTitle;
  let retargetId;
  const phones = Array.from({ length: CONTACTS }, (_, i) => `+55119${String(70_000_000 + Number(stamp) * 10 + i + 1).slice(-8)}`);

  const watch = pageWatch("retarget");
  const shot = (name) => watch.shot(page, name);
  const continueButton = () => page.getByRole("button", { name: /^(Continue|Save and review)$/ });
  const stepHeading = (name) => page.getByRole("heading", { name: new RegExp(`Step \\d of 8 ${name}$`) });

  before(async () => {
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = watch.page(await context.newPage());
    page.setDefaultTimeout(15_000);
    await signInAsAdmin(context);
    api = apiOf(context);
    // Meta's side: a number that delivers and reads everything at once, but two recipients are not on WhatsApp.
    const inbox = await sandboxInbox(api, {
      name: `Retarget sandbox ${stamp}`,
      phone: `9${stamp}`,
      waba: `4${stamp}`,
      scenario: { ...FAST_SCENARIO, undeliverable: phones.slice(0, UNDELIVERABLE).map((p) => p.slice(1)) },
    });
    const label = await labelledContacts(
      api,
      `Retarget ${stamp}`,
      phones.map((phone, i) => ({ name: `Cliente ${i}`, phone })),
    );
    sourceTitle = `Black Friday ${stamp}`;
    const source = await api("POST", "/api/campaigns", {
      title: sourceTitle,
      inbox_id: inbox.id,
      audience: { labels: [label.id] },
      content: welcomeOffer("BF50"),
      settings: { min_delay_s: 0, max_delay_s: 0, batch_size: 50 },
    });
    sourceId = source.id;
    await api("POST", `/api/campaigns/${sourceId}/launch`, {});
    // Finished, and every delivered message read.
    for (let i = 0; ; i++) {
      const { counts } = await api("GET", `/api/campaigns/${sourceId}/results`);
      if (counts.read_not_replied === CONTACTS - UNDELIVERABLE && counts.failed_permanent === UNDELIVERABLE) break;
      assert.ok(i < 120, `the source campaign did not settle: ${JSON.stringify(counts)}`);
      await delay(250);
    }
  });

  after(async () => {
    await browser?.close();
  });

  it("retargets a finished campaign from its page: the results chosen set the live count, the review describes them, the campaign reaches them", async () => {
    await page.goto(at(`/campaigns/${sourceId}`));
    await page.getByRole("heading", { name: sourceTitle }).waitFor();
    await page.getByRole("link", { name: "Retarget" }).click();
    await page.waitForURL(new RegExp(`/campaigns/new\\?retarget=${sourceId}$`));
    await stepHeading("Type").waitFor();
    await continueButton().click();
    await page.getByLabel("Campaign title").fill(`Second chance ${stamp}`);
    await continueButton().click();
    // The source's inbox is already chosen.
    const inboxes = page.getByRole("group", { name: "Which WhatsApp number sends this campaign?" });
    assert.equal(await inboxes.getByRole("radio", { name: new RegExp(`^Retarget sandbox ${stamp}`) }).isChecked(), true);
    await continueButton().click();
    await stepHeading("Audience").waitFor();
    assert.equal(await page.getByRole("radio", { name: /^Audience from a campaign's results/ }).isChecked(), true);
    assert.equal(await page.getByLabel("Campaign", { exact: true }).inputValue(), String(sourceId));
    const results = page.getByRole("group", { name: "Recipients whose result was" });
    await page
      .locator("[data-result-count='read_not_replied']")
      .filter({ hasText: `(${CONTACTS - UNDELIVERABLE})` })
      .waitFor();
    assert.equal(await page.locator("[data-result-count='failed_permanent']").textContent(), `(${UNDELIVERABLE})`);
    assert.equal(await page.locator("[data-result-count='replied']").textContent(), "(0)");
    // Continuing without a result says so next to the results.
    await continueButton().click();
    await results.getByText("Choose at least one result").waitFor();
    await shot("audience-no-result");
    await results.getByRole("checkbox", { name: /^Read, no reply/ }).check();
    await page
      .locator("[data-audience-total]")
      .filter({ hasText: String(CONTACTS - UNDELIVERABLE) })
      .waitFor();
    await results.getByRole("checkbox", { name: /^Failed with a permanent error/ }).check();
    await page
      .locator("[data-audience-total]")
      .filter({ hasText: String(CONTACTS) })
      .waitFor();
    await results.getByRole("checkbox", { name: /^Failed with a permanent error/ }).uncheck();
    await page
      .locator("[data-audience-total]")
      .filter({ hasText: String(CONTACTS - UNDELIVERABLE) })
      .waitFor();
    await shot("audience");
    await continueButton().click();

    await stepHeading("Content").waitFor();
    await page.getByRole("radio", { name: /^welcome_offer · pt_BR/ }).check();
    for (const key of ["header.1", "body.1"]) {
      const variable = page.locator(`[data-variable="${key}"]`);
      await variable.getByLabel("Value").selectOption("first_name");
      await variable.getByLabel("Fallback").fill("cliente");
    }
    const body2 = page.locator('[data-variable="body.2"]');
    await body2.getByLabel("Value").selectOption("fixed");
    await body2.getByLabel("Text").fill("VOLTA10");
    await continueButton().click();
    await stepHeading("Send settings").waitFor();
    await page.getByLabel("Minimum delay between messages (seconds)").fill("0");
    await page.getByLabel("Maximum delay between messages (seconds)").fill("0");
    await continueButton().click();
    await stepHeading("When").waitFor();
    await page.getByRole("radio", { name: "Send now" }).check();
    await continueButton().click();

    await stepHeading("Review").waitFor();
    await page
      .locator("[data-recipients]")
      .filter({ hasText: String(CONTACTS - UNDELIVERABLE) })
      .waitFor();
    const described = page.locator("[data-retarget-audience]");
    await described.filter({ hasText: sourceTitle }).waitFor();
    assert.equal((await described.textContent()).replace(/\s+\(#\d+\)$/, ""), `Recipients of “${sourceTitle}” who read but did not reply`);
    await shot("review");
    await page.getByRole("button", { name: "Send now" }).click();
    await page.waitForURL(/\/campaigns\/\d+$/);
    retargetId = Number(new URL(page.url()).pathname.split("/").pop());
    await page.waitForFunction(() => document.querySelector("h1 + [data-status]")?.textContent === "Completed", null, { timeout: 60_000 });
    await page.locator("[data-retarget-audience]").filter({ hasText: sourceTitle }).waitFor();
    await shot("campaign");

    const view = await api("GET", `/api/campaigns/${retargetId}`);
    assert.deepEqual(view.audience, { labels: [], match: "any", exclude_labels: [], from_campaign: { campaign_id: sourceId, states: ["read_not_replied"] } });
    assert.equal(view.progress.total, CONTACTS - UNDELIVERABLE);
    const { data: recipients } = await api("GET", `/api/campaigns/${retargetId}/recipients?limit=100`);
    assert.deepEqual(recipients.map((r) => r.phone).sort(), phones.slice(UNDELIVERABLE).sort());
  });

  it("duplicates a campaign from its page and opens the copy's editor", async () => {
    await page.goto(at(`/campaigns/${retargetId}`));
    await page.getByRole("button", { name: "Duplicate" }).click();
    await page.waitForURL(/\/campaigns\/\d+\/edit$/);
    const copyId = Number(new URL(page.url()).pathname.split("/").at(-2));
    assert.notEqual(copyId, retargetId);
    await page.getByLabel("Campaign title").waitFor();
    assert.equal(await page.getByLabel("Campaign title").inputValue(), `Copy of Second chance ${stamp}`);
    const [copy, original] = await Promise.all([api("GET", `/api/campaigns/${copyId}`), api("GET", `/api/campaigns/${retargetId}`)]);
    assert.equal(copy.status, "draft");
    assert.deepEqual(
      { audience: copy.audience, content: copy.content, settings: copy.settings },
      {
        audience: original.audience,
        content: original.content,
        settings: original.settings,
      },
    );
    await continueButton().click();
    await continueButton().click();
    await stepHeading("Audience").waitFor();
    await page
      .locator("[data-audience-total]")
      .filter({ hasText: String(CONTACTS - UNDELIVERABLE) })
      .waitFor();
    assert.equal(await page.getByRole("checkbox", { name: /^Read, no reply/ }).isChecked(), true);
  });

  it("speaks Portuguese, copy titles included, and fits a phone", async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: "pt-BR" });
    try {
      page = watch.page(await phone.newPage());
      page.setDefaultTimeout(15_000);
      await signInAsAdmin(phone);
      await page.goto(at(`/campaigns/new?retarget=${sourceId}`));
      const submit = page.locator("form.editor-step button[type=submit]");
      await submit.click();
      await page.locator("input[name=title]").fill(`Segunda chance ${stamp}`);
      await submit.click();
      await page.getByRole("radio", { name: new RegExp(`^Retarget sandbox ${stamp}`) }).waitFor();
      await submit.click();
      await page.getByRole("radio", { name: /^Público a partir dos resultados de uma campanha/ }).waitFor();
      await page
        .getByRole("group", { name: "Destinatários cujo resultado foi" })
        .getByRole("checkbox", { name: /^Lida, sem resposta/ })
        .check();
      await page
        .locator("[data-audience-total]")
        .filter({ hasText: String(CONTACTS - UNDELIVERABLE) })
        .waitFor();
      assert.equal(await watch.fits(page), true, "the audience step fits");
      await shot("audience-pt-phone");
      await page.goto(at(`/campaigns/${retargetId}`));
      await page
        .locator("[data-retarget-audience]")
        .filter({ hasText: `Destinatários de “${sourceTitle}” que leram mas não responderam` })
        .waitFor();
      assert.equal(await watch.fits(page), true, "the campaign page fits");
      await shot("campaign-pt-phone");
      await page.getByRole("button", { name: "Duplicar" }).click();
      await page.waitForURL(/\/campaigns\/\d+\/edit$/);
      assert.equal(await page.locator("input[name=title]").inputValue(), `Cópia de Second chance ${stamp}`);
    } finally {
      await phone.close();
    }
  });

  watch.itFoundNoProblems(it);
});

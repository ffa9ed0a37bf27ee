// Results by variant on a free-text campaign's page, in a real browser against a fresh Herald
// (see e2e/run.mjs): the table shows the numbers GET /api/campaigns/:id/variants gives, and
// follows the replies that arrive while the page is open. The world is made through the API;
// the contacts write in first (through the sandbox), so free text may be sent to them.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { at, launchBrowser, pageWatch } from "./browser.mjs";
import { apiOf, FAST_SCENARIO, labelledContacts, sandboxInbox, signInAsAdmin } from "./fixtures.mjs";

const CONTACTS = 6;
const VARIANTS = ['Oi {{contact.name | "cliente"}}! Temos uma oferta para você hoje.', "Olá! Frete grátis só hoje.", "Última chance: 20 % de desconto."];
const stamp = `${Date.now() % 1e9}`;
const watch = pageWatch("campaign-variants");

describe("campaign results by variant", () => {
  let browser;
  let page;
  let api;
  let inboxId;
  let labelId;
  const phones = Array.from({ length: CONTACTS }, (_, i) => `+55119${String(70_000_000 + (Number(stamp.slice(-5)) * 10 + i + 1)).slice(-8)}`);

  /** Polls `read` until `until` holds for its answer (at most `timeoutMs`). */
  async function waitFor(read, until, timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await read();
      if (until(value)) return value;
      assert.ok(Date.now() < deadline, `timed out waiting; last: ${JSON.stringify(value).slice(0, 300)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** A contact writes to the sandbox number (Herald hears it through the signed webhook). */
  const writeIn = (phone, text) => api("POST", `/api/sandbox/inboxes/${inboxId}/inbound`, { from: phone, text });

  before(async () => {
    browser = await launchBrowser();
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    page = watch.page(await context.newPage());
    page.setDefaultTimeout(15_000);
    await signInAsAdmin(context);
    api = apiOf(context);
    const scenario = { ...FAST_SCENARIO, sent_delay_ms: [0, 50], delivered_delay_ms: [50, 100], read_delay_ms: [100, 200] };
    inboxId = (await sandboxInbox(api, { name: "E2E variants", phone: `5${stamp}`, waba: `4${stamp}`, scenario })).id;
    const people = phones.map((phone, i) => ({ name: `Pessoa ${i}`, phone }));
    labelId = (await labelledContacts(api, `E2E variants ${stamp}`, people)).id;
    for (const phone of phones) await writeIn(phone, "Oi!");
    await waitFor(
      () => api("GET", `/api/contacts?labels=${labelId}&limit=50`),
      ({ data }) => data.length === CONTACTS && data.every((c) => c.last_inbound_at),
    );
  });

  after(async () => {
    await browser?.close();
  });

  it("shows each variant's numbers as the API gives them, and follows replies live", async () => {
    const campaign = await api("POST", "/api/campaigns", {
      title: `Variants ${stamp}`,
      inbox_id: inboxId,
      audience: { labels: [labelId] },
      content: { type: "text", variants: VARIANTS },
      settings: { min_delay_s: 0, max_delay_s: 0, batch_size: 50, randomize_variants: false },
    });
    await api("POST", `/api/campaigns/${campaign.id}/launch`, {});
    await waitFor(
      () => api("GET", `/api/campaigns/${campaign.id}`),
      (c) => c.status === "completed" && c.progress.read === CONTACTS,
    );

    await page.goto(at(`/campaigns/${campaign.id}`));
    const section = page.locator("[data-variant-results]");
    const cell = (variant, name) => section.locator(`tr[data-variant="${variant}"] [data-cell="${name}"]`);
    // The table is named by its caption, inside a scrolling region named by the heading.
    await section
      .getByRole("region", { name: "Results by variant" })
      .getByRole("table", { name: /^Recipients, sends, deliveries/ })
      .waitFor();
    await page.evaluate(() => (window.heraldMarker = true));

    // Two recipients of variant 1 and one of variant 2 answer while the page is open.
    const { data: recipients } = await api("GET", `/api/campaigns/${campaign.id}/recipients?limit=50`);
    const of = (variant) => recipients.filter((r) => r.variant === variant - 1).map((r) => r.phone);
    for (const phone of [...of(1), of(2)[0]]) await writeIn(phone, "Quero!");
    await page.waitForFunction(() => document.querySelector('[data-variant-results] tr[data-variant="1"] [data-cell="replied"]')?.textContent === "2", null, {
      timeout: 20_000,
    });
    await page.waitForFunction(() => document.querySelector('[data-variant-results] tr[data-variant="2"] [data-cell="replied"]')?.textContent === "1");
    assert.equal(await page.evaluate(() => window.heraldMarker), true, "the page was not reloaded");

    // Every number in the table is the API's.
    const results = await api("GET", `/api/campaigns/${campaign.id}/variants`);
    assert.equal(results.data.length, 3);
    assert.deepEqual(
      results.data.map((r) => [r.recipients, r.sent, r.delivered, r.read, r.replied, r.failed]),
      [
        [2, 2, 2, 2, 2, 0],
        [2, 2, 2, 2, 1, 0],
        [2, 2, 2, 2, 0, 0],
      ],
    );
    for (const r of results.data) {
      for (const name of ["recipients", "sent", "delivered", "read", "replied", "failed"]) {
        assert.equal(await cell(r.variant, name).textContent(), String(r[name]), `variant ${r.variant} ${name}`);
      }
      assert.equal(await cell(r.variant, "reply_rate").textContent(), `${(r.reply_rate * 100).toFixed(1)}%`);
      assert.equal(await cell(r.variant, "read_rate").textContent(), "100.0%");
    }
    // Each row names its variant with the start of its text; row and column headers are marked as such.
    assert.equal(await section.locator('tr[data-variant="2"] th[scope="row"]').textContent(), `Variant 2${VARIANTS[1]}`);
    assert.equal(await section.locator('th[scope="col"]').count(), 9);
    // Two recipients a variant are far too few to name a winner.
    assert.equal(results.verdict, "not_enough_data");
    assert.equal(await section.locator("[data-best]").count(), 0);
    assert.match(await section.locator("[data-verdict]").textContent(), /^Not enough data yet to name a winner/);
    await watch.shot(page, "table");

    // In Portuguese, at phone width, the table scrolls inside its region instead of the page.
    await page.evaluate(() => localStorage.setItem("herald.locale", "pt-BR"));
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await section.getByRole("region", { name: "Resultados por variante" }).waitFor();
    assert.equal(await cell(1, "reply_rate").textContent(), "100,0%");
    assert.match(await section.locator("[data-verdict]").textContent(), /^Ainda não há dados suficientes/);
    assert.equal(await watch.fits(page), true, "nothing to scroll sideways at phone width");
    await watch.shot(page, "table-pt-phone");
    await page.evaluate(() => localStorage.removeItem("herald.locale"));
  });

  watch.itFoundNoProblems(it);
});

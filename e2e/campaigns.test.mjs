// The campaigns page in a real browser against a fresh Herald (see e2e/run.mjs): a campaign sent
// through the sandbox shows its progress live, without reloading, and can be paused, resumed and
// cancelled from the page. The world (inbox, label, contacts, campaigns) is made through the API.
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { artifactsDir, at, launchBrowser } from "./browser.mjs";
import { apiOf, FAST_SCENARIO, labelledContacts, sandboxInbox, signInAsAdmin, welcomeOffer } from "./fixtures.mjs";

const CONTACTS = 6;
const stamp = `${Date.now() % 1e9}`;

describe("campaigns page", () => {
  let browser;
  let context;
  let page;
  const pageErrors = [];
  const consoleErrors = [];
  let inboxId;
  let labelId;

  /** The API as the signed-in browser calls it. */
  let api;

  async function campaign(title, settings) {
    return api("POST", "/api/campaigns", {
      title,
      inbox_id: inboxId,
      audience: { labels: [labelId] },
      content: welcomeOffer("BEMVINDO15"),
      settings,
    });
  }

  const card = (id) => page.locator(`[data-campaign="${id}"]`);
  const counter = (id, name) => card(id).locator(`[data-counter="${name}"]`);
  const badge = (id) => card(id).locator("[data-status]");

  before(async () => {
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on("pageerror", (error) => pageErrors.push(error));
    page.on("console", (message) => {
      if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) consoleErrors.push(message.text());
    });
    // Signed in as the admin (set up here when this file runs alone).
    await signInAsAdmin(context);
    api = apiOf(context);
    // Statuses arrive over a few hundred milliseconds, so the page shows them coming in.
    const scenario = { ...FAST_SCENARIO, sent_delay_ms: [100, 200], delivered_delay_ms: [200, 400], read_delay_ms: [300, 600] };
    inboxId = (await sandboxInbox(api, { name: "E2E sandbox", phone: `7${stamp}`, waba: `8${stamp}`, scenario })).id;
    const people = Array.from({ length: CONTACTS }, (_, i) => ({
      name: `Pessoa ${i}`,
      phone: `+55119${String(80_000_000 + Number(stamp.slice(-5)) * 10 + i + 1)
        .padStart(8, "0")
        .slice(-8)}`,
    }));
    labelId = (await labelledContacts(api, `E2E audience ${stamp}`, people)).id;
  });

  after(async () => {
    await page?.screenshot({ path: path.join(artifactsDir, "campaigns.png"), fullPage: true }).catch(() => {});
    await browser?.close();
  });

  it("shows a campaign's progress live while it sends, to completion", async () => {
    const c = await campaign(`Live ${stamp}`, { min_delay_s: 1, max_delay_s: 1, batch_size: 50 });
    await api("POST", `/api/campaigns/${c.id}/launch`, {});
    await page.goto(at("/campaigns"));
    await badge(c.id).filter({ hasText: "Sending" }).waitFor();
    // No reload from here on (the marker would be lost): the page follows the campaign live.
    await page.evaluate(() => (window.heraldMarker = true));
    await page.waitForFunction((id) => Number(document.querySelector(`[data-campaign="${id}"] [data-counter="sent"]`)?.textContent ?? 0) >= 1, c.id);
    await page.waitForFunction((id) => document.querySelector(`[data-campaign="${id}"] [data-status]`)?.textContent === "Completed", c.id, { timeout: 30_000 });
    // Deliveries and reads keep arriving after the last send.
    await page.waitForFunction(
      ({ id, n }) => document.querySelector(`[data-campaign="${id}"] [data-counter="read"]`)?.textContent === String(n),
      { id: c.id, n: CONTACTS },
      { timeout: 20_000 },
    );
    assert.equal(await counter(c.id, "total").textContent(), String(CONTACTS));
    assert.equal(await counter(c.id, "sent").textContent(), String(CONTACTS));
    assert.equal(await counter(c.id, "delivered").textContent(), String(CONTACTS));
    assert.equal(await counter(c.id, "failed").textContent(), "0");
    // The page shows what the API says.
    const view = await api("GET", `/api/campaigns/${c.id}`);
    assert.deepEqual(
      { sent: view.progress.sent, delivered: view.progress.delivered, read: view.progress.read },
      { sent: CONTACTS, delivered: CONTACTS, read: CONTACTS },
    );
    assert.equal(
      await card(c.id)
        .getByRole("button", { name: /^(Pause|Resume|Cancel|Unschedule)/ })
        .count(),
      0,
      "a completed campaign cannot be paused, resumed or cancelled",
    );
    assert.equal(
      await card(c.id)
        .getByRole("button", { name: /^Duplicate/ })
        .count(),
      1,
      "a completed campaign can be duplicated",
    );
    assert.equal(await page.evaluate(() => window.heraldMarker), true, "the page was not reloaded");
  });

  it("pauses, resumes and cancels from the page", async () => {
    const c = await campaign(`Slow ${stamp}`, { min_delay_s: 5, max_delay_s: 5, batch_size: 50 });
    await api("POST", `/api/campaigns/${c.id}/launch`, {});
    await page.goto(at("/campaigns"));
    await badge(c.id).filter({ hasText: "Sending" }).waitFor();

    await card(c.id).getByRole("button", { name: "Pause" }).click();
    await badge(c.id).filter({ hasText: "Paused" }).waitFor();
    assert.match(await page.getByRole("status").textContent(), /is paused\.$/);
    assert.equal((await api("GET", `/api/campaigns/${c.id}`)).status, "paused");

    await card(c.id).getByRole("button", { name: "Resume" }).click();
    await badge(c.id).filter({ hasText: "Sending" }).waitFor();

    // Cancelling asks first; declining changes nothing.
    page.once("dialog", (d) => void d.dismiss());
    await card(c.id).getByRole("button", { name: "Cancel" }).click();
    assert.equal((await api("GET", `/api/campaigns/${c.id}`)).status, "sending");
    page.once("dialog", (d) => void d.accept());
    await card(c.id).getByRole("button", { name: "Cancel" }).click();
    await badge(c.id).filter({ hasText: "Cancelled" }).waitFor();
    const view = await api("GET", `/api/campaigns/${c.id}`);
    assert.equal(view.status, "cancelled");
    assert.ok(view.progress.cancelled > 0, "recipients not sent yet are cancelled");
    assert.equal(await counter(c.id, "cancelled").textContent(), String(view.progress.cancelled));
    assert.equal(await counter(c.id, "total").textContent(), String(CONTACTS));
  });

  it("says when sends were still on their way as a pause answered", async () => {
    const c = await campaign(`In flight ${stamp}`, { min_delay_s: 5, max_delay_s: 5, batch_size: 50 });
    await api("POST", `/api/campaigns/${c.id}/launch`, {});
    await page.goto(at(`/campaigns/${c.id}`));
    await page.getByRole("button", { name: "Pause" }).waitFor();
    // The API answers 202 with `in_flight` only when a send is still out after 20 s of waiting
    // (the Worker tests cover that answer); the real pause's answer is handed to the page as such.
    await page.route(`**/api/campaigns/${c.id}/pause`, async (route) => {
      const res = await route.fetch();
      await route.fulfill({ response: res, status: 202, json: { ...(await res.json()), in_flight: 2 } });
    });
    try {
      await page.getByRole("button", { name: "Pause" }).click();
      await page.getByRole("status").filter({ hasText: "paused" }).waitFor();
      assert.equal(
        await page.getByRole("status").filter({ hasText: "paused" }).textContent(),
        "The campaign is paused. 2 messages were already on their way to WhatsApp and may still be delivered.",
      );
    } finally {
      await page.unroute(`**/api/campaigns/${c.id}/pause`);
      await api("POST", `/api/campaigns/${c.id}/cancel`);
    }
  });

  it("escapes what operators typed", async () => {
    const c = await campaign(`<img src=x onerror=alert(1)> ${stamp}`, { min_delay_s: 0, max_delay_s: 0, batch_size: 50 });
    await page.goto(at("/campaigns"));
    await card(c.id).waitFor();
    assert.equal(await badge(c.id).textContent(), "Draft");
    assert.equal(await card(c.id).getByText("Not launched").count(), 1);
    assert.equal(await card(c.id).locator(".campaign-title").textContent(), `<img src=x onerror=alert(1)> ${stamp}`);
    assert.equal(await card(c.id).locator("img").count(), 0);
  });

  it("raised no uncaught errors or console errors in the page", () => {
    assert.deepEqual(pageErrors.map(String), []);
    assert.deepEqual(consoleErrors, []);
  });
});

// A campaign's History on its detail page: launching it and pausing it from the page show up as
// lines naming the signed-in user. The world (inbox, label, contacts, campaign) is made through the API.
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { artifactsDir, at, launchBrowser } from "./browser.mjs";
import { admin, apiOf, labelledContacts, sandboxInbox, signInAsAdmin, welcomeOffer } from "./fixtures.mjs";

const stamp = `${Date.now() % 1e9}`;

describe("campaign history", () => {
  let browser;
  let page;
  let api;
  const pageErrors = [];

  before(async () => {
    browser = await launchBrowser();
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, locale: "en-US" });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on("pageerror", (error) => pageErrors.push(error));
    await signInAsAdmin(context);
    api = apiOf(context);
  });

  after(async () => {
    await page?.screenshot({ path: path.join(artifactsDir, "audit.png"), fullPage: true }).catch(() => {});
    await browser?.close();
  });

  it("shows the launch and the pause by the signed-in user", async () => {
    const scenario = { pair_rate_limit_ms: 0, webhooks_enabled: false };
    const inbox = await sandboxInbox(api, { name: "History sandbox", phone: `5${stamp}`, waba: `4${stamp}`, scenario });
    const people = [0, 1, 2].map((i) => ({ name: `Pessoa ${i}`, phone: `+55119${String(70_000_000 + (Number(stamp) % 1e6) * 10 + i).slice(-8)}` }));
    const label = await labelledContacts(api, `History ${stamp}`, people);
    const campaign = await api("POST", "/api/campaigns", {
      title: `History ${stamp}`,
      inbox_id: inbox.id,
      audience: { labels: [label.id] },
      content: welcomeOffer("BEMVINDO15"),
      settings: { min_delay_s: 30, max_delay_s: 30, batch_size: 50 },
    });
    await api("POST", `/api/campaigns/${campaign.id}/launch`, {});
    try {
      await checkHistory(campaign);
    } finally {
      // The other browser tests expect the demo number to be the workspace's only inbox.
      await api("POST", `/api/campaigns/${campaign.id}/cancel`).catch(() => {});
      await api("DELETE", `/api/campaigns/${campaign.id}`);
      await api("DELETE", `/api/inboxes/${inbox.id}`);
    }
  });

  async function checkHistory(campaign) {
    await page.goto(at(`/campaigns/${campaign.id}`));
    const history = page.locator("[data-history]");
    const launch = history.locator('li[data-action="campaign.launch"]');
    await launch.waitFor();
    assert.match(await launch.textContent(), new RegExp(`— ${admin.name} launched the campaign$`));

    await page.getByRole("button", { name: "Pause" }).click();
    const pause = history.locator('li[data-action="campaign.pause"]');
    await pause.waitFor();
    assert.match(await pause.textContent(), new RegExp(`— ${admin.name} paused the campaign$`));
    // Newest first: pause, launch, create.
    assert.deepEqual(await history.locator("li").evaluateAll((items) => items.map((li) => li.dataset.action)), [
      "campaign.pause",
      "campaign.launch",
      "campaign.create",
    ]);
    assert.deepEqual(pageErrors.map(String), []);
  }
});

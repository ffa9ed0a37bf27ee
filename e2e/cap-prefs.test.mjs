// The frequency cap in Settings and a marketing stop from WhatsApp, through the UI in a real
// browser: a cap out of bounds is marked at its field, the suggested 1 per 7 days is saved; the
// sandbox phone stops marketing as its contact, and the contacts page shows the chip. Only the
// sandbox inbox and the contact are set up through the API; the cap is turned off again after.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { at, launchBrowser, pageWatch } from "./browser.mjs";
import { apiOf, signInAsAdmin } from "./fixtures.mjs";

const stamp = `${Date.now() % 1e6}`.padStart(6, "0");

describe("frequency cap and marketing preferences", () => {
  let browser;
  let context;
  let page;
  let api;
  const watch = pageWatch("cap-prefs");
  const cap = () => page.locator('[data-section="frequency-cap"]');

  before(async () => {
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: "America/Sao_Paulo", locale: "en-US" });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    watch.page(page);
    await signInAsAdmin(context);
    api = apiOf(context);
  });

  after(async () => {
    // Other files launch campaigns: no cap for them.
    await api?.("PATCH", "/api/workspace", { frequency_cap_messages: null }).catch(() => {});
    await browser?.close();
  });

  it("marks a cap out of bounds at its field, then saves the suggested 1 per 7 days", async () => {
    await page.goto(at("/settings"));
    await cap().getByRole("heading", { name: "Frequency cap" }).waitFor();
    await cap().locator("[data-refusals]").waitFor();
    await cap().getByLabel("Limit campaign messages per contact").check();
    const messages = cap().getByLabel("Messages at most");
    await messages.fill("0");
    await cap().getByRole("button", { name: "Save frequency cap" }).click();
    const error = cap().locator(".field-error");
    await error.waitFor();
    assert.equal(await error.textContent(), "A whole number from 1 to 100.");
    assert.equal(await messages.getAttribute("aria-invalid"), "true");
    assert.equal(await messages.evaluate((el) => el === document.activeElement), true, "the focus goes to the field in error");
    assert.equal(await cap().getByLabel("Within this many days").getAttribute("aria-invalid"), null);
    await watch.shot(page, "cap-error");

    await cap().getByRole("button", { name: "Use 1 per 7 days" }).click();
    assert.equal(await error.count(), 0, "the suggestion clears the error");
    await cap().getByRole("button", { name: "Save frequency cap" }).click();
    await cap().getByText("Frequency cap saved.").waitFor();
    const saved = await api("GET", "/api/workspace");
    assert.deepEqual([saved.frequency_cap_messages, saved.frequency_cap_days], [1, 7]);
    await watch.shot(page, "cap-saved");
  });

  it("the sandbox phone stops marketing as its contact, and the contacts page shows it", async (t) => {
    if (!(await api("GET", "/api/auth/me")).features.sandbox) return t.skip("the sandbox is off on this deployment");
    const inbox = await api("POST", "/api/inboxes", { name: `Prefs ${stamp}`, provider: "sandbox", phone_number_id: `77${stamp}01`, waba_id: `78${stamp}01` });
    const phone = `+55119${stamp}77`;
    await api("POST", "/api/contacts", { phone, name: `Marta ${stamp}` });

    await page.goto(at(`/sandbox?inbox=${inbox.id}&phone=${phone.slice(1)}`));
    const toggle = page.locator("[data-marketing-preference]");
    await toggle.waitFor();
    assert.equal((await toggle.textContent()).trim(), "Stop marketing");
    await toggle.click();
    await page.getByText(`stopped marketing messages from this number`).waitFor();
    await page.locator("[data-marketing-stopped]").waitFor();
    assert.equal((await toggle.textContent()).trim(), "Resume marketing");

    // The webhook travels through Herald's queue: the contact is marked within a few seconds.
    let chip;
    for (const until = Date.now() + 30_000; ; ) {
      await page.goto(at(`/contacts?q=${stamp}77`));
      await page.locator(`[data-contact]`).first().waitFor();
      chip = page.locator("[data-marketing-stopped]");
      if ((await chip.count()) > 0 || Date.now() > until) break;
      await page.waitForTimeout(1_000);
    }
    assert.match(await chip.textContent(), /^Stopped marketing on \w+ \d+, \d{4}$/);
    await watch.shot(page, "contacts-chip");
  });

  watch.itFoundNoProblems(it);
});

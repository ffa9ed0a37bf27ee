// A campaign's send window through the UI: turned on in the Send settings step, an error shown
// next to the field it concerns (no day, an end equal to the start), the review step saying when
// sending starts (the window's next opening) and how long it should take, and the campaign's page
// showing the window in its settings and the wait while the window is closed.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { at, launchBrowser, pageWatch } from "./browser.mjs";
import { apiOf, signInAsAdmin } from "./fixtures.mjs";

const TIME_ZONE = "America/Sao_Paulo";
const DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const stamp = `${Date.now() % 1e6}`;

/** The weekday (0 = Monday) and date São Paulo's clock shows `days` days after now. */
function saoPauloDay(days) {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone: TIME_ZONE, year: "numeric", month: "2-digit", day: "2-digit", weekday: "long" }).formatToParts(
    Date.now() + days * 86_400_000,
  );
  const get = (type) => parts.find((p) => p.type === type).value;
  return { weekday: DAYS.indexOf(get("weekday")), date: `${get("year")}-${get("month")}-${get("day")}` };
}

/** A date and time as the page writes it in English (medium date, short time), in São Paulo. */
const asShown = (iso) =>
  new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short", timeZone: TIME_ZONE }).format(new Date(iso)).replace(/\s/g, " ");
const textOf = async (locator) => (await locator.textContent()).replace(/\s/g, " ");

describe("send window", () => {
  let browser;
  let page;
  let api;
  const watch = pageWatch("send-window");
  const shot = (name) => watch.shot(page, name);
  const continueButton = () => page.getByRole("button", { name: /^(Continue|Save and review)$/ });
  const stepHeading = (name) => page.getByRole("heading", { name: new RegExp(`Step \\d of 8 ${name}$`) });

  before(async () => {
    browser = await launchBrowser();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: TIME_ZONE, locale: "en-US" });
    page = watch.page(await context.newPage());
    page.setDefaultTimeout(15_000);
    await signInAsAdmin(context);
    api = apiOf(context);
    const { data: inboxes } = await api("GET", "/api/inboxes");
    if (!inboxes.some((i) => i.provider === "sandbox")) await api("POST", "/api/demo");
  });

  after(async () => {
    await browser?.close();
  });

  it("edits the window with errors next to their fields, and the review says when sending starts", async () => {
    // The window opens only on the day after tomorrow (São Paulo), so it is closed now.
    const { weekday, date } = saoPauloDay(2);
    const day = DAYS[weekday];

    await page.goto(at("/campaigns/new"));
    await continueButton().click();
    await page.getByLabel("Campaign title").fill(`Window ${stamp}`);
    await continueButton().click();
    await stepHeading("Inbox").waitFor();
    await page.getByRole("group", { name: "Which WhatsApp number sends this campaign?" }).getByRole("radio").first().check();
    await continueButton().click();
    await stepHeading("Audience").waitFor();
    await page
      .getByRole("group", { name: "Send to contacts with these labels" })
      .getByRole("checkbox", { name: /^VIP \(/ })
      .check();
    await page.locator("[data-audience-total]").waitFor();
    await continueButton().click();
    await page.getByRole("radio", { name: /^welcome_offer · pt_BR/ }).check();
    for (const key of ["header.1", "body.1"]) {
      const variable = page.locator(`[data-variable="${key}"]`);
      await variable.getByLabel("Value").selectOption("first_name");
      await variable.getByLabel("Fallback").fill("cliente");
    }
    const code = page.locator('[data-variable="body.2"]');
    await code.getByLabel("Value").selectOption("fixed");
    await code.getByLabel("Text").fill("BEMVINDO15");
    await continueButton().click();

    await stepHeading("Send settings").waitFor();
    const windowPart = page.locator("[data-send-window]");
    assert.equal(await windowPart.getByRole("checkbox", { name: "Only send on certain days and hours" }).isChecked(), false);
    assert.equal(await windowPart.getByLabel("From", { exact: true }).count(), 0);
    await windowPart.getByRole("checkbox", { name: "Only send on certain days and hours" }).check();
    // Prefilled: weekdays, 09:00–18:00, the browser's time zone.
    assert.equal(await windowPart.getByLabel("Time zone", { exact: true }).inputValue(), TIME_ZONE);
    assert.equal(await windowPart.getByLabel("From", { exact: true }).inputValue(), "09:00");
    assert.equal(await windowPart.getByLabel("Until", { exact: true }).inputValue(), "18:00");
    const days = windowPart.getByRole("group", { name: "Days" });
    for (const name of DAYS) await days.getByRole("checkbox", { name }).uncheck();
    await continueButton().click();
    // Still on the step, the error inside the Days group and announced with it.
    await stepHeading("Send settings").waitFor();
    const daysError = days.locator(".field-error");
    assert.equal(await daysError.textContent(), "Choose at least one day");
    assert.equal(await days.getAttribute("aria-describedby"), await daysError.getAttribute("id"));
    await shot("no-day");

    await days.getByRole("checkbox", { name: day }).check();
    assert.equal(await daysError.count(), 0);
    await windowPart.getByLabel("Until", { exact: true }).fill("09:00");
    await continueButton().click();
    const until = windowPart.getByLabel("Until", { exact: true });
    assert.equal(await until.getAttribute("aria-invalid"), "true");
    const untilError = page.locator(`#${(await until.getAttribute("aria-describedby")).split(" ").pop()}`);
    assert.equal(await untilError.textContent(), "Choose an end different from the start");
    await shot("same-times");
    await until.fill("17:00");
    await windowPart.getByRole("checkbox", { name: "Use each contact's time zone when it has one" }).check();
    assert.match(await windowPart.textContent(), /Open 8 hours a week\./);
    await continueButton().click();

    await stepHeading("When").waitFor();
    await page.getByRole("radio", { name: "Send now" }).check();
    await continueButton().click();
    await stepHeading("Review").waitFor();
    const schedule = page.locator("[data-launch-schedule]");
    await schedule.waitFor();
    const id = (await api("GET", `/api/campaigns?q=${encodeURIComponent(`Window ${stamp}`)}`)).data[0].id;
    const preview = await api("GET", `/api/campaigns/${id}/preview`);
    // Opens at 09:00 that day in São Paulo (UTC−3).
    assert.equal(preview.schedule.starts_at, new Date(`${date}T12:00:00Z`).toISOString());
    assert.match(
      await textOf(schedule),
      new RegExp(`^Sending starts ${asShown(preview.schedule.starts_at)}\\. It should take about .+, until ${asShown(preview.schedule.estimated_end_at)}\\.$`),
    );
    assert.equal(Number(await schedule.locator("[data-estimate-days]").getAttribute("data-estimate-days")), preview.schedule.estimated_days);
    const summary = await textOf(page.locator("dl.summary"));
    assert.ok(summary.includes(`sends on ${day.slice(0, 3)}, 09:00–17:00 by each contact's clock (else America/Sao Paulo)`), summary);
    await shot("review");

    // Launched: it waits for the window, and says so on its page.
    await page.getByRole("button", { name: "Send now" }).click();
    await page.waitForURL(/\/campaigns\/\d+$/);
    await page.getByRole("heading", { name: "Progress" }).waitFor();
    const note = page.locator("[data-status-reason]");
    await note.waitFor();
    assert.equal(await textOf(note), `Waiting for the send window: sending goes on by itself at ${asShown(preview.schedule.starts_at)}.`);
    assert.match(await textOf(page.locator("dl.summary")), /by each contact's clock/);
    await shot("waiting");
    await api("POST", `/api/campaigns/${id}/cancel`, {});
  });

  watch.itFoundNoProblems(it);
});

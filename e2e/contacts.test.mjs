// The Contacts pages through the UI alone, in a real browser against a running Herald (see
// e2e/run.mjs): a CSV import with a bad row, its line-numbered report and its download; a
// 100,000-row import from the browser; 500 contacts labelled at once by selecting everyone a
// filter matches; adding, editing and deleting a contact; the Labels page's links to filtered
// contacts; Portuguese; phone width. The API is only used to check results. Screenshots of every
// screen go to e2e/artifacts/screens/contacts-*.png.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, afterEach, before, describe, it } from "node:test";
import { at, launchBrowser, pageWatch, screensDir } from "./browser.mjs";
import { apiOf, signInAsAdmin } from "./fixtures.mjs";

const stamp = `${Date.now() % 1e6}`;
/** Phones of this run: `+55 <area> 9xxxx-xxxx`, a block of numbers per run so reruns on one server rarely meet. */
const block = (Number(stamp) % 997) * 100_000;
const phone = (area, n) => {
  const eight = String(block + n).padStart(8, "0");
  return `+55 ${area} 9${eight.slice(0, 4)}-${eight.slice(4)}`;
};
const e164 = (area, n) => `+55${area}9${String(block + n).padStart(8, "0")}`;

describe("contacts, import and labels pages", () => {
  let browser;
  let context;
  let page;
  let api;

  const watch = pageWatch("contacts");
  /** A screenshot of the screen, and axe-core's check of it. */
  const shot = (name) => watch.shot(page, name);

  /** Creates a label on the Labels page; returns its id (read back through the API). */
  async function createLabel(name) {
    await page.goto(at("/labels"));
    await page.getByLabel("Name").fill(name);
    await page.getByRole("button", { name: "Create label" }).click();
    await page
      .getByRole("status")
      .filter({ hasText: `Label “${name}” created.` })
      .waitFor();
    const { data } = await api("GET", "/api/labels");
    return data.find((l) => l.name === name).id;
  }

  /** Goes through the import page with `csv`: choose, (adjust the mapping), import; ends on the result. */
  async function importFile(name, csv, { adjust, labels = [], timeout = 60_000 } = {}) {
    await page.goto(at("/contacts"));
    await page.getByRole("link", { name: "Import contacts" }).click();
    await page.getByRole("heading", { name: "Choose a CSV file" }).waitFor();
    await page.getByLabel(/Choose a file/).setInputFiles({ name, mimeType: "text/csv", buffer: Buffer.from(csv, "utf8") });
    await page.getByRole("heading", { name: "Match the columns" }).waitFor();
    if (adjust) await adjust();
    for (const label of labels)
      await page
        .getByRole("group", { name: "Labels for every imported contact" })
        .getByRole("checkbox", { name: new RegExp(`^${label}`) })
        .check();
    await page.getByRole("button", { name: "Import contacts" }).click();
    await page.locator("[data-import-result]").waitFor({ timeout });
  }

  const count = async (key) => Number((await page.locator(`[data-count="${key}"] dd`).textContent()).replace(/\D/g, ""));
  const roleSelect = (column) => page.locator(`[data-column="${column}"] select[data-role]`);
  const fits = () => watch.fits(page);

  before(async () => {
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true, locale: "en-US" });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    watch.page(page);
    await signInAsAdmin(context);
    api = apiOf(context);
    // This file reads the English UI unless a test switches language.
    await page.goto(at("/"));
    await page.evaluate(() => localStorage.setItem("herald.locale", "en"));
    console.log(`e2e: screenshots of every screen in ${screensDir}`);
  });

  after(async () => {
    await browser?.close();
  });

  it("imports a CSV with Portuguese headers and a bad row, maps its columns, reports the row's line and downloads the report", async () => {
    const everyone = `Everyone ${stamp}`;
    await createLabel(everyone);
    const csv = [
      "nome;telefone;etiquetas;cidade;Notas internas",
      `Ana ${stamp};${phone(31, 1)};Clientes ${stamp}|VIP ${stamp};Belo Horizonte;não ligar`,
      `Bruno ${stamp};${phone(31, 2)};Clientes ${stamp};Contagem;`,
      `Bad ${stamp};123;Clientes ${stamp};Betim;x`,
      `Carla ${stamp};${phone(31, 4)};;Belo Horizonte;y`,
    ].join("\r\n");

    await page.goto(at("/contacts/import"));
    await page.getByRole("heading", { name: "Choose a CSV file" }).waitFor();
    await shot("import-choose");
    await importFile(`clientes-${stamp}.csv`, csv, {
      labels: [everyone],
      adjust: async () => {
        // Recognised from the Portuguese header, as the server would.
        assert.equal(await roleSelect(0).inputValue(), "name");
        assert.equal(await roleSelect(1).inputValue(), "phone");
        assert.equal(await roleSelect(2).inputValue(), "labels");
        assert.equal(await roleSelect(3).inputValue(), "attribute");
        assert.equal(await page.locator('[data-column="3"] input[data-key]').inputValue(), "cidade");
        assert.match(await page.locator('[data-column="0"] .samples').textContent(), new RegExp(`Ana ${stamp}`));
        // Two phone columns are refused next to the second one.
        await roleSelect(4).selectOption("phone");
        await page.getByRole("button", { name: "Import contacts" }).click();
        assert.match(await page.locator('[data-column="4"] .field-error').textContent(), /Only one column can be used as Phone/);
        await roleSelect(4).selectOption("ignore");
        await page.locator('[data-column="3"] input[data-key]').fill("city");
        await shot("import-map");
      },
    });

    assert.equal(await count("created"), 3);
    assert.equal(await count("updated"), 0);
    assert.equal(await count("skipped"), 1);
    const row = page.locator("[data-error-report] tbody tr");
    assert.equal(await row.count(), 1);
    assert.equal(await row.getAttribute("data-line"), "4");
    assert.match(await row.textContent(), /^4.*123/);
    await shot("import-result");

    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download the error report (CSV)" }).click()]);
    assert.equal(download.suggestedFilename(), `clientes-${stamp}-errors.csv`);
    const report = readFileSync(await download.path(), "utf8");
    assert.equal(report.replace(/^\uFEFF/, "").split("\r\n")[0], '"Line","Problem"');
    assert.match(report, /\r\n4,.*123/);

    // The mapping reached the server: "city" instead of "cidade", the notes ignored, the label for everyone.
    const { data } = await api("GET", `/api/contacts?q=${e164(31, 1).slice(1)}`);
    assert.equal(data.length, 1);
    assert.deepEqual(data[0].attributes, { city: "Belo Horizonte" });
    assert.deepEqual(data[0].labels.map((l) => l.name).sort(), [`Clientes ${stamp}`, everyone, `VIP ${stamp}`].sort());
  });

  it("imports 100,000 rows from the browser, with upload progress and the counts", async () => {
    const lines = ["name,phone,city"];
    for (let i = 0; i < 100_000; i++) lines.push(`Mass ${stamp} ${i},${phone(21, i)},City ${i % 50}`);
    const csv = `${lines.join("\n")}\n`;
    await page.goto(at("/contacts/import"));
    await page.getByLabel(/Choose a file/).setInputFiles({ name: `mass-${stamp}.csv`, mimeType: "text/csv", buffer: Buffer.from(csv, "utf8") });
    await page.getByRole("heading", { name: "Match the columns" }).waitFor();
    const started = Date.now();
    await page.getByRole("button", { name: "Import contacts" }).click();
    await page.locator("[data-uploading]").waitFor();
    await shot("import-uploading");
    await page.locator("[data-import-result]").waitFor({ timeout: 300_000 });
    console.log(`e2e: 100,000-row import took ${((Date.now() - started) / 1000).toFixed(1)} s`);
    assert.equal((await count("created")) + (await count("updated")), 100_000);
    assert.equal(await count("skipped"), 0);
    assert.match(await page.locator("[data-import-result]").textContent(), /Every row was imported/);
    const found = await api("GET", `/api/contacts?q=${encodeURIComponent(e164(21, 99_999).slice(1))}`);
    assert.equal(found.data[0]?.name, `Mass ${stamp} 99999`);
  });

  it("labels 500 contacts in one go by selecting everyone the filter matches, reached from the Labels page", async () => {
    const pool = `Pool ${stamp}`;
    const lines = ["name,phone,labels"];
    for (let i = 0; i < 500; i++) lines.push(`Pool member ${stamp} ${i},${phone(41, i)},${pool}`);
    await importFile(`pool-${stamp}.csv`, lines.join("\n"));
    assert.equal((await count("created")) + (await count("updated")), 500);
    const picked = `Picked ${stamp}`;
    const pickedId = await createLabel(picked);
    const { data: labels } = await api("GET", "/api/labels");
    const poolId = labels.find((l) => l.name === pool).id;

    // The Labels page links each count to the contacts carrying the label.
    await page.goto(at("/labels"));
    const poolCount = page.locator(`[data-label="${poolId}"] a.label-count`);
    assert.match(await poolCount.textContent(), /^500 contacts/);
    assert.equal(await poolCount.getAttribute("href"), `/contacts?labels=${poolId}`);
    assert.match(await page.locator(`[data-label="${pickedId}"] a.label-count`).textContent(), /^0 contacts/);
    await shot("labels");
    await poolCount.click();
    await page.waitForURL((url) => url.pathname === "/contacts" && url.searchParams.get("labels") === String(poolId));
    await page.locator("[data-contacts] tbody tr").first().waitFor();
    assert.equal(await page.locator("[data-contacts] tbody tr").count(), 50);
    assert.equal(
      await page
        .getByRole("group", { name: "Show contacts with these labels" })
        .getByRole("checkbox", { name: new RegExp(`^${pool}`) })
        .isChecked(),
      true,
    );

    await page.getByRole("checkbox", { name: "Select all contacts on this page" }).check();
    await page.getByRole("heading", { name: "50 contacts selected" }).waitFor();
    await page.getByRole("button", { name: "Select all 500 contacts matching the filters" }).click();
    await page.getByRole("heading", { name: "All 500 contacts matching the filters selected" }).waitFor();
    await shot("contacts-select-all");
    await page.locator("[data-bulk]").getByLabel("Label", { exact: true }).selectOption({ label: picked });
    await page.getByRole("button", { name: "Add label" }).click();
    await page
      .getByRole("status")
      .filter({ hasText: `“${picked}” added to 500 contacts (500 did not have it yet).` })
      .waitFor();
    assert.equal(await page.locator("[data-bulk]").count(), 0);
    await page.locator(`[data-contact] .chip`, { hasText: picked }).first().waitFor();
    await shot("contacts-bulk-done");

    await page.getByRole("link", { name: "Labels", exact: true }).click();
    assert.match(await page.locator(`[data-label="${pickedId}"] a.label-count`).textContent(), /^500 contacts/);
    const counted = await api("GET", `/api/contacts/count?labels=${pickedId}`);
    assert.equal(counted.count, 500);
  });

  it("adds, edits and deletes a contact, with the phone's error next to the phone field", async () => {
    const name = `Edit Me ${stamp}`;
    await page.goto(at("/contacts"));
    await page.getByRole("button", { name: "Add contact" }).click();
    const form = page.locator(".contact-form");
    await form.getByRole("heading", { name: "Add a contact" }).waitFor();
    await form.getByLabel("Name", { exact: true }).fill(name);
    const phoneInput = form.getByLabel("Phone", { exact: true });
    await phoneInput.fill("123");
    await form.getByRole("button", { name: "Add attribute" }).click();
    await form.getByLabel("Attribute 1 name").fill("city");
    await form.getByLabel("Attribute 1 value").fill("Porto Alegre");
    await form.getByRole("button", { name: "Add contact" }).click();
    const phoneError = form
      .locator(".field")
      .filter({ has: page.getByLabel("Phone", { exact: true }) })
      .locator(".field-error");
    await phoneError.waitFor();
    assert.match(await phoneError.textContent(), /^Enter a valid phone number/);
    assert.equal(await phoneInput.getAttribute("aria-invalid"), "true");
    assert.ok((await phoneInput.getAttribute("aria-describedby")).includes(await phoneError.getAttribute("id")));
    await shot("contact-phone-error");

    await phoneInput.fill(phone(51, 1));
    await form
      .getByRole("group", { name: "Labels" })
      .getByRole("checkbox", { name: new RegExp(`^Picked ${stamp}`) })
      .check();
    await form.getByRole("button", { name: "Add contact" }).click();
    await page
      .getByRole("status")
      .filter({ hasText: `${name} added.` })
      .waitFor();
    await page.getByLabel("Search", { exact: true }).fill(`Edit Me ${stamp}`);
    await page.waitForURL((url) => url.searchParams.get("q") === `Edit Me ${stamp}`);
    const row = page.locator("[data-contact]", { hasText: name });
    await row.waitFor();
    assert.match(await row.textContent(), /\+5551/);
    assert.match(await row.locator(".chip").textContent(), new RegExp(`Picked ${stamp}`));

    await row.getByRole("button", { name: `Edit ${name}` }).click();
    await form.getByRole("heading", { name: `Edit ${name}` }).waitFor();
    assert.equal(await form.getByLabel("Attribute 1 value").inputValue(), "Porto Alegre");
    await form.getByLabel("Name", { exact: true }).fill(`Edited ${stamp}`);
    await form.getByLabel("Opted out").check();
    await shot("contact-edit");
    await form.getByRole("button", { name: "Save contact" }).click();
    await page
      .getByRole("status")
      .filter({ hasText: `Edited ${stamp} saved.` })
      .waitFor();
    await page.getByLabel("Search", { exact: true }).fill(`Edited ${stamp}`);
    const edited = page.locator("[data-contact]", { hasText: `Edited ${stamp}` });
    await edited.waitFor();
    assert.match(await edited.locator("[data-opt-out]").textContent(), /^Opted out on /);
    await page.getByLabel("Opt-out", { exact: true }).selectOption({ label: "Not opted out" });
    await page.locator("[data-empty]").waitFor();
    await page.getByLabel("Opt-out", { exact: true }).selectOption({ label: "Opted out only" });
    await edited.waitFor();
    await shot("contacts-filtered");

    await edited.getByRole("button", { name: `Edit Edited ${stamp}` }).click();
    page.once("dialog", (dialog) => {
      assert.match(dialog.message(), new RegExp(`^Delete Edited ${stamp}\\?`));
      void dialog.accept();
    });
    await form.getByRole("button", { name: "Delete contact" }).click();
    await page
      .getByRole("status")
      .filter({ hasText: `Edited ${stamp} deleted.` })
      .waitFor();
    await page.locator("[data-empty]").waitFor();
    const { data } = await api("GET", `/api/contacts?q=${encodeURIComponent(`Edited ${stamp}`)}`);
    assert.deepEqual(data, []);
  });

  it("speaks Portuguese after switching the language", async () => {
    await page.goto(at("/contacts"));
    await page.evaluate(() => localStorage.setItem("herald.locale", "pt-BR"));
    await page.reload();
    await page.getByRole("heading", { name: "Contatos", level: 1 }).waitFor();
    await page.getByRole("link", { name: "Importar contatos" }).waitFor();
    await page.getByRole("button", { name: "Adicionar contato" }).waitFor();
    await page.getByRole("columnheader", { name: "Telefone" }).waitFor();
    await page.getByLabel("Descadastro", { exact: true }).waitFor();
    await shot("pt-contacts");
    await page.getByRole("link", { name: "Importar contatos" }).click();
    await page.getByRole("heading", { name: "Escolha um arquivo CSV" }).waitFor();
    await page
      .getByLabel(/Escolher arquivo/)
      .setInputFiles({ name: "pt.csv", mimeType: "text/csv", buffer: Buffer.from("nome;telefone;etiquetas\nAna;11987654321;VIP\n") });
    await page.getByRole("heading", { name: "Associe as colunas" }).waitFor();
    assert.equal(await roleSelect(1).locator("option:checked").textContent(), "Telefone");
    await shot("pt-import-map");
    await page.goto(at("/labels"));
    await page.getByRole("heading", { name: "Etiquetas", level: 1 }).waitFor();
    assert.match(await page.locator("a.label-count").first().textContent(), /contatos?/);
    await page.evaluate(() => localStorage.setItem("herald.locale", "en"));
    await page.reload();
    await page.getByRole("heading", { name: "Labels", level: 1 }).waitFor();
  });

  it("fits a phone screen", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await page.goto(at("/contacts"));
      await page.locator("[data-contacts] tbody tr").first().waitFor();
      await page.locator("[data-contacts] tbody tr").first().getByRole("checkbox").check();
      await page.locator("[data-bulk]").waitFor();
      assert.equal(await fits(), true, "the contacts list fits");
      await shot("phone-contacts");
      await page.getByRole("button", { name: "Add contact" }).click();
      await page.locator(".contact-form").getByRole("button", { name: "Add attribute" }).click();
      assert.equal(await fits(), true, "the contact form fits");
      await shot("phone-contact-form");
      await page.goto(at("/contacts/import"));
      await page.getByRole("heading", { name: "Choose a CSV file" }).waitFor();
      assert.equal(await fits(), true, "the import page fits");
      await page.getByLabel(/Choose a file/).setInputFiles({
        name: "phone.csv",
        mimeType: "text/csv",
        buffer: Buffer.from("name,phone,labels,city,store\nAna,11987654321,VIP,São Paulo,Centro\n"),
      });
      await page.getByRole("heading", { name: "Match the columns" }).waitFor();
      assert.equal(await fits(), true, "the mapping step fits");
      await shot("phone-import-map");
      await page.goto(at("/labels"));
      await page.locator("a.label-count").first().waitFor();
      assert.equal(await fits(), true, "the labels page fits");
      await shot("phone-labels");
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  });

  watch.explainFailures(afterEach);
  watch.itFoundNoProblems(it);
});

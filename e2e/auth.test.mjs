// First run, sign-out / sign-in, labels and the session cookie, in a real browser against a
// fresh Herald (see e2e/run.mjs). The steps run in order and share one browser page.
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { startLocalServer } from "../scripts/local-server.mjs";
import { at, launchBrowser, pageWatch } from "./browser.mjs";
import { admin } from "./fixtures.mjs";

/** Waits until `locator` is visible and returns its text. */
async function textOf(locator) {
  await locator.waitFor();
  return (await locator.textContent())?.trim() ?? "";
}

/** The UI's HTML comes with the headers from web/public/_headers. */
function assertPageHeaders(response) {
  const headers = response.headers();
  assert.match(headers["content-type"] ?? "", /^text\/html/);
  assert.match(headers["content-security-policy"] ?? "", /frame-ancestors 'none'/);
  assert.equal(headers["x-frame-options"], "DENY");
  assert.equal(headers["x-content-type-options"], "nosniff");
}

describe("signing up, in and out", () => {
  let browser;
  let context;
  let page;
  // A CSP violation or an exception logged in the page fails the run.
  const watch = pageWatch("auth");
  const shot = (name) => watch.shot(page, name);

  before(async () => {
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
    page = watch.page(await context.newPage());
    page.setDefaultTimeout(10_000);
  });

  after(async () => {
    await browser?.close();
  });

  const banner = () => page.getByRole("banner");

  it("sends a fresh Herald to the setup form", async () => {
    const response = await page.goto(at("/"));
    assertPageHeaders(response);
    await page.waitForURL(at("/setup"));
    await page.getByRole("heading", { name: "Set up Herald" }).waitFor();
    assert.equal(await page.getByLabel("Default country", { exact: true }).inputValue(), "BR");
    await shot("setup");
  });

  it("sets up the workspace and signs the admin in", async () => {
    await page.getByLabel("Workspace name", { exact: true }).fill(admin.workspace);
    await page.getByLabel("Your name", { exact: true }).fill(admin.name);
    await page.getByLabel("Email", { exact: true }).fill(admin.email);
    await page.getByLabel("Password", { exact: true }).fill(admin.password);
    // The browser lets "XX" through (two letters); the API refuses it and the UI marks the field.
    const country = page.getByLabel("Default country", { exact: true });
    await country.fill("XX");
    await page.getByRole("button", { name: "Create workspace" }).click();
    assert.equal(await textOf(page.getByRole("alert")), "Please correct the fields marked below.");
    assert.equal(await country.getAttribute("aria-invalid"), "true");
    assert.match(await textOf(page.getByText("must be an ISO 3166-1 alpha-2 country code")), /such as BR or US/);
    assert.ok(await country.evaluate((el) => el === document.activeElement), "focus moves to the refused field");

    await country.fill("br");
    await page.getByRole("button", { name: "Create workspace" }).click();
    await page.waitForURL(at("/"));
    await page.getByRole("heading", { name: `Welcome, ${admin.name}` }).waitFor();
    const header = await textOf(banner());
    assert.match(header, new RegExp(admin.workspace));
    assert.match(header, new RegExp(admin.email));
    assert.match(header, /admin/);
    for (const section of ["Campaigns", "Contacts", "Labels", "Inboxes", "Settings"]) {
      assert.equal(await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: section }).count(), 1);
    }
    await shot("home");
  });

  it("keeps the session in an HttpOnly, SameSite=Lax cookie", async () => {
    const cookie = (await context.cookies(at("/"))).find((c) => c.name === "herald_session");
    assert.ok(cookie, "herald_session cookie is set");
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, "Lax");
    assert.equal(cookie.path, "/");
    assert.doesNotMatch(await page.evaluate(() => document.cookie), /herald_session/);
  });

  it("signs out to the sign-in page", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(at("/login"));
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await shot("sign-in");
    const cookie = (await context.cookies(at("/"))).find((c) => c.name === "herald_session");
    assert.equal(cookie, undefined, "the session cookie is cleared");
  });

  it("sends signed-out visitors to sign-in once setup is done", async () => {
    for (const pathname of ["/setup", "/labels"]) {
      const response = await page.goto(at(pathname));
      assert.equal(response.status(), 200, `${pathname} is served the app (SPA fallback)`);
      assertPageHeaders(response);
      await page.waitForURL(at("/login"));
    }
  });

  it("shows the error for a wrong password", async () => {
    await page.getByLabel("Email", { exact: true }).fill(admin.email);
    await page.getByLabel("Password", { exact: true }).fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    assert.equal(await textOf(page.getByRole("alert")), "wrong email or password");
    assert.equal(page.url(), at("/login"));
    assert.equal(await page.getByLabel("Password", { exact: true }).inputValue(), "", "the wrong password is cleared");
  });

  it("signs in with the right password", async () => {
    await page.getByLabel("Password", { exact: true }).fill(admin.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(at("/"));
    assert.match(await textOf(banner()), new RegExp(admin.email));
  });

  it("creates a label and lists it with 0 contacts", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Labels" }).click();
    await page.waitForURL(at("/labels"));
    await page.getByRole("heading", { name: "Labels", level: 1 }).waitFor();
    await page.getByText("No labels yet").waitFor();

    await page.getByLabel("Name", { exact: true }).fill("VIP customers");
    await page.getByRole("button", { name: "Create label" }).click();
    const row = page.getByRole("listitem").filter({ hasText: "VIP customers" });
    assert.match(await textOf(row), /VIP customers\s*0 contacts/);
    assert.equal(await textOf(page.getByRole("status")), "Label “VIP customers” created.");
    assert.equal(await page.getByLabel("Name", { exact: true }).inputValue(), "");
  });

  it("shows the API's error for a duplicate label", async () => {
    await page.getByLabel("Name", { exact: true }).fill("vip customers");
    await page.getByRole("button", { name: "Create label" }).click();
    assert.match(await textOf(page.getByRole("alert")), /already exists/);
    assert.equal(await page.locator(".label-list li").count(), 1);
  });

  it("keeps the session across a reload", async () => {
    await page.reload();
    await page.waitForURL(at("/labels"));
    const row = page.getByRole("listitem").filter({ hasText: "VIP customers" });
    assert.match(await textOf(row), /0 contacts/);
    assert.match(await textOf(banner()), new RegExp(admin.workspace));
    assert.equal(await page.getByRole("link", { name: "Labels" }).getAttribute("aria-current"), "page", "the nav marks the current section");
    await shot("labels");
  });

  it("shows a page that does not exist as such", async () => {
    await page.goto(at("/no-such-page"));
    await page.getByRole("heading", { name: "Page not found" }).waitFor();
    await shot("not-found");
  });

  it("fits a phone screen, signed in and out, in English and Portuguese", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      for (const pathname of ["/", "/labels", "/no-such-page"]) {
        await page.goto(at(pathname));
        await page.locator("main h1").waitFor();
        assert.equal(await watch.fits(page), true, `${pathname} fits`);
      }
      await shot("phone-labels");
      await page.getByLabel("Language").selectOption("pt-BR");
      await page.getByRole("navigation", { name: "Principal" }).getByRole("link", { name: "Etiquetas" }).waitFor();
      assert.equal(await watch.fits(page), true, "the Portuguese header fits");
      await shot("phone-labels-pt");
      await page.getByRole("button", { name: "Sair" }).click();
      await page.getByRole("heading", { name: "Entrar" }).waitFor();
      assert.equal(await watch.fits(page), true, "the sign-in page fits");
      await shot("phone-sign-in-pt");
      await page.getByLabel("Idioma").selectOption("en");
      await page.getByRole("heading", { name: "Sign in" }).waitFor();
    } finally {
      await page.setViewportSize({ width: 1100, height: 760 });
    }
  });

  watch.explainFailures(afterEach);
  watch.itFoundNoProblems(it);
});

/** Submits the sign-in form with `password`; resolves with the API's status once it has answered. */
async function signIn(page, password) {
  await page.getByLabel("Password", { exact: true }).fill(password);
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith("/api/auth/login")),
    page.getByRole("button", { name: "Sign in" }).click(),
  ]);
  return response.status();
}

describe("sign-in throttling", () => {
  let browser;

  before(async () => {
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
  });

  it("tells the user to wait after too many failed sign-ins", async () => {
    const page = await browser.newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(at("/login"));
    await page.getByLabel("Email", { exact: true }).fill("nobody@example.com");
    const alert = page.getByRole("alert");
    // Five failures stop this client for the address; the sixth attempt is refused with 429.
    for (let attempt = 1; attempt <= 5; attempt++) {
      const status = await signIn(page, `wrong password ${attempt}`);
      assert.equal(status, 401);
      assert.equal(await textOf(alert), "wrong email or password");
    }
    assert.equal(await signIn(page, "wrong password 6"), 429);
    assert.match(await textOf(alert), /^too many failed sign-ins from this client; try again in \d+ min$/);
  });
});

describe("first-run setup of a deployment", () => {
  let browser;
  let server;
  let page;
  const watch = pageWatch("setup-secret");
  const url = (pathname) => `${server.url}${pathname}`;

  before(async () => {
    // A Herald of its own, configured as a deployment: setup needs the SETUP_SECRET.
    server = await startLocalServer({ vars: { HERALD_ENV: "production", SETUP_SECRET: "a-long-random-setup-secret" } });
    browser = await launchBrowser();
    page = watch.page(await browser.newPage({ viewport: { width: 390, height: 844 } }));
    page.setDefaultTimeout(10_000);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("asks for the setup secret, says when it is wrong, and sets up with the right one", async () => {
    await page.goto(url("/setup"));
    await page.getByRole("heading", { name: "Set up Herald" }).waitFor();
    const secret = page.getByLabel("Setup secret", { exact: true });
    await page.getByLabel("Workspace name", { exact: true }).fill("Deployed");
    await page.getByLabel("Your name", { exact: true }).fill("Owner");
    await page.getByLabel("Email", { exact: true }).fill("owner@example.com");
    await page.getByLabel("Password", { exact: true }).fill("a long enough password");
    await secret.fill("a guess");
    await page.getByRole("button", { name: "Create workspace" }).click();
    await page.getByRole("alert").waitFor();
    assert.equal(await secret.getAttribute("aria-invalid"), "true");
    assert.ok(await secret.evaluate((el) => el === document.activeElement), "focus moves to the setup secret");
    await watch.shot(page, "wrong-secret");

    await secret.fill("a-long-random-setup-secret");
    await page.getByRole("button", { name: "Create workspace" }).click();
    await page.waitForURL(url("/"));
    await page.getByRole("heading", { name: "Welcome, Owner" }).waitFor();
  });

  watch.explainFailures(afterEach);
  watch.itFoundNoProblems(it);
});

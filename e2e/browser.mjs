// Shared set-up for the browser tests: the server under test and Debian's Chromium.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { chromium } from "playwright-core";

export const baseUrl = process.env.HERALD_URL?.replace(/\/$/, "");
if (!baseUrl) throw new Error("HERALD_URL is not set; run the browser tests with `npm run test:e2e`");

export const artifactsDir = path.join(import.meta.dirname, "artifacts");
mkdirSync(artifactsDir, { recursive: true });

export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** `/path` on the server under test, as a full URL. */
export const at = (pathname) => `${baseUrl}${pathname}`;

export const screensDir = path.join(artifactsDir, "screens");
mkdirSync(screensDir, { recursive: true });
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/**
 * What a browser test file watches on the pages it opens: uncaught errors and console errors
 * (4xx answers the UI expects are logged by Chromium as "Failed to load resource" and are left
 * out), and axe-core's WCAG 2.1 A and AA findings on every screen it photographs.
 *
 * @example
 * const watch = pageWatch("contacts");
 * watch.page(page);                  // collect its errors
 * await watch.shot(page, "list");   // e2e/artifacts/screens/contacts-01-list.png + axe check
 * watch.itFoundNoProblems(it);      // the file's closing checks
 */
export function pageWatch(prefix) {
  const problems = { pageErrors: [], consoleErrors: [], axeFindings: [] };
  let shots = 0;
  const pages = [];
  return {
    problems,
    /** Collects `page`'s uncaught and console errors; returns it. */
    page(page) {
      pages.push(page);
      page.on("pageerror", (error) => problems.pageErrors.push(error));
      page.on("console", (message) => {
        if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) problems.consoleErrors.push(message.text());
      });
      return page;
    },
    /** A full-page screenshot, `<prefix>-NN-<name>.png`, and axe-core's check of the screen. */
    async shot(page, name) {
      const file = `${prefix}-${String(++shots).padStart(2, "0")}-${name}`;
      await page.screenshot({ path: path.join(screensDir, `${file}.png`), fullPage: true });
      await page.evaluate(axeSource);
      const violations = await page.evaluate(async () => {
        const result = await window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } });
        return result.violations.map(
          (v) =>
            `${v.id} (${v.impact}): ${v.nodes
              .map((n) => n.target.join(" "))
              .slice(0, 3)
              .join(", ")}`,
        );
      });
      for (const v of violations) problems.axeFindings.push(`${file}: ${v}`);
    },
    /** The same, once nothing on the page says it is loading ("Loading …", "Carregando …"). */
    async settledShot(page, name) {
      await page.waitForFunction(() => !/Loading|Carregando/.test(document.querySelector("main")?.textContent ?? ""));
      await this.shot(page, name);
    },
    /** Whether the page is no wider than the window (nothing to scroll sideways). */
    fits: (page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
    /**
     * After a test that failed, prints what each open page showed (address, headings, alerts,
     * field errors, the focused element) and saves a screenshot, `<prefix>-failed-<test>.png`.
     */
    explainFailures(afterEach) {
      afterEach(async (t) => {
        if (t.passed) return;
        for (const [i, page] of pages.entries()) {
          if (page.isClosed()) continue;
          const slug = t.name.replace(/[^a-z0-9]+/gi, "-").slice(0, 60);
          await page.screenshot({ path: path.join(screensDir, `${prefix}-failed-${slug}-${i}.png`), fullPage: true }).catch(() => {});
          const seen = await page
            .evaluate(() => {
              const texts = (selector) => [...document.querySelectorAll(selector)].map((e) => e.textContent.trim()).filter(Boolean);
              const focused = document.activeElement;
              return {
                url: location.href,
                headings: texts("h1, h2, h3"),
                alerts: texts("[role=alert], .form-error, .field-error, [role=status]"),
                focused: focused ? `${focused.tagName.toLowerCase()} ${focused.getAttribute("name") ?? ""} "${focused.textContent.trim().slice(0, 60)}"` : null,
              };
            })
            .catch((error) => ({ error: String(error) }));
          console.log(`page ${i} after the failure of "${t.name}": ${JSON.stringify(seen)}`);
        }
      });
    },
    /** Registers the file's closing checks: no axe finding, no uncaught or console error. */
    itFoundNoProblems(it) {
      it("passes axe-core's WCAG 2.1 AA checks on every screen shown", () => assert.deepEqual(problems.axeFindings, []));
      it("raised no uncaught errors or console errors in the page", () => {
        assert.deepEqual(problems.pageErrors.map(String), []);
        assert.deepEqual(problems.consoleErrors, []);
      });
    },
  };
}

// Shared set-up for the browser tests: the server under test and Debian's Chromium.
import { mkdirSync } from "node:fs";
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

// The board and the admin console under the server's Content-Security-Policy, in a real headless
// Chromium: each page is served with the policy, works (the board renders its tiles over the WebSocket,
// the admin console lists the users and opens a user's editor) and the browser reports no violation —
// neither a `securitypolicyviolation` event nor a console message about the policy.

import { existsSync } from "node:fs";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "../api/harness.js";
import { PAGE_WAIT_MS } from "./page-wait.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

interface Watched {
  page: Page;
  /** Console messages about the policy and `securitypolicyviolation` events, as text. */
  violations: string[];
}

describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)("pages under the Content-Security-Policy", () => {
  let h: Harness;
  let browser: Browser;

  beforeAll(async () => {
    h = await startHarness();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
      ],
    });
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  async function watched(): Promise<Watched> {
    const page = await browser.newPage();
    page.setDefaultTimeout(PAGE_WAIT_MS);
    const violations: string[] = [];
    page.on("console", (m) => {
      if (/content security policy/i.test(m.text())) violations.push(`console: ${m.text()}`);
    });
    page.on("pageerror", (e) => violations.push(`page error: ${e.message}`));
    await page.exposeFunction("__cspViolation", (text: string) => violations.push(text));
    await page.addInitScript(() => {
      document.addEventListener("securitypolicyviolation", (e) => {
        const report = (window as unknown as { __cspViolation(t: string): void }).__cspViolation;
        report(`violation: ${e.violatedDirective} blocked ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`);
      });
    });
    return { page, violations };
  }

  /** The page's own response: served with the policy, which forbids inline scripts and styles. */
  function expectPolicy(headers: Record<string, string>): void {
    const csp = headers["content-security-policy"] ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toContain("unsafe-eval");
  }

  it("the board renders its tiles and goes live without a violation", async () => {
    const { page, violations } = await watched();
    const response = await page.goto(`${h.base}/#token=${await h.token("1001")}`);
    expectPolicy(response!.headers());
    await page.waitForSelector('[data-user="1002"]');
    await page.waitForFunction(() => document.getElementById("status")?.textContent === "live");
    expect(violations).toEqual([]);
    // The page's styles apply (a tile has its presence colour), from the stylesheets the policy allows.
    const border = await page.$eval('[data-user="1002"]', (el) => getComputedStyle(el).borderLeftWidth);
    expect(border).not.toBe("0px");
    await page.close();
  }, 45_000);

  it("the admin console lists the users and opens a user's editor without a violation", async () => {
    const { page, violations } = await watched();
    const response = await page.goto(`${h.base}/admin#token=${await h.token("admin")}`);
    expectPolicy(response!.headers());
    await page.waitForSelector("#users button");
    await page.click("#users button");
    await page.waitForSelector("#editor fieldset");
    expect(violations).toEqual([]);
    const columns = await page.$eval("#console", (el) => getComputedStyle(el).display);
    expect(columns).toBe("grid");
    await page.close();
  }, 45_000);
});

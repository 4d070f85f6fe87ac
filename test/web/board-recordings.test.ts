// The board's Recordings panel in a real headless Chromium, on a real API, Redis and store (a real WAV put
// there by the finalizer): a viewer sees the recording of their call, clicks Play and the page's <audio>
// can play it (its `canplay` event, on the short-lived link, under the strict Content-Security-Policy), and
// Download saves it; each is one audit entry. A viewer who was not on the call sees no row; an admin filters
// by department.

import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CALLER, type RecordingsServer, startRecordingsServer, user } from "../api/recordings-server.js";
import { PAGE_WAIT_MS } from "./page-wait.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** Below the tests' limit, so that a stuck wait says what it waited for. */

describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)("board recordings in headless Chromium", () => {
  let s: RecordingsServer;
  let browser: Browser;
  let alice: { id: string; bytes: Buffer };
  let dave: { id: string; bytes: Buffer };

  beforeAll(async () => {
    s = await startRecordingsServer();
    alice = await s.record({}, 2000);
    dave = await s.record(
      {
        extension: "1004",
        leg: "PJSIP/1004-00000001",
        parties: [CALLER, user("1004", "Dave Support")],
        requiredBy: ["1004"],
      },
      1000,
    );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        // Headless has no sound card: play into nothing.
        "--mute-audio",
      ],
    });
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  /** A board page for `who`, and what the browser says about the Content-Security-Policy. */
  async function board(who: string): Promise<{ page: Page; violations: string[]; close(): Promise<void> }> {
    const context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
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
        report(`violation: ${e.violatedDirective} blocked ${e.blockedURI}`);
      });
    });
    await page.goto(`${s.base}/#token=${await s.token(who)}`);
    return { page, violations, close: () => context.close() };
  }

  const audits = async (actor: string) =>
    (await s.audit.query({ actor })).filter((e) => e.action.startsWith("recording."));

  it("a viewer plays the recording of their call in the page, and downloads it", async () => {
    const { page, violations, close } = await board("1001");
    const row = `#recordings tr[data-recording="${alice.id}"]`;
    await page.waitForSelector(row);
    const text = await page.textContent(row);
    expect(text).toContain("Jane Customer +15550100");
    expect(text).toContain("Alice Sales");
    expect(text).toContain("0:02");
    // Only hers: Dave's call is not on her list.
    expect(await page.$(`#recordings tr[data-recording="${dave.id}"]`)).toBeNull();

    const audio: { status: number; range: string | undefined }[] = [];
    page.on("response", (res) => {
      if (res.url().includes("/audio?"))
        audio.push({ status: res.status(), range: res.request().headers().range });
    });
    // Listen before clicking: the player's `canplay` (or its error) settles this.
    await page.evaluate(() => {
      const player = document.getElementById("recordings-player") as HTMLAudioElement;
      (window as unknown as { canPlay: Promise<string> }).canPlay = new Promise<string>((resolve, reject) => {
        player.addEventListener("canplay", () => resolve(player.currentSrc), { once: true });
        player.addEventListener("error", () => reject(new Error(`media error ${player.error?.code}`)), {
          once: true,
        });
      });
    });
    await page.click(`${row} button.play`);
    const src = await page.evaluate(() => (window as unknown as { canPlay: Promise<string> }).canPlay);
    expect(new URL(src).pathname).toBe(`/v1/recordings/${alice.id}/audio`);
    expect(await page.isVisible("#recordings-player")).toBe(true);
    expect(await page.getAttribute(row, "class")).toContain("playing");
    // The player asked for ranges and got them.
    expect(audio.length).toBeGreaterThan(0);
    expect(audio.some((a) => a.status === 206 && a.range !== undefined)).toBe(true);

    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.click(`${row} button.download`),
    ]);
    expect(download.suggestedFilename()).toMatch(
      new RegExp(`^callsight-recording-2024-05-01-\\d{6}Z-${alice.id}\\.wav$`),
    );
    const saved = await download.path();
    expect((await readFile(saved)).equals(alice.bytes)).toBe(true);

    // One entry for the play (however many ranges the player asked for), one for the download.
    expect((await audits("1001")).map((e) => [e.action, e.target, e.outcome])).toEqual([
      ["recording.play", `recording:${alice.id}`, "allowed"],
      ["recording.download", `recording:${alice.id}`, "allowed"],
    ]);
    expect(violations).toEqual([]);
    await close();
  }, 45_000);

  it("a viewer who was not on the call sees no row", async () => {
    const { page, violations, close } = await board("1002");
    await page.waitForSelector("#recordings-none:not([hidden])");
    expect(await page.$$("#recordings tr[data-recording]")).toEqual([]);
    expect(await page.isVisible("#recordings-department")).toBe(false);
    const html = await page.content();
    expect(html).not.toContain(alice.id);
    expect(html).not.toContain("+15550100");
    expect(violations).toEqual([]);
    await close();
  }, 45_000);

  it("an admin sees every recording and filters them by department", async () => {
    const { page, violations, close } = await board("admin");
    await page.waitForSelector(`#recordings tr[data-recording="${alice.id}"]`);
    await page.waitForSelector(`#recordings tr[data-recording="${dave.id}"]`);
    await page.selectOption("#recordings-department", "support");
    await page.waitForSelector(`#recordings tr[data-recording="${alice.id}"]`, { state: "detached" });
    expect(await page.$(`#recordings tr[data-recording="${dave.id}"]`)).not.toBeNull();
    await page.selectOption("#recordings-department", "");
    await page.waitForSelector(`#recordings tr[data-recording="${alice.id}"]`);

    // In German, and at phone width nothing is wider than the screen.
    await page.selectOption("#language", "de");
    await page.waitForFunction(
      () => document.getElementById("recordings-title")?.textContent === "Aufnahmen",
    );
    expect(await page.textContent(`#recordings tr[data-recording="${alice.id}"] button.play`)).toBe(
      "Abspielen",
    );
    expect(await page.textContent('#recordings-department option[value=""]')).toBe("Alle Abteilungen");
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.selectOption("#language", "en");
    expect(violations).toEqual([]);
    await close();
  }, 45_000);
});

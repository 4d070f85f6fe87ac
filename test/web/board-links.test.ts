// The web board in a real headless Chromium tells its viewer when it is not live: a banner while the PBX
// link is connecting (everyone offline, not available) and while it is down (the calls shown are the last
// known), gone once the PBX is back.

import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PbxEvent } from "../../src/domain/events.js";
import { type Harness, startHarness } from "../api/harness.js";
import { idleDriver, snapshotOf } from "../support/idle-driver.js";
import { PAGE_WAIT_MS } from "./page-wait.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

const connection = (state: "up" | "down", at: number): PbxEvent => ({
  type: "pbx.connection",
  pbx: "main",
  at,
  state,
});

describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)("web board: the PBX link banner", () => {
  let h: Harness;
  let browser: Browser;

  beforeAll(async () => {
    h = await startHarness({ drivers: [idleDriver("main")] });
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

  it("connecting, then live, then down with the last known state, then live again", async () => {
    const page = await browser.newPage();
    page.setDefaultTimeout(PAGE_WAIT_MS);
    await page.goto(`${h.base}/#token=${await h.token("1001")}`);
    await page.waitForSelector('[data-user="1002"]');
    await page.waitForSelector('#links:not([hidden]) .link-connecting[data-pbx="main"]');
    expect(await page.textContent("#links")).toContain("Connecting to PBX main");
    // Before the PBX first answers nobody shows available.
    expect(await page.$$(".person.p-available")).toHaveLength(0);
    expect(await page.$('[data-user="1002"].p-offline')).not.toBeNull();

    const t0 = Date.now();
    h.callsight.apply([snapshotOf(t0, ["1001", "1002"]), connection("up", t0)]);
    await page.waitForSelector('[data-user="1002"].p-available');
    await page.waitForSelector("#links[hidden]", { state: "attached" });

    h.callsight.apply([connection("down", Date.now())]);
    await page.waitForSelector('#links:not([hidden]) .link-down[data-pbx="main"]');
    const text = await page.textContent("#links");
    expect(text).toContain("The link to PBX main is down since");
    expect(text).toContain("may be stale");
    // The last known presence stays on the board under the banner.
    expect(await page.$('[data-user="1002"].p-available')).not.toBeNull();

    h.callsight.apply([snapshotOf(Date.now(), ["1001", "1002"]), connection("up", Date.now())]);
    await page.waitForSelector("#links[hidden]", { state: "attached" });
    await page.close();
  }, 45_000);
});

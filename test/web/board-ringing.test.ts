// Who is calling, before I pick up — in a real headless Chromium: a viewer who may pick up a ringing
// colleague's call sees the caller (and the Pick up button) although she does not see colleagues' calls
// otherwise; a viewer without the pickup right finds the caller's number nowhere, neither in the page nor in
// the WebSocket frames it received; after the answer the caller leaves the first viewer's page too. A parked
// call says who parked it, and the sections carry the departments' names.

import { existsSync } from "node:fs";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "../api/harness.js";
import { answer, CALLER, CALLER_NAME, hangUp, park, ring, ringingConfig } from "../api/ringing-calls.js";
import { PAGE_WAIT_MS } from "./page-wait.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)("who is calling, on the board in Chromium", () => {
  let h: Harness;
  let browser: Browser;

  beforeAll(async () => {
    h = await startHarness({ config: ringingConfig() });
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
      ],
    });
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  /** A board page for `user` in English, recording every WebSocket frame it receives. */
  async function open(user: string): Promise<{ page: Page; frames: string[] }> {
    const context = await browser.newContext({ locale: "en-US" });
    const page = await context.newPage();
    page.setDefaultTimeout(PAGE_WAIT_MS);
    const frames: string[] = [];
    page.on("websocket", (ws) => ws.on("framereceived", (f) => frames.push(String(f.payload))));
    await page.goto(`${h.base}/#token=${await h.token(user)}`);
    await page.waitForSelector(`[data-user="${user}"]`);
    await page.waitForFunction(() => document.getElementById("status")?.textContent === "live");
    return { page, frames };
  }

  it("the caller for a viewer who may pick up, with the Pick up button; nothing anywhere for one who may not; gone after the answer", async () => {
    const paula = await open("3002");
    const nick = await open("3003");
    h.callsight.apply(ring("w1", "3001"));

    const ringingCall = '[data-user="3001"] .call-ringing';
    await paula.page.waitForSelector(ringingCall);
    const line = await paula.page.textContent(ringingCall);
    expect(line).toContain(CALLER);
    expect(line).toContain(CALLER_NAME);
    expect(line).toContain("call from");
    expect(await paula.page.locator(`${ringingCall} button`, { hasText: "Pick up" }).count()).toBe(1);

    await nick.page.waitForSelector('[data-user="3001"].p-ringing');
    expect(await nick.page.$(ringingCall)).toBeNull();
    expect(await nick.page.content()).not.toContain(CALLER);
    expect(await nick.page.content()).not.toContain(CALLER_NAME);
    expect(nick.frames.length).toBeGreaterThan(0);
    expect(nick.frames.join("\n")).not.toContain(CALLER);
    expect(nick.frames.join("\n")).not.toContain(CALLER_NAME);

    h.callsight.apply(answer("w1"));
    await paula.page.waitForSelector('[data-user="3001"].p-on-call');
    expect(await paula.page.$('[data-user="3001"] .call')).toBeNull();
    expect(await paula.page.content()).not.toContain(CALLER);
    await nick.page.waitForSelector('[data-user="3001"].p-on-call');
    expect(nick.frames.join("\n")).not.toContain(CALLER);

    h.callsight.apply(hangUp("w1"));
    await paula.page.context().close();
    await nick.page.context().close();
  }, 30_000);

  it("a parked call says who parked it; sections and tiles carry the departments' names", async () => {
    const paula = await open("3002");
    expect(await paula.page.textContent('section[data-department="sales"] h3')).toContain("Sales Team");
    expect(await paula.page.textContent('[data-user="3001"] .deps')).toBe("Sales Team");
    h.callsight.apply([...ring("w2", "3001"), ...answer("w2"), ...park("w2", "702")]);
    await paula.page.waitForSelector('#parked [data-parked-by="3001"]');
    const row = await paula.page.textContent("#parked [data-call]");
    expect(row).toContain("702");
    expect(row).toContain("parked by Cora Callee");
    expect(await paula.page.locator("#parked button", { hasText: "Pick up" }).count()).toBe(1);
    // In German too.
    await paula.page.selectOption("#language", "de");
    await paula.page.waitForFunction(() =>
      document.querySelector("#parked [data-call]")?.textContent?.includes("geparkt von Cora Callee"),
    );
    h.callsight.apply(hangUp("w2"));
    await paula.page.waitForSelector("#parked-section[hidden]", { state: "attached" });
    await paula.page.context().close();
  }, 30_000);
});

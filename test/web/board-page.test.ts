// The web board in a real headless Chromium: it renders what the server sends for the viewer, updates
// live, and never holds a field the viewer may not see (the page's whole DOM and its WebSocket traffic
// are searched for the caller's number).

import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PbxEvent } from "../../src/domain/events.js";
import { readTrace } from "../../src/replay/formats.js";
import { type Harness, startHarness } from "../api/harness.js";
import { PAGE_WAIT_MS } from "./page-wait.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

function trace(name: string): PbxEvent[] {
  return readTrace(`test/fixtures/asterisk/${name}.ami.txt`, "ami", { pbx: "main" }).events;
}

describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)("web board in headless Chromium", () => {
  let h: Harness;
  let browser: Browser;
  const inbound = trace("05-inbound-answered");
  const bridged = inbound.findIndex((e) => e.type === "leg.bridged");

  beforeAll(async () => {
    h = await startHarness();
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

  it("shows Alice her department live, with Bob's call but not whom Bob talks to", async () => {
    const page = await browser.newPage();
    page.setDefaultTimeout(PAGE_WAIT_MS);
    const frames: string[] = [];
    page.on("websocket", (ws) => ws.on("framereceived", (f) => frames.push(String(f.payload))));
    const alice = await h.token("1001");
    await page.goto(`${h.base}/#token=${alice}`);
    await page.waitForSelector('[data-user="1002"]');
    expect(await page.textContent("#who")).toContain("Alice Sales");
    // Carol does not share her presence.
    expect(await page.$('[data-user="1003"]')).toBeNull();

    h.callsight.apply(inbound.slice(0, bridged + 1));
    await page.waitForSelector('[data-user="1002"].p-on-call');
    const card = await page.textContent('[data-user="1002"]');
    expect(card).toContain("on a call");
    const html = await page.content();
    expect(html).not.toContain("15551234567");
    expect(html).not.toContain("WIRELESS");
    expect(frames.join("\n")).not.toContain("15551234567");

    h.callsight.apply(inbound.slice(bridged + 1));
    await page.waitForSelector('[data-user="1002"].p-available');
    await page.close();
  }, 45_000);

  it("shows Bob his own caller, and an admin every detail", async () => {
    h.callsight.apply(inbound.slice(0, bridged + 1));
    for (const [user, name] of [
      ["1002", "1002"],
      ["admin", "1002"],
    ] as const) {
      const page = await browser.newPage();
      page.setDefaultTimeout(PAGE_WAIT_MS);
      await page.goto(`${h.base}/#token=${await h.token(user)}`);
      await page.waitForSelector(`[data-user="${name}"].p-on-call`);
      expect(await page.textContent(`[data-user="${name}"]`)).toContain("15551234567");
      await page.close();
    }
    h.callsight.apply(inbound.slice(bridged + 1));
  }, 45_000);

  it("says so when the token is refused", async () => {
    const page = await browser.newPage();
    page.setDefaultTimeout(PAGE_WAIT_MS);
    await page.goto(`${h.base}/#token=cs_wrong`);
    await page.waitForFunction(() => document.getElementById("status")?.textContent !== "not connected");
    expect(await page.$("[data-user]")).toBeNull();
    await page.close();
  }, 45_000);

  it("a revoked token ends the live board: it says why and asks for a token again", async () => {
    const page = await browser.newPage();
    page.setDefaultTimeout(PAGE_WAIT_MS);
    const issued = await h.request("POST", "/v1/admin/tokens", await h.token("admin"), { user: "1001" });
    await page.goto(`${h.base}/#token=${issued.body.token}`);
    await page.waitForFunction(() => document.getElementById("status")?.textContent === "live");
    const revoked = await h.request("DELETE", `/v1/admin/tokens/${issued.body.id}`, await h.token("admin"));
    expect(revoked.status).toBe(204);
    await page.waitForFunction(() => document.getElementById("status")?.textContent === "token revoked");
    expect(await page.isVisible("#login")).toBe(true);
    await page.close();
  }, 45_000);
});

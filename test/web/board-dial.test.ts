// Click-to-call on the web board, end to end: real headless Chromium against a full Callsight server (real
// Redis, the AMI driver) on the AMI simulator. Bob clicks Call on Alice's tile: the simulated Asterisk gets
// the Originate (Bob's phone first, then Alice's extension in the dialplan), and both tiles show the call.
// The number box calls an extension; an outside number is refused with the reason while dialExternal is off.

import { existsSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AmiSimulator } from "../../simulators/ami-simulator.js";
import type { RunningServer } from "../../src/runtime/start.js";
import { waitFor } from "../ami/helpers.js";
import { PAGE_WAIT_MS } from "./page-wait.js";
import { CHROMIUM, type SimulatedSite, startSimulatedSite } from "./simulated-site.js";

describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)(
  "click-to-call on the web board (AMI simulator)",
  () => {
    let sim: AmiSimulator;
    let server: RunningServer;
    let browser: Browser;
    let site: SimulatedSite;

    async function open(user: string): Promise<Page> {
      const page = await browser.newPage();
      page.setDefaultTimeout(PAGE_WAIT_MS);
      await page.goto(`${server.url}/#token=${await server.tokens.create(user)}`);
      await page.waitForSelector(`[data-user="${user}"]`);
      return page;
    }

    const originates = (from: number) => sim.actionLog.slice(from).filter((a) => a.action === "originate");

    beforeAll(async () => {
      site = await startSimulatedSite("board-dial");
      ({ sim, server, browser } = site);
    }, 30_000);

    afterAll(async () => {
      await site?.stop();
    });

    it("Bob clicks Call on Alice's tile: the PBX gets the originate, both tiles show the call", async () => {
      const page = await open("1002");
      // A Call button on colleagues' tiles, none on his own.
      expect(await page.locator('[data-user="1002"] button', { hasText: "Call" }).count()).toBe(0);
      const call = page.locator('[data-user="1001"] .person-actions button', { hasText: "Call" });
      expect(await call.getAttribute("title")).toBe("Call Alice Sales");
      const before = sim.actionLog.length;
      await call.click();
      const originate = await waitFor(() => originates(before)[0], "the originate");
      // Bob's phone first, then Alice's extension in the PBX's dialplan, as Bob.
      expect(originate.headers).toMatchObject({
        channel: "PJSIP/1002",
        context: "from-internal",
        exten: "1001",
        priority: "1",
        callerid: '"Bob Sales" <1002>',
      });
      // Bob's phone answered (the later outcome), then both tiles show the call.
      await page.waitForFunction(() => document.getElementById("message")?.textContent === "dial: joined");
      await page.waitForSelector('[data-user="1002"].p-on-call');
      await page.waitForSelector('[data-user="1001"].p-on-call');
      await page.waitForFunction(
        () =>
          document.querySelector('[data-user="1002"] .call')?.textContent?.includes("Alice Sales") ?? false,
      );
      expect(await page.textContent('[data-user="1002"] .call')).toContain("internal");
      expect(await page.locator('[data-user="1002"] .call').count()).toBe(1);
      for (const c of sim.liveChannels()) sim.hangup(c.name);
      await page.waitForSelector('[data-user="1001"].p-available');
      await page.close();
    }, 45_000);

    it("the number box calls an extension; an outside number is refused with the reason while dialExternal is off", async () => {
      const page = await open("1002");
      await page.waitForSelector("#dial:not([hidden])");
      expect(await page.textContent("#dial-hint")).toContain("Colleagues and internal extensions only");
      const before = sim.actionLog.length;
      await page.fill("#dial-to", "+1 777 873-2492");
      await page.press("#dial-to", "Enter");
      await page.waitForFunction(
        () => document.getElementById("message")?.textContent?.includes("outside number") ?? false,
      );
      expect(originates(before)).toEqual([]);
      // A refused number stays in the box, to be corrected.
      expect(await page.inputValue("#dial-to")).toBe("+1 777 873-2492");
      await page.fill("#dial-to", "1003");
      await page.click("#dial-call");
      const originate = await waitFor(() => originates(before)[0], "the originate");
      expect(originate.headers).toMatchObject({ channel: "PJSIP/1002", exten: "1003" });
      // The box empties once the PBX took the call (the 202 may reach the page after the originate).
      await page.waitForFunction(() => (document.getElementById("dial-to") as HTMLInputElement).value === "");
      await page.waitForSelector('[data-user="1002"].p-on-call');
      for (const c of sim.liveChannels()) sim.hangup(c.name);
      await page.waitForSelector('[data-user="1002"].p-available');
      // German: the box speaks it too.
      await page.selectOption("#language", "de");
      expect(await page.textContent("#dial-title")).toBe("Anrufen");
      await page.close();
    }, 45_000);
  },
);

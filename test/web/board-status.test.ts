// "My status" on the board in a real headless Chromium, on a full Callsight server (real Redis, the AMI
// driver) and the AMI simulator: Bob picks Do not disturb with a note and an end time and presses Set; the
// server writes it to the simulated Asterisk (Setvar of PRESENCE_STATE and DEVICE_STATE), whose events
// come back — and only then does his tile (and Alice's view of it) show dnd with the note and the time.

import { existsSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AmiSimulator } from "../../simulators/ami-simulator.js";
import type { RunningServer } from "../../src/runtime/start.js";
import { PAGE_WAIT_MS } from "./page-wait.js";
import { CHROMIUM, type SimulatedSite, startSimulatedSite } from "./simulated-site.js";

describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)(
  "my status on the web board (AMI simulator)",
  () => {
    let sim: AmiSimulator;
    let server: RunningServer;
    let browser: Browser;
    let site: SimulatedSite;

    async function open(user: string): Promise<{ page: Page; frames: string[]; errors: string[] }> {
      const page = await browser.newPage();
      page.setDefaultTimeout(PAGE_WAIT_MS);
      const frames: string[] = [];
      const errors: string[] = [];
      page.on("websocket", (ws) => ws.on("framereceived", (f) => frames.push(String(f.payload))));
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(`${server.url}/#token=${await server.tokens.create(user)}`);
      await page.waitForSelector(`[data-user="${user}"]`);
      await page.waitForSelector("#my-status:not([hidden])");
      return { page, frames, errors };
    }

    beforeAll(async () => {
      site = await startSimulatedSite("board-status");
      ({ sim, server, browser } = site);
    }, 30_000);

    afterAll(async () => {
      await site?.stop();
    });

    it("Bob sets DND with a note and an end time: his tile and Alice's show dnd once the PBX reports it", async () => {
      const bob = await open("1002");
      const alice = await open("1001");
      expect(await bob.page.getAttribute('[data-user="1002"]', "class")).toContain("p-available");

      await bob.page.selectOption("#my-status-choice", "dnd");
      await bob.page.fill("#my-status-note", "Workshop, room 4");
      await bob.page.fill("#my-status-until", "23:59");
      await bob.page.click("#my-status-set");

      // The tile follows the PBX's events, not the request.
      await bob.page.waitForSelector('[data-user="1002"].p-dnd');
      const setvars = sim.actionLog.filter((a) => a.action === "setvar").map((a) => a.headers.variable);
      expect(setvars).toEqual(["PRESENCE_STATE(CustomPresence:1002)", "DEVICE_STATE(Custom:DND1002)"]);
      await bob.page.waitForSelector('[data-user="1002"] .status-note');
      const note = await bob.page.textContent('[data-user="1002"] .status-note');
      expect(note).toContain("Workshop, room 4");
      expect(note).toMatch(/until (\w+\.? )?(23:59|11:59\s?PM)/);
      expect(await bob.page.textContent("#my-status-current")).toContain("Do not disturb");

      // Alice shares Bob's department: she sees the same from her stream.
      await alice.page.waitForSelector('[data-user="1002"].p-dnd');
      await alice.page.waitForSelector('[data-user="1002"] .status-note');
      expect(await alice.page.textContent('[data-user="1002"] .status-note')).toContain("Workshop, room 4");
      const statusFrames = alice.frames.map((f) => JSON.parse(f)).filter((m) => m.type === "status");
      expect(
        statusFrames.some((m) => m.people.some((p: any) => p.user === "1002" && p.status === "dnd")),
      ).toBe(true);

      // Back to available: the note and the time go from both tiles.
      await bob.page.selectOption("#my-status-choice", "available");
      await bob.page.fill("#my-status-note", "");
      await bob.page.click("#my-status-set");
      await bob.page.waitForSelector('[data-user="1002"].p-available');
      await alice.page.waitForSelector('[data-user="1002"].p-available');
      await alice.page.waitForSelector('[data-user="1002"] .status-note', { state: "detached" });
      expect(bob.errors).toEqual([]);
      expect(alice.errors).toEqual([]);
      await bob.page.close();
      await alice.page.close();
    }, 30_000);

    it("in German, the control and the end time are German", async () => {
      const page = await browser.newPage();
      page.setDefaultTimeout(PAGE_WAIT_MS);
      await page.addInitScript(() => localStorage.setItem("callsight-language", "de"));
      await page.goto(`${server.url}/#token=${await server.tokens.create("1005")}`);
      await page.waitForSelector("#my-status:not([hidden])");
      expect(await page.textContent("#my-status-title")).toBe("Mein Status");
      expect(await page.textContent('#my-status-choice option[value="dnd"]')).toBe("Nicht stören");
      await page.selectOption("#my-status-choice", "away");
      await page.fill("#my-status-until", "23:58");
      await page.click("#my-status-set");
      await page.waitForSelector('[data-user="1005"].p-away');
      await page.waitForSelector('[data-user="1005"] .status-note');
      expect(await page.textContent('[data-user="1005"] .status-note')).toMatch(/^bis /);
      await page.close();
    }, 30_000);
  },
);

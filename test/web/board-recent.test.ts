// The board's Recent panel in a real headless Chromium: the viewer's recent calls, read through
// GET /v1/history when the board comes up and again when a call the viewer sees ends (no reload, no fast
// polling). A call the viewer missed is highlighted — a class and the word "missed", not colour alone —
// and the panel shows nothing the board's rules hide (Alice sees Bob's inbound call, not who called him).

import { existsSync } from "node:fs";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PbxEvent } from "../../src/domain/events.js";
import { readTrace } from "../../src/replay/formats.js";
import { type Harness, startHarness } from "../api/harness.js";
import { PAGE_WAIT_MS } from "./page-wait.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** A captured trace, moved to `start` (the captures are from 2026: the history keeps 90 days). */
function trace(name: string, start: number): PbxEvent[] {
  const events = readTrace(`test/fixtures/asterisk/${name}.ami.txt`, "ami", { pbx: "main" }).events;
  const shift = start - (events[0]?.at ?? start);
  return events.map((e) => ({ ...e, at: e.at + shift }));
}

describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)(
  "the board's Recent panel in headless Chromium",
  () => {
    let h: Harness;
    let browser: Browser;
    const requests: string[] = [];

    async function board(user: string): Promise<Page> {
      const page = await browser.newPage();
      page.setDefaultTimeout(PAGE_WAIT_MS);
      page.on("request", (r) => {
        if (r.url().includes("/v1/history")) requests.push(`${user} ${r.url()}`);
      });
      await page.goto(`${h.base}/#token=${await h.token(user)}`);
      await page.waitForFunction(() => document.getElementById("status")?.textContent === "live");
      await page.waitForSelector("#recent-section:not([hidden])");
      return page;
    }

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

    it("highlights the call Bob missed as soon as it ends, and shows Alice's own as not answered", async () => {
      const bob = await board("1002");
      const alice = await board("1001");
      expect(await bob.textContent("#recent-none")).toBe("No calls yet.");
      // 02-internal-cancelled: Alice calls Bob, Bob's phone rings, Alice gives up.
      const cancelled = trace("02-internal-cancelled", Date.now() - 5000);
      const rang = cancelled.findIndex((e) => e.type === "leg.ringing");
      h.callsight.apply(cancelled.slice(0, rang + 1));
      await bob.waitForSelector('[data-user="1002"].p-ringing');
      h.callsight.apply(cancelled.slice(rang + 1));

      const missed = await bob.waitForSelector("#recent li.recent-row.missed");
      expect(await missed.textContent()).toContain("missed");
      expect(await missed.textContent()).toContain("Alice Sales");
      expect(await missed.evaluate((li) => getComputedStyle(li).borderLeftStyle)).toBe("solid");
      expect(await bob.isVisible("#recent-none")).toBe(false);

      // Alice made the call: not answered, and not highlighted as a missed call of hers.
      const mine = await alice.waitForSelector("#recent li.recent-row");
      expect(await mine.getAttribute("class")).not.toContain("missed");
      expect(await mine.textContent()).toContain("not answered");
      expect(await mine.textContent()).toContain("Bob Sales");
      await bob.close();
      await alice.close();
    }, 45_000);

    it("shows Alice that Bob had a call, not who called him, and answered calls without highlight", async () => {
      const alice = await board("1001");
      const before = await alice.$$eval("#recent li", (lis) => lis.length);
      const inbound = trace("05-inbound-answered", Date.now() - 8000);
      const bridged = inbound.findIndex((e) => e.type === "leg.bridged");
      h.callsight.apply(inbound.slice(0, bridged + 1));
      await alice.waitForSelector('[data-user="1002"].p-on-call');
      h.callsight.apply(inbound.slice(bridged + 1));
      await alice.waitForFunction((n) => document.querySelectorAll("#recent li").length > n, before);
      const newest = await alice.$("#recent li");
      const text = (await newest?.textContent()) ?? "";
      expect(text).toContain("Bob Sales");
      expect(text).toContain("talked");
      expect(await newest?.getAttribute("class")).not.toContain("missed");
      const html = await alice.content();
      expect(html).not.toContain("15551234567");
      expect(html).not.toContain("WIRELESS");
      await alice.close();
    }, 45_000);

    it("speaks German too, and asks the API only when the board comes up and after calls end", async () => {
      const bob = await board("1002");
      await bob.selectOption("#language", "de");
      await bob.waitForFunction(
        () => document.getElementById("recent-title")?.textContent === "Letzte Anrufe",
      );
      const missed = await bob.waitForSelector("#recent li.recent-row.missed");
      expect(await missed.textContent()).toContain("verpasst");
      await bob.selectOption("#language", "en");
      // Idle for a while: no polling.
      const asked = requests.filter((r) => r.startsWith("1002 ")).length;
      await bob.waitForTimeout(3500);
      expect(requests.filter((r) => r.startsWith("1002 ")).length).toBe(asked);
      await bob.close();
    }, 45_000);
  },
);

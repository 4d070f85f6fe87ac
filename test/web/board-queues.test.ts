// The queue panels on the board, in a real headless Chromium, end to end: a Callsight server whose Sales
// department owns queue 400, on the AMI simulator emitting the app_queue frames the real Asterisk sent
// (test/fixtures/queues/asterisk/32-34): Alice paused with a reason, Carol logged in, an outside caller
// waiting. Rule Q: Alice (a logged-in agent of the queue) sees who waits; Bob (Sales, no agent of it) sees
// that someone waits, but the caller's number is nowhere in his page nor in the WebSocket frames it
// received; Dave (Support) gets no panel. Waiting times tick, the panel speaks German, fits 390 px, and
// counts an abandoned caller.

import { existsSync, readFileSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AmiSimulator } from "../../simulators/ami-simulator.js";
import type { RunningServer } from "../../src/runtime/start.js";
import { PAGE_WAIT_MS } from "./page-wait.js";
import { CHROMIUM, type SimulatedSite, startSimulatedSite } from "./simulated-site.js";

const CALLER = "15551234567";
const CALLER_NAME = "WIRELESS CALLER";
const CALLER_LEG = "1796593844.17";
const PANEL = '.queue-panel[data-department="sales"][data-queue="400"]';

/** The example configuration, with Sales owning queue 400. */
function queueConfig(): string {
  const example = readFileSync("callsight.example.yaml", "utf8");
  const sales = "  - id: sales\n    name: Sales\n";
  if (!example.includes(sales)) throw new Error("the example configuration's Sales department moved");
  return example.replace(sales, `${sales}    queues: [{ name: "400" }]\n`);
}

/** An AMI event as Asterisk writes it (the simulator stamps the Timestamp with its clock). */
function frame(event: string, privilege: string, fields: Record<string, string>): [string, string][] {
  return [["Event", event], ["Privilege", `${privilege},all`], ["Timestamp", "0"], ...Object.entries(fields)];
}

/** A queue 400 member's whole state, as QueueMemberPause / QueueMemberAdded carry it (34-queue-pause). */
function member(event: string, ext: string, name: string, paused: boolean, reason = ""): [string, string][] {
  return frame(event, "agent", {
    Queue: "400",
    MemberName: name,
    Interface: `Local/${ext}@from-queue/n`,
    StateInterface: `hint:${ext}@ext-local`,
    Membership: event === "QueueMemberAdded" ? "dynamic" : "static",
    Penalty: "0",
    CallsTaken: "0",
    LastCall: "0",
    LastPause: "0",
    LoginTime: "0",
    InCall: "0",
    Status: "1",
    Paused: paused ? "1" : "0",
    PausedReason: reason,
    Ringinuse: "0",
    Wrapuptime: "0",
  });
}

/** The outside caller's channel as it stands in queue 400 (32-queue-answered). */
function callerChannel(state: "Ring" | "Up", exten: string, context: string): Record<string, string> {
  return {
    Channel: "PJSIP/carrier-00000007",
    ChannelState: state === "Ring" ? "4" : "6",
    ChannelStateDesc: state,
    CallerIDNum: CALLER,
    CallerIDName: CALLER_NAME,
    ConnectedLineNum: "<unknown>",
    ConnectedLineName: "<unknown>",
    Language: "en",
    AccountCode: "",
    Context: context,
    Exten: exten,
    Priority: "1",
    Uniqueid: CALLER_LEG,
    Linkedid: CALLER_LEG,
  };
}

describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)(
  "the queue panels, on the board in Chromium",
  () => {
    let site: SimulatedSite;
    let sim: AmiSimulator;
    let server: RunningServer;
    let browser: Browser;
    let base: string;
    const pages: Record<string, { page: Page; frames: string[] }> = {};

    beforeAll(async () => {
      site = await startSimulatedSite("board-queues", queueConfig());
      ({ sim, server, browser } = site);
      base = server.url;
    }, 30_000);

    afterAll(async () => {
      await site?.stop();
    });

    /** A live board page for `user`, recording every WebSocket frame it receives. */
    async function open(
      user: string,
      options: { locale?: string; viewport?: { width: number; height: number } } = {},
    ): Promise<{ page: Page; frames: string[] }> {
      const context = await browser.newContext({
        locale: options.locale ?? "en-US",
        ...(options.viewport ? { viewport: options.viewport } : {}),
      });
      const page = await context.newPage();
      page.setDefaultTimeout(PAGE_WAIT_MS);
      const frames: string[] = [];
      page.on("websocket", (ws) => ws.on("framereceived", (f) => frames.push(String(f.payload))));
      const token = await server.tokens.create(user);
      await page.goto(`${base}/#token=${token}`);
      await page.waitForSelector(`[data-user="${user}"]`);
      await page.waitForFunction(() => document.getElementById("status")?.dataset.i18n === "status.live");
      return { page, frames };
    }

    it("shows the owning department the waiting caller (to the queue's agent only) and the paused agent's reason", async () => {
      // The boards are open before anything happens: the panels come as deltas.
      for (const user of ["1001", "1002", "1004", "admin"]) pages[user] = await open(user);
      // Sales owns the queue: its people and admins have the (empty) panel from the start, Dave has none.
      for (const user of ["1001", "1002", "admin"]) {
        const page = pages[user]!.page;
        await page.waitForSelector(`${PANEL} .queue-waiting .none`);
        expect(await page.textContent(`${PANEL} .queue-waiting .none`)).toBe("Nobody is waiting.");
        expect(await page.textContent(`${PANEL} .queue-agents .none`)).toBe("No agents known yet.");
      }
      expect(await pages["1004"]!.page.isHidden("#queues-section")).toBe(true);

      sim.emitEvent(member("QueueMemberPause", "1001", "Alice Sales", true, "Lunch"));
      sim.emitEvent(member("QueueMemberAdded", "1003", "Carol Sales", false));
      sim.emitEvent(frame("Newchannel", "call", callerChannel("Ring", "15559990400", "from-pstn")));
      sim.emitEvent(frame("Newstate", "call", callerChannel("Up", "400", "ext-queues")));
      sim.emitEvent(
        frame("QueueCallerJoin", "agent", {
          ...callerChannel("Up", "400", "ext-queues"),
          Queue: "400",
          Position: "1",
          Count: "1",
        }),
      );

      // Alice: a logged-in (if paused) agent of the queue, so the call is offered to her phone: she sees who.
      const alice = pages["1001"]!.page;
      await alice.waitForSelector(`${PANEL} .queue-caller`);
      expect(await alice.isVisible("#queues-section")).toBe(true);
      expect(await alice.textContent("#queues-title")).toBe("Queues");
      expect(await alice.textContent(`${PANEL} h3`)).toBe("Sales · queue 400 1 waiting");
      const aliceCaller = await alice.textContent(`${PANEL} .queue-caller`);
      expect(aliceCaller).toContain("1.");
      expect(aliceCaller).toContain(CALLER);
      expect(aliceCaller).toContain(CALLER_NAME);
      expect(aliceCaller).toContain("waiting");
      expect(await alice.getAttribute(`${PANEL} .queue-caller`, "data-position")).toBe("1");
      // Herself, paused with the reason and since when, in words (not only a colour).
      const herself = await alice.textContent(`${PANEL} [data-agent="1001"]`);
      expect(herself).toContain("Alice Sales");
      expect(herself).toContain("paused: Lunch");
      expect(herself).toMatch(/since \d/);
      // Carol does not share her presence: counted, not named.
      expect(await alice.$(`${PANEL} [data-agent="1003"]`)).toBeNull();
      expect(await alice.textContent(`${PANEL} .queue-others`)).toBe("Other agents: 1 logged in, 0 paused");
      expect(await alice.textContent(`${PANEL} .queue-answered`)).toBe("Answered0");
      // Headings and lists for assistive technology: h2, then h3 per queue, h4 per part; callers in order.
      expect(await alice.locator(`${PANEL} h4`).allTextContents()).toEqual(["Waiting", "Agents", "Today"]);
      expect(await alice.getAttribute(PANEL, "aria-labelledby")).toBe(
        await alice.getAttribute(`${PANEL} h3`, "id"),
      );
      expect(await alice.locator(`${PANEL} ol.queue-callers > li`).count()).toBe(1);

      // The waiting time ticks in place, like call timers.
      const waited = await alice.textContent(`${PANEL} .queue-caller .since`);
      await alice.waitForFunction(
        ([selector, before]) => document.querySelector(selector!)?.textContent !== before,
        [`${PANEL} .queue-caller .since`, waited],
      );

      // Admins see every agent by name.
      const admin = pages.admin!.page;
      await admin.waitForSelector(`${PANEL} [data-agent="1003"]`);
      expect(await admin.textContent(`${PANEL} [data-agent="1003"]`)).toContain("available");
      expect(await admin.textContent(`${PANEL} .queue-caller`)).toContain(CALLER);
      expect(await admin.$(`${PANEL} .queue-others`)).toBeNull();

      // Bob: in Sales but no agent of the queue: someone waits, not who.
      const bob = pages["1002"]!;
      await bob.page.waitForSelector(`${PANEL} .queue-caller`);
      const bobCaller = await bob.page.textContent(`${PANEL} .queue-caller`);
      expect(bobCaller).toContain("a caller");
      expect(bobCaller).toContain("waiting");
      expect(await bob.page.textContent(`${PANEL} [data-agent="1001"]`)).toContain("paused: Lunch");
      expect(await bob.page.content()).not.toContain(CALLER);
      expect(await bob.page.content()).not.toContain(CALLER_NAME);
      expect(bob.frames.join("\n")).toContain('"queues"');
      expect(bob.frames.join("\n")).not.toContain(CALLER);
      expect(bob.frames.join("\n")).not.toContain(CALLER_NAME);

      // Dave (Support): not his department's queue, no panel, nothing about the caller.
      const dave = pages["1004"]!;
      expect(await dave.page.isHidden("#queues-section")).toBe(true);
      expect(await dave.page.$(".queue-panel")).toBeNull();
      expect(await dave.page.content()).not.toContain(CALLER);
      expect(dave.frames.join("\n")).not.toContain(CALLER);
    }, 40_000);

    it("speaks German when the board is in German, from the snapshot and after a switch", async () => {
      // A browser in German opens the board in German: the panels come with the snapshot.
      const german = await open("1002", { locale: "de-DE" });
      const page = german.page;
      await page.waitForSelector(`${PANEL} .queue-caller`);
      expect(await page.textContent("#queues-title")).toBe("Warteschlangen");
      expect(await page.textContent(`${PANEL} h3`)).toBe("Sales · Warteschlange 400 1 wartend");
      expect(await page.textContent(`${PANEL} .queue-caller`)).toContain("ein Anrufer");
      expect(await page.textContent(`${PANEL} .queue-caller`)).toContain("wartet");
      expect(await page.textContent(`${PANEL} [data-agent="1001"]`)).toContain("in Pause: Lunch");
      expect(await page.textContent(`${PANEL} [data-agent="1001"]`)).toMatch(/seit \d/);
      expect(await page.textContent(`${PANEL} .queue-others`)).toBe(
        "Weitere Agenten: 1 angemeldet, 0 in Pause",
      );
      expect(await page.locator(`${PANEL} h4`).allTextContents()).toEqual(["Wartend", "Agenten", "Heute"]);
      expect(await page.textContent(`${PANEL} .queue-abandoned dt`)).toBe("Aufgelegt");
      expect(await page.content()).not.toContain(CALLER);
      expect(german.frames.join("\n")).not.toContain(CALLER);
      await page.context().close();

      // An English board switched to German redraws its panels.
      const alice = pages["1001"]!.page;
      await alice.selectOption("#language", "de");
      await alice.waitForFunction(
        (selector) => document.querySelector(selector)?.textContent?.startsWith("Sales · Warteschlange 400"),
        `${PANEL} h3`,
      );
      expect(await alice.textContent(`${PANEL} .queue-caller`)).toContain(CALLER);
      expect(await alice.textContent(`${PANEL} [data-agent="1001"]`)).toContain("in Pause: Lunch");
      await alice.selectOption("#language", "en");
      await alice.waitForFunction(
        (selector) => document.querySelector(selector)?.textContent?.startsWith("Sales · queue 400"),
        `${PANEL} h3`,
      );
    }, 30_000);

    it("fits a phone's width (390 px)", async () => {
      const phone = await open("1001", { viewport: { width: 390, height: 844 } });
      await phone.page.waitForSelector(`${PANEL} .queue-caller`);
      const layout = await phone.page.evaluate((selector) => {
        const panel = document.querySelector<HTMLElement>(selector)!.getBoundingClientRect();
        return { scrollWidth: document.documentElement.scrollWidth, right: panel.right, left: panel.left };
      }, PANEL);
      expect(layout.scrollWidth).toBeLessThanOrEqual(390);
      expect(layout.left).toBeGreaterThanOrEqual(0);
      expect(layout.right).toBeLessThanOrEqual(390);
      await phone.page.context().close();
    }, 30_000);

    it("a caller who gives up leaves the panel and is counted abandoned", async () => {
      const leaving = { ...callerChannel("Up", "400", "ext-queues"), Queue: "400" };
      sim.emitEvent(
        frame("QueueCallerAbandon", "agent", {
          ...leaving,
          Position: "1",
          OriginalPosition: "1",
          HoldTime: "3",
        }),
      );
      sim.emitEvent(frame("QueueCallerLeave", "agent", { ...leaving, Count: "0", Position: "1" }));
      for (const user of ["1001", "1002"]) {
        const page = pages[user]!.page;
        await page.waitForSelector(`${PANEL} .queue-waiting .none`);
        expect(await page.textContent(`${PANEL} .queue-waiting .none`)).toBe("Nobody is waiting.");
        expect(await page.textContent(`${PANEL} h3`)).toBe("Sales · queue 400 0 waiting");
        expect(await page.textContent(`${PANEL} .queue-abandoned`)).toBe("Abandoned1");
        expect(await page.textContent(`${PANEL} .queue-longest dd`)).toMatch(/^\d+s$|^\d+m\d\d$/);
      }
      expect(pages["1002"]!.frames.join("\n")).not.toContain(CALLER);
    }, 30_000);

    it("the buttons rule OQ allows: Alice resumes herself, Bob logs himself in; the panel follows the PBX", async () => {
      const alice = pages["1001"]!.page;
      const bob = pages["1002"]!.page;
      const mine = `${PANEL} [data-agent="1001"] .agent-controls`;
      // Bob may not change Alice: no buttons on her row on his board; he is no member, so he may log in.
      expect(await bob.$(`${PANEL} [data-agent="1001"] .agent-controls`)).toBeNull();
      expect(await alice.$(`${PANEL} .queue-agents > button`)).toBeNull();
      // Alice, paused for lunch, resumes herself: the PBX is asked, and the panel changes when it says so.
      await alice.click(`${mine} button:text-is("Resume")`);
      await alice.waitForFunction(
        (selector) => document.querySelector(selector)?.textContent?.includes("available"),
        `${PANEL} [data-agent="1001"] .agent-state`,
      );
      expect(await alice.textContent("#message")).toContain("Sent to the PBX");
      expect(sim.actionLog.some((a) => a.action === "queuepause" && a.headers.paused === "false")).toBe(true);
      // Now she may pause again, with a reason, or log out.
      expect(await alice.locator(`${mine} button`).allTextContents()).toEqual(["Pause", "Log out"]);
      await bob.click(`${PANEL} .queue-agents > button:text-is("Log me in")`);
      await bob.waitForSelector(`${PANEL} [data-agent="1002"]`);
      expect(await bob.textContent(`${PANEL} [data-agent="1002"] .agent-state`)).toBe("available");
      expect(await bob.$(`${PANEL} .queue-agents > button`)).toBeNull();
      const added = sim.actionLog.find((a) => a.action === "queueadd");
      expect(added?.headers).toMatchObject({
        queue: "400",
        interface: "Local/1002@from-queue/n",
        stateinterface: "hint:1002@ext-local",
      });
      for (const { page } of Object.values(pages)) await page.context().close();
    }, 30_000);
  },
);

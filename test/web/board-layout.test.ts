// The board for the size of the company, in a real headless Chromium: 500 generated colleagues in
// department sections (titled with their names), search (by department name too), sort by presence, a
// compact mode, a phone-width layout, keyboard use, announcements for screen readers, opt-in desktop
// notifications and a second language.

import { existsSync, readFileSync } from "node:fs";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PbxEvent } from "../../src/domain/events.js";
import { type Harness, startHarness } from "../api/harness.js";
import { PAGE_WAIT_MS } from "./page-wait.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const DEPARTMENTS = 10;
const PER_DEPARTMENT = 50;

/** The example configuration with a generated directory: 10 departments of 50 people, and an admin. */
function bigDirectory(): string {
  const example = readFileSync("callsight.example.yaml", "utf8");
  // Support's recording settings name a department this directory does not have.
  const head = example
    .slice(0, example.search(/^departments:/m))
    .replace(/^ {4}support: .*$/m, "    d1: { retentionDays: 730 }");
  const lines = ["departments:"];
  for (let d = 0; d < DEPARTMENTS; d++) lines.push(`  - { id: d${d}, name: "Department ${d}" }`);
  lines.push(
    "users:",
    '  - { id: admin, name: "Ada Admin", extension: "1999", departments: [d0], role: admin }',
  );
  for (let d = 0; d < DEPARTMENTS; d++) {
    for (let i = 0; i < PER_DEPARTMENT; i++) {
      const ext = String(2000 + d * PER_DEPARTMENT + i);
      lines.push(`  - { id: "${ext}", name: "Person ${ext}", extension: "${ext}", departments: [d${d}] }`);
    }
  }
  // An agent who may not pick up: no notification for them.
  lines.push(
    '  - { id: "1990", name: "Nora NoPickup", extension: "1990", departments: [d0], operations: { pickup: false } }',
  );
  return `${head}${lines.join("\n")}\n`;
}

let at = Date.now();

/** An outside caller ringing `ext`'s phone. */
function ring(ext: string, caller: string): PbxEvent[] {
  const id = `${ext}.${at}`;
  at += 10;
  return [
    {
      pbx: "main",
      at,
      type: "leg.created",
      leg: `${id}.in`,
      callId: `${id}.in`,
      channel: `PJSIP/carrier-${id}`,
      endpoint: "PJSIP/carrier",
      side: "external",
      number: caller,
      name: "",
      outgoing: false,
      dialled: ext,
    },
    {
      pbx: "main",
      at,
      type: "leg.created",
      leg: `${id}.out`,
      callId: `${id}.in`,
      channel: `PJSIP/${ext}-${id}`,
      endpoint: `PJSIP/${ext}`,
      side: "internal",
      number: ext,
      name: "",
      outgoing: true,
    },
    { pbx: "main", at, type: "dial.started", caller: `${id}.in`, callee: `${id}.out`, dialString: ext },
    { pbx: "main", at, type: "leg.ringing", leg: `${id}.out` },
  ] as PbxEvent[];
}

function dnd(ext: string, on: boolean): PbxEvent {
  at += 10;
  return { pbx: "main", at, type: "presence.dnd", extension: ext, on } as PbxEvent;
}

describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)("the board for 500 colleagues", () => {
  let h: Harness;
  let browser: Browser;

  beforeAll(async () => {
    h = await startHarness({ config: bigDirectory() });
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

  async function open(user: string, viewport = { width: 1280, height: 900 }): Promise<Page> {
    const context = await browser.newContext({ viewport, locale: "en-US" });
    const page = await context.newPage();
    page.setDefaultTimeout(PAGE_WAIT_MS);
    await page.goto(`${h.base}/#token=${await h.token(user)}`);
    await page.waitForFunction(() => document.querySelectorAll("[data-user]").length >= 500);
    return page;
  }

  it("shows every colleague once, in a section per department with its count", async () => {
    const page = await open("admin");
    expect(await page.locator("[data-user]").count()).toBe(DEPARTMENTS * PER_DEPARTMENT + 2);
    expect(await page.locator("section.department").count()).toBe(DEPARTMENTS);
    // The viewer's own department comes first.
    expect(await page.locator("section.department").first().getAttribute("data-department")).toBe("d0");
    expect(await page.textContent('section[data-department="d3"] h3')).toContain("50 of 50");
    // Sections are titled with the department's name, not its id.
    expect(await page.textContent('section[data-department="d3"] h3')).toMatch(/^Department 3 /);
    await page.context().close();
  }, 30_000);

  it("searches by name, extension or department; '/' focuses the search, Escape clears it", async () => {
    const page = await open("admin");
    await page.keyboard.press("/");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("search");
    await page.keyboard.type("2042");
    await page.waitForFunction(() => document.querySelectorAll("[data-user]").length === 1);
    expect(await page.getAttribute("[data-user]", "data-user")).toBe("2042");
    // By the department's name (the board has it from the view), and by its id.
    await page.fill("#search", "Department 7");
    await page.waitForFunction(() => document.querySelectorAll("[data-user]").length === 50);
    expect(await page.locator('section[data-department="d7"] [data-user]').count()).toBe(50);
    await page.fill("#search", "d7");
    await page.waitForFunction(() => document.querySelectorAll("[data-user]").length === 50);
    await page.fill("#search", "nobody-like-this");
    await page.waitForSelector("#people-none:not([hidden])");
    expect(await page.textContent("#people-none")).toContain("nobody-like-this");
    await page.focus("#search");
    await page.keyboard.press("Escape");
    await page.waitForFunction(() => document.querySelectorAll("[data-user]").length >= 500);
    await page.context().close();
  }, 30_000);

  it("a change rebuilds only the tile it touches, and is announced once for screen readers", async () => {
    const page = await open("admin");
    // Mark every tile element: a rebuilt tile is a new element without the mark.
    await page.evaluate(() => {
      for (const el of document.querySelectorAll<HTMLElement>("[data-user]")) (el as any).marked = true;
    });
    h.callsight.apply([dnd("2123", true)]);
    await page.waitForSelector('[data-user="2123"].p-dnd');
    const unmarked = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>("[data-user]")]
        .filter((el) => !(el as any).marked)
        .map((el) => el.dataset.user),
    );
    expect(unmarked).toEqual(["2123"]);
    await page.waitForFunction(() =>
      document.getElementById("announcer")?.textContent?.includes("Person 2123"),
    );
    expect(await page.textContent("#announcer")).toBe("Person 2123: do not disturb");
    h.callsight.apply([dnd("2123", false)]);
    await page.waitForSelector('[data-user="2123"].p-available');
    await page.context().close();
  }, 30_000);

  it("sorts by presence (ringing first) and keeps the compact mode and the order after a reload", async () => {
    const page = await open("admin");
    h.callsight.apply(ring("2049", "15550001"));
    await page.waitForSelector('[data-user="2049"].p-ringing');
    await page.selectOption("#sort", "presence");
    await page.waitForFunction(
      () =>
        document.querySelector('section[data-department="d0"] [data-user]')?.getAttribute("data-user") ===
        "2049",
    );
    const heightBefore = await page.evaluate(() => document.getElementById("people")!.scrollHeight);
    await page.check("#compact");
    await page.waitForSelector("#people.compact");
    const heightAfter = await page.evaluate(() => document.getElementById("people")!.scrollHeight);
    // Compact fits the same 500 people in well under half the height.
    expect(heightAfter).toBeLessThan(heightBefore / 2);
    await page.reload();
    await page.waitForSelector("#people.compact [data-user]");
    expect(await page.inputValue("#sort")).toBe("presence");
    await page.waitForFunction(
      () =>
        document.querySelector('section[data-department="d0"] [data-user]')?.getAttribute("data-user") ===
        "2049",
    );
    await page.context().close();
  }, 30_000);

  it("at phone width (390 px): one column, nothing wider than the screen", async () => {
    const page = await open("admin", { width: 390, height: 844 });
    const layout = await page.evaluate(() => {
      const grid = document.querySelector<HTMLElement>('section[data-department="d1"] .people')!;
      const tiles = [...grid.querySelectorAll<HTMLElement>("[data-user]")]
        .slice(0, 2)
        .map((t) => t.getBoundingClientRect());
      return {
        scrollWidth: document.documentElement.scrollWidth,
        sameColumn: tiles[0]!.left === tiles[1]!.left && tiles[1]!.top > tiles[0]!.top,
      };
    });
    expect(layout.scrollWidth).toBeLessThanOrEqual(390);
    expect(layout.sameColumn).toBe(true);
    await page.context().close();
  }, 30_000);

  it("speaks German when asked, and keeps it", async () => {
    const page = await open("admin");
    await page.selectOption("#language", "de");
    await page.waitForFunction(() => document.getElementById("people-title")?.textContent === "Personen");
    expect(await page.getAttribute("html", "lang")).toBe("de");
    await page.waitForFunction(
      () => document.querySelector('[data-user="2001"] .presence')?.textContent === "verfügbar",
    );
    await page.reload();
    await page.waitForFunction(() => document.getElementById("people-title")?.textContent === "Personen");
    await page.context().close();
  }, 30_000);

  it("notifies, when asked, of a colleague ringing whom the viewer may pick up for — not a viewer without the right", async () => {
    const seen: Record<string, { title: string; body: string }[]> = {};
    for (const user of ["admin", "1990"]) {
      const context = await browser.newContext({ locale: "en-US" });
      await context.grantPermissions(["notifications"], { origin: h.base });
      const page = await context.newPage();
      page.setDefaultTimeout(PAGE_WAIT_MS);
      // Record what the page shows through the browser's Notification API.
      await page.addInitScript(() => {
        const shown: { title: string; body: string }[] = [];
        (window as any).shownNotifications = shown;
        const Real = window.Notification;
        class Recorded extends Real {
          constructor(title: string, options?: NotificationOptions) {
            super(title, options);
            shown.push({ title, body: options?.body ?? "" });
          }
        }
        (window as any).Notification = Recorded;
      });
      await page.goto(`${h.base}/#token=${await h.token(user)}`);
      await page.waitForFunction(() => document.querySelectorAll("[data-user]").length >= 2);
      await page.check("#notify");
      await page.waitForFunction(() => localStorage.getItem("callsight-notify") === "on");
      h.callsight.apply(ring("2007", "15550002"));
      await page.waitForSelector('[data-user="2007"].p-ringing');
      if (user === "admin") await page.waitForFunction(() => (window as any).shownNotifications.length > 0);
      seen[user] = await page.evaluate(() => (window as any).shownNotifications);
      await context.close();
    }
    expect(seen.admin).toEqual([{ title: "Person 2007 is ringing", body: "Call from 15550002" }]);
    expect(seen["1990"]).toEqual([]);
  }, 40_000);
});

// Screenshots of the board for an agent, a supervisor and an admin, at desktop and phone width, on a
// board with calls going (ringing, talking, parked, DND). Each must show that viewer's board as the rules
// make it (checked on the page before the picture is taken). The pictures go to a temporary folder, or to
// CALLSIGHT_SCREENSHOTS_DIR (`CALLSIGHT_SCREENSHOTS_DIR=docs/screenshots npx vitest run
// test/web/board-screenshots.test.ts` refreshes the ones in docs/).

import { existsSync, mkdirSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PbxEvent } from "../../src/domain/events.js";
import { type Harness, startHarness } from "../api/harness.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const OUT = process.env.CALLSIGHT_SCREENSHOTS_DIR ?? mkdtempSync(join(tmpdir(), "callsight-screens-"));

let at = Date.now() - 95_000;
let n = 0;

function later(): number {
  at += 1000;
  return at;
}

/** An outside caller's call to `ext`: ringing, or answered and bridged. */
function call(ext: string, caller: string, answered: boolean, name = ""): PbxEvent[] {
  const id = `shot.${++n}`;
  at += 1000;
  const inLeg = `${id}.in`;
  const out = `${id}.out`;
  const events: PbxEvent[] = [
    {
      pbx: "main",
      at,
      type: "leg.created",
      leg: inLeg,
      callId: inLeg,
      channel: `PJSIP/carrier-${n}`,
      endpoint: "PJSIP/carrier",
      side: "external",
      number: caller,
      name,
      outgoing: false,
      dialled: ext,
    },
    {
      pbx: "main",
      at,
      type: "leg.created",
      leg: out,
      callId: inLeg,
      channel: `PJSIP/${ext}-${n}`,
      endpoint: `PJSIP/${ext}`,
      side: "internal",
      number: ext,
      name: "",
      outgoing: true,
    },
    { pbx: "main", at, type: "dial.started", caller: inLeg, callee: out, dialString: ext },
    { pbx: "main", at, type: "leg.ringing", leg: out },
  ] as PbxEvent[];
  if (answered) {
    const answer = [
      { pbx: "main", at, type: "leg.answered", leg: out },
      { pbx: "main", at, type: "leg.answered", leg: inLeg },
      { pbx: "main", at, type: "dial.ended", caller: inLeg, callee: out, status: "answered" },
      { pbx: "main", at, type: "leg.bridged", leg: inLeg, bridge: `b-${n}`, callId: inLeg },
      { pbx: "main", at, type: "leg.bridged", leg: out, bridge: `b-${n}`, callId: inLeg },
    ] as PbxEvent[];
    events.push(...answer);
  }
  return events;
}

describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)("board screenshots", () => {
  let h: Harness;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    h = await startHarness();
    h.callsight.apply([
      ...call("1002", "+15551234567", true, "Acme Corp"),
      ...call("1005", "+15557654321", true),
      ...call("1001", "+15550001111", false, "Wireless Caller"),
      ...call("1006", "+15550002222", true),
      {
        pbx: "main",
        at: later(),
        type: "call.parked",
        leg: `shot.${n}.in`,
        lot: "default",
        space: "701",
      },
      { pbx: "main", at: later(), type: "leg.hangup", leg: `shot.${n}.out`, cause: 16 },
      { pbx: "main", at: later(), type: "presence.dnd", extension: "1003", on: true },
    ] as PbxEvent[]);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars"],
    });
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  const viewers = [
    { user: "1003", role: "agent", sees: "Alice Sales" },
    { user: "1004", role: "supervisor", sees: "Erin Support" },
    { user: "admin", role: "admin", sees: "+15551234567" },
  ] as const;
  const widths = [
    { name: "desktop", viewport: { width: 1280, height: 800 } },
    { name: "phone", viewport: { width: 390, height: 844 } },
  ] as const;

  for (const viewer of viewers) {
    for (const width of widths) {
      it(`${viewer.role} at ${width.name} width`, async () => {
        const context = await browser.newContext({
          viewport: width.viewport,
          locale: "en-US",
          deviceScaleFactor: 1,
        });
        const page = await context.newPage();
        page.setDefaultTimeout(10_000);
        await page.goto(`${h.base}/#token=${await h.token(viewer.user)}`);
        await page.waitForFunction(() => document.getElementById("status")?.textContent === "live");
        await page.waitForSelector("[data-user]");
        const text = (await page.textContent("main")) ?? "";
        expect(text).toContain(viewer.sees);
        if (viewer.role === "agent") {
          // Bob does not show whom he talks to: his caller is on no one's board but his own and admins'.
          expect(text).not.toContain("+15551234567");
        }
        const file = join(OUT, `board-${viewer.role}-${width.name}.png`);
        await page.screenshot({ path: file, fullPage: width.name === "desktop" });
        expect(statSync(file).size).toBeGreaterThan(10_000);
        await context.close();
      }, 30_000);
    }
  }
});

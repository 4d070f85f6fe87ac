// The web board end to end: real headless Chromium against a full Callsight server (real Redis, the AMI
// driver) on the AMI simulator. Calls are replayed by the simulated Asterisk, settings are changed through
// the admin API and the admin console, and supervisor buttons on the page reach the PBX as AMI actions.

import { existsSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AmiSimulator } from "../../simulators/ami-simulator.js";
import type { RunningServer } from "../../src/runtime/start.js";
import { waitFor } from "../ami/helpers.js";
import { PAGE_WAIT_MS } from "./page-wait.js";
import { CHROMIUM, type SimulatedSite, startSimulatedSite } from "./simulated-site.js";

const CALLER = "15551234567";
const CALLER_NAME = "WIRELESS";

describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)("live web board on the AMI simulator", () => {
  let sim: AmiSimulator;
  let server: RunningServer;
  let browser: Browser;
  let site: SimulatedSite;
  const tokens = new Map<string, string>();

  async function token(user: string): Promise<string> {
    let t = tokens.get(user);
    if (!t) {
      t = await server.tokens.create(user);
      tokens.set(user, t);
    }
    return t;
  }

  async function api(method: string, path: string, user: string, body?: unknown) {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${await token(user)}`,
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
  }

  /** A board page for `user`, recording every WebSocket frame it receives. */
  async function open(user: string): Promise<{ page: Page; frames: string[] }> {
    const page = await browser.newPage();
    // Below the tests' own limits (Playwright's default is 30 s), so that a stuck wait says what it was.
    page.setDefaultTimeout(PAGE_WAIT_MS);
    const frames: string[] = [];
    page.on("websocket", (ws) => ws.on("framereceived", (f) => frames.push(String(f.payload))));
    await page.goto(`${server.url}/#token=${await token(user)}`);
    await page.waitForSelector(`[data-user="${user}"]`);
    // Marks this document: it is still there later only if the page never reloaded.
    await page.evaluate(() => {
      (window as unknown as { __sameDocument: boolean }).__sameDocument = true;
    });
    return { page, frames };
  }

  const sameDocument = (page: Page) =>
    page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument === true);

  beforeAll(async () => {
    site = await startSimulatedSite("board-live");
    ({ sim, server, browser } = site);
  }, 60_000);

  afterAll(async () => {
    await site?.stop();
  });

  it("Alice sees Bob on a simulated call without the caller; the admin turns Bob's Show My Calls on and her page shows the caller live", async () => {
    const { page, frames } = await open("1001");
    expect(await page.textContent("#who")).toContain("Alice Sales");
    expect(await page.textContent("#status")).toBe("live");

    // (a) An outside caller reaches Bob (1002, Show My Calls off); the replay stops once answered.
    const inbound = sim.startCall("05", { pauseAt: "answered", timeScale: 0.05 });
    await page.waitForSelector('[data-user="1002"].p-on-call');
    const card = await page.textContent('[data-user="1002"]');
    expect(card).toContain("on a call");
    expect(card).toContain("talking");
    // Nothing identifying the caller: not in the DOM, not in anything the server sent.
    const html = await page.content();
    expect(html).not.toContain(CALLER);
    expect(html).not.toContain(CALLER_NAME);
    expect(frames.length).toBeGreaterThan(1);
    expect(frames.join("\n")).not.toContain(CALLER);
    expect(frames.join("\n")).not.toContain(CALLER_NAME);
    const bobInFrames = frames.map((f) => JSON.parse(f)).filter((m) => JSON.stringify(m).includes('"1002"'));
    expect(bobInFrames.length).toBeGreaterThan(0);

    // (b) The admin flips Bob's Show My Calls on: the same page (no reload) shows the caller.
    const beforeFlip = frames.length;
    const patched = await api("PATCH", "/v1/admin/users/1002", "admin", { showMyCalls: true });
    expect(patched.status).toBe(200);
    await page.waitForFunction(
      (n) => document.querySelector('[data-user="1002"]')?.textContent?.includes(n) ?? false,
      CALLER,
    );
    expect(await sameDocument(page)).toBe(true);
    expect(await page.textContent('[data-user="1002"]')).toContain("inbound");
    const detail = frames.slice(beforeFlip).map((f) => JSON.parse(f));
    expect(detail.some((m) => m.type === "delta" && JSON.stringify(m).includes(CALLER))).toBe(true);
    expect(detail.some((m) => m.type === "snapshot")).toBe(false);

    // And off again: the caller disappears from the page, still without a reload.
    expect((await api("PATCH", "/v1/admin/users/1002", "admin", { showMyCalls: false })).status).toBe(200);
    await page.waitForFunction(
      (n) => !(document.querySelector('[data-user="1002"]')?.textContent?.includes(n) ?? true),
      CALLER,
    );
    expect(await page.textContent('[data-user="1002"]')).toContain("on a call");
    expect(await sameDocument(page)).toBe(true);

    inbound.resume();
    await inbound.done;
    await page.waitForSelector('[data-user="1002"].p-available');
    await page.close();
  }, 60_000);

  it("buttons follow the viewer's rights live: Alice, an agent, gets no Listen until the admin lets her", async () => {
    const { page } = await open("1001");
    const inbound = sim.startCall("05", { pauseAt: "answered", timeScale: 0.05 });
    await page.waitForSelector('[data-user="1002"].p-on-call');
    // The buttons on Bob's call (his tile also has Call, click-to-call: test/web/board-dial.test.ts).
    const buttons = async () =>
      page.$$eval('[data-user="1002"] .call button', (bs) => bs.map((b) => b.textContent ?? ""));
    // An agent may send the call to the IVR, but not listen, whisper or barge: no such buttons.
    expect(await buttons()).toEqual(["To IVR"]);
    // The admin makes Alice a supervisor who may listen: her page (no reload) gets the button.
    const granted = await api("PATCH", "/v1/admin/users/1001", "admin", {
      role: "supervisor",
      operations: { listen: true },
    });
    expect(granted.status).toBe(200);
    await page.waitForSelector('[data-user="1002"] button:has-text("Listen")');
    expect(await buttons()).toEqual(["Listen", "To IVR"]);
    expect(await sameDocument(page)).toBe(true);
    const before = sim.actionLog.length;
    await page.click('[data-user="1002"] button:has-text("Listen")');
    const originate = await waitFor(
      () => sim.actionLog.slice(before).find((a) => a.action === "originate"),
      "the originate",
    );
    expect(originate.headers).toMatchObject({ application: "ChanSpy", channel: "PJSIP/1001" });
    // Accepted, then what became of it: Alice answered and listens.
    await page.waitForFunction(() => document.getElementById("message")?.textContent === "listen: joined");
    const spy = await waitFor(
      () => sim.liveChannels().find((c) => c.application === "ChanSpy"),
      "the ChanSpy channel",
    );
    sim.hangup(spy.name);
    // And taken away again: the button goes.
    const revoked = await api("PATCH", "/v1/admin/users/1001", "admin", {
      role: "agent",
      operations: { listen: false },
    });
    expect(revoked.status).toBe(200);
    await page.waitForFunction(
      () =>
        ![...document.querySelectorAll('[data-user="1002"] button')].some((b) => b.textContent === "Listen"),
      undefined,
    );
    inbound.resume();
    await inbound.done;
    await page.waitForSelector('[data-user="1002"].p-available');
    await page.close();
  }, 60_000);

  it("the admin console: Ada turns Bob's Show My Calls on and sets his recording, and Alice's board shows the caller live", async () => {
    const board = await open("1001");
    const inbound = sim.startCall("05", { pauseAt: "answered", timeScale: 0.05 });
    await board.page.waitForSelector('[data-user="1002"].p-on-call');
    expect(await board.page.textContent('[data-user="1002"]')).not.toContain(CALLER);

    const admin = await browser.newPage({ viewport: { width: 390, height: 844 } });
    admin.setDefaultTimeout(PAGE_WAIT_MS);
    await admin.goto(`${server.url}/admin#token=${await token("admin")}`);
    // The token leaves the address bar once read.
    await admin.waitForSelector('#users button[data-user="1002"]');
    expect(admin.url()).not.toContain("token");
    // Keyboard only: focus Bob in the list and open him with Enter.
    await admin.focus('#users button[data-user="1002"]');
    await admin.keyboard.press("Enter");
    await admin.waitForSelector('#user-form[data-user="1002"]');
    expect(await admin.isChecked("#f-showMyCalls")).toBe(false);
    expect(await admin.isChecked("#f-rec-all")).toBe(false);
    await admin.check("#f-showMyCalls");
    await admin.check("#f-rec-all");
    await admin.click('#user-form button[type="submit"]');
    await admin.waitForFunction(() => document.getElementById("message")?.textContent === "Saved Bob Sales.");

    // Alice's page shows whom Bob talks to, live; the settings are stored as the console showed them.
    await board.page.waitForFunction(
      (n) => document.querySelector('[data-user="1002"]')?.textContent?.includes(n) ?? false,
      CALLER,
    );
    const bob = await api("GET", "/v1/admin/users/1002", "admin");
    expect(bob.body).toMatchObject({ showMyCalls: true, recording: "all", departments: ["sales"] });
    const audit = await api("GET", "/v1/audit?action=user.update&actor=admin", "admin");
    expect(audit.body.entries.at(-1)).toMatchObject({ target: "1002" });

    // A bad change is refused with the reason, and nothing changes: no department at all.
    await admin.uncheck("#f-dep-sales");
    await admin.click('#user-form button[type="submit"]');
    await admin.waitForFunction(() =>
      document.getElementById("message")?.textContent?.startsWith("Not saved"),
    );
    expect(await admin.textContent("#message")).toContain("departments");
    expect((await api("GET", "/v1/admin/users/1002", "admin")).body.departments).toEqual(["sales"]);

    // Put Bob back as he was, through the console again.
    await admin.reload();
    await admin.click('#users button[data-user="1002"]');
    await admin.uncheck("#f-showMyCalls");
    await admin.check("#f-rec-off");
    await admin.click('#user-form button[type="submit"]');
    await admin.waitForFunction(() => document.getElementById("message")?.textContent === "Saved Bob Sales.");
    await board.page.waitForFunction(
      (n) => !(document.querySelector('[data-user="1002"]')?.textContent?.includes(n) ?? true),
      CALLER,
    );
    inbound.resume();
    await inbound.done;
    await admin.close();
    await board.page.close();
  }, 60_000);

  it("the admin console tells a non-admin so, and shows nothing of the directory", async () => {
    const page = await browser.newPage();
    page.setDefaultTimeout(PAGE_WAIT_MS);
    await page.goto(`${server.url}/admin#token=${await token("1001")}`);
    await page.waitForFunction(
      () => document.getElementById("status")?.textContent === "administrators only",
    );
    expect(await page.$("#users button")).toBeNull();
    expect(await page.content()).not.toContain("Bob Sales");
    await page.close();
  }, 60_000);

  it("a supervisor clicks Listen on a call in his department and the PBX gets the ChanSpy originate", async () => {
    const { page } = await open("1004");
    expect(await page.textContent("#who")).toContain("Dave Support");
    // Erin (1005, Support: Dave's department) takes the outside call.
    const inbound = sim.startCall("05", { pauseAt: "answered", extMap: { "1002": "1005" }, timeScale: 0.05 });
    await page.waitForSelector('[data-user="1005"].p-on-call');
    expect(await page.textContent('[data-user="1005"]')).toContain(CALLER);
    const erinChannel = await waitFor(
      () => sim.liveChannels().find((c) => c.name.startsWith("PJSIP/1005-")),
      "Erin's channel",
    );
    const before = sim.actionLog.length;
    await page.click('[data-user="1005"] button:has-text("Listen")');
    const originate = await waitFor(
      () => sim.actionLog.slice(before).find((a) => a.action === "originate"),
      "the originate",
    );
    expect(originate.headers).toMatchObject({
      application: "ChanSpy",
      channel: "PJSIP/1004",
      data: expect.stringContaining(erinChannel.name),
    });
    // 202 said Asterisk took it; what became of it reaches Dave's stream: he answered and listens.
    await page.waitForFunction(() => document.getElementById("message")?.textContent?.includes("joined"));
    expect(await page.textContent("#message")).toBe("listen: joined");
    // The session comes back from the PBX and shows on Dave's board.
    await page.waitForSelector("#monitoring-section:not([hidden])");
    expect(await page.textContent("#monitoring")).toContain("Dave Support listen on Erin Support");
    expect(await page.$('[data-user="1004"].p-on-call')).not.toBeNull();
    const audit = await api("GET", "/v1/audit?action=listen&actor=1004", "admin");
    expect(audit.body.entries).toEqual([
      expect.objectContaining({ target: "1005", outcome: "accepted" }),
      expect.objectContaining({
        target: "1005",
        outcome: "accepted",
        detail: expect.objectContaining({ result: "joined" }),
      }),
    ]);

    const spy = await waitFor(
      () => sim.liveChannels().find((c) => c.application === "ChanSpy"),
      "the ChanSpy channel",
    );
    sim.hangup(spy.name);
    // The session ends on the PBX and leaves Dave's board.
    await page.waitForFunction(() => (document.getElementById("monitoring-section") as HTMLElement).hidden);
    inbound.resume();
    await inbound.done;
    await page.waitForSelector('[data-user="1005"].p-available');
    await page.close();
  }, 60_000);
});

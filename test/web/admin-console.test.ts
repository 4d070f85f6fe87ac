// The admin console's daily sections in a real headless Chromium, on a real API, Redis and recording
// queue: an administrator signs in and sees the PBX connection (refreshing by itself when it drops), a
// recording that failed for good, the audit log (an entry an API call made, filtered, a bad filter named,
// exported as CSV), and issues a token (shown once, copied) and revokes it — all under the strict
// Content-Security-Policy, without a violation. Someone who is not an administrator sees none of it.

import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import pino from "pino";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TokenStore } from "../../src/api/auth/token-store.js";
import { type Api, buildApi } from "../../src/api/server.js";
import { parseConfig } from "../../src/config/load.js";
import { RecordingIndex } from "../../src/recording/recording-index.js";
import { finalizeJobId } from "../../src/recording/recording-job.js";
import { RecordingQueue } from "../../src/recording/recording-queue.js";
import { RecordingService } from "../../src/recording/recording-service.js";
import { RecordingStore } from "../../src/recording/recording-store.js";
import { RecordingWorker } from "../../src/recording/recording-worker.js";
import { Callsight } from "../../src/runtime/callsight.js";
import { AuditLog } from "../../src/stores/audit-log.js";
import { waitFor } from "../ami/helpers.js";
import { statusDriver } from "../api/status-driver.js";
import { recordingJob, tempDir } from "../recording/helpers.js";
import { testRedis } from "../support/redis.js";
import { PAGE_WAIT_MS } from "./page-wait.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** Below the tests' limit, so that a stuck wait says what it waited for. */
/** A wait across one PBX poll (every 3 s) on a loaded machine. */
const POLL_WAIT_MS = 10_000;

describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)("admin console in headless Chromium", () => {
  const logger = pino({ level: "silent" });
  const driver = statusDriver("main", {
    driver: "asterisk-ami",
    connected: true,
    since: Date.now() - 5 * 60_000,
    reconnects: 1,
    malformedFrames: 4,
  });
  let redis: Awaited<ReturnType<typeof testRedis>>["redis"];
  let callsight: Callsight;
  let tokens: TokenStore;
  let queue: RecordingQueue;
  let service: RecordingService;
  let api: Api;
  let base: string;
  let browser: Browser;
  let removeDir: () => Promise<void> = async () => undefined;
  let missingFile: string;
  const issued = new Map<string, string>();

  async function token(user: string): Promise<string> {
    let t = issued.get(user);
    if (!t) {
      t = await tokens.create(user);
      issued.set(user, t);
    }
    return t;
  }

  async function request(method: string, path: string, bearer: string, body?: unknown) {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${bearer}`,
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  beforeAll(async () => {
    const r = await testRedis();
    redis = r.redis;
    const config = parseConfig(readFileSync("callsight.example.yaml", "utf8"), "callsight.example.yaml", {});
    callsight = new Callsight({ config, redis, prefix: r.prefix, drivers: [driver], logger });
    await callsight.start();
    tokens = new TokenStore(redis, r.prefix);
    const audit = new AuditLog(redis, r.prefix);

    // A recording whose file never appears: its finalize job fails for good (one attempt).
    const tmp = await tempDir("admin-console");
    removeDir = tmp.remove;
    queue = new RecordingQueue({ redis: r.url, prefix: r.prefix, attempts: 1 });
    const index = new RecordingIndex(redis, r.prefix);
    const worker = new RecordingWorker({
      redis: r.url,
      prefix: r.prefix,
      store: new RecordingStore(join(tmp.dir, "store")),
      index,
      settleMs: 10,
    });
    await worker.start();
    missingFile = join(tmp.dir, "gone.wav");
    const job = recordingJob(missingFile, { requiredBy: ["1001"] });
    await queue.enqueueFinalize(job);
    await waitFor(
      async () => (await queue.queue.getJobState(finalizeJobId(job))) === "failed",
      "the recording to fail",
      10_000,
    );
    await worker.close();

    service = new RecordingService({
      settings: config.recording,
      directory: () => callsight.directory,
      call: (pbx, id) => callsight.model.call(pbx, id),
      drivers: () => callsight.drivers,
      enqueue: (j) => queue.enqueueFinalize(j),
      audit: (entry) => audit.append({ actor: "callsight", ...entry }),
      logger,
    });
    api = await buildApi({
      callsight,
      tokens,
      audit,
      logger,
      flushMs: 10,
      heartbeatMs: 60_000,
      recording: { service, queue, index },
    });
    await api.app.listen({ host: "127.0.0.1", port: 0 });
    base = `http://127.0.0.1:${(api.app.server.address() as AddressInfo).port}`;
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
  }, 40_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    service?.close();
    await callsight?.stop();
    await queue?.close();
    redis?.disconnect();
    await removeDir();
  });

  /** A page in a context that may use the clipboard, and what it reports about the policy. */
  async function adminPage(
    user = "admin",
  ): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
    const context = await browser.newContext({ acceptDownloads: true });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
    const page = await context.newPage();
    page.setDefaultTimeout(PAGE_WAIT_MS);
    const problems: string[] = [];
    page.on("console", (m) => {
      if (/content security policy/i.test(m.text())) problems.push(`console: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    await page.goto(`${base}/admin#token=${await token(user)}`);
    return { context, page, problems };
  }

  it("shows each PBX connection and refreshes it by itself", async () => {
    const { context, page, problems } = await adminPage();
    await page.waitForSelector("#users button");
    await page.click("#tab-pbx");
    const row = page.locator('#pbx tr[data-pbx="main"]');
    await row.and(page.locator('[data-connected="true"]')).waitFor();
    const cells = await row.locator("td").allTextContents();
    expect(cells[0]).toBe("main");
    expect(cells[1]).toBe("asterisk-ami");
    expect(cells[2]).toContain("Connected");
    expect(cells[3]).toMatch(/\(5 min ago\)$/);
    expect(cells[5]).toBe("1");
    expect(cells[6]).toBe("4");
    expect(await page.textContent("#pbx-count")).toBe("");

    // The connection drops: the page shows it on its next poll, without being told to.
    driver.current.connected = false;
    driver.current.since = Date.now();
    driver.current.lastError = "connect ECONNREFUSED 127.0.0.1:5038";
    driver.current.reconnects = 2;
    await row.and(page.locator('[data-connected="false"]')).waitFor({ timeout: POLL_WAIT_MS });
    const down = await row.locator("td").allTextContents();
    expect(down[2]).toContain("Not connected");
    expect(down[4]).toBe("connect ECONNREFUSED 127.0.0.1:5038");
    expect(down[5]).toBe("2");
    // The tab says so, whichever tab is open.
    await page.click("#tab-users");
    expect(await page.textContent("#tab-pbx")).toBe("PBX connections (1 down)");

    driver.current.connected = true;
    await page.waitForFunction(() => document.getElementById("pbx-count")?.textContent === "", undefined, {
      timeout: POLL_WAIT_MS,
    });
    expect(problems).toEqual([]);
    await context.close();
  }, 30_000);

  it("lists the recordings that failed: what, why and when", async () => {
    const { context, page, problems } = await adminPage();
    await page.waitForSelector("#users button");
    // The count is on the tab before it is opened.
    await page.waitForFunction(() => document.getElementById("recordings-count")?.textContent === " (1)");
    await page.click("#tab-recordings");
    await page.waitForSelector("#recordings tr[data-job]");
    const cells = await page.locator("#recordings tr[data-job] td").allTextContents();
    expect(cells[0]).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(cells[1]).toMatch(/^main · 1700000000\.\d+ \(inbound\)$/);
    expect(cells[2]).toContain("5 min");
    expect(cells[3]).toBe("Alice Sales (1001); required for Alice Sales (1001)");
    expect(cells[4]).toBe(missingFile);
    expect(cells[5]).toBe("1");
    expect(cells[6]).toBe(`recording file not found: ${missingFile}`);
    expect(await page.textContent("#recordings-note")).toContain("1 recording could not be stored");
    expect(problems).toEqual([]);
    await context.close();
  }, 45_000);

  it("shows the audit log: an API call's entry, filtered, a bad filter named, exported as CSV", async () => {
    // Alice may not listen: a refused operation, written to the audit log by the API.
    const refused = await request("POST", "/v1/operations/listen", await token("1001"), { target: "1002" });
    expect(refused.status).toBe(403);
    await request("PATCH", "/v1/admin/users/1006", await token("admin"), { presence: true });

    const { context, page, problems } = await adminPage();
    await page.waitForSelector("#users button");
    await page.click("#tab-audit");
    await page.waitForSelector('#audit tr[data-action="listen"][data-actor="1001"]');
    await page.waitForSelector('#audit tr[data-action="user.update"]');
    const listen = await page.locator('#audit tr[data-action="listen"] td').allTextContents();
    expect(listen.slice(1, 6)).toEqual([
      "Alice Sales (1001)",
      "listen",
      "Bob Sales (1002)",
      "refused",
      "operation-disabled",
    ]);
    // Newest first: the settings change came after the refused operation.
    const actions = await page
      .locator("#audit tr")
      .evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.action));
    expect(actions.indexOf("user.update")).toBeLessThan(actions.indexOf("listen"));

    // Filtered by user and outcome.
    await page.fill("#audit-actor", "1001");
    await page.selectOption("#audit-outcome", "refused");
    await page.click("#audit-filters button:not([type])");
    await page.waitForFunction(() => !document.querySelector('#audit tr[data-action="user.update"]'));
    const actors = await page
      .locator("#audit tr")
      .evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.actor));
    expect(actors.length).toBeGreaterThan(0);
    expect(new Set(actors)).toEqual(new Set(["1001"]));

    // Exported as CSV: the filtered entries, read back from the download.
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#audit-csv")]);
    expect(download.suggestedFilename()).toBe("callsight-audit.csv");
    const csv = await readFile((await download.path())!, "utf8");
    const lines = csv.trim().split("\r\n");
    expect(lines[0]).toBe("id,time,actor,action,target,outcome,reason,detail");
    expect(lines.slice(1).length).toBe(actors.length);
    expect(lines.slice(1).every((l) => l.includes(",1001,") && l.includes(",refused,"))).toBe(true);
    expect(lines.some((l) => l.includes(",listen,1002,refused,operation-disabled,"))).toBe(true);

    // A range that ends before it starts: the server's 400, in the page's words, on the field.
    await page.fill("#audit-from", "2024-05-02T00:00:00");
    await page.fill("#audit-to", "2024-05-01T00:00:00");
    await page.click("#audit-filters button:not([type])");
    await page.waitForSelector("#audit-from[aria-invalid=true]");
    expect(await page.textContent("#audit-problem")).toBe(
      "Filters not accepted: From: must not be after until",
    );
    await page.click("#audit-clear");
    await page.waitForFunction(() => document.getElementById("audit-problem")?.textContent === "");
    expect(await page.getAttribute("#audit-from", "aria-invalid")).toBeNull();
    expect(problems).toEqual([]);
    await context.close();
  }, 30_000);

  it("issues a token (shown once, copied) and revokes it", async () => {
    const { context, page, problems } = await adminPage();
    await page.waitForSelector("#users button");
    await page.click("#tab-tokens");
    await page.waitForSelector('#tokens tr[data-user="admin"]');
    // The token this page signed in with is marked.
    expect(await page.textContent('#tokens tr[data-user="admin"]')).toContain("(this session)");

    // A bad duration: the server's 400, said in the form.
    await page.selectOption("#token-user", "1003");
    await page.fill("#token-expires", "soon");
    await page.click("#token-form button");
    await page.waitForFunction(() =>
      document.getElementById("token-problem")?.textContent?.startsWith("Not issued:"),
    );
    expect(await page.textContent("#token-problem")).toContain("expires");

    await page.selectOption("#token-user", "1003");
    await page.fill("#token-label", "night shift");
    await page.fill("#token-expires", "8h");
    await page.click("#token-form button");
    await page.waitForSelector("#new-token:not([hidden])");
    const secret = await page.inputValue("#new-token-value");
    expect(secret).toMatch(/^cs_/);
    expect(await page.textContent("#new-token-who")).toContain("Carol");
    expect((await request("GET", "/v1/me", secret)).body.id).toBe("1003");

    await page.click("#new-token-copy");
    await page.waitForFunction(() => document.getElementById("new-token-copied")?.textContent === "Copied.");
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);

    const row = page.locator('#tokens tr[data-user="1003"]', { hasText: "night shift" });
    await row.waitFor();
    const id = await row.getAttribute("data-token");
    // The list never holds the token, only the box that shows it once.
    expect(await page.textContent("#tokens")).not.toContain(secret);
    await page.click("#new-token-done");
    expect(await page.isHidden("#new-token")).toBe(true);
    expect(await page.inputValue("#new-token-value")).toBe("");
    expect(await page.content()).not.toContain(secret);

    // Revoke: asked, then done; the token stops working.
    await page.click(`[data-revoke="${id}"]`);
    await page.click(`[data-confirm="${id}"]`);
    await page.waitForSelector(`#tokens tr[data-token="${id}"]`, { state: "detached" });
    expect((await request("GET", "/v1/me", secret)).status).toBe(401);
    expect(await page.textContent("#message")).toContain(`Revoked the token ${id}`);

    // Both are in the audit log.
    const log = await request("GET", "/v1/audit?target=1003&order=newest&limit=2", await token("admin"));
    expect(log.body.entries.map((e: { action: string }) => e.action)).toEqual([
      "token.revoke",
      "token.issue",
    ]);
    expect(problems).toEqual([]);
    await context.close();
  }, 30_000);

  it("shows nothing to someone who is not an administrator", async () => {
    const { context, page } = await adminPage("1004");
    await page.waitForFunction(
      () => document.getElementById("status")?.textContent === "administrators only",
    );
    expect(await page.isHidden("#admin")).toBe(true);
    expect(await page.locator("#pbx tr, #audit tr, #tokens tr, #recordings tr").count()).toBe(0);
    await context.close();
  }, 45_000);
});

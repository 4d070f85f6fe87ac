// Faults, live, on a real Asterisk 22 over AMI and over ARI with its AMI companion: Redis going away
// mid-call (30 s, and once more with a SIGTERM while it is away), Asterisk restarting mid-call, and the PBX
// link (AMI, or ARI's) dropped mid-call with a recording running. Callsight runs as an operator runs it
// (serve and worker, clustered by default). Redis keeps its data across the restart (as a Redis an operator
// restarts does); the PBX link goes through a TCP proxy the test cuts.

import { basename } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type AsteriskSite, startAsteriskSite } from "./support/asterisk-site.js";
import {
  linkState,
  linkStates,
  serveLogCount,
  serveLogs,
  spoolAll,
  spoolFiles,
  storedRecordings,
  unhandledRedisErrors,
  v1Answers,
} from "./support/faults.js";
import { until } from "./support/processes.js";
import { onCallWith, settle } from "./support/scenarios.js";
import { LiveViewer } from "./support/viewer.js";

/** The lease the server's PBX link is owned through (CALLSIGHT_LEASE_TTL_MS, default 5 s). */
const LEASE_LOST = /PBX lease (lost|lapsed)/;
const OUTAGE_MS = 30_000;

// The proxy carries Callsight's own PBX link: AMI, or ARI's HTTP and WebSocket (the ARI driver's AMI
// companion stays connected meanwhile, so what it sees while ARI is away must reach the model after ARI's
// resync).
for (const driver of ["ami", "ari"] as const) {
  describe(`Asterisk 22 over ${driver === "ami" ? "AMI" : "ARI with its AMI companion"}, faults, live`, () => {
    let site: AsteriskSite;
    let admin: LiveViewer;

    beforeAll(async () => {
      site = await startAsteriskSite(driver, undefined, { persistentRedis: true, linkProxy: true });
      admin = await LiveViewer.connect(site.callsight, "admin");
      // Tokens come from Redis: issue every one the tests use while it is there.
      for (const user of ["1001", "1002", "1003", "1004", "1005"]) await site.callsight.token(user);
    });
    afterEach(async () => {
      // A test that failed half-way may leave a fault in place: undo it, so the next one starts clean.
      await site.linkProxy?.restore();
      if (site.redis.child.exitCode !== null || site.redis.child.signalCode !== null) await site.startRedis();
      if (!site.pbx.process) await site.pbx.start();
      const server = site.callsight.server?.child;
      if (!server || server.exitCode !== null || server.signalCode !== null) {
        await site.callsight.startServer();
        admin.close();
        admin = await LiveViewer.connect(site.callsight, "admin");
      }
      await settle(site);
      await site.callsight
        .api("PATCH", "/v1/admin/users/1002", "admin", { recording: "off" })
        .catch(() => undefined);
    });
    afterAll(async () => {
      admin?.close();
      await site?.teardown();
    });

    /** Sets a user's recording policy and waits until Callsight has written it into AstDB. */
    async function record(user: string, recording: "all" | "off") {
      const res = await site.callsight.api("PATCH", `/v1/admin/users/${user}`, "admin", { recording });
      expect(res.status).toBe(200);
      await until(
        async () =>
          (await site.pbx.cli(`database get callsight/recording ${user}`)).includes(`Value: ${recording}`),
        `AstDB callsight/recording/${user} = ${recording}`,
      );
    }

    /** 1001 calls 1002 (recorded by the dialplan: 1002 is `all`); the call as the admin sees it. */
    async function recordedCall() {
      await record("1002", "all");
      await site.phones["1002"]!.answer({ ringMs: 300 });
      await site.phones["1001"]!.call("1002");
      const call = await admin.sees("1002 on a recorded call", (v) =>
        v.person("1002")?.calls?.find((c) => c.state === "up" && c.recording),
      );
      // The dialplan's MixMonitor is writing its file.
      await until(() => spoolFiles(site.pbx.monitorDir, call.call!).length > 0, "the dialplan's file");
      return call;
    }

    it("Redis away for 30 s mid-call: the board stays live, the recording that stopped meanwhile is stored once, /readyz tells why", async () => {
      const { callsight, pbx, phones } = site;
      const call = await recordedCall();
      const lapsedBefore = await serveLogCount(callsight, LEASE_LOST);
      const outboxedBefore = await serveLogCount(callsight, /kept in the outbox/);

      await site.stopRedis();
      const down = Date.now();
      try {
        const readyz = await until(
          async () => {
            const r = await callsight.readyz();
            return r.status === 503 && /redis/i.test(r.body.problems.join("; ")) ? r : undefined;
          },
          "/readyz to say Redis is away",
          10_000,
        );
        // Past the PBX lease's lifetime: the instance cannot renew it.
        await serveLogs(callsight, LEASE_LOST, "the lease not renewed", lapsedBefore);

        // The recorded call ends: the board shows it at once, the recording goes to the local outbox.
        await pbx.hangupAll();
        await admin.sees("1002 free while Redis is away", (v) => !v.person("1002")?.calls?.length, 10_000);
        await serveLogs(callsight, /kept in the outbox/, "the recording kept in the outbox", outboxedBefore);
        // A new call appears.
        await phones["1005"]!.answer({ ringMs: 300 });
        await phones["1003"]!.call("1005");
        await admin.sees("a new call while Redis is away", onCallWith("1003", "1005"), 10_000);
        expect(admin.connected).toBe(true);
        expect(linkState(admin)).toBe("up");

        // The truth: the PBX is followed and its events applied, Redis is not there.
        const now = await callsight.readyz();
        expect(now.status).toBe(503);
        expect(now.body.pbx[0]).toMatchObject({ pbx: "main", connected: true });
        expect(now.body.problems.join("; ")).toMatch(/redis: /);
        expect(now.body.problems.join("; ")).toMatch(
          /pbx main: Redis unreachable since .* applies its events/,
        );
        expect(readyz.body.redis).not.toBe("ok");
        // Every /v1 route answers 503 with the reason, not 500.
        const answers = await v1Answers(callsight);
        expect(answers).toEqual(Object.fromEntries(Object.keys(answers).map((k) => [k, 503])));
        await until(
          () => Date.now() - down >= OUTAGE_MS,
          "the outage to have lasted 30 s",
          OUTAGE_MS + 5000,
          500,
        );
      } finally {
        await site.startRedis();
      }

      await until(async () => (await callsight.readyz()).status === 200, "/readyz ready again", 30_000, 250);
      const list = await storedRecordings(callsight, call.call!);
      expect(list).toHaveLength(1);
      expect(basename(list[0].originalPath)).toMatch(new RegExp(`^${call.call!.replace(".", "\\.")}-1002-`));
      expect(list[0].originalPath).not.toMatch(/repair/);
      // The call that started during the outage is still live and ends like any other.
      expect(onCallWith("1003", "1005")(admin)).toBeTruthy();
      await pbx.hangupAll();
      await admin.sees("1003 free", (v) => !v.person("1003")?.calls?.length);
      expect(admin.connected).toBe(true);
      expect(await storedRecordings(callsight, call.call!)).toHaveLength(1);
      expect(unhandledRedisErrors((await callsight.server!.log()) + (await callsight.worker!.log()))).toEqual(
        [],
      );
      await record("1002", "off");
    }, 180_000);

    it("SIGTERM while Redis is away ends serve within seconds; the recording that stopped meanwhile is stored once after", async () => {
      const { callsight, pbx } = site;
      const call = await recordedCall();
      const lapsedBefore = await serveLogCount(callsight, LEASE_LOST);
      const outboxedBefore = await serveLogCount(callsight, /kept in the outbox/);
      await site.stopRedis();
      try {
        await serveLogs(callsight, LEASE_LOST, "the lease not renewed", lapsedBefore);
        await pbx.hangupAll();
        await admin.sees("1002 free while Redis is away", (v) => !v.person("1002")?.calls?.length, 10_000);
        await serveLogs(callsight, /kept in the outbox/, "the recording kept in the outbox", outboxedBefore);
        const server = callsight.server!;
        const t0 = Date.now();
        server.child.kill("SIGTERM");
        const code = await Promise.race([
          server.exited,
          new Promise((r) => setTimeout(() => r("still running"), 15_000)),
        ]);
        expect(code).toBe(0);
        expect(Date.now() - t0).toBeLessThan(10_000);
      } finally {
        await site.startRedis();
      }
      admin.close();
      await callsight.startServer();
      admin = await LiveViewer.connect(callsight, "admin");
      await until(async () => (await callsight.readyz()).status === 200, "/readyz ready again", 30_000, 250);
      const list = await storedRecordings(callsight, call.call!);
      expect(list).toHaveLength(1);
      expect(list[0].originalPath).not.toMatch(/repair/);
      await record("1002", "off");
    }, 120_000);

    it("Asterisk stopped (`core stop now`) and started again mid-call: viewers are told the link is down, nothing stale is left after the resync, new calls show", async () => {
      const { callsight, pbx, phones } = site;
      await phones["1003"]!.answer({ ringMs: 300 });
      await phones["1001"]!.call("1003");
      await admin.sees("1001 on a call with 1003", onCallWith("1001", "1003"));
      const seen = linkStates(admin).length;

      await pbx.stop();
      await admin.sees("the PBX link down", (v) => linkState(v) === "down");
      const readyz = await callsight.readyz();
      expect(readyz.status).toBe(503);
      expect(readyz.body.problems.join("; ")).toMatch(/pbx main: not connected/);
      await Promise.all([phones["1001"]!.stop(), phones["1003"]!.stop()]);

      await pbx.start();
      await admin.sees("the PBX link up again", (v) => linkState(v) === "up", 60_000);
      await admin.sees(
        "no call left for 1001 and 1003",
        (v) => !v.person("1001")?.calls?.length && !v.person("1003")?.calls?.length,
      );
      expect(linkStates(admin).slice(seen - 1)).toEqual(["up", "down", "up"]);
      await until(async () => (await callsight.readyz()).status === 200, "/readyz ready again", 30_000, 250);
      await phones["1005"]!.answer({ ringMs: 300 });
      await phones["1004"]!.call("1005");
      await admin.sees("a new call", onCallWith("1004", "1005"));
    }, 120_000);

    it("Asterisk killed mid-call (a crash): the call shows as the last known while the link is down, the ghost leaves after the resync", async () => {
      const { callsight, pbx, phones } = site;
      await phones["1003"]!.answer({ ringMs: 300 });
      await phones["1001"]!.call("1003");
      await admin.sees("1001 on a call with 1003", onCallWith("1001", "1003"));

      // No hang-up reaches Callsight: the PBX is gone at once.
      pbx.process!.child.kill("SIGKILL");
      await pbx.process!.exited;
      await pbx.stop();
      await admin.sees("the PBX link down", (v) => linkState(v) === "down");
      expect(onCallWith("1001", "1003")(admin)).toBeTruthy();
      expect((await callsight.readyz()).status).toBe(503);
      await Promise.all([phones["1001"]!.stop(), phones["1003"]!.stop()]);

      await pbx.start();
      await admin.sees("the PBX link up again", (v) => linkState(v) === "up", 60_000);
      await admin.sees(
        "the ghost call gone",
        (v) => !v.person("1001")?.calls?.length && !v.person("1003")?.calls?.length,
      );
      await until(async () => (await callsight.readyz()).status === 200, "/readyz ready again", 30_000, 250);
      await phones["1005"]!.answer({ ringMs: 300 });
      await phones["1004"]!.call("1005");
      await admin.sees("a new call", onCallWith("1004", "1005"));
    }, 120_000);

    const link = driver === "ami" ? "AMI" : "ARI";

    it(`${link} link dropped mid-call: Callsight reconnects and resyncs, the call keeps its start time and its recording`, async () => {
      const { callsight, pbx, linkProxy } = site;
      const before = await recordedCall();
      const connections = linkProxy!.connections;

      await linkProxy!.cut();
      try {
        await admin.sees("the PBX link down", (v) => linkState(v) === "down");
      } finally {
        await linkProxy!.restore();
      }
      await admin.sees("the PBX link up again", (v) => linkState(v) === "up", 30_000);
      expect(linkProxy!.connections).toBeGreaterThan(connections);
      await until(async () => (await callsight.readyz()).status === 200, "/readyz ready again", 30_000, 250);
      const after = admin.person("1002")?.calls?.find((c) => c.call === before.call);
      expect(after).toMatchObject({ state: "up", since: before.since, recording: true });

      await pbx.hangupAll();
      const list = await storedRecordings(callsight, before.call!);
      expect(list).toHaveLength(1);
      expect(list[0].originalPath).not.toMatch(/repair/);
    }, 90_000);

    it(`a recorded call answered while the ${link} link is down (failure 4): the resync recovers the dialplan's recording, stored once, no repair`, async () => {
      const { callsight, pbx, phones, linkProxy } = site;
      await record("1002", "all");
      const repairsBefore = await serveLogCount(callsight, /recording policy repair/);
      const spooled = new Set(await spoolAll(pbx.monitorDir));
      await linkProxy!.cut();
      let file: string;
      try {
        await admin.sees("the PBX link down", (v) => linkState(v) === "down");
        // The call starts and the dialplan records it while Callsight is not connected.
        await phones["1002"]!.answer({ ringMs: 300 });
        await phones["1001"]!.call("1002");
        file = await until(
          async () => (await spoolAll(pbx.monitorDir)).find((f) => !spooled.has(f) && /-1002-/.test(f)),
          "the dialplan's recording file",
        );
      } finally {
        await linkProxy!.restore();
      }
      const call = await admin.sees(
        "the link up again and 1002's call, recorded",
        (v) =>
          linkState(v) === "up"
            ? v.person("1002")?.calls?.find((c) => c.state === "up" && c.recording)
            : undefined,
        30_000,
      );
      expect(file.startsWith(`${call.call}-1002-`)).toBe(true);
      const resynced = Date.now();
      // The policy audit runs a few seconds (5 s) after the resync: it finds nothing to repair.
      await until(
        () => Date.now() - resynced > 8000,
        "the policy audit's grace after the resync",
        10_000,
        250,
      );
      expect(await serveLogCount(callsight, /recording policy repair/)).toBe(repairsBefore);
      expect(admin.person("1002")?.calls?.find((c) => c.call === call.call)?.recording).toBe(true);

      await pbx.hangupAll();
      const list = await storedRecordings(callsight, call.call!);
      expect(list).toHaveLength(1);
      expect(basename(list[0].originalPath)).toBe(file);
      expect(basename(list[0].originalPath)).toMatch(
        new RegExp(`^${call.call!.replace(".", "\\.")}-1002-[0-9]+\\.[0-9]+\\.wav$`),
      );
      expect(spoolFiles(pbx.monitorDir, call.call!).filter((f) => f.includes("repair"))).toEqual([]);
    }, 90_000);

    it(`${link} link down while a recorded call ends: the recording that ended meanwhile is finalized after the resync`, async () => {
      const { callsight, pbx, linkProxy } = site;
      const call = await recordedCall();
      await linkProxy!.cut();
      try {
        await admin.sees("the PBX link down", (v) => linkState(v) === "down");
        await pbx.hangupAll();
      } finally {
        await linkProxy!.restore();
      }
      await admin.sees(
        "the PBX link up again, the call gone",
        (v) => linkState(v) === "up" && !v.person("1002")?.calls?.length,
        30_000,
      );
      const list = await storedRecordings(callsight, call.call!);
      expect(list).toHaveLength(1);
      expect(list[0].originalPath).not.toMatch(/repair/);
      await record("1002", "off");
    }, 90_000);
  });
}

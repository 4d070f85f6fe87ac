// FreeSWITCH live fault scenarios: the ESL link dropped mid-call (through the site's TCP proxy, which the
// test cuts) and FreeSWITCH killed mid-call and started again. Viewers must be told the link is down,
// what they see meanwhile is the last known, and the resync after the reconnect corrects it: calls that
// lived on keep their start time and their recording, a ghost call leaves, new calls show. They run last:
// the restart ends every call and the phones' sipp.

import { readdirSync } from "node:fs";
import { basename } from "node:path";
import { expect, it } from "vitest";
import {
  linkState,
  linkStates,
  serveLogCount,
  serveLogs,
  unhandledRedisErrors,
  v1Answers,
} from "./faults.js";
import { audioIn, type FsLive, idle, setRecording, storedRecording } from "./freeswitch-checks.js";
import { until } from "./processes.js";
import { onCallWith, recordingsOf } from "./scenarios.js";

/** The lease the server's PBX link is owned through (CALLSIGHT_LEASE_TTL_MS, default 5 s). */
const LEASE_LOST = /PBX lease (lost|lapsed)/;
const OUTAGE_MS = 30_000;

export function faultScenarios(live: () => FsLive): void {
  it("Redis away for 30 s mid-call: the board stays live, the recording that ended meanwhile is stored once, /readyz tells why", async () => {
    const { site, admin, recorded } = live();
    const { callsight, pbx, phones } = site;
    await setRecording(site, "1002", "all");
    const callee = await phones["1002"]!.answer({ ringMs: 300 });
    await phones["1001"]!.call("1002");
    const call = await admin.sees("1002 on a recorded call", (v) =>
      v.person("1002")?.calls?.find((c) => c.state === "up" && c.recording),
    );
    await audioIn(site, `${call.call}-1002.wav`);
    const lapsedBefore = await serveLogCount(callsight, LEASE_LOST);
    const outboxedBefore = await serveLogCount(callsight, /kept in the outbox/);

    await site.stopRedis();
    const down = Date.now();
    try {
      await until(
        async () => {
          const r = await callsight.readyz();
          return r.status === 503 && /redis/i.test(r.body.problems.join("; ")) ? r : undefined;
        },
        "/readyz to say Redis is away",
        10_000,
      );
      // Past the PBX lease's lifetime: the instance cannot renew it, and keeps following FreeSWITCH.
      await serveLogs(callsight, LEASE_LOST, "the lease not renewed", lapsedBefore);

      // The recorded call ends: the board shows it at once, the recording waits in the local outbox.
      await pbx.hangupDevice("1001");
      await admin.sees("1001 and 1002 idle while Redis is away", idle("1001", "1002"), 10_000);
      expect(await callee.done).toBe(0);
      await serveLogs(callsight, /kept in the outbox/, "the recording kept in the outbox", outboxedBefore);
      // A new call appears.
      await phones["1005"]!.answer({ ringMs: 300 });
      await phones["1003"]!.call("1005");
      await admin.sees("a new call while Redis is away", onCallWith("1003", "1005"), 10_000);
      expect(admin.connected).toBe(true);
      expect(linkState(admin)).toBe("up");

      const now = await callsight.readyz();
      expect(now.status).toBe(503);
      expect(now.body.pbx[0]).toMatchObject({ pbx: "main", connected: true });
      expect(now.body.problems.join("; ")).toMatch(/pbx main: Redis unreachable since .* applies its events/);
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
    const stored = await storedRecording(callsight, call.call!);
    expect(stored).toMatchObject({ extension: "1002", requiredBy: ["1002"] });
    expect(basename(stored.file)).toBe(`${call.call}-1002.wav`);
    recorded.set(call.call!, 1);
    // The call that started during the outage is still live and ends like any other.
    expect(onCallWith("1003", "1005")(admin)).toBeTruthy();
    await pbx.hangupDevice("1003");
    await admin.sees("1003 and 1005 idle", idle("1003", "1005"));
    expect(admin.connected).toBe(true);
    expect(await recordingsOf(callsight, call.call!)).toHaveLength(1);
    expect(unhandledRedisErrors((await callsight.server!.log()) + (await callsight.worker!.log()))).toEqual(
      [],
    );
    await setRecording(site, "1002", "off");
  }, 180_000);

  it("ESL link dropped mid-call: viewers are told, the call keeps its start time and recording, DND set meanwhile shows after the resync", async () => {
    const { site, admin, recorded } = live();
    const { callsight, pbx, phones, eslProxy } = site;
    if (!eslProxy) throw new Error("the site needs { eslProxy: true }");
    await setRecording(site, "1002", "all");
    try {
      const callee = await phones["1002"]!.answer({ ringMs: 300 });
      await phones["1001"]!.call("1002");
      const before = await admin.sees("1002 on a recorded call", (v) =>
        v.person("1002")?.calls?.find((c) => c.state === "up" && c.recording),
      );
      const caller = await admin.sees("1001 on the call", (v) =>
        v.person("1001")?.calls?.find((c) => c.call === before.call && c.state === "up"),
      );
      await audioIn(site, `${before.call}-1002.wav`);
      const seen = linkStates(admin).length;
      const connections = eslProxy.connections;

      await eslProxy.cut();
      await admin.sees("the PBX link down", (v) => linkState(v) === "down");
      // What the board shows meanwhile is the last known: the call is still there.
      expect(onCallWith("1001", "1002")(admin)).toBeTruthy();
      const readyz = await callsight.readyz();
      expect(readyz.status).toBe(503);
      // 1005 turns DND on while Callsight is away: FreeSWITCH's db keeps it for the resync.
      expect(await (await phones["1005"]!.call("*78")).done).toBe(0);

      await eslProxy.restore();
      await admin.sees("the PBX link up again", (v) => linkState(v) === "up", 30_000);
      expect(eslProxy.connections).toBeGreaterThan(connections);
      expect(linkStates(admin).slice(seen - 1)).toEqual(["up", "down", "up"]);
      await until(async () => (await callsight.readyz()).status === 200, "/readyz ready again", 30_000, 250);
      await admin.sees("1005 dnd, learned at the resync", (v) => v.person("1005")?.presence === "dnd");
      // The calls learned again from FreeSWITCH keep their start time and their recording.
      expect(admin.person("1002")?.calls?.find((c) => c.call === before.call)).toMatchObject({
        state: "up",
        since: before.since,
        recording: true,
      });
      expect(admin.person("1001")?.calls?.find((c) => c.call === before.call)).toMatchObject({
        state: "up",
        since: caller.since,
      });

      await pbx.hangupDevice("1001");
      await admin.sees("1001 and 1002 idle", idle("1001", "1002"));
      expect(await callee.done).toBe(0);
      const stored = await storedRecording(callsight, before.call!);
      expect(stored).toMatchObject({ extension: "1002", requiredBy: ["1002"] });
      expect(basename(stored.file)).toBe(`${before.call}-1002.wav`);
      recorded.set(before.call!, 1);
      expect(await (await phones["1005"]!.call("*79")).done).toBe(0);
      await admin.sees("1005 available", idle("1005"));
    } finally {
      await setRecording(site, "1002", "off");
    }
  }, 90_000);

  it("a recorded call answered while the ESL link is down: the resync finds the dialplan's recording, stored once", async () => {
    const { site, admin, recorded } = live();
    const { callsight, pbx, phones, eslProxy } = site;
    if (!eslProxy) throw new Error("the site needs { eslProxy: true }");
    await setRecording(site, "1002", "all");
    try {
      await eslProxy.cut();
      await admin.sees("the PBX link down", (v) => linkState(v) === "down");
      const earlier = new Set(readdirSync(pbx.recordingsDir));
      const callee = await phones["1002"]!.answer({ ringMs: 300 });
      await phones["1001"]!.call("1002");
      // The dialplan records the call while Callsight is not connected.
      const file = await until(
        () => readdirSync(pbx.recordingsDir).find((f) => !earlier.has(f) && f.endsWith("-1002.wav")),
        "the dialplan's recording file",
      );
      await audioIn(site, file);

      await eslProxy.restore();
      await admin.sees("the PBX link up again", (v) => linkState(v) === "up", 30_000);
      // Known from the resync itself (FreeSWITCH's media bugs), not from a policy repair: that would start
      // a second recording after the audit's grace (5 s).
      const call = await admin.sees(
        "1002's call recorded, from the resync",
        (v) => v.person("1002")?.calls?.find((c) => c.state === "up" && c.recording),
        3000,
      );
      expect(file).toBe(`${call.call}-1002.wav`);

      await pbx.hangupDevice("1001");
      await admin.sees("1001 and 1002 idle", idle("1001", "1002"));
      expect(await callee.done).toBe(0);
      const stored = await storedRecording(callsight, call.call!);
      expect(stored).toMatchObject({ extension: "1002", requiredBy: ["1002"] });
      expect(basename(stored.file)).toBe(file);
      await until(
        () => !readdirSync(pbx.recordingsDir).some((f) => f.startsWith(`${call.call}-`)),
        "every file of the call processed",
        30_000,
      );
      expect(await recordingsOf(callsight, call.call!)).toHaveLength(1);
      recorded.set(call.call!, 1);
    } finally {
      await setRecording(site, "1002", "off");
    }
  }, 90_000);

  it("FreeSWITCH killed mid-call and started again: the link shows down, the ghost call leaves after the resync, new calls show", async () => {
    const { site, admin } = live();
    const { callsight, pbx, phones } = site;
    await phones["1003"]!.answer({ ringMs: 300 });
    await phones["1001"]!.call("1003");
    await admin.sees("1001 on a call with 1003", onCallWith("1001", "1003"));
    const seen = linkStates(admin).length;

    await pbx.kill();
    await admin.sees("the PBX link down", (v) => linkState(v) === "down");
    // The last known: the call is still shown, the link says it may be stale.
    expect(onCallWith("1001", "1003")(admin)).toBeTruthy();
    const readyz = await callsight.readyz();
    expect(readyz.status).toBe(503);
    expect(readyz.body.problems.join("; ")).toMatch(/pbx main/);
    // The phones' calls died with FreeSWITCH (no BYE ever comes).
    await Promise.all([phones["1001"]!.stop(), phones["1003"]!.stop()]);

    await pbx.start();
    await admin.sees("the PBX link up again", (v) => linkState(v) === "up", 60_000);
    await admin.sees("the ghost call gone", idle("1001", "1003"));
    expect(linkStates(admin).slice(seen - 1)).toEqual(["up", "down", "up"]);
    await until(async () => (await callsight.readyz()).status === 200, "/readyz ready again", 30_000, 250);
    const callee = await phones["1005"]!.answer({ ringMs: 300 });
    await phones["1004"]!.call("1005");
    await admin.sees("a new call", onCallWith("1004", "1005"));
    await pbx.hangupDevice("1004");
    await admin.sees("1004 and 1005 idle", idle("1004", "1005"));
    expect(await callee.done).toBe(0);
  }, 120_000);
}

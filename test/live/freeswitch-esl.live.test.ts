// Callsight over ESL on a real FreeSWITCH 1.11, with sipp phones: each scenario is driven by the phones
// (or the API, for operations) and asserted through the WebSocket stream, the API and the recording
// store. The dialplan is the project's dialplan/freeswitch/callsight.xml, installed as its README says.
// Callsight reaches the event socket through a TCP proxy (the fault scenarios cut it). The scenarios the
// phones drive, the recording policy's and the faults are in support/freeswitch-{phones,recording,faults}.ts;
// the faults run last (FreeSWITCH is killed and started again).

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { PersonView } from "../../src/domain/visibility.js";
import { liveUsers } from "./support/callsight.js";
import { dialScenarios } from "./support/dial-scenarios.js";
import {
  audioIn as audioInto,
  everShown,
  type FsLive,
  idle,
  PEOPLE,
  storedRecording,
} from "./support/freeswitch-checks.js";
import { faultScenarios } from "./support/freeswitch-faults.js";
import { phoneScenarios } from "./support/freeswitch-phones.js";
import { recordingScenarios } from "./support/freeswitch-recording.js";
import { type FreeSwitchSite, startFreeSwitchSite } from "./support/freeswitch-site.js";
import { until } from "./support/processes.js";
import { freeswitchPaths, queuePathScenarios } from "./support/queue-path-scenarios.js";
import {
  queueDndLinkScenario,
  queueLoginScenario,
  queueMemberScenarios,
  queuePauseScenario,
  queueScenarios,
} from "./support/queue-scenarios.js";
import {
  huntGroupScenario,
  ringGroupRecordingScenario,
  ringGroupScenario,
} from "./support/ring-group-scenarios.js";
import { onCallWith, recordingsOf } from "./support/scenarios.js";
import { SippEndpoint } from "./support/sipp.js";
import { freeswitchStatus, statusScenarios } from "./support/status-scenarios.js";
import { LiveViewer } from "./support/viewer.js";

describe("FreeSWITCH 1.11 over ESL, live", () => {
  let site: FreeSwitchSite;
  /** Sees everything. */
  let admin: LiveViewer;
  /** Sales agent: the monitored one; sees 1002–1004 (1002 without whom he talks to). */
  let agent: LiveViewer;
  /** Sales colleague of 1002 (Bob), who hides whom he talks to (`showMyCalls: false`). */
  let colleague: LiveViewer;
  /** Support agent: shares no department with 1001–1003. */
  let support: LiveViewer;
  /** The spy legs' uuids, as FreeSWITCH named them. */
  const spyLegs: string[] = [];
  /** Each recorded call and how many recordings it got: checked again at the end (no late duplicate). */
  const recorded = new Map<string, number>();

  const audioIn = (prefix: string, done?: ReadonlySet<string>) => audioInto(site, prefix, done);
  const live = (): FsLive => ({ site, admin, recorded });

  beforeAll(async () => {
    const users = liveUsers().map((u) => (u.id === "1002" ? { ...u, showMyCalls: false } : u));
    site = await startFreeSwitchSite({ users, eslProxy: true, persistentRedis: true });
    admin = await LiveViewer.connect(site.callsight, "admin");
    // Tokens come from Redis: issue every one the tests use while it is there (a fault takes it away).
    for (const user of PEOPLE) await site.callsight.token(user);
    agent = await LiveViewer.connect(site.callsight, "1001");
    colleague = await LiveViewer.connect(site.callsight, "1003");
    support = await LiveViewer.connect(site.callsight, "1005");
    // The phones registered at start-up: everyone shows available.
    await admin.sees("every phone available", idle(...PEOPLE));
  });
  afterEach(async () => {
    if (!site) return;
    // A fault scenario that failed half-way may have left Redis stopped.
    if (site.redis.child.exitCode !== null || site.redis.child.signalCode !== null) await site.startRedis();
    await site.pbx.hangupAll();
    await Promise.all([...Object.values(site.phones), site.carrier].map((p) => p.stop()));
    await admin.sees("everyone idle after the scenario", idle(...PEOPLE));
  });
  afterAll(async () => {
    for (const v of [admin, agent, colleague, support]) v?.close();
    await site?.teardown();
  });

  it("internal call answered: the callee rings, both show the call with each other, then idle", async () => {
    const { phones, pbx } = site;
    const callee = await phones["1002"]!.answer({ ringMs: 1000 });
    const caller = await phones["1001"]!.call("1002");
    await admin.sees("1001 on a call with 1002", onCallWith("1001", "1002"));
    await admin.sees("1002 on a call with 1001", onCallWith("1002", "1001"));
    expect(everShown(admin, "1002", (p) => p.presence === "ringing")).toBe(true);
    await pbx.hangupDevice("1001");
    await admin.sees("1001 and 1002 idle", idle("1001", "1002"));
    expect(await caller.done).toBe(0);
    expect(await callee.done).toBe(0);
  });

  it("internal call cancelled by the caller (CANCEL): the callee rang, never answered", async () => {
    const { phones } = site;
    const from = admin.history.get("1002")?.length ?? 0;
    const callee = await phones["1002"]!.answer("ring-until-cancelled");
    const caller = await phones["1001"]!.call("1002", [], { cancelAfterMs: 1500 });
    expect(await caller.done).toBe(0);
    expect(await callee.done).toBe(0);
    await admin.sees("1001 and 1002 idle", idle("1001", "1002"));
    expect(everShown(admin, "1002", (p) => p.presence === "ringing", from)).toBe(true);
    expect(everShown(admin, "1002", (p) => p.calls?.some((c) => c.state === "up"), from)).toBe(false);
  });

  it("internal call to a busy phone (486): the caller's call ends without being answered", async () => {
    const { phones } = site;
    const from = admin.history.get("1001")?.length ?? 0;
    const callee = await phones["1002"]!.answer("busy");
    const caller = await phones["1001"]!.call("1002");
    expect(await caller.done).toBe(0);
    expect(await callee.done).toBe(0);
    await admin.sees("1001 and 1002 idle", idle("1001", "1002"));
    expect(everShown(admin, "1001", (p) => p.calls?.length, from)).toBe(true);
    expect(everShown(admin, "1001", (p) => p.calls?.some((c) => c.state === "up"), from)).toBe(false);
  });

  it("inbound from the carrier to a DID (external profile): the callee's tile shows the outside number", async () => {
    const { phones, carrier, pbx } = site;
    const callee = await phones["1002"]!.answer({ ringMs: 500 });
    const caller = await carrier.call("15559990002");
    const call = await admin.sees("1002 on an inbound call", (v) =>
      v.person("1002")?.calls?.find((c) => c.state === "up" && c.direction === "inbound"),
    );
    expect(call.remote).toEqual([expect.objectContaining({ number: "15551234567", external: true })]);
    // 1002 (Bob) hides whom he talks to: his colleague sees a call, no number.
    const seen = await colleague.sees("1002 on a call", (v) =>
      v.person("1002")?.calls?.find((c) => c.state === "up"),
    );
    expect(seen.remote).toBeUndefined();
    await pbx.hangupDevice("1002");
    await admin.sees("1002 idle", idle("1002"));
    expect(await caller.done).toBe(0);
    expect(await callee.done).toBe(0);
  });

  it("outbound to the carrier (gateway): the caller's tile shows the dialled number", async () => {
    const { phones, carrier, pbx } = site;
    const callee = await carrier.answer({ ringMs: 500 });
    const caller = await phones["1001"]!.call("17778732492");
    const call = await admin.sees("1001 on an outbound call", (v) =>
      v.person("1001")?.calls?.find((c) => c.state === "up" && c.direction === "outbound"),
    );
    expect(call.remote).toEqual([expect.objectContaining({ number: "17778732492", external: true })]);
    await pbx.hangupDevice("1001");
    await admin.sees("1001 idle", idle("1001"));
    expect(await caller.done).toBe(0);
    expect(await callee.done).toBe(0);
  });

  it("hold and unhold from the phone (re-INVITE sendonly): shown on hold, then talking again", async () => {
    const { phones, pbx } = site;
    const from = admin.history.get("1001")?.length ?? 0;
    await phones["1002"]!.answer({ ringMs: 300 });
    await phones["1001"]!.call("1002", [
      { pauseMs: 1000 },
      { hold: true },
      { pauseMs: 2000 },
      { unhold: true },
    ]);
    await admin.sees("1001 on hold", (v) =>
      everShown(v, "1001", (p) => p.presence === "on-hold" && p.calls?.some((c) => c.state === "held"), from),
    );
    await admin.sees("1001 talking again after the hold", (v) => {
      const seen = (v.history.get("1001") ?? []).slice(from);
      const held = seen.findIndex((p) => p.presence === "on-hold");
      return held >= 0 && seen.slice(held).some((p) => p.presence === "on-call");
    });
    await pbx.hangupDevice("1001");
  });

  it("pickup by a colleague through the API, rung in the configured directory domain (known failure 2)", async () => {
    const { phones, callsight, pbx } = site;
    const callee = await phones["1002"]!.answer("ring-until-cancelled");
    const picker = await phones["1003"]!.answer({ ringMs: 200 });
    await phones["1001"]!.call("1002");
    await admin.sees("1002 ringing", (v) => v.person("1002")?.presence === "ringing");
    // The picker is rung as user/1003@<domain>: the users are not in FreeSWITCH's default domain, so this
    // works only with `domain` from callsight.yaml (known failure 2: the key was refused, then ignored).
    expect((await pbx.api("user_exists id 1003")).trim()).toBe("false");
    expect((await pbx.api(`user_exists id 1003 ${pbx.domain}`)).trim()).toBe("true");
    const res = await callsight.api("POST", "/v1/operations/pickup", "1003", { target: "1002" });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    await admin.sees("1001 on a call with 1003", onCallWith("1001", "1003"));
    await admin.sees("1003 on a call with 1001", onCallWith("1003", "1001"));
    await admin.sees("1002 free", idle("1002"));
    expect(await callee.done).toBe(0);
    await pbx.hangupDevice("1001");
    await admin.sees("1001 and 1003 idle", idle("1001", "1003"));
    expect(await picker.done).toBe(0);
  });

  it("park by a blind transfer to a valet slot (SIP REFER), then a colleague picks up the parked call", async () => {
    const { phones, carrier, callsight, pbx } = site;
    const outside = await carrier.answer({ ringMs: 300 });
    // 1001 calls out, then transfers the outside party to valet slot 5901 from the phone.
    const parker = await phones["1001"]!.call("17778732492", [{ pauseMs: 1000 }, { refer: "5901" }]);
    const parked = await admin.sees("a call parked in 5901", (v) =>
      v.view?.parked.find((p) => p.space === "5901"),
    );
    expect(parked.party).toEqual(expect.objectContaining({ number: "17778732492", external: true }));
    expect(await parker.done).toBe(0);
    await admin.sees("1001 idle", idle("1001"));
    const retriever = await phones["1003"]!.answer({ ringMs: 200 });
    const res = await callsight.api("POST", "/v1/operations/parked-pickup", "1003", { call: parked.call });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    await admin.sees("1003 on a call with the parked party", onCallWith("1003", "17778732492"));
    await admin.sees("nothing parked", (v) => v.view?.parked.length === 0);
    await pbx.hangupDevice("1003");
    await admin.sees("1003 idle", idle("1003"));
    expect(await retriever.done).toBe(0);
    expect(await outside.done).toBe(0);
  });

  it("take over by a supervisor: 1004's phone replaces the agent, the outside caller stays, the agent is free", async () => {
    const { phones, callsight, pbx, dir } = site;
    // A caller of its own: 1004 (Sales and Support) shows his calls, so once he has taken the call over his
    // Support colleagues rightly see this number; it must not be one the visibility checks below track.
    const takenCaller = new SippEndpoint(
      "15553330000",
      "Taken Caller",
      pbx.ports.carrier,
      dir,
      () => pbx.ports.external,
    );
    try {
      const agentPhone = await phones["1002"]!.answer({ ringMs: 300 });
      const caller = await takenCaller.call("15559990002");
      await admin.sees("1002 on the inbound call", (v) =>
        v.person("1002")?.calls?.find((c) => c.state === "up"),
      );
      const supervisorPhone = await phones["1004"]!.answer({ ringMs: 200 });
      const res = await callsight.api("POST", "/v1/operations/take-over", "1004", { target: "1002" });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      await admin.sees("1004 on the call with the outside caller", onCallWith("1004", "15553330000"), 20_000);
      await admin.sees("1002 idle", idle("1002"), 20_000);
      // The agent's phone was hung up by the PBX, not by the test.
      expect(await agentPhone.done).toBe(0);
      expect(admin.person("1004")?.calls).toHaveLength(1);
      await pbx.hangupDevice("1004");
      await admin.sees("1004 idle", idle("1004"));
      expect(await supervisorPhone.done).toBe(0);
      expect(await caller.done).toBe(0);
    } finally {
      await takenCaller.stop();
    }
  });

  it("send to IVR: the outside caller leaves the agent and waits in the IVR", async () => {
    const { phones, carrier, callsight, pbx } = site;
    const callee = await phones["1002"]!.answer({ ringMs: 300 });
    const caller = await carrier.call("15559990002");
    await admin.sees("1002 on the inbound call", (v) =>
      v.person("1002")?.calls?.find((c) => c.state === "up"),
    );
    const res = await callsight.api("POST", "/v1/operations/send-to-ivr", "1002", { target: "1002" });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    await admin.sees("1002 free", idle("1002"));
    expect(await callee.done).toBe(0);
    // The caller is still connected, now to the IVR (dialplan/freeswitch/callsight.xml's callsight_ivr).
    await until(
      async () =>
        (await pbx.channels()).find(
          (c) => c.name.startsWith("sofia/external/") && c.application === "playback",
        ),
      "the carrier's leg playing the IVR",
    );
    expect(caller.process.child.exitCode).toBeNull();
  });

  it("listen, whisper and barge: a session for admins, never the agent's, the spy leg never a call (known failure 3)", async () => {
    const { phones, callsight, pbx } = site;
    const adminFrom = admin.history.get("1004")?.length ?? 0;
    const agentFrom = agent.history.get("1004")?.length ?? 0;
    await phones["1002"]!.answer({ ringMs: 300 });
    await phones["1001"]!.call("1002");
    await admin.sees("1001 on a call with 1002", onCallWith("1001", "1002"));
    for (const mode of ["listen", "whisper", "barge"] as const) {
      const spy = await phones["1004"]!.answer({ ringMs: 300 });
      const res = await callsight.api("POST", `/v1/operations/${mode}`, "1004", { target: "1001" });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      const session = await admin.sees(`a ${mode} session on 1001`, (v) =>
        v.view?.monitoring.find((m) => m.mode === mode && m.target === "1001"),
      );
      expect(session.by).toBe("1004");
      const leg = await until(
        async () => (await pbx.channels()).find((c) => c.application === "eavesdrop"),
        "FreeSWITCH's spy leg running eavesdrop",
      );
      spyLegs.push(leg.uuid);
      await admin.sees("1004 on the spy leg", (v) => v.person("1004")?.presence === "on-call");
      await pbx.hangupDevice("1004");
      await admin.sees(`the ${mode} session over`, (v) => v.view?.monitoring.length === 0);
      expect(await spy.done).toBe(0);
      await admin.sees("1001 still on a call with 1002", onCallWith("1001", "1002"));
    }
    expect(agent.view?.monitoring).toEqual([]);
    // Known failure 3: the spy leg showed as an ordinary call of 1004's (ringing, then up) for ~0.3 s,
    // to everyone who sees 1004 — the monitored agent included.
    const spyAsCall = (p: PersonView) => (p.calls?.length ?? 0) > 0;
    expect(everShown(admin, "1004", spyAsCall, adminFrom)).toBe(false);
    expect(everShown(agent, "1004", spyAsCall, agentFrom)).toBe(false);
    for (const uuid of spyLegs) {
      for (const v of [admin, agent, colleague, support])
        expect(v.everReceived(uuid), `${v.user}: ${uuid}`).toBe(false);
    }
  });

  it("recording policy `all` (set through the admin API): one file, named after the call and the extension", async () => {
    const { phones, callsight, pbx } = site;
    const patched = await callsight.api("PATCH", "/v1/admin/users/1002", "admin", { recording: "all" });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    try {
      // Callsight writes the policy into FreeSWITCH's db, which the dialplan reads before the bridge.
      await until(
        async () => (await pbx.api("db select/callsight_recording/1002")).trim() === "all",
        "the policy in FreeSWITCH's db",
      );
      await phones["1002"]!.answer({ ringMs: 300 });
      await phones["1001"]!.call("1002");
      const call = await admin.sees("1001's call recorded", (v) =>
        v.person("1001")?.calls?.find((c) => c.state === "up" && c.recording),
      );
      // The dialplan names the file after the call and the extension whose policy asked for it.
      await audioIn(`${call.call}-1002.wav`);
      await pbx.hangupDevice("1001");
      const stored = await storedRecording(callsight, call.call!);
      expect(stored).toEqual(
        expect.objectContaining({ callId: call.call, extension: "1002", requiredBy: ["1002"] }),
      );
      expect(stored.file).toMatch(new RegExp(`${call.call}-1002\\.wav$`));
      recorded.set(call.call!, 1);
      expect(stored.wav.channels).toBe(2);
      expect(stored.durationMs).toBeGreaterThan(100);
      // 1002 was on the call: he lists it too; 1003 was not.
      expect((await recordingsOf(callsight, call.call!, "1002")).map((r) => r.id)).toEqual([stored.id]);
      expect(await recordingsOf(callsight, call.call!, "1003")).toEqual([]);
    } finally {
      await callsight.api("PATCH", "/v1/admin/users/1002", "admin", { recording: "off" });
    }
  });

  it("on-demand recording by a supervisor, stopped with record-stop: the supervisor lists it (known failure 1)", async () => {
    const { phones, callsight, pbx } = site;
    await phones["1002"]!.answer({ ringMs: 300 });
    await phones["1001"]!.call("1002");
    const call = await admin.sees("1001 on a call with 1002", onCallWith("1001", "1002"));
    // Four segments: FreeSWITCH answers `uuid_record … stop` before its RECORD_STOP, sometimes in the
    // same read, sometimes not; each segment must keep who asked for it either way. Each one gets audio
    // first: FreeSWITCH discards a recording stopped before its first frame ("Discarding empty file").
    const segments = 4;
    const files = new Set<string>();
    for (let i = 1; i <= segments; i++) {
      const start = await callsight.api("POST", "/v1/operations/record-start", "1004", { target: "1001" });
      expect(start.status, JSON.stringify(start.body)).toBe(202);
      await admin.sees("the call recorded", (v) => v.person("1001")?.calls?.find((c) => c.recording));
      files.add(await audioIn(`callsight-${call.call}-`, files));
      const stop = await callsight.api("POST", "/v1/operations/record-stop", "1004", { target: "1001" });
      expect(stop.status, JSON.stringify(stop.body)).toBe(202);
      await admin.sees("the call no longer recorded", (v) =>
        v.person("1001")?.calls?.find((c) => c.state === "up" && !c.recording),
      );
    }
    const stored = await until(
      async () => {
        const r = await recordingsOf(callsight, call.call!);
        return r.length >= segments ? r : undefined;
      },
      `${segments} stored recordings of the call`,
      30_000,
      250,
    );
    expect(stored).toHaveLength(segments);
    for (const r of stored) {
      expect(r, JSON.stringify(r)).toEqual(
        expect.objectContaining({ callId: call.call, onDemandBy: "1004", extension: "1001", requiredBy: [] }),
      );
    }
    // The supervisor was on none of the calls' legs: he lists them because he recorded them.
    const listed = (await recordingsOf(callsight, call.call!, "1004")).map((r) => r.id).sort();
    expect(listed).toEqual(stored.map((r) => r.id).sort());
    recorded.set(call.call!, segments);
    await pbx.hangupDevice("1001");
  });

  it("on-demand recording ended by the call ending: stored with the extension, not as `-call.wav` (known failure 1)", async () => {
    const { phones, callsight, pbx } = site;
    await phones["1002"]!.answer({ ringMs: 300 });
    await phones["1001"]!.call("1002");
    const call = await admin.sees("1001 on a call with 1002", onCallWith("1001", "1002"));
    const start = await callsight.api("POST", "/v1/operations/record-start", "1004", { target: "1001" });
    expect(start.status, JSON.stringify(start.body)).toBe(202);
    await admin.sees("the call recorded", (v) => v.person("1001")?.calls?.find((c) => c.recording));
    await audioIn(`callsight-${call.call}-`);
    await pbx.hangupDevice("1001");
    const stored = await storedRecording(callsight, call.call!);
    expect(stored).toEqual(
      expect.objectContaining({ callId: call.call, onDemandBy: "1004", extension: "1001" }),
    );
    expect(stored.durationMs).toBeGreaterThan(100);
    expect(stored.file).toMatch(new RegExp(`${call.call}-1001\\.wav$`));
    recorded.set(call.call!, 1);
    expect((await recordingsOf(callsight, call.call!, "1004")).map((r) => r.id)).toEqual([stored.id]);
  });

  it("no viewer ever received what it may not see (the scenarios above)", () => {
    // 1002 (Bob) hides whom he talks to: his colleague never got the outside number of his inbound calls.
    expect(colleague.everReceived("15551234567")).toBe(false);
    // The monitored agent never got a monitoring session.
    for (const mode of ["listen", "whisper", "barge"])
      expect(agent.everReceived(`"mode":"${mode}"`)).toBe(false);
    // Support shares no department with sales: nothing about 1001–1003.
    for (const id of ["1001", "1002", "1003"]) expect(support.everReceived(`"id":"${id}"`)).toBe(false);
    expect(support.everReceived("17778732492")).toBe(false);
    // Admins saw everything (the checks above are not vacuous).
    expect(admin.everReceived("15551234567")).toBe(true);
    expect(admin.everReceived('"mode":"barge"')).toBe(true);
  });

  describe("from the phones", () => phoneScenarios(live));
  describe("click-to-call", () => dialScenarios(live));
  describe("queues and ring groups (FusionPBX style)", () => {
    const queues = () => ({
      site,
      admin,
      queue: "sales@default",
      did: "15559990400",
      ringGroupDid: "15559990600",
      huntGroupDid: "15559990601",
    });
    queueScenarios(queues);
    // mod_callcenter keeps no reason: the agent's status is the pause.
    queuePauseScenario(() => ({ ...queues(), pauseReason: () => "On Break" }));
    ringGroupScenario(queues);
    ringGroupRecordingScenario(queues);
    huntGroupScenario(queues);
    queueMemberScenarios(queues);
    queueLoginScenario(() => ({ ...queues(), staticMembers: false }));
    // mod_callcenter keeps no reason: the link's pause shows as On Break.
    queueDndLinkScenario(() => ({ ...queues(), dndPause: "On Break" }));
    describe("queue paths (follow-me, call forward, transfer out)", () =>
      queuePathScenarios(() => ({ ...queues(), paths: freeswitchPaths(site) })));
  });
  describe("my status", () =>
    statusScenarios(() => ({ callsight: site.callsight, admin, inPbx: freeswitchStatus(site.pbx) })));
  describe("the recording policy in the dialplan", () => recordingScenarios(live));
  // Last: FreeSWITCH is killed and started again.
  describe("faults", () => faultScenarios(live));

  it("no recording was stored twice", async () => {
    // 3 above, the repair, the IVR's, the parked and the transferred call, 5 of the recording settings, 1
    // across a Redis outage, 2 across an ESL reconnect.
    expect(recorded.size).toBe(15);
    for (const [call, count] of recorded)
      expect(await recordingsOf(site.callsight, call), call).toHaveLength(count);
  });

  it("the support agent never received anything about sales, in any scenario", () => {
    for (const id of ["1001", "1002", "1003"]) expect(support.everReceived(`"id":"${id}"`)).toBe(false);
    for (const number of ["17778732492", "15551234567"]) expect(support.everReceived(number)).toBe(false);
    expect(support.everReceived('"id":"1005"')).toBe(true);
  });
});

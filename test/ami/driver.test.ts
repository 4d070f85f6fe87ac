// AsteriskAmiDriver against the trace-driven simulator on real sockets: connect + resync, live
// events into a LiveModel, every call command, reconnect after a drop, login failures with backoff,
// and malformed input.

import { describe, expect, it } from "vitest";
import { AmiSimulator, type AmiSimulatorOptions } from "../../simulators/ami-simulator.js";
import { get, TraceLibrary } from "../../simulators/ami-trace.js";
import {
  AsteriskAmiDriver,
  type AsteriskAmiDriverOptions,
  chanSpyOptions,
} from "../../src/pbx/asterisk-ami/driver.js";
import { callOf, type DriverHarness, driverHarness, legOf, pausedCall } from "../support/driver-harness.js";
import { capturingLogger, silentLogger, sleep, waitFor } from "./helpers.js";

const PBX = "ast1";

type Harness = DriverHarness<AmiSimulator, AsteriskAmiDriver>;

async function harness(
  simOptions: AmiSimulatorOptions = {},
  driverOptions: Partial<AsteriskAmiDriverOptions> = {},
  start = true,
): Promise<Harness> {
  const sim = new AmiSimulator({ commandTimeScale: 0.05, ...simOptions });
  const { port } = await sim.start({ username: "callsight", secret: "pw" });
  const driver = new AsteriskAmiDriver({
    pbx: PBX,
    host: "127.0.0.1",
    port,
    username: "callsight",
    secret: "pw",
    backoff: { initialMs: 20, maxMs: 100 },
    logger: silentLogger(),
    ...driverOptions,
  });
  return driverHarness(PBX, sim, driver, start);
}

describe("connect and resync", () => {
  it("delivers a snapshot of what is live before the driver came up", async () => {
    const h = await harness({ unreachable: ["1006"] }, {}, false);
    h.sim.setPresence("1004", "away", "meeting", "In a meeting");
    h.sim.setDnd("1005", true);
    await pausedCall(h, "05", "answered");
    h.driver.start();
    await waitFor(() => h.driver.status().connected, "connected");
    const first = h.events[0];
    expect(first?.type).toBe("pbx.snapshot");
    if (first?.type !== "pbx.snapshot") return;
    expect(first.legs).toHaveLength(2);
    // Then the queues as QueueStatus lists them (the simulated PBX has none), then the link is up.
    expect(h.events[1]).toMatchObject({ type: "queue.snapshot", queues: [] });
    expect(h.events[2]).toMatchObject({ type: "pbx.connection", state: "up" });
    const calls = h.model.activeCalls();
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ direction: "inbound", state: "up" });
    expect(calls[0]?.legs.map((l) => l.user ?? l.number).sort()).toEqual(["15551234567", "u1002"]);
    expect(h.model.presenceOf("u1002")).toBe("on-call");
    expect(h.model.presenceOf("u1004")).toBe("away");
    expect(h.model.presenceOf("u1005")).toBe("dnd");
    expect(h.model.presenceOf("u1006")).toBe("offline");
    expect(h.model.presenceOf("u1001")).toBe("available");
    // Whitelist filters were added on the session.
    expect(h.sim.actionLog.filter((a) => a.action === "filter").length).toBeGreaterThan(10);
  });

  it("recovers a held call at resync and lets the live Unhold clear it", async () => {
    const h = await harness({}, {}, false);
    const onHold = new TraceLibrary()
      .scenario("06")
      .events.findIndex(
        (e) => get(e.fields, "Device") === "PJSIP/1002" && get(e.fields, "State") === "ONHOLD",
      );
    const call = h.sim.startCall("06", { timeScale: 0.02, pauseAt: onHold + 1 });
    await waitFor(() => call.paused, "06 paused on hold");
    h.driver.start();
    await waitFor(() => h.driver.status().connected, "connected");
    expect(h.model.activeCalls()[0]?.state).toBe("held");
    expect(h.model.presenceOf("u1001")).toBe("on-hold");
    expect(h.model.presenceOf("u1002")).toBe("on-hold");
    call.resume();
    await waitFor(() => h.model.presenceOf("u1002") === "on-call", "unheld");
    expect(h.model.activeCalls()[0]?.state).toBe("up");
    await call.done;
    await waitFor(() => h.model.activeCalls().length === 0, "call over");
  });

  it("feeds live events of a replayed call into the model", async () => {
    const h = await harness();
    const call = h.sim.startCall("01", { timeScale: 0.05 });
    await call.done;
    await waitFor(() => h.changes.some((c) => c.kind === "call-ended"), "call ended in the model");
    const bob = h.changes.flatMap((c) => (c.kind === "presence" && c.user === "u1002" ? [c.presence] : []));
    expect(bob).toEqual(["ringing", "on-call", "available"]);
    const ended = h.changes.find((c) => c.kind === "call-ended");
    expect(ended?.kind === "call-ended" && ended.call).toMatchObject({
      direction: "internal",
      answered: true,
    });
    expect(h.model.activeCalls()).toEqual([]);
    expect(h.driver.counters.malformed).toBe(0);
  });
});

describe("commands", () => {
  it.each([
    ["listen", "1001", "1004"],
    ["whisper", "1002", "1005"],
    ["barge", "1003", "1006"],
  ] as const)("monitor %s: the supervisor's ChanSpy session lands on the call", async (mode, ext, sup) => {
    const h = await harness();
    await pausedCall(h, "04", "answered", { "1001": ext });
    const target = legOf(h, `u${ext}`);
    const outcome = await h.driver.commands.monitor({
      supervisorEndpoint: `PJSIP/${sup}`,
      targetLeg: target,
      mode,
      beep: false,
      callerId: "Monitor <*222>",
    });
    expect(outcome).toMatchObject({ status: "accepted", detail: "Originate successfully queued" });
    const originate = h.sim.actionLog.find((a) => a.action === "originate");
    expect(originate?.headers).toMatchObject({
      channel: `PJSIP/${sup}`,
      application: "ChanSpy",
      data: `${h.driver.channelName(target)},${chanSpyOptions(mode, false)}`,
      async: "true",
    });
    const session = await waitFor(
      () => callOf(h, `u${ext}`)?.monitoring.find((s) => s.endedAt === undefined),
      "monitoring session",
    );
    expect(session).toMatchObject({ mode, by: `u${sup}`, target: `u${ext}`, targetLeg: target });
    expect(h.model.presenceOf(`u${sup}`)).toBe("on-call");
    // The supervisor's leg is not a party of the call.
    expect(callOf(h, `u${ext}`)?.legs.map((l) => l.user ?? "ext")).not.toContain(`u${sup}`);
    const spy = h.sim.liveChannels().find((c) => c.application === "ChanSpy");
    expect(spy?.name.startsWith(`PJSIP/${sup}-`)).toBe(true);
    h.sim.hangup(spy?.name ?? "");
    await waitFor(() => h.model.presenceOf(`u${sup}`) === "available", "supervisor back to available");
    expect(callOf(h, `u${ext}`)?.monitoring[0]?.endedAt).toBeDefined();
  });

  it("ChanSpy options: q unless beep, E, w for whisper, B for barge", () => {
    expect(chanSpyOptions("listen", false)).toBe("qE");
    expect(chanSpyOptions("whisper", false)).toBe("qwE");
    expect(chanSpyOptions("barge", false)).toBe("qBE");
    expect(chanSpyOptions("barge", true)).toBe("BE");
  });

  it("a spy session ends when the monitored call ends (E)", async () => {
    const h = await harness();
    const call = await pausedCall(h, "04", "answered");
    await h.driver.commands.monitor({
      supervisorEndpoint: "PJSIP/1004",
      targetLeg: legOf(h, "u1001"),
      mode: "listen",
      beep: false,
    });
    await waitFor(() => h.model.presenceOf("u1004") === "on-call", "spy up");
    call.resume();
    await waitFor(() => h.model.presenceOf("u1004") === "available", "spy gone with the call");
    expect(h.sim.liveChannels()).toEqual([]);
    // ChanSpyStop arrives after the monitored leg's Hangup: it must not bring that leg back.
    await sleep(50);
    expect(h.model.activeCalls()).toEqual([]);
    expect(h.model.presenceOf("u1001")).toBe("available");
  });

  it("pickup: the picker takes the ringing call over", async () => {
    const h = await harness();
    await pausedCall(h, "01", "ringing");
    await waitFor(() => h.model.presenceOf("u1002") === "ringing", "1002 ringing");
    const before = callOf(h, "u1001");
    const outcome = await h.driver.commands.pickup({
      pickerEndpoint: "PJSIP/1003",
      targetLeg: legOf(h, "u1002"),
    });
    expect(outcome.status).toBe("accepted");
    expect(h.sim.actionLog.find((a) => a.action === "originate")?.headers).toMatchObject({
      application: "PickupChan",
      channel: "PJSIP/1003",
    });
    await waitFor(() => callOf(h, "u1003")?.state === "up", "picked-up call up");
    const after = callOf(h, "u1003");
    expect(after?.id).toBe(before?.id);
    expect(after?.legs.map((l) => l.user).sort()).toEqual(["u1001", "u1003"]);
    expect(h.model.presenceOf("u1002")).toBe("available");
    expect(h.model.presenceOf("u1003")).toBe("on-call");
    expect(h.model.activeCalls()).toHaveLength(1);
  });

  it("parked pickup: the parked caller is retrieved by the picker", async () => {
    const h = await harness();
    await pausedCall(h, "08", "parked");
    const parked = await waitFor(
      () => h.model.activeCalls().find((c) => c.state === "parked"),
      "parked call in the model",
    );
    expect(parked.parked).toEqual({ lot: "default", space: "701" });
    const outcome = await h.driver.commands.pickupParked({
      pickerEndpoint: "PJSIP/1003",
      lot: "default",
      space: "701",
    });
    expect(outcome.status).toBe("accepted");
    await waitFor(() => callOf(h, "u1003")?.state === "up", "retrieved call up");
    const call = callOf(h, "u1003");
    expect(call?.id).toBe(parked.id);
    expect(call?.parked).toBeUndefined();
    expect(call?.legs.map((l) => l.user ?? l.number).sort()).toEqual(["15551234567", "u1003"]);
    expect(h.sim.parkedCalls()).toEqual([]);
  });

  it("send to IVR: the external party leaves the agent and goes to the IVR", async () => {
    const h = await harness();
    await pausedCall(h, "05", "answered");
    const call = h.model.activeCalls()[0];
    const external = call?.legs.find((l) => l.external)?.leg ?? "";
    const outcome = await h.driver.sendToIvr({ leg: external, context: "ivr", exten: "s" });
    expect(outcome).toEqual({ status: "accepted", detail: "Redirect successful" });
    expect(h.sim.actionLog.find((a) => a.action === "redirect")?.headers).toMatchObject({
      channel: h.driver.channelName(external),
      context: "ivr",
      exten: "s",
      priority: "1",
    });
    await waitFor(() => h.model.presenceOf("u1002") === "available", "agent released");
    const after = h.model.call(PBX, call?.id ?? "");
    expect(after?.legs.map((l) => l.leg)).toEqual([external]);
    const ivr = h.sim.liveChannels().find((c) => c.uniqueid === external);
    expect(ivr?.application).toBe("BackGround");
  });

  it("start and stop recording", async () => {
    const h = await harness();
    await pausedCall(h, "05", "answered");
    const leg = legOf(h, "u1002");
    const callId = callOf(h, "u1002")?.id ?? "";
    expect(await h.driver.commands.startRecording({ leg, callId, file: `${callId}-1.wav` })).toEqual({
      status: "accepted",
    });
    expect(h.sim.actionLog.find((a) => a.action === "mixmonitor")?.headers).toMatchObject({
      file: `${callId}-1.wav`,
      options: "b",
    });
    await waitFor(() => callOf(h, "u1002")?.recording, "recording on");
    expect(h.events.find((e) => e.type === "recording.started")).toMatchObject({
      leg,
      file: `/var/spool/asterisk/monitor/${callId}-1.wav`,
    });
    expect(await h.driver.stopRecording({ leg })).toEqual({ status: "accepted" });
    await waitFor(() => callOf(h, "u1002")?.recording === false, "recording off");
    expect(callOf(h, "u1002")?.recorded).toBe(true);
  });

  it("reports the PBX's message on failure and refuses unknown legs", async () => {
    const h = await harness();
    expect(await h.driver.sendToIvr({ leg: "9.9", context: "ivr", exten: "s" })).toMatchObject({
      status: "refused",
      reason: "unknown-leg",
    });
    // A channel only the driver has seen (the PBX does not know it): the PBX's own error comes back.
    h.sim.injectRaw(
      "Event: Newchannel\r\nPrivilege: call,all\r\nChannel: PJSIP/1001-0000beef\r\nChannelState: 4\r\n" +
        "ChannelStateDesc: Ring\r\nCallerIDNum: 1001\r\nExten: 1002\r\nUniqueid: 77.1\r\nLinkedid: 77.1\r\n\r\n",
    );
    await waitFor(() => h.driver.channelName("77.1"), "ghost channel");
    expect(await h.driver.sendToIvr({ leg: "77.1", context: "ivr", exten: "s" })).toEqual({
      status: "failed",
      message: "Channel does not exist: PJSIP/1001-0000beef",
    });
    expect(await h.driver.stopRecording({ leg: "77.1" })).toEqual({
      status: "failed",
      message: "No such channel",
    });
    await h.driver.stop();
    expect(
      await h.driver.commands.pickupParked({ pickerEndpoint: "PJSIP/1003", lot: "default", space: "701" }),
    ).toEqual({
      status: "failed",
      message: "AMI not connected",
    });
  });
});

describe("recording policy in AstDB", () => {
  it("is kept while Asterisk is away and written on connect, dropping extensions the last written policy had", async () => {
    const h = await harness({}, {}, false);
    // Before the connection is up: kept, not an error.
    expect(
      await h.driver.publishRecordingPolicy({ extensions: { "1001": "all", "1002": "external" } }),
    ).toEqual({
      status: "accepted",
      detail: "kept; written to AstDB on connect",
    });
    h.driver.start();
    await waitFor(
      () => h.sim.astdb.get("callsight/recording/1002") === "external",
      "policy written on connect",
    );
    expect(h.sim.astdb.get("callsight/recording/1001")).toBe("all");
    // Asterisk goes away; meanwhile 1002 leaves the policy and 1001 changes.
    const port = h.sim.port;
    await h.sim.stop();
    await waitFor(() => !h.driver.status().connected, "disconnected");
    expect((await h.driver.publishRecordingPolicy({ extensions: { "1001": "off" } })).status).toBe(
      "accepted",
    );
    expect(h.sim.astdb.get("callsight/recording/1001")).toBe("all");
    await h.sim.start({ port, username: "callsight", secret: "pw" });
    await waitFor(
      () => h.sim.astdb.get("callsight/recording/1001") === "off",
      "the newer policy on reconnect",
    );
    await waitFor(() => !h.sim.astdb.has("callsight/recording/1002"), "1002 removed from AstDB");
  });
});

describe("reconnect", () => {
  it("after the PBX drops the connection mid-call the model is right again: nothing lost or duplicated", async () => {
    const h = await harness();
    await pausedCall(h, "05", "answered");
    await pausedCall(h, "01", "answered", { "1001": "1003", "1002": "1004" });
    await waitFor(() => h.model.activeCalls().length === 2, "two calls");
    const kept = callOf(h, "u1002")?.id;
    const doomed = h.sim.liveChannels().find((c) => c.name.startsWith("PJSIP/1003-"))?.name ?? "";

    h.sim.dropConnections();
    // While nobody is connected: one call ends and another starts (timeScale 0 replays at once).
    h.sim.hangup(doomed);
    h.sim.startCall("04", { pauseAt: "answered", timeScale: 0, extMap: { "1001": "1005" } });

    await waitFor(() => h.driver.status().reconnects === 1 && h.driver.status().connected, "reconnected");
    const connection = h.events
      .filter((e) => e.type === "pbx.connection")
      .map((e) => e.type === "pbx.connection" && e.state);
    expect(connection).toEqual(["up", "down", "up"]);
    expect(h.events.filter((e) => e.type === "pbx.snapshot")).toHaveLength(2);

    const calls = h.model.activeCalls();
    expect(calls).toHaveLength(2);
    expect(calls.map((c) => c.legs.length)).toEqual([2, 2]);
    expect(callOf(h, "u1002")?.id).toBe(kept);
    expect(callOf(h, "u1005")?.state).toBe("up");
    expect(h.model.presenceOf("u1003")).toBe("available");
    expect(h.model.presenceOf("u1004")).toBe("available");
    expect(h.model.presenceOf("u1005")).toBe("on-call");
    const liveLegs = new Set(h.sim.liveChannels().map((c) => c.uniqueid));
    expect(new Set(calls.flatMap((c) => c.legs.map((l) => l.leg)))).toEqual(liveLegs);
  });

  it("the resync recovers a recording that began while the link was down, not one seen stopping (failure 4)", async () => {
    const h = await harness();
    // A recording seen starting and stopping on a call that stays up: Asterisk keeps MIXMONITOR_FILENAME.
    await pausedCall(h, "05", "answered");
    const stoppedLeg = legOf(h, "u1002");
    const callId = callOf(h, "u1002")?.id ?? "";
    await h.driver.commands.startRecording({ leg: stoppedLeg, callId, file: "on-demand.wav" });
    await waitFor(() => callOf(h, "u1002")?.recording, "recording on");
    await h.driver.stopRecording({ leg: stoppedLeg });
    await waitFor(() => callOf(h, "u1002")?.recording === false, "recording off");

    h.sim.dropConnections();
    // While nobody is connected, a call whose dialplan starts MixMonitor (11b) gets answered.
    h.sim.startCall("11b-mixmonitor-dialplan", { pauseAt: "answered", timeScale: 0, extMap: {} });
    await waitFor(() => h.driver.status().reconnects === 1 && h.driver.status().connected, "reconnected");
    const snapshot = h.events.filter((e) => e.type === "pbx.snapshot").at(-1);
    const recorded = h.sim.liveChannels().find((c) => c.name.startsWith("PJSIP/1001-"));
    expect(snapshot?.type === "pbx.snapshot" && snapshot.recordings).toEqual([
      {
        leg: recorded?.uniqueid,
        file: `/var/spool/asterisk/monitor/rec-1001-17778732492-${recorded?.uniqueid}.wav`,
      },
    ]);
    expect(callOf(h, "u1001")).toMatchObject({ state: "up", recording: true });
    expect(callOf(h, "u1002")?.recording).toBe(false);
  });

  it("a command pending when the connection drops fails at once and is never sent again", async () => {
    const h = await harness();
    await pausedCall(h, "04", "answered");
    h.sim.holdActions.add("originate");
    const pending = h.driver.commands.monitor({
      supervisorEndpoint: "PJSIP/1004",
      targetLeg: legOf(h, "u1001"),
      mode: "barge",
      beep: false,
    });
    await waitFor(() => h.sim.actionLog.some((a) => a.action === "originate"), "originate at the PBX");
    const dropped = Date.now();
    h.sim.dropConnections();
    expect(await pending).toEqual({ status: "failed", message: "AMI connection lost" });
    expect(Date.now() - dropped).toBeLessThan(500);
    h.sim.holdActions.clear();
    await waitFor(() => h.driver.status().reconnects === 1 && h.driver.status().connected, "reconnected");
    await sleep(100);
    expect(h.sim.actionLog.filter((a) => a.action === "originate")).toHaveLength(1);
    expect(h.sim.liveChannels().some((c) => c.application === "ChanSpy")).toBe(false);
  });

  it("a wrong password is a clear error, retried with growing spaced backoff (no tight loop)", async () => {
    const { logger, records } = capturingLogger("warn");
    const h = await harness(
      {},
      { secret: "wrong", logger, backoff: { initialMs: 40, maxMs: 160, random: () => 1 } },
      false,
    );
    const refused = () => records.filter((r) => r.err === "AMI login failed: Authentication failed");
    h.driver.start();
    // Five attempts (waits of ~40, 80, 160, 160 ms) show the growth up to the cap. Stop while the
    // driver waits between attempts: every login seen has been answered and reported.
    await waitFor(
      () => refused().length >= 5 && refused().length === h.sim.loginTimes.length,
      "five refused logins",
      3000,
    );
    await h.driver.stop();
    const times = h.sim.loginTimes;
    expect(times.length).toBeGreaterThanOrEqual(5);
    expect(times.length).toBeLessThanOrEqual(10);
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
    for (const g of gaps) expect(g).toBeGreaterThanOrEqual(35);
    expect(gaps.slice(-2).every((g) => g >= 150)).toBe(true);
    const failures = refused();
    expect(failures.length).toBe(times.length);
    expect(failures.every((r) => r.level === 40)).toBe(true);
    expect(h.driver.status()).toMatchObject({
      connected: false,
      lastError: "AMI login failed: Authentication failed",
    });
  });
});

describe("malformed input", () => {
  it("garbage, a truncated frame, a 1 MB header line and an unknown event neither crash nor stall", async () => {
    const { logger, records } = capturingLogger("warn");
    const h = await harness({}, { logger });
    h.sim.injectRaw(
      Buffer.concat([Buffer.from([0, 255, 254, 1, 2, 3, 0x0a, 0x41]), Buffer.from("\r\n\r\n")]),
    );
    h.sim.injectRaw("Event: Newchannel\r\nChannel: PJSIP/1001-0000ffff\r\nUniq\r\n\r\n");
    h.sim.injectRaw(`Event: Junk\r\nX-Big: ${"a".repeat(1024 * 1024)}\r\n\r\n`);
    h.sim.injectRaw("Event: FancyNewThing\r\nPrivilege: call,all\r\nFoo: bar\r\n\r\n");
    h.sim.setPresence("1001", "away", "", "back soon");
    await waitFor(() => h.model.presenceOf("u1001") === "away", "the valid event after the garbage");
    expect(h.driver.counters.malformed).toBeGreaterThanOrEqual(3);
    expect(h.driver.counters.unknownEvents.FancyNewThing).toBe(1);
    expect(h.driver.counters.sessions).toBe(1);
    expect(h.driver.status().connected).toBe(true);
    expect(records.filter((r) => r.msg === "malformed AMI frame skipped")).toHaveLength(1);

    // A frame cut off by the connection dropping: the next session starts clean.
    h.sim.injectRaw("Event: Newchannel\r\nChannel: PJSIP/1001-0000");
    await sleep(20);
    h.sim.dropConnections();
    await waitFor(() => h.driver.counters.sessions === 2 && h.driver.status().connected, "second session");
    h.sim.setPresence("1001", "available");
    await waitFor(() => h.model.presenceOf("u1001") === "available", "events flow on the new session");
  });
});

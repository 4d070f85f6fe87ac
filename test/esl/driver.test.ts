// FreeswitchEslDriver against the trace-driven ESL simulator on real sockets: connect + resync, live
// events into a LiveModel, every call command, the recording policy in FreeSWITCH's db, reconnect
// after a drop, a wrong password with spaced retries, and malformed input.

import { describe, expect, it } from "vitest";
import { EslSimulator, type EslSimulatorOptions } from "../../simulators/esl-simulator.js";
import { FreeswitchEslDriver, type FreeswitchEslDriverOptions } from "../../src/pbx/freeswitch-esl/driver.js";
import { capturingLogger, silentLogger, sleep, waitFor } from "../ami/helpers.js";
import { callOf, type DriverHarness, driverHarness, legOf, pausedCall } from "../support/driver-harness.js";

const PBX = "fs1";

type Harness = DriverHarness<EslSimulator, FreeswitchEslDriver>;

async function harness(
  simOptions: EslSimulatorOptions = {},
  driverOptions: Partial<FreeswitchEslDriverOptions> = {},
  start = true,
): Promise<Harness> {
  const sim = new EslSimulator({ commandTimeScale: 0.05, ...simOptions });
  const { port } = await sim.start({ password: "pw" });
  const driver = new FreeswitchEslDriver({
    pbx: PBX,
    host: "127.0.0.1",
    port,
    secret: "pw",
    domain: "pbx.example.com",
    backoff: { initialMs: 20, maxMs: 100 },
    logger: silentLogger(),
    ...driverOptions,
  });
  return driverHarness(PBX, sim, driver, start);
}

function commands(h: Harness, prefix: string): string[] {
  return h.sim.commandLog.filter((c) => c.command.startsWith(prefix)).map((c) => c.command);
}

describe("connect and resync", () => {
  it("delivers a snapshot of what is live before the driver came up", async () => {
    const h = await harness({ registered: [] }, {}, false);
    h.sim.register("1003", true);
    await pausedCall(h, "05", "answered");
    await pausedCall(h, "10b", "answered", { "1001": "1005" });
    h.driver.start();
    await waitFor(() => h.driver.status().connected, "connected");
    const first = h.events[0];
    expect(first?.type).toBe("pbx.snapshot");
    if (first?.type !== "pbx.snapshot") return;
    expect(first.legs).toHaveLength(4);
    expect(first.reachability).toEqual([{ endpoint: "sofia/internal/1003", reachable: true }]);
    expect(h.events.at(-1)).toMatchObject({ type: "pbx.connection", state: "up" });
    const calls = h.model.activeCalls();
    expect(calls.map((c) => c.direction).sort()).toEqual(["inbound", "outbound"]);
    expect(
      callOf(h, "u1002")
        ?.legs.map((l) => l.user ?? l.number)
        .sort(),
    ).toEqual(["15551234567", "u1002"]);
    expect(callOf(h, "u1002")?.state).toBe("up");
    expect(h.model.presenceOf("u1002")).toBe("on-call");
    expect(h.model.presenceOf("u1005")).toBe("on-call");
    // FreeSWITCH lists the registered phones: 1003's is, 1001 has none (a user with no phone is offline).
    expect(h.model.presenceOf("u1003")).toBe("available");
    expect(h.model.presenceOf("u1001")).toBe("offline");
    expect(h.sim.commandLog.map((c) => c.command)).toEqual(
      expect.arrayContaining([
        "api show channels as json",
        "api show calls as json",
        "api show registrations as json",
        "api valet_info",
      ]),
    );
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
    expect(h.driver.counters.unknownEvents).toEqual({});
  });

  it("registrations and published presence reach the model", async () => {
    const h = await harness({ registered: [] });
    h.sim.register("1006", true);
    await waitFor(
      () => h.driver.status().connected && h.events.some((e) => e.type === "device.reachability"),
      "registered",
    );
    h.sim.register("1006", false);
    await waitFor(() => h.model.presenceOf("u1006") === "offline", "1006 offline");
    h.sim.setPresence("1004", "away", "Lunch");
    await waitFor(() => h.model.presenceOf("u1004") === "away", "1004 away");
    h.sim.setPresence("1004", "unknown", "Do Not Disturb");
    await waitFor(() => h.model.presenceOf("u1004") === "dnd", "1004 dnd");
  });
});

describe("commands", () => {
  it("endpointForExtension and the dial strings commands use agree", async () => {
    const h = await harness();
    expect(h.driver.endpointForExtension("1004")).toBe("sofia/internal/1004");
    expect(h.driver.dialString("sofia/internal/1004")).toBe("user/1004@pbx.example.com");
    expect(h.driver.dialString("1004")).toBe("user/1004@pbx.example.com");
    expect(h.driver.dialString("user/1004@other.example.com")).toBe("user/1004@other.example.com");
    expect(h.driver.dialString("sofia/gateway/carrier/15551234567")).toBe(
      "sofia/gateway/carrier/15551234567",
    );
    expect(h.driver.dialString("user/1004 &hupall()")).toBeUndefined();
  });

  it.each([
    ["listen", "1001", "1004", ""],
    ["whisper", "1002", "1005", ",eavesdrop_whisper_aleg=true"],
    ["barge", "1003", "1006", ",eavesdrop_whisper_aleg=true,eavesdrop_whisper_bleg=true"],
  ] as const)("monitor %s: the supervisor's eavesdrop lands on the call", async (mode, ext, sup, vars) => {
    const h = await harness();
    await pausedCall(h, "04", "answered", { "1001": ext });
    const target = legOf(h, `u${ext}`);
    const outcome = await h.driver.monitor({
      supervisorEndpoint: h.driver.endpointForExtension(sup),
      targetLeg: target,
      mode,
      beep: false,
      callerId: "Monitor <*222>",
    });
    expect(outcome).toMatchObject({ status: "accepted" });
    expect(commands(h, "bgapi originate")).toEqual([
      `bgapi originate {origination_caller_id_name=Monitor,origination_caller_id_number=*222,eavesdrop_enable_dtmf=true${vars},callsight_spy_target=${target}}user/${sup}@pbx.example.com &eavesdrop(${target})`,
    ]);
    const session = await waitFor(
      () => callOf(h, `u${ext}`)?.monitoring.find((s) => s.endedAt === undefined),
      "monitoring session",
    );
    expect(session).toMatchObject({ mode, by: `u${sup}`, target: `u${ext}`, targetLeg: target });
    expect(h.model.presenceOf(`u${sup}`)).toBe("on-call");
    expect(callOf(h, `u${ext}`)?.legs.map((l) => l.user ?? "ext")).not.toContain(`u${sup}`);
    const spy = h.sim.liveChannels().find((c) => c.application === "eavesdrop");
    expect(spy?.name.startsWith(`sofia/internal/${sup}@`)).toBe(true);
    // The job's result names the spy leg.
    await waitFor(() => h.driver.counters.failedJobs === 0 && spy, "job");
    expect(await h.sim.run(`uuid_kill ${spy?.uuid}`)).toBe("+OK\n");
    await waitFor(() => h.model.presenceOf(`u${sup}`) === "available", "supervisor back to available");
    expect(callOf(h, `u${ext}`)?.monitoring[0]?.endedAt).toBeDefined();
    expect(callOf(h, `u${ext}`)?.state).toBe("up");
  });

  it("an eavesdrop ends with the call it listens to", async () => {
    const h = await harness();
    const call = await pausedCall(h, "04", "answered");
    await h.driver.monitor({
      supervisorEndpoint: "1004",
      targetLeg: legOf(h, "u1001"),
      mode: "listen",
      beep: true,
    });
    expect(commands(h, "bgapi originate")[0]).toContain(
      "execute_on_answer='playback tone_stream://%(200,0,800)'",
    );
    await waitFor(() => h.model.presenceOf("u1004") === "on-call", "spy up");
    call.resume();
    await waitFor(() => h.model.presenceOf("u1004") === "available", "spy gone with the call");
    await waitFor(() => h.sim.liveChannels().length === 0, "no channels left");
    expect(h.model.activeCalls()).toEqual([]);
  });

  it("pickup: the picker intercepts the ringing call", async () => {
    const h = await harness();
    await pausedCall(h, "01", "ringing");
    await waitFor(() => h.model.presenceOf("u1002") === "ringing", "1002 ringing");
    const before = callOf(h, "u1001");
    const ringing = legOf(h, "u1002");
    const outcome = await h.driver.pickup({ pickerEndpoint: "sofia/internal/1003", targetLeg: ringing });
    expect(outcome.status).toBe("accepted");
    // intercept names the caller's A-leg, whose ringing B-leg it hangs up (trace 09).
    expect(commands(h, "bgapi originate")).toEqual([
      `bgapi originate {origination_caller_id_name=Pickup}user/1003@pbx.example.com &intercept(${legOf(h, "u1001")})`,
    ]);
    await waitFor(() => callOf(h, "u1003")?.state === "up", "picked-up call up");
    const after = callOf(h, "u1003");
    expect(after?.id).toBe(before?.id);
    expect(after?.legs.map((l) => l.user).sort()).toEqual(["u1001", "u1003"]);
    expect(h.model.presenceOf("u1002")).toBe("available");
    expect(h.model.presenceOf("u1003")).toBe("on-call");
    expect(h.model.activeCalls()).toHaveLength(1);
    expect(h.events.some((e) => e.type === "call.pickedUp" && e.target === ringing)).toBe(true);
  });

  it("parked pickup: valet_park on the occupied slot retrieves the parked caller", async () => {
    const h = await harness();
    expect(
      await h.driver.pickupParked({ pickerEndpoint: "sofia/internal/1003", lot: "default", space: "5901" }),
    ).toMatchObject({
      status: "refused",
      reason: "not-parked",
    });
    await pausedCall(h, "08", "parked");
    const parked = await waitFor(
      () => h.model.activeCalls().find((c) => c.state === "parked"),
      "parked call",
    );
    expect(parked.parked).toEqual({ lot: "default", space: "5901" });
    const outcome = await h.driver.pickupParked({
      pickerEndpoint: "sofia/internal/1004",
      lot: "default",
      space: "5901",
    });
    expect(outcome.status).toBe("accepted");
    expect(commands(h, "bgapi originate")).toEqual([
      "bgapi originate {origination_caller_id_name='Parked 5901'}user/1004@pbx.example.com '&valet_park(default 5901)'",
    ]);
    // The retriever's leg may be up on a call of its own for a moment before valet_park joins it to the
    // parked caller: wait for the end state rather than the first "up".
    await waitFor(() => {
      const c = callOf(h, "u1004");
      return c?.state === "up" && c.id === parked.id;
    }, "1004 up on the retrieved (parked) call");
    const call = callOf(h, "u1004");
    expect(call?.id).toBe(parked.id);
    expect(call?.parked).toBeUndefined();
    expect(call?.legs.map((l) => l.user ?? l.number).sort()).toEqual(["15551234567", "u1004"]);
    expect(h.sim.parkedCalls()).toEqual([]);
    expect(h.events.find((e) => e.type === "call.unparked")).toMatchObject({ outcome: "retrieved" });
  });

  it("send to IVR: the external party leaves the agent and goes to the IVR (uuid_transfer)", async () => {
    const h = await harness();
    await pausedCall(h, "05", "answered");
    const call = h.model.activeCalls()[0];
    const external = call?.legs.find((l) => l.external)?.leg ?? "";
    const outcome = await h.driver.sendToIvr({ leg: external, context: "default", exten: "5000" });
    expect(outcome).toEqual({ status: "accepted", detail: "+OK" });
    expect(commands(h, "api uuid_transfer")).toEqual([`api uuid_transfer ${external} 5000 XML default`]);
    await waitFor(() => h.model.presenceOf("u1002") === "available", "agent released");
    const after = h.model.call(PBX, call?.id ?? "");
    expect(after?.legs.map((l) => l.leg)).toEqual([external]);
    const ivr = h.sim.liveChannels().find((c) => c.uuid === external);
    expect(ivr?.application).toBe("playback");
  });

  it("start and stop recording (uuid_record, the file name carries the call id)", async () => {
    const h = await harness({}, { recordingDir: "/srv/rec" });
    await pausedCall(h, "05", "answered");
    const leg = legOf(h, "u1002");
    const callId = callOf(h, "u1002")?.id ?? "";
    expect(await h.driver.startRecording({ leg, callId, file: "segment-1.wav" })).toEqual({
      status: "accepted",
      detail: "Success",
    });
    const path = `/srv/rec/${callId}-segment-1.wav`;
    expect(commands(h, "api uuid_record")).toEqual([`api uuid_record ${leg} start ${path}`]);
    await waitFor(() => callOf(h, "u1002")?.recording, "recording on");
    expect(h.events.find((e) => e.type === "recording.started")).toMatchObject({ leg, file: path });
    expect(await h.driver.stopRecording({ leg })).toMatchObject({ status: "accepted" });
    expect(commands(h, "api uuid_record")[1]).toBe(`api uuid_record ${leg} stop ${path}`);
    await waitFor(() => callOf(h, "u1002")?.recording === false, "recording off");
    expect(callOf(h, "u1002")?.recorded).toBe(true);
  });

  it("the recording policy is written to FreeSWITCH's db, and again after a reconnect", async () => {
    const h = await harness();
    const outcome = await h.driver.publishRecordingPolicy({
      extensions: { "1001": "all", "1002": "external", "1003": "off" },
      beepSeconds: 15,
      beepByExtension: { "1002": 0 },
    });
    expect(outcome).toEqual({ status: "accepted", detail: "3 extensions" });
    const expected = new Map([
      ["callsight_recording/1001", "all"],
      ["callsight_recording/1002", "external"],
      ["callsight_recording/1003", "off"],
      ["callsight_config/recording_beep", "15"],
      ["callsight_recording_beep/1002", "0"],
      // The profiles whose legs are outside parties (`externalProfiles`, default `external`).
      ["callsight_external_profile/external", "true"],
    ]);
    expect(h.sim.db).toEqual(expected);
    await h.driver.publishRecordingPolicy({
      extensions: { "1001": "all", "1002": "external" },
      beepSeconds: 15,
    });
    expect(h.sim.db.has("callsight_recording/1003")).toBe(false);
    expect(h.sim.db.has("callsight_recording_beep/1002")).toBe(false);
    h.sim.db.clear();
    h.sim.dropConnections();
    await waitFor(
      () => h.sim.db.get("callsight_config/recording_beep") === "15",
      "policy rewritten after reconnect",
    );
    expect(h.sim.db.get("callsight_recording/1001")).toBe("all");
  });

  it("refuses unknown legs, reports FreeSWITCH's own error, fails when not connected", async () => {
    const h = await harness();
    expect(await h.driver.sendToIvr({ leg: "nope", context: "default", exten: "5000" })).toMatchObject({
      status: "refused",
      reason: "unknown-leg",
    });
    // A channel only the driver has seen (FreeSWITCH does not know it): FreeSWITCH's own error comes back.
    const ghost = "0badc0de-0000-4000-8000-000000000001";
    h.sim.injectRaw(
      (() => {
        const body = JSON.stringify({
          "Event-Name": "CHANNEL_CREATE",
          "Unique-ID": ghost,
          "Channel-Name": "sofia/internal/1001@127.0.0.1:5101",
          "Call-Direction": "inbound",
          "Channel-Call-UUID": ghost,
        });
        return `Content-Length: ${Buffer.byteLength(body)}\nContent-Type: text/event-json\n\n${body}`;
      })(),
    );
    await waitFor(() => h.driver.knowsLeg(ghost), "ghost channel");
    expect(await h.driver.sendToIvr({ leg: ghost, context: "default", exten: "5000" })).toEqual({
      status: "failed",
      message: "No such channel!",
    });
    expect(
      await h.driver.sendToIvr({ leg: ghost, context: "default", exten: "5000 XML x &hupall" }),
    ).toMatchObject({
      status: "refused",
      reason: "invalid-argument",
    });
    await h.driver.stop();
    expect(await h.driver.stopRecording({ leg: ghost })).toEqual({
      status: "failed",
      message: "ESL not connected",
    });
    // Not connected: kept and written when the connection is up again (not an error to warn about).
    expect(await h.driver.publishRecordingPolicy({ extensions: { "1001": "all" } })).toEqual({
      status: "accepted",
      detail: "kept; written to the FreeSWITCH db on connect",
    });
  });
});

describe("reconnect", () => {
  it("after FreeSWITCH drops the connection mid-call the model is right again: nothing lost or duplicated", async () => {
    const h = await harness();
    await pausedCall(h, "05", "answered");
    const internal = await pausedCall(h, "01", "answered", { "1001": "1003", "1002": "1004" });
    await waitFor(() => h.model.activeCalls().length === 2, "two calls");
    const kept = callOf(h, "u1002")?.id;
    const doomed = internal.channels()[0]?.uuid ?? "";

    h.sim.dropConnections();
    // While nobody is connected: one call ends and another starts (timeScale 0 replays at once).
    h.sim.hangup(doomed);
    h.sim.startCall("04", { pauseAt: "answered", timeScale: 0, extMap: { "1001": "1005" } });
    await waitFor(() => internal.finished, "internal call over");

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
    const liveLegs = new Set(h.sim.liveChannels().map((c) => c.uuid));
    expect(new Set(calls.flatMap((c) => c.legs.map((l) => l.leg)))).toEqual(liveLegs);
    // The live events after the reconnect continue the snapshot: the calls end cleanly, once each.
    h.sim.hangup(legOf(h, "u1005"));
    await waitFor(() => h.model.presenceOf("u1005") === "available", "third call ended");
    const endedIds = h.changes.flatMap((c) => (c.kind === "call-ended" ? [c.call.id] : []));
    expect(new Set(endedIds).size).toBe(endedIds.length);
    expect(h.model.counters.unknownLeg).toBe(0);
  });

  it("a command pending when the connection drops fails at once and is never sent again", async () => {
    const h = await harness();
    await pausedCall(h, "04", "answered");
    h.sim.holdCommands.add("originate");
    const pending = h.driver.monitor({
      supervisorEndpoint: "sofia/internal/1004",
      targetLeg: legOf(h, "u1001"),
      mode: "barge",
      beep: false,
    });
    await waitFor(() => commands(h, "bgapi originate").length === 1, "originate at FreeSWITCH");
    const dropped = Date.now();
    h.sim.dropConnections();
    expect(await pending).toEqual({ status: "failed", message: "ESL connection lost" });
    expect(Date.now() - dropped).toBeLessThan(500);
    h.sim.holdCommands.clear();
    await waitFor(() => h.driver.status().reconnects === 1 && h.driver.status().connected, "reconnected");
    await sleep(100);
    expect(commands(h, "bgapi originate")).toHaveLength(1);
    expect(h.sim.liveChannels().some((c) => c.application === "eavesdrop")).toBe(false);
  });

  it("a wrong password is a clear error, retried with growing spaced backoff (no tight loop)", async () => {
    const { logger, records } = capturingLogger("warn");
    const h = await harness(
      {},
      { secret: "wrong", logger, backoff: { initialMs: 40, maxMs: 160, random: () => 1 } },
      false,
    );
    const refused = () => records.filter((r) => r.err === "ESL auth failed: -ERR invalid");
    h.driver.start();
    // Five attempts (waits of ~40, 80, 160, 160 ms) show the growth up to the cap. Stop while the
    // driver waits between attempts: every auth seen has been answered and reported.
    await waitFor(
      () => refused().length >= 5 && refused().length === h.sim.authTimes.length,
      "five refused auths",
      3000,
    );
    await h.driver.stop();
    const times = h.sim.authTimes;
    expect(times.length).toBeGreaterThanOrEqual(5);
    expect(times.length).toBeLessThanOrEqual(10);
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
    for (const g of gaps) expect(g).toBeGreaterThanOrEqual(35);
    expect(gaps.slice(-2).every((g) => g >= 150)).toBe(true);
    const failures = refused();
    expect(failures.length).toBe(times.length);
    expect(h.driver.status()).toMatchObject({ connected: false, lastError: "ESL auth failed: -ERR invalid" });
  });

  it("even with a jitter that draws 0, a refused password waits at least the initial delay", async () => {
    const h = await harness(
      {},
      { secret: "wrong", backoff: { initialMs: 100, maxMs: 1000, random: () => 0 } },
      false,
    );
    h.driver.start();
    await sleep(450);
    await h.driver.stop();
    expect(h.sim.authTimes.length).toBeLessThanOrEqual(6);
  });
});

describe("malformed input", () => {
  it("garbage, a lying Content-Length, a body that is not JSON, a 1 MB header and an unknown event neither crash nor stall", async () => {
    const { logger, records } = capturingLogger("warn");
    const h = await harness({}, { logger });
    h.sim.injectRaw(Buffer.concat([Buffer.from([0, 255, 254, 1, 2, 3, 0x0a, 0x41]), Buffer.from("\n\n")]));
    h.sim.injectRaw('Content-Length: 12\nContent-Type: text/event-json\n\n{"Event-Name":"CHANNEL_CREATE"}');
    h.sim.injectRaw("Content-Length: 9\nContent-Type: text/event-json\n\n{not json");
    h.sim.injectRaw(`Content-Type: text/event-json\nX-Big: ${"a".repeat(1024 * 1024)}\n\n`);
    // The subscription names its CUSTOM subclasses; a FreeSWITCH that sends another one anyway:
    const custom = JSON.stringify({
      "Event-Subclass": "acme::fancy_thing",
      "Event-Name": "CUSTOM",
      foo: "bar",
    });
    h.sim.injectRaw(`Content-Length: ${custom.length}\nContent-Type: text/event-json\n\n${custom}`);
    h.sim.setPresence("1001", "away", "Away");
    await waitFor(() => h.model.presenceOf("u1001") === "away", "the valid event after the garbage");
    expect(h.driver.counters.malformed).toBeGreaterThanOrEqual(4);
    // Operators see it too: the status /healthz and /metrics read.
    expect(h.driver.status().malformedFrames).toBe(h.driver.counters.malformed);
    expect(h.driver.counters.unknownEvents).toEqual({ "CUSTOM::acme::fancy_thing": 1 });
    expect(h.driver.counters.sessions).toBe(1);
    expect(h.driver.status().connected).toBe(true);
    expect(records.filter((r) => r.msg === "malformed ESL frame skipped")).toHaveLength(1);

    // A frame cut off by the connection dropping: the next session starts clean.
    h.sim.injectRaw('Content-Length: 500\nContent-Type: text/event-json\n\n{"Event-Name":');
    await sleep(20);
    h.sim.dropConnections();
    await waitFor(() => h.driver.counters.sessions === 2 && h.driver.status().connected, "second session");
    h.sim.setPresence("1001", "unknown", "Available");
    await waitFor(() => h.model.presenceOf("u1001") === "available", "events flow on the new session");
  });
});

// The ARI driver against the simulated ARI server over real sockets: connect + resync, live events
// into a LiveModel, every operation and its failures, a dropped WebSocket mid-call, wrong
// credentials, malformed and unknown input.

import { afterEach, describe, expect, it } from "vitest";
import { AriServer } from "../../simulators/ari-server.js";
import type { CommandOutcome, LaterOutcome } from "../../src/pbx/driver.js";
import { capturingLogger, type Harness, harness, sleep, waitFor } from "./helpers.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const ended = (hh: Harness, id?: string) =>
  hh.changes.filter((c) => c.kind === "call-ended" && (id === undefined || c.call.id === id));

async function answeredCall(hh: Harness, scenario = "04-outbound-answered") {
  const call = hh.sim.startCall(scenario, { pauseAt: "answered", timeScale: 0.02 });
  await waitFor(() => call.paused, "call answered");
  const ids = call.channels().map((c) => c.id);
  await waitFor(() => ids.every((id) => hh.model.leg("pbx", id)?.state === "up"), "legs up in the model");
  return call;
}

/** What became of an accepted monitor command: the supervisor answered and joined, or why not. */
async function later(outcome: CommandOutcome): Promise<LaterOutcome | undefined> {
  expect(outcome.status).toBe("accepted");
  return outcome.status === "accepted" ? await outcome.later : undefined;
}

describe("connection and resync", () => {
  it("subscribes app + subscribeAll and resyncs a call that started before it connected", async () => {
    const sim = new AriServer({ commandTimeScale: 0.05 });
    await sim.start();
    const before = sim.startCall("05-inbound-answered", { pauseAt: "answered", timeScale: 0.02 });
    await waitFor(() => before.paused, "call answered");
    h = await harness({ server: sim });
    expect(sim.upgrades[0]).toBe("/ari/events?app=callsight&subscribeAll=true");
    const paths = sim.requestLog.map((r) => `${r.method} ${r.path}`);
    for (const p of [
      "GET /ari/channels",
      "GET /ari/bridges",
      "GET /ari/endpoints",
      "GET /ari/deviceStates",
    ]) {
      expect(paths).toContain(p);
    }
    expect(paths).toContain("GET /ari/deviceStates/Custom%3ADND1002");
    const snapshot = h.events[0];
    expect(snapshot?.type).toBe("pbx.snapshot");
    const legs = snapshot?.type === "pbx.snapshot" ? snapshot.legs : [];
    expect(legs).toHaveLength(2);
    expect(new Set(legs.map((l) => l.callId)).size).toBe(1);
    expect(legs.every((l) => l.state === "up" && l.bridge !== undefined)).toBe(true);
    expect(h.events[1]).toMatchObject({ type: "pbx.connection", state: "up" });
    const [call] = h.model.activeCalls();
    expect(call).toMatchObject({ direction: "inbound", state: "up", answered: true });
    expect(call?.parties.map((p) => p.user ?? p.number)).toEqual(["15551234567", "u1002"]);
    expect(h.model.presenceOf("u1002")).toBe("on-call");
    before.resume();
    await waitFor(() => ended(h!).length === 1, "call ended");
    expect(h.model.activeCalls()).toEqual([]);
    expect(h.model.presenceOf("u1002")).toBe("available");
  });

  it("feeds many simultaneous calls to the model, each ended exactly once", async () => {
    h = await harness();
    const traffic = h.sim.startTraffic({ rate: 200, concurrency: 25, total: 40, timeScale: 0.02 });
    await traffic.done;
    await waitFor(() => ended(h!).length >= 40, "40 calls ended", 5000);
    await sleep(50);
    const ids = ended(h).map((c) => (c.kind === "call-ended" ? c.call.id : ""));
    expect(ids).toHaveLength(40);
    expect(new Set(ids).size).toBe(40);
    expect(h.model.activeCalls()).toEqual([]);
    for (const p of h.model.allPresence().values()) expect(p).toBe("available");
    expect(h.driver.counters.malformed).toBe(0);
    expect(h.driver.counters.unknownEvents).toEqual({});
  }, 15_000); // above the 5 s wait for the calls to end
});

describe("operations", () => {
  for (const [mode, whisper] of [
    ["listen", "none"],
    ["whisper", "out"],
    ["barge", "both"],
  ] as const) {
    it(`${mode}: snoop spy=both whisper=${whisper} bridged with the supervisor, a session on the call`, async () => {
      h = await harness();
      const call = await answeredCall(h);
      const target = call.channels().find((c) => c.name.startsWith("PJSIP/1001"))!;
      const outcome = await h.driver.monitor({
        supervisorEndpoint: "PJSIP/1004",
        targetLeg: target.id,
        mode,
        beep: false,
        callerId: '"Supervisor" <1004>',
      });
      expect(outcome).toMatchObject({ status: "accepted" });
      const snoop = h.sim.requestLog.find((r) => r.path.endsWith("/snoop"));
      expect(snoop?.query).toMatchObject({ spy: "both", whisper, app: "callsight" });
      const origin = h.sim.requestLog.find((r) => r.method === "POST" && r.path === "/ari/channels");
      expect(origin?.query).toMatchObject({ endpoint: "PJSIP/1004", app: "callsight" });
      await waitFor(() => h!.model.activeCalls()[0]?.monitoring.length === 1, "session in the model");
      const [view] = h.model.activeCalls();
      expect(view?.monitoring[0]).toMatchObject({ by: "u1004", target: "u1001", mode });
      expect(view?.parties.map((p) => p.user ?? p.number)).toEqual(["u1001", "17778732492"]);
      expect(h.model.presenceOf("u1004")).toBe("on-call");
      // The supervisor hangs up: the session ends, the snoop and the bridge are cleaned up.
      const sup = outcome.status === "accepted" ? (outcome.leg as string) : "";
      h.sim.hangup(sup);
      await waitFor(() => h!.model.activeCalls()[0]?.monitoring[0]?.endedAt !== undefined, "session ended");
      await waitFor(
        () =>
          !h!.sim.liveChannels().some((c) => c.name.startsWith("Snoop/")) &&
          h!.sim.liveBridges().length === 1,
        "snoop and bridge gone",
      );
      expect(h.model.presenceOf("u1004")).toBe("available");
      call.resume();
      await waitFor(() => ended(h!).length === 1, "call ended");
    });
  }

  it("monitor: the supervisor leaves when the monitored call ends (ChanSpy E)", async () => {
    h = await harness();
    const call = await answeredCall(h);
    const target = call.channels().find((c) => c.name.startsWith("PJSIP/1001"))!;
    const outcome = await h.driver.monitor({
      supervisorEndpoint: "PJSIP/1005",
      targetLeg: target.id,
      mode: "listen",
      beep: true,
    });
    expect(await later(outcome)).toMatchObject({ result: "joined" });
    expect(h.sim.requestLog.some((r) => r.path.endsWith("/play") && r.query.media === "sound:beep")).toBe(
      true,
    );
    call.resume();
    await waitFor(
      () => !h!.sim.liveChannels().some((c) => c.name.startsWith("PJSIP/1005")),
      "supervisor hung up",
    );
    await waitFor(() => h!.model.presenceOf("u1005") === "available", "supervisor available");
    expect(h.sim.liveBridges()).toEqual([]);
  });

  it("monitor: clear failures (call gone, call ended while ringing the supervisor, no answer)", async () => {
    h = await harness();
    const call = await answeredCall(h);
    const target = call.channels().find((c) => c.name.startsWith("PJSIP/1001"))!;
    const trunk = call.channels().find((c) => c.name.startsWith("PJSIP/carrier"))!;

    h.sim.ringTime.set("PJSIP/1006", "never");
    const noAnswer = await h.driver.monitor({
      supervisorEndpoint: "PJSIP/1006",
      targetLeg: trunk.id,
      mode: "listen",
      beep: false,
    });
    // Accepted (Asterisk took it): the HTTP reply does not wait for the phone; what became of it follows.
    expect(await later(noAnswer)).toEqual({
      result: "refused",
      message: "PJSIP/1006 did not answer (or hung up) before joining",
    });

    h.sim.ringTime.set("PJSIP/1004", "never");
    const pending = h.driver.monitor({
      supervisorEndpoint: "PJSIP/1004",
      targetLeg: target.id,
      mode: "barge",
      beep: false,
    });
    await waitFor(
      () => h!.sim.liveChannels().some((c) => c.name.startsWith("PJSIP/1004")),
      "supervisor ringing",
    );
    call.resume();
    expect(await later(await pending)).toEqual({
      result: "refused",
      message: "the call ended before the supervisor answered",
    });
    await waitFor(
      () => h!.sim.liveChannels().length === 0 && h!.sim.liveBridges().length === 0,
      "all cleaned up",
    );

    const again = await answeredCall(h, "05-inbound-answered");
    const gone = again.channels()[0]!;
    h.sim.vanish(gone.id);
    const ended404 = await h.driver.monitor({
      supervisorEndpoint: "PJSIP/1004",
      targetLeg: gone.id,
      mode: "listen",
      beep: false,
    });
    expect(ended404).toEqual({
      status: "failed",
      message: "the call has ended: there is nothing to listen to (ARI 404 Channel not found)",
    });
    expect(
      await h.driver.monitor({
        supervisorEndpoint: "PJSIP/1004",
        targetLeg: "nope",
        mode: "listen",
        beep: false,
      }),
    ).toMatchObject({
      status: "refused",
      reason: "unknown-leg",
    });
  });

  it("pickup: the picker is originated into the dialplan and takes the ringing call over", async () => {
    h = await harness();
    const call = h.sim.startCall("01-internal-answered", { pauseAt: "ringing", timeScale: 0.02 });
    await waitFor(() => call.paused, "ringing");
    const ringing = call.channels().find((c) => c.name.startsWith("PJSIP/1002"))!;
    await waitFor(() => h!.model.presenceOf("u1002") === "ringing", "1002 ringing");
    const outcome = await h.driver.pickup({ pickerEndpoint: "PJSIP/1003", targetLeg: ringing.id });
    expect(outcome).toMatchObject({ status: "accepted" });
    const origin = h.sim.requestLog.find((r) => r.method === "POST" && r.path === "/ari/channels");
    expect(origin?.query).toMatchObject({
      endpoint: "PJSIP/1003",
      extension: "pickup",
      context: "callsight-ari",
    });
    expect(origin?.body).toEqual({ variables: { CALLSIGHT_TARGET: ringing.name } });
    await waitFor(() => h!.model.presenceOf("u1003") === "on-call", "picker on the call");
    expect(h.model.activeCalls()).toHaveLength(1);
    expect(h.model.activeCalls()[0]?.parties.map((p) => p.user)).toEqual(["u1001", "u1002", "u1003"]);
    expect(h.model.presenceOf("u1002")).toBe("available");
    await waitFor(() => ended(h!).length === 1, "call ended");
    expect(ended(h)[0]).toMatchObject({ call: { answered: true, direction: "internal" } });
  });

  it("pickup: refuses a call that is no longer ringing", async () => {
    h = await harness();
    const call = await answeredCall(h, "01-internal-answered");
    const callee = call.channels().find((c) => c.name.startsWith("PJSIP/1002"))!;
    expect(await h.driver.pickup({ pickerEndpoint: "PJSIP/1003", targetLeg: callee.id })).toEqual({
      status: "failed",
      message: "the call was already answered",
    });
    h.sim.vanish(callee.id);
    expect(await h.driver.pickup({ pickerEndpoint: "PJSIP/1003", targetLeg: callee.id })).toEqual({
      status: "failed",
      message:
        "the call is no longer ringing: it was answered elsewhere or hung up (ARI 404 Channel not found)",
    });
  });

  it("parked pickup: originated into ParkedCall, the parked caller joins the picker", async () => {
    h = await harness();
    const call = h.sim.startCall("08-park-and-retrieve", { pauseAt: "parked", timeScale: 0.02 });
    await waitFor(() => call.paused, "parked");
    await waitFor(() => h!.model.activeCalls()[0]?.state === "parked", "call parked in the model");
    const parked = h.model.activeCalls()[0]!.parked!;
    expect(parked).toEqual({ lot: "default", space: "701" });
    const outcome = await h.driver.pickupParked({
      pickerEndpoint: "PJSIP/1005",
      lot: parked.lot,
      space: parked.space,
    });
    expect(outcome).toMatchObject({ status: "accepted" });
    const origin = h.sim.requestLog.find((r) => r.method === "POST" && r.path === "/ari/channels");
    expect(origin?.body).toEqual({ variables: { CALLSIGHT_LOT: "default", CALLSIGHT_SPACE: "701" } });
    await waitFor(() => h!.model.activeCalls()[0]?.state === "up", "retrieved");
    expect(h.model.activeCalls()[0]?.parties.map((p) => p.user ?? p.number)).toEqual([
      "15551234567",
      "u1002",
      "u1005",
    ]);
    expect(h.model.presenceOf("u1005")).toBe("on-call");
    expect(
      await h.driver.pickupParked({ pickerEndpoint: "PJSIP/1005", lot: "default", space: "" }),
    ).toMatchObject({
      status: "refused",
      reason: "unknown-space",
    });
  });

  it("send to IVR: refused without the AMI companion, `continue` for a channel in Callsight's app", async () => {
    h = await harness();
    const call = await answeredCall(h, "05-inbound-answered");
    const trunk = call.channels().find((c) => c.name.startsWith("PJSIP/carrier"))!;
    const refused = await h.driver.sendToIvr({ leg: trunk.id, context: "ivr", exten: "s" });
    expect(refused).toMatchObject({ status: "refused", reason: "needs-ami-companion" });
    expect(refused.status === "refused" && refused.message).toMatch(/continue answers 409.*AMI Redirect/);
    const sup = await h.driver.monitor({
      supervisorEndpoint: "PJSIP/1004",
      targetLeg: trunk.id,
      mode: "listen",
      beep: false,
    });
    expect(await later(sup)).toMatchObject({ result: "joined" });
    const supLeg = sup.status === "accepted" ? (sup.leg as string) : "";
    expect(await h.driver.sendToIvr({ leg: supLeg, context: "ivr", exten: "s" })).toEqual({
      status: "accepted",
      detail: "continued to s@ivr",
    });
    expect(h.sim.requestLog.find((r) => r.path.endsWith("/continue"))?.query).toEqual({
      context: "ivr",
      extension: "s",
      priority: "1",
    });
  });

  it("recording: snoop + record named like the AMI driver's files, then stop", async () => {
    h = await harness();
    const call = await answeredCall(h, "05-inbound-answered");
    const trunk = call.channels().find((c) => c.name.startsWith("PJSIP/carrier"))!;
    const callId = h.model.activeCalls()[0]!.id;
    const file = `callsight-${callId}-${trunk.id}-1795373600000.wav`;
    const started = await h.driver.startRecording({ leg: trunk.id, callId, file });
    expect(started).toEqual({ status: "accepted", leg: trunk.id, detail: `recording ${file}` });
    const record = h.sim.requestLog.find((r) => r.path.endsWith("/record"));
    expect(record?.query).toMatchObject({ name: file.slice(0, -4), format: "wav", ifExists: "fail" });
    await waitFor(() => h!.model.activeCalls()[0]?.recording === true, "recording in the model");
    const rec = h.events.find((e) => e.type === "recording.started");
    expect(rec).toMatchObject({ leg: trunk.id, file });
    expect(await h.driver.startRecording({ leg: trunk.id, callId, file })).toMatchObject({
      status: "failed",
    });
    expect(await h.driver.stopRecording({ leg: trunk.id })).toMatchObject({ status: "accepted" });
    await waitFor(() => h!.model.activeCalls()[0]?.recording === false, "stopped in the model");
    expect(h.model.activeCalls()[0]?.recorded).toBe(true);
    await waitFor(() => !h!.sim.liveChannels().some((c) => c.name.startsWith("Snoop/")), "snoop gone");
    const notRecording = await h.driver.stopRecording({ leg: trunk.id });
    expect(notRecording).toMatchObject({ status: "refused", reason: "not-recording" });
    expect(notRecording.status === "refused" && notRecording.message).toMatch(/AMI companion/);
    h.sim.vanish(trunk.id);
    expect(await h.driver.startRecording({ leg: trunk.id, callId, file: "x.wav" })).toEqual({
      status: "failed",
      message: "the call has ended: there is nothing to record (ARI 404 Channel not found)",
    });
  });

  it("recording policy: AstDB is not reachable through ARI", async () => {
    h = await harness();
    const outcome = await h.driver.publishRecordingPolicy({ extensions: { "1001": "all" } });
    expect(outcome.status).toBe("failed");
    expect(outcome.status === "failed" && outcome.message).toMatch(/AstDB through ARI.*companion/);
  });

  it("commands fail clearly while ARI is not connected", async () => {
    h = await harness({ start: false });
    expect(await h.driver.pickup({ pickerEndpoint: "PJSIP/1003", targetLeg: "x" })).toEqual({
      status: "failed",
      message: "ARI not connected",
    });
    expect(h.driver.endpointForExtension("1001")).toBe("PJSIP/1001");
  });
});

describe("failures", () => {
  it("recovers a dropped WebSocket mid-call by resync: nothing lost, nothing duplicated", async () => {
    h = await harness({ driver: { backoff: { initialMs: 300, maxMs: 300, random: () => 0.999 } } });
    const a = await answeredCall(h, "05-inbound-answered");
    const aId = h.model.activeCalls()[0]!.id;
    h.sim.dropConnections();
    await waitFor(() => !h!.driver.status().connected, "down");
    // While Callsight is away: call A ends, call B starts and is answered.
    a.resume();
    await a.done;
    const b = h.sim.startCall("01-internal-answered", { pauseAt: "answered", timeScale: 0.02 });
    await waitFor(() => b.paused, "B answered");
    expect(h.model.activeCalls().map((c) => c.id)).toEqual([aId]);
    await waitFor(() => h!.driver.status().connected, "reconnected", 3000);
    await waitFor(() => ended(h!, aId).length === 1, "A ended by the resync");
    const [bView] = h.model.activeCalls();
    expect(bView).toMatchObject({ direction: "internal", state: "up" });
    expect(bView?.parties.map((p) => p.user)).toEqual(["u1001", "u1002"]);
    b.resume();
    await waitFor(() => ended(h!, bView!.id).length === 1, "B ended live");
    await sleep(50);
    expect(ended(h)).toHaveLength(2);
    const created = h.events
      .filter((e) => e.type === "leg.created")
      .map((e) => (e.type === "leg.created" ? e.leg : ""));
    expect(new Set(created).size).toBe(created.length);
    expect(
      h.events.filter((e) => e.type === "pbx.connection").map((e) => e.type === "pbx.connection" && e.state),
    ).toEqual(["up", "down", "up"]);
    expect(h.driver.status()).toMatchObject({ connected: true, reconnects: 1 });
    expect(h.model.counters.unknownLeg).toBe(0);
  });

  it("keeps Callsight's own monitoring and recording sessions across a reconnect", async () => {
    h = await harness();
    const call = await answeredCall(h, "05-inbound-answered");
    const trunk = call.channels().find((c) => c.name.startsWith("PJSIP/carrier"))!;
    const sup = await h.driver.monitor({
      supervisorEndpoint: "PJSIP/1004",
      targetLeg: trunk.id,
      mode: "listen",
      beep: false,
    });
    expect(await later(sup)).toMatchObject({ result: "joined" });
    const rec = await h.driver.startRecording({ leg: trunk.id, callId: "c", file: "callsight-c-l-1.wav" });
    expect([sup.status, rec.status]).toEqual(["accepted", "accepted"]);
    h.sim.dropConnections();
    await waitFor(() => !h!.driver.status().connected, "down");
    await waitFor(() => h!.driver.status().connected, "back");
    await waitFor(() => h!.model.activeCalls()[0]?.monitoring.length === 1, "session still shown");
    expect(await h.driver.stopRecording({ leg: trunk.id })).toMatchObject({ status: "accepted" });
    h.sim.hangup(sup.status === "accepted" ? (sup.leg as string) : "");
    await waitFor(
      () =>
        !h!.sim.liveChannels().some((c) => c.name.startsWith("Snoop/")) && h!.sim.liveBridges().length === 1,
      "snoops and the monitoring bridge cleaned up",
    );
    expect(h.model.activeCalls()[0]?.monitoring[0]?.endedAt).toBeDefined();
  });

  it("wrong credentials: a clear error and retries spaced by the backoff, never giving up", async () => {
    const { logger, records } = capturingLogger();
    h = await harness({
      start: false,
      logger,
      driver: { secret: "wrong", backoff: { initialMs: 120, maxMs: 120, random: () => 0.999 } },
    });
    h.driver.start();
    await waitFor(() => h!.sim.connectTimes.length >= 4, "four attempts", 3000);
    const status = h.driver.status();
    expect(status.connected).toBe(false);
    expect(status.lastError).toMatch(
      /ARI login failed at 127\.0\.0\.1:\d+: 401 Unauthorized \(check the ARI username and secret/,
    );
    const t = h.sim.connectTimes;
    for (let i = 1; i < t.length; i++) expect(t[i]! - t[i - 1]!).toBeGreaterThanOrEqual(100);
    expect(records.some((r) => r.msg === "ARI session failed" && /401/.test(String(r.err)))).toBe(true);
    expect(h.sim.stats().authFailures).toBeGreaterThanOrEqual(4);
  });

  it("survives malformed JSON and unknown event types, logging a sample once", async () => {
    const { logger, records } = capturingLogger();
    h = await harness({ logger });
    h.sim.injectRaw("{this is not json");
    h.sim.injectRaw("[1,2,3]");
    h.sim.emitEvent({ type: "ChannelToneDetected2", channel: { id: "x", name: "PJSIP/1001-1" } });
    h.sim.emitEvent({ type: "ChannelToneDetected2" });
    const call = h.sim.startCall("01-internal-answered", { timeScale: 0.02 });
    await call.done;
    await waitFor(() => ended(h!).length === 1, "call still tracked");
    expect(h.driver.counters.malformed).toBe(2);
    expect(h.driver.counters.unknownEvents).toEqual({ ChannelToneDetected2: 2 });
    const warn = records.filter((r) => r.msg === "malformed ARI message skipped" && r.level === 40);
    expect(warn).toHaveLength(1);
    expect(warn[0]?.sample).toBe("{this is not json");
    expect(h.driver.status().connected).toBe(true);
  });

  it("says at start-up which features are degraded without an AMI companion", async () => {
    const { logger, records } = capturingLogger();
    h = await harness({ logger });
    const degraded = h.driver.degradedFeatures();
    expect(degraded.length).toBeGreaterThanOrEqual(5);
    expect(degraded.join("\n")).toMatch(/Presence state/);
    expect(degraded.join("\n")).toMatch(/Send a call to the IVR/);
    const line = records.find(
      (r) => typeof r.msg === "string" && r.msg.startsWith("ARI without an AMI companion"),
    );
    expect(line?.level).toBe(40);
    expect(line?.degraded).toEqual(degraded);
  });
});

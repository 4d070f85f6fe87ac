// Dialplan MixMonitors reported by the AMI companion on ARI's legs. The outbound dialplan starts
// MixMonitor in Dial's pre-dial handler `b(...)`: on the trunk channel Dial() just created, after ARI's
// ChannelCreated but before ARI's `Dial` event, while the ARI translator still holds that channel back.
// The companion's recording.started must reach the model after the leg's leg.created (the model
// ignores facts about legs it does not know), or the policy enforcer sees an unrecorded call and starts
// a second MixMonitor whose file nobody ever finalizes.

import { afterEach, describe, expect, it, vi } from "vitest";
import { AmiSimulator } from "../../simulators/ami-simulator.js";
import type { Fields } from "../../simulators/ami-trace.js";
import type { AriSimCall } from "../../simulators/ari-server.js";
import type { PbxEvent } from "../../src/domain/events.js";
import { type Harness, harness, waitFor } from "./helpers.js";

let h: Harness | undefined;
let ami: AmiSimulator | undefined;
afterEach(async () => {
  await h?.close();
  await ami?.stop();
  h = undefined;
  ami = undefined;
});

async function withCompanion(): Promise<{ h: Harness; ami: AmiSimulator }> {
  ami = new AmiSimulator({ commandTimeScale: 0.05 });
  await ami.start();
  h = await harness({
    driver: {
      companion: { port: ami.port, username: "callsight", secret: "callsight" },
      companionHoldMs: 2000,
    },
  });
  await waitFor(() => h!.driver.companionStatus()?.connected, "companion connected");
  return { h, ami };
}

/** Index of trace 04's first `Dial` event: the trunk channel exists on ARI, its caller is not named yet. */
const BEFORE_TRUNK_DIAL = 24;

/** The AMI frames of a MixMonitor started on the channel (VarSet MIXMONITOR_FILENAME, MixMonitorStart). */
function mixMonitorFrames(channel: { id: string; name: string }, linkedid: string, file: string): Fields[] {
  const ch: Fields = [
    ["Channel", channel.name],
    ["ChannelState", "0"],
    ["ChannelStateDesc", "Down"],
    ["CallerIDNum", "17778732492"],
    ["Exten", "s"],
    ["Context", "from-carrier"],
    ["Uniqueid", channel.id],
    ["Linkedid", linkedid],
  ];
  return [
    [["Event", "Newchannel"], ["Privilege", "call,all"], ["Timestamp", ""], ...ch],
    [
      ["Event", "VarSet"],
      ["Privilege", "dialplan,all"],
      ["Timestamp", ""],
      ...ch,
      ["Variable", "MIXMONITOR_FILENAME"],
      ["Value", file],
    ],
    [["Event", "MixMonitorStart"], ["Privilege", "call,all"], ["Timestamp", ""], ...ch],
  ];
}

/** Every event AMI has sent so far has been handed to the driver: a presence change behind them shows. */
async function companionCaughtUp(hh: Harness, sim: AmiSimulator, marker: string): Promise<void> {
  sim.setPresence("1003", "away", "", marker);
  await waitFor(
    () => hh.events.some((e) => e.type === "presence.state" && e.message === marker),
    "the companion's marker",
  );
}

function trunkOf(call: AriSimCall) {
  const trunk = call.channels().find((c) => c.name.startsWith("PJSIP/carrier"));
  if (!trunk) throw new Error("no trunk channel");
  return trunk;
}

const indexOf = (events: PbxEvent[], type: PbxEvent["type"], leg: string) =>
  events.findIndex((e) => e.type === type && "leg" in e && e.leg === leg);

describe("ARI + AMI companion: dialplan MixMonitor on a dialled trunk channel", () => {
  it("a pre-dial MixMonitor reaches the model as the trunk leg's recording, after its leg.created", async () => {
    const { h, ami } = await withCompanion();
    const call = h.sim.startCall("04-outbound-answered", { pauseAt: BEFORE_TRUNK_DIAL, timeScale: 0.02 });
    await waitFor(() => call.paused, "trunk channel created, Dial not yet sent");
    const trunk = trunkOf(call);
    const caller = call.channels().find((c) => c.name.startsWith("PJSIP/1001"))!;
    const file = `/var/spool/asterisk/monitor/${caller.id}-1001-${trunk.id}.wav`;
    for (const f of mixMonitorFrames(trunk, caller.id, file)) ami.emitEvent(f);
    await companionCaughtUp(h, ami, "after the pre-dial MixMonitor");
    // ARI has not announced the trunk leg yet: nothing about it may have reached the model.
    expect(indexOf(h.events, "recording.started", trunk.id)).toBe(-1);
    call.resume();
    h.sim.pause(call, "answered");
    await waitFor(() => call.paused, "answered");
    await vi.waitFor(
      () => {
        expect(h.model.leg("pbx", trunk.id)?.recording).toBe(true);
        expect(h.model.activeCalls()[0]?.recording).toBe(true);
      },
      { timeout: 3000, interval: 20 },
    );
    const created = indexOf(h.events, "leg.created", trunk.id);
    const started = indexOf(h.events, "recording.started", trunk.id);
    expect(created).toBeGreaterThanOrEqual(0);
    expect(started).toBeGreaterThan(created);
    expect(h.events[started]).toMatchObject({ type: "recording.started", leg: trunk.id, file });
    expect(h.events.filter((e) => e.type === "recording.started")).toHaveLength(1);
    call.resume();
    await waitFor(() => call.finished, "call over");
    await waitFor(() => h.model.activeCalls().length === 0, "call ended in the model");
  });

  it("does not start a second MixMonitor on a leg a dialplan MixMonitor already records", async () => {
    const { h, ami } = await withCompanion();
    const call = h.sim.startCall("04-outbound-answered", { pauseAt: BEFORE_TRUNK_DIAL, timeScale: 0.02 });
    await waitFor(() => call.paused, "trunk channel created");
    const trunk = trunkOf(call);
    const caller = call.channels().find((c) => c.name.startsWith("PJSIP/1001"))!;
    const file = `/var/spool/asterisk/monitor/${caller.id}-1001-${trunk.id}.wav`;
    for (const f of mixMonitorFrames(trunk, caller.id, file)) ami.emitEvent(f);
    await companionCaughtUp(h, ami, "after the pre-dial MixMonitor");
    call.resume();
    h.sim.pause(call, "answered");
    await waitFor(() => call.paused && h.model.leg("pbx", trunk.id)?.state === "up", "answered");
    const before = h.events.filter((e) => e.type === "recording.started").length;
    const outcome = await h.driver.startRecording({
      leg: trunk.id,
      callId: caller.id,
      file: `${caller.id}-1001-repair-1.wav`,
    });
    expect(outcome).toMatchObject({ status: "refused", reason: "already-recording" });
    expect(outcome.status === "refused" && outcome.message).toContain(file);
    expect(ami.actionLog.some((a) => a.action.toLowerCase() === "mixmonitor")).toBe(false);
    // The running recording is told again, so a model that missed it catches up; it stays one recording.
    await waitFor(
      () => h!.events.filter((e) => e.type === "recording.started").length > before,
      "the running recording told again",
    );
    expect(h.model.leg("pbx", trunk.id)?.recording).toBe(true);
    call.resume();
    await waitFor(() => call.finished, "call over");
  });

  it("a MixMonitorStart that arrives after ARI saw the leg hang up is followed by its stop", async () => {
    const { h, ami } = await withCompanion();
    const call = h.sim.startCall("04-outbound-answered", { timeScale: 0.02 });
    await waitFor(() => call.channels().some((c) => c.name.startsWith("PJSIP/carrier")), "trunk created");
    const trunk = trunkOf(call);
    const caller = call.channels().find((c) => c.name.startsWith("PJSIP/1001"))!;
    await call.done;
    await waitFor(() => indexOf(h!.events, "leg.hangup", trunk.id) >= 0, "trunk hung up");
    const file = `/var/spool/asterisk/monitor/${caller.id}-1001-${trunk.id}.wav`;
    for (const f of mixMonitorFrames(trunk, caller.id, file)) ami.emitEvent(f);
    await companionCaughtUp(h, ami, "after the late MixMonitorStart");
    const started = indexOf(h.events, "recording.started", trunk.id);
    const stopped = indexOf(h.events, "recording.stopped", trunk.id);
    expect(started).toBeGreaterThan(indexOf(h.events, "leg.hangup", trunk.id));
    // The leg is gone, and its MixMonitor with it: the stop follows at once, so the file is finalized.
    expect(stopped).toBeGreaterThan(started);
    expect(h.events[stopped]).toMatchObject({ type: "recording.stopped", leg: trunk.id, file });
  });
});

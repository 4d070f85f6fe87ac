// AriTranslator and readAriTrace on hand-made events: what ARI spreads over several events or leaves
// out, unknown and malformed input, and the options an AMI companion turns off.

import { describe, expect, it } from "vitest";
import type { PbxEvent } from "../../src/domain/events.js";
import { readAriTrace } from "../../src/pbx/asterisk-ari/trace.js";
import {
  AriTranslator,
  monitorBridgeName,
  parseMonitorBridgeName,
  snoopTarget,
} from "../../src/pbx/asterisk-ari/translate.js";
import type { AriBridge, AriChannel, AriEvent } from "../../src/pbx/asterisk-ari/types.js";
import { ariTime } from "../../src/pbx/asterisk-ari/types.js";
import { EndpointClassifier } from "../../src/pbx/endpoints.js";

const T = "2026-11-22T18:49:58.541+0000";

function ch(id: string, name: string, state = "Up", extra: Partial<AriChannel> = {}): AriChannel {
  const resource = name.slice(name.indexOf("/") + 1).replace(/-[0-9a-f]+(;\d)?$/, "");
  return {
    id,
    name,
    state,
    caller: { name: "", number: resource },
    connected: { name: "", number: "" },
    dialplan: { context: "internal", exten: "s", priority: 1, app_name: "", app_data: "" },
    creationtime: T,
    ...extra,
  };
}

function bridge(id: string, channels: string[], extra: Partial<AriBridge> = {}): AriBridge {
  return {
    id,
    technology: "simple_bridge",
    bridge_type: "mixing",
    bridge_class: "basic",
    name: "",
    channels,
    ...extra,
  };
}

function run(events: AriEvent[], t = new AriTranslator("pbx")): PbxEvent[] {
  const out: PbxEvent[] = [];
  for (const e of events) out.push(...t.translate({ timestamp: T, ...e }));
  return out;
}

const strip = (events: PbxEvent[]) => events.map(({ pbx: _p, at: _a, ...rest }) => rest);

describe("AriTranslator", () => {
  it("parses Asterisk's timestamps (+0000) and names snoop and monitor channels", () => {
    expect(ariTime(T)).toBe(Date.UTC(2026, 10, 22, 18, 49, 58, 541));
    expect(ariTime("nonsense")).toBeUndefined();
    expect(snoopTarget("Snoop/1795373507.102-00000003")).toBe("1795373507.102");
    expect(parseMonitorBridgeName(monitorBridgeName("whisper", "1.2"))).toEqual({
      mode: "whisper",
      target: "1.2",
    });
    expect(parseMonitorBridgeName("callsight-monitor:shout:1.2")).toBeUndefined();
  });

  it("holds a Dial-created channel back until Dial names its caller, so it joins the caller's call", () => {
    const caller = ch("1.1", "PJSIP/1001-00000001", "Ring", {
      dialplan: { context: "internal", exten: "1002", priority: 2, app_name: "Dial", app_data: "PJSIP/1002" },
    });
    const callee = ch("1.2", "PJSIP/1002-00000002", "Down");
    const out = run([
      { type: "ChannelCreated", channel: caller },
      { type: "ChannelCreated", channel: callee },
      { type: "ChannelDialplan", channel: { ...callee, dialplan: { app_name: "AppDial" } } },
      { type: "Dial", caller, peer: callee, dialstring: "1002", dialstatus: "" },
      { type: "ChannelStateChange", channel: { ...callee, state: "Ringing" } },
      { type: "Dial", caller, peer: { ...callee, state: "Ringing" }, dialstatus: "RINGING" },
      { type: "ChannelStateChange", channel: { ...callee, state: "Up" } },
      { type: "Dial", caller, peer: { ...callee, state: "Up" }, dialstatus: "ANSWER" },
    ]);
    expect(strip(out)).toEqual([
      expect.objectContaining({
        type: "leg.created",
        leg: "1.1",
        callId: "1.1",
        outgoing: false,
        dialled: "1002",
      }),
      expect.objectContaining({
        type: "leg.created",
        leg: "1.2",
        callId: "1.1",
        outgoing: true,
        number: "1002",
      }),
      { type: "dial.started", caller: "1.1", callee: "1.2", dialString: "1002" },
      { type: "leg.ringing", leg: "1.2" },
      { type: "leg.answered", leg: "1.2" },
      { type: "dial.ended", caller: "1.1", callee: "1.2", status: "answered" },
    ]);
  });

  it("announces a held-back channel that never got its Dial before its end", () => {
    const lone = ch("1.9", "PJSIP/1003-00000009", "Down");
    const out = run([
      { type: "ChannelCreated", channel: lone },
      { type: "ChannelDestroyed", channel: lone, cause: 20, cause_txt: "Subscriber absent" },
    ]);
    expect(strip(out).map((e) => e.type)).toEqual(["leg.created", "leg.hangup"]);
  });

  it("learns an outbound trunk leg's number from its caller id or the dial string", () => {
    const caller = ch("2.1", "PJSIP/1001-00000001", "Ring");
    const trunk = ch("2.2", "PJSIP/carrier-00000002", "Down", { caller: { name: "", number: "" } });
    const out = run([
      { type: "ChannelCreated", channel: caller },
      { type: "ChannelCreated", channel: trunk },
      { type: "Dial", caller, peer: trunk, dialstring: "17778732492@carrier", dialstatus: "" },
      { type: "ChannelCallerId", channel: { ...trunk, caller: { name: "", number: "17778732499" } } },
    ]);
    expect(strip(out).filter((e) => e.type === "leg.identity")).toEqual([
      { type: "leg.identity", leg: "2.2", number: "17778732492" },
      { type: "leg.identity", leg: "2.2", number: "17778732499" },
    ]);
  });

  it("re-homes every member of a bridge into the oldest call among them", () => {
    const t = new AriTranslator("pbx");
    const a = ch("3.1", "PJSIP/1001-00000001", "Up");
    const b = ch("3.5", "PJSIP/1003-00000005", "Up");
    const early = { timestamp: "2026-11-22T18:49:50.000+0000" };
    t.translate({ ...early, type: "ChannelCreated", channel: a });
    const out = run(
      [
        { type: "ChannelCreated", channel: b },
        { type: "ChannelEnteredBridge", bridge: bridge("br", ["3.5"]), channel: b },
        { type: "ChannelEnteredBridge", bridge: bridge("br", ["3.5", "3.1"]), channel: a },
      ],
      t,
    );
    expect(strip(out).filter((e) => e.type === "leg.bridged")).toEqual([
      { type: "leg.bridged", leg: "3.5", bridge: "br", callId: "3.5" },
      { type: "leg.bridged", leg: "3.1", bridge: "br", callId: "3.1" },
    ]);
    expect(t.callIdOf("3.5")).toBe("3.1");
  });

  it("carries a caller's call through a Local channel to the phones its other half dials", () => {
    const caller = ch("4.1", "PJSIP/carrier-00000001", "Ring", {
      caller: { name: "", number: "15551234567" },
    });
    const l1 = ch("4.2", "Local/600@queues-00000000;1", "Down");
    const l2 = ch("4.3", "Local/600@queues-00000000;2", "Ring");
    const phone = ch("4.4", "PJSIP/1005-00000004", "Down");
    const out = run([
      { type: "ChannelCreated", channel: caller },
      { type: "ChannelCreated", channel: l1 },
      { type: "ChannelCreated", channel: l2 },
      { type: "Dial", caller, peer: l1, dialstring: "600@queues", dialstatus: "" },
      { type: "ChannelCreated", channel: phone },
      { type: "Dial", caller: l2, peer: phone, dialstring: "1005", dialstatus: "" },
    ]);
    const created = strip(out).filter((e) => e.type === "leg.created");
    expect(
      created.map((e) => [e.type === "leg.created" && e.leg, e.type === "leg.created" && e.callId]),
    ).toEqual([
      ["4.1", "4.1"],
      ["4.4", "4.1"],
    ]);
  });

  it("reports a parked call from the parking bridge and the park:<space> device state, unless told not to", () => {
    const parkee = ch("5.1", "PJSIP/carrier-00000001", "Up", { caller: { name: "", number: "15551234567" } });
    const holding = bridge("hold", ["5.1"], {
      bridge_type: "holding",
      bridge_class: "parking",
      name: "default",
    });
    const events: AriEvent[] = [
      { type: "ChannelCreated", channel: parkee },
      { type: "DeviceStateChanged", device_state: { name: "park:702@parkedcalls", state: "INUSE" } },
      { type: "ChannelEnteredBridge", bridge: holding, channel: parkee },
      { type: "ChannelLeftBridge", bridge: { ...holding, channels: [] }, channel: parkee },
    ];
    expect(strip(run(events)).filter((e) => e.type.startsWith("call."))).toEqual([
      { type: "call.parked", leg: "5.1", lot: "default", space: "702" },
      { type: "call.unparked", leg: "5.1", lot: "default", space: "702", outcome: "retrieved" },
    ]);
    const withCompanion = new AriTranslator("pbx", undefined, { parkingFromBridges: false });
    expect(strip(run(events, withCompanion)).filter((e) => e.type.startsWith("call."))).toEqual([]);
  });

  it("reports a MixMonitor from MIXMONITOR_FILENAME once, unless an AMI companion reports MixMonitor", () => {
    const leg = ch("6.1", "PJSIP/1002-00000001", "Up");
    const events: AriEvent[] = [
      { type: "ChannelCreated", channel: leg },
      {
        type: "ChannelVarset",
        channel: leg,
        variable: "MIXMONITOR_FILENAME",
        value: "/var/spool/asterisk/monitor/r.wav",
      },
      {
        type: "ChannelVarset",
        channel: leg,
        variable: "MIXMONITOR_FILENAME",
        value: "/var/spool/asterisk/monitor/r.wav",
      },
    ];
    expect(strip(run(events)).filter((e) => e.type === "recording.started")).toEqual([
      { type: "recording.started", leg: "6.1", file: "/var/spool/asterisk/monitor/r.wav" },
    ]);
    const withCompanion = new AriTranslator("pbx", undefined, { mixMonitorFromVarset: false });
    expect(strip(run(events, withCompanion)).filter((e) => e.type === "recording.started")).toEqual([]);
  });

  it("turns Callsight's monitoring bridge into a session and a snoop recording into the snooped leg's", () => {
    const target = ch("7.1", "PJSIP/1001-00000001", "Up", {
      dialplan: { context: "internal", exten: "17778732492", app_name: "Dial" },
    });
    const snoop = ch("snoop-1", "Snoop/7.1-00000000", "Up");
    const sup = ch("sup-1", "PJSIP/1004-00000002", "Down");
    const mon = bridge("mon", [], { bridge_class: "stasis", name: monitorBridgeName("barge", "7.1") });
    const out = run([
      { type: "ChannelCreated", channel: target },
      { type: "ChannelCreated", channel: snoop },
      { type: "ChannelEnteredBridge", bridge: { ...mon, channels: ["snoop-1"] }, channel: snoop },
      { type: "ChannelCreated", channel: sup },
      { type: "Dial", peer: sup, dialstring: "1004", dialstatus: "" },
      { type: "ChannelStateChange", channel: { ...sup, state: "Up" } },
      { type: "ChannelEnteredBridge", bridge: { ...mon, channels: ["snoop-1", "sup-1"] }, channel: sup },
      {
        type: "RecordingStarted",
        recording: { name: "callsight-7.1-x", format: "wav", target_uri: "channel:snoop-1" },
      },
      {
        type: "RecordingFinished",
        recording: { name: "callsight-7.1-x", format: "wav", target_uri: "channel:snoop-1" },
      },
      { type: "ChannelLeftBridge", bridge: { ...mon, channels: ["snoop-1"] }, channel: sup },
    ]);
    expect(strip(out).filter((e) => !e.type.startsWith("leg.") && !e.type.startsWith("dial."))).toEqual([
      { type: "monitoring.started", spy: "sup-1", target: "7.1", mode: "barge" },
      { type: "recording.started", leg: "7.1", file: "callsight-7.1-x.wav" },
      { type: "recording.stopped", leg: "7.1", file: "callsight-7.1-x.wav" },
      { type: "monitoring.stopped", spy: "sup-1", target: "7.1" },
    ]);
    expect(
      strip(out)
        .filter((e) => e.type === "leg.created")
        .map((e) => e.type === "leg.created" && e.leg),
    ).toEqual(["7.1", "sup-1"]);
  });

  it("maps device states, registrations and endpoint states to DND and reachability, once per change", () => {
    const classifier = new EndpointClassifier();
    const out = run(
      [
        { type: "DeviceStateChanged", device_state: { name: "Custom:DND1002", state: "BUSY" } },
        { type: "DeviceStateChanged", device_state: { name: "PJSIP/1002", state: "INUSE" } },
        { type: "DeviceStateChanged", device_state: { name: "PJSIP/1002", state: "NOT_INUSE" } },
        { type: "DeviceStateChanged", device_state: { name: "Queue:sales", state: "INUSE" } },
        {
          type: "ContactStatusChange",
          endpoint: { technology: "PJSIP", resource: "1006", state: "offline" },
          contact_info: { contact_status: "NonQualified" },
        },
        {
          type: "PeerStatusChange",
          endpoint: { technology: "PJSIP", resource: "1006" },
          peer: { peer_status: "Reachable" },
        },
        {
          type: "EndpointStateChange",
          endpoint: { technology: "PJSIP", resource: "1006", state: "offline" },
        },
        {
          type: "ContactStatusChange",
          endpoint: { technology: "PJSIP", resource: "1006", state: "offline" },
          contact_info: { contact_status: "Removed" },
        },
      ],
      new AriTranslator("pbx", classifier),
    );
    expect(strip(out)).toEqual([
      { type: "presence.dnd", extension: "1002", on: true },
      { type: "device.reachability", endpoint: "PJSIP/1002", reachable: true },
      { type: "device.reachability", endpoint: "PJSIP/1006", reachable: true },
      { type: "device.reachability", endpoint: "PJSIP/1006", reachable: false },
    ]);
  });

  it("counts unknown event types and survives events without the fields it reads", () => {
    const t = new AriTranslator("pbx");
    const out = run(
      [
        { type: "SomethingNew" },
        { type: "SomethingNew" },
        { type: "ChannelStateChange" },
        { type: "ChannelEnteredBridge", channel: ch("8.1", "PJSIP/1001-00000001") },
        { type: "Dial", caller: { id: 3 } as unknown as AriChannel },
        {
          type: "DeviceStateChanged",
          device_state: { name: 5 } as unknown as { name: string; state: string },
        },
        { type: "RecordingStarted", recording: { name: "x", target_uri: "channel:nobody" } },
        { type: "PlaybackStarted" },
      ],
      t,
    );
    expect(out).toEqual([]);
    expect(t.counters.unknown).toEqual({ SomethingNew: 2 });
    expect(t.counters.ignored).toBeGreaterThanOrEqual(1);
  });
});

describe("readAriTrace", () => {
  it("skips and reports lines that are not ARI events, and counts unknown types", () => {
    const text = [
      JSON.stringify({
        type: "ChannelCreated",
        timestamp: T,
        channel: ch("9.1", "PJSIP/1001-00000001", "Ring"),
      }),
      "{not json",
      "[1,2]",
      JSON.stringify({ no: "type" }),
      "",
      "# a comment",
      JSON.stringify({ type: "BrandNewEvent", timestamp: T }),
      JSON.stringify({
        type: "ChannelDestroyed",
        timestamp: T,
        cause: 16,
        channel: ch("9.1", "PJSIP/1001-00000001"),
      }),
    ].join("\n");
    const read = readAriTrace(Buffer.from(text), { pbx: "pbx" });
    expect(read.events.map((e) => e.type)).toEqual(["leg.created", "leg.hangup"]);
    expect(read.problems).toHaveLength(3);
    expect(read.problems[0]).toMatch(/^line 2: not JSON .*"\{not json"$/);
    expect(read.problems[1]).toBe('line 3: not a JSON object: "[1,2]"');
    expect(read.problems[2]).toMatch(/^line 4: no "type"/);
    expect(read.unknown).toEqual({ BrandNewEvent: 1 });
  });
});

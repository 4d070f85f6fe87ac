// buildAriSnapshot: what the resync GETs say, turned into a snapshot the model can start from.

import { describe, expect, it } from "vitest";
import { buildAriSnapshot, deviceStatesToQuery } from "../../src/pbx/asterisk-ari/resync.js";
import { monitorBridgeName } from "../../src/pbx/asterisk-ari/translate.js";
import type { AriBridge, AriChannel } from "../../src/pbx/asterisk-ari/types.js";
import { EndpointClassifier } from "../../src/pbx/endpoints.js";

function ch(
  id: string,
  name: string,
  state: string,
  created: string,
  dialplan: AriChannel["dialplan"],
  extra: Partial<AriChannel> = {},
): AriChannel {
  const resource = name.slice(name.indexOf("/") + 1).replace(/-[0-9a-f]+(;\d)?$/, "");
  return {
    id,
    name,
    state,
    caller: { name: "", number: resource },
    connected: { name: "", number: "" },
    dialplan,
    creationtime: `2026-11-22T18:50:${created}.000+0000`,
    ...extra,
  };
}

const basic = (id: string, channels: string[]): AriBridge => ({
  id,
  bridge_type: "mixing",
  bridge_class: "basic",
  technology: "simple_bridge",
  name: "",
  channels,
});

describe("buildAriSnapshot", () => {
  const caller = ch("10.1", "PJSIP/1001-00000001", "Ring", "00", {
    context: "internal",
    exten: "1002",
    app_name: "Dial",
    app_data: "PJSIP/1002,30,tT",
  });
  const ringing = ch(
    "10.2",
    "PJSIP/1002-00000002",
    "Ringing",
    "00",
    { context: "internal", exten: "1002", app_name: "AppDial", app_data: "(Outgoing Line)" },
    { connected: { name: "Alice", number: "1001" } },
  );
  const trunk = ch(
    "11.1",
    "PJSIP/carrier-00000003",
    "Up",
    "05",
    { context: "from-carrier", exten: "15559990002", app_name: "Dial", app_data: "PJSIP/1003,30" },
    { caller: { name: "WIRELESS CALLER", number: "15551234567" } },
  );
  const answered = ch("11.2", "PJSIP/1003-00000004", "Up", "06", {
    context: "internal",
    exten: "",
    app_name: "AppDial",
  });
  const parkee = ch(
    "12.1",
    "PJSIP/carrier-00000005",
    "Up",
    "07",
    { context: "from-carrier", exten: "15559990002", app_name: "Dial" },
    { caller: { name: "", number: "15550000001" } },
  );
  const snoop = ch("snoop-x", "Snoop/11.2-00000000", "Up", "09", {
    app_name: "Stasis",
    app_data: "callsight",
  });
  const sup = ch("sup-x", "PJSIP/1004-00000006", "Up", "09", {
    context: "default",
    exten: "s",
    app_name: "Stasis",
  });
  const spy = ch("13.1", "PJSIP/1005-00000007", "Up", "10", {
    context: "internal",
    exten: "s",
    app_name: "ChanSpy",
    app_data: "PJSIP/1003,qwE",
  });
  const bridges: AriBridge[] = [
    basic("b-call", ["11.1", "11.2"]),
    { ...basic("b-park", ["12.1"]), bridge_type: "holding", bridge_class: "parking", name: "default" },
    {
      ...basic("b-mon", ["snoop-x", "sup-x"]),
      bridge_class: "stasis",
      name: monitorBridgeName("whisper", "11.2"),
    },
  ];
  const result = buildAriSnapshot({
    pbx: "pbx",
    at: 1000,
    channels: [caller, ringing, trunk, answered, parkee, snoop, sup, spy],
    bridges,
    endpoints: [
      { technology: "PJSIP", resource: "1001", state: "online" },
      { technology: "PJSIP", resource: "1006", state: "offline" },
      { technology: "PJSIP", resource: "1007", state: "unknown" },
    ],
    deviceStates: [
      { name: "Custom:DND1002", state: "BUSY" },
      { name: "Custom:DND1003", state: "UNKNOWN" },
      { name: "PJSIP/1003", state: "ONHOLD" },
    ],
  });
  const leg = (id: string) => result.snapshot.legs.find((l) => l.leg === id);

  it("groups a ringing callee with the caller whose Dial names its endpoint", () => {
    expect(leg("10.1")).toMatchObject({ callId: "10.1", state: "dialing", outgoing: false, dialled: "1002" });
    expect(leg("10.2")).toMatchObject({ callId: "10.1", state: "ringing", outgoing: true, number: "1002" });
  });

  it("groups a bridge under its oldest channel and keeps who talks to whom", () => {
    expect(leg("11.1")).toMatchObject({
      callId: "11.1",
      side: "external",
      number: "15551234567",
      name: "WIRELESS CALLER",
      bridge: "b-call",
      state: "up",
    });
    expect(leg("11.2")).toMatchObject({ callId: "11.1", outgoing: true, bridge: "b-call" });
  });

  it("dates each leg from the channel's creationtime, not from the resync", () => {
    expect(leg("11.1")?.createdAt).toBe(Date.UTC(2026, 10, 22, 18, 50, 5));
    expect(leg("11.2")?.createdAt).toBe(Date.UTC(2026, 10, 22, 18, 50, 6));
    expect(leg("10.2")?.createdAt).toBe(Date.UTC(2026, 10, 22, 18, 50, 0));
    // A channel without a readable creationtime is dated by the resync (the model's fallback).
    const bare = buildAriSnapshot({
      pbx: "pbx",
      at: 1000,
      channels: [{ ...caller, creationtime: "" }],
      bridges: [],
    });
    expect(bare.snapshot.legs[0]?.createdAt).toBeUndefined();
  });

  it("marks the holder of a call whose other party's device is ONHOLD", () => {
    expect(leg("11.1")?.held).toBe(true);
    expect(leg("11.2")?.held).toBeUndefined();
  });

  it("lists a call in the parking lot's holding bridge as parked, not bridged", () => {
    expect(result.snapshot.parked).toEqual([{ leg: "12.1", lot: "default", space: "" }]);
    expect(leg("12.1")?.bridge).toBeUndefined();
  });

  it("keeps Snoop channels out of the legs and reports running monitoring sessions", () => {
    expect(leg("snoop-x")).toBeUndefined();
    expect(result.plumbing).toEqual([{ id: "snoop-x", name: "Snoop/11.2-00000000", callId: "snoop-x" }]);
    expect(leg("sup-x")?.bridge).toBeUndefined();
    expect(result.monitoring.map(({ pbx: _p, at: _a, ...m }) => m)).toEqual([
      { type: "monitoring.started", spy: "sup-x", target: "11.2", mode: "whisper" },
      { type: "monitoring.started", spy: "13.1", target: "11.2", mode: "whisper" },
    ]);
  });

  it("leaves ChanSpy sessions to the AMI companion when asked", () => {
    const again = buildAriSnapshot({
      pbx: "pbx",
      at: 1,
      channels: [caller, spy],
      bridges: [],
      chanSpyFromChannels: false,
    });
    expect(again.monitoring).toEqual([]);
  });

  it("reads reachability from the endpoints and DND lamps from the device states", () => {
    expect(result.snapshot.reachability).toEqual([
      { endpoint: "PJSIP/1001", reachable: true },
      { endpoint: "PJSIP/1006", reachable: false },
    ]);
    expect(result.snapshot.dnd).toEqual([{ extension: "1002", on: true }]);
    expect(result.snapshot.presence).toEqual([]);
  });

  it("groups the two halves of a Local channel with the call that dialled it", () => {
    const inbound = ch("20.1", "PJSIP/carrier-00000010", "Up", "00", {
      exten: "600",
      app_name: "Dial",
      app_data: "Local/600@queues",
    });
    const l1 = ch("20.2", "Local/600@queues-00000001;1", "Ringing", "01", { app_name: "AppDial" });
    const l2 = ch("20.3", "Local/600@queues-00000001;2", "Ring", "01", {
      exten: "600",
      app_name: "Dial",
      app_data: "PJSIP/1005",
    });
    const phone = ch("20.4", "PJSIP/1005-00000011", "Ringing", "01", { app_name: "AppDial" });
    const r = buildAriSnapshot({ pbx: "pbx", at: 1, channels: [phone, l2, l1, inbound], bridges: [] });
    expect(r.callIds.get("20.4")).toBe("20.1");
    expect(r.snapshot.legs.map((l) => [l.leg, l.callId])).toEqual([
      ["20.4", "20.1"],
      ["20.1", "20.1"],
    ]);
  });

  it("asks the DND lamp of every extension and the device of every phone on a call", () => {
    expect(
      deviceStatesToQuery(
        [
          { technology: "PJSIP", resource: "1001" },
          { technology: "PJSIP", resource: "carrier" },
        ],
        [answered, ringing, snoop],
        new EndpointClassifier(),
      ),
    ).toEqual(["Custom:DND1001", "PJSIP/1003"]);
  });
});

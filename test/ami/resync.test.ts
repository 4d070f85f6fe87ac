// buildSnapshot on the real resync answers of test/fixtures/asterisk/20-actions (list responses
// received on the AMI session, 20-actions.ami.txt) and on the ringing-time CoreShowChannels polls of
// the runner's control session (10a-chanspy-listen.control.txt, 20-actions.control.txt).

import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { defaultTracesDir } from "../../simulators/ami-trace.js";
import { makeDirectory } from "../../src/domain/directory.js";
import { LiveModel } from "../../src/domain/live-model.js";
import { viewFor } from "../../src/domain/visibility.js";
import type { AmiFrame } from "../../src/pbx/asterisk-ami/frame-parser.js";
import { AmiFrameParser } from "../../src/pbx/asterisk-ami/frame-parser.js";
import {
  buildSnapshot,
  channelAgeSeconds,
  monitoringFromChannels,
  recordingsFromStatus,
} from "../../src/pbx/asterisk-ami/resync.js";
import { users } from "./helpers.js";

function frames(file: string): AmiFrame[] {
  const out: AmiFrame[] = [];
  const text = readFileSync(path.join(defaultTracesDir(), file), "utf8");
  // Control files start with a comment line instead of the banner.
  const body = text.startsWith("#") ? text.slice(text.indexOf("\r\n") + 2) : text;
  new AmiFrameParser({ frame: (f) => out.push(f), malformed: () => undefined }, undefined, {
    banner: body.startsWith("Asterisk"),
  }).push(body);
  return out;
}

/** The items of the list action whose response carried `id` (or the list of the n-th such action). */
function listItems(all: AmiFrame[], event: string, which: "first" | "last" = "first"): AmiFrame[] {
  const ids = all.filter((f) => f.Event === event && f.ActionID).map((f) => f.ActionID as string);
  const id = which === "first" ? ids[0] : ids.at(-1);
  return all.filter((f) => f.Event === event && f.ActionID === id);
}

describe("buildSnapshot on the 20-actions responses", () => {
  const all = frames("20-actions.ami.txt");
  const snapshot = buildSnapshot({
    pbx: "ast1",
    at: 1000,
    channels: listItems(all, "CoreShowChannel"),
    devices: listItems(all, "DeviceStateChange"),
    presence: listItems(all, "PresenceStateChange"),
    parked: all.filter((f) => f.Event === "ParkedCall" && f.ActionID),
  });

  it("lists the four live channels with their calls, sides, numbers and bridges", () => {
    expect(snapshot.type).toBe("pbx.snapshot");
    const byChannel = Object.fromEntries(snapshot.legs.map((l) => [l.channel, l]));
    expect(Object.keys(byChannel).sort()).toEqual([
      "PJSIP/1002-0000016e",
      "PJSIP/1002-00000170",
      "PJSIP/carrier-0000016d",
      "PJSIP/carrier-0000016f",
    ]);
    expect(byChannel["PJSIP/carrier-0000016d"]).toMatchObject({
      leg: "1795375497.367",
      callId: "1795375497.367",
      side: "external",
      number: "15551234567",
      name: "WIRELESS CALLER",
      state: "up",
      outgoing: false,
      dialled: "15559990002",
      bridge: "ff700552-e1d1-4047-8736-38fc011697ea",
    });
    expect(byChannel["PJSIP/1002-0000016e"]).toMatchObject({
      leg: "1795375497.368",
      callId: "1795375497.367",
      side: "internal",
      endpoint: "PJSIP/1002",
      number: "1002",
      state: "up",
      outgoing: true,
      bridge: "ff700552-e1d1-4047-8736-38fc011697ea",
    });
    // The parked caller sits in the parking lot's holding bridge: no conversation bridge.
    expect(byChannel["PJSIP/carrier-0000016f"]?.bridge).toBeUndefined();
    expect(byChannel["PJSIP/1002-00000170"]?.bridge).toBe("48510eed-d776-4c20-96ec-79376f869cdb");
  });

  it("reads reachability, DND, presence and parked calls", () => {
    expect(snapshot.reachability).toContainEqual({ endpoint: "PJSIP/1006", reachable: false });
    expect(snapshot.reachability).toContainEqual({ endpoint: "PJSIP/1001", reachable: true });
    expect(snapshot.reachability.some((r) => r.endpoint.startsWith("park:"))).toBe(false);
    expect(snapshot.dnd).toEqual([
      { extension: "1002", on: false },
      { extension: "1005", on: true },
    ]);
    expect(snapshot.presence).toEqual([
      { extension: "1004", state: "away", message: "In a meeting" },
      { extension: "1002", state: "available" },
    ]);
    expect(snapshot.parked).toEqual([{ leg: "1795375498.369", lot: "default", space: "701" }]);
  });

  it("gives the model the calls and presence the runner's log describes", () => {
    const model = new LiveModel(makeDirectory([{ id: "sales", name: "Sales" }], users("ast1")));
    model.apply(snapshot);
    const calls = model.activeCalls();
    expect(calls).toHaveLength(2);
    const bridged = model.call("ast1", "1795375497.367");
    expect(bridged).toMatchObject({ direction: "inbound", state: "up" });
    expect(model.call("ast1", "1795375498.369")?.state).toBe("parked");
    expect(model.presenceOf("u1002")).toBe("on-call");
    expect(model.presenceOf("u1004")).toBe("away");
    expect(model.presenceOf("u1005")).toBe("dnd");
    expect(model.presenceOf("u1006")).toBe("offline");
    expect(model.presenceOf("u1001")).toBe("available");
  });
});

describe("durations across a resync (20-actions)", () => {
  const all = frames("20-actions.ami.txt");
  // The resync ran a few seconds into both calls: CoreShowChannel says `Duration: 00:00:02` / `00:00:01`.
  const at = Date.UTC(2026, 10, 22, 19, 38, 20);
  const snapshot = buildSnapshot({
    pbx: "ast1",
    at,
    channels: listItems(all, "CoreShowChannel"),
    parked: all.filter((f) => f.Event === "ParkedCall" && f.ActionID),
  });
  const byChannel = Object.fromEntries(snapshot.legs.map((l) => [l.channel, l]));

  it("dates each leg from the channel's age (Duration), not from the resync", () => {
    expect(byChannel["PJSIP/carrier-0000016d"]?.createdAt).toBe(at - 2000);
    expect(byChannel["PJSIP/1002-0000016e"]?.createdAt).toBe(at - 2000);
    expect(byChannel["PJSIP/carrier-0000016f"]?.createdAt).toBe(at - 1000);
    expect(byChannel["PJSIP/1002-00000170"]?.createdAt).toBe(at - 1000);
  });

  it("reads the Status action's `Seconds` too, and durations of a day and more", () => {
    const status = buildSnapshot({ pbx: "ast1", at, channels: listItems(all, "Status") });
    expect(status.legs.find((l) => l.channel === "PJSIP/carrier-0000016d")?.createdAt).toBe(at - 2000);
    expect(channelAgeSeconds("01:02:03")).toBe(3723);
    expect(channelAgeSeconds("26:00:05")).toBe(93_605);
    expect(channelAgeSeconds("125")).toBe(125);
    expect(channelAgeSeconds("")).toBeUndefined();
    expect(channelAgeSeconds("soon")).toBeUndefined();
    expect(channelAgeSeconds(undefined)).toBeUndefined();
  });

  it("the board's call timers continue from the PBX's start after the model learns the calls from it", () => {
    const directory = makeDirectory([{ id: "sales", name: "Sales" }], users("ast1"));
    const model = new LiveModel(directory);
    model.apply(snapshot);
    const bridged = model.call("ast1", "1795375497.367");
    expect(bridged?.startedAt).toBe(at - 2000);
    expect(bridged?.answeredAt).toBe(at - 2000);
    expect(bridged?.legs.map((l) => l.since)).toEqual([at - 2000, at - 2000]);
    const bob = viewFor(directory, model, "u1002")?.people.find((p) => p.id === "u1002");
    expect(bob?.calls?.map((c) => c.since).sort()).toEqual([at - 2000, at - 1000]);
    // The parked call's timer too.
    expect(viewFor(directory, model, "u1002")?.parked.map((p) => p.since)).toEqual([at - 1000]);
  });
});

describe("buildSnapshot on ringing-time polls", () => {
  it("marks a ringing callee ringing and the caller dialing (20-actions control session)", () => {
    const all = frames("20-actions.control.txt");
    const ringing = all.filter((f) => f.Event === "CoreShowChannel" && f.ChannelStateDesc === "Ringing");
    const id = ringing[0]?.ActionID;
    const snapshot = buildSnapshot({
      pbx: "ast1",
      at: 0,
      channels: all.filter((f) => f.Event === "CoreShowChannel" && f.ActionID === id),
    });
    expect(snapshot.legs.map((l) => [l.channel, l.state, l.outgoing])).toEqual([
      ["PJSIP/carrier-0000016d", "dialing", false],
      ["PJSIP/1002-0000016e", "ringing", true],
    ]);
  });

  it("reads an outbound call's trunk leg with the dialled number (10a control session)", () => {
    const all = frames("10a-chanspy-listen.control.txt");
    const id = all.find((f) => f.Event === "CoreShowChannel")?.ActionID;
    const snapshot = buildSnapshot({
      pbx: "ast1",
      at: 0,
      channels: all.filter((f) => f.Event === "CoreShowChannel" && f.ActionID === id),
    });
    const trunk = snapshot.legs.find((l) => l.side === "external");
    expect(trunk).toMatchObject({ number: "17778732492", outgoing: true, state: "ringing" });
    const caller = snapshot.legs.find((l) => l.side === "internal");
    expect(caller).toMatchObject({ number: "1001", outgoing: false, dialled: "17778732492" });
  });

  it("recovers hold from the held party's ONHOLD device state, on the holder's leg (trace 06)", () => {
    const channels: AmiFrame[] = [
      {
        Channel: "PJSIP/1001-0000005b",
        Uniqueid: "6.1",
        Linkedid: "6.1",
        ChannelState: "6",
        Exten: "1002",
        BridgeId: "b6",
      },
      {
        Channel: "PJSIP/1002-0000005c",
        Uniqueid: "6.2",
        Linkedid: "6.1",
        ChannelState: "6",
        Application: "AppDial",
        BridgeId: "b6",
      },
    ];
    const snapshot = buildSnapshot({
      pbx: "ast1",
      at: 0,
      channels,
      devices: [
        { Device: "PJSIP/1001", State: "INUSE" },
        { Device: "PJSIP/1002", State: "ONHOLD" },
      ],
    });
    expect(snapshot.legs.map((l) => [l.channel, l.held ?? false])).toEqual([
      ["PJSIP/1001-0000005b", true],
      ["PJSIP/1002-0000005c", false],
    ]);
  });

  it("skips Local and other plumbing channels", () => {
    const snapshot = buildSnapshot({
      pbx: "ast1",
      at: 0,
      channels: [
        {
          Event: "CoreShowChannel",
          Channel: "Local/1003@internal-00000001;1",
          Uniqueid: "1.1",
          Linkedid: "1.1",
        },
        { Event: "CoreShowChannel", Channel: "PJSIP/1003-00000002", Uniqueid: "1.2", Linkedid: "1.1" },
      ],
    });
    expect(snapshot.legs.map((l) => l.channel)).toEqual(["PJSIP/1003-00000002"]);
  });

  it("turns a running ChanSpy channel into a monitoring session with its mode", () => {
    const channels: AmiFrame[] = [
      { Channel: "PJSIP/1001-00000066", Uniqueid: "7.1", Linkedid: "7.1", ChannelState: "6", BridgeId: "b1" },
      {
        Channel: "PJSIP/carrier-00000067",
        Uniqueid: "7.2",
        Linkedid: "7.1",
        ChannelState: "6",
        BridgeId: "b1",
      },
      {
        Channel: "PJSIP/1004-00000068",
        Uniqueid: "7.3",
        Linkedid: "7.3",
        ChannelState: "6",
        Exten: "s",
        Application: "ChanSpy",
        ApplicationData: "PJSIP/1001-00000066,qBE",
      },
    ];
    const snapshot = buildSnapshot({ pbx: "ast1", at: 0, channels });
    expect(monitoringFromChannels("ast1", 0, channels, snapshot.legs)).toEqual([
      { pbx: "ast1", at: 0, type: "monitoring.started", spy: "7.3", target: "7.1", mode: "barge" },
    ]);
  });
});

describe("recordingsFromStatus: the recordings running at a resync (Status, Variables: MIXMONITOR_FILENAME)", () => {
  // As Asterisk 22 answers it (captured live): one `Variable: NAME=value` line per variable, `(null)` unset.
  const channels: AmiFrame[] = [
    { Channel: "PJSIP/1001-00000000", Uniqueid: "9.0", Linkedid: "9.0", ChannelState: "6", BridgeId: "b" },
    { Channel: "PJSIP/1002-00000001", Uniqueid: "9.1", Linkedid: "9.0", ChannelState: "6", BridgeId: "b" },
    { Channel: "PJSIP/1003-00000002", Uniqueid: "9.2", Linkedid: "9.2", ChannelState: "6" },
  ];
  const legs = buildSnapshot({ pbx: "ast1", at: 0, channels }).legs;
  const file = "/var/spool/asterisk/monitor/9.0-1002-9.1.wav";
  const status = (uid: string, value: string): AmiFrame => ({
    Event: "Status",
    Channel: channels.find((c) => c.Uniqueid === uid)?.Channel ?? "Local/x@y-0001;1",
    Uniqueid: uid,
    Variable: `MIXMONITOR_FILENAME=${value}`,
  });

  it("lists the legs whose MixMonitor file is set, not `(null)`, and only the snapshot's legs", () => {
    const items = [status("9.0", "(null)"), status("9.1", file), status("9.2", ""), status("9.9", "/x.wav")];
    expect(recordingsFromStatus(items, legs)).toEqual([{ leg: "9.1", file }]);
  });

  it("leaves out a file seen stopping on that leg (Asterisk keeps the variable after StopMixMonitor)", () => {
    const stopped = (leg: string, f: string) => leg === "9.1" && f === file;
    expect(recordingsFromStatus([status("9.1", file)], legs, stopped)).toEqual([]);
  });

  it("concludes nothing without an answer, or from one that ignored Variables", () => {
    expect(recordingsFromStatus(undefined, legs)).toBeUndefined();
    expect(recordingsFromStatus([{ Event: "Status", Uniqueid: "9.1" }], legs)).toBeUndefined();
    expect(recordingsFromStatus([], [])).toEqual([]);
  });
});

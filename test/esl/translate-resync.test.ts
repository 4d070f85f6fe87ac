// EslTranslator on what the traces do not show (registrations, published presence, gateways named in
// the channel, loopback plumbing, three_way), and the resync snapshot built from the real api replies.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseEslStream } from "../../simulators/esl-trace.js";
import type { PbxEvent } from "../../src/domain/events.js";
import { LiveModel } from "../../src/domain/live-model.js";
import { EndpointClassifier } from "../../src/pbx/endpoints.js";
import { userPresence } from "../../src/pbx/freeswitch-esl/presence.js";
import { buildEslSnapshot, parseValetInfo } from "../../src/pbx/freeswitch-esl/resync.js";
import { readEslTrace } from "../../src/pbx/freeswitch-esl/trace.js";
import {
  EslTranslator,
  eavesdropMode,
  hangupCause,
  legIdentity,
  parseChannelName,
} from "../../src/pbx/freeswitch-esl/translate.js";
import { directory } from "../ami/helpers.js";
import { controlExchanges } from "./helpers.js";

const rules = { classifier: new EndpointClassifier(), externalProfiles: new Set(["external"]) };

describe("channel identity", () => {
  it("phones, gateway legs, the external profile and contacts from user/ dialling", () => {
    expect(parseChannelName("sofia/internal/sip:1004@10.0.0.5:5060;transport=udp")).toEqual({
      tech: "sofia",
      profile: "internal",
      user: "1004",
    });
    expect(
      legIdentity(
        {
          uuid: "u",
          channel: "sofia/internal/1001@127.0.0.1:5101",
          direction: "inbound",
          cidName: "Alice Sales",
          cidNum: "1001",
          dest: "1002",
        },
        rules,
      ),
    ).toEqual({
      endpoint: "sofia/internal/1001",
      side: "internal",
      number: "1001",
      name: "Alice Sales",
      channel: "sofia/internal/1001@127.0.0.1:5101",
      outgoing: false,
      dialled: "1002",
    });
    expect(
      legIdentity(
        {
          uuid: "g",
          channel: "sofia/gateway/carrier/17778732492",
          direction: "outbound",
          cidName: "Alice Sales",
          dest: "17778732492",
        },
        rules,
      ),
    ).toMatchObject({
      endpoint: "sofia/gateway/carrier",
      side: "external",
      number: "17778732492",
      outgoing: true,
    });
    expect(
      legIdentity(
        {
          uuid: "x",
          channel: "sofia/external/15551234567@127.0.0.1:5110",
          direction: "inbound",
          cidNum: "15551234567",
        },
        rules,
      ),
    ).toMatchObject({ endpoint: "sofia/external", side: "external", number: "15551234567" });
    expect(
      legIdentity({ uuid: "l", channel: "loopback/1002-a", direction: "outbound" }, rules),
    ).toBeUndefined();
    // A trunk named in the classifier on the internal profile is external too.
    const trunkRules = {
      ...rules,
      classifier: new EndpointClassifier({
        trunks: ["sofia/internal/pbx2"],
        devices: [],
        extensionPattern: /^\d{2,6}$/,
      }),
    };
    expect(
      legIdentity(
        { uuid: "t", channel: "sofia/internal/pbx2@10.0.0.9", direction: "inbound", cidNum: "4000" },
        trunkRules,
      )?.side,
    ).toBe("external");
  });

  it("eavesdrop modes, causes and published presence", () => {
    expect(eavesdropMode(undefined, undefined)).toBe("listen");
    expect(eavesdropMode("true", undefined)).toBe("whisper");
    expect(eavesdropMode("false", "true")).toBe("whisper");
    expect(eavesdropMode("true", "yes")).toBe("barge");
    expect(hangupCause("USER_BUSY")).toBe(17);
    expect(hangupCause("ORIGINATOR_CANCEL", "487")).toBe(127);
    expect(hangupCause("SOMETHING_NEW", "34")).toBe(34);
    expect(hangupCause("SOMETHING_NEW", "605")).toBe(0);
    expect(userPresence("away", "Away")).toBe("away");
    expect(userPresence("unknown", "Do Not Disturb")).toBe("dnd");
    expect(userPresence("busy", "Busy")).toBe("dnd");
    expect(userPresence("unknown", "Available")).toBe("available");
    expect(userPresence("unknown", "Offline")).toBe("unavailable");
    // FreeSWITCH's own notes are line states, not a choice.
    expect(userPresence("unknown", "CS_ROUTING")).toBeUndefined();
    expect(userPresence("unknown", "Registered(UDP)")).toBeUndefined();
    expect(userPresence("on-the-phone", "On The Phone")).toBeUndefined();
  });
});

describe("EslTranslator beyond the traces", () => {
  const ts = (n: number) => String(1795376000000000 + n * 1000);

  it("registrations: reachable per endpoint while any registration is left; presence a phone published", () => {
    const t = new EslTranslator("fs");
    const reg = (sub: string, callId: string) =>
      t.translate({
        "Event-Name": "CUSTOM",
        "Event-Subclass": sub,
        "Event-Date-Timestamp": ts(1),
        "profile-name": "internal",
        "from-user": "1006",
        "call-id": callId,
      });
    expect(reg("sofia::register", "a")).toMatchObject([
      { type: "device.reachability", endpoint: "sofia/internal/1006", reachable: true },
    ]);
    expect(reg("sofia::register", "b")).toEqual([]);
    expect(reg("sofia::unregister", "a")).toEqual([]);
    expect(reg("sofia::expire", "b")).toMatchObject([{ type: "device.reachability", reachable: false }]);
    const presence = t.translate({
      "Event-Name": "PRESENCE_IN",
      proto: "sip",
      from: "1002@127.0.0.1",
      rpid: "away",
      status: "In a meeting",
      "Event-Date-Timestamp": ts(2),
    });
    expect(presence).toEqual([
      {
        pbx: "fs",
        at: 1795376000002,
        type: "presence.state",
        extension: "1002",
        state: "away",
        message: "In a meeting",
      },
    ]);
    // A channel's presence (proto any, with a Unique-ID) and a parking slot's (proto park) are not a user's choice.
    expect(
      t.translate({
        "Event-Name": "PRESENCE_IN",
        proto: "any",
        "Unique-ID": "u",
        from: "1001@x",
        rpid: "unknown",
        status: "CS_ROUTING",
      }),
    ).toEqual([]);
    expect(
      t.translate({
        "Event-Name": "PRESENCE_IN",
        proto: "park",
        from: "5901@x",
        rpid: "active",
        status: "Holding",
      }),
    ).toEqual([]);
    const model = new LiveModel(directory("fs"));
    model.apply({
      pbx: "fs",
      at: 1,
      type: "device.reachability",
      endpoint: "sofia/internal/1006",
      reachable: false,
    });
    expect(model.presenceOf("u1006")).toBe("offline");
    for (const e of presence) model.apply(e);
    expect(model.presenceOf("u1002")).toBe("away");
  });

  it("three_way is a barge; loopback legs are plumbing; trailing events of a hung-up leg do not bring it back", () => {
    const t = new EslTranslator("fs");
    const out: PbxEvent[] = [];
    const leg = (uuid: string, name: string, dir: string, extra: Record<string, string> = {}) => ({
      "Unique-ID": uuid,
      "Channel-Name": name,
      "Call-Direction": dir,
      "Channel-Call-UUID": uuid,
      "Caller-Caller-ID-Number": name.split("/")[2]?.split("@")[0] ?? "",
      ...extra,
    });
    out.push(
      ...t.translate({ "Event-Name": "CHANNEL_CREATE", ...leg("a", "sofia/internal/1001@h", "inbound") }),
    );
    out.push(
      ...t.translate({ "Event-Name": "CHANNEL_CREATE", ...leg("s", "sofia/internal/1004@h", "outbound") }),
    );
    out.push(...t.translate({ "Event-Name": "CHANNEL_CREATE", ...leg("lb", "loopback/1002-a", "outbound") }));
    out.push(
      ...t.translate({
        "Event-Name": "CHANNEL_EXECUTE",
        ...leg("s", "sofia/internal/1004@h", "outbound"),
        Application: "three_way",
        "Application-Data": "a",
      }),
    );
    out.push(
      ...t.translate({
        "Event-Name": "CHANNEL_HANGUP",
        ...leg("s", "sofia/internal/1004@h", "outbound"),
        "Hangup-Cause": "NORMAL_CLEARING",
      }),
    );
    out.push(
      ...t.translate({
        "Event-Name": "CHANNEL_HANGUP_COMPLETE",
        ...leg("s", "sofia/internal/1004@h", "outbound"),
      }),
    );
    out.push(
      ...t.translate({ "Event-Name": "CHANNEL_DESTROY", ...leg("s", "sofia/internal/1004@h", "outbound") }),
    );
    out.push(...t.translate({ "Event-Name": "CHANNEL_ANSWER", ...leg("lb", "loopback/1002-a", "outbound") }));
    expect(out.map((e) => e.type)).toEqual([
      "leg.created",
      "leg.created",
      "monitoring.started",
      "monitoring.stopped",
      "leg.hangup",
    ]);
    expect(out[2]).toMatchObject({ spy: "s", target: "a", mode: "barge" });
  });
});

describe("resync from the real api replies (20-api)", () => {
  const exchanges = controlExchanges("test/fixtures/freeswitch/20-api.control.txt");
  const reply = (command: string, which: "first" | "last" = "last") => {
    const all = exchanges.filter((e) => e.command === `api ${command}` && e.body.includes("rows"));
    return (which === "first" ? all[0] : all[all.length - 1])?.body ?? "";
  };

  it("reads the captured replies", () => {
    expect(exchanges.find((e) => e.command === "api no_such_command")?.body).toBe(
      "-ERR no_such_command Command not found!\n",
    );
    expect(reply("show calls as json")).toContain('"b_uuid"');
  });

  it("an answered inbound call: two legs, one call id, bridged, the same identity live translation gives", () => {
    const r = buildEslSnapshot({
      pbx: "fs",
      at: 1,
      channels: reply("show channels as json"),
      calls: reply("show calls as json"),
      registrations: '{"row_count": 0}',
      valet: '<lots>\n  <lot name="default">\n  </lot>\n</lots>\n',
    });
    expect(r.problems).toEqual([]);
    const legs = r.snapshot.legs;
    expect(legs).toHaveLength(2);
    const [caller, agent] = legs;
    expect(caller).toMatchObject({
      side: "external",
      number: "15551234567",
      name: "WIRELESS CALLER",
      state: "up",
      outgoing: false,
      dialled: "15559990002",
      endpoint: "sofia/external",
    });
    expect(agent).toMatchObject({
      side: "internal",
      number: "1002",
      state: "up",
      outgoing: true,
      endpoint: "sofia/internal/1002",
    });
    // Dated when FreeSWITCH created them (`created_epoch`), not when the resync ran.
    expect(caller?.createdAt).toBe(1_795_376_261_000);
    expect(agent?.createdAt).toBe(1_795_376_261_000);
    expect(caller?.callId).toBe(caller?.leg);
    expect(agent?.callId).toBe(caller?.leg);
    expect(caller?.bridge).toBeDefined();
    expect(agent?.bridge).toBe(caller?.bridge);
    expect(r.originators.get(agent?.leg ?? "")).toBe(caller?.leg);

    // The live trace's legs for the same call: same identity, same call id.
    const live = readEslTrace(readFileSync("test/fixtures/freeswitch/20-api.esl.txt"), {
      pbx: "fs",
    }).events.filter((e) => e.type === "leg.created");
    for (const l of legs) {
      const created = live.find((e) => e.type === "leg.created" && e.leg === l.leg);
      expect(created).toMatchObject({
        callId: l.callId,
        endpoint: l.endpoint,
        side: l.side,
        number: l.number,
        outgoing: l.outgoing,
      });
    }
  });

  it("while ringing: the A-leg's empty call_uuid, the B-leg ringing and not bridged", () => {
    const r = buildEslSnapshot({ pbx: "fs", at: 1, channels: reply("show channels as json", "first") });
    const [caller, agent] = r.snapshot.legs;
    expect(caller).toMatchObject({ state: "dialing", callId: caller?.leg });
    expect(agent).toMatchObject({ state: "ringing", callId: caller?.leg });
    expect(caller?.bridge).toBeUndefined();
    const model = new LiveModel(directory("fs"));
    model.apply(r.snapshot);
    expect(model.presenceOf("u1002")).toBe("ringing");
  });

  it("a snapshot taken mid-call, then the rest of the live trace: one call, nothing duplicated", () => {
    const events = parseEslStream(readFileSync("test/fixtures/freeswitch/20-api.esl.txt"));
    const bridged = events.findIndex((e) => e["Event-Name"] === "CHANNEL_BRIDGE");
    const r = buildEslSnapshot({
      pbx: "fs",
      at: 1,
      channels: reply("show channels as json"),
      calls: reply("show calls as json"),
    });
    const t = new EslTranslator("fs");
    t.seed(r.snapshot, { originators: r.originators });
    const model = new LiveModel(directory("fs"));
    model.apply(r.snapshot);
    const ended: string[] = [];
    const out: PbxEvent[] = [];
    for (const e of events.slice(bridged + 1)) {
      for (const n of t.translate(e)) {
        out.push(n);
        for (const c of model.apply(n)) if (c.kind === "call-ended") ended.push(c.call.id);
      }
    }
    expect(out.filter((e) => e.type === "leg.created")).toEqual([]);
    expect(out.filter((e) => e.type === "leg.hangup")).toHaveLength(2);
    expect(ended).toEqual([r.snapshot.legs[0]?.callId]);
    expect(model.activeCalls()).toEqual([]);
    expect(model.counters.unknownLeg).toBe(0);
  });

  it("held legs, eavesdrops, registrations, parked calls and a reconnect keeping call ids", () => {
    const row = (
      uuid: string,
      name: string,
      direction: string,
      callstate: string,
      extra: Record<string, string> = {},
    ) => ({
      uuid,
      name,
      direction,
      callstate,
      cid_num: name.split("/")[2]?.split("@")[0] ?? "",
      cid_name: "",
      dest: "",
      call_uuid: "",
      application: "",
      application_data: "",
      ...extra,
    });
    const channels = JSON.stringify({
      row_count: 5,
      rows: [
        row("a", "sofia/internal/1001@h", "inbound", "ACTIVE", { call_uuid: "a" }),
        row("b", "sofia/external/17778732492", "outbound", "HELD", { call_uuid: "a", dest: "17778732492" }),
        row("s", "sofia/internal/sip:1004@10.0.0.4:5060", "outbound", "ACTIVE", {
          call_uuid: "s",
          application: "eavesdrop",
          application_data: "a",
        }),
        row("p", "sofia/external/15551234567@h", "inbound", "ACTIVE", {
          application: "valet_park",
          application_data: "default 5901",
          created_epoch: "10",
        }),
        row("lb", "loopback/9999-a", "outbound", "ACTIVE"),
      ],
    });
    const registrations = JSON.stringify({
      row_count: 1,
      rows: [{ reg_user: "1004", realm: "h", token: "tok1", url: "sofia/internal/sip:1004@10.0.0.4:5060" }],
    });
    const r = buildEslSnapshot({
      pbx: "fs",
      at: 1,
      channels,
      registrations,
      valet: "-ERR valet_info Command not found!\n",
      spyModes: new Map([["s", "whisper"]]),
      previousCallIds: new Map([["b", "older-call"]]),
    });
    expect(r.problems).toEqual(["valet_info: -ERR valet_info Command not found!"]);
    expect(r.snapshot.legs.map((l) => l.leg)).toEqual(["a", "b", "s", "p"]);
    const b = r.snapshot.legs.find((l) => l.leg === "b");
    expect(b).toMatchObject({ held: true, callId: "older-call", bridge: "a+b" });
    expect(r.snapshot.legs.find((l) => l.leg === "a")?.callId).toBe("older-call");
    expect(r.monitoring).toMatchObject([{ spy: "s", target: "a", mode: "whisper" }]);
    expect(r.snapshot.reachability).toEqual([{ endpoint: "sofia/internal/1004", reachable: true }]);
    expect(r.registrations.get("sofia/internal/1004")).toEqual([{ token: "tok1", device: "10.0.0.4:5060" }]);
    // Without valet_info the oldest channel running valet_park on a slot is the parked one.
    expect(r.snapshot.parked).toEqual([{ leg: "p", lot: "default", space: "5901" }]);
    expect(
      parseValetInfo(
        '<lots>\n  <lot name="default">\n    <extension uuid="p">5901</extension>\n  </lot>\n</lots>\n',
        [],
      ),
    ).toEqual([{ leg: "p", lot: "default", space: "5901" }]);
    const model = new LiveModel(directory("fs"));
    model.apply(r.snapshot);
    for (const m of r.monitoring) model.apply(m);
    expect(model.presenceOf("u1001")).toBe("on-hold");
    expect(model.presenceOf("u1004")).toBe("on-call");
    const calls = model.activeCalls();
    expect(calls.map((c) => c.state).sort()).toEqual(["held", "parked"]);
    expect(calls.find((c) => c.id === "older-call")?.monitoring[0]).toMatchObject({
      mode: "whisper",
      by: "u1004",
      target: "u1001",
    });
  });
});

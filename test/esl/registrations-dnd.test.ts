// What the live FreeSWITCH showed about registrations, do-not-disturb and the recording policy's view of
// outside parties (test/live/freeswitch-esl.live.test.ts), pinned down without a PBX:
// - FreeSWITCH (no `multiple-registrations`, the default) keeps one registration per phone: a REGISTER
//   under a new Call-ID from the same contact replaces the old one, and an unregister (Expires: 0) ends it
//   whatever its Call-ID (a rebooted phone, or another sipp process, uses another one);
// - DND set with the feature codes of dialplan/freeswitch/callsight.xml (*78 / *79) arrives as a
//   CUSTOM callsight::dnd event carrying the channel's headers, and is kept in the db
//   (`db list/callsight_dnd` at a resync);
// - the dialplan counts a leg of a profile Callsight treats as outside as an outside party: Callsight
//   writes those profiles into the db.

import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { PbxEvent } from "../../src/domain/events.js";
import { FreeswitchEslDriver } from "../../src/pbx/freeswitch-esl/driver.js";
import type { EslEvent } from "../../src/pbx/freeswitch-esl/frame-parser.js";
import { buildEslSnapshot } from "../../src/pbx/freeswitch-esl/resync.js";
import { EslTranslator } from "../../src/pbx/freeswitch-esl/translate.js";
import { waitFor } from "../ami/helpers.js";
import { apiResponse, type FakeEsl, fakeEsl, jsonEvent } from "./helpers.js";

const CONTACT = '"" <sip:1006@127.0.0.1:32781;transport=UDP>';

/** A sofia::register / unregister / expire as the live FreeSWITCH 1.11 sent it (trimmed). */
function registration(sub: string, callId: string, extra: Record<string, string> = {}): EslEvent {
  return {
    "Event-Name": "CUSTOM",
    "Event-Subclass": sub,
    "Event-Date-Timestamp": "1796571406750744",
    "profile-name": "internal",
    "from-user": "1006",
    "from-host": "127.0.0.1",
    contact: CONTACT,
    "call-id": callId,
    "network-ip": "127.0.0.1",
    "network-port": "32781",
    expires: sub === "sofia::register" ? "120" : "0",
    ...extra,
  };
}

function reachability(out: PbxEvent[]): boolean[] {
  return out.flatMap((e) => (e.type === "device.reachability" ? [e.reachable] : []));
}

describe("registrations, as the live FreeSWITCH sends them", () => {
  it("an unregister under another Call-ID than the registration's makes the phone unreachable", () => {
    const t = new EslTranslator("fs");
    expect(reachability(t.translate(registration("sofia::register", "1-8826@127.0.0.1")))).toEqual([true]);
    expect(reachability(t.translate(registration("sofia::unregister", "1-14463@127.0.0.1")))).toEqual([
      false,
    ]);
  });

  it("a phone registering again under a new Call-ID replaces its registration: one unregister ends it", () => {
    const t = new EslTranslator("fs");
    t.translate(registration("sofia::register", "1-1@127.0.0.1"));
    expect(t.translate(registration("sofia::register", "1-2@127.0.0.1"))).toEqual([]);
    // The old registration's expiry (FreeSWITCH dropped it already) changes nothing.
    expect(t.translate(registration("sofia::expire", "1-1@127.0.0.1"))).toEqual([]);
    expect(reachability(t.translate(registration("sofia::unregister", "1-3@127.0.0.1")))).toEqual([false]);
  });

  it("two phones on one account (multiple-registrations): one unregistering leaves the other", () => {
    const t = new EslTranslator("fs");
    t.translate(registration("sofia::register", "desk"));
    t.translate(
      registration("sofia::register", "soft", {
        contact: "<sip:1006@10.0.0.9:5062>",
        "network-port": "5062",
      }),
    );
    expect(t.translate(registration("sofia::unregister", "other-call-id"))).toEqual([]);
    expect(
      reachability(
        t.translate(registration("sofia::expire", "soft", { contact: "<sip:1006@10.0.0.9:5062>" })),
      ),
    ).toEqual([false]);
  });

  it("a registration learned at a resync ends with an unregister under another Call-ID", () => {
    const resync = buildEslSnapshot({
      pbx: "fs",
      at: 1,
      channels: '{"row_count":0}',
      registrations: JSON.stringify({
        row_count: 1,
        rows: [
          {
            reg_user: "1006",
            realm: "127.0.0.1",
            token: "1-8826@127.0.0.1",
            url: "sofia/internal/sip:1006@127.0.0.1:32781;transport=UDP",
            network_ip: "127.0.0.1",
            network_port: "32781",
          },
        ],
      }),
    });
    expect(resync.snapshot.reachability).toEqual([{ endpoint: "sofia/internal/1006", reachable: true }]);
    const t = new EslTranslator("fs");
    t.seed(resync.snapshot, { registrations: resync.registrations });
    expect(reachability(t.translate(registration("sofia::unregister", "1-14463@127.0.0.1")))).toEqual([
      false,
    ]);
  });
});

describe("DND from the dialplan's feature codes", () => {
  /** The CUSTOM event *78 / *79 fire (`event` application: the channel's own headers come with it). */
  function dnd(state: "on" | "off"): EslEvent {
    return {
      "Event-Name": "CUSTOM",
      "Event-Subclass": "callsight::dnd",
      "Event-Date-Timestamp": "1796571406750744",
      "callsight-extension": "1005",
      "callsight-dnd": state,
      "Unique-ID": "d49d4585-c865-4280-b38e-86e1b563a50a",
      "Channel-Name": "sofia/internal/1005@127.0.0.1:37397",
      "Call-Direction": "inbound",
      "Caller-Caller-ID-Number": "1005",
      "Caller-Destination-Number": "*78",
    };
  }

  it("CUSTOM callsight::dnd turns the extension's DND on and off", () => {
    const t = new EslTranslator("fs");
    expect(t.translate(dnd("on"))).toEqual([
      { pbx: "fs", at: 1796571406750, type: "presence.dnd", extension: "1005", on: true },
    ]);
    expect(t.translate(dnd("off"))).toEqual([
      { pbx: "fs", at: 1796571406750, type: "presence.dnd", extension: "1005", on: false },
    ]);
    expect(t.counters.unknown).toEqual({});
  });

  it("the resync reads who has DND on from the db (`db list/callsight_dnd`)", () => {
    const snapshot = (dndList: string | undefined) =>
      buildEslSnapshot({
        pbx: "fs",
        at: 1,
        channels: '{"row_count":0}',
        ...(dndList !== undefined ? { dnd: dndList } : {}),
      });
    expect(snapshot("1005,1002\n").snapshot.dnd).toEqual([
      { extension: "1005", on: true },
      { extension: "1002", on: true },
    ]);
    // An empty realm answers nothing; a FreeSWITCH without mod_db answers -ERR.
    expect(snapshot("").snapshot.dnd).toEqual([]);
    expect(snapshot("-ERR no reply\n").snapshot.dnd).toEqual([]);
    expect(snapshot(undefined).snapshot.dnd).toEqual([]);
  });
});

describe("FreeswitchEslDriver: DND across a reconnect, outside profiles in the db", () => {
  let fake: FakeEsl | undefined;
  let driver: FreeswitchEslDriver | undefined;
  afterEach(async () => {
    await driver?.stop();
    await fake?.close();
    driver = undefined;
    fake = undefined;
  });

  it("subscribes to callsight::dnd; a DND turned off while disconnected is cleared at the resync", async () => {
    fake = await fakeEsl();
    const f = fake;
    let dndList = "1005\n";
    const db: string[] = [];
    f.handler = (command) => {
      if (command.startsWith("auth ")) return "Content-Type: command/reply\nReply-Text: +OK accepted\n\n";
      if (command.startsWith("event ")) return "Content-Type: command/reply\nReply-Text: +OK\n\n";
      if (command.startsWith("api show ")) return apiResponse('{"row_count":0}\n');
      if (command.startsWith("api valet_info")) return apiResponse("<lots></lots>\n");
      if (command === "api db list/callsight_dnd") return apiResponse(dndList);
      if (command.startsWith("api db ")) db.push(command.slice(4));
      return apiResponse("+OK\n");
    };
    driver = new FreeswitchEslDriver({
      pbx: "fs",
      host: "127.0.0.1",
      port: f.port,
      secret: "x",
      logger: pino({ level: "silent" }),
      backoff: { initialMs: 10, maxMs: 50 },
    });
    const events: PbxEvent[] = [];
    driver.onEvents((batch) => events.push(...batch));
    driver.start();
    await waitFor(() => driver?.status().connected, "connected");
    expect(f.commands.find((c) => c.command.startsWith("event json"))?.command).toContain(" callsight::dnd");
    const first = events.find((e) => e.type === "pbx.snapshot");
    expect(first?.type === "pbx.snapshot" && first.dnd).toEqual([{ extension: "1005", on: true }]);

    // *79 while Callsight is away: the db no longer lists 1005 (an empty realm: the event socket's
    // "-ERR no reply", as the live FreeSWITCH answers).
    dndList = "-ERR no reply\n";
    const before = events.length;
    for (const s of f.connections) s.destroy();
    await waitFor(() => events.slice(before).some((e) => e.type === "pbx.snapshot"), "resynced");
    const second = events.slice(before).find((e) => e.type === "pbx.snapshot");
    expect(second?.type === "pbx.snapshot" && second.dnd).toEqual([{ extension: "1005", on: false }]);

    // The recording policy names the profiles whose legs are outside parties (the dialplan reads them).
    await driver.publishRecordingPolicy({ extensions: { "1001": "external" } });
    expect(db).toContain("db insert/callsight_external_profile/external/true");
  });

  it("a live callsight::dnd event is delivered as presence.dnd", async () => {
    fake = await fakeEsl();
    const f = fake;
    f.handler = (command) => {
      if (command.startsWith("auth ")) return "Content-Type: command/reply\nReply-Text: +OK accepted\n\n";
      if (command.startsWith("event ")) return "Content-Type: command/reply\nReply-Text: +OK\n\n";
      if (command.startsWith("api show ")) return apiResponse('{"row_count":0}\n');
      return apiResponse("");
    };
    driver = new FreeswitchEslDriver({
      pbx: "fs",
      host: "127.0.0.1",
      port: f.port,
      secret: "x",
      logger: pino({ level: "silent" }),
    });
    const events: PbxEvent[] = [];
    driver.onEvents((batch) => events.push(...batch));
    driver.start();
    await waitFor(() => driver?.status().connected, "connected");
    f.connections[0]?.write(
      jsonEvent({
        "Event-Name": "CUSTOM",
        "Event-Subclass": "callsight::dnd",
        "callsight-extension": "1005",
        "callsight-dnd": "on",
      }),
    );
    await waitFor(() => events.some((e) => e.type === "presence.dnd"), "presence.dnd");
    expect(events.find((e) => e.type === "presence.dnd")).toMatchObject({ extension: "1005", on: true });
  });
});

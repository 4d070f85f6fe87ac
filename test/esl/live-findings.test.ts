// What the live FreeSWITCH showed that the captured traces did not (test/live/freeswitch-esl.live.test.ts),
// pinned down without a PBX: a spy leg Callsight originates is a monitoring leg from its CHANNEL_CREATE on;
// a recorded leg's recording ends before its hangup; stopRecording answers only once FreeSWITCH's
// RECORD_STOP has been delivered (FreeSWITCH sends it after the api answer, sometimes in a later read).

import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { PbxEvent } from "../../src/domain/events.js";
import { LiveModel } from "../../src/domain/live-model.js";
import { FreeswitchEslDriver } from "../../src/pbx/freeswitch-esl/driver.js";
import type { EslEvent } from "../../src/pbx/freeswitch-esl/frame-parser.js";
import { EslTranslator, SPY_TARGET_VARIABLE } from "../../src/pbx/freeswitch-esl/translate.js";
import { directory, waitFor } from "../ami/helpers.js";
import { apiResponse, type FakeEsl, fakeEsl, jsonEvent } from "./helpers.js";

function leg(uuid: string, name: string, direction: string, extra: Record<string, string> = {}): EslEvent {
  return {
    "Unique-ID": uuid,
    "Channel-Name": name,
    "Call-Direction": direction,
    "Channel-Call-UUID": uuid,
    "Caller-Caller-ID-Number": name.split("/")[2]?.split("@")[0] ?? "",
    ...extra,
  };
}

/** 1001 (A) calls 1002 (B), answered and bridged. */
function answeredCall(): EslEvent[] {
  const a = leg("a", "sofia/internal/1001@127.0.0.1:5101", "inbound", {
    "Caller-Destination-Number": "1002",
  });
  const b = leg("b", "sofia/internal/1002@127.0.0.1:5102", "outbound", {
    "Other-Type": "originator",
    "Other-Leg-Unique-ID": "a",
    variable_dialed_user: "1002",
  });
  return [
    { ...a, "Event-Name": "CHANNEL_CREATE" },
    { ...b, "Event-Name": "CHANNEL_CREATE" },
    { ...b, "Event-Name": "CHANNEL_PROGRESS" },
    { ...b, "Event-Name": "CHANNEL_ANSWER" },
    { ...a, "Event-Name": "CHANNEL_ANSWER" },
    { ...a, "Event-Name": "CHANNEL_BRIDGE", "Bridge-A-Unique-ID": "a", "Bridge-B-Unique-ID": "b" },
  ];
}

describe("EslTranslator, as the live FreeSWITCH behaves", () => {
  it("a spy leg originated with callsight_spy_target is monitoring from its CHANNEL_CREATE: never a call of the supervisor's", () => {
    const t = new EslTranslator("fs");
    const model = new LiveModel(directory("fs"));
    const apply = (e: EslEvent) => {
      const out = t.translate(e);
      for (const ev of out) model.apply(ev);
      // After every event: 1004 has no call of his own, whatever state his spy leg is in.
      expect(model.callsOfUser("u1004")).toEqual([]);
      return out;
    };
    for (const e of answeredCall()) apply(e);
    const spy = leg("s", "sofia/internal/1004@127.0.0.1:5104", "outbound", {
      variable_dialed_user: "1004",
      [`variable_${SPY_TARGET_VARIABLE}`]: "a",
      variable_eavesdrop_whisper_aleg: "true",
    });
    const created = apply({ ...spy, "Event-Name": "CHANNEL_CREATE" });
    expect(created.map((e) => e.type)).toEqual(["leg.created", "monitoring.started"]);
    expect(created[1]).toMatchObject({ spy: "s", target: "a", mode: "whisper" });
    expect(model.callsOfUser("u1001")[0]?.monitoring).toEqual([
      expect.objectContaining({ by: "u1004", target: "u1001", mode: "whisper" }),
    ]);
    apply({ ...spy, "Event-Name": "CHANNEL_PROGRESS" });
    apply({ ...spy, "Event-Name": "CHANNEL_ANSWER" });
    // eavesdrop starts after the answer: the session is known already, nothing new.
    const executed = apply({
      ...spy,
      "Event-Name": "CHANNEL_EXECUTE",
      Application: "eavesdrop",
      "Application-Data": "a",
    });
    expect(executed.filter((e) => e.type === "monitoring.started")).toEqual([]);
    expect(model.presenceOf("u1004")).toBe("on-call");
    const gone = apply({ ...spy, "Event-Name": "CHANNEL_HANGUP", "Hangup-Cause": "NORMAL_CLEARING" });
    expect(gone.map((e) => e.type)).toEqual(["monitoring.stopped", "leg.hangup"]);
    expect(model.callsOfUser("u1001")[0]?.monitoring[0]?.endedAt).toBeDefined();
  });

  it("a spy target the translator does not know leaves the leg an ordinary one until eavesdrop runs", () => {
    const t = new EslTranslator("fs");
    const out = t.translate({
      ...leg("s", "sofia/internal/1004@127.0.0.1:5104", "outbound", {
        [`variable_${SPY_TARGET_VARIABLE}`]: "nobody",
      }),
      "Event-Name": "CHANNEL_CREATE",
    });
    expect(out.map((e) => e.type)).toEqual(["leg.created"]);
  });

  it("a recorded leg that hangs up: the recording ends before the hangup, the late RECORD_STOP adds nothing", () => {
    const t = new EslTranslator("fs");
    for (const e of answeredCall()) t.translate(e);
    const a = leg("a", "sofia/internal/1001@127.0.0.1:5101", "inbound");
    t.translate({ ...a, "Event-Name": "RECORD_START", "Record-File-Path": "/rec/x.wav" });
    expect(t.isRecording("a")).toBe(true);
    const hangup = t.translate({ ...a, "Event-Name": "CHANNEL_HANGUP", "Hangup-Cause": "NORMAL_CLEARING" });
    const types = hangup.map((e) => e.type);
    expect(types.indexOf("recording.stopped")).toBeGreaterThanOrEqual(0);
    expect(types.indexOf("recording.stopped")).toBeLessThan(types.indexOf("leg.hangup"));
    expect(hangup.find((e) => e.type === "recording.stopped")).toMatchObject({
      leg: "a",
      file: "/rec/x.wav",
    });
    expect(t.translate({ ...a, "Event-Name": "RECORD_STOP", "Record-File-Path": "/rec/x.wav" })).toEqual([]);
  });

  it("a recording stopped before the hangup ends once", () => {
    const t = new EslTranslator("fs");
    for (const e of answeredCall()) t.translate(e);
    const b = leg("b", "sofia/internal/1002@127.0.0.1:5102", "outbound");
    t.translate({ ...b, "Event-Name": "RECORD_START", "Record-File-Path": "/rec/y.wav" });
    const stopped = t.translate({ ...b, "Event-Name": "RECORD_STOP", "Record-File-Path": "/rec/y.wav" });
    expect(stopped.map((e) => e.type)).toEqual(["recording.stopped"]);
    expect(t.isRecording("b")).toBe(false);
    const hangup = t.translate({ ...b, "Event-Name": "CHANNEL_HANGUP", "Hangup-Cause": "NORMAL_CLEARING" });
    expect(hangup.filter((e) => e.type === "recording.stopped")).toEqual([]);
  });
});

describe("FreeswitchEslDriver, as the live FreeSWITCH behaves", () => {
  let fake: FakeEsl | undefined;
  let driver: FreeswitchEslDriver | undefined;
  afterEach(async () => {
    await driver?.stop();
    await fake?.close();
    driver = undefined;
    fake = undefined;
  });

  async function connected(): Promise<{ batches: PbxEvent[][]; send(e: EslEvent): void }> {
    fake = await fakeEsl();
    const f = fake;
    f.handler = (command) => {
      if (command.startsWith("auth ")) return "Content-Type: command/reply\nReply-Text: +OK accepted\n\n";
      if (command.startsWith("event ")) return "Content-Type: command/reply\nReply-Text: +OK\n\n";
      if (command.startsWith("api show ")) return apiResponse('{"row_count":0}\n');
      if (command.startsWith("api valet_info")) return apiResponse("<valet_lots></valet_lots>\n");
      if (command.startsWith("api uuid_record ") && command.includes(" stop ")) {
        // The answer first, the RECORD_STOP in a later read (as FreeSWITCH does now and then).
        setTimeout(
          () =>
            f.connections[0]?.write(
              jsonEvent({
                ...(leg("a", "sofia/internal/1001@127.0.0.1:5101", "inbound") as Record<string, string>),
                "Event-Name": "RECORD_STOP",
                "Record-File-Path": "/rec/ondemand.wav",
              }),
            ),
          50,
        );
        return apiResponse("+OK Success\n");
      }
      if (command.startsWith("api ")) return apiResponse("+OK\n");
      return "Content-Type: command/reply\nReply-Text: +OK\n\n";
    };
    driver = new FreeswitchEslDriver({
      pbx: "fs",
      host: "127.0.0.1",
      port: f.port,
      secret: "x",
      logger: pino({ level: "silent" }),
      backoff: { initialMs: 10, maxMs: 50 },
    });
    const batches: PbxEvent[][] = [];
    driver.onEvents((events) => batches.push(events));
    driver.start();
    await waitFor(() => driver?.status().connected, "connected");
    return {
      batches,
      send: (e) => f.connections[0]?.write(jsonEvent(e as Record<string, string>)),
    };
  }

  it("stopRecording answers after the RECORD_STOP that follows FreeSWITCH's answer was delivered", async () => {
    const { batches, send } = await connected();
    for (const e of answeredCall()) send(e);
    send({
      ...leg("a", "sofia/internal/1001@127.0.0.1:5101", "inbound"),
      "Event-Name": "RECORD_START",
      "Record-File-Path": "/rec/ondemand.wav",
    });
    await waitFor(() => batches.flat().some((e) => e.type === "recording.started"), "recording started");
    const outcome = await driver!.stopRecording({ leg: "a" });
    expect(outcome.status).toBe("accepted");
    // Delivered before the answer reached the caller.
    expect(batches.flat().some((e) => e.type === "recording.stopped" && e.leg === "a")).toBe(true);
  });

  it("a channel `show channels` still lists after it hung up is no leg of the snapshot (FreeSWITCH's channel table lags)", async () => {
    // Live: *78 hung up 100 ms before the reconnect; `show channels` still listed it (FreeSWITCH writes its
    // channel table through a queue) and its CHANNEL_HANGUP had gone to no one: a ghost call until the
    // next resync. `uuid_exists` asks the switch itself.
    fake = await fakeEsl();
    const f = fake;
    const row = (uuid: string, name: string) => ({
      uuid,
      direction: "inbound",
      created_epoch: "1796572485",
      name,
      state: "CS_EXECUTE",
      cid_num: name.split("/")[2]?.split("@")[0],
      dest: "*78",
      callstate: "ACTIVE",
      call_uuid: uuid,
    });
    f.handler = (command) => {
      if (command.startsWith("auth ")) return "Content-Type: command/reply\nReply-Text: +OK accepted\n\n";
      if (command.startsWith("event ")) return "Content-Type: command/reply\nReply-Text: +OK\n\n";
      if (command === "api show channels as json")
        return apiResponse(
          JSON.stringify({
            row_count: 2,
            rows: [
              row("gone", "sofia/internal/1005@127.0.0.1:33673"),
              row("live", "sofia/internal/1004@127.0.0.1:33674"),
            ],
          }),
        );
      if (command.startsWith("api show ")) return apiResponse('{"row_count":0}\n');
      if (command === "api uuid_exists gone") return apiResponse("false");
      if (command === "api uuid_exists live") return apiResponse("true");
      return apiResponse("-ERR no reply\n");
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
    const snapshot = events.find((e) => e.type === "pbx.snapshot");
    expect(snapshot?.type === "pbx.snapshot" && snapshot.legs.map((l) => l.leg)).toEqual(["live"]);
    expect(driver.knowsLeg("gone")).toBe(false);
  });

  it("a recording's end closes its batch: the hangup read with it comes in the next one", async () => {
    const { batches, send } = await connected();
    for (const e of answeredCall()) send(e);
    const a = leg("a", "sofia/internal/1001@127.0.0.1:5101", "inbound");
    send({ ...a, "Event-Name": "RECORD_START", "Record-File-Path": "/rec/p.wav" });
    await waitFor(() => batches.flat().some((e) => e.type === "recording.started"), "recording started");
    fake!.connections[0]?.write(
      jsonEvent({
        ...(a as Record<string, string>),
        "Event-Name": "CHANNEL_HANGUP",
        "Hangup-Cause": "NORMAL_CLEARING",
      }),
    );
    await waitFor(() => batches.flat().some((e) => e.type === "leg.hangup"), "hangup");
    const stopBatch = batches.find((b) => b.some((e) => e.type === "recording.stopped"));
    expect(stopBatch?.at(-1)?.type).toBe("recording.stopped");
    expect(stopBatch?.some((e) => e.type === "leg.hangup")).toBe(false);
  });
});

describe("FreeswitchEslDriver resync: recordings running while the link was down", () => {
  let fake: FakeEsl | undefined;
  let driver: FreeswitchEslDriver | undefined;
  afterEach(async () => {
    await driver?.stop();
    await fake?.close();
    driver = undefined;
    fake = undefined;
  });

  const BUGS = `<media-bugs>
 <media-bug>
  <function>session_record</function>
  <target>/rec/a-1002.wav</target>
  <thread-locked>0</thread-locked>
 </media-bug>
</media-bugs>
`;

  /** 1001 (a) and 1002 (b) talking, answered while Callsight was not connected; b's leg is recorded. */
  async function resynced(buglist: (uuid: string) => string) {
    fake = await fakeEsl();
    const f = fake;
    const row = (uuid: string, name: string, direction: string) => ({
      uuid,
      direction,
      created_epoch: "1796572917",
      name,
      cid_num: "1001",
      dest: "1002",
      callstate: "ACTIVE",
      call_uuid: "a",
    });
    f.handler = (command) => {
      if (command.startsWith("auth ")) return "Content-Type: command/reply\nReply-Text: +OK accepted\n\n";
      if (command.startsWith("event ")) return "Content-Type: command/reply\nReply-Text: +OK\n\n";
      if (command === "api show channels as json")
        return apiResponse(
          JSON.stringify({
            row_count: 2,
            rows: [
              row("a", "sofia/internal/1001@127.0.0.1:5101", "inbound"),
              row("b", "sofia/internal/1002@127.0.0.1:5102", "outbound"),
            ],
          }),
        );
      if (command.startsWith("api show ")) return apiResponse('{"row_count":0}\n');
      if (command.startsWith("api uuid_exists ")) return apiResponse("true");
      if (command.startsWith("api uuid_buglist ")) return apiResponse(buglist(command.slice(17)));
      return apiResponse("-ERR no reply\n");
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
    const snapshot = events.find((e) => e.type === "pbx.snapshot");
    if (snapshot?.type !== "pbx.snapshot") throw new Error("no snapshot");
    return { events, snapshot, f };
  }

  it("uuid_buglist names the recordings running: in the snapshot, and ended with the leg's hangup", async () => {
    const { events, snapshot, f } = await resynced((uuid) =>
      uuid === "b" ? BUGS : "<media-bugs>\n</media-bugs>\n",
    );
    expect(snapshot.recordings).toEqual([{ leg: "b", file: "/rec/a-1002.wav" }]);
    // Known as recorded from the snapshot on: its hangup ends the recording first (as a live one does).
    f.connections[0]?.write(
      jsonEvent({
        ...(leg("b", "sofia/internal/1002@127.0.0.1:5102", "outbound") as Record<string, string>),
        "Event-Name": "CHANNEL_HANGUP",
        "Hangup-Cause": "NORMAL_CLEARING",
      }),
    );
    await waitFor(() => events.some((e) => e.type === "leg.hangup"), "hangup");
    const after = events.slice(events.indexOf(snapshot) + 1).map((e) => e.type);
    expect(after.filter((t) => t !== "pbx.connection")).toEqual(["recording.stopped", "leg.hangup"]);
  });

  it("a leg whose media bugs FreeSWITCH did not list leaves the recordings unknown (absent)", async () => {
    const { snapshot } = await resynced((uuid) => (uuid === "b" ? "-ERR timeout\n" : BUGS));
    expect(snapshot.recordings).toBeUndefined();
  });
});

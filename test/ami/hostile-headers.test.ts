// Issue 14 item 8: one AMI header must not stall ingestion. `constructor: x` made the frame parser throw
// (`key in frame` is true for Object.prototype's members), the frame stayed in the buffer and every later
// read failed until the keep-alive rebuilt the link. Header names are keys of objects without a
// prototype now, a frame that still cannot be handled is reported and dropped, and names like
// `__proto__`, `toString` or `hasOwnProperty` reach nothing downstream. Checked on the parser, the
// translator, a session over a real socket and the driver on the simulator.

import { afterEach, describe, expect, it } from "vitest";
import { AmiSimulator } from "../../simulators/ami-simulator.js";
import { LiveModel } from "../../src/domain/live-model.js";
import { AsteriskAmiDriver } from "../../src/pbx/asterisk-ami/driver.js";
import { type AmiFrame, AmiFrameParser } from "../../src/pbx/asterisk-ami/frame-parser.js";
import { AmiSession } from "../../src/pbx/asterisk-ami/session.js";
import { AmiTranslator } from "../../src/pbx/asterisk-ami/translate.js";
import {
  capturingLogger,
  directory,
  type FakeAmi,
  fakeAmi,
  frame,
  silentLogger,
  waitFor,
} from "./helpers.js";

const BAD = "Event: Newchannel\r\nconstructor: x\r\n\r\n";
const NEWCHANNEL =
  "Event: Newchannel\r\nChannel: PJSIP/1001-00000001\r\nChannelState: 4\r\nChannelStateDesc: Ring\r\n" +
  "CallerIDNum: 1001\r\nCallerIDName: Alice\r\nExten: 1002\r\nUniqueid: 1.1\r\nLinkedid: 1.1\r\n\r\n";
const HANGUP =
  "Event: Hangup\r\nChannel: PJSIP/1001-00000001\r\nUniqueid: 1.1\r\nLinkedid: 1.1\r\nCause: 16\r\n" +
  "Cause-txt: Normal Clearing\r\n\r\n";

function collect(): {
  parser: AmiFrameParser;
  frames: AmiFrame[];
  repeated: (Record<string, string[]> | undefined)[];
  malformed: { reason: string; sample: string }[];
} {
  const out = {
    frames: [] as AmiFrame[],
    repeated: [] as (Record<string, string[]> | undefined)[],
    malformed: [] as { reason: string; sample: string }[],
  };
  const parser = new AmiFrameParser(
    {
      frame: (f, r) => {
        out.frames.push(f);
        out.repeated.push(r);
      },
      malformed: (reason, sample) => out.malformed.push({ reason, sample }),
    },
    undefined,
    { banner: false },
  );
  return { parser, ...out };
}

describe("AmiFrameParser with headers named like Object.prototype members", () => {
  it("reads `constructor: x` as a header and the frames after it", () => {
    const c = collect();
    c.parser.push(BAD);
    c.parser.push(NEWCHANNEL);
    expect(c.frames.map((f) => f.Event)).toEqual(["Newchannel", "Newchannel"]);
    expect(c.frames[0]?.constructor).toBe("x");
    expect(c.frames[1]?.Uniqueid).toBe("1.1");
    expect(c.malformed).toEqual([]);
  });

  it("keeps __proto__, toString, hasOwnProperty, valueOf as ordinary (and repeatable) keys", () => {
    const c = collect();
    c.parser.push(
      "Event: Newchannel\r\n__proto__: a\r\n__proto__: b\r\ntoString: c\r\nhasOwnProperty: d\r\n" +
        "hasOwnProperty: e\r\nvalueOf: f\r\nisPrototypeOf: g\r\nUniqueid: 1.1\r\n\r\n",
    );
    const [f] = c.frames;
    expect(f).toBeDefined();
    if (!f) return;
    expect(Object.keys(f)).toEqual([
      "Event",
      "__proto__",
      "toString",
      "hasOwnProperty",
      "valueOf",
      "isPrototypeOf",
      "Uniqueid",
    ]);
    expect(Object.getOwnPropertyDescriptor(f, "__proto__")?.value).toBe("a");
    expect(f.toString).toBe("c");
    expect(c.repeated[0]).toEqual({ ["__proto__"]: ["a", "b"], hasOwnProperty: ["d", "e"] });
    expect(Object.hasOwn(c.repeated[0] ?? {}, "__proto__")).toBe(true);
    // Nothing was inherited, and nothing leaked into Object.prototype.
    expect("toString" in (c.repeated[0] ?? {})).toBe(false);
    expect(({} as Record<string, unknown>).a).toBeUndefined();
    expect(Object.prototype.toString.call({})).toBe("[object Object]");
  });

  it("a frame whose handling throws is reported with a sample, dropped, and never read again", () => {
    const frames: string[] = [];
    const malformed: { reason: string; sample: string }[] = [];
    const parser = new AmiFrameParser(
      {
        frame: (f) => {
          if (f.Uniqueid === "boom") throw new Error("handler exploded");
          frames.push(f.Uniqueid ?? "");
        },
        malformed: (reason, sample) => malformed.push({ reason, sample }),
      },
      undefined,
      { banner: false },
    );
    parser.push("Event: Newchannel\r\nUniqueid: boom\r\n\r\nEvent: Newchannel\r\nUniqueid: 1\r\n\r\n");
    parser.push("Event: Newchannel\r\nUniqueid: 2\r\n\r\n");
    expect(frames).toEqual(["1", "2"]);
    expect(malformed).toEqual([
      { reason: "frame handler failed: handler exploded", sample: "Event: Newchannel\r\nUniqueid: boom" },
    ]);
  });
});

describe("AmiTranslator with hostile names", () => {
  it("translates frames carrying prototype-named headers as if they were absent", () => {
    const c = collect();
    c.parser.push(`${NEWCHANNEL.slice(0, -2)}constructor: x\r\n__proto__: y\r\ntoString: z\r\n\r\n${HANGUP}`);
    const translator = new AmiTranslator("pbx");
    const events = c.frames.flatMap((f) => translator.translate(f));
    expect(events.map((e) => e.type)).toEqual(["leg.created", "leg.hangup"]);
    expect(events[1]).toMatchObject({ cause: 16, causeText: "Normal Clearing" });
  });

  it("counts unknown events named toString, constructor or __proto__ as numbers", () => {
    const c = collect();
    c.parser.push(
      "Event: toString\r\n\r\nEvent: toString\r\n\r\nEvent: constructor\r\n\r\nEvent: __proto__\r\n\r\n",
    );
    const translator = new AmiTranslator("pbx");
    for (const f of c.frames) translator.translate(f);
    expect({ ...translator.counters.unknown }).toEqual({ toString: 2, constructor: 1, ["__proto__"]: 1 });
  });
});

describe("AmiSession over a real socket", () => {
  let fake: FakeAmi | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  it("delivers the events after a `constructor: x` frame at once (no stall until a keep-alive)", async () => {
    fake = await fakeAmi();
    const events: AmiFrame[] = [];
    const malformed: string[] = [];
    const session = await AmiSession.connect(
      {
        host: "127.0.0.1",
        port: fake.port,
        username: "callsight",
        secret: "s3cret",
        pingIntervalMs: 0,
        logger: silentLogger(),
      },
      { events: (frames) => events.push(...frames), malformed: (reason) => malformed.push(reason) },
    );
    const socket = fake.connections[0];
    if (!socket) throw new Error("no server-side socket");
    socket.write(BAD);
    socket.write(NEWCHANNEL);
    socket.write(HANGUP);
    await waitFor(() => events.some((e) => e.Event === "Hangup"), "the events after the bad frame");
    expect(events.map((e) => e.Event)).toEqual(["Newchannel", "Newchannel", "Hangup"]);
    // Actions still get their answers on the same connection.
    fake.handler = (a) => frame({ Response: "Success", ActionID: a.ActionID ?? "", Ping: "Pong" });
    await expect(session.action("Ping")).resolves.toMatchObject({ Ping: "Pong" });
    expect(malformed).toEqual([]);
    expect(session.closed).toBe(false);
    await session.close();
  });
});

describe("AsteriskAmiDriver on the simulator", () => {
  it("keeps ingesting on the same session after hostile headers; unknown counts stay numbers", async () => {
    const { logger, records } = capturingLogger("warn");
    const sim = new AmiSimulator({ commandTimeScale: 0.05 });
    const { port } = await sim.start({ username: "callsight", secret: "pw" });
    const driver = new AsteriskAmiDriver({
      pbx: "ast1",
      host: "127.0.0.1",
      port,
      username: "callsight",
      secret: "pw",
      backoff: { initialMs: 20, maxMs: 100 },
      pingIntervalMs: 0,
      logger,
    });
    const model = new LiveModel(directory("ast1"));
    driver.onEvents((batch) => {
      for (const e of batch) model.apply(e);
    });
    try {
      driver.start();
      await waitFor(() => driver.status().connected, "driver connected");
      sim.injectRaw(BAD);
      sim.injectRaw("Event: toString\r\nhasOwnProperty: 1\r\n\r\n");
      sim.injectRaw("Event: PeerStatus\r\n__proto__: x\r\nPeer: PJSIP/1001\r\nPeerStatus: Reachable\r\n\r\n");
      sim.setPresence("1001", "away", "", "back soon");
      await waitFor(() => model.presenceOf("u1001") === "away", "the events after the hostile frames");
      expect(driver.counters.sessions).toBe(1);
      expect(driver.counters.unknownEvents.toString).toBe(1);
      expect(records.filter((r) => r.level >= 50)).toEqual([]);
    } finally {
      await driver.stop();
      await sim.stop();
    }
  });
});

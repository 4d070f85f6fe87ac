// Issue 14: names from the wire that are Object.prototype members. ESL header blocks are read into
// objects without a prototype, and an Event-Name that is not a FreeSWITCH event type is refused at
// decoding (it used to reach the translator, whose `unknown[name]` counter turned into a string).

import { describe, expect, it } from "vitest";
import { decodeEventBody, type EslFrame, EslFrameParser } from "../../src/pbx/freeswitch-esl/frame-parser.js";
import { EslTranslator, hangupCause } from "../../src/pbx/freeswitch-esl/translate.js";

function json(obj: Record<string, unknown>): Buffer {
  return Buffer.from(JSON.stringify(obj));
}

describe("ESL names that are Object.prototype members", () => {
  it("keeps `__proto__` and `constructor` header lines as headers", () => {
    const frames: EslFrame[] = [];
    const parser = new EslFrameParser({ frame: (f) => frames.push(f) });
    parser.push("Content-Type: command/reply\n__proto__: x\nconstructor: y\nReply-Text: +OK\n\n");
    expect(frames).toHaveLength(1);
    const headers = frames[0]?.headers ?? {};
    expect(Object.keys(headers)).toEqual(["Content-Type", "__proto__", "constructor", "Reply-Text"]);
    expect(Object.getOwnPropertyDescriptor(headers, "__proto__")?.value).toBe("x");
    expect("toString" in headers).toBe(false);
  });

  it("refuses an Event-Name that is not an event type, in JSON and in plain bodies", () => {
    for (const name of ["toString", "constructor", "__proto__", "hasOwnProperty", "channel_create", ""]) {
      const decoded = decodeEventBody("text/event-json", json({ "Event-Name": name }));
      expect(decoded.ok, name).toBe(false);
      const plain = decodeEventBody("text/event-plain", Buffer.from(`Event-Name: ${name}\n\n`));
      expect(plain.ok, name).toBe(false);
    }
    for (const name of ["CHANNEL_CREATE", "CUSTOM", "RE_SCHEDULE", "HEARTBEAT"]) {
      expect(decodeEventBody("text/event-json", json({ "Event-Name": name })).ok, name).toBe(true);
    }
  });

  it("so the translator's unknown-event counters stay numbers", () => {
    const translator = new EslTranslator("pbx");
    for (const name of ["toString", "constructor", "SOMETHING_NEW"]) {
      const decoded = decodeEventBody("text/event-json", json({ "Event-Name": name }));
      if (decoded.ok) translator.translate(decoded.event);
    }
    expect({ ...translator.counters.unknown }).toEqual({ SOMETHING_NEW: 1 });
  });

  // HANGUP_CAUSES is a plain object: only its own keys name a cause (the fuzz guard found this).
  it("a Hangup-Cause named like a prototype member gives a number", () => {
    expect(typeof hangupCause("constructor")).toBe("number");
    expect(typeof hangupCause("__proto__")).toBe("number");
  });
});

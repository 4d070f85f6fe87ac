// EslFrameParser and the event body decoders: byte-counted bodies across any chunking, UTF-8,
// lying Content-Lengths, bodies that are not JSON, oversized headers, plain events, unknown subclasses.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { serializePlainEvent } from "../../simulators/esl-trace.js";
import {
  decodeEventBody,
  type EslFrame,
  EslFrameParser,
  peekEventName,
  urlDecode,
} from "../../src/pbx/freeswitch-esl/frame-parser.js";
import { EslTranslator } from "../../src/pbx/freeswitch-esl/translate.js";

function collect(limits = {}) {
  const frames: EslFrame[] = [];
  const bodies: string[] = [];
  const malformed: { reason: string; sample: string }[] = [];
  const parser = new EslFrameParser(
    {
      frame: (f) => {
        frames.push({ headers: f.headers });
        bodies.push(f.body ? f.body.toString("utf8") : "");
      },
      malformed: (reason, sample) => malformed.push({ reason, sample }),
    },
    limits,
  );
  return { parser, frames, bodies, malformed };
}

function jsonFrame(obj: Record<string, unknown>): Buffer {
  const body = Buffer.from(JSON.stringify(obj), "utf8");
  return Buffer.concat([
    Buffer.from(`Content-Length: ${body.length}\nContent-Type: text/event-json\n\n`),
    body,
  ]);
}

const trace = readFileSync("test/fixtures/freeswitch/08-valet-park-and-retrieve.esl.txt");

describe("EslFrameParser", () => {
  it("reads a whole captured session, and the same frames whatever the chunking", () => {
    const whole = collect();
    whole.parser.push(trace);
    expect(whole.malformed).toEqual([]);
    expect(whole.parser.buffered).toBe(0);
    const types = whole.frames.map((f) => f.headers["Content-Type"]);
    expect(types.slice(0, 3)).toEqual(["auth/request", "command/reply", "command/reply"]);
    expect(types.filter((t) => t === "text/event-json").length).toBe(113); // "Event counts (113 events)" in the .md
    for (const size of [1, 7, 100, 4096]) {
      const c = collect();
      for (let i = 0; i < trace.length; i += size) c.parser.push(trace.subarray(i, i + size));
      expect(c.frames).toEqual(whole.frames);
      expect(c.bodies).toEqual(whole.bodies);
      expect(c.malformed).toEqual([]);
    }
  });

  it("a Content-Length split across reads, and the blank line split across reads", () => {
    const frame = jsonFrame({ "Event-Name": "HEARTBEAT", "Event-Info": "System Ready" });
    const text = frame.toString("latin1");
    // Split inside "Content-Length: 5|3", between the two \n of the blank line, and inside the body.
    const cuts = [10, text.indexOf("\n\n") + 1, text.indexOf("\n\n") + 10];
    const c = collect();
    let from = 0;
    for (const cut of cuts) {
      c.parser.push(frame.subarray(from, cut));
      from = cut;
      expect(c.frames).toHaveLength(0);
    }
    c.parser.push(frame.subarray(from));
    expect(c.frames).toHaveLength(1);
    expect(JSON.parse(c.bodies[0] ?? "")).toEqual({
      "Event-Name": "HEARTBEAT",
      "Event-Info": "System Ready",
    });
  });

  it("counts multi-byte UTF-8 bodies in bytes, even when a character is split between reads", () => {
    const name = "Zoë Ångström 北京 😀";
    const frame = Buffer.concat([
      jsonFrame({ "Event-Name": "CHANNEL_CREATE", "Caller-Caller-ID-Name": name }),
      jsonFrame({ "Event-Name": "HEARTBEAT" }),
    ]);
    const emoji = frame.indexOf(Buffer.from("😀"));
    const c = collect();
    c.parser.push(frame.subarray(0, emoji + 2));
    c.parser.push(frame.subarray(emoji + 2));
    expect(c.malformed).toEqual([]);
    expect(c.bodies).toHaveLength(2);
    expect(JSON.parse(c.bodies[0] ?? "")["Caller-Caller-ID-Name"]).toBe(name);
    expect(JSON.parse(c.bodies[1] ?? "")["Event-Name"]).toBe("HEARTBEAT");
  });

  it("a Content-Length that is too short: the rest of the body is skipped and the next frame still read", () => {
    const good = jsonFrame({ "Event-Name": "CHANNEL_ANSWER", "Unique-ID": "a" });
    const body = JSON.stringify({ "Event-Name": "CHANNEL_CREATE", "Unique-ID": "x" });
    const lying = Buffer.from(`Content-Length: 10\nContent-Type: text/event-json\n\n${body}`);
    const c = collect();
    c.parser.push(Buffer.concat([lying, good, good]));
    expect(c.bodies.slice(-2).map((b) => JSON.parse(b)["Event-Name"])).toEqual([
      "CHANNEL_ANSWER",
      "CHANNEL_ANSWER",
    ]);
    expect(c.malformed.map((m) => m.reason)).toContain("bytes before a frame skipped");
    // The short body itself reaches the decoder, which says it is not JSON.
    const decoded = decodeEventBody("text/event-json", Buffer.from(c.bodies[0] ?? ""));
    expect(decoded.ok).toBe(false);
  });

  it("a Content-Length that is too long swallows the next frame, then the stream recovers", () => {
    const body = JSON.stringify({ "Event-Name": "CHANNEL_CREATE" });
    const lying = Buffer.from(
      `Content-Length: ${body.length + 30}\nContent-Type: text/event-json\n\n${body}`,
    );
    const next = jsonFrame({ "Event-Name": "CHANNEL_ANSWER", "Unique-ID": "b" });
    const c = collect();
    c.parser.push(Buffer.concat([lying, next, next, next]));
    const names = c.bodies.flatMap((b) => {
      const d = decodeEventBody("text/event-json", Buffer.from(b));
      return d.ok ? [d.event["Event-Name"]] : ["(bad)"];
    });
    expect(names[0]).toBe("(bad)");
    expect(names.slice(-2)).toEqual(["CHANNEL_ANSWER", "CHANNEL_ANSWER"]);
    expect(c.parser.buffered).toBe(0);
  });

  it("a body that is not JSON is reported by the decoder, not thrown", () => {
    const d = decodeEventBody("text/event-json", Buffer.from("{not json"));
    expect(d.ok).toBe(false);
    expect(!d.ok && d.reason).toMatch(/^event body is not JSON/);
    expect(decodeEventBody("text/event-json", Buffer.from("[1,2]")).ok).toBe(false);
    expect(decodeEventBody("text/event-json", Buffer.from('{"no":"name"}')).ok).toBe(false);
    expect(decodeEventBody("text/event-xml", Buffer.from("<event/>")).ok).toBe(false);
  });

  it("a 1 MB header block is dropped with one report, memory stays bounded, the next frame is read", () => {
    const c = collect({ maxHeaderBytes: 64 * 1024 });
    c.parser.push("Content-Type: text/event-json\nX-Big: ");
    const chunk = Buffer.alloc(64 * 1024, "a");
    let peak = 0;
    for (let i = 0; i < 16; i++) {
      c.parser.push(chunk);
      peak = Math.max(peak, c.parser.buffered);
    }
    c.parser.push("\n\n");
    c.parser.push(jsonFrame({ "Event-Name": "HEARTBEAT" }));
    expect(peak).toBeLessThanOrEqual(128 * 1024);
    expect(c.malformed).toHaveLength(1);
    expect(c.malformed[0]?.reason).toMatch(/header block larger than/);
    expect(c.bodies.map((b) => JSON.parse(b)["Event-Name"])).toEqual(["HEARTBEAT"]);
  });

  it("garbage, an unusable Content-Length and blank lines between frames", () => {
    const c = collect();
    c.parser.push(Buffer.from([0, 255, 254, 1, 0x0a, 0x0a]));
    c.parser.push("Content-Length: -4\nContent-Type: text/event-json\n\n");
    c.parser.push("\n\n");
    c.parser.push(jsonFrame({ "Event-Name": "HEARTBEAT" }));
    expect(c.malformed.map((m) => m.reason)).toEqual([
      "not an ESL header block",
      'unusable Content-Length "-4"',
    ]);
    expect(c.bodies.map((b) => JSON.parse(b)["Event-Name"])).toEqual(["HEARTBEAT"]);
  });

  it("20,000 frames in one read: no recursion, no stack overflow (modesl's parser overflows at 5,000)", () => {
    const c = collect();
    const one = jsonFrame({ "Event-Name": "HEARTBEAT" });
    c.parser.push(Buffer.concat(Array.from({ length: 20_000 }, () => one)));
    expect(c.frames).toHaveLength(20_000);
    expect(c.malformed).toEqual([]);
  });

  it("reset() forgets a frame cut off by a dropped connection", () => {
    const c = collect();
    c.parser.push('Content-Length: 500\nContent-Type: text/event-json\n\n{"Event-Name":');
    expect(c.parser.buffered).toBeGreaterThan(0);
    c.parser.reset();
    c.parser.push(jsonFrame({ "Event-Name": "HEARTBEAT" }));
    expect(c.bodies.map((b) => JSON.parse(b)["Event-Name"])).toEqual(["HEARTBEAT"]);
  });
});

describe("event bodies", () => {
  it("peeks the Event-Name without parsing (CUSTOM events put Event-Subclass first)", () => {
    expect(peekEventName(Buffer.from('{"Event-Name":"CHANNEL_STATE","Core-UUID":"x"}'))).toBe(
      "CHANNEL_STATE",
    );
    expect(peekEventName(Buffer.from('{"Event-Subclass":"valet_parking::info","Event-Name":"CUSTOM"}'))).toBe(
      "CUSTOM",
    );
    expect(peekEventName(Buffer.from("{}"))).toBeUndefined();
  });

  it("decodes event plain: url-encoded values and the event body after the inner Content-Length", () => {
    const text = serializePlainEvent({
      "Event-Name": "BACKGROUND_JOB",
      "Job-UUID": "j1",
      "Job-Command-Arg": "{a=b}user/1004 &eavesdrop(x)",
      "Caller-Caller-ID-Name": "Zoë 50% off",
      _body: "+OK 1234\n",
    });
    const c = collect();
    c.parser.push(text);
    expect(c.frames[0]?.headers["Content-Type"]).toBe("text/event-plain");
    const d = decodeEventBody("text/event-plain", Buffer.from(c.bodies[0] ?? ""));
    expect(d.ok && d.event).toMatchObject({
      "Event-Name": "BACKGROUND_JOB",
      "Job-Command-Arg": "{a=b}user/1004 &eavesdrop(x)",
      "Caller-Caller-ID-Name": "Zoë 50% off",
      _body: "+OK 1234\n",
    });
    expect(urlDecode("100%")).toBe("100%");
    expect(urlDecode("%2B15551234567")).toBe("+15551234567");
  });

  it("an unknown event and an unknown CUSTOM subclass are counted, not translated", () => {
    const t = new EslTranslator("fs");
    expect(
      t.translate({ "Event-Name": "CUSTOM", "Event-Subclass": "acme::fancy_thing", foo: "bar" }),
    ).toEqual([]);
    expect(t.translate({ "Event-Name": "SOMETHING_NEW" })).toEqual([]);
    expect(t.translate({ "Event-Name": "CHANNEL_STATE", "Unique-ID": "u" })).toEqual([]);
    expect(t.counters.unknown).toEqual({ "CUSTOM::acme::fancy_thing": 1, SOMETHING_NEW: 1 });
    expect(t.counters.ignored).toBe(1);
  });
});

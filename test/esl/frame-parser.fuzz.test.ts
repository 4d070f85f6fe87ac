// Fuzz guard (issue 14): mutated windows of the real FreeSWITCH captures through the ESL frame parser,
// the connection's event path (peek + FrameInterest skip, JSON or plain decoding) and the translator.
// Event bodies are mutated as JSON (with a matching or a stale Content-Length), sometimes sent as
// `text/event-plain`, then the bytes are mutated. No input may throw, take more than a bounded time or
// poison a prototype or a counter; the same bytes split at other points must give the same events.
// Fixed seed, FUZZ_CASES cases.

import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeEventBody,
  type EslFrame,
  EslFrameParser,
  peekEventName,
} from "../../src/pbx/freeswitch-esl/frame-parser.js";
import { ESL_EVENT_INTEREST, EslTranslator } from "../../src/pbx/freeswitch-esl/translate.js";
import {
  assertCounts,
  assertEventsUsable,
  type ByteMutation,
  byteMutationArb,
  chunksOf,
  cutsArb,
  expectClean,
  FUZZ_CASES,
  FUZZ_TIMEOUT_MS,
  type JsonMutation,
  jsonMutationArb,
  mutateBytes,
  mutateJson,
  runFuzz,
} from "../support/fuzz.js";

const dir = "test/fixtures/freeswitch";

interface RawFrame {
  headers: [string, string][];
  body?: Buffer;
}

/** Each capture cut into frames by the parser itself (unmutated, so it reads them all). */
const traces = readdirSync(dir)
  .filter((f) => f.endsWith(".esl.txt"))
  .sort()
  .map((f) => {
    const frames: RawFrame[] = [];
    const parser = new EslFrameParser({
      frame: (frame: EslFrame) =>
        frames.push({
          headers: Object.entries(frame.headers),
          ...(frame.body ? { body: Buffer.from(frame.body) } : {}),
        }),
    });
    parser.push(readFileSync(`${dir}/${f}`));
    return { name: f, frames };
  });

const WORDS = [
  "Content-Length",
  "Content-Type",
  "Reply-Text",
  "Event-Name",
  "Content-Length: ",
  "Content-Length: 0",
  "Content-Length: 99999999999",
  "Content-Length: -5",
  "Content-Type: text/event-json",
  "Content-Type: text/event-plain",
  "Content-Type: command/reply",
  "Content-Type: api/response",
  "Event-Name: CUSTOM",
  '"Event-Name":"',
  '"Application":"',
  '"Unique-ID":"',
];

const JSON_KEYS = [
  "Event-Name",
  "Event-Subclass",
  "Unique-ID",
  "Channel-Name",
  "Channel-Call-UUID",
  "Other-Leg-Unique-ID",
  "Bridge-A-Unique-ID",
  "Bridge-B-Unique-ID",
  "Caller-Caller-ID-Number",
  "Caller-Destination-Number",
  "Call-Direction",
  "Application",
  "Application-Data",
  "Hangup-Cause",
  "variable_hangup_cause_q850",
  "Caller-Unique-ID",
  "Caller-Channel-Name",
  "Other-Type",
  "Channel-State",
  "variable_eavesdrop_whisper_aleg",
  "variable_valet_parking_slot",
  "Action",
  "valet_extension",
  "Answer-State",
  "Channel-Call-State",
  "Event-Date-Timestamp",
  "variable_sip_h_X-Callsight",
  "callsight_spy_target",
  "variable_callsight_spy_target",
  "Record-File-Path",
  "_body",
];

interface Case {
  trace: number;
  start: number;
  count: number;
  /** Body mutations: which frame of the window, what, and whether Content-Length is made to match. */
  bodies: { frame: number; mutations: JsonMutation[]; fixLength: boolean }[];
  plain: boolean;
  mutations: ByteMutation[];
  cuts: number[];
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  trace: fc.nat({ max: traces.length - 1 }),
  start: fc.nat({ max: 0x7fffffff }),
  count: fc.integer({ min: 1, max: 15 }),
  bodies: fc.array(
    fc.record({
      frame: fc.nat({ max: 0x7fffffff }),
      mutations: fc.array(jsonMutationArb(JSON_KEYS), { minLength: 1, maxLength: 4 }),
      fixLength: fc.boolean(),
    }),
    { maxLength: 4 },
  ),
  plain: fc.boolean(),
  mutations: fc.array(byteMutationArb(WORDS), { maxLength: 5 }),
  cuts: cutsArb,
});

/** `text/event-plain`: url-encoded `Name: value` lines (a `_body` becomes the event's own body). */
function plainBody(event: Record<string, unknown>): Buffer {
  const { _body, ...headers } = event;
  const lines = Object.entries(headers).map(
    ([k, v]) => `${k}: ${encodeURIComponent(typeof v === "string" ? v : JSON.stringify(v))}\n`,
  );
  if (typeof _body === "string") {
    lines.push(`Content-Length: ${Buffer.byteLength(_body)}\n\n${_body}`);
    return Buffer.from(lines.join(""));
  }
  return Buffer.from(`${lines.join("")}\n`);
}

function bytesOf(c: Case): Buffer {
  const { frames } = traces[c.trace]!;
  const start = c.start % frames.length;
  const window = frames.slice(start, start + c.count);
  const out: Buffer[] = [];
  window.forEach((frame, i) => {
    const headers = new Map(frame.headers);
    let body = frame.body;
    const json = headers.get("Content-Type") === "text/event-json" && body !== undefined;
    const edits = c.bodies.filter((b) => b.frame % window.length === i);
    let fixLength = true;
    if (json && (edits.length > 0 || c.plain)) {
      let value: unknown = JSON.parse(body!.toString("utf8"));
      for (const edit of edits) {
        value = mutateJson(value, edit.mutations);
        fixLength &&= edit.fixLength;
      }
      if (c.plain && typeof value === "object" && value !== null && !Array.isArray(value)) {
        headers.set("Content-Type", "text/event-plain");
        body = plainBody(value as Record<string, unknown>);
      } else {
        body = Buffer.from(JSON.stringify(value) ?? "");
      }
      if (fixLength) headers.set("Content-Length", String(body.length));
    }
    out.push(Buffer.from([...headers].map(([k, v]) => `${k}: ${v}\n`).join("") + "\n"));
    if (body) out.push(body);
  });
  return mutateBytes(Buffer.concat(out), c.mutations, "\n");
}

interface Outcome {
  frames: number;
  skipped: string[];
  malformed: string[];
  events: unknown[];
}

/** The connection's event path (connection.ts onEvent) and the driver's translation. */
function ingest(chunks: Buffer[]): Outcome {
  const out: Outcome = { frames: 0, skipped: [], malformed: [], events: [] };
  const translator = new EslTranslator("pbx");
  const parser = new EslFrameParser({
    frame: (frame) => {
      out.frames++;
      const type = frame.headers["Content-Type"];
      if (type !== "text/event-json" && type !== "text/event-plain") return;
      const body = frame.body;
      if (!body) return;
      if (type === "text/event-json") {
        const name = peekEventName(body);
        if (
          name !== undefined &&
          (ESL_EVENT_INTEREST.ignore.has(name) || ESL_EVENT_INTEREST.skip(name, body))
        ) {
          out.skipped.push(name);
          return;
        }
      }
      const decoded = decodeEventBody(type, body);
      if (!decoded.ok) {
        out.malformed.push(decoded.reason);
        return;
      }
      try {
        for (const e of translator.translate(decoded.event)) out.events.push(e);
      } catch (err) {
        throw new Error(`translate: ${(err as Error).message}`, { cause: err });
      }
    },
    malformed: (reason) => out.malformed.push(reason),
  });
  for (const chunk of chunks) parser.push(chunk);
  assertCounts(translator.counters.unknown, "translator counter");
  return out;
}

describe("ESL frame parser and translation under mutation (fuzz guard)", () => {
  it(
    `survives ${FUZZ_CASES} mutated windows of the real captures, fed whole and in random chunks`,
    () => {
      const report = runFuzz(caseArb, (c) => {
        const bytes = bytesOf(c);
        const whole = ingest([bytes]);
        assertEventsUsable(whole.events);
        const chunked = ingest(chunksOf(bytes, c.cuts));
        const a = JSON.stringify(whole.events);
        const b = JSON.stringify(chunked.events);
        return a === b ? undefined : `${a.slice(0, 300)}\n  vs ${b.slice(0, 300)}`;
      });
      expectClean(report);
      expect(report.cases).toBe(FUZZ_CASES);
    },
    FUZZ_TIMEOUT_MS,
  );
});

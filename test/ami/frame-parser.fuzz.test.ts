// Fuzz guard (issue 14): mutated windows of the real AMI captures through the frame parser (with the
// driver's FrameInterest), the session's frame copy and the translator. No input may throw, take more
// than a bounded time, poison a prototype or a counter, or stall the stream; the same bytes split at
// other points must give the same frames and events. Fixed seed, FUZZ_CASES cases.

import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defaultTracesDir } from "../../simulators/ami-trace.js";
import { type AmiFrame, AmiFrameParser } from "../../src/pbx/asterisk-ami/frame-parser.js";
import { detachFrame } from "../../src/pbx/asterisk-ami/session.js";
import { AMI_FRAME_INTEREST, AmiTranslator } from "../../src/pbx/asterisk-ami/translate.js";
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
  mutateBytes,
  runFuzz,
} from "../support/fuzz.js";

const BANNER = "Asterisk Call Manager/13.0.0\r\n";
const PROBE = "\r\n\r\nEvent: FuzzProbe\r\nUniqueid: probe.1\r\n\r\n";

const WORDS = [
  "Event",
  "Response",
  "ActionID",
  "EventList",
  "Channel",
  "Uniqueid",
  "Linkedid",
  "DestChannel",
  "DestUniqueid",
  "ChannelState",
  "ChannelStateDesc",
  "CallerIDNum",
  "CallerIDName",
  "Exten",
  "Timestamp",
  "Variable",
  "Application",
  "AppData",
  "Device",
  "State",
  "Peer",
  "PeerStatus",
  "Presentity",
  "Cause",
  "Cause-txt",
  "Event: ",
  "Event: VarSet",
  "Event: Newexten",
  "Variable: MIXMONITOR_FILENAME",
  "Application: ChanSpy",
  "Response: Success",
  "Response: Error",
  "EventList: start",
  "EventList: Complete",
  "Asterisk Call Manager/",
];

/** Each capture cut into frames (the banner line is kept apart). */
const traces = readdirSync(defaultTracesDir())
  .filter((f) => f.endsWith(".ami.txt"))
  .sort()
  .map((f) => {
    const text = readFileSync(path.join(defaultTracesDir(), f), "utf8");
    const body = text.startsWith("Asterisk Call Manager/") ? text.slice(text.indexOf("\r\n") + 2) : text;
    return { name: f, frames: body.split("\r\n\r\n").filter((s) => s !== "") };
  });

interface Case {
  trace: number;
  start: number;
  count: number;
  banner: boolean;
  mutations: ByteMutation[];
  cuts: number[];
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  trace: fc.nat({ max: traces.length - 1 }),
  start: fc.nat({ max: 0x7fffffff }),
  count: fc.integer({ min: 1, max: 40 }),
  banner: fc.boolean(),
  mutations: fc.array(byteMutationArb(WORDS), { minLength: 1, maxLength: 6 }),
  cuts: cutsArb,
});

function bytesOf(c: Case): Buffer {
  const { frames } = traces[c.trace]!;
  const start = c.start % frames.length;
  const window = frames.slice(start, start + c.count).map((f) => `${f}\r\n\r\n`);
  return mutateBytes(Buffer.from((c.banner ? BANNER : "") + window.join("")), c.mutations, "\r\n");
}

interface Outcome {
  frames: AmiFrame[];
  repeated: (Record<string, string[]> | undefined)[];
  skipped: string[];
  malformed: string[];
  events: unknown[];
}

/** The driver's path: parser with the FrameInterest -> the session's copy -> the translator. */
function ingest(chunks: Buffer[]): Outcome {
  const out: Outcome = { frames: [], repeated: [], skipped: [], malformed: [], events: [] };
  const parser = new AmiFrameParser(
    {
      frame: (f, r) => {
        out.frames.push(detachFrame(f));
        out.repeated.push(r);
      },
      malformed: (reason) => out.malformed.push(reason),
      skipped: (name) => out.skipped.push(name),
    },
    undefined,
    { interest: AMI_FRAME_INTEREST },
  );
  for (const chunk of chunks) parser.push(chunk);
  const translator = new AmiTranslator("pbx");
  for (const f of out.frames) {
    try {
      for (const e of translator.translate(f)) out.events.push(e);
    } catch (err) {
      throw new Error(`translate: ${(err as Error).message}`, { cause: err });
    }
  }
  assertCounts(translator.counters.unknown, "translator counter");
  // The stream goes on: a frame after whatever came before is read.
  parser.push(PROBE);
  if (out.frames.at(-1)?.Uniqueid !== "probe.1") throw new Error("a frame after the mutated bytes was lost");
  out.frames.pop();
  return out;
}

describe("AMI frame parser and translation under mutation (fuzz guard)", () => {
  it(
    `survives ${FUZZ_CASES} mutated windows of the real captures, fed whole and in random chunks`,
    () => {
      const report = runFuzz(caseArb, (c) => {
        const bytes = bytesOf(c);
        const outcome = ingest([bytes]);
        assertEventsUsable(outcome.events);
        const whole = JSON.stringify(outcome);
        const chunked = JSON.stringify(ingest(chunksOf(bytes, c.cuts)));
        return whole === chunked ? undefined : `${whole.slice(0, 300)}\n  vs ${chunked.slice(0, 300)}`;
      });
      expectClean(report);
      expect(report.cases).toBe(FUZZ_CASES);
    },
    FUZZ_TIMEOUT_MS,
  );
});

// Fuzz guard (issue 14): mutated windows of the real ARI captures (one WebSocket message a line)
// through parseAriMessage and the translator, with its ARI-only inferences on and off. Messages are
// mutated as JSON (fields replaced by other types, deleted, prototype-named keys added) and as text.
// No message may throw, take more than a bounded time, or poison a prototype, a counter or a
// normalized event. Fixed seed, FUZZ_CASES cases.

import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseAriMessage } from "../../src/pbx/asterisk-ari/trace.js";
import { AriTranslator } from "../../src/pbx/asterisk-ari/translate.js";
import {
  assertCounts,
  assertEventsUsable,
  type ByteMutation,
  byteMutationArb,
  expectClean,
  FUZZ_CASES,
  FUZZ_TIMEOUT_MS,
  type JsonMutation,
  jsonMutationArb,
  mutateBytes,
  mutateJson,
  runFuzz,
} from "../support/fuzz.js";

const dir = "test/fixtures/asterisk";

const traces = readdirSync(dir)
  .filter((f) => f.endsWith(".ari.jsonl"))
  .sort()
  .map((f) => ({
    name: f,
    lines: readFileSync(`${dir}/${f}`, "utf8")
      .split(/\r?\n/)
      .filter((l) => l.trim() !== "" && !l.startsWith("#")),
  }));

const JSON_KEYS = [
  "type",
  "timestamp",
  "channel",
  "bridge",
  "peer",
  "caller",
  "id",
  "name",
  "state",
  "number",
  "dialplan",
  "exten",
  "channels",
  "bridge_class",
  "bridge_type",
  "technology",
  "dialstatus",
  "dialstring",
  "variable",
  "value",
  "args",
  "endpoint",
  "resource",
  "channel_ids",
  "device_state",
  "recording",
  "target_uri",
  "cause",
  "transferee",
  "transfer_target",
  "transferer_first_leg",
  "destination_type",
];

const WORDS = ['"type":"', '"channel":', '"id":"', '"name":"', "{", "}", "[", "]", ",", ":", '"', "\\u0000"];

interface Case {
  trace: number;
  start: number;
  count: number;
  edits: { line: number; mutations: JsonMutation[] }[];
  textEdits: { line: number; mutations: ByteMutation[] }[];
  inferences: boolean;
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  trace: fc.nat({ max: traces.length - 1 }),
  start: fc.nat({ max: 0x7fffffff }),
  count: fc.integer({ min: 1, max: 40 }),
  edits: fc.array(
    fc.record({
      line: fc.nat({ max: 0x7fffffff }),
      mutations: fc.array(jsonMutationArb(JSON_KEYS), { minLength: 1, maxLength: 4 }),
    }),
    { minLength: 1, maxLength: 6 },
  ),
  textEdits: fc.array(
    fc.record({
      line: fc.nat({ max: 0x7fffffff }),
      mutations: fc.array(byteMutationArb(WORDS), { minLength: 1, maxLength: 3 }),
    }),
    { maxLength: 2 },
  ),
  inferences: fc.boolean(),
});

function messagesOf(c: Case): string[] {
  const { lines } = traces[c.trace]!;
  const start = c.start % lines.length;
  const window = lines.slice(start, start + c.count);
  return window.map((line, i) => {
    let text = line;
    const edits = c.edits.filter((e) => e.line % window.length === i);
    if (edits.length > 0) {
      let value: unknown = JSON.parse(text);
      for (const e of edits) value = mutateJson(value, e.mutations);
      text = JSON.stringify(value) ?? "null";
    }
    for (const e of c.textEdits.filter((t) => t.line % window.length === i)) {
      text = mutateBytes(Buffer.from(text), e.mutations, "\n").toString("utf8");
    }
    return text;
  });
}

describe("ARI event parsing and translation under mutation (fuzz guard)", () => {
  it(
    `survives ${FUZZ_CASES} mutated windows of the real captures`,
    () => {
      const report = runFuzz(caseArb, (c) => {
        const translator = new AriTranslator("pbx", undefined, {
          parkingFromBridges: c.inferences,
          mixMonitorFromVarset: c.inferences,
        });
        const events: unknown[] = [];
        for (const text of messagesOf(c)) {
          const parsed = parseAriMessage(text);
          if (!parsed.event) continue;
          for (const e of translator.translate(parsed.event)) events.push(e);
        }
        assertCounts(translator.counters.unknown, "translator counter");
        assertEventsUsable(events);
        return undefined;
      });
      expectClean(report);
      expect(report.cases).toBe(FUZZ_CASES);
    },
    FUZZ_TIMEOUT_MS,
  );
});

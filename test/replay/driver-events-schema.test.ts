// Every event the drivers' translators make of the captured traces satisfies the event schema: the
// cluster's event stream checks what it reads against that schema, so a follower never passes over a
// batch that its owner's driver delivered and applied.

import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseEvent } from "../../src/domain/event-schema.js";
import { readTrace } from "../../src/replay/formats.js";

const FIXTURES = "test/fixtures";
const traces: [file: string, format: string][] = [];
for (const [dir, suffix, format] of [
  ["asterisk", ".ami.txt", "ami"],
  ["asterisk", ".ari.jsonl", "ari"],
  ["freeswitch", ".esl.txt", "esl"],
] as const) {
  for (const name of readdirSync(join(FIXTURES, dir)).sort()) {
    if (name.endsWith(suffix)) traces.push([join(FIXTURES, dir, name), format]);
  }
}

describe("the drivers' events and the event schema", () => {
  it("found the captures", () => {
    expect(traces.length).toBeGreaterThan(40);
  });

  it.each(traces)("%s (%s): every event passes", (file, format) => {
    const { events } = readTrace(file, format, { pbx: "main" });
    expect(events.length).toBeGreaterThan(0);
    const bad = events.flatMap((e) => {
      const r = parseEvent(e);
      return r.ok ? [] : [`${e.type}: ${r.problem}`];
    });
    expect(bad).toEqual([]);
  });
});

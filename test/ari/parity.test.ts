// The same call seen over AMI and over ARI must give the same model: for every captured scenario,
// the AMI trace (readTrace(…, "ami")) and the ARI trace (readAriTrace) are replayed through the model
// with the same directory, and the calls (parties, direction, answered, recorded, monitoring), the
// presence timeline of every user and the sequence of states each call went through must be equal.
// Where ARI alone does not carry the fact, the test says which and asserts exactly that difference.

import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { PbxEvent } from "../../src/domain/events.js";
import { readAriTrace } from "../../src/pbx/asterisk-ari/trace.js";
import { readTrace } from "../../src/replay/formats.js";
import { directoryFromEvents, replay } from "../../src/replay/replay.js";

const dir = "test/fixtures/asterisk";

/** Scenarios whose facts ARI does not carry, and why. */
const ARI_ONLY_GAPS: Record<string, string> = {
  "10a-chanspy-listen": "ARI has no ChanSpy events: the spy leg is a call of its own, no listen session",
  "10b-chanspy-whisper": "ARI has no ChanSpy events: the spy leg is a call of its own, no whisper session",
  "10c-chanspy-barge": "ARI has no ChanSpy events: the spy leg is a call of its own, no barge session",
  "13-presence-dnd":
    "ARI has no presence-state events (CustomPresence dnd/away/available); the DND lamp is there",
};

interface Outcome {
  calls: unknown[];
  timeline: Record<string, string[]>;
  final: Record<string, string>;
  /** Per call: the states it went through (with the parking space and whether it was being recorded). */
  states: Record<string, string[]>;
}

function outcome(events: PbxEvent[], dirEvents: PbxEvent[]): Outcome {
  const states: Record<string, string[]> = {};
  const result = replay(events, directoryFromEvents(dirEvents), (step) => {
    for (const c of step.changes) {
      if (c.kind !== "call" && c.kind !== "call-ended") continue;
      const line = states[c.call.id] ?? [];
      states[c.call.id] = line;
      const s = `${c.call.state}${c.call.parked ? `@${c.call.parked.space}` : ""}`;
      if (line[line.length - 1] !== s) line.push(s);
    }
  });
  return {
    calls: result.calls.map((c) => ({
      direction: c.direction,
      answered: c.answered,
      state: c.state,
      parties: c.parties,
      recorded: c.recorded,
      monitoring: c.monitoring,
    })),
    timeline: result.presenceTimeline,
    final: result.final.presence,
    states,
  };
}

function both(name: string): { ami: Outcome; ari: Outcome } {
  const ami = readTrace(`${dir}/${name}.ami.txt`, "ami", { pbx: "pbx" });
  const ari = readAriTrace(readFileSync(`${dir}/${name}.ari.jsonl`), { pbx: "pbx" });
  expect(ami.problems).toEqual([]);
  expect(ari.problems).toEqual([]);
  const all = [...ami.events, ...ari.events];
  return { ami: outcome(ami.events, all), ari: outcome(ari.events, all) };
}

const scenarios = readdirSync(dir)
  .filter((f) => f.endsWith(".ari.jsonl"))
  .map((f) => f.slice(0, -".ari.jsonl".length))
  .sort();

describe("AMI and ARI give the same model, scenario by scenario", () => {
  it("has an AMI twin for every ARI capture", () => {
    for (const name of scenarios) expect(readdirSync(dir)).toContain(`${name}.ami.txt`);
    expect(scenarios.length).toBeGreaterThanOrEqual(19);
  });

  for (const name of scenarios.filter((n) => !(n in ARI_ONLY_GAPS))) {
    it(`${name}: equal`, () => {
      const { ami, ari } = both(name);
      expect(ari).toEqual(ami);
    });
  }

  describe("where ARI alone cannot match (with the AMI companion it does)", () => {
    for (const name of ["10a-chanspy-listen", "10b-chanspy-whisper", "10c-chanspy-barge"]) {
      it(`${name}: ${ARI_ONLY_GAPS[name]}`, () => {
        const { ami, ari } = both(name);
        // Everything about the monitored call and everyone's presence is equal...
        expect(ari.timeline).toEqual(ami.timeline);
        expect(ari.final).toEqual(ami.final);
        const [amiCall] = ami.calls as { monitoring: unknown[] }[];
        const [ariCall, spyCall] = ari.calls as { monitoring: unknown[]; parties: unknown[] }[];
        expect({ ...ariCall, monitoring: [] }).toEqual({ ...amiCall, monitoring: [] });
        // ...but the session is missing, and the spy's leg stays a call of its own.
        expect(amiCall!.monitoring).toHaveLength(1);
        expect(ariCall!.monitoring).toEqual([]);
        expect(ami.calls).toHaveLength(1);
        expect(spyCall!.parties).toEqual([{ user: "1004" }]);
      });
    }

    it(`13-presence-dnd: ${ARI_ONLY_GAPS["13-presence-dnd"]}`, () => {
      const { ami, ari } = both("13-presence-dnd");
      expect(ari.calls).toEqual(ami.calls);
      expect(ari.states).toEqual(ami.states);
      // AMI: dnd, away, available from PRESENCE_STATE, then the DND lamp; ARI only has the lamp.
      expect(ami.timeline["1002"]!.slice(0, 4)).toEqual(["available", "dnd", "away", "available"]);
      expect(ari.timeline["1002"]!.slice(0, 3)).toEqual(["available", "dnd", "available"]);
      expect(ari.final).toEqual(ami.final);
    });
  });
});

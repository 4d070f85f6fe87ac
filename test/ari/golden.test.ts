// Golden replay: every real ARI capture (test/fixtures/asterisk/*.ari.jsonl, `subscribeAll=true`),
// read by readAriTrace and replayed through the model, gives the outcome its scenario description
// states, except where ARI does not carry the fact (listed at the end, asserted as they are).

import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readAriTrace } from "../../src/pbx/asterisk-ari/trace.js";
import { directoryFromEvents, type ReplayResult, replay } from "../../src/replay/replay.js";
import { ASTERISK_SCENARIOS, expectBurstOf50, expectGolden, ext } from "../support/golden.js";

const dir = "test/fixtures/asterisk";

function run(name: string): ReplayResult {
  const read = readAriTrace(readFileSync(`${dir}/${name}.ari.jsonl`), { pbx: "pbx" });
  expect(read.problems).toEqual([]);
  expect(read.unknown).toEqual({});
  return replay(read.events, directoryFromEvents(read.events));
}

/** ARI carries every fact of these captures (the ChanSpy ones are below, under what it cannot see). */
const ARI_ALONE = ["10a-chanspy-listen", "10b-chanspy-whisper", "10c-chanspy-barge"];
const scenarios = Object.fromEntries(
  Object.entries(ASTERISK_SCENARIOS).filter(([name]) => !ARI_ALONE.includes(name)),
);

describe("golden replay of the real Asterisk ARI captures", () => {
  it("covers every .ari.jsonl capture", () => {
    const traces = readdirSync(dir)
      .filter((f) => f.endsWith(".ari.jsonl"))
      .map((f) => f.slice(0, -".ari.jsonl".length));
    const covered = [
      ...Object.keys(scenarios),
      ...ARI_ALONE,
      "12-registration",
      "13-presence-dnd",
      "14-burst-50-inbound",
    ];
    expect(traces.sort()).toEqual(covered.sort());
  });

  for (const [name, expected] of Object.entries(scenarios)) {
    it(name, () => expectGolden(run(name), expected));
  }

  it("08-park-and-retrieve: the park is inferred from the parking bridge, space 701 from park:701", () => {
    const read = readAriTrace(readFileSync(`${dir}/08-park-and-retrieve.ari.jsonl`), { pbx: "pbx" });
    const parked = read.events.filter((e) => e.type === "call.parked" || e.type === "call.unparked");
    expect(parked).toMatchObject([
      { type: "call.parked", leg: "1795373473.96", lot: "default", space: "701" },
      { type: "call.unparked", leg: "1795373473.96", lot: "default", space: "701", outcome: "retrieved" },
    ]);
  });

  it("09-directed-pickup: the picker's Dial ANSWER is a pickup of the ringing leg", () => {
    const read = readAriTrace(readFileSync(`${dir}/09-directed-pickup.ari.jsonl`), { pbx: "pbx" });
    expect(read.events.filter((e) => e.type === "call.pickedUp")).toMatchObject([
      { picker: "1795373498.101", target: "1795373495.100" },
    ]);
  });

  it("12-registration: 1006 goes offline when it unregisters", () => {
    const result = run("12-registration");
    expect(result.calls).toEqual([]);
    expect(result.presenceTimeline["1006"]).toEqual(["available", "offline"]);
  });

  it("14-burst-50-inbound: 50 independent answered inbound calls to 1005", () => {
    expectBurstOf50(run("14-burst-50-inbound"));
  });

  describe("what ARI alone cannot see", () => {
    for (const mode of ["listen", "whisper", "barge"] as const) {
      const name = {
        listen: "10a-chanspy-listen",
        whisper: "10b-chanspy-whisper",
        barge: "10c-chanspy-barge",
      }[mode];
      it(`${name}: no ChanSpy events, so the spy leg is a call of its own and no ${mode} session shows`, () => {
        const result = run(name);
        expect(result.calls).toHaveLength(2);
        expect(result.calls[0]).toMatchObject({
          direction: "outbound",
          answered: true,
          parties: [{ user: "1001" }, ext("17778732492")],
          monitoring: [],
        });
        expect(result.calls[1]).toMatchObject({
          answered: true,
          parties: [{ user: "1004" }],
          monitoring: [],
        });
        // Presence is the same as over AMI: the supervisor rings, then is on a call.
        expect(result.presenceTimeline["1004"]).toEqual(["available", "ringing", "on-call", "available"]);
      });
    }

    it("13-presence-dnd: the DND lamp (Custom:DND) is there, the presence states (away, dnd) are not", () => {
      const result = run("13-presence-dnd");
      expect(result.presenceTimeline["1002"]).toEqual([
        "available",
        "dnd",
        "available",
        "on-call",
        "dnd",
        "on-call",
        "available",
      ]);
      expect(result.final.presence["1002"]).toBe("available");
    });
  });
});

// Golden replay: every real Asterisk capture, replayed through the AMI translation and the model,
// must give the outcome its scenario description (test/fixtures/asterisk/NN-*.md) states.

import { describe, expect, it } from "vitest";
import { readTrace } from "../../src/replay/formats.js";
import { directoryFromEvents, type ReplayResult, replay } from "../../src/replay/replay.js";
import { ASTERISK_SCENARIOS, expectBurstOf50, expectGolden } from "../support/golden.js";

const dir = "test/fixtures/asterisk";

function run(name: string): ReplayResult {
  const read = readTrace(`${dir}/${name}.ami.txt`, "ami", { pbx: "pbx" });
  expect(read.problems).toEqual([]);
  return replay(read.events, directoryFromEvents(read.events));
}

describe("golden replay of the real Asterisk AMI captures", () => {
  for (const [name, expected] of Object.entries(ASTERISK_SCENARIOS)) {
    it(name, () => expectGolden(run(name), expected));
  }

  it("12-registration: 1006 goes offline when it unregisters", () => {
    const result = run("12-registration");
    expect(result.calls).toEqual([]);
    expect(result.presenceTimeline["1006"]).toEqual(["available", "offline"]);
  });

  it("13-presence-dnd: presence states and the DND lamp, back to available", () => {
    const result = run("13-presence-dnd");
    const line = result.presenceTimeline["1002"]!;
    expect(line.slice(0, 6)).toEqual(["available", "dnd", "away", "available", "dnd", "available"]);
    expect(line).toContain("on-call");
    expect(result.final.presence["1002"]).toBe("available");
    expect(result.calls.filter((c) => c.parties.some((p) => p.user === "1002"))).toHaveLength(2);
  });

  it("14-burst-50-inbound: 50 independent answered inbound calls to 1005", () => {
    expectBurstOf50(run("14-burst-50-inbound"));
  });

  it("20-actions: the same short call before and after the VarSet filter gives the same model", () => {
    const result = run("20-actions");
    const internal = result.calls.filter((c) => c.direction === "internal");
    expect(internal).toHaveLength(2);
    for (const call of internal) {
      expect(call).toMatchObject({ answered: true, parties: [{ user: "1001" }, { user: "1003" }] });
    }
  });
});

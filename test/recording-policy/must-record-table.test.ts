// mustRecord over the call kinds × each party's setting, including mixed calls and a party that joins
// later (transfer, pickup).

import { describe, expect, it } from "vitest";
import {
  defaultSettings,
  makeDirectory,
  type RecordingPolicy,
  type User,
} from "../../src/domain/directory.js";
import { mustRecord } from "../../src/domain/recording-policy.js";

function dir(a: RecordingPolicy, b: RecordingPolicy, c: RecordingPolicy = "off") {
  const mk = (id: string, recording: RecordingPolicy): User => ({
    id,
    name: id,
    extension: id,
    pbx: "p",
    devices: [],
    departments: ["d"],
    role: "agent",
    settings: { ...defaultSettings(), recording },
  });
  return makeDirectory([{ id: "d", name: "D" }], [mk("1001", a), mk("1002", b), mk("1003", c)]);
}

const outside = { number: "15551234567", external: true };
const internal = {
  talkers: [
    { user: "1001", number: "1001", external: false },
    { user: "1002", number: "1002", external: false },
  ],
};
const inbound = { talkers: [outside, { user: "1002", number: "1002", external: false }] };
const outbound = { talkers: [{ user: "1001", number: "1001", external: false }, outside] };

describe("mustRecord", () => {
  const policies: RecordingPolicy[] = ["off", "external", "all"];
  for (const a of policies) {
    for (const b of policies) {
      it(`1001=${a}, 1002=${b}`, () => {
        const d = dir(a, b);
        const because = (users: [string, RecordingPolicy, boolean][]) =>
          users.filter(([, p, ext]) => p === "all" || (p === "external" && ext)).map(([u]) => u);
        expect(mustRecord(d, internal).because).toEqual(
          because([
            ["1001", a, false],
            ["1002", b, false],
          ]),
        );
        expect(mustRecord(d, inbound).because).toEqual(because([["1002", b, true]]));
        expect(mustRecord(d, outbound).because).toEqual(because([["1001", a, true]]));
      });
    }
  }

  it("a party who joins later (transfer, pickup) brings their policy", () => {
    const d = dir("off", "off", "all");
    expect(mustRecord(d, inbound).required).toBe(false);
    const transferred = { talkers: [...inbound.talkers, { user: "1003", number: "1003", external: false }] };
    expect(mustRecord(d, transferred)).toEqual({ required: true, because: ["1003"] });
  });

  it("a phone that only rang (the call was picked up by a colleague) does not count", () => {
    const d = dir("off", "all", "off");
    // 1001 called 1002 (all); 1003 picked the ringing call up: 1002 never spoke.
    const pickedUp = {
      parties: [...internal.talkers, { user: "1003", number: "1003", external: false }],
      talkers: [internal.talkers[0]!, { user: "1003", number: "1003", external: false }],
    };
    expect(mustRecord(d, pickedUp)).toEqual({ required: false, because: [] });
  });
});

// Property tests for mustRecord against docs/design.md, "The recording rule": a call must be recorded when
// any user on it has `recording: all`, or has `recording: external` and the call has an external
// party; `because` lists exactly those users.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Party } from "../../src/domain/calls.js";
import {
  type Directory,
  defaultSettings,
  makeDirectory,
  type RecordingPolicy,
  type User,
} from "../../src/domain/directory.js";
import { mustRecord } from "../../src/domain/recording-policy.js";
import { buildModel, callViewArb, directoryArb, PBX, scenarioArb } from "./arbitraries.js";

function partiesArb(directory: Directory): fc.Arbitrary<Party[]> {
  const ids = [...directory.users.keys()];
  const party: fc.Arbitrary<Party> = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.constantFrom(...ids).map((id): Party => {
        const u = directory.users.get(id) as User;
        return { user: id, number: u.extension, name: u.name, external: false };
      }),
    },
    {
      weight: 2,
      arbitrary: fc
        .integer({ min: 1000000, max: 9999999 })
        .map((n): Party => ({ number: `+3312${n}`, external: true })),
    },
    // A party naming a user the directory no longer has: their setting cannot require anything.
    { weight: 1, arbitrary: fc.constant<Party>({ user: "gone", number: "1999", external: false }) },
  );
  return fc.array(party, { maxLength: 6 });
}

function oracle(directory: Directory, parties: Party[]): Set<string> {
  const external = parties.some((p) => p.external);
  const because = new Set<string>();
  for (const p of parties) {
    const policy = p.user === undefined ? undefined : directory.users.get(p.user)?.settings.recording;
    if (policy === "all" || (policy === "external" && external)) because.add(p.user as string);
  }
  return because;
}

describe("mustRecord (design.md recording rule)", () => {
  it("is required iff some party user has `all`, or `external` on a call with an external party", () => {
    fc.assert(
      fc.property(
        directoryArb().chain((d) => fc.tuple(fc.constant(d), partiesArb(d))),
        ([directory, parties]) => {
          const expected = oracle(directory, parties);
          const r = mustRecord(directory, { talkers: parties });
          expect(r.required).toBe(expected.size > 0);
          expect(new Set(r.because)).toEqual(expected);
          expect(r.because.length, "no user listed twice").toBe(new Set(r.because).size);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("agrees with the oracle on synthetic call views and on calls of random live models", () => {
    fc.assert(
      fc.property(
        directoryArb().chain((d) => fc.tuple(fc.constant(d), callViewArb(d))),
        ([directory, call]) => {
          expect(new Set(mustRecord(directory, call).because)).toEqual(oracle(directory, call.talkers));
        },
      ),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(scenarioArb(), (s) => {
        for (const call of s.model.activeCalls()) {
          const r = mustRecord(s.directory, call);
          // Everyone who spoke on the call counts; a phone that only rang does not.
          expect(new Set(r.because)).toEqual(oracle(s.directory, call.talkers));
          for (const p of call.talkers) expect(call.parties).toContainEqual(p);
          expect(r.required).toBe(r.because.length > 0);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("a party who left the call still counts (the policy is about everyone who was on it)", () => {
    const user = (id: string, ext: string, recording: RecordingPolicy): User => {
      const settings = defaultSettings();
      settings.recording = recording;
      return {
        id,
        name: id,
        extension: ext,
        pbx: PBX,
        devices: [],
        departments: ["d1"],
        role: "agent",
        settings,
      };
    };
    const directory = makeDirectory(
      [{ id: "d1", name: "D1" }],
      [user("a", "1001", "off"), user("b", "1002", "external"), user("c", "1003", "all")],
    );
    const base = { pbx: PBX, at: 1, side: "internal" as const };
    const model = buildModel(directory, [
      {
        ...base,
        type: "leg.created",
        leg: "X",
        callId: "C",
        channel: "t/X",
        endpoint: "PJSIP/trunk",
        side: "external",
        number: "+331234",
        outgoing: false,
      },
      {
        ...base,
        type: "leg.created",
        leg: "B",
        callId: "C",
        channel: "t/B",
        endpoint: "PJSIP/1002",
        number: "1002",
        outgoing: true,
      },
      { ...base, type: "leg.answered", leg: "B" },
      { ...base, type: "leg.hangup", leg: "B", cause: 16, causeText: "Normal Clearing" },
      {
        ...base,
        type: "leg.created",
        leg: "A",
        callId: "C",
        channel: "t/A",
        endpoint: "PJSIP/1001",
        number: "1001",
        outgoing: true,
      },
    ]);
    const call = model.call(PBX, "C");
    expect(call).toBeDefined();
    expect(mustRecord(directory, call as NonNullable<typeof call>)).toEqual({
      required: true,
      because: ["b"],
    });
    expect(mustRecord(directory, { talkers: [{ user: "a", number: "1001", external: false }] })).toEqual({
      required: false,
      because: [],
    });
    expect(
      mustRecord(directory, {
        talkers: [
          { user: "b", number: "1002", external: false },
          { user: "a", number: "1001", external: false },
        ],
      }).required,
    ).toBe(false);
    expect(
      mustRecord(directory, { talkers: [{ user: "c", number: "1003", external: false }] }).because,
    ).toEqual(["c"]);
  });
});

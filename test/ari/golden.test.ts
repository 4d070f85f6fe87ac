// Golden replay: every real ARI capture (test/fixtures/asterisk/*.ari.jsonl, `subscribeAll=true`),
// read by readAriTrace and replayed through the model, gives the outcome its scenario description
// states, except where ARI does not carry the fact (listed at the end, asserted as they are).

import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readAriTrace } from "../../src/pbx/asterisk-ari/trace.js";
import { directoryFromEvents, type ReplayCall, type ReplayResult, replay } from "../../src/replay/replay.js";

const dir = "test/fixtures/asterisk";

function run(name: string): ReplayResult {
  const read = readAriTrace(readFileSync(`${dir}/${name}.ari.jsonl`), { pbx: "pbx" });
  expect(read.problems).toEqual([]);
  expect(read.unknown).toEqual({});
  return replay(read.events, directoryFromEvents(read.events));
}

type Expected = Pick<ReplayCall, "direction" | "answered" | "parties"> &
  Partial<Pick<ReplayCall, "recorded" | "monitoring">>;

const ext = (number: string, name?: string) => ({
  number,
  ...(name ? { name } : {}),
  external: true as const,
});
const WIRELESS = ext("15551234567", "WIRELESS CALLER");

const scenarios: Record<string, { calls: Expected[]; presence: Record<string, string[]> }> = {
  "01-internal-answered": {
    calls: [{ direction: "internal", answered: true, parties: [{ user: "1001" }, { user: "1002" }] }],
    presence: {
      "1001": ["available", "on-call", "available"],
      "1002": ["available", "ringing", "on-call", "available"],
    },
  },
  "02-internal-cancelled": {
    calls: [{ direction: "internal", answered: false, parties: [{ user: "1001" }, { user: "1002" }] }],
    presence: {
      "1001": ["available", "on-call", "available"],
      "1002": ["available", "ringing", "available"],
    },
  },
  "03-internal-busy": {
    calls: [{ direction: "internal", answered: false, parties: [{ user: "1001" }, { user: "1003" }] }],
    presence: {
      "1001": ["available", "on-call", "available"],
      "1003": ["available", "ringing", "available"],
    },
  },
  "04-outbound-answered": {
    calls: [{ direction: "outbound", answered: true, parties: [{ user: "1001" }, ext("17778732492")] }],
    presence: { "1001": ["available", "on-call", "available"] },
  },
  "05-inbound-answered": {
    calls: [{ direction: "inbound", answered: true, parties: [WIRELESS, { user: "1002" }] }],
    presence: { "1002": ["available", "ringing", "on-call", "available"] },
  },
  "06-hold-unhold": {
    calls: [{ direction: "internal", answered: true, parties: [{ user: "1001" }, { user: "1002" }] }],
    presence: {
      "1001": ["available", "on-call", "on-hold", "on-call", "available"],
      "1002": ["available", "ringing", "on-call", "on-hold", "on-call", "available"],
    },
  },
  "07-redirect-to-ivr": {
    calls: [
      { direction: "inbound", answered: true, parties: [WIRELESS, { user: "1002" }, { user: "1004" }] },
    ],
    presence: {
      "1002": ["available", "ringing", "on-call", "available"],
      "1004": ["available", "ringing", "on-call", "available"],
    },
  },
  "08-park-and-retrieve": {
    calls: [
      { direction: "inbound", answered: true, parties: [WIRELESS, { user: "1002" }, { user: "1003" }] },
    ],
    presence: {
      "1002": ["available", "ringing", "on-call", "available"],
      "1003": ["available", "on-call", "available"],
    },
  },
  "09-directed-pickup": {
    calls: [
      {
        direction: "internal",
        answered: true,
        parties: [{ user: "1001" }, { user: "1002" }, { user: "1003" }],
      },
    ],
    presence: {
      "1001": ["available", "on-call", "available"],
      "1002": ["available", "ringing", "available"],
      "1003": ["available", "on-call", "available"],
    },
  },
  "11a-mixmonitor-ami": {
    calls: [{ direction: "inbound", answered: true, parties: [WIRELESS, { user: "1002" }], recorded: true }],
    presence: { "1002": ["available", "ringing", "on-call", "available"] },
  },
  "11b-mixmonitor-dialplan": {
    calls: [
      {
        direction: "outbound",
        answered: true,
        parties: [{ user: "1001" }, ext("17778732492")],
        recorded: true,
      },
    ],
    presence: { "1001": ["available", "on-call", "available"] },
  },
  "15a-blind-transfer": {
    calls: [
      { direction: "inbound", answered: true, parties: [WIRELESS, { user: "1002" }, { user: "1003" }] },
    ],
    presence: {
      "1002": ["available", "ringing", "on-call", "available"],
      "1003": ["available", "ringing", "on-call", "available"],
    },
  },
  "15b-attended-transfer": {
    calls: [
      { direction: "inbound", answered: true, parties: [WIRELESS, { user: "1002" }, { user: "1003" }] },
    ],
    presence: {
      "1002": ["available", "ringing", "on-call", "on-hold", "on-call", "available"],
      "1003": ["available", "ringing", "on-call", "available"],
    },
  },
};

describe("golden replay of the real Asterisk ARI captures", () => {
  it("covers every .ari.jsonl capture", () => {
    const traces = readdirSync(dir)
      .filter((f) => f.endsWith(".ari.jsonl"))
      .map((f) => f.slice(0, -".ari.jsonl".length));
    const covered = [
      ...Object.keys(scenarios),
      "10a-chanspy-listen",
      "10b-chanspy-whisper",
      "10c-chanspy-barge",
      "12-registration",
      "13-presence-dnd",
      "14-burst-50-inbound",
    ];
    expect(traces.sort()).toEqual(covered.sort());
  });

  for (const [name, expected] of Object.entries(scenarios)) {
    it(name, () => {
      const result = run(name);
      expect(result.calls).toHaveLength(expected.calls.length);
      expected.calls.forEach((want, i) => {
        const got = result.calls[i]!;
        expect(got.state).toBe("ended");
        expect(got).toMatchObject({ recorded: false, monitoring: [], ...want });
      });
      for (const [user, line] of Object.entries(expected.presence)) {
        expect(result.presenceTimeline[user], `presence of ${user}`).toEqual(line);
      }
      expect(result.final.activeCalls).toEqual([]);
      for (const state of Object.values(result.final.presence)) expect(state).toBe("available");
    });
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
    const result = run("14-burst-50-inbound");
    expect(result.calls).toHaveLength(50);
    expect(new Set(result.calls.map((c) => c.id)).size).toBe(50);
    for (const call of result.calls) {
      expect(call).toMatchObject({ direction: "inbound", answered: true, state: "ended" });
      expect(call.parties).toHaveLength(2);
      expect(call.parties[0]).toMatchObject({ external: true });
      expect(call.parties[1]).toEqual({ user: "1005" });
    }
    expect(result.presenceTimeline["1005"]).toEqual(["available", "ringing", "on-call", "available"]);
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

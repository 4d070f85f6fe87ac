// Golden replay: every real Asterisk capture, replayed through the AMI translation and the model,
// must give the outcome its scenario description (test/fixtures/asterisk/NN-*.md) states.

import { describe, expect, it } from "vitest";
import { readTrace } from "../../src/replay/formats.js";
import { directoryFromEvents, type ReplayCall, type ReplayResult, replay } from "../../src/replay/replay.js";

const dir = "test/fixtures/asterisk";

function run(name: string): ReplayResult {
  const read = readTrace(`${dir}/${name}.ami.txt`, "ami", { pbx: "pbx" });
  expect(read.problems).toEqual([]);
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
    // The dialplan rewrote the caller's CallerIDNum to the company CLI: the extension comes from the endpoint.
    calls: [{ direction: "outbound", answered: true, parties: [{ user: "1001" }, ext("17778732492")] }],
    presence: { "1001": ["available", "on-call", "available"] },
  },
  "05-inbound-answered": {
    calls: [{ direction: "inbound", answered: true, parties: [WIRELESS, { user: "1002" }] }],
    presence: { "1002": ["available", "ringing", "on-call", "available"] },
  },
  "06-hold-unhold": {
    // Hold is raised on the holder (1001) but the held party (1002) is on hold too.
    calls: [{ direction: "internal", answered: true, parties: [{ user: "1001" }, { user: "1002" }] }],
    presence: {
      "1001": ["available", "on-call", "on-hold", "on-call", "available"],
      "1002": ["available", "ringing", "on-call", "on-hold", "on-call", "available"],
    },
  },
  "07-redirect-to-ivr": {
    // One call: the external caller (same channel throughout) talks to 1002, goes to the IVR, then to 1004.
    calls: [
      { direction: "inbound", answered: true, parties: [WIRELESS, { user: "1002" }, { user: "1004" }] },
    ],
    presence: {
      "1002": ["available", "ringing", "on-call", "available"],
      "1004": ["available", "ringing", "on-call", "available"],
    },
  },
  "08-park-and-retrieve": {
    // The retriever's leg starts with its own Linkedid: it must not split the call in two.
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
  "10a-chanspy-listen": spyScenario("listen"),
  "10b-chanspy-whisper": spyScenario("whisper"),
  "10c-chanspy-barge": spyScenario("barge"),
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
    // The consultation through Local/1003@internal;1/;2 adds no party: the Local pair is plumbing.
    calls: [
      { direction: "inbound", answered: true, parties: [WIRELESS, { user: "1002" }, { user: "1003" }] },
    ],
    presence: {
      "1002": ["available", "ringing", "on-call", "on-hold", "on-call", "available"],
      "1003": ["available", "ringing", "on-call", "available"],
    },
  },
};

function spyScenario(mode: "listen" | "whisper" | "barge") {
  return {
    // The spy leg is a monitoring session on 1001's call, never a party and never a call of its own.
    calls: [
      {
        direction: "outbound" as const,
        answered: true,
        parties: [{ user: "1001" }, ext("17778732492")],
        monitoring: [{ by: "1004", target: "1001", mode }],
      },
    ],
    presence: {
      "1001": ["available", "on-call", "available"],
      "1004": ["available", "ringing", "on-call", "available"],
    },
  };
}

describe("golden replay of the real Asterisk AMI captures", () => {
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

  it("20-actions: the same short call before and after the VarSet filter gives the same model", () => {
    const result = run("20-actions");
    const internal = result.calls.filter((c) => c.direction === "internal");
    expect(internal).toHaveLength(2);
    for (const call of internal) {
      expect(call).toMatchObject({ answered: true, parties: [{ user: "1001" }, { user: "1003" }] });
    }
  });
});

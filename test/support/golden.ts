// The golden replay tests' common part: what a replayed capture must give, and the check of it. The
// Asterisk table serves the AMI and the ARI captures (ARI lacks some facts; its test says which).

import { expect } from "vitest";
import type { ReplayCall, ReplayResult } from "../../src/replay/replay.js";

export type ExpectedCall = Pick<ReplayCall, "direction" | "answered" | "parties"> &
  Partial<Pick<ReplayCall, "recorded" | "monitoring" | "talkers">>;

export interface GoldenScenario {
  calls: ExpectedCall[];
  /** Each user's presence from start to end (the users named; `exactPresence` also rules out others). */
  presence: Record<string, string[]>;
}

/** An outside party. */
export const ext = (number: string, name?: string) => ({
  number,
  ...(name ? { name } : {}),
  external: true as const,
});
export const WIRELESS = ext("15551234567", "WIRELESS CALLER");

/** The calls, each ended, and the presence lines of a scenario; nothing live at the end, everyone available. */
export function expectGolden(
  result: ReplayResult,
  expected: GoldenScenario,
  options: { exactPresence?: boolean } = {},
): void {
  expect(result.calls).toHaveLength(expected.calls.length);
  expected.calls.forEach((want, i) => {
    const got = result.calls[i]!;
    expect(got.state).toBe("ended");
    expect(got).toMatchObject({ recorded: false, monitoring: [], ...want });
  });
  if (options.exactPresence) expect(result.presenceTimeline).toEqual(expected.presence);
  else {
    for (const [user, line] of Object.entries(expected.presence)) {
      expect(result.presenceTimeline[user], `presence of ${user}`).toEqual(line);
    }
  }
  expect(result.final.activeCalls).toEqual([]);
  for (const state of Object.values(result.final.presence)) expect(state).toBe("available");
}

/** Trace 14: 50 independent answered inbound calls to 1005. */
export function expectBurstOf50(result: ReplayResult): void {
  expect(result.calls).toHaveLength(50);
  expect(new Set(result.calls.map((c) => c.id)).size).toBe(50);
  for (const call of result.calls) {
    expect(call).toMatchObject({ direction: "inbound", answered: true, state: "ended" });
    expect(call.parties).toHaveLength(2);
    expect(call.parties[0]).toMatchObject({ external: true });
    expect(call.parties[1]).toEqual({ user: "1005" });
  }
  expect(result.presenceTimeline["1005"]).toEqual(["available", "ringing", "on-call", "available"]);
}

/** What each real Asterisk capture must give (its scenario description, test/fixtures/asterisk/NN-*.md). */
export const ASTERISK_SCENARIOS: Record<string, GoldenScenario> = {
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
        // 1002 only rang: the recording policy and a recording's people leave it out.
        talkers: [{ user: "1001" }, { user: "1003" }],
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

/** A supervisor (1004) monitors 1001's outbound call: ChanSpy on Asterisk, eavesdrop on FreeSWITCH. */
export function spyScenario(mode: "listen" | "whisper" | "barge"): GoldenScenario {
  return {
    // The spy leg is a monitoring session on 1001's call, never a party and never a call of its own.
    calls: [
      {
        direction: "outbound",
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

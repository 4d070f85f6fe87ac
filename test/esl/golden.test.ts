// Golden replay: every real FreeSWITCH capture, replayed through the ESL translation and the model,
// must give the outcome its scenario description (test/fixtures/freeswitch/NN-*.md) states — and the
// same model the Asterisk capture of the same scenario gives (test/replay/ami-golden.test.ts).

import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decodeEventBody, EslFrameParser, peekEventName } from "../../src/pbx/freeswitch-esl/frame-parser.js";
import { readEslTrace } from "../../src/pbx/freeswitch-esl/trace.js";
import { ESL_EVENT_INTEREST, EslTranslator } from "../../src/pbx/freeswitch-esl/translate.js";
import { readTrace } from "../../src/replay/formats.js";
import { directoryFromEvents, type ReplayResult, replay } from "../../src/replay/replay.js";
import {
  ASTERISK_SCENARIOS,
  expectGolden,
  ext,
  type GoldenScenario,
  spyScenario,
  WIRELESS,
} from "../support/golden.js";

const dir = "test/fixtures/freeswitch";

function run(name: string): ReplayResult {
  const read = readEslTrace(readFileSync(`${dir}/${name}.esl.txt`), { pbx: "pbx" });
  expect(read.problems).toEqual([]);
  expect(read.unknown).toEqual({});
  return replay(read.events, directoryFromEvents(read.events));
}

function runAmi(name: string): ReplayResult {
  const read = readTrace(`test/fixtures/asterisk/${name}.ami.txt`, "ami", { pbx: "pbx" });
  expect(read.problems).toEqual([]);
  return replay(read.events, directoryFromEvents(read.events));
}

/** The FreeSWITCH captures of these scenarios must give what the Asterisk ones give. */
const asAsterisk = (name: string): GoldenScenario => ASTERISK_SCENARIOS[name]!;

const scenarios: Record<string, GoldenScenario> = {
  "01-internal-answered": asAsterisk("01-internal-answered"),
  // ORIGINATOR_CANCEL on both legs; 1002 rang and was never answered.
  "02-internal-cancelled": asAsterisk("02-internal-cancelled"),
  // The B-leg is on the external profile via gateway carrier: the outside party is the dialled number.
  "04-outbound-answered": asAsterisk("04-outbound-answered"),
  "05-inbound-answered": asAsterisk("05-inbound-answered"),
  // uuid_hold puts CHANNEL_HOLD on 1001's leg; 1002, bridged with it, is on hold too.
  "06-hold-unhold": asAsterisk("06-hold-unhold"),
  "07-transfer-to-ivr": {
    // The caller's leg goes to the IVR (5000) and stays there: 1002 leaves, the call goes on.
    calls: [{ direction: "inbound", answered: true, parties: [WIRELESS, { user: "1002" }] }],
    presence: { "1002": ["available", "ringing", "on-call", "available"] },
  },
  // 1003 dials the slot: its own leg (own call UUID) joins the parked caller's call.
  "08-valet-park-and-retrieve": asAsterisk("08-park-and-retrieve"),
  "09-intercept": {
    // The interceptor is originated by the API: its phone rings first, then it talks to 1001.
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
      "1003": ["available", "ringing", "on-call", "available"],
    },
  },
  // The spy leg runs eavesdrop on 1001's leg: a monitoring session, never a party or a call of its own.
  "10a-eavesdrop-listen": spyScenario("listen"),
  "10b-eavesdrop-whisper": spyScenario("whisper"),
  "10c-eavesdrop-barge": spyScenario("barge"),
  "11-uuid-record": {
    calls: [{ direction: "inbound", answered: true, parties: [WIRELESS, { user: "1002" }], recorded: true }],
    presence: { "1002": ["available", "ringing", "on-call", "available"] },
  },
  "11b-record-session-dialplan": {
    // 1001 dialled *77 + the number; the outside party is the number the gateway leg dialled.
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
  "20-api": {
    calls: [{ direction: "inbound", answered: true, parties: [WIRELESS, { user: "1002" }] }],
    presence: { "1002": ["available", "ringing", "on-call", "available"] },
  },
  // Callsight's setStatus (status-db.ts) for 1005: DND with a note, away with a note, available; no call.
  "21-status": { calls: [], presence: { "1005": ["available", "dnd", "away", "available"] } },
};

describe("golden replay of the real FreeSWITCH ESL captures", () => {
  it("covers every capture in the fixtures", () => {
    const traces = readdirSync(dir)
      .filter((f) => f.endsWith(".esl.txt"))
      .map((f) => f.slice(0, -".esl.txt".length));
    expect(traces.sort()).toEqual(Object.keys(scenarios).sort());
  });

  for (const [name, expected] of Object.entries(scenarios)) {
    it(name, () => expectGolden(run(name), expected, { exactPresence: true }));
  }

  it("the causes: ORIGINATOR_CANCEL is 127 and PICKED_OFF 26, as Asterisk reports the same hangups", () => {
    const causes = (name: string) =>
      readEslTrace(readFileSync(`${dir}/${name}.esl.txt`), { pbx: "pbx" })
        .events.flatMap((e) => (e.type === "leg.hangup" ? [`${e.causeText}:${e.cause}`] : []))
        .sort();
    expect(causes("02-internal-cancelled")).toEqual(["ORIGINATOR_CANCEL:127", "ORIGINATOR_CANCEL:127"]);
    expect(causes("09-intercept")).toContain("PICKED_OFF:26");
    expect(causes("01-internal-answered")).toEqual(["NORMAL_CLEARING:16", "NORMAL_CLEARING:16"]);
  });

  it("valet parking, intercept and uuid_transfer give the normalized events the AMI driver gives", () => {
    const types = (name: string) =>
      readEslTrace(readFileSync(`${dir}/${name}.esl.txt`), { pbx: "pbx" }).events.map((e) => e.type);
    const parking = readEslTrace(readFileSync(`${dir}/08-valet-park-and-retrieve.esl.txt`), {
      pbx: "pbx",
    }).events;
    const parked = parking.find((e) => e.type === "call.parked");
    const unparked = parking.find((e) => e.type === "call.unparked");
    expect(parked).toMatchObject({ lot: "default", space: "5901" });
    expect(unparked).toMatchObject({ lot: "default", space: "5901", outcome: "retrieved" });
    const retriever = parking.find(
      (e) => e.type === "leg.created" && e.number === "1003" && e.side === "internal",
    );
    expect(unparked?.type === "call.unparked" && unparked.retriever).toBe(
      retriever?.type === "leg.created" ? retriever.leg : "none",
    );
    expect(types("09-intercept")).toContain("call.pickedUp");
    const redirect = readEslTrace(readFileSync(`${dir}/07-transfer-to-ivr.esl.txt`), {
      pbx: "pbx",
    }).events.find((e) => e.type === "leg.redirected");
    expect(redirect).toMatchObject({ destination: "5000@default" });
  });
});

describe("what the connection skips unparsed changes nothing", () => {
  for (const name of Object.keys(scenarios)) {
    it(name, () => {
      const bytes = readFileSync(`${dir}/${name}.esl.txt`);
      const translator = new EslTranslator("pbx");
      const events: unknown[] = [];
      let skipped = 0;
      new EslFrameParser({
        frame: (f) => {
          if (f.headers["Content-Type"] !== "text/event-json" || !f.body) return;
          const n = peekEventName(f.body) ?? "";
          if (ESL_EVENT_INTEREST.ignore.has(n) || ESL_EVENT_INTEREST.skip(n, f.body)) {
            skipped++;
            return;
          }
          const d = decodeEventBody("text/event-json", f.body);
          if (d.ok) events.push(...translator.translate(d.event));
        },
      }).push(bytes);
      expect(events).toEqual(readEslTrace(bytes, { pbx: "pbx" }).events);
      expect(skipped).toBeGreaterThan(0);
    });
  }
});

/**
 * The same scenario on Asterisk and on FreeSWITCH must give the same model. Where the captured
 * scenarios themselves differ, the difference is listed here, with why; everything else is compared.
 */
const SAME_SCENARIO: [fs: string, ami: string, differences?: (ami: ReplayResult) => ReplayResult][] = [
  ["01-internal-answered", "01-internal-answered"],
  ["02-internal-cancelled", "02-internal-cancelled"],
  ["04-outbound-answered", "04-outbound-answered"],
  ["05-inbound-answered", "05-inbound-answered"],
  ["06-hold-unhold", "06-hold-unhold"],
  [
    "07-transfer-to-ivr",
    "07-redirect-to-ivr",
    // The Asterisk capture's IVR then sent the caller on to 1004; the FreeSWITCH capture's IVR (a tone)
    // kept the caller until they hung up. Up to the IVR both captures are the same call.
    (ami) => withoutUser(ami, "1004"),
  ],
  ["08-valet-park-and-retrieve", "08-park-and-retrieve"],
  [
    "09-intercept",
    "09-directed-pickup",
    // Asterisk's picker dialled *81002 from the phone (the phone never rang); FreeSWITCH's interceptor
    // was originated by the API (`originate … &intercept(…)`), so its phone rang before it answered.
    (ami) => ({
      ...ami,
      presenceTimeline: { ...ami.presenceTimeline, "1003": ["available", "ringing", "on-call", "available"] },
    }),
  ],
  ["10a-eavesdrop-listen", "10a-chanspy-listen"],
  ["10b-eavesdrop-whisper", "10b-chanspy-whisper"],
  ["10c-eavesdrop-barge", "10c-chanspy-barge"],
  // uuid_record on the agent's leg of an inbound call = MixMonitor by AMI on the same call.
  ["11-uuid-record", "11a-mixmonitor-ami"],
  ["11b-record-session-dialplan", "11b-mixmonitor-dialplan"],
];

function withoutUser(r: ReplayResult, user: string): ReplayResult {
  const { [user]: _gone, ...presenceTimeline } = r.presenceTimeline;
  const { [user]: _final, ...presence } = r.final.presence;
  return {
    ...r,
    presenceTimeline,
    final: { ...r.final, presence },
    calls: r.calls.map((c) => ({
      ...c,
      parties: c.parties.filter((p) => p.user !== user),
      talkers: c.talkers.filter((p) => p.user !== user),
    })),
  };
}

/** The model of a replay without the PBX's own ids. */
function model(r: ReplayResult) {
  return {
    calls: r.calls.map(({ id: _id, ...c }) => c),
    presenceTimeline: r.presenceTimeline,
    final: { presence: r.final.presence, activeCalls: r.final.activeCalls.length },
  };
}

describe("FreeSWITCH gives the model Asterisk gives for the same scenario", () => {
  for (const [fs, ami, differences] of SAME_SCENARIO) {
    it(`${fs} = ${ami}${differences ? " (less the listed difference)" : ""}`, () => {
      const expected = differences ? differences(runAmi(ami)) : runAmi(ami);
      expect(model(run(fs))).toEqual(model(expected));
    });
  }
});

// Golden replay of the real FreeSWITCH 1.11.2 captures of the paths a call takes around FusionPBX-style
// follow-me, call forward and mod_callcenter queues (issue 17, "Real captures first"): follow-me to an
// outside number and call forward all to an outside number (both through loopback and the carrier
// gateway), a queue call transferred on by the agent's phone (REFER), picked up from a ringing agent
// (intercept of the queue caller), listened to by a supervisor (eavesdrop), recorded (uuid_record)
// (test/fixtures/queues/freeswitch/33-… to 38-…). Each capture, replayed through the ESL translation and
// the live model, must give what its scenario description (the .md's "Expected outcome") says: one call
// with its real parties (no loopback channel a party), who rang, who answered, the outside parties, the
// pickup / monitoring / recording facts, and what became of each party in the call history.

import { describe, expect, it } from "vitest";
import { type HistoryParty, type HistoryRow, historyRow } from "../../src/domain/call-history.js";
import type { CallView } from "../../src/domain/call-view.js";
import type { PbxEvent } from "../../src/domain/events.js";
import { LiveModel } from "../../src/domain/live-model.js";
import { readTrace } from "../../src/replay/formats.js";
import { directoryFromEvents, type ReplayResult, replay } from "../../src/replay/replay.js";

interface Run {
  result: ReplayResult;
  rows: HistoryRow[];
  events: PbxEvent[];
  /** Every view of a call the model published while it was going on, in order. */
  views: CallView[];
}

function run(name: string): Run {
  const read = readTrace(`test/fixtures/queues/freeswitch/${name}.esl.txt`, "esl", { pbx: "main" });
  expect(read.problems).toEqual([]);
  const events = read.events;
  const result = replay(events, directoryFromEvents(events));
  const model = new LiveModel(directoryFromEvents(events));
  const rows: HistoryRow[] = [];
  const views: CallView[] = [];
  for (const e of events)
    for (const c of model.apply(e)) {
      if (c.kind === "call-ended") rows.push(historyRow(c.call));
      else if (c.kind === "call") views.push(c.call);
    }
  return { result, rows, events, views };
}

const who = (p: { user?: string; number?: string }) => p.user ?? p.number ?? "";
const sorted = (list: { user?: string; number?: string }[]) => list.map(who).sort();
const CALLER = "15551234567";
const MOBILE = "15557654321";
const QUEUE = "sales@default";

/** What became of each party in a row, in the .md's words. */
function outcomes(row: HistoryRow): Record<string, string> {
  const word = (p: HistoryParty) =>
    p.caller
      ? "caller"
      : p.talked
        ? "talked"
        : p.missed
          ? "missed"
          : p.answeredElsewhere
            ? "taken by a colleague"
            : "-";
  return Object.fromEntries(row.parties.map((p) => [who(p), word(p)]));
}

function party(row: HistoryRow, id: string): HistoryParty {
  const p = row.parties.find((x) => who(x) === id);
  expect(p, `${id} is a party of the row`).toBeDefined();
  return p!;
}

function onlyCall(result: ReplayResult) {
  expect(result.calls, "one call, however many channels the PBX used").toHaveLength(1);
  const call = result.calls[0]!;
  expect(call.state).toBe("ended");
  expect(result.final.activeCalls).toEqual([]);
  for (const state of Object.values(result.final.presence)) expect(state).toBe("available");
  return call;
}

/** No party is PBX plumbing (a loopback channel, a dialplan string) nor numberless. */
function realParties(parties: { user?: string; number?: string }[]): void {
  for (const p of parties) {
    expect(who(p)).not.toBe("");
    expect(who(p)).not.toMatch(/^(loopback|sofia|user)\/|-[ab]$|^\*/);
  }
}

/** Who was talking (legs up) in each view of the call where at least two were, in order, deduplicated. */
function talkingPairs(views: CallView[]): string[][] {
  const out: string[][] = [];
  for (const v of views) {
    const up = v.legs
      .filter((l) => l.state === "up")
      .map((l) => l.user ?? l.number ?? "")
      .sort();
    if (up.length < 2) continue;
    const last = out[out.length - 1];
    if (!last || last.join() !== up.join()) out.push(up);
  }
  return out;
}

const RANG_ONLY = ["available", "ringing", "available"];
const ANSWERED = ["available", "ringing", "on-call", "available"];
const CALLED_OUT = ["available", "on-call", "available"];

describe("follow-me and call forward to an outside number on FreeSWITCH (FusionPBX style, ESL)", () => {
  it("33-followme-external: 1001's desk phone and 1001's mobile (loopback -> gateway) ring; the mobile answers; one call", () => {
    const { result, rows, views } = run("33-followme-external");
    const call = onlyCall(result);
    expect(call).toMatchObject({ direction: "inbound", answered: true });
    realParties(call.parties);
    expect(sorted(call.parties)).toEqual(["1001", CALLER, MOBILE]);
    // Two outside parties: the caller and 1001's follow-me number over the carrier gateway.
    expect(
      call.parties
        .filter((p) => p.external)
        .map(who)
        .sort(),
    ).toEqual([CALLER, MOBILE]);
    expect(sorted(call.talkers)).toEqual([CALLER, MOBILE]);
    expect(talkingPairs(views)).toEqual([[CALLER, MOBILE]]);
    // One call all along: the gateway leg (originated by the loopback B half) is never a call of its own.
    expect(new Set(views.map((v) => v.id)).size).toBe(1);
    // The desk phone rang and never went on-call.
    expect(result.presenceTimeline).toEqual({ "1001": RANG_ONLY });
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row).toMatchObject({ direction: "inbound", answered: true, missed: false });
    expect(party(row, CALLER).caller).toBe(true);
    expect(party(row, MOBILE).talked).toBe(true);
    // 1001's own follow-me answered it: not a call 1001 missed, and not talked on the desk phone.
    const desk = party(row, "1001");
    expect(desk.missed).toBeUndefined();
    expect(desk.talked).toBeUndefined();
  });

  it("34-forward-external: 1001 calls 1002, forwarded (forward all) through loopback over the gateway; the outside party answers; one call", () => {
    const { result, rows, views } = run("34-forward-external");
    const call = onlyCall(result);
    // An internal caller whose call leaves over the gateway to an outside party.
    expect(call).toMatchObject({ direction: "outbound", answered: true });
    realParties(call.parties);
    expect(call.parties.filter((p) => p.external).map(who)).toEqual([MOBILE]);
    expect(sorted(call.talkers)).toEqual(["1001", MOBILE]);
    expect(talkingPairs(views)).toEqual([["1001", MOBILE]]);
    expect(new Set(views.map((v) => v.id)).size).toBe(1);
    // 1002's phone never rang (forwarded unconditionally): 1002 is never ringing nor on a call.
    expect(result.presenceTimeline).toEqual({ "1001": CALLED_OUT });
    expect(rows).toHaveLength(1);
    expect(outcomes(rows[0]!)).toMatchObject({ "1001": "caller", [MOBILE]: "talked" });
  });

  it.todo(
    "34-forward-external: the call shows 1002 as the extension that was dialled and forwarded it (1002's forwarded call) — the model has no forwarding party: 1002 never has a leg (the forward is a dialplan bridge to loopback/<number>) and the translation emits nothing saying who forwarded; the call is just 1001 <-> 15557654321 (same gap as Asterisk 36-forward-external)",
  );
});

describe("mod_callcenter queue paths on FreeSWITCH (ESL)", () => {
  it("35-callcenter-transfer-out: 1001 takes the queue call and blind-transfers it by REFER to 1003; the caller ends with 1003", () => {
    const { result, rows, views } = run("35-callcenter-transfer-out");
    const call = onlyCall(result);
    expect(call).toMatchObject({ direction: "inbound", answered: true });
    realParties(call.parties);
    expect(sorted(call.parties)).toEqual(["1001", "1002", "1003", CALLER]);
    expect(sorted(call.talkers)).toEqual(["1001", "1003", CALLER]);
    // First the caller with 1001, then (after the transfer) with 1003.
    expect(talkingPairs(views)).toEqual([
      ["1001", CALLER],
      ["1003", CALLER],
    ]);
    expect(result.presenceTimeline).toEqual({ "1001": ANSWERED, "1002": RANG_ONLY, "1003": ANSWERED });
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row.queue).toBe(QUEUE);
    expect(outcomes(row)).toEqual({
      [CALLER]: "caller",
      "1001": "talked",
      "1002": "taken by a colleague",
      "1003": "talked",
    });
  });

  it.todo(
    "35-callcenter-transfer-out: the history row has a blind transfer by 1001 to 1003 — the ESL translation emits no call.transferred for a REFER: FreeSWITCH reports it only as the caller's leg's new Caller-Transfer-Source (…:bl_xfer:1003, read as leg.redirected), after 1001's leg has already hung up (its CHANNEL_HANGUP comes before the caller's CHANNEL_UNBRIDGE), so who transferred is not known when the redirect is seen; row.transfers is []",
  );

  it("36-callcenter-pickup: 1003 picks up the queue call ringing on 1001 (**1001); the caller talks with 1003; one call", () => {
    const { result, rows, views } = run("36-callcenter-pickup");
    const call = onlyCall(result);
    expect(call).toMatchObject({ direction: "inbound", answered: true });
    realParties(call.parties);
    expect(sorted(call.parties)).toEqual(["1001", "1002", "1003", CALLER]);
    expect(sorted(call.talkers)).toEqual(["1003", CALLER]);
    expect(talkingPairs(views)).toEqual([["1003", CALLER]]);
    // 1003 dialled **1001 (never rang); 1001 and 1002 rang and never went on-call.
    expect(result.presenceTimeline).toEqual({ "1001": RANG_ONLY, "1002": RANG_ONLY, "1003": CALLED_OUT });
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row).toMatchObject({ answered: true, missed: false, queue: QUEUE });
    expect(party(row, "1003").talked).toBe(true);
    for (const member of ["1001", "1002"]) {
      expect(party(row, member).talked).toBeUndefined();
      // A queue call taken by a colleague: not a call either agent missed personally.
      expect(party(row, member).missed).toBeUndefined();
    }
  });

  it.todo(
    "36-callcenter-pickup: the history row has a pickup by 1003 of 1001's ringing call — FusionPBX's intercept of a queue call intercepts the waiting caller (cc_member_session_uuid), not the agent leg: the agents' legs end ORIGINATOR_CANCEL, with no PICKED_OFF, so the translation (which pairs an intercept with a PICKED_OFF/LOSE_RACE hang-up) emits no call.pickedUp; row.pickups is [] (1003 still joins the one call and talks, as asserted above)",
  );

  it("37-callcenter-eavesdrop: 1001 takes the queue call; 1004 listens in (eavesdrop on 1001's leg): a monitoring session, not a party", () => {
    const { result, rows } = run("37-callcenter-eavesdrop");
    const call = onlyCall(result);
    expect(call).toMatchObject({ direction: "inbound", answered: true });
    realParties(call.parties);
    expect(sorted(call.parties)).toEqual(["1001", "1002", CALLER]);
    expect(sorted(call.talkers)).toEqual(["1001", CALLER]);
    expect(call.monitoring).toEqual([{ by: "1004", target: "1001", mode: "listen" }]);
    expect(result.presenceTimeline).toMatchObject({ "1001": ANSWERED, "1002": RANG_ONLY });
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row.queue).toBe(QUEUE);
    expect(outcomes(row)).toEqual({ [CALLER]: "caller", "1001": "talked", "1002": "taken by a colleague" });
  });

  it.todo(
    "37-callcenter-eavesdrop: 1004's *331001 leg is never shown as a call of its own — the model publishes it as 1004's own call (answered by the dialplan) until `eavesdrop` runs and makes it a monitoring leg; only a spy leg Callsight originates (callsight_spy_target) is a monitoring leg from its first event",
  );

  it("38-callcenter-recorded: 1001's queue call is recorded with uuid_record on 1001's leg for ~3 s; one call, recorded", () => {
    const { result, rows, views, events } = run("38-callcenter-recorded");
    const call = onlyCall(result);
    expect(call).toMatchObject({ direction: "inbound", answered: true, recorded: true });
    realParties(call.parties);
    expect(sorted(call.parties)).toEqual(["1001", "1002", CALLER]);
    expect(sorted(call.talkers)).toEqual(["1001", CALLER]);
    expect(result.presenceTimeline).toEqual({ "1001": ANSWERED, "1002": RANG_ONLY });
    // The recording is on 1001's leg (the leg uuid_record ran on), while 1001 talks with the caller.
    const recording = views.filter((v) => v.recording);
    expect(recording.length).toBeGreaterThan(0);
    for (const v of recording) expect(v.legs.find((l) => l.user === "1001")?.state).toBe("up");
    expect(recording.some((v) => v.legs.some((l) => l.user === "1001" && l.recording))).toBe(true);
    // Started once and stopped once (~3 s later), before the call ended.
    const started = events.filter((e) => e.type === "recording.started");
    const stopped = events.filter((e) => e.type === "recording.stopped");
    expect(started).toHaveLength(1);
    expect(stopped).toHaveLength(1);
    const took = stopped[0]!.at - started[0]!.at;
    expect(took).toBeGreaterThan(2500);
    expect(took).toBeLessThan(4000);
    // Stopped while the call went on: the last view with two legs up is no longer recording.
    const last = views.filter((v) => v.legs.filter((l) => l.state === "up").length >= 2).at(-1);
    expect(last?.recording).toBe(false);
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row).toMatchObject({ answered: true, recorded: true, queue: QUEUE });
    expect(outcomes(row)).toEqual({ [CALLER]: "caller", "1001": "talked", "1002": "taken by a colleague" });
  });
});

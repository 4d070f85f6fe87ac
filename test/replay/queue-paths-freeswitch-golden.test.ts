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
import { LiveModel } from "../../src/domain/live-model.js";
import { directoryFromEvents } from "../../src/replay/replay.js";
import {
  ANSWERED,
  CALLED_OUT,
  CALLER,
  expectForwardedLeg,
  MOBILE,
  onlyCall,
  outcomes,
  party,
  RANG_ONLY,
  type Run,
  run as replayCapture,
  sorted,
  talkingPairs,
  who,
} from "./queue-replay.js";

const QUEUE = "sales@default";
const run = (name: string, users: readonly string[] = []): Run => replayCapture("esl", name, users);

/** No party is PBX plumbing (a loopback channel, a dialplan string) nor numberless. */
function realParties(parties: { user?: string; number?: string }[]): void {
  for (const p of parties) {
    expect(who(p)).not.toBe("");
    expect(who(p)).not.toMatch(/^(loopback|sofia|user)\/|-[ab]$|^\*/);
  }
}

describe("follow-me and call forward to an outside number on FreeSWITCH (FusionPBX style, ESL)", () => {
  it("33-followme-external: 1001's desk phone and 1001's mobile (loopback -> gateway) ring; the mobile answers; one call, 1001's", () => {
    const { result, rows, views } = run("33-followme-external");
    const call = onlyCall(result);
    expect(call).toMatchObject({ direction: "inbound", answered: true });
    realParties(call.parties);
    // The gateway leg is 1001's (their follow-me's loopback dialled it): 1001 and the caller, no third party.
    expect(sorted(call.parties)).toEqual(["1001", CALLER]);
    expect(
      call.parties
        .filter((p) => p.external && p.user === undefined)
        .map(who)
        .sort(),
    ).toEqual([CALLER]);
    expect(sorted(call.talkers)).toEqual(["1001", CALLER]);
    expect(talkingPairs(views)).toEqual([["1001", CALLER]]);
    // One call all along: the gateway leg (originated by the loopback B half) is never a call of its own.
    expect(new Set(views.map((v) => v.id)).size).toBe(1);
    // 1001 rang, then talked on the mobile: on a call.
    expect(result.presenceTimeline).toEqual({ "1001": ANSWERED });
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row).toMatchObject({ direction: "inbound", answered: true, missed: false });
    expect(outcomes(row)).toEqual({ [CALLER]: "caller", "1001": "talked" });
    expect(row.parties.map(who)).not.toContain(MOBILE);
  });

  it("34-forward-external: 1001 calls 1002, forwarded (forward all) through loopback over the gateway; the outside party answers; one call, 1002's forwarded call", () => {
    const { result, rows, views } = run("34-forward-external", ["1002"]);
    const call = onlyCall(result);
    // 1001 called 1002 and talked with 1002 (at their forward number, over the gateway): an internal call.
    expect(call).toMatchObject({ direction: "internal", answered: true });
    realParties(call.parties);
    expect(sorted(call.parties)).toEqual(["1001", "1002"]);
    // 1002's leg is the trunk leg to the forward number, shown as 1002 (the forward number is 1002's own).
    expectForwardedLeg({ views, rows }, "1002", MOBILE);
    expect(sorted(call.talkers)).toEqual(["1001", "1002"]);
    expect(talkingPairs(views)).toEqual([["1001", "1002"]]);
    expect(new Set(views.map((v) => v.id)).size).toBe(1);
    // 1002's phone never rang; 1002's call rang at the forward number and was answered there (FusionPBX
    // gives the loopback 1002's presence_id, so 1002's lamp shows it too).
    expect(result.presenceTimeline).toEqual({ "1001": CALLED_OUT, "1002": ANSWERED });
    expect(rows).toHaveLength(1);
    expect(outcomes(rows[0]!)).toEqual({ "1001": "caller", "1002": "talked" });
  });
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
    // 1001's phone transferred it (REFER): FreeSWITCH says so on 1001's hang-up (transfer_to: blind:<caller>).
    expect(row.transfers).toEqual([
      expect.objectContaining({
        kind: "blind",
        by: expect.objectContaining({ user: "1001" }),
        to: expect.objectContaining({ user: "1003" }),
      }),
    ]);
  });

  it("36-callcenter-pickup: 1003 picks up the queue call ringing on 1001 (**1001); the caller talks with 1003; one call", () => {
    const { result, rows, views, events } = run("36-callcenter-pickup");
    // The queue lost the caller to a pickup: answered, not abandoned (mod_callcenter says BREAK_OUT, as for a
    // caller who hung up).
    const left = events.filter((e) => e.type === "queue.callerLeft");
    expect(left).toEqual([expect.objectContaining({ queue: QUEUE, reason: "picked-up" })]);
    const model = new LiveModel(directoryFromEvents(events));
    for (const e of events) model.apply(e);
    expect(model.queueState("main", QUEUE)?.today).toMatchObject({ answered: 1, abandoned: 0 });
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
    // 1003 took the call ringing on 1001 (dialled **1001): the agents' legs end ORIGINATOR_CANCEL, the
    // intercept names the waiting caller, the dialled number says whose ringing call it was.
    expect(row.pickups).toEqual([
      expect.objectContaining({
        by: expect.objectContaining({ user: "1003" }),
        from: expect.objectContaining({ user: "1001" }),
      }),
    ]);
    for (const member of ["1001", "1002"]) {
      expect(party(row, member).talked).toBeUndefined();
      // A queue call taken by a colleague: not a call either agent missed personally.
      expect(party(row, member).missed).toBeUndefined();
    }
  });

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

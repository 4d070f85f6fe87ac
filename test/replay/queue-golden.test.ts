// Golden replay of the real ring-group and queue captures (test/fixtures/queues/): each, replayed through its
// driver's translation (AMI, ARI, ESL) and the live model, must give what its scenario description
// (test/fixtures/queues/<pbx>/NN-*.md, "Expected outcome") says: one call with its real parties (no Local
// channel, no agent leg as a call of its own), who rang, who answered, a queue call that was abandoned not
// counted as answered nor as each agent's missed call, and the queue facts (who waited where, who took it,
// who paused).

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { PbxEvent } from "../../src/domain/events.js";
import { readTrace } from "../../src/replay/formats.js";
import { directoryFromEvents, replay } from "../../src/replay/replay.js";
import {
  ANSWERED,
  CALLER,
  eventsOf,
  FILES,
  onlyCall,
  outcomes,
  RANG_ONLY,
  run,
  sorted,
} from "./queue-replay.js";

describe.each(["ami", "ari"] as const)("ring groups on Asterisk (%s)", (format) => {
  it("30-ringgroup-ringall: 1001, 1002, 1003 ring at once; 1002 answers; the others were not missed", () => {
    const { result, rows } = run(format, "30-ringgroup-ringall");
    const call = onlyCall(result);
    expect(call).toMatchObject({ direction: "inbound", answered: true });
    expect(sorted(call.parties)).toEqual(["1001", "1002", "1003", CALLER]);
    expect(sorted(call.talkers)).toEqual(["1002", CALLER]);
    expect(call.parties.some((p) => p.number?.includes("Local/"))).toBe(false);
    expect(result.presenceTimeline).toEqual({ "1001": RANG_ONLY, "1002": ANSWERED, "1003": RANG_ONLY });
    expect(outcomes(rows[0]!)).toEqual({
      [CALLER]: "caller",
      "1001": "taken by a colleague",
      "1002": "talked",
      "1003": "taken by a colleague",
    });
  });

  if (format === "ari")
    it("30-ringgroup-ringall with the caller's Dial to each member's Local half reported late (seen live): still one call", () => {
      // Asterisk publishes the caller's Dial to a Local channel after calling it; the Local's other half may
      // dial its phone, and the phone ring, before that Dial is reported. Move each member's "carrier -> Local;1"
      // Dial begin to just before its RINGING: the latest place it can come.
      const lines = readFileSync(FILES.ari("30-ringgroup-ringall"), "utf8").trim().split("\n");
      const dialToLocal = (line: string, status: string) => {
        const e = JSON.parse(line);
        return e.type === "Dial" &&
          e.caller?.name?.startsWith("PJSIP/carrier") &&
          (e.dialstatus ?? "") === status
          ? (e.peer.name as string)
          : undefined;
      };
      const late = lines.filter((l) => dialToLocal(l, "") !== undefined);
      expect(late).toHaveLength(3);
      const reordered: string[] = [];
      for (const line of lines) {
        if (late.includes(line)) continue;
        const ringing = dialToLocal(line, "RINGING");
        if (ringing) reordered.push(...late.filter((l) => dialToLocal(l, "") === ringing));
        reordered.push(line);
      }
      expect(reordered).toHaveLength(lines.length);
      const dir = mkdtempSync(join(tmpdir(), "ringall-late-"));
      const file = join(dir, "30-late.ari.jsonl");
      writeFileSync(file, `${reordered.join("\n")}\n`);
      const read = readTrace(file, "ari", { pbx: "main" });
      rmSync(dir, { recursive: true });
      expect(read.problems).toEqual([]);
      const result = replay(read.events, directoryFromEvents(read.events));
      const call = onlyCall(result);
      expect(sorted(call.parties)).toEqual(["1001", "1002", "1003", CALLER]);
      expect(sorted(call.talkers)).toEqual(["1002", CALLER]);
      expect(result.presenceTimeline).toEqual({ "1001": RANG_ONLY, "1002": ANSWERED, "1003": RANG_ONLY });
    });

  it("31-ringgroup-hunt: 1001 rings alone and is tried, then 1002 answers; 1003 never rings; one call", () => {
    const { result, rows } = run(format, "31-ringgroup-hunt");
    const call = onlyCall(result);
    expect(call).toMatchObject({ direction: "inbound", answered: true });
    expect(sorted(call.parties)).toEqual(["1001", "1002", CALLER]);
    expect(sorted(call.talkers)).toEqual(["1002", CALLER]);
    expect(result.presenceTimeline).toEqual({ "1001": RANG_ONLY, "1002": ANSWERED });
    expect(outcomes(rows[0]!)).toEqual({
      [CALLER]: "caller",
      "1001": "taken by a colleague",
      "1002": "talked",
    });
  });
});

describe.each(["ami", "ari"] as const)("queue 400 on Asterisk (%s)", (format) => {
  it("32-queue-answered: the caller waits (answered by the queue), both agents ring, 1001 takes it", () => {
    const { result, rows, events } = run(format, "32-queue-answered");
    const call = onlyCall(result);
    expect(call).toMatchObject({ direction: "inbound", answered: true });
    expect(sorted(call.parties)).toEqual(["1001", "1002", CALLER]);
    expect(sorted(call.talkers)).toEqual(["1001", CALLER]);
    expect(result.presenceTimeline).toEqual({ "1001": ANSWERED, "1002": RANG_ONLY });
    const row = rows[0]!;
    expect(outcomes(row)).toEqual({ [CALLER]: "caller", "1001": "talked", "1002": "taken by a colleague" });
    // Talked ~4 s: from Alice's answer, not from the queue answering the caller ~4 s earlier.
    expect(row.talkMs).toBeGreaterThan(3000);
    expect(row.talkMs).toBeLessThan(5500);
    if (format === "ami") {
      expect(row.queue).toBe("400");
      const carrier = events.find((e) => e.type === "leg.created" && e.side === "external");
      // (Between them, QueueMemberStatus as the members' hints ring and go in use: the members' state.)
      expect(queueFacts(events).filter((e) => e.type !== "queue.member")).toEqual([
        {
          type: "queue.callerJoined",
          queue: "400",
          leg: carrier && "leg" in carrier ? carrier.leg : "",
          position: 1,
        },
        {
          type: "queue.callerLeft",
          queue: "400",
          leg: carrier && "leg" in carrier ? carrier.leg : "",
          reason: "left",
        },
        {
          type: "queue.answered",
          queue: "400",
          leg: carrier && "leg" in carrier ? carrier.leg : "",
          agent: "Local/1001@from-queue/n",
          extension: "1001",
        },
      ]);
    } else {
      // ARI reports no queue events: which queue the call came through needs the AMI companion.
      expect(queueFacts(events)).toEqual([]);
    }
  });

  it("33-queue-abandoned: nobody answers, the caller hangs up after ~6 s: abandoned, not answered, nobody's missed call", () => {
    const { result, rows, events } = run(format, "33-queue-abandoned");
    const call = onlyCall(result);
    expect(call).toMatchObject({ direction: "inbound", answered: false });
    expect(sorted(call.parties)).toEqual(["1001", "1002", CALLER]);
    expect(call.talkers).toEqual([]);
    expect(result.presenceTimeline).toEqual({ "1001": RANG_ONLY, "1002": RANG_ONLY });
    const row = rows[0]!;
    expect(row).toMatchObject({ answered: false, talkMs: 0 });
    if (format === "ami") {
      expect(row.queue).toBe("400");
      expect(outcomes(row)).toEqual({ [CALLER]: "caller", "1001": "-", "1002": "-" });
      const left = queueFacts(events).filter((e) => e.type === "queue.callerLeft");
      expect(left).toEqual([expect.objectContaining({ queue: "400", reason: "abandoned" })]);
    }
  });
});

describe("queue members on Asterisk (34-queue-pause)", () => {
  it("AMI: Alice pauses for lunch and comes back; Carol logs in, pauses for a break, logs out", () => {
    const members = queueFacts(eventsOf("ami", "34-queue-pause")).filter((e) => e.type === "queue.member");
    expect(members).toEqual([
      member("Local/1001@from-queue/n", "1001", {
        name: "Alice Sales",
        loggedIn: true,
        paused: true,
        pauseReason: "Lunch",
      }),
      member("Local/1001@from-queue/n", "1001", { name: "Alice Sales", loggedIn: true, paused: false }),
      member("Local/1003@from-queue/n", "1003", { name: "Carol Sales", loggedIn: true, paused: false }),
      member("Local/1003@from-queue/n", "1003", {
        name: "Carol Sales",
        loggedIn: true,
        paused: true,
        pauseReason: "Break",
      }),
      member("Local/1003@from-queue/n", "1003", { name: "Carol Sales", loggedIn: false }),
    ]);
    // The three refused requests made no event.
  });

  it("ARI: only the pauses, from the Queue:400_pause_<member> device states", () => {
    const members = queueFacts(eventsOf("ari", "34-queue-pause")).filter((e) => e.type === "queue.member");
    expect(members).toEqual([
      member("Local/1001@from-queue/n", "1001", { paused: true }),
      member("Local/1001@from-queue/n", "1001", { paused: false }),
      // Carol added: her pause device starts NOT_INUSE; paused; removed: the device goes back.
      member("Local/1003@from-queue/n", "1003", { paused: false }),
      member("Local/1003@from-queue/n", "1003", { paused: true }),
      member("Local/1003@from-queue/n", "1003", { paused: false }),
    ]);
  });
});

describe("FusionPBX ring groups on FreeSWITCH (ESL)", () => {
  it("39-ringgroup-simultaneous: 1001, 1002, 1003 ring at once; 1002 answers; the others were not missed", () => {
    const { result, rows } = run("esl", "39-ringgroup-simultaneous");
    const call = onlyCall(result);
    expect(call).toMatchObject({ direction: "inbound", answered: true });
    expect(sorted(call.parties)).toEqual(["1001", "1002", "1003", CALLER]);
    expect(sorted(call.talkers)).toEqual(["1002", CALLER]);
    expect(result.presenceTimeline).toEqual({ "1001": RANG_ONLY, "1002": ANSWERED, "1003": RANG_ONLY });
    expect(rows).toHaveLength(1);
    expect(outcomes(rows[0]!)).toEqual({
      [CALLER]: "caller",
      "1001": "taken by a colleague",
      "1002": "talked",
      "1003": "taken by a colleague",
    });
  });

  it("40-ringgroup-sequence: 1001 rings alone and is tried (6 s), then 1002 answers; 1003 never rings; one call", () => {
    const { result, rows } = run("esl", "40-ringgroup-sequence");
    const call = onlyCall(result);
    expect(call).toMatchObject({ direction: "inbound", answered: true });
    expect(sorted(call.parties)).toEqual(["1001", "1002", CALLER]);
    expect(sorted(call.talkers)).toEqual(["1002", CALLER]);
    expect(result.presenceTimeline).toEqual({ "1001": RANG_ONLY, "1002": ANSWERED });
    expect(rows).toHaveLength(1);
    expect(outcomes(rows[0]!)).toEqual({
      [CALLER]: "caller",
      "1001": "taken by a colleague",
      "1002": "talked",
    });
  });
});

describe("mod_callcenter on FreeSWITCH (ESL)", () => {
  it("30-callcenter-answered: the caller waits in sales@default, both agents ring, 1001 takes it; one call", () => {
    const { result, rows, events } = run("esl", "30-callcenter-answered");
    const call = onlyCall(result);
    expect(call).toMatchObject({ direction: "inbound", answered: true });
    expect(sorted(call.parties)).toEqual(["1001", "1002", CALLER]);
    expect(sorted(call.talkers)).toEqual(["1001", CALLER]);
    expect(result.presenceTimeline).toEqual({ "1001": ANSWERED, "1002": RANG_ONLY });
    const row = rows[0]!;
    expect(row.queue).toBe("sales@default");
    expect(outcomes(row)).toEqual({ [CALLER]: "caller", "1001": "talked", "1002": "taken by a colleague" });
    const facts = queueFacts(events).filter((e) => e.type !== "queue.member");
    expect(facts.map((e) => e.type)).toEqual(["queue.callerJoined", "queue.callerLeft", "queue.answered"]);
    expect(facts[2]).toMatchObject({ queue: "sales@default", agent: "1001@default", extension: "1001" });
    // The agent's leg the answer names is 1001's phone leg, the one that talked.
    const agentLeg = (facts[2] as { agentLeg?: string }).agentLeg;
    expect(events.find((e) => e.type === "leg.created" && e.leg === agentLeg)).toMatchObject({
      number: "1001",
    });
  });

  it("31-callcenter-abandoned: nobody answers, the caller hangs up: abandoned, nobody's missed call; one call", () => {
    const { result, rows, events } = run("esl", "31-callcenter-abandoned");
    const call = onlyCall(result);
    expect(call).toMatchObject({ direction: "inbound", answered: false });
    expect(sorted(call.parties)).toEqual(["1001", "1002", CALLER]);
    expect(result.presenceTimeline).toEqual({ "1001": RANG_ONLY, "1002": RANG_ONLY });
    const row = rows[0]!;
    expect(row).toMatchObject({ answered: false, queue: "sales@default" });
    expect(outcomes(row)).toEqual({ [CALLER]: "caller", "1001": "-", "1002": "-" });
    const left = queueFacts(events).filter((e) => e.type === "queue.callerLeft");
    expect(left).toEqual([expect.objectContaining({ queue: "sales@default", reason: "abandoned" })]);
  });

  it("32-callcenter-agent-status: Alice on break and back, Bob available on demand, Carol logged in then out", () => {
    const { result, events } = run("esl", "32-callcenter-agent-status");
    expect(result.calls).toEqual([]);
    const members = queueFacts(events).filter((e) => e.type === "queue.member");
    expect(members).toEqual([
      {
        type: "queue.member",
        agent: "1001@default",
        extension: "1001",
        loggedIn: true,
        paused: true,
        pauseReason: "On Break",
      },
      { type: "queue.member", agent: "1001@default", extension: "1001", loggedIn: true, paused: false },
      { type: "queue.member", agent: "1002@default", extension: "1002", loggedIn: true, paused: false },
      { type: "queue.member", agent: "1003@default", extension: "1003", loggedIn: true, paused: false },
      { type: "queue.member", agent: "1003@default", extension: "1003", loggedIn: false },
      { type: "queue.member", agent: "1002@default", extension: "1002", loggedIn: true, paused: false },
    ]);
  });
});

type QueueFact = Extract<PbxEvent, { type: `queue.${string}` }>;

/** The queue events of a trace, without pbx and time. */
function queueFacts(events: readonly PbxEvent[]): Omit<QueueFact, "pbx" | "at">[] {
  return events
    .filter((e): e is QueueFact => e.type.startsWith("queue."))
    .map(({ pbx: _p, at: _a, ...rest }) => rest);
}

function member(agent: string, extension: string, rest: Record<string, unknown>) {
  return { type: "queue.member", queue: "400", agent, extension, ...rest };
}

// The queue panels (domain/queue-book.ts, domain/queue-view.ts) on the real queue captures
// (test/fixtures/queues/): replayed through each driver's translation and the live model with a directory in
// which Sales owns the queue, each moment the .md describes must show on the panels — who waits and since when,
// who may see who waits (rule Q), agents paused with their reason, the day's counters.

import { describe, expect, it } from "vitest";
import { defaultSettings, makeDirectory, type User } from "../../src/domain/directory.js";
import type { PbxEvent } from "../../src/domain/events.js";
import { LiveModel } from "../../src/domain/live-model.js";
import { type QueueView, queuesFor } from "../../src/domain/queue-view.js";
import { readTrace } from "../../src/replay/formats.js";

const PBX = "main";
const CALLER = { number: "15551234567", name: "WIRELESS CALLER", external: true };

function user(
  id: string,
  departments: string[],
  role: User["role"] = "agent",
  over: Partial<User["settings"]> = {},
): User {
  return {
    id,
    name: `User ${id}`,
    extension: id,
    pbx: PBX,
    devices: [],
    departments,
    role,
    settings: { ...defaultSettings(), ...over },
  };
}

function directoryOwning(queue: string) {
  return makeDirectory(
    [
      { id: "sales", name: "Sales", queues: [{ pbx: PBX, name: queue }] },
      { id: "support", name: "Support" },
    ],
    [
      user("1001", ["sales"]), // Alice, a member of the queue
      user("1002", ["sales"]), // Bob, a member of the queue
      user("1003", ["sales"], "agent", { sharePresence: false }), // Carol hides her presence
      user("1004", ["sales"], "supervisor"), // Dave supervises Sales, no member
      user("1005", ["sales"]), // Erin, in Sales but not in the queue
      user("1006", ["support"]), // Frank, another department
      user("admin", ["support"], "admin"),
    ],
  );
}

function eventsOf(file: string, format: "ami" | "ari" | "esl"): PbxEvent[] {
  const read = readTrace(`test/fixtures/queues/${file}`, format, { pbx: PBX });
  expect(read.problems).toEqual([]);
  return read.events;
}

/** Replays a capture; `at` is called after each event with the panels of each viewer. */
function replay(
  file: string,
  format: "ami" | "ari" | "esl",
  queue: string,
  at?: (e: PbxEvent, panel: (viewer: string) => QueueView | undefined) => void,
) {
  const directory = directoryOwning(queue);
  const model = new LiveModel(directory);
  const panel = (viewer: string) => queuesFor(directory.users.get(viewer) as User, directory, model)[0];
  for (const e of eventsOf(file, format)) {
    model.apply(e);
    at?.(e, panel);
  }
  return panel;
}

describe("queue 400 on Asterisk (AMI)", () => {
  it("32-queue-answered: the caller waits at position 1 while both ring; Alice takes it; counted answered", () => {
    // The panels as the caller leaves the queue (both phones have rung: the queue's members are known).
    let joinedAt = 0;
    let before: Record<string, QueueView | undefined> = {};
    let last: Record<string, QueueView | undefined> = {};
    const panel = replay("asterisk/32-queue-answered.ami.txt", "ami", "400", (e, p) => {
      if (e.type === "queue.callerJoined") joinedAt = e.at;
      if (e.type === "queue.callerLeft") before = last;
      last = Object.fromEntries(["1001", "1004", "1005", "1006", "admin"].map((v) => [v, p(v)]));
    });
    // Its agents and the supervisor see who waits; a colleague outside the queue sees that someone waits.
    expect(before["1001"]?.waiting).toEqual([{ position: 1, since: joinedAt, caller: CALLER }]);
    expect(before["1004"]?.waiting[0]?.caller).toEqual(CALLER);
    expect(before.admin?.waiting[0]?.caller).toEqual(CALLER);
    expect(before["1005"]?.waiting).toEqual([{ position: 1, since: joinedAt }]);
    // Another department has no panel for it at all.
    expect(before["1006"]).toBeUndefined();
    const end = panel("1004");
    expect(end?.waiting).toEqual([]);
    expect(end?.today.answered).toBe(1);
    expect(end?.today.abandoned).toBe(0);
    // Waited ~4 s before Alice answered.
    expect(end?.today.longestWaitMs).toBeGreaterThan(3000);
    expect(end?.today.longestWaitMs).toBeLessThan(5500);
    expect(end?.agents.find((a) => a.user === "1001")).toMatchObject({
      loggedIn: true,
      paused: false,
      onQueueCall: false,
    });
  });

  it("Alice is on a queue call while she talks to the caller the queue gave her", () => {
    let during: QueueView | undefined;
    replay("asterisk/32-queue-answered.ami.txt", "ami", "400", (e, p) => {
      if (e.type === "queue.answered") during = p("1002");
    });
    expect(during?.agents.find((a) => a.user === "1001")?.onQueueCall).toBe(true);
    expect(during?.agents.find((a) => a.user === "1002")?.onQueueCall).toBe(false);
  });

  it("33-queue-abandoned: the caller gives up after ~6 s: counted abandoned, not answered", () => {
    const end = replay("asterisk/33-queue-abandoned.ami.txt", "ami", "400")("admin");
    expect(end?.waiting).toEqual([]);
    expect(end?.today).toMatchObject({ answered: 0, abandoned: 1 });
    expect(end?.today.longestWaitMs).toBeGreaterThan(5000);
    expect(end?.today.longestWaitMs).toBeLessThan(7500);
  });

  it("34-queue-pause: Alice paused for lunch since then, back; Carol logs in (hidden to colleagues), pauses, logs out", () => {
    const seen: string[] = [];
    const panel = replay("asterisk/34-queue-pause.ami.txt", "ami", "400", (e, p) => {
      if (e.type !== "queue.member") return;
      const alice = p("1005")?.agents.find((a) => a.user === "1001");
      const carol = p("admin")?.agents.find((a) => a.user === "1003");
      seen.push(
        `alice ${alice?.paused ? `paused:${alice.pauseReason}@${alice.pausedSince === e.at ? "now" : "before"}` : "available"}` +
          ` carol ${carol ? (carol.paused ? `paused:${carol.pauseReason}` : "available") : "out"}` +
          ` hidden ${JSON.stringify(p("1005")?.otherAgents)}`,
      );
    });
    expect(seen).toEqual([
      'alice paused:Lunch@now carol out hidden {"loggedIn":0,"paused":0}',
      'alice available carol out hidden {"loggedIn":0,"paused":0}',
      // Carol shares no presence: colleagues count her, admins see her.
      'alice available carol available hidden {"loggedIn":1,"paused":0}',
      'alice available carol paused:Break hidden {"loggedIn":1,"paused":1}',
      'alice available carol out hidden {"loggedIn":0,"paused":0}',
    ]);
    expect(panel("1003")?.agents.some((a) => a.user === "1003")).toBe(false);
  });
});

describe("queue 400 on Asterisk (ARI without the AMI companion)", () => {
  it("34-queue-pause: the pauses, from the pause device states; no reason (ARI does not carry it)", () => {
    const states: string[] = [];
    replay("asterisk/34-queue-pause.ari.jsonl", "ari", "400", (e, p) => {
      if (e.type !== "queue.member") return;
      const alice = p("admin")?.agents.find((a) => a.user === "1001");
      states.push(alice?.paused ? `paused${alice.pauseReason ? `:${alice.pauseReason}` : ""}` : "available");
    });
    expect(states.slice(0, 2)).toEqual(["paused", "available"]);
  });
});

describe("sales@default on FreeSWITCH (mod_callcenter)", () => {
  it("30-callcenter-answered: the caller waits, both agents are offered it, Alice takes it; counted answered", () => {
    // Bob's panel as Alice takes the call (both agents have been offered it by then).
    let waiting: QueueView | undefined;
    let last: QueueView | undefined;
    const panel = replay("freeswitch/30-callcenter-answered.esl.txt", "esl", "sales@default", (e, p) => {
      if (e.type === "queue.callerLeft") waiting = last;
      last = p("1002");
    });
    expect(waiting?.waiting).toEqual([{ since: expect.any(Number), caller: CALLER }]);
    const end = panel("admin");
    expect(end?.today).toMatchObject({ answered: 1, abandoned: 0 });
    // Both agents were offered the call: both are the queue's logged-in agents.
    expect(end?.agents.map((a) => a.user).sort()).toEqual(["1001", "1002"]);
  });

  it("31-callcenter-abandoned: the caller hangs up while both ring: counted abandoned", () => {
    const end = replay("freeswitch/31-callcenter-abandoned.esl.txt", "esl", "sales@default")("1004");
    expect(end?.waiting).toEqual([]);
    expect(end?.today).toMatchObject({ answered: 0, abandoned: 1 });
  });
});

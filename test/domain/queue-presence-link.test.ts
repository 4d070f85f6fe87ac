// The link between presence and queues (domain/queue-presence-link.ts): in a department with
// pauseQueuesOnDnd, a person in do not disturb is paused in the department's queues and unpaused when they
// leave it; only the link's own pauses are undone (its reason, or one it remembers making), a break taken
// by hand stays; nothing is decided while the person's PBX link is down; other departments are untouched.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defaultSettings, makeDirectory, type User } from "../../src/domain/directory.js";
import type { QueueAgentState, QueueState } from "../../src/domain/queue-book.js";
import { DND_PAUSE_REASON, presenceLinkChanges } from "../../src/domain/queue-presence-link.js";

const PBX = "main";

function user(id: string, departments: string[]): User {
  return {
    id,
    name: `User ${id}`,
    extension: id,
    pbx: PBX,
    devices: [],
    departments,
    role: "agent",
    settings: defaultSettings(),
  };
}

function directory(link: boolean) {
  return makeDirectory(
    [
      {
        id: "sales",
        name: "Sales",
        queues: [{ pbx: PBX, name: "400" }],
        ...(link ? { pauseQueuesOnDnd: true } : {}),
      },
      { id: "support", name: "Support", queues: [{ pbx: PBX, name: "500" }] },
    ],
    [user("1001", ["sales"]), user("1002", ["sales"]), user("1003", ["support"])],
    ["supervisor"],
  );
}

const agent = (ext: string, over: Partial<QueueAgentState> = {}): QueueAgentState => ({
  agent: `Local/${ext}@from-queue/n`,
  extension: ext,
  loggedIn: true,
  paused: false,
  ...over,
});

const queue = (name: string, agents: QueueAgentState[]): QueueState => ({
  pbx: PBX,
  name,
  waiting: [],
  agents,
  today: { day: "2026-12-07", answered: 0, abandoned: 0, longestWaitMs: 0 },
});

function changes(opts: {
  link?: boolean;
  queues: QueueState[];
  dnd: Record<string, boolean | undefined>;
  ours?: string[];
}) {
  return presenceLinkChanges({
    directory: directory(opts.link ?? true),
    queueState: (pbx, name) => opts.queues.find((q) => q.pbx === pbx && q.name === name),
    dnd: (u) => opts.dnd[u.id],
    pausedByLink: (_pbx, _queue, a) => (opts.ours ?? []).includes(a),
  }).map((c) => `${c.user} ${c.queue} ${c.paused ? "pause" : "unpause"}`);
}

describe("presence and queues (departments[].pauseQueuesOnDnd)", () => {
  it("DND pauses a logged-in member in the department's queue; leaving it unpauses the link's pause", () => {
    expect(
      changes({
        queues: [queue("400", [agent("1001"), agent("1002")])],
        dnd: { "1001": true, "1002": false },
      }),
    ).toEqual(["1001 400 pause"]);
    const pausedByLink = agent("1001", { paused: true, pauseReason: DND_PAUSE_REASON });
    expect(changes({ queues: [queue("400", [pausedByLink])], dnd: { "1001": false } })).toEqual([
      "1001 400 unpause",
    ]);
    // FreeSWITCH keeps no reason: the link's own pause is the one it remembers.
    const onBreak = agent("1001", { paused: true, pauseReason: "On Break" });
    expect(
      changes({ queues: [queue("400", [onBreak])], dnd: { "1001": false }, ours: [onBreak.agent] }),
    ).toEqual(["1001 400 unpause"]);
  });

  it("a break taken by hand stays; a member already paused is not paused again", () => {
    const lunch = agent("1001", { paused: true, pauseReason: "Lunch" });
    expect(changes({ queues: [queue("400", [lunch])], dnd: { "1001": false } })).toEqual([]);
    expect(changes({ queues: [queue("400", [lunch])], dnd: { "1001": true } })).toEqual([]);
  });

  it("nothing without the department's switch, outside its queues, for logged-out members, or while DND is unknown", () => {
    expect(changes({ link: false, queues: [queue("400", [agent("1001")])], dnd: { "1001": true } })).toEqual(
      [],
    );
    // 1003 (Support) in Support's queue, and a Support person in Sales's queue: not Sales's link.
    expect(
      changes({
        queues: [queue("500", [agent("1003")]), queue("400", [agent("1003")])],
        dnd: { "1003": true },
      }),
    ).toEqual([]);
    expect(
      changes({ queues: [queue("400", [agent("1001", { loggedIn: false })])], dnd: { "1001": true } }),
    ).toEqual([]);
    expect(changes({ queues: [queue("400", [agent("1001")])], dnd: { "1001": undefined } })).toEqual([]);
  });

  it("property: never unpauses a pause the link did not make, and what it asks moves toward paused = DND", () => {
    const reasons = fc.constantFrom(undefined, DND_PAUSE_REASON, "Lunch", "On Break");
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            ext: fc.constantFrom("1001", "1002", "1003"),
            paused: fc.boolean(),
            reason: reasons,
            loggedIn: fc.boolean(),
            ours: fc.boolean(),
          }),
          { maxLength: 6 },
        ),
        fc.record({
          "1001": fc.option(fc.boolean(), { nil: undefined }),
          "1002": fc.option(fc.boolean(), { nil: undefined }),
          "1003": fc.option(fc.boolean(), { nil: undefined }),
        }),
        fc.boolean(),
        (members, dnd, link) => {
          const agents = members.map((m, i) =>
            agent(m.ext, {
              agent: `m${i}`,
              loggedIn: m.loggedIn,
              paused: m.paused,
              ...(m.paused && m.reason ? { pauseReason: m.reason } : {}),
            }),
          );
          const ours = members.flatMap((m, i) => (m.ours ? [`m${i}`] : []));
          const out = presenceLinkChanges({
            directory: directory(link),
            queueState: (_p, name) => (name === "400" ? queue("400", agents) : undefined),
            dnd: (u) => dnd[u.id as "1001"],
            pausedByLink: (_p, _q, a) => ours.includes(a),
          });
          for (const c of out) {
            const a = agents.find((x) => x.agent === c.agent)!;
            expect(link).toBe(true);
            expect(a.loggedIn).toBe(true);
            expect(c.paused).toBe(dnd[c.user as "1001"]);
            expect(a.paused).toBe(!c.paused);
            if (!c.paused) expect(a.pauseReason === DND_PAUSE_REASON || ours.includes(a.agent)).toBe(true);
            expect(c.user).not.toBe("1003");
          }
          // Every Sales member whose pause disagrees with a known DND, and may be changed, is asked.
          if (link)
            for (const a of agents) {
              const want = dnd[a.extension as "1001"];
              if (!a.loggedIn || want === undefined || a.extension === "1003") continue;
              const mayChange = want
                ? !a.paused
                : a.paused && (a.pauseReason === DND_PAUSE_REASON || ours.includes(a.agent));
              if (mayChange) expect(out.some((c) => c.agent === a.agent)).toBe(true);
            }
        },
      ),
    );
  });
});

// The standing guard for resuming the board stream (issue 14): a client away while traffic goes on and
// settings and roles change (its own and its colleagues') comes back with its session and last seq. Nothing
// the hub replays to it — missed deltas or a fresh snapshot — carries a field the viewer's rules forbid now
// (rules-oracle.ts, written from the docs), and it ends up with exactly what viewFor says.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BoardHub, type BoardMessage, type ViewerConnection } from "../../src/api/board/board-hub.js";
import { applyBoardDeltas } from "../../src/domain/board-changes.js";
import {
  type Directory,
  defaultSettings,
  makeDirectory,
  ROLES,
  type User,
} from "../../src/domain/directory.js";
import type { PbxEvent } from "../../src/domain/events.js";
import { LiveModel } from "../../src/domain/live-model.js";
import { type BoardView, viewFor } from "../../src/domain/visibility.js";
import {
  changeArb,
  describeScenario,
  directoryArb,
  eventsArb,
  PBX,
  type SettingsChange,
  T0,
  withChange,
} from "./arbitraries.js";
import { forbiddenInMessage } from "./rules-oracle.js";

/** A browser's board: the view it built from the messages it got, and where it is in its session. */
class Client {
  view: BoardView | undefined;
  session: string | undefined;
  seq = 0;
  received: BoardMessage[] = [];

  connection(): ViewerConnection {
    return {
      send: (_message, text) => {
        const message = JSON.parse(text) as BoardMessage;
        this.received.push(message);
        if (message.type === "snapshot") {
          this.view = message.view;
          this.session = message.session;
          this.seq = message.seq;
        } else if (message.type === "delta") {
          expect(message.seq).toBe(this.seq + 1);
          this.view = applyBoardDeltas(this.view as BoardView, message.deltas);
          this.seq = message.seq;
        }
      },
    };
  }
}

function normalized(view: BoardView | undefined): unknown {
  if (!view) return view;
  return { ...view, people: [...view.people].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)) };
}

// ---- while away: traffic, and changes to the viewer and to colleagues -----------------------------------

type AwayStep =
  | { k: "events"; n: number }
  /** `who`: the viewer, or a colleague (by index). */
  | { k: "change"; who: "viewer" | number; change: SettingsChange; flush: boolean };

/** What takes rights away from the viewer: a demotion, their own switches off, other departments. */
const viewerChangeArb: fc.Arbitrary<SettingsChange> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ f: fc.constant("role" as const), value: fc.constantFrom(...ROLES) }) },
  {
    weight: 2,
    arbitrary: fc.record({ f: fc.constantFrom("presence" as const, "calls" as const), value: fc.boolean() }),
  },
  { weight: 2, arbitrary: changeArb.filter((c) => c.f !== "remove") },
);

/** A colleague who stops showing their calls or sharing their presence (or any other change). */
const colleagueChangeArb: fc.Arbitrary<SettingsChange> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      f: fc.constantFrom("showMyCalls" as const, "sharePresence" as const),
      value: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: changeArb },
);

const awayStepArb: fc.Arbitrary<AwayStep> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ k: fc.constant("events" as const), n: fc.integer({ min: 1, max: 5 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant("change" as const),
      who: fc.constant("viewer" as const),
      change: viewerChangeArb,
      flush: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant("change" as const),
      who: fc.nat({ max: 20 }),
      change: colleagueChangeArb,
      flush: fc.boolean(),
    }),
  },
);

interface Script {
  directory: Directory;
  events: PbxEvent[];
  viewer: number;
  /** The viewer starts as an admin (so that a demotion is tried often). */
  startsAsAdmin: boolean;
  /** Events applied while connected, before going away. */
  connected: number;
  away: AwayStep[];
}

const scriptArb: fc.Arbitrary<Script> = directoryArb().chain((directory) =>
  fc
    .record({
      directory: fc.constant(directory),
      events: eventsArb(directory, 30),
      viewer: fc.nat(),
      startsAsAdmin: fc.boolean(),
      connected: fc.integer({ min: 0, max: 12 }),
      away: fc.array(awayStepArb, { minLength: 1, maxLength: 12 }),
    })
    .map((script) => {
      Object.defineProperty(script, fc.toStringMethod, {
        enumerable: false,
        value: () =>
          `${describeScenario(script)}\nviewer: ${script.viewer}, startsAsAdmin: ${script.startsAsAdmin}, connected: ${script.connected}\naway: ${JSON.stringify(script.away)}`,
      });
      return script;
    }),
);

interface Stats {
  resumes: number;
  /** Resumes that replayed deltas (not a fresh snapshot). */
  replayed: number;
  /** Resumes after a change to the viewer or a colleague while away. */
  afterChange: number;
}

function run(script: Script, stats: Stats): void {
  const ids = [...script.directory.users.keys()];
  const me = ids[script.viewer % ids.length] as string;
  let directory = script.startsAsAdmin
    ? withChange(script.directory, me, { f: "role", value: "admin" })
    : script.directory;
  const model = new LiveModel(directory);
  const hub = new BoardHub(() => directory, model, { flushMs: 1_000_000 });
  let next = 0;
  const apply = (n: number) => {
    for (let i = 0; i < n && next < script.events.length; i++, next++)
      hub.modelChanged(model.apply(script.events[next] as PbxEvent));
  };
  try {
    const client = new Client();
    const first = client.connection();
    expect(hub.connect(me, first)).toBe(true);
    apply(script.connected);
    hub.flush();
    // Away: the hub keeps the session and logs the deltas the client misses.
    hub.disconnect(first);
    const seen = { session: client.session as string, seq: client.seq };
    let changed = false;
    for (const step of script.away) {
      if (step.k === "events") {
        apply(step.n);
        hub.flush();
        continue;
      }
      const others = ids.filter((id) => id !== me && directory.users.has(id));
      const target = step.who === "viewer" ? me : others[step.who % Math.max(1, others.length)];
      if (target === undefined || (target === me && step.change.f === "remove")) continue;
      directory = withChange(directory, target, step.change);
      hub.modelChanged(model.setDirectory(directory));
      hub.directoryChanged();
      changed = true;
      if (step.flush) hub.flush();
    }
    // Back, with the session and seq it had: every message it gets now is checked against the rules now.
    client.received = [];
    expect(hub.connect(me, client.connection(), seen)).toBe(true);
    for (const message of client.received) {
      expect(
        forbiddenInMessage(directory, me, message),
        `${message.type} ${message.type === "delta" ? message.seq : ""} replayed to ${me}`,
      ).toEqual([]);
    }
    stats.resumes++;
    if (client.received.length > 0 && client.received.every((m) => m.type === "delta")) stats.replayed++;
    if (changed) stats.afterChange++;
    // And it catches up to exactly what it may see.
    hub.flush();
    expect(normalized(client.view)).toEqual(normalized(viewFor(directory, model, me)));
  } finally {
    hub.close();
  }
}

describe("resume after settings and role changes (standing guard)", () => {
  it("no replayed frame carries a field the viewer's current rules forbid", () => {
    const stats: Stats = { resumes: 0, replayed: 0, afterChange: 0 };
    fc.assert(
      fc.property(scriptArb, (script) => run(script, stats)),
      { numRuns: 400 },
    );
    // The generator exercises what it claims to: resumes after changes, some of them replaying deltas.
    expect(stats.afterChange).toBeGreaterThan(200);
    expect(stats.replayed).toBeGreaterThan(20);
  }, 120_000);
});

// ---- the shapes from the issue, as plain examples ----------------------------------------------------------

const user = (id: string, role: User["role"], change: Partial<User["settings"]> = {}): User => ({
  id,
  name: `User ${id}`,
  extension: id,
  pbx: PBX,
  devices: [],
  departments: ["sales"],
  role,
  settings: { ...defaultSettings(), ...change },
});

/** An inbound call from +15557654321 to `ext`, answered. */
function inboundCall(ext: string): PbxEvent[] {
  const created = (
    leg: string,
    side: "internal" | "external",
    number: string,
    outgoing: boolean,
  ): PbxEvent => ({
    type: "leg.created",
    pbx: PBX,
    at: T0,
    leg,
    callId: "C1",
    channel: `PJSIP/${side === "internal" ? ext : "carrier"}-${leg}`,
    endpoint: `PJSIP/${side === "internal" ? ext : "carrier"}`,
    side,
    number,
    ...(side === "external" ? { name: "Jane Customer" } : {}),
    outgoing,
  });
  return [
    created("E", "external", "+15557654321", false),
    created("I", "internal", ext, true),
    { type: "leg.answered", pbx: PBX, at: T0 + 1, leg: "I" },
    { type: "leg.answered", pbx: PBX, at: T0 + 1, leg: "E" },
    { type: "leg.bridged", pbx: PBX, at: T0 + 2, leg: "E", bridge: "B1", callId: "C1" },
    { type: "leg.bridged", pbx: PBX, at: T0 + 2, leg: "I", bridge: "B1", callId: "C1" },
  ];
}

function awayThenBack(
  initial: Directory,
  viewer: string,
  whileAway: (model: LiveModel, hub: BoardHub, setDirectory: (d: Directory) => void) => void,
): { client: Client; directory: () => Directory } {
  let directory = initial;
  const model = new LiveModel(directory);
  const hub = new BoardHub(() => directory, model, { flushMs: 1_000_000 });
  try {
    const client = new Client();
    const first = client.connection();
    hub.connect(viewer, first);
    hub.disconnect(first);
    const seen = { session: client.session as string, seq: client.seq };
    whileAway(model, hub, (d) => {
      directory = d;
      hub.modelChanged(model.setDirectory(d));
      hub.directoryChanged();
      hub.flush();
    });
    client.received = [];
    hub.connect(viewer, client.connection(), seen);
    return { client, directory: () => directory };
  } finally {
    hub.close();
  }
}

describe("resume: the shapes from the issue", () => {
  it("Alice takes a call, then turns showMyCalls off: Bob's resume is a fresh snapshot, without the caller", () => {
    const start = makeDirectory(
      [{ id: "sales", name: "Sales" }],
      [user("alice", "agent"), user("bob", "agent")],
    );
    const { client } = awayThenBack(start, "bob", (model, hub, setDirectory) => {
      for (const e of inboundCall("alice")) hub.modelChanged(model.apply(e));
      hub.flush();
      setDirectory(
        makeDirectory(
          [...start.departments.values()],
          [user("alice", "agent", { showMyCalls: false }), user("bob", "agent")],
        ),
      );
    });
    expect(client.received.map((m) => m.type)).toEqual(["snapshot"]);
    expect(JSON.stringify(client.received)).not.toContain("+15557654321");
    expect(JSON.stringify(client.received)).not.toContain("Jane Customer");
  });

  it("an admin demoted to agent resumes without the deltas computed while admin", () => {
    const start = makeDirectory(
      [{ id: "sales", name: "Sales" }],
      [user("bob", "agent", { showMyCalls: false }), user("ada", "admin")],
    );
    const { client } = awayThenBack(start, "ada", (model, hub, setDirectory) => {
      for (const e of inboundCall("bob")) hub.modelChanged(model.apply(e));
      hub.flush();
      setDirectory(
        makeDirectory(
          [...start.departments.values()],
          [user("bob", "agent", { showMyCalls: false }), user("ada", "agent")],
        ),
      );
    });
    expect(client.received.map((m) => m.type)).toEqual(["snapshot"]);
    expect(JSON.stringify(client.received)).not.toContain("+15557654321");
  });

  it("a change that cannot change what the viewer sees (a colleague's recording policy) keeps the resume", () => {
    const start = makeDirectory(
      [{ id: "sales", name: "Sales" }],
      [user("alice", "agent"), user("bob", "agent")],
    );
    const { client } = awayThenBack(start, "bob", (model, hub, setDirectory) => {
      for (const e of inboundCall("alice")) hub.modelChanged(model.apply(e));
      hub.flush();
      setDirectory(
        makeDirectory(
          [...start.departments.values()],
          [user("alice", "agent", { recording: "all" }), user("bob", "agent")],
        ),
      );
    });
    expect(client.received.map((m) => m.type)).toEqual(["delta"]);
    expect(JSON.stringify(client.received)).toContain("+15557654321");
  });
});

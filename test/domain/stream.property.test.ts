// Property tests for the live board stream: for random directories, traffic and settings changes, what
// every connected viewer has after applying the snapshot and every delta it was sent (as the web board
// does) is exactly what `viewFor` says the viewer may see now. Nothing forbidden arrives (no leak) and
// nothing the viewer may no longer see, or that changed, is left behind (no stale data), including
// after a disconnect and a resume. Every message a client gets is also checked on its own against the
// rules written from the docs (rules-oracle.ts): nothing in it is forbidden when it arrives.

import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BoardHub, type BoardMessage, type ViewerConnection } from "../../src/api/board/board-hub.js";
import { parseConfig } from "../../src/config/load.js";
import { applyBoardDeltas } from "../../src/domain/board-changes.js";
import {
  type Directory,
  defaultSettings,
  makeDirectory,
  type Role,
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
  withChange,
} from "./arbitraries.js";
import { forbiddenInMessage } from "./rules-oracle.js";

// ---- the script: traffic, settings changes, connects, disconnects and resumes ----------------------

type Step =
  /** Apply the next `n` events (each event's changes go to the hub), then flush unless `flush` is false. */
  | { k: "events"; n: number; flush: boolean }
  | { k: "settings"; user: number; change: SettingsChange; flush: boolean }
  | { k: "disconnect"; viewer: number }
  /** Reconnect a disconnected client with its session and last seq. */
  | { k: "resume"; viewer: number }
  /** A second, independent client of a viewer (its own snapshot and session). */
  | { k: "connect"; viewer: number }
  /** The PBX link comes up or goes down (every viewer is told). */
  | { k: "link"; state: "up" | "down"; flush: boolean };

const who = fc.nat({ max: 20 });

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.record({
      k: fc.constant("events" as const),
      n: fc.integer({ min: 1, max: 4 }),
      // Mostly a flush per batch; sometimes batches pile up before one.
      flush: fc.integer({ min: 0, max: 3 }).map((n) => n > 0),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      k: fc.constant("settings" as const),
      user: who,
      change: changeArb,
      flush: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("disconnect" as const), viewer: who }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("resume" as const), viewer: who }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("connect" as const), viewer: who }) },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant("link" as const),
      state: fc.constantFrom("up" as const, "down" as const),
      flush: fc.boolean(),
    }),
  },
);

interface Script {
  directory: Directory;
  events: PbxEvent[];
  steps: Step[];
}

function scriptArb(maxOps = 30, maxSteps = 40): fc.Arbitrary<Script> {
  return directoryArb().chain((directory) =>
    fc
      .tuple(eventsArb(directory, maxOps), fc.array(stepArb, { maxLength: maxSteps }))
      .map(([events, steps]) => {
        const script: Script = { directory, events, steps };
        Object.defineProperty(script, fc.toStringMethod, {
          enumerable: false,
          value: () => `${describeScenario(script)}\nsteps: ${JSON.stringify(steps)}`,
        });
        return script;
      }),
  );
}

// ---- clients: what a browser holds ----------------------------------------------------------------

class Client {
  view: BoardView | undefined;
  session: string | undefined;
  seq = 0;
  connection: ViewerConnection | undefined;
  /** Messages that reached a connection after it was disconnected (must stay empty). */
  readonly afterClose: BoardMessage[] = [];
  snapshots = 0;
  deltas = 0;
  /** A settings change happened while this client was away (its resume may then be a fresh snapshot). */
  awayThroughChange = false;

  /** `rules`: the directory now, to check each message against the docs' rules when it arrives. */
  constructor(
    readonly viewer: string,
    private readonly rules?: () => Directory,
  ) {}

  /** A fresh connection object that feeds this client (the old one, if any, must go quiet). */
  newConnection(): ViewerConnection {
    const connection: ViewerConnection = {
      send: (message, text) => {
        if (this.connection !== connection) {
          this.afterClose.push(message);
          return;
        }
        // What goes over the wire is the text: the client works from it, as a browser does.
        this.receive(JSON.parse(text) as BoardMessage);
      },
    };
    this.connection = connection;
    return connection;
  }

  private receive(message: BoardMessage): void {
    if (this.rules) {
      expect(
        forbiddenInMessage(this.rules(), this.viewer, message),
        `${this.viewer} got a forbidden field`,
      ).toEqual([]);
    }
    if (message.type === "snapshot") {
      expect(message.view.viewer).toBe(this.viewer);
      this.view = message.view;
      this.session = message.session;
      this.seq = message.seq;
      this.snapshots++;
    } else if (message.type === "delta") {
      expect(this.view, `${this.viewer}: a delta before any snapshot`).toBeDefined();
      // Deltas are numbered without gaps: a client that missed one could not know.
      expect(message.seq, `${this.viewer}: delta seq after ${this.seq}`).toBe(this.seq + 1);
      expect(message.deltas.length).toBeGreaterThan(0);
      this.view = applyBoardDeltas(this.view as BoardView, message.deltas);
      this.seq = message.seq;
      this.deltas++;
    }
  }
}

function normalized(view: BoardView | undefined): unknown {
  if (!view) return view;
  return { ...view, people: [...view.people].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)) };
}

// ---- the driver ------------------------------------------------------------------------------------

interface RunStats {
  checks: number;
  deltas: number;
  resumed: number;
  settings: number;
}

function run(script: Script, stats: RunStats, hubOptions: { logSize?: number } = {}): void {
  let directory = script.directory;
  const model = new LiveModel(directory, { links: [PBX] });
  const hub = new BoardHub(() => directory, model, { flushMs: 1_000_000, ...hubOptions });
  let linkClock = 1_900_000_000_000;
  const clients: Client[] = [];
  const connected = new Set<Client>();
  const removed = new Set<string>();
  const ids = [...directory.users.keys()];

  const connect = (client: Client, resume?: { session: string; seq: number }) => {
    const ok = hub.connect(client.viewer, client.newConnection(), resume);
    expect(ok).toBe(true);
    connected.add(client);
  };
  for (const id of ids) {
    const c = new Client(id, () => directory);
    clients.push(c);
    connect(c);
  }

  const check = (when: string) => {
    for (const c of clients) {
      expect(c.afterClose, `${c.viewer} got messages on a closed connection (${when})`).toEqual([]);
      if (!connected.has(c)) continue;
      if (removed.has(c.viewer)) continue;
      const expected = viewFor(directory, model, c.viewer);
      expect(normalized(c.view), `${c.viewer}'s board ${when}`).toEqual(normalized(expected));
      stats.checks++;
    }
  };

  const flush = (when: string) => {
    hub.flush();
    check(when);
  };

  let next = 0;
  const applyEvents = (n: number) => {
    for (let i = 0; i < n && next < script.events.length; i++, next++) {
      hub.modelChanged(model.apply(script.events[next] as PbxEvent));
    }
  };

  try {
    check("after connecting");
    for (const [i, step] of script.steps.entries()) {
      const when = `after step ${i} ${JSON.stringify(step)}`;
      switch (step.k) {
        case "events":
          applyEvents(step.n);
          if (step.flush) flush(when);
          break;
        case "settings": {
          const live = ids.filter((id) => !removed.has(id));
          const user = live[step.user % Math.max(1, live.length)];
          if (user === undefined) break;
          // Keep at least one user, so that there is someone to check.
          if (step.change.f === "remove" && live.length <= 1) break;
          directory = withChange(directory, user, step.change);
          if (step.change.f === "remove") removed.add(user);
          for (const c of clients) if (!connected.has(c)) c.awayThroughChange = true;
          hub.modelChanged(model.setDirectory(directory));
          hub.directoryChanged();
          stats.settings++;
          if (step.flush) flush(when);
          break;
        }
        case "disconnect": {
          const here = [...connected].filter((x) => !removed.has(x.viewer));
          const c = here[step.viewer % Math.max(1, here.length)];
          if (!c?.connection) break;
          // Pending changes first: the client has seen everything up to now.
          flush(`${when} (before)`);
          hub.disconnect(c.connection);
          connected.delete(c);
          c.connection = undefined;
          break;
        }
        case "resume": {
          const away = clients.filter((x) => !connected.has(x) && !removed.has(x.viewer));
          const c = away[step.viewer % Math.max(1, away.length)];
          if (!c?.session) break;
          flush(`${when} (before)`);
          const before = c.snapshots;
          connect(c, { session: c.session, seq: c.seq });
          if (hubOptions.logSize === undefined && !c.awayThroughChange) {
            // Within the (default, large) log: only the missed deltas, no new snapshot. (A settings change
            // while away may have dropped the log: deltas computed under old rules are never replayed.)
            expect(c.snapshots, `${c.viewer} resumed with a snapshot`).toBe(before);
          }
          c.awayThroughChange = false;
          stats.resumed++;
          check(when);
          break;
        }
        case "link":
          hub.modelChanged(
            model.apply({ type: "pbx.connection", pbx: PBX, at: linkClock++, state: step.state }),
          );
          if (step.flush) flush(when);
          break;
        case "connect": {
          const live = ids.filter((id) => !removed.has(id));
          const viewer = live[step.viewer % Math.max(1, live.length)];
          if (viewer === undefined) break;
          const c = new Client(viewer, () => directory);
          clients.push(c);
          connect(c);
          // Others may have unflushed changes pending; the newcomer starts from the current view.
          expect(normalized(c.view), `${viewer}'s snapshot ${when}`).toEqual(
            normalized(viewFor(directory, model, viewer)),
          );
          break;
        }
      }
    }
    // The rest of the traffic, in small batches.
    while (next < script.events.length) {
      applyEvents(3);
      flush(`after event ${next}`);
    }
    flush("at the end");
    // Everyone who is away comes back and catches up.
    for (const c of clients) {
      if (connected.has(c) || removed.has(c.viewer) || !c.session) continue;
      connect(c, { session: c.session, seq: c.seq });
      stats.resumed++;
    }
    check("after everyone resumed");
    for (const c of clients) stats.deltas += c.deltas;
  } finally {
    hub.close();
  }
}

// ---- properties ------------------------------------------------------------------------------------

/** A fixed number of runs, CPU-bound: on a 2-core machine shared with other work they take seconds. */
const PROPERTY_TIMEOUT = 120_000;

describe("board stream: snapshot + deltas always equal viewFor", () => {
  it(
    "for every connected viewer after every flush, through traffic, settings changes and resumes",
    () => {
      const stats: RunStats = { checks: 0, deltas: 0, resumed: 0, settings: 0 };
      fc.assert(
        fc.property(scriptArb(), (script) => {
          run(script, stats);
        }),
        { numRuns: 250 },
      );
      // The generator exercises what it claims to.
      expect(stats.deltas).toBeGreaterThan(500);
      expect(stats.resumed).toBeGreaterThan(25);
      expect(stats.settings).toBeGreaterThan(120);
    },
    PROPERTY_TIMEOUT,
  );

  it(
    "resume with a short delta log: missed deltas when still logged, else a fresh snapshot",
    () => {
      const stats: RunStats = { checks: 0, deltas: 0, resumed: 0, settings: 0 };
      fc.assert(
        fc.property(scriptArb(), (script) => {
          run(script, stats, { logSize: 2 });
        }),
        { numRuns: 150 },
      );
      expect(stats.resumed).toBeGreaterThan(10);
    },
    PROPERTY_TIMEOUT,
  );

  it(
    "a client away during traffic and settings changes resumes from its session and seq to the current view",
    () => {
      fc.assert(
        fc.property(
          directoryArb().chain((directory) =>
            fc.record({
              directory: fc.constant(directory),
              before: eventsArb(directory, 15),
              viewer: fc.nat(),
              changes: fc.array(fc.tuple(fc.nat(), changeArb), { maxLength: 4 }),
            }),
          ),
          fc.integer({ min: 0, max: 10 }),
          ({ directory: initial, before, viewer, changes }, cut) => {
            let directory = initial;
            const model = new LiveModel(directory);
            const hub = new BoardHub(() => directory, model, { flushMs: 1_000_000 });
            try {
              const ids = [...directory.users.keys()];
              const me = ids[viewer % ids.length] as string;
              const client = new Client(me, () => directory);
              hub.connect(me, client.newConnection());
              // Some traffic while connected.
              const split = Math.min(cut, before.length);
              for (const e of before.slice(0, split)) hub.modelChanged(model.apply(e));
              hub.flush();
              expect(normalized(client.view)).toEqual(normalized(viewFor(directory, model, me)));
              // Away: the rest of the traffic and some settings changes (never removing the viewer).
              const old = client.connection as ViewerConnection;
              hub.disconnect(old);
              client.connection = undefined;
              const seen = { session: client.session as string, seq: client.seq };
              for (const e of before.slice(split)) {
                hub.modelChanged(model.apply(e));
                hub.flush();
              }
              for (const [who, change] of changes) {
                const others = ids.filter((id) => id !== me);
                const target =
                  change.f === "remove" ? others[who % Math.max(1, others.length)] : ids[who % ids.length];
                if (target === undefined) continue;
                directory = withChange(directory, target, change);
                hub.modelChanged(model.setDirectory(directory));
                hub.directoryChanged();
                hub.flush();
              }
              expect(client.afterClose).toEqual([]);
              // Back with the session and seq it had.
              const snapshots = client.snapshots;
              expect(hub.connect(me, client.newConnection(), seen)).toBe(true);
              // Without settings changes, only the missed deltas; after one, maybe a fresh snapshot instead.
              if (changes.length === 0)
                expect(client.snapshots, "resumed without a new snapshot").toBe(snapshots);
              expect(normalized(client.view)).toEqual(normalized(viewFor(directory, model, me)));
            } finally {
              hub.close();
            }
          },
        ),
        { numRuns: 600 },
      );
    },
    PROPERTY_TIMEOUT,
  );
});

// ---- the two shapes the properties above shrink to, as plain examples -----------------------------

/** Events of an inbound call from +15551234567 to `ext`, answered (legs E and I, call C1). */
function inboundAnswered(pbx: string, ext: string, at: number): PbxEvent[] {
  return [
    {
      type: "leg.created",
      pbx,
      at,
      leg: "E",
      callId: "C1",
      channel: "PJSIP/carrier-1",
      endpoint: "PJSIP/carrier",
      side: "external",
      number: "+15551234567",
      outgoing: false,
    },
    {
      type: "leg.created",
      pbx,
      at: at + 10,
      leg: "I",
      callId: "C1",
      channel: `PJSIP/${ext}-2`,
      endpoint: `PJSIP/${ext}`,
      side: "internal",
      number: ext,
      outgoing: true,
    },
    { type: "leg.ringing", pbx, at: at + 20, leg: "I" },
    { type: "leg.answered", pbx, at: at + 30, leg: "I" },
    { type: "leg.answered", pbx, at: at + 30, leg: "E" },
    { type: "leg.bridged", pbx, at: at + 40, leg: "E", bridge: "B1", callId: "C1" },
    { type: "leg.bridged", pbx, at: at + 40, leg: "I", bridge: "B1", callId: "C1" },
  ];
}

function streamOf(directory: Directory, model: LiveModel, hub: BoardHub, viewer: string): Client {
  const client = new Client(viewer, () => directory);
  expect(hub.connect(viewer, client.newConnection())).toBe(true);
  expect(normalized(client.view)).toEqual(normalized(viewFor(directory, model, viewer)));
  return client;
}

describe("board stream: viewers who see a call without seeing its people's presence", () => {
  it("a supervisor with presence off still gets the monitoring sessions on his team (rule 4)", () => {
    const user = (id: string, ext: string, role: Role, presence = true): User => {
      const settings = defaultSettings();
      settings.presence = presence;
      if (role !== "agent") settings.operations = { ...settings.operations, listen: true };
      return {
        id,
        name: id,
        extension: ext,
        pbx: "p1",
        devices: [],
        departments: ["support"],
        role,
        settings,
      };
    };
    const directory = makeDirectory(
      [{ id: "support", name: "Support" }],
      [
        user("dave", "1004", "supervisor", false),
        user("erin", "1005", "agent"),
        user("ada", "1099", "admin"),
      ],
    );
    const model = new LiveModel(directory);
    const hub = new BoardHub(() => directory, model, { flushMs: 1_000_000 });
    try {
      const dave = streamOf(directory, model, hub, "dave");
      for (const e of inboundAnswered("p1", "1005", 1000)) hub.modelChanged(model.apply(e));
      // Ada (admin) listens to Erin's call.
      const spy: PbxEvent[] = [
        {
          type: "leg.created",
          pbx: "p1",
          at: 2000,
          leg: "S",
          callId: "C2",
          channel: "PJSIP/1099-3",
          endpoint: "PJSIP/1099",
          side: "internal",
          number: "1099",
          outgoing: true,
        },
        { type: "leg.answered", pbx: "p1", at: 2010, leg: "S" },
        { type: "monitoring.started", pbx: "p1", at: 2020, spy: "S", target: "I", mode: "listen" },
      ];
      for (const e of spy) hub.modelChanged(model.apply(e));
      hub.flush();
      const expected = viewFor(directory, model, "dave");
      expect(expected?.monitoring).toEqual([
        expect.objectContaining({ by: "ada", target: "erin", mode: "listen" }),
      ]);
      expect(dave.view?.monitoring, "Dave's streamed board lists Ada's session on Erin").toEqual(
        expected?.monitoring,
      );
    } finally {
      hub.close();
    }
  });

  it("a user with presence off but parked pickup on gets the parked calls of their department (sample: Frank)", () => {
    const config = parseConfig(readFileSync("callsight.example.yaml", "utf8"), "callsight.example.yaml", {});
    const directory = config.directory;
    // Frank (1006, Support): presence off, parked pickup on (the default).
    expect(directory.users.get("1006")?.settings.presence).toBe(false);
    expect(directory.users.get("1006")?.settings.operations.parkedPickup).toBe(true);
    const model = new LiveModel(directory);
    const hub = new BoardHub(() => directory, model, { flushMs: 1_000_000 });
    try {
      const frank = streamOf(directory, model, hub, "1006");
      // Erin (1005, Support) takes an outside call and parks it, then hangs up.
      for (const e of inboundAnswered("main", "1005", 1000)) hub.modelChanged(model.apply(e));
      hub.flush();
      const parked: PbxEvent[] = [
        { type: "leg.unbridged", pbx: "main", at: 3000, leg: "E", bridge: "B1" },
        { type: "call.parked", pbx: "main", at: 3000, leg: "E", lot: "default", space: "701" },
        { type: "leg.hangup", pbx: "main", at: 3010, leg: "I", cause: 16, causeText: "Normal Clearing" },
      ];
      for (const e of parked) hub.modelChanged(model.apply(e));
      hub.flush();
      const expected = viewFor(directory, model, "1006");
      expect(expected?.parked).toEqual([expect.objectContaining({ call: "C1", space: "701" })]);
      expect(frank.view?.parked, "Frank's streamed board offers the parked call").toEqual(expected?.parked);
    } finally {
      hub.close();
    }
  });
});

// Who is calling, before I pick up (rule P), who parked a call and since when, and the departments' names on
// the board: viewFor on small hand-made models, and the same through the board hub's deltas and resume.

import { describe, expect, it } from "vitest";
import { BoardHub, type BoardMessage, type ViewerConnection } from "../../src/api/board/board-hub.js";
import { applyBoardDeltas } from "../../src/domain/board-changes.js";
import { defaultSettings, makeDirectory, type User, type UserSettings } from "../../src/domain/directory.js";
import type { PbxEvent } from "../../src/domain/events.js";
import { LiveModel } from "../../src/domain/live-model.js";
import { type BoardView, viewFor } from "../../src/domain/visibility.js";
import { forbiddenInMessage } from "./rules-oracle.js";

const P = "main";
const CALLER = "+4930123456";
const CALLER_NAME = "ACME Ltd";

type Change = Partial<Omit<UserSettings, "operations">> & {
  operations?: Partial<UserSettings["operations"]>;
};

function user(id: string, departments: string[], change: Change = {}, role: User["role"] = "agent"): User {
  const base = defaultSettings();
  const { operations, ...rest } = change;
  return {
    id,
    name: `User ${id}`,
    extension: id,
    pbx: P,
    devices: [],
    departments,
    role,
    settings: { ...base, ...rest, operations: { ...base.operations, ...operations } },
  };
}

const DEPARTMENTS = [
  { id: "sales", name: "Sales" },
  { id: "support", name: "Customer Support" },
  { id: "unused", name: "Nobody's" },
];

/**
 * 2001 rings; in sales with it: 2002 (sees presence, not calls, may pick up: rule P), 2003 (the same
 * without the pickup switch), 2004 (sees calls: rule 3 as always); 2005 in support only, 2001's pickup
 * delegate (not on the board: rule P never adds a person); 2099 an admin.
 */
function directoryWith(callee: Change = {}, others: User[] = []) {
  return makeDirectory(DEPARTMENTS, [
    user("2001", ["sales"], { pickupDelegates: ["2005"], ...callee }),
    user("2002", ["sales", "support"], { calls: false }),
    user("2003", ["sales"], { calls: false, operations: { pickup: false } }),
    user("2004", ["sales"]),
    user("2005", ["support"]),
    user("2099", ["sales"], {}, "admin"),
    ...others,
  ]);
}

let at = 1_800_000_000_000;
const tick = () => (at += 1000);

const created = (leg: string, callId: string, who: string, outgoing: boolean, external = false): PbxEvent =>
  external
    ? {
        type: "leg.created",
        pbx: P,
        at: tick(),
        leg,
        callId,
        channel: `PJSIP/carrier-${leg}`,
        endpoint: "PJSIP/carrier",
        side: "external",
        number: who,
        name: CALLER_NAME,
        outgoing,
      }
    : {
        type: "leg.created",
        pbx: P,
        at: tick(),
        leg,
        callId,
        channel: `PJSIP/${who}-${leg}`,
        endpoint: `PJSIP/${who}`,
        side: "internal",
        number: who,
        name: `User ${who}`,
        outgoing,
      };
const ringing = (leg: string): PbxEvent => ({ type: "leg.ringing", pbx: P, at: tick(), leg });
const answered = (leg: string): PbxEvent => ({ type: "leg.answered", pbx: P, at: tick(), leg });
const bridged = (leg: string, bridge: string, callId: string): PbxEvent => ({
  type: "leg.bridged",
  pbx: P,
  at: tick(),
  leg,
  bridge,
  callId,
});
const hangup = (leg: string): PbxEvent => ({
  type: "leg.hangup",
  pbx: P,
  at: tick(),
  leg,
  cause: 16,
  causeText: "Normal Clearing",
});

/** An outside caller ringing 2001 (leg X calls, leg R rings). */
const outsideRings2001 = (): PbxEvent[] => [
  created("X", "C1", CALLER, false, true),
  created("R", "C1", "2001", true),
  ringing("R"),
];
const answer2001 = (): PbxEvent[] => [
  answered("R"),
  answered("X"),
  bridged("X", "B1", "C1"),
  bridged("R", "B1", "C1"),
];

function modelOf(directory: ReturnType<typeof directoryWith>, events: PbxEvent[]): LiveModel {
  const model = new LiveModel(directory);
  for (const e of events) model.apply(e);
  return model;
}

const tile = (
  directory: ReturnType<typeof directoryWith>,
  model: LiveModel,
  viewer: string,
  person: string,
) => viewFor(directory, model, viewer)?.people.find((p) => p.id === person);

describe("rule P: who calls, on a ringing call the viewer may pick up", () => {
  it("a viewer who sees presence only, but may pick up, gets the ringing call and who calls — nothing else", () => {
    const directory = directoryWith();
    const model = modelOf(directory, outsideRings2001());
    expect(tile(directory, model, "2002", "2001")?.calls).toEqual([
      {
        state: "ringing",
        since: expect.any(Number),
        callers: [{ number: CALLER, name: CALLER_NAME, external: true }],
      },
    ]);
  });

  it("without the pickup switch: presence only, as before", () => {
    const directory = directoryWith();
    const model = modelOf(directory, outsideRings2001());
    const person = tile(directory, model, "2003", "2001");
    expect(person?.presence).toBe("ringing");
    expect(person?.calls).toBeUndefined();
    expect(JSON.stringify(viewFor(directory, model, "2003"))).not.toContain(CALLER);
  });

  it("a pickup delegate outside the department is not given the person (rule 1 still decides who is on the board)", () => {
    const directory = directoryWith();
    const model = modelOf(directory, outsideRings2001());
    expect(tile(directory, model, "2005", "2001")).toBeUndefined();
    expect(JSON.stringify(viewFor(directory, model, "2005"))).not.toContain(CALLER);
  });

  it("with the callee's showMyCalls off nobody but the callee and admins learns who calls", () => {
    const directory = directoryWith({ showMyCalls: false });
    const model = modelOf(directory, outsideRings2001());
    for (const viewer of ["2002", "2003", "2004", "2005"])
      expect(JSON.stringify(viewFor(directory, model, viewer)), viewer).not.toContain(CALLER);
    expect(tile(directory, model, "2004", "2001")?.calls).toEqual([
      { state: "ringing", since: expect.any(Number) },
    ]);
    expect(JSON.stringify(tile(directory, model, "2001", "2001"))).toContain(CALLER);
    expect(JSON.stringify(tile(directory, model, "2099", "2001"))).toContain(CALLER);
  });

  it("once answered the normal rules apply again: the pickup-only viewer no longer sees the call", () => {
    const directory = directoryWith();
    const model = modelOf(directory, [...outsideRings2001(), ...answer2001()]);
    expect(tile(directory, model, "2002", "2001")?.calls).toBeUndefined();
    expect(JSON.stringify(viewFor(directory, model, "2002"))).not.toContain(CALLER);
    // A viewer who sees calls keeps seeing the details (rule 3).
    expect(tile(directory, model, "2004", "2001")?.calls?.[0]?.remote).toEqual([
      { number: CALLER, name: CALLER_NAME, external: true },
    ]);
  });

  it("only the ringing call: a call the callee is already on stays hidden", () => {
    const directory = directoryWith();
    const model = modelOf(directory, [
      created("A", "C0", "2004", false),
      created("B", "C0", "2001", true),
      answered("B"),
      answered("A"),
      bridged("A", "B0", "C0"),
      bridged("B", "B0", "C0"),
      ...outsideRings2001(),
    ]);
    expect(tile(directory, model, "2002", "2001")?.calls).toEqual([
      {
        state: "ringing",
        since: expect.any(Number),
        callers: [{ number: CALLER, name: CALLER_NAME, external: true }],
      },
    ]);
  });

  it("a colleague calling is identified only as rule 3's other end allows; other phones of a ring group are no callers", () => {
    const hidden = user("2006", ["sales"], { sharePresence: false });
    const directory = directoryWith({}, [hidden]);
    const fromHidden = modelOf(directory, [
      created("H", "C2", "2006", false),
      created("R2", "C2", "2001", true),
      ringing("R2"),
    ]);
    expect(tile(directory, fromHidden, "2002", "2001")?.calls?.[0]?.callers).toEqual([{ external: false }]);
    const fromColleague = modelOf(directory, [
      created("A", "C3", "2004", false),
      created("R3", "C3", "2001", true),
      created("R4", "C3", "2002", true),
      ringing("R3"),
      ringing("R4"),
    ]);
    expect(tile(directory, fromColleague, "2002", "2001")?.calls?.[0]?.callers).toEqual([
      { user: "2004", number: "2004", name: "User 2004", external: false },
    ]);
  });
});

/** A browser's board fed by the hub (through the wire text), checked against the rules on every message. */
class Client {
  view: BoardView | undefined;
  session = "";
  seq = 0;
  readonly frames: string[] = [];

  constructor(
    readonly viewer: string,
    private readonly rules: () => ReturnType<typeof directoryWith>,
  ) {}

  connection(): ViewerConnection {
    return {
      send: (_message, text) => {
        this.frames.push(text);
        const message = JSON.parse(text) as BoardMessage;
        expect(forbiddenInMessage(this.rules(), this.viewer, message)).toEqual([]);
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

describe("rule P through the stream: deltas and resume", () => {
  it("the caller arrives with the ringing and leaves with the answer; a resumed board ends the same", () => {
    let directory = directoryWith();
    const model = new LiveModel(directory);
    const hub = new BoardHub(() => directory, model, { flushMs: 1_000_000 });
    const paula = new Client("2002", () => directory);
    const nora = new Client("2003", () => directory);
    const live = paula.connection();
    hub.connect("2002", live);
    hub.connect("2003", nora.connection());
    const apply = (events: PbxEvent[]) => {
      for (const e of events) hub.modelChanged(model.apply(e));
      hub.flush();
    };
    const callsOf2001 = (c: Client) => c.view?.people.find((p) => p.id === "2001")?.calls;

    apply(outsideRings2001());
    expect(callsOf2001(paula)?.[0]?.callers).toEqual([{ number: CALLER, name: CALLER_NAME, external: true }]);
    expect(nora.frames.join("\n")).not.toContain(CALLER);

    // Paula goes away while 2001 answers; she resumes from where she was and gets the answer as a delta.
    const { session, seq } = paula;
    hub.disconnect(live);
    apply(answer2001());
    const resumed = new Client("2002", () => directory);
    resumed.view = paula.view;
    resumed.session = session;
    resumed.seq = seq;
    hub.connect("2002", resumed.connection(), { session, seq });
    expect(resumed.frames.map((f) => JSON.parse(f).type)).toEqual(["delta"]);
    expect(callsOf2001(resumed)).toBeUndefined();
    expect(JSON.stringify(resumed.view)).not.toContain(CALLER);
    expect(resumed.view).toEqual(viewFor(directory, model, "2002"));

    // 2001 rings again, then Paula's pickup switch goes off: the caller leaves her board.
    apply([created("Y", "C9", "+4940999", false, true), created("S", "C9", "2001", true), ringing("S")]);
    expect(callsOf2001(resumed)?.[0]?.callers?.[0]?.number).toBe("+4940999");
    directory = directoryWith({}, []);
    const users = [...directory.users.values()].map((u) =>
      u.id === "2002"
        ? { ...u, settings: { ...u.settings, operations: { ...u.settings.operations, pickup: false } } }
        : u,
    );
    directory = makeDirectory(DEPARTMENTS, users);
    hub.modelChanged(model.setDirectory(directory));
    hub.directoryChanged();
    hub.flush();
    expect(callsOf2001(resumed)).toBeUndefined();
    expect(resumed.view).toEqual(viewFor(directory, model, "2002"));
    hub.close();
  });
});

describe("who parked a call, and since when", () => {
  const parkEvents = (parker?: string): PbxEvent[] => [
    ...outsideRings2001(),
    ...answer2001(),
    {
      type: "call.parked",
      pbx: P,
      at: tick(),
      leg: "X",
      lot: "default",
      space: "701",
      ...(parker ? { parker } : {}),
    },
  ];

  it("names the colleague who parked it, and waits since the park", () => {
    const directory = directoryWith();
    const events = parkEvents("R");
    const model = modelOf(directory, [...events, hangup("R")]);
    const parkedAt = events.at(-1)?.at;
    for (const viewer of ["2002", "2004", "2099"]) {
      expect(viewFor(directory, model, viewer)?.parked, viewer).toEqual([
        expect.objectContaining({
          call: "C1",
          space: "701",
          since: parkedAt,
          by: { user: "2001", name: "User 2001" },
        }),
      ]);
    }
  });

  it("a parker who does not let others identify them is not named (but to themself and admins)", () => {
    const directory = directoryWith({ showMyCalls: false });
    const model = modelOf(directory, parkEvents("R"));
    expect(viewFor(directory, model, "2004")?.parked[0]?.by).toBeUndefined();
    expect(viewFor(directory, model, "2001")?.parked[0]?.by).toEqual({ user: "2001", name: "User 2001" });
    expect(viewFor(directory, model, "2099")?.parked[0]?.by).toEqual({ user: "2001", name: "User 2001" });
  });

  it("without a parker in the event nobody is named; a snapshot keeps what the model saw of the same park", () => {
    const directory = directoryWith();
    const unnamed = modelOf(directory, parkEvents());
    expect(viewFor(directory, unnamed, "2004")?.parked[0]?.by).toBeUndefined();

    const events = parkEvents("R");
    const model = modelOf(directory, events);
    const before = viewFor(directory, model, "2004")?.parked;
    model.apply({
      type: "pbx.snapshot",
      pbx: P,
      at: tick(),
      legs: [
        {
          leg: "X",
          callId: "C1",
          channel: "PJSIP/carrier-X",
          endpoint: "PJSIP/carrier",
          side: "external",
          number: CALLER,
          outgoing: false,
          state: "up",
        },
      ],
      reachability: [],
      presence: [],
      dnd: [],
      parked: [{ leg: "X", lot: "default", space: "701" }],
    });
    expect(viewFor(directory, model, "2004")?.parked).toEqual(before);
    model.apply({
      type: "call.unparked",
      pbx: P,
      at: tick(),
      leg: "X",
      lot: "default",
      space: "701",
      outcome: "timeout",
    });
    expect(model.call(P, "C1")?.parkedBy).toBeUndefined();
  });
});

describe("department names on the board", () => {
  it("names the departments its people belong to, in directory order", () => {
    const directory = directoryWith();
    const model = new LiveModel(directory);
    expect(viewFor(directory, model, "2004")?.departments).toEqual([
      { id: "sales", name: "Sales" },
      { id: "support", name: "Customer Support" },
    ]);
    expect(viewFor(directory, model, "2005")?.departments).toEqual([
      { id: "sales", name: "Sales" },
      { id: "support", name: "Customer Support" },
    ]);
    expect(viewFor(directory, model, "2099")?.departments.map((d) => d.id)).toEqual(["sales", "support"]);
  });

  it("a renamed department reaches an open board as a delta, and deltas keep the names", () => {
    let directory = directoryWith();
    const model = new LiveModel(directory);
    const hub = new BoardHub(() => directory, model, { flushMs: 1_000_000 });
    const client = new Client("2004", () => directory);
    hub.connect("2004", client.connection());
    hub.modelChanged(model.apply(created("Z", "C7", "2001", false)));
    hub.flush();
    expect(client.view?.departments).toEqual(viewFor(directory, model, "2004")?.departments);
    directory = makeDirectory(
      DEPARTMENTS.map((d) => (d.id === "sales" ? { ...d, name: "Sales & Marketing" } : d)),
      [...directory.users.values()],
    );
    hub.modelChanged(model.setDirectory(directory));
    hub.directoryChanged();
    hub.flush();
    const last = JSON.parse(client.frames.at(-1) as string);
    expect(last.deltas).toEqual([{ op: "departments", departments: expect.any(Array) }]);
    expect(client.view?.departments[0]).toEqual({ id: "sales", name: "Sales & Marketing" });
    expect(client.view).toEqual(viewFor(directory, model, "2004"));
    hub.close();
  });
});

// Example-based tests of the live model, one group per normalized event type (events.ts), plus
// idempotency, out-of-order delivery, presence precedence and users with several devices.

import { beforeEach, describe, expect, it } from "vitest";
import {
  type Directory,
  defaultSettings,
  makeDirectory,
  type Role,
  type User,
} from "../../src/domain/directory.js";
import {
  type LegCreated,
  PBX_EVENT_TYPES,
  type PbxEvent,
  type PbxSnapshot,
  type SnapshotLeg,
} from "../../src/domain/events.js";
import { type CallView, LiveModel, type ModelChange } from "../../src/domain/live-model.js";

const P = "p1";
let clock = 1_700_000_000_000;
const tick = () => {
  clock += 1000;
  return clock;
};

// ---- directory -------------------------------------------------------------------------------

function user(
  id: string,
  extension: string,
  departments: string[],
  role: Role = "agent",
  extra: Partial<User> = {},
): User {
  const settings = defaultSettings();
  if (role !== "agent")
    settings.operations = { ...settings.operations, listen: true, whisper: true, barge: true };
  return { id, name: id, extension, pbx: P, devices: [], departments, role, settings, ...extra };
}

function directory(): Directory {
  return makeDirectory(
    [
      { id: "sales", name: "Sales" },
      { id: "support", name: "Support" },
    ],
    [
      user("alice", "1001", ["sales"]),
      user("bob", "1002", ["sales"]),
      user("carol", "1003", ["sales"]),
      user("dave", "1004", ["support"]),
      user("sam", "1005", ["sales"], "supervisor"),
      user("mia", "1006", ["sales"], "agent", {
        devices: [
          { pbx: P, endpoint: "PJSIP/1006" },
          { pbx: P, endpoint: "PJSIP/1006-mobile" },
        ],
      }),
    ],
  );
}

// ---- event builders --------------------------------------------------------------------------

const ev = {
  internal(
    leg: string,
    callId: string,
    ext: string,
    outgoing = false,
    endpoint = `PJSIP/${ext}`,
  ): LegCreated {
    return {
      type: "leg.created",
      pbx: P,
      at: tick(),
      leg,
      callId,
      channel: `${endpoint}-${leg}`,
      endpoint,
      side: "internal",
      number: ext,
      outgoing,
    };
  },
  external(leg: string, callId: string, number: string, outgoing = false, name?: string): LegCreated {
    const e: LegCreated = {
      type: "leg.created",
      pbx: P,
      at: tick(),
      leg,
      callId,
      channel: `PJSIP/carrier-${leg}`,
      endpoint: "PJSIP/carrier",
      side: "external",
      number,
      outgoing,
    };
    if (name) e.name = name;
    return e;
  },
  identity: (leg: string, number?: string, name?: string): PbxEvent => {
    const e: PbxEvent = { type: "leg.identity", pbx: P, at: tick(), leg };
    if (number !== undefined) e.number = number;
    if (name !== undefined) e.name = name;
    return e;
  },
  ringing: (leg: string): PbxEvent => ({ type: "leg.ringing", pbx: P, at: tick(), leg }),
  answered: (leg: string): PbxEvent => ({ type: "leg.answered", pbx: P, at: tick(), leg }),
  dialStarted: (caller: string, callee: string, dialString: string): PbxEvent => ({
    type: "dial.started",
    pbx: P,
    at: tick(),
    caller,
    callee,
    dialString,
  }),
  dialEnded: (caller: string, callee: string, status: "answered" | "cancelled" | "busy"): PbxEvent => ({
    type: "dial.ended",
    pbx: P,
    at: tick(),
    caller,
    callee,
    status,
  }),
  bridged: (leg: string, bridge: string, callId: string): PbxEvent => ({
    type: "leg.bridged",
    pbx: P,
    at: tick(),
    leg,
    bridge,
    callId,
  }),
  unbridged: (leg: string, bridge: string): PbxEvent => ({
    type: "leg.unbridged",
    pbx: P,
    at: tick(),
    leg,
    bridge,
  }),
  held: (leg: string): PbxEvent => ({ type: "leg.held", pbx: P, at: tick(), leg }),
  unheld: (leg: string): PbxEvent => ({ type: "leg.unheld", pbx: P, at: tick(), leg }),
  parked: (leg: string, space = "701", parker?: string): PbxEvent => {
    const e: PbxEvent = { type: "call.parked", pbx: P, at: tick(), leg, lot: "default", space };
    if (parker) e.parker = parker;
    return e;
  },
  unparked: (leg: string, outcome: "retrieved" | "timeout" | "gave-up", retriever?: string): PbxEvent => {
    const e: PbxEvent = {
      type: "call.unparked",
      pbx: P,
      at: tick(),
      leg,
      lot: "default",
      space: "701",
      outcome,
    };
    if (retriever) e.retriever = retriever;
    return e;
  },
  pickedUp: (picker: string, target: string): PbxEvent => ({
    type: "call.pickedUp",
    pbx: P,
    at: tick(),
    picker,
    target,
  }),
  transferred: (transferer: string, transferee: string, destination: string): PbxEvent => ({
    type: "call.transferred",
    pbx: P,
    at: tick(),
    kind: "blind",
    transferer,
    transferee,
    destination,
    success: true,
  }),
  redirected: (leg: string, destination: string): PbxEvent => ({
    type: "leg.redirected",
    pbx: P,
    at: tick(),
    leg,
    destination,
  }),
  monitor: (spy: string, target: string, mode: "listen" | "whisper" | "barge" = "listen"): PbxEvent => ({
    type: "monitoring.started",
    pbx: P,
    at: tick(),
    spy,
    target,
    mode,
  }),
  unmonitor: (spy: string, target: string): PbxEvent => ({
    type: "monitoring.stopped",
    pbx: P,
    at: tick(),
    spy,
    target,
  }),
  recStart: (leg: string): PbxEvent => ({
    type: "recording.started",
    pbx: P,
    at: tick(),
    leg,
    file: `/rec/${leg}.wav`,
  }),
  recStop: (leg: string): PbxEvent => ({
    type: "recording.stopped",
    pbx: P,
    at: tick(),
    leg,
    file: `/rec/${leg}.wav`,
  }),
  hangup: (leg: string, cause = 16, causeText = "Normal Clearing"): PbxEvent => ({
    type: "leg.hangup",
    pbx: P,
    at: tick(),
    leg,
    cause,
    causeText,
  }),
  reach: (endpoint: string, reachable: boolean): PbxEvent => ({
    type: "device.reachability",
    pbx: P,
    at: tick(),
    endpoint,
    reachable,
  }),
  presence: (
    extension: string,
    state: "available" | "away" | "dnd" | "unavailable" | "not-set",
  ): PbxEvent => ({
    type: "presence.state",
    pbx: P,
    at: tick(),
    extension,
    state,
  }),
  dnd: (extension: string, on: boolean): PbxEvent => ({
    type: "presence.dnd",
    pbx: P,
    at: tick(),
    extension,
    on,
  }),
  snapshot: (legs: SnapshotLeg[], extra: Partial<PbxSnapshot> = {}): PbxSnapshot => ({
    type: "pbx.snapshot",
    pbx: P,
    at: tick(),
    legs,
    reachability: [],
    presence: [],
    dnd: [],
    parked: [],
    ...extra,
  }),
  connection: (state: "up" | "down"): PbxEvent => ({ type: "pbx.connection", pbx: P, at: tick(), state }),
};

function snapLeg(
  leg: string,
  callId: string,
  ext: string,
  state: SnapshotLeg["state"],
  extra: Partial<SnapshotLeg> = {},
): SnapshotLeg {
  return {
    leg,
    callId,
    channel: `PJSIP/${ext}-${leg}`,
    endpoint: `PJSIP/${ext}`,
    side: "internal",
    number: ext,
    state,
    outgoing: false,
    ...extra,
  };
}

// ---- scenarios -------------------------------------------------------------------------------

/** alice (1001, leg A) calls bob (1002, leg B); answered and bridged in BR1; call C1. */
function aliceCallsBob(): PbxEvent[] {
  return [
    ev.internal("A", "C1", "1001"),
    ev.dialStarted("A", "B", "PJSIP/1002"),
    ev.internal("B", "C1", "1002", true),
    ev.ringing("B"),
    ev.answered("B"),
    ev.dialEnded("A", "B", "answered"),
    ev.answered("A"),
    ev.bridged("A", "BR1", "C1"),
    ev.bridged("B", "BR1", "C1"),
  ];
}

/** An outside caller (+33 1 23 45 67 89, leg X) calls carol (1003, leg K), answered; call C2. */
function inboundToCarol(): PbxEvent[] {
  return [
    ev.external("X", "C2", "+33123456789", false, "ACME"),
    ev.internal("K", "C2", "1003", true),
    ev.ringing("K"),
    ev.answered("K"),
    ev.answered("X"),
    ev.bridged("X", "BR2", "C2"),
    ev.bridged("K", "BR2", "C2"),
  ];
}

/** alice calls bob, bob's phone rings (not answered). */
function aliceRingsBob(): PbxEvent[] {
  return [ev.internal("A", "C1", "1001"), ev.internal("B", "C1", "1002", true), ev.ringing("B")];
}

let dir: Directory;
let model: LiveModel;

function run(events: readonly PbxEvent[]): ModelChange[] {
  const out: ModelChange[] = [];
  for (const e of events) out.push(...model.apply(e));
  return out;
}

function call(id: string): CallView {
  const c = model.call(P, id);
  if (!c) throw new Error(`no call ${id}; active: ${model.activeCalls().map((x) => x.id)}`);
  return c;
}

function activeIds(): string[] {
  return model
    .activeCalls()
    .map((c) => c.id)
    .sort();
}

/** Everything observable about the model, as plain data. */
function state(m: LiveModel = model, d: Directory = dir) {
  return structuredClone({
    calls: [...m.activeCalls()].sort((a, b) => a.id.localeCompare(b.id)),
    presence: [...m.allPresence()].sort(([a], [b]) => a.localeCompare(b)),
    legs: [...d.users.keys()].flatMap((u) => m.legsOfUser(u).map((l) => ({ ...l }))),
  });
}

function presenceChanges(changes: ModelChange[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of changes) if (c.kind === "presence") out[c.user] = c.presence;
  return out;
}

const ofKind = <K extends ModelChange["kind"]>(changes: ModelChange[], kind: K) =>
  changes.filter((c): c is Extract<ModelChange, { kind: K }> => c.kind === kind);

beforeEach(() => {
  dir = directory();
  model = new LiveModel(dir);
});

// ---------------------------------------------------------------------------------------------

describe("initial state", () => {
  it("every user is available before anything is known (no device reported unreachable)", () => {
    for (const id of dir.users.keys()) expect(model.presenceOf(id)).toBe("available");
    expect(model.activeCalls()).toEqual([]);
  });
});

describe("leg.created", () => {
  it("creates the call with the leg, resolves the user and starts it as ringing", () => {
    const changes = run([ev.internal("A", "C1", "1001")]);
    const c = call("C1");
    expect(c.legs.map((l) => [l.leg, l.user, l.state])).toEqual([["A", "alice", "dialing"]]);
    expect(c.state).toBe("ringing");
    expect(c.answered).toBe(false);
    expect(c.direction).toBe("internal");
    expect(c.parties).toEqual([{ user: "alice", number: "1001", external: false }]);
    expect(model.leg(P, "A")?.user).toBe("alice");
    expect(ofKind(changes, "call").map((x) => x.call.id)).toEqual(["C1"]);
    // A user whose phone is off the hook is busy.
    expect(model.presenceOf("alice")).toBe("on-call");
    expect(presenceChanges(changes)).toEqual({ alice: "on-call" });
  });

  it("an outgoing leg to a colleague joins the call; the caller is the originator", () => {
    run(aliceRingsBob());
    const c = call("C1");
    expect(c.legs.map((l) => l.user)).toEqual(["alice", "bob"]);
    expect(c.parties.map((p) => p.user)).toEqual(["alice", "bob"]);
    expect(c.direction).toBe("internal");
  });

  it("direction: an external caller makes the call inbound, an external callee outbound", () => {
    run([ev.external("X", "C2", "+33123456789"), ev.internal("K", "C2", "1003", true)]);
    expect(call("C2").direction).toBe("inbound");
    run([ev.internal("D", "C3", "1004"), ev.external("Y", "C3", "+4915112345", true)]);
    expect(call("C3").direction).toBe("outbound");
    expect(call("C3").parties).toEqual([
      { user: "dave", number: "1004", external: false },
      { number: "+4915112345", external: true },
    ]);
  });

  it("a leg on an unknown endpoint has no user and changes no presence", () => {
    const changes = run([ev.internal("Z", "C9", "1999")]);
    expect(call("C9").legs[0]?.user).toBeUndefined();
    expect(ofKind(changes, "presence")).toEqual([]);
  });
});

describe("leg.identity", () => {
  it("updates an external leg's number and name", () => {
    run([ev.external("X", "C2", "anonymous"), ev.internal("K", "C2", "1003", true)]);
    const changes = run([ev.identity("X", "+33123456789", "ACME")]);
    const x = call("C2").legs.find((l) => l.leg === "X");
    expect(x?.number).toBe("+33123456789");
    expect(x?.name).toBe("ACME");
    expect(ofKind(changes, "call").map((c) => c.call.id)).toEqual(["C2"]);
  });

  it("is ignored for internal legs", () => {
    run(aliceRingsBob());
    const before = state();
    run([ev.identity("A", "+33999", "Spoof")]);
    expect(state()).toEqual(before);
  });
});

describe("leg.ringing", () => {
  it("the callee is ringing and so is the call", () => {
    run([ev.internal("A", "C1", "1001"), ev.internal("B", "C1", "1002", true)]);
    const changes = run([ev.ringing("B")]);
    expect(model.presenceOf("bob")).toBe("ringing");
    expect(model.leg(P, "B")?.state).toBe("ringing");
    expect(ofKind(changes, "call").map((c) => c.call.id)).toEqual(["C1"]);
    expect(call("C1").legs.find((l) => l.leg === "B")?.state).toBe("ringing");
    expect(call("C1").state).toBe("ringing");
  });

  it("a leg offered to the callee's phone rings before the phone says so: presence and call view agree", () => {
    // Live on FreeSWITCH the board showed 1002 ringing while a pickup was refused as "not ringing": the
    // presence read the offered leg as ringing, the call view did not. Both read legRings now.
    run([ev.internal("A", "C1", "1001"), ev.internal("B", "C1", "1002", true)]);
    expect(model.leg(P, "B")?.state).toBe("dialing");
    expect(model.presenceOf("bob")).toBe("ringing");
    expect(call("C1").legs.find((l) => l.leg === "B")?.state).toBe("ringing");
    // The caller's own leg, dialling out, does not ring.
    expect(call("C1").legs.find((l) => l.leg === "A")?.state).toBe("dialing");
  });

  it("a late ringing after the answer does not un-answer the leg", () => {
    run(aliceCallsBob());
    run([ev.ringing("B")]);
    expect(model.leg(P, "B")?.state).toBe("up");
    expect(model.presenceOf("bob")).toBe("on-call");
  });
});

describe("leg.answered", () => {
  it("answers the leg and the call", () => {
    run(aliceRingsBob());
    const at = clock + 1000;
    const changes = run([ev.answered("B")]);
    expect(model.leg(P, "B")?.state).toBe("up");
    expect(model.leg(P, "B")?.answeredAt).toBe(at);
    expect(call("C1").answered).toBe(true);
    expect(call("C1").answeredAt).toBe(at);
    expect(call("C1").state).toBe("up");
    expect(model.presenceOf("bob")).toBe("on-call");
    expect(presenceChanges(changes)).toEqual({ bob: "on-call" });
  });
});

describe("dial.started / dial.ended", () => {
  it("are informational: they change nothing", () => {
    run([ev.internal("A", "C1", "1001"), ev.internal("B", "C1", "1002", true)]);
    const before = state();
    const started = run([ev.dialStarted("A", "B", "PJSIP/1002")]);
    expect(state()).toEqual(before);
    expect(ofKind(started, "presence")).toEqual([]);
    const ended = run([ev.dialEnded("A", "B", "cancelled")]);
    expect(state()).toEqual(before);
    expect(ofKind(ended, "presence")).toEqual([]);
    expect(ofKind(ended, "call-ended")).toEqual([]);
  });

  it("about legs never seen, do not throw and change nothing", () => {
    const changes = run([ev.dialStarted("Q1", "Q2", "PJSIP/1002"), ev.dialEnded("Q1", "Q2", "busy")]);
    expect(changes).toEqual([]);
    expect(model.activeCalls()).toEqual([]);
  });
});

describe("leg.bridged", () => {
  it("bridges the legs of a call: both up, call up, both on-call", () => {
    run(aliceCallsBob());
    expect(model.leg(P, "A")?.bridge).toBe("BR1");
    expect(model.leg(P, "B")?.bridge).toBe("BR1");
    expect(call("C1").state).toBe("up");
    expect(call("C1").legs.map((l) => l.state)).toEqual(["up", "up"]);
    expect(model.presenceOf("alice")).toBe("on-call");
    expect(model.presenceOf("bob")).toBe("on-call");
  });

  it("a bridged leg counts as answered even without a leg.answered", () => {
    run([ev.internal("A", "C1", "1001"), ev.internal("B", "C1", "1002", true), ev.ringing("B")]);
    run([ev.bridged("B", "BR1", "C1"), ev.bridged("A", "BR1", "C1")]);
    expect(model.leg(P, "B")?.state).toBe("up");
    expect(call("C1").answered).toBe(true);
    expect(model.presenceOf("bob")).toBe("on-call");
  });

  it("re-homes a picker's leg into the call it joins: the picker's one-leg call vanishes (call-gone)", () => {
    run(aliceRingsBob());
    // carol dials *81002: her leg starts its own call C7.
    run([ev.internal("P", "C7", "1003"), ev.answered("P")]);
    expect(activeIds()).toEqual(["C1", "C7"]);
    run([ev.hangup("B", 26, "Answered elsewhere")]);
    const changes = run([ev.bridged("P", "BR1", "C1")]);
    expect(ofKind(changes, "call-gone")).toEqual([{ kind: "call-gone", pbx: P, id: "C7", users: ["carol"] }]);
    expect(ofKind(changes, "call").map((c) => c.call.id)).toEqual(["C1"]);
    expect(ofKind(changes, "call-ended")).toEqual([]);
    run([ev.answered("A"), ev.bridged("A", "BR1", "C1")]);
    expect(activeIds()).toEqual(["C1"]);
    expect(model.call(P, "C7")).toBeUndefined();
    const c = call("C1");
    expect(c.legs.map((l) => l.user).sort()).toEqual(["alice", "carol"]);
    expect(c.parties.map((p) => p.user)).toEqual(["alice", "bob", "carol"]);
    expect(c.state).toBe("up");
    expect(c.answered).toBe(true);
    expect(model.leg(P, "P")?.callId).toBe("C1");
    expect(model.presenceOf("carol")).toBe("on-call");
    expect(model.presenceOf("bob")).toBe("available");
    expect(model.presenceOf("alice")).toBe("on-call");
  });
});

describe("leg.unbridged", () => {
  it("takes the leg out of the bridge and out of the hold it was part of", () => {
    run([...aliceCallsBob(), ev.held("A")]);
    expect(model.presenceOf("bob")).toBe("on-hold");
    const changes = run([ev.unbridged("A", "BR1")]);
    expect(model.leg(P, "A")?.bridge).toBeUndefined();
    expect(model.leg(P, "A")?.held).toBe(false);
    expect(model.presenceOf("bob")).toBe("on-call");
    expect(presenceChanges(changes)).toMatchObject({ bob: "on-call" });
  });

  it("from a bridge the leg is not in, is ignored", () => {
    run(aliceCallsBob());
    const before = state();
    run([ev.unbridged("A", "OTHER")]);
    expect(state()).toEqual(before);
  });
});

describe("leg.held / leg.unheld", () => {
  it("hold pressed by 1001 puts BOTH 1001 and 1002 on hold (they are bridged together)", () => {
    run(aliceCallsBob());
    const changes = run([ev.held("A")]);
    expect(model.presenceOf("alice")).toBe("on-hold");
    expect(model.presenceOf("bob")).toBe("on-hold");
    expect(presenceChanges(changes)).toEqual({ alice: "on-hold", bob: "on-hold" });
    expect(call("C1").state).toBe("held");
    expect(call("C1").legs.map((l) => l.state)).toEqual(["held", "held"]);
  });

  it("the model does not care which side the PBX marks as held", () => {
    run([...aliceCallsBob(), ev.held("B")]);
    expect(model.presenceOf("alice")).toBe("on-hold");
    expect(model.presenceOf("bob")).toBe("on-hold");
  });

  it("unhold makes both on-call again", () => {
    run([...aliceCallsBob(), ev.held("A")]);
    const changes = run([ev.unheld("A")]);
    expect(presenceChanges(changes)).toEqual({ alice: "on-call", bob: "on-call" });
    expect(call("C1").state).toBe("up");
  });

  it("on-hold only when every call of the user is held", () => {
    run([...aliceCallsBob(), ev.held("A")]);
    // bob takes a second call from carol while alice holds.
    run([
      ev.internal("K", "C3", "1003"),
      ev.internal("B2", "C3", "1002", true),
      ev.ringing("B2"),
      ev.answered("B2"),
      ev.answered("K"),
      ev.bridged("K", "BR3", "C3"),
      ev.bridged("B2", "BR3", "C3"),
    ]);
    expect(model.presenceOf("bob")).toBe("on-call");
    expect(model.presenceOf("alice")).toBe("on-hold");
  });
});

describe("call.parked / call.unparked", () => {
  it("parks the call: state parked, the lot and space, the leg parked", () => {
    run(inboundToCarol());
    const changes = run([ev.parked("X", "701", "K"), ev.unbridged("X", "BR2"), ev.hangup("K")]);
    const c = call("C2");
    expect(c.state).toBe("parked");
    expect(c.parked).toEqual({ lot: "default", space: "701" });
    expect(c.legs.map((l) => [l.leg, l.state])).toEqual([["X", "parked"]]);
    expect(ofKind(changes, "call-ended")).toEqual([]);
    expect(model.presenceOf("carol")).toBe("available");
  });

  it("unpark on timeout: the call is no longer parked", () => {
    run([...inboundToCarol(), ev.parked("X"), ev.unbridged("X", "BR2"), ev.hangup("K")]);
    run([ev.unparked("X", "timeout")]);
    expect(call("C2").parked).toBeUndefined();
    expect(call("C2").state).not.toBe("parked");
  });

  it("retrieval: the retriever's leg joins the parked call, its own call vanishes", () => {
    run([...inboundToCarol(), ev.parked("X"), ev.unbridged("X", "BR2"), ev.hangup("K")]);
    run([ev.internal("R", "C8", "1001"), ev.answered("R")]);
    const changes = run([
      ev.unparked("X", "retrieved", "R"),
      ev.bridged("R", "BR4", "C2"),
      ev.bridged("X", "BR4", "C2"),
    ]);
    expect(ofKind(changes, "call-gone")).toEqual([{ kind: "call-gone", pbx: P, id: "C8", users: ["alice"] }]);
    expect(activeIds()).toEqual(["C2"]);
    const c = call("C2");
    expect(c.state).toBe("up");
    expect(c.parked).toBeUndefined();
    expect(c.legs.map((l) => l.leg).sort()).toEqual(["R", "X"]);
    expect(c.direction).toBe("inbound");
    expect(model.presenceOf("alice")).toBe("on-call");
  });
});

describe("call.pickedUp", () => {
  it("moves the picker's leg into the picked-up call; the picker's own call is gone", () => {
    run(aliceRingsBob());
    run([ev.internal("P", "C7", "1003"), ev.answered("P")]);
    const changes = run([ev.pickedUp("P", "B")]);
    expect(ofKind(changes, "call-gone")).toEqual([{ kind: "call-gone", pbx: P, id: "C7", users: ["carol"] }]);
    expect(ofKind(changes, "call").map((c) => c.call.id)).toEqual(["C1"]);
    expect(activeIds()).toEqual(["C1"]);
    expect(model.leg(P, "P")?.callId).toBe("C1");
    run([
      ev.hangup("B", 26, "Answered elsewhere"),
      ev.answered("A"),
      ev.bridged("P", "BR1", "C1"),
      ev.bridged("A", "BR1", "C1"),
    ]);
    expect(activeIds()).toEqual(["C1"]);
    expect(
      call("C1")
        .legs.map((l) => l.user)
        .sort(),
    ).toEqual(["alice", "carol"]);
    expect(model.presenceOf("bob")).toBe("available");
    expect(model.presenceOf("carol")).toBe("on-call");
  });
});

describe("call.transferred", () => {
  it("is informational; the leg events that follow carry the transfer", () => {
    run(aliceCallsBob());
    const before = state();
    const changes = run([ev.transferred("B", "A", "1003")]);
    expect(state()).toEqual(before);
    expect(ofKind(changes, "presence")).toEqual([]);
    // bob blind-transfers alice to carol.
    run([
      ev.unbridged("B", "BR1"),
      ev.hangup("B"),
      ev.internal("K", "C1", "1003", true),
      ev.ringing("K"),
      ev.answered("K"),
      ev.bridged("K", "BR1", "C1"),
    ]);
    const c = call("C1");
    expect(c.legs.map((l) => l.user).sort()).toEqual(["alice", "carol"]);
    expect(c.parties.map((p) => p.user)).toEqual(["alice", "bob", "carol"]);
    expect(model.presenceOf("bob")).toBe("available");
    expect(model.presenceOf("carol")).toBe("on-call");
    expect(model.presenceOf("alice")).toBe("on-call");
  });
});

describe("leg.redirected", () => {
  it("is informational: a leg sent to the IVR stays in its call", () => {
    run(inboundToCarol());
    const before = state();
    run([ev.redirected("X", "ivr-main")]);
    expect(state()).toEqual(before);
    run([ev.unbridged("X", "BR2"), ev.hangup("K")]);
    expect(activeIds()).toEqual(["C2"]);
    expect(call("C2").legs.map((l) => l.leg)).toEqual(["X"]);
    expect(model.presenceOf("carol")).toBe("available");
  });
});

describe("monitoring.started / monitoring.stopped", () => {
  let startedAt = 0;
  function supervisorListens(mode: "listen" | "whisper" | "barge" = "listen") {
    run(aliceCallsBob());
    run([ev.internal("S", "C9", "1005"), ev.answered("S")]);
    expect(activeIds()).toEqual(["C1", "C9"]);
    const e = ev.monitor("S", "A", mode);
    startedAt = e.at;
    return run([e]);
  }

  it("the supervisor is on-call, the spy's call disappears, the target call lists the session", () => {
    const changes = supervisorListens();
    const at = startedAt;
    expect(model.presenceOf("sam")).toBe("on-call");
    expect(activeIds()).toEqual(["C1"]);
    expect(model.call(P, "C9")).toBeUndefined();
    expect(ofKind(changes, "call-gone")).toEqual([{ kind: "call-gone", pbx: P, id: "C9", users: ["sam"] }]);
    expect(ofKind(changes, "call").map((c) => c.call.id)).toEqual(["C1"]);
    const c = call("C1");
    expect(c.monitoring).toEqual([
      {
        spyLeg: "S",
        by: "sam",
        byNumber: "1005",
        target: "alice",
        targetLeg: "A",
        mode: "listen",
        startedAt: at,
      },
    ]);
    // The supervisor's leg is not a party of the monitored call.
    expect(c.legs.map((l) => l.leg)).toEqual(["A", "B"]);
    expect(c.parties.map((p) => p.user)).toEqual(["alice", "bob"]);
    expect(model.presenceOf("alice")).toBe("on-call");
    expect(model.presenceOf("bob")).toBe("on-call");
  });

  it("a mode switch (listen -> barge) updates the session instead of adding one", () => {
    supervisorListens();
    run([ev.monitor("S", "A", "barge")]);
    expect(call("C1").monitoring).toHaveLength(1);
    expect(call("C1").monitoring[0]?.mode).toBe("barge");
  });

  it("stopped: the session ends (endedAt), the call still lists it", () => {
    supervisorListens("whisper");
    const at = clock + 1000;
    const changes = run([ev.unmonitor("S", "A")]);
    expect(call("C1").monitoring).toHaveLength(1);
    expect(call("C1").monitoring[0]?.endedAt).toBe(at);
    expect(ofKind(changes, "call").map((c) => c.call.id)).toEqual(["C1"]);
  });

  it("the supervisor hanging up ends the session and does not report a call ending", () => {
    supervisorListens();
    const changes = run([ev.hangup("S")]);
    expect(call("C1").monitoring[0]?.endedAt).toBeDefined();
    expect(ofKind(changes, "call-ended")).toEqual([]);
    expect(model.presenceOf("sam")).toBe("available");
    expect(activeIds()).toEqual(["C1"]);
  });

  it("the monitored leg hanging up ends the session", () => {
    supervisorListens();
    run([ev.hangup("A")]);
    expect(call("C1").monitoring[0]?.endedAt).toBeDefined();
  });

  it("for unknown legs, is ignored", () => {
    run(aliceCallsBob());
    const before = state();
    expect(() => run([ev.monitor("NOPE", "A"), ev.unmonitor("NOPE", "A")])).not.toThrow();
    expect(state()).toEqual(before);
  });
});

describe("recording.started / recording.stopped", () => {
  it("started: the call is recording and recorded; stopped: no longer recording, still recorded", () => {
    run(aliceCallsBob());
    run([ev.recStart("A")]);
    expect(call("C1").recording).toBe(true);
    expect(call("C1").recorded).toBe(true);
    expect(call("C1").legs.find((l) => l.leg === "A")?.recording).toBe(true);
    const changes = run([ev.recStop("A")]);
    expect(call("C1").recording).toBe(false);
    expect(call("C1").recorded).toBe(true);
    expect(ofKind(changes, "call").map((c) => c.call.recorded)).toEqual([true]);
  });

  it("a recorded call stays recorded in its call-ended change", () => {
    run([...aliceCallsBob(), ev.recStart("B"), ev.recStop("B"), ev.hangup("A")]);
    const changes = run([ev.hangup("B")]);
    expect(ofKind(changes, "call-ended").map((c) => c.call.recorded)).toEqual([true]);
  });
});

describe("leg.hangup", () => {
  it("the first hangup updates the call; the last ends it with a call-ended change in state ended", () => {
    run(aliceCallsBob());
    const first = run([ev.hangup("B")]);
    expect(ofKind(first, "call").map((c) => c.call.id)).toEqual(["C1"]);
    expect(ofKind(first, "call-ended")).toEqual([]);
    expect(model.presenceOf("bob")).toBe("available");
    expect(call("C1").legs.map((l) => l.leg)).toEqual(["A"]);
    const at = clock + 1000;
    const last = run([ev.hangup("A")]);
    const ended = ofKind(last, "call-ended");
    expect(ended).toHaveLength(1);
    expect(ended[0]?.call.id).toBe("C1");
    expect(ended[0]?.call.state).toBe("ended");
    expect(ended[0]?.call.endedAt).toBe(at);
    expect(ended[0]?.call.answered).toBe(true);
    expect(ofKind(last, "call")).toEqual([]);
    expect(model.activeCalls()).toEqual([]);
    expect(model.call(P, "C1")).toBeUndefined();
    expect(model.presenceOf("alice")).toBe("available");
    expect(presenceChanges(last)).toEqual({ alice: "available" });
  });

  it("a cancelled call (never answered) ends too", () => {
    run(aliceRingsBob());
    run([ev.hangup("B", 487, "Request Terminated")]);
    const changes = run([ev.hangup("A")]);
    expect(ofKind(changes, "call-ended").map((c) => [c.call.id, c.call.state, c.call.answered])).toEqual([
      ["C1", "ended", false],
    ]);
  });
});

describe("device.reachability", () => {
  it("offline when the only device is unreachable, available when it is reachable", () => {
    const off = run([ev.reach("PJSIP/1001", false)]);
    expect(model.presenceOf("alice")).toBe("offline");
    expect(presenceChanges(off)).toEqual({ alice: "offline" });
    const on = run([ev.reach("PJSIP/1001", true)]);
    expect(model.presenceOf("alice")).toBe("available");
    expect(presenceChanges(on)).toEqual({ alice: "available" });
  });

  it("an unknown endpoint changes nothing", () => {
    expect(run([ev.reach("PJSIP/9999", false)])).toEqual([]);
  });
});

describe("presence.state / presence.dnd", () => {
  it("away and dnd chosen by the user; back to available", () => {
    expect(presenceChanges(run([ev.presence("1001", "away")]))).toEqual({ alice: "away" });
    expect(presenceChanges(run([ev.presence("1001", "dnd")]))).toEqual({ alice: "dnd" });
    expect(presenceChanges(run([ev.presence("1001", "available")]))).toEqual({ alice: "available" });
  });

  it("the DND switch", () => {
    expect(presenceChanges(run([ev.dnd("1002", true)]))).toEqual({ bob: "dnd" });
    expect(model.presenceOf("bob")).toBe("dnd");
    expect(presenceChanges(run([ev.dnd("1002", false)]))).toEqual({ bob: "available" });
  });

  it("for an unknown extension, changes nothing", () => {
    expect(run([ev.presence("9999", "away"), ev.dnd("9999", true)])).toEqual([]);
  });
});

describe("pbx.snapshot (resync)", () => {
  function resyncSnapshot(): PbxSnapshot {
    return ev.snapshot(
      [
        // alice <-> bob still talking.
        snapLeg("A", "C1", "1001", "up", { bridge: "BR1" }),
        snapLeg("B", "C1", "1002", "up", { bridge: "BR1", outgoing: true }),
        // A call the model missed: dave talks to an outside number.
        snapLeg("D", "C5", "1004", "up", { bridge: "BR5" }),
        {
          leg: "Y",
          callId: "C5",
          channel: "PJSIP/carrier-Y",
          endpoint: "PJSIP/carrier",
          side: "external",
          number: "+4930123456",
          state: "up",
          outgoing: true,
          bridge: "BR5",
        },
        // mia's desk phone rings (the model missed the call start).
        snapLeg("M", "C6", "1006", "ringing", { outgoing: true }),
        snapLeg("Q", "C6", "1003", "dialing"),
      ],
      {
        reachability: [{ endpoint: "PJSIP/1002", reachable: true }],
        presence: [{ extension: "1001", state: "away" }],
        dnd: [{ extension: "1004", on: true }],
      },
    );
  }

  it("ends the legs absent from the snapshot and creates the present ones", () => {
    run([...aliceCallsBob(), ...inboundToCarol()]);
    const changes = run([resyncSnapshot()]);
    expect(ofKind(changes, "call-ended").map((c) => [c.call.id, c.call.state])).toEqual([["C2", "ended"]]);
    expect(activeIds()).toEqual(["C1", "C5", "C6"]);
    expect(model.leg(P, "K")).toBeUndefined();
    expect(model.leg(P, "X")).toBeUndefined();
    expect(call("C5").direction).toBe("outbound");
    expect(call("C5").state).toBe("up");
    expect(call("C6").state).toBe("ringing");
    expect(model.presenceOf("carol")).toBe("on-call"); // her leg Q is dialing in C6
    expect(model.presenceOf("dave")).toBe("on-call");
    expect(model.presenceOf("mia")).toBe("ringing");
    expect(model.presenceOf("alice")).toBe("on-call");
    expect(model.presenceOf("bob")).toBe("on-call");
  });

  it("carries reachability, presence and DND", () => {
    run([ev.reach("PJSIP/1002", false), ev.reach("PJSIP/1004", true)]);
    run([
      ev.snapshot([], {
        reachability: [{ endpoint: "PJSIP/1002", reachable: true }],
        presence: [{ extension: "1001", state: "away" }],
        dnd: [{ extension: "1004", on: true }],
      }),
    ]);
    expect(model.presenceOf("bob")).toBe("available");
    expect(model.presenceOf("alice")).toBe("away");
    expect(model.presenceOf("dave")).toBe("dnd");
  });

  it("is idempotent: applying it twice gives the same model, and the second time ends nothing", () => {
    run([...aliceCallsBob(), ...inboundToCarol()]);
    const s = resyncSnapshot();
    run([s]);
    const once = state();
    const again = model.apply(s);
    expect(state()).toEqual(once);
    expect(ofKind(again, "call-ended")).toEqual([]);
    expect(ofKind(again, "call-gone")).toEqual([]);
    expect(ofKind(again, "presence")).toEqual([]);
  });

  it("keeps hold as the snapshot says", () => {
    run([...aliceCallsBob(), ev.held("A")]);
    run([
      ev.snapshot([
        snapLeg("A", "C1", "1001", "up", { bridge: "BR1" }),
        snapLeg("B", "C1", "1002", "up", { bridge: "BR1", outgoing: true }),
      ]),
    ]);
    expect(model.presenceOf("bob")).toBe("on-call");
    run([
      ev.snapshot([
        snapLeg("A", "C1", "1001", "up", { bridge: "BR1", held: true }),
        snapLeg("B", "C1", "1002", "up", { bridge: "BR1", outgoing: true }),
      ]),
    ]);
    expect(model.presenceOf("bob")).toBe("on-hold");
  });

  it("replaces what the model knew: a leg parked before, present but not parked in the snapshot, is not parked", () => {
    // events.ts: a snapshot is "what the PBX says is true right now: replaces everything the
    // model knew about this PBX". The unpark was missed while disconnected.
    run([...inboundToCarol(), ev.parked("X"), ev.unbridged("X", "BR2"), ev.hangup("K")]);
    expect(call("C2").state).toBe("parked");
    run([
      ev.snapshot([
        {
          leg: "X",
          callId: "C2",
          channel: "PJSIP/carrier-X",
          endpoint: "PJSIP/carrier",
          side: "external",
          number: "+33123456789",
          state: "up",
          outgoing: false,
        },
      ]),
    ]);
    expect(call("C2").parked).toBeUndefined();
    expect(call("C2").state).not.toBe("parked");
  });

  it("replaces what the model knew: a leg listed without a bridge is no longer bridged", () => {
    run(aliceCallsBob());
    run([
      ev.snapshot([snapLeg("A", "C1", "1001", "up"), snapLeg("B", "C1", "1002", "up", { outgoing: true })]),
    ]);
    expect(model.leg(P, "A")?.bridge).toBeUndefined();
    expect(model.leg(P, "B")?.bridge).toBeUndefined();
  });

  it("of another PBX leaves this PBX's calls alone", () => {
    run(aliceCallsBob());
    const before = state();
    run([{ ...ev.snapshot([]), pbx: "p2" }]);
    expect(state()).toEqual(before);
  });

  it("says which legs are recorded when it lists the recordings; keeps what it knew when it does not", () => {
    run(aliceCallsBob());
    const legs = [snapLeg("A", "C1", "1001", "up", { bridge: "BR1" }), snapLeg("B", "C1", "1002", "up")];
    // A recording that began while the link was down.
    run([ev.snapshot(legs, { recordings: [{ leg: "B", file: "/rec/B.wav" }] })]);
    expect(call("C1")).toMatchObject({ recording: true, recorded: true });
    expect(model.leg(P, "B")?.recording).toBe(true);
    // A snapshot that cannot tell (no `recordings`): unchanged.
    run([ev.snapshot(legs)]);
    expect(call("C1").recording).toBe(true);
    // One that ended meanwhile.
    run([ev.snapshot(legs, { recordings: [] })]);
    expect(call("C1")).toMatchObject({ recording: false, recorded: true });
    // A file seen stopping is not running again, whatever a later resync says (a fresh connection's).
    run([ev.recStart("A"), ev.recStop("A")]);
    run([ev.snapshot(legs, { recordings: [{ leg: "A", file: "/rec/A.wav" }] })]);
    expect(call("C1").recording).toBe(false);
  });
});

describe("pbx.connection", () => {
  it("up and down change nothing in the model", () => {
    run(aliceCallsBob());
    const before = state();
    expect(run([ev.connection("down")])).toEqual([]);
    expect(run([ev.connection("up")])).toEqual([]);
    expect(state()).toEqual(before);
  });
});

// ---------------------------------------------------------------------------------------------

interface DuplicateCase {
  type: PbxEvent["type"];
  name: string;
  setup: () => PbxEvent[];
  event: () => PbxEvent;
}

const DUPLICATES: DuplicateCase[] = [
  { type: "leg.created", name: "leg.created", setup: () => [], event: () => ev.internal("A", "C1", "1001") },
  {
    type: "leg.identity",
    name: "leg.identity",
    setup: () => [ev.external("X", "C2", "anonymous"), ev.internal("K", "C2", "1003", true)],
    event: () => ev.identity("X", "+33123456789", "ACME"),
  },
  {
    type: "leg.ringing",
    name: "leg.ringing",
    setup: () => [ev.internal("A", "C1", "1001"), ev.internal("B", "C1", "1002", true)],
    event: () => ev.ringing("B"),
  },
  { type: "leg.answered", name: "leg.answered", setup: aliceRingsBob, event: () => ev.answered("B") },
  {
    type: "dial.started",
    name: "dial.started",
    setup: () => [ev.internal("A", "C1", "1001"), ev.internal("B", "C1", "1002", true)],
    event: () => ev.dialStarted("A", "B", "PJSIP/1002"),
  },
  {
    type: "dial.ended",
    name: "dial.ended",
    setup: aliceRingsBob,
    event: () => ev.dialEnded("A", "B", "cancelled"),
  },
  {
    type: "leg.bridged",
    name: "leg.bridged",
    setup: () => aliceCallsBob().slice(0, -1),
    event: () => ev.bridged("B", "BR1", "C1"),
  },
  {
    type: "leg.bridged",
    name: "leg.bridged (re-homed picker)",
    setup: () => [...aliceRingsBob(), ev.internal("P", "C7", "1003"), ev.answered("P"), ev.hangup("B")],
    event: () => ev.bridged("P", "BR1", "C1"),
  },
  {
    type: "leg.unbridged",
    name: "leg.unbridged",
    setup: aliceCallsBob,
    event: () => ev.unbridged("A", "BR1"),
  },
  { type: "leg.held", name: "leg.held", setup: aliceCallsBob, event: () => ev.held("A") },
  {
    type: "leg.unheld",
    name: "leg.unheld",
    setup: () => [...aliceCallsBob(), ev.held("A")],
    event: () => ev.unheld("A"),
  },
  { type: "call.parked", name: "call.parked", setup: inboundToCarol, event: () => ev.parked("X") },
  {
    type: "call.unparked",
    name: "call.unparked",
    setup: () => [...inboundToCarol(), ev.parked("X"), ev.unbridged("X", "BR2"), ev.hangup("K")],
    event: () => ev.unparked("X", "timeout"),
  },
  {
    type: "call.pickedUp",
    name: "call.pickedUp",
    setup: () => [...aliceRingsBob(), ev.internal("P", "C7", "1003"), ev.answered("P")],
    event: () => ev.pickedUp("P", "B"),
  },
  {
    type: "call.transferred",
    name: "call.transferred",
    setup: aliceCallsBob,
    event: () => ev.transferred("B", "A", "1003"),
  },
  {
    type: "leg.redirected",
    name: "leg.redirected",
    setup: inboundToCarol,
    event: () => ev.redirected("X", "ivr"),
  },
  {
    type: "monitoring.started",
    name: "monitoring.started",
    setup: () => [...aliceCallsBob(), ev.internal("S", "C9", "1005"), ev.answered("S")],
    event: () => ev.monitor("S", "A"),
  },
  {
    type: "monitoring.stopped",
    name: "monitoring.stopped",
    setup: () => [...aliceCallsBob(), ev.internal("S", "C9", "1005"), ev.answered("S"), ev.monitor("S", "A")],
    event: () => ev.unmonitor("S", "A"),
  },
  {
    type: "recording.started",
    name: "recording.started",
    setup: aliceCallsBob,
    event: () => ev.recStart("A"),
  },
  {
    type: "recording.stopped",
    name: "recording.stopped",
    setup: () => [...aliceCallsBob(), ev.recStart("A")],
    event: () => ev.recStop("A"),
  },
  {
    type: "leg.hangup",
    name: "leg.hangup (not the last leg)",
    setup: aliceCallsBob,
    event: () => ev.hangup("B"),
  },
  {
    type: "leg.hangup",
    name: "leg.hangup (the last leg)",
    setup: () => [...aliceCallsBob(), ev.hangup("B")],
    event: () => ev.hangup("A"),
  },
  {
    type: "device.reachability",
    name: "device.reachability",
    setup: () => [],
    event: () => ev.reach("PJSIP/1001", false),
  },
  {
    type: "presence.state",
    name: "presence.state",
    setup: () => [],
    event: () => ev.presence("1001", "away"),
  },
  { type: "presence.dnd", name: "presence.dnd", setup: () => [], event: () => ev.dnd("1001", true) },
  {
    type: "queue.callerJoined",
    name: "queue.callerJoined",
    setup: inboundToCarol,
    event: () => ({ type: "queue.callerJoined", pbx: P, at: tick(), queue: "400", leg: "X", position: 1 }),
  },
  {
    type: "queue.callerLeft",
    name: "queue.callerLeft",
    setup: inboundToCarol,
    event: () => ({ type: "queue.callerLeft", pbx: P, at: tick(), queue: "400", leg: "X", reason: "left" }),
  },
  {
    type: "queue.answered",
    name: "queue.answered",
    setup: inboundToCarol,
    event: () => ({
      type: "queue.answered",
      pbx: P,
      at: tick(),
      queue: "400",
      leg: "X",
      agent: "Local/1003@from-queue/n",
      extension: "1003",
    }),
  },
  {
    type: "queue.snapshot",
    name: "queue.snapshot",
    setup: inboundToCarol,
    event: () => ({
      type: "queue.snapshot",
      pbx: P,
      at: tick(),
      queues: [
        {
          queue: "400",
          callers: [{ leg: "X", position: 1 }],
          members: [
            { agent: "Local/1003@from-queue/n", extension: "1003", paused: true, pauseReason: "Lunch" },
          ],
        },
      ],
    }),
  },
  {
    type: "queue.member",
    name: "queue.member",
    setup: () => [],
    event: () => ({
      type: "queue.member",
      pbx: P,
      at: tick(),
      queue: "400",
      agent: "Local/1001@from-queue/n",
      extension: "1001",
      loggedIn: true,
      paused: true,
      pauseReason: "Lunch",
    }),
  },
  {
    type: "pbx.snapshot",
    name: "pbx.snapshot",
    setup: aliceCallsBob,
    event: () =>
      ev.snapshot([
        snapLeg("A", "C1", "1001", "up", { bridge: "BR1" }),
        snapLeg("B", "C1", "1002", "up", { bridge: "BR1", outgoing: true }),
      ]),
  },
  {
    type: "pbx.connection",
    name: "pbx.connection",
    setup: aliceCallsBob,
    event: () => ev.connection("down"),
  },
];

describe("duplicated events are idempotent", () => {
  it("the cases cover every normalized event type", () => {
    expect(new Set(DUPLICATES.map((d) => d.type))).toEqual(new Set(PBX_EVENT_TYPES));
  });

  describe("applying an event twice gives the same model as applying it once", () => {
    it.each(DUPLICATES.map((d) => [d.name, d] as const))("%s", (_name, d) => {
      run(d.setup());
      const e = d.event();
      model.apply(e);
      const once = state();
      expect(() => model.apply(structuredClone(e))).not.toThrow();
      expect(state()).toEqual(once);
    });
  });

  // "No extra changes": the duplicate reports no presence change, no call ending and no call
  // disappearing. A "call" change that restates the call exactly as it is (and as the first
  // application reported it) carries nothing new and is tolerated.
  describe("the duplicate reports no extra changes", () => {
    it.each(DUPLICATES.map((d) => [d.name, d] as const))("%s", (_name, d) => {
      run(d.setup());
      const e = d.event();
      const first = model.apply(e);
      const second = model.apply(structuredClone(e));
      expect(second.filter((c) => c.kind !== "call")).toEqual([]);
      for (const c of ofKind(second, "call")) {
        expect(c.call, `restated call ${c.call.id}`).toEqual(model.call(P, c.call.id));
        const reported = ofKind(first, "call").find((x) => x.call.id === c.call.id);
        if (reported) expect(c.call).toEqual(reported.call);
      }
    });
  });
});

describe("out-of-order and unknown events", () => {
  it("hangup before answered/bridged: the late events are ignored, nothing is resurrected", () => {
    run(aliceRingsBob());
    run([ev.hangup("B", 487, "Request Terminated")]);
    const before = state();
    const unknown = model.counters.unknownLeg;
    let changes: ModelChange[] = [];
    expect(() => {
      changes = run([ev.answered("B"), ev.bridged("B", "BR1", "C1"), ev.held("B"), ev.ringing("B")]);
    }).not.toThrow();
    expect(changes).toEqual([]);
    expect(state()).toEqual(before);
    expect(model.counters.unknownLeg).toBe(unknown + 4);
    expect(model.presenceOf("bob")).toBe("available");
    expect(call("C1").legs.map((l) => l.leg)).toEqual(["A"]);
  });

  it("both legs hang up before their bridged events: the call stays ended", () => {
    run(aliceRingsBob());
    run([ev.answered("B"), ev.hangup("A"), ev.hangup("B")]);
    expect(model.activeCalls()).toEqual([]);
    const changes = run([ev.bridged("A", "BR1", "C1"), ev.bridged("B", "BR1", "C1")]);
    expect(changes).toEqual([]);
    expect(model.activeCalls()).toEqual([]);
  });

  it("hangup of an unknown leg is a no-op that counts an unknown leg", () => {
    run(aliceCallsBob());
    const before = state();
    const unknown = model.counters.unknownLeg;
    expect(run([ev.hangup("GHOST")])).toEqual([]);
    expect(state()).toEqual(before);
    expect(model.counters.unknownLeg).toBe(unknown + 1);
  });

  it("a bridged event for a leg of a call never seen is ignored without throwing", () => {
    const unknown = model.counters.unknownLeg;
    let changes: ModelChange[] = [];
    expect(() => {
      changes = run([ev.bridged("U1", "BRX", "CX")]);
    }).not.toThrow();
    expect(changes).toEqual([]);
    expect(model.activeCalls()).toEqual([]);
    expect(model.call(P, "CX")).toBeUndefined();
    expect(model.counters.unknownLeg).toBe(unknown + 1);
  });

  it("every leg-addressed event type about a never-seen leg is harmless", () => {
    const before = state();
    const events: PbxEvent[] = [
      ev.identity("U", "+1"),
      ev.ringing("U"),
      ev.answered("U"),
      ev.bridged("U", "BR", "CU"),
      ev.unbridged("U", "BR"),
      ev.held("U"),
      ev.unheld("U"),
      ev.parked("U"),
      ev.unparked("U", "timeout"),
      ev.pickedUp("U", "V"),
      ev.redirected("U", "ivr"),
      ev.transferred("U", "V", "1001"),
      ev.monitor("U", "V"),
      ev.unmonitor("U", "V"),
      ev.recStart("U"),
      ev.recStop("U"),
      ev.hangup("U"),
    ];
    for (const e of events) expect(() => model.apply(e), e.type).not.toThrow();
    expect(state()).toEqual(before);
    expect(model.counters.applied).toBe(events.length);
  });
});

describe("presence precedence: on-call > on-hold > ringing > dnd > away > available > offline", () => {
  it("available > offline: a reachable device", () => {
    run([ev.reach("PJSIP/1001", false), ev.reach("PJSIP/1001", true)]);
    expect(model.presenceOf("alice")).toBe("available");
  });

  it("away > available", () => {
    run([ev.reach("PJSIP/1001", true), ev.presence("1001", "away")]);
    expect(model.presenceOf("alice")).toBe("away");
  });

  it("dnd > away", () => {
    run([ev.presence("1001", "away"), ev.dnd("1001", true)]);
    expect(model.presenceOf("alice")).toBe("dnd");
  });

  it("ringing > dnd", () => {
    run([ev.dnd("1002", true), ...aliceRingsBob()]);
    expect(model.presenceOf("bob")).toBe("ringing");
  });

  it("on-hold > ringing: a held call and a second call ringing", () => {
    run([
      ...aliceCallsBob(),
      ev.held("A"),
      ev.internal("K", "C3", "1003"),
      ev.internal("B2", "C3", "1002", true),
      ev.ringing("B2"),
    ]);
    expect(model.presenceOf("bob")).toBe("on-hold");
  });

  it("on-call > on-hold: one call held, another one talking", () => {
    run([
      ...aliceCallsBob(),
      ev.held("A"),
      ev.internal("K", "C3", "1003"),
      ev.internal("B2", "C3", "1002", true),
      ev.answered("B2"),
      ev.bridged("K", "BR3", "C3"),
      ev.bridged("B2", "BR3", "C3"),
    ]);
    expect(model.presenceOf("bob")).toBe("on-call");
  });

  it("on-call > everything chosen (dnd, away)", () => {
    run([ev.dnd("1001", true), ev.presence("1001", "away"), ...aliceCallsBob()]);
    expect(model.presenceOf("alice")).toBe("on-call");
    expect(model.presenceOf("bob")).toBe("on-call");
  });

  it("dnd and away > offline: the precedence holds when no device is reachable", () => {
    run([ev.reach("PJSIP/1001", false), ev.dnd("1001", true)]);
    expect(model.presenceOf("alice")).toBe("dnd");
    run([ev.reach("PJSIP/1002", false), ev.presence("1002", "away")]);
    expect(model.presenceOf("bob")).toBe("away");
  });

  it("a call on an unreachable device still counts (ringing > offline)", () => {
    run([ev.reach("PJSIP/1002", false), ...aliceRingsBob()]);
    expect(model.presenceOf("bob")).toBe("ringing");
  });
});

describe("a user with two devices (desk + mobile)", () => {
  const MOBILE = "PJSIP/1006-mobile";

  it("both device legs belong to the user", () => {
    run([
      ev.internal("A", "C1", "1001"),
      ev.internal("M1", "C1", "1006", true),
      ev.internal("M2", "C1", "1006", true, MOBILE),
    ]);
    expect(model.leg(P, "M1")?.user).toBe("mia");
    expect(model.leg(P, "M2")?.user).toBe("mia");
  });

  it("is ringing if either device rings", () => {
    run([ev.internal("A", "C1", "1001"), ev.internal("M2", "C1", "1006", true, MOBILE), ev.ringing("M2")]);
    expect(model.presenceOf("mia")).toBe("ringing");
    run([ev.internal("M1", "C1", "1006", true), ev.ringing("M1")]);
    expect(model.presenceOf("mia")).toBe("ringing");
  });

  it("is on-call if either device is up (the other still ringing or gone)", () => {
    run([
      ev.internal("A", "C1", "1001"),
      ev.internal("M1", "C1", "1006", true),
      ev.internal("M2", "C1", "1006", true, MOBILE),
      ev.ringing("M1"),
      ev.ringing("M2"),
      ev.answered("M2"),
    ]);
    expect(model.presenceOf("mia")).toBe("on-call");
    run([
      ev.hangup("M1", 26, "Answered elsewhere"),
      ev.answered("A"),
      ev.bridged("A", "BR1", "C1"),
      ev.bridged("M2", "BR1", "C1"),
    ]);
    expect(model.presenceOf("mia")).toBe("on-call");
    expect(call("C1").legs.map((l) => l.leg)).toEqual(["A", "M2"]);
  });

  it("is available while one device is reachable, offline when neither is", () => {
    run([ev.reach("PJSIP/1006", false), ev.reach(MOBILE, true)]);
    expect(model.presenceOf("mia")).toBe("available");
    run([ev.reach(MOBILE, false)]);
    expect(model.presenceOf("mia")).toBe("offline");
    run([ev.reach("PJSIP/1006", true)]);
    expect(model.presenceOf("mia")).toBe("available");
  });
});

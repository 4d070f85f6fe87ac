// What the model tells about each PBX link and about what it knows: users of a PBX that never answered
// are not shown available, a lost link leaves the last known calls in place and says so, a user without a
// reachable phone is offline, and calls learned from a resync keep the PBX's start times.

import { describe, expect, it } from "vitest";
import { defaultSettings, makeDirectory, type User } from "../../src/domain/directory.js";
import type { PbxEvent, PbxSnapshot, SnapshotLeg } from "../../src/domain/events.js";
import { LiveModel, type ModelChange } from "../../src/domain/live-model.js";
import { PbxLinks } from "../../src/domain/pbx-links.js";
import { derivePresence } from "../../src/domain/presence.js";
import { viewFor } from "../../src/domain/visibility.js";

const P = "p1";
const T0 = 1_800_000_000_000;

function user(id: string, extension: string, extra: Partial<User> = {}): User {
  return {
    id,
    name: id,
    extension,
    pbx: P,
    devices: [],
    departments: ["sales"],
    role: "agent",
    settings: defaultSettings(),
    ...extra,
  };
}

const directory = makeDirectory(
  [{ id: "sales", name: "Sales" }],
  [
    user("alice", "1001"),
    user("bob", "1002"),
    user("mia", "1006", {
      devices: [
        { pbx: P, endpoint: "PJSIP/1006" },
        { pbx: P, endpoint: "PJSIP/mia-mobile" },
      ],
    }),
    user("olga", "2001", { pbx: "p2" }),
  ],
);

function snapshot(at: number, extra: Partial<PbxSnapshot> = {}): PbxSnapshot {
  return {
    type: "pbx.snapshot",
    pbx: P,
    at,
    legs: [],
    reachability: [],
    presence: [],
    dnd: [],
    parked: [],
    ...extra,
  };
}

const up = (at: number, pbx = P): PbxEvent => ({ type: "pbx.connection", pbx, at, state: "up" });
const down = (at: number, pbx = P): PbxEvent => ({ type: "pbx.connection", pbx, at, state: "down" });

function leg(id: string, callId: string, ext: string, extra: Partial<SnapshotLeg> = {}): SnapshotLeg {
  return {
    leg: id,
    callId,
    channel: `PJSIP/${ext}-${id}`,
    endpoint: `PJSIP/${ext}`,
    side: "internal",
    number: ext,
    state: "up",
    outgoing: false,
    ...extra,
  };
}

function apply(model: LiveModel, events: PbxEvent[]): ModelChange[] {
  return events.flatMap((e) => model.apply(e));
}

const links = (changes: ModelChange[]) => changes.flatMap((c) => (c.kind === "link" ? [c.link] : []));

describe("PBX links", () => {
  it("a followed PBX starts connecting; its users are offline, not available, until it answers", () => {
    const model = new LiveModel(directory, { links: [P] });
    expect(model.pbxLinks()).toEqual([{ pbx: P, state: "connecting" }]);
    for (const id of ["alice", "bob", "mia"]) expect(model.presenceOf(id)).toBe("offline");
    // A user of a PBX nobody connects to (a replayed trace) keeps the old meaning: nothing known, available.
    expect(model.presenceOf("olga")).toBe("available");

    const changes = apply(model, [
      snapshot(T0, { reachability: [{ endpoint: "PJSIP/1001", reachable: true }] }),
      up(T0 + 5),
    ]);
    expect(links(changes)).toEqual([{ pbx: P, state: "up", since: T0 }]);
    expect(model.pbxLinks()).toEqual([{ pbx: P, state: "up", since: T0 }]);
    expect(model.presenceOf("alice")).toBe("available");
    expect(model.presenceOf("bob")).toBe("offline");
  });

  it("a lost link is down since it was lost, and the last known calls stay; a resync brings it up again", () => {
    const model = new LiveModel(directory, { links: [P] });
    const call = [leg("A", "C1", "1001"), leg("B", "C1", "1002", { outgoing: true })];
    apply(model, [snapshot(T0, { legs: call }), up(T0)]);
    const before = model.activeCalls();
    const lost = apply(model, [down(T0 + 60_000)]);
    expect(lost).toEqual([{ kind: "link", link: { pbx: P, state: "down", since: T0 + 60_000 } }]);
    expect(model.activeCalls()).toEqual(before);
    expect(model.presenceOf("alice")).toBe("on-call");
    // Said once: the same state again is no change.
    expect(apply(model, [down(T0 + 61_000)])).toEqual([]);
    expect(model.pbxLinks()).toEqual([{ pbx: P, state: "down", since: T0 + 60_000 }]);
    const back = apply(model, [snapshot(T0 + 90_000), up(T0 + 90_001)]);
    expect(links(back)).toEqual([{ pbx: P, state: "up", since: T0 + 90_000 }]);
    expect(model.activeCalls()).toEqual([]);
  });

  it("the list is the same array until a link changes (views compare it by identity)", () => {
    const l = new PbxLinks([P, "p2"]);
    const first = l.list();
    expect(l.apply(up(T0, "p3"))).toBeUndefined();
    expect(l.list()).toBe(first);
    l.apply(up(T0, "p2"));
    expect(l.list()).not.toBe(first);
    expect(l.list()).toEqual([
      { pbx: P, state: "connecting" },
      { pbx: "p2", state: "up", since: T0 },
    ]);
  });

  it("every viewer's board carries the links, and they name no user", () => {
    const model = new LiveModel(directory, { links: [P, "p2"] });
    apply(model, [snapshot(T0), up(T0), down(T0 + 1000)]);
    const view = viewFor(directory, model, "bob");
    expect(view?.links).toEqual([
      { pbx: P, state: "down", since: T0 + 1000 },
      { pbx: "p2", state: "connecting" },
    ]);
    // Only the PBX, its state and since when: nothing about any user.
    for (const link of view?.links ?? [])
      for (const key of Object.keys(link)) expect(["pbx", "state", "since"]).toContain(key);
    expect(viewFor(directory, model, "olga")?.links).toBe(view?.links);
  });
});

describe("a user with no phone is offline", () => {
  it("once the PBX listed its devices: none reported, or all unreachable, is offline", () => {
    const model = new LiveModel(directory);
    expect(model.presenceOf("alice")).toBe("available");
    const changes = apply(model, [
      snapshot(T0, {
        reachability: [
          { endpoint: "PJSIP/1002", reachable: true },
          { endpoint: "PJSIP/1006", reachable: false },
          { endpoint: "PJSIP/mia-mobile", reachable: false },
        ],
      }),
    ]);
    // Alice's phone is not among the PBX's devices (FreeSWITCH lists registered phones only).
    expect(model.presenceOf("alice")).toBe("offline");
    expect(model.presenceOf("bob")).toBe("available");
    expect(model.presenceOf("mia")).toBe("offline");
    expect(changes).toContainEqual({
      kind: "presence",
      user: "alice",
      presence: "offline",
      previous: "available",
    });
    // Another PBX's listing says nothing about this one's users.
    expect(model.presenceOf("olga")).toBe("available");
    // Her phone registers: available; a call on a phone that is not listed still counts.
    apply(model, [
      { type: "device.reachability", pbx: P, at: T0 + 1, endpoint: "PJSIP/1001", reachable: true },
    ]);
    expect(model.presenceOf("alice")).toBe("available");
  });

  it("derivePresence: no device reported is unknown (available) only while the PBX never listed its devices", () => {
    const base = { chosen: "not-set" as const, dnd: false, legs: [] };
    expect(derivePresence({ ...base, reachability: [] })).toBe("available");
    expect(derivePresence({ ...base, reachability: [], devicesListed: true })).toBe("offline");
    expect(derivePresence({ ...base, reachability: [false, false], devicesListed: true })).toBe("offline");
    expect(derivePresence({ ...base, reachability: [false, true], devicesListed: true })).toBe("available");
    expect(derivePresence({ ...base, reachability: [], devicesListed: true, legs: ["talking"] })).toBe(
      "on-call",
    );
    expect(derivePresence({ ...base, reachability: [], devicesListed: true, dnd: true })).toBe("dnd");
  });
});

describe("calls learned from a resync keep the PBX's times", () => {
  it("legs date from their creation, the call from its oldest leg, the answer from the PBX where known", () => {
    const model = new LiveModel(directory);
    const at = T0 + 300_000;
    apply(model, [
      snapshot(at, {
        legs: [
          leg("B", "C1", "1002", { outgoing: true, createdAt: T0 + 1000, answeredAt: T0 + 9000 }),
          leg("A", "C1", "1001", { createdAt: T0 }),
          // No time from the PBX: the resync's.
          leg("M", "C2", "1006", { state: "ringing" }),
        ],
      }),
    ]);
    const c1 = model.call(P, "C1");
    expect(c1?.startedAt).toBe(T0);
    // Answered when Bob answered, as the PBX says; Alice's own leg (the caller's) does not answer the call.
    expect(c1?.answeredAt).toBe(T0 + 9000);
    expect(c1?.state).toBe("up");
    expect(model.leg(P, "B")?.answeredAt).toBe(T0 + 9000);
    expect(Object.fromEntries(c1?.legs.map((l) => [l.leg, l.since]) ?? [])).toEqual({ A: T0, B: T0 + 1000 });
    expect(model.call(P, "C2")?.startedAt).toBe(at);
    const alice = viewFor(directory, model, "alice")?.people.find((p) => p.id === "alice");
    expect(alice?.calls?.[0]?.since).toBe(T0);
  });

  it("legs the model already knew keep their history; a PBX clock ahead of ours counts as the resync", () => {
    const model = new LiveModel(directory);
    apply(model, [
      {
        type: "leg.created",
        pbx: P,
        at: T0,
        leg: "A",
        callId: "C1",
        channel: "PJSIP/1001-A",
        endpoint: "PJSIP/1001",
        side: "internal",
        number: "1001",
        outgoing: false,
      },
    ]);
    const at = T0 + 60_000;
    apply(model, [
      snapshot(at, {
        legs: [
          leg("A", "C1", "1001", { state: "dialing", createdAt: T0 + 30_000 }),
          leg("Z", "C9", "1002", { createdAt: at + 5000 }),
        ],
      }),
    ]);
    expect(model.call(P, "C1")?.startedAt).toBe(T0);
    expect(model.call(P, "C1")?.legs[0]?.since).toBe(T0);
    expect(model.call(P, "C9")?.startedAt).toBe(at);
    // Bob alone with the PBX (an IVR, voicemail): up, but no colleague answered it.
    expect(model.call(P, "C9")?.answeredAt).toBeUndefined();
    expect(model.call(P, "C9")?.state).toBe("up");
  });
});

// fast-check arbitraries for the domain: random directories and random live models built by
// applying random (but mostly PBX-plausible) sequences of normalized events.

import fc from "fast-check";
import { type HistoryRow, historyRow } from "../../src/domain/call-history.js";
import type { Party } from "../../src/domain/calls.js";
import {
  type Department,
  type Directory,
  defaultSettings,
  MONITORING_MODES,
  type MonitoringMode,
  makeDirectory,
  RECORDING_POLICIES,
  ROLES,
  type Role,
  type User,
  type UserSettings,
} from "../../src/domain/directory.js";
import type { PbxEvent, PresenceStateChanged } from "../../src/domain/events.js";
import { type CallView, type LegView, LiveModel } from "../../src/domain/live-model.js";

export const PBX = "p1";
export const T0 = 1_700_000_000_000;

// ---------------------------------------------------------------------------------------------
// Directories

const roleArb: fc.Arbitrary<Role> = fc.oneof(
  { arbitrary: fc.constant<Role>("agent"), weight: 3 },
  { arbitrary: fc.constant<Role>("supervisor"), weight: 2 },
  { arbitrary: fc.constant<Role>("admin"), weight: 1 },
);

function settingsArb(others: string[]): fc.Arbitrary<UserSettings> {
  return fc
    .record({
      showMyCalls: fc.boolean(),
      presence: fc.boolean(),
      calls: fc.boolean(),
      sharePresence: fc.boolean(),
      pickupDelegates: fc.subarray(others),
      pickup: fc.boolean(),
      parkedPickup: fc.boolean(),
      sendToIvr: fc.boolean(),
      listen: fc.boolean(),
      whisper: fc.boolean(),
      barge: fc.boolean(),
      recording: fc.constantFrom(...RECORDING_POLICIES),
    })
    .map((r) => {
      const s = defaultSettings();
      s.showMyCalls = r.showMyCalls;
      s.presence = r.presence;
      s.calls = r.calls;
      s.sharePresence = r.sharePresence;
      s.pickupDelegates = r.pickupDelegates;
      s.operations = {
        // Switches this generator does not vary (click-to-call's) keep their defaults.
        ...s.operations,
        pickup: r.pickup,
        parkedPickup: r.parkedPickup,
        sendToIvr: r.sendToIvr,
        listen: r.listen,
        whisper: r.whisper,
        barge: r.barge,
        takeOver: r.barge,
      };
      s.recording = r.recording;
      return s;
    });
}

export function extensionOf(index: number): string {
  return String(1001 + index);
}

/** Endpoint of a user's second device (when the user has one). */
export function mobileEndpoint(extension: string): string {
  return `PJSIP/${extension}-mobile`;
}

/** 2-4 departments, 2-10 users with random departments, roles, settings and pickup delegates. */
export function directoryArb(): fc.Arbitrary<Directory> {
  return fc
    .record({ departmentCount: fc.integer({ min: 2, max: 4 }), userCount: fc.integer({ min: 2, max: 10 }) })
    .chain(({ departmentCount, userCount }) => {
      const departmentIds = Array.from({ length: departmentCount }, (_, i) => `d${i + 1}`);
      const userIds = Array.from({ length: userCount }, (_, i) => `u${i + 1}`);
      const userArbs = userIds.map((id, i) =>
        fc
          .record({
            departments: fc.subarray(departmentIds, { minLength: 1 }),
            role: roleArb,
            settings: settingsArb(userIds.filter((u) => u !== id)),
            mobile: fc.boolean(),
          })
          .map(({ departments, role, settings, mobile }): User => {
            const extension = extensionOf(i);
            return {
              id,
              name: `User ${id}`,
              extension,
              pbx: PBX,
              devices: mobile
                ? [
                    { pbx: PBX, endpoint: `PJSIP/${extension}` },
                    { pbx: PBX, endpoint: mobileEndpoint(extension) },
                  ]
                : [],
              departments,
              role,
              settings,
            };
          }),
      );
      const monitoringRolesArb = fc.oneof(
        { arbitrary: fc.constant<Role[]>(["supervisor", "admin"]), weight: 3 },
        { arbitrary: fc.subarray([...ROLES]), weight: 1 },
      );
      return fc.tuple(fc.tuple(...userArbs), monitoringRolesArb).map(([users, monitoringRoles]) => {
        const departments: Department[] = departmentIds.map((id) => ({ id, name: `Department ${id}` }));
        return makeDirectory(departments, users, monitoringRoles);
      });
    });
}

// ---------------------------------------------------------------------------------------------
// Event scripts: abstract operations, interpreted against the directory into concrete events.
// Indices are taken modulo what exists when the op is interpreted, so every op is meaningful and
// shrinking stays effective. Single-event ops address any leg ever created (including hung-up
// ones: events for unknown legs must be harmless); macros use live legs.

const externalNumberArb = fc.integer({ min: 10_000_000, max: 99_999_999 }).map((n) => `+4420${n}`);

type Op =
  | {
      k: "call";
      from: number;
      to: number;
      /** -1: internal caller and callee; 0: external caller; 1: external callee. */
      external: -1 | 0 | 1;
      number: string;
      outcome: "ringing" | "answered";
      mobile: boolean;
    }
  /** `from` calls `to`, whose follow-me or call forward dials `to`'s private outside number (FORWARD_NUMBER). */
  | { k: "forward"; from: number; to: number; externalCaller: boolean; outcome: "ringing" | "answered" }
  | { k: "monitor"; spy: number; target: number; mode: MonitoringMode }
  | { k: "pickup"; picker: number; target: number }
  | { k: "create"; who: number; external: boolean; call: number; outgoing: boolean; number: string }
  | {
      k:
        | "leg.ringing"
        | "leg.answered"
        | "leg.held"
        | "leg.unheld"
        | "leg.hangup"
        | "recording.started"
        | "recording.stopped"
        | "leg.unbridged";
      leg: number;
    }
  | { k: "leg.bridged"; leg: number; bridge: number; call: number }
  /** `parker`: the leg the PBX names as the parker, if it does (any leg ever created). */
  | { k: "call.parked"; leg: number; space: number; parker: number | undefined }
  | { k: "call.unparked"; leg: number }
  | { k: "monitoring.stopped"; leg: number }
  | { k: "leg.identity"; leg: number; number: string; name: string }
  | { k: "device.reachability"; user: number; reachable: boolean; mobile: boolean }
  | { k: "presence.state"; user: number; state: PresenceStateChanged["state"] }
  | { k: "presence.dnd"; user: number; on: boolean };

const idx = fc.nat({ max: 50 });

/** A user's follow-me / forward number: theirs, never shown to anyone (party-visibility.ts). */
export const FORWARD_NUMBER = (extension: string) => `+4917099${extension}`;

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      k: fc.constant("call" as const),
      from: idx,
      to: idx,
      external: fc.constantFrom(-1 as const, 0 as const, 1 as const),
      number: externalNumberArb,
      outcome: fc.constantFrom("ringing" as const, "answered" as const),
      mobile: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant("forward" as const),
      from: idx,
      to: idx,
      externalCaller: fc.boolean(),
      outcome: fc.constantFrom("ringing" as const, "answered" as const),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant("monitor" as const),
      spy: idx,
      target: idx,
      mode: fc.constantFrom(...MONITORING_MODES),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("pickup" as const), picker: idx, target: idx }) },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant("create" as const),
      who: idx,
      external: fc.boolean(),
      call: idx,
      outgoing: fc.boolean(),
      number: externalNumberArb,
    }),
  },
  {
    weight: 8,
    arbitrary: fc.record({
      k: fc.constantFrom(
        "leg.ringing" as const,
        "leg.answered" as const,
        "leg.held" as const,
        "leg.unheld" as const,
        "leg.hangup" as const,
        "recording.started" as const,
        "recording.stopped" as const,
        "leg.unbridged" as const,
      ),
      leg: idx,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ k: fc.constant("leg.bridged" as const), leg: idx, bridge: idx, call: idx }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant("call.parked" as const),
      leg: idx,
      space: fc.integer({ min: 701, max: 720 }),
      parker: fc.option(idx, { nil: undefined }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("call.unparked" as const), leg: idx }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("monitoring.stopped" as const), leg: idx }) },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant("leg.identity" as const),
      leg: idx,
      number: externalNumberArb,
      name: fc.constantFrom("ACME Ltd", "Jane Customer", "Unknown Caller"),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant("device.reachability" as const),
      user: idx,
      reachable: fc.boolean(),
      mobile: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant("presence.state" as const),
      user: idx,
      state: fc.constantFrom(
        "available" as const,
        "away" as const,
        "dnd" as const,
        "unavailable" as const,
        "not-set" as const,
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ k: fc.constant("presence.dnd" as const), user: idx, on: fc.boolean() }),
  },
);

interface LegInfo {
  id: string;
  callId: string;
  user?: User;
  external: boolean;
}

/** Turns abstract ops into concrete normalized events for users of `directory` on PBX "p1". */
export function interpret(directory: Directory, ops: readonly Op[]): PbxEvent[] {
  const users = [...directory.users.values()];
  const events: PbxEvent[] = [];
  const legs: LegInfo[] = [];
  const live = new Map<string, LegInfo>();
  const callIds: string[] = [];
  let at = T0;
  let legSeq = 0;
  let callSeq = 0;
  let bridgeSeq = 0;
  const pick = <T>(xs: readonly T[], i: number): T | undefined =>
    xs.length === 0 ? undefined : xs[i % xs.length];
  const emit = (e: PbxEvent) => {
    events.push(e);
  };
  const newCall = () => {
    const id = `C${++callSeq}`;
    callIds.push(id);
    return id;
  };
  const createLeg = (
    callId: string,
    who: { user: User; mobile?: boolean } | { number: string },
    outgoing: boolean,
  ): LegInfo => {
    const id = `L${++legSeq}`;
    at += 1000;
    if ("user" in who) {
      const endpoint =
        who.mobile && who.user.devices.length > 1
          ? mobileEndpoint(who.user.extension)
          : `PJSIP/${who.user.extension}`;
      emit({
        type: "leg.created",
        pbx: PBX,
        at,
        leg: id,
        callId,
        channel: `${endpoint}-${id}`,
        endpoint,
        side: "internal",
        number: who.user.extension,
        name: who.user.name,
        outgoing,
      });
    } else {
      emit({
        type: "leg.created",
        pbx: PBX,
        at,
        leg: id,
        callId,
        channel: `PJSIP/carrier-${id}`,
        endpoint: "PJSIP/carrier",
        side: "external",
        number: who.number,
        outgoing,
      });
    }
    const info: LegInfo = { id, callId, external: !("user" in who) };
    if ("user" in who) info.user = who.user;
    legs.push(info);
    live.set(id, info);
    return info;
  };
  const legEvent = (type: "leg.ringing" | "leg.answered" | "leg.held" | "leg.unheld", leg: string) => {
    at += 1000;
    emit({ type, pbx: PBX, at, leg });
  };
  const bridged = (leg: LegInfo, bridge: string, callId: string) => {
    at += 1000;
    emit({ type: "leg.bridged", pbx: PBX, at, leg: leg.id, bridge, callId });
    leg.callId = callId;
  };

  for (const op of ops) {
    switch (op.k) {
      case "call": {
        const caller = pick(users, op.from);
        const callee = pick(users, op.to);
        if (!caller || !callee) break;
        const callId = newCall();
        const a =
          op.external === 0
            ? createLeg(callId, { number: op.number }, false)
            : createLeg(callId, { user: caller }, false);
        const b =
          op.external === 1
            ? createLeg(callId, { number: op.number }, true)
            : createLeg(callId, { user: callee, mobile: op.mobile }, true);
        legEvent("leg.ringing", b.id);
        if (op.outcome === "answered") {
          legEvent("leg.answered", b.id);
          legEvent("leg.answered", a.id);
          const bridge = `B${++bridgeSeq}`;
          bridged(a, bridge, callId);
          bridged(b, bridge, callId);
        }
        break;
      }
      case "forward": {
        const caller = pick(users, op.from);
        const forwarding = pick(users, op.to);
        if (!caller || !forwarding) break;
        const callId = newCall();
        const a = op.externalCaller
          ? createLeg(callId, { number: "+442071234567" }, false)
          : createLeg(callId, { user: caller }, false);
        const number = FORWARD_NUMBER(forwarding.extension);
        const b = createLeg(callId, { number }, true);
        emit({
          type: "dial.started",
          pbx: PBX,
          at,
          callee: b.id,
          dialString: number,
          onBehalfOf: forwarding.extension,
        });
        legEvent("leg.ringing", b.id);
        if (op.outcome === "answered") {
          legEvent("leg.answered", b.id);
          legEvent("leg.answered", a.id);
          const bridge = `B${++bridgeSeq}`;
          bridged(a, bridge, callId);
          bridged(b, bridge, callId);
        }
        break;
      }
      case "monitor": {
        const spyUser = pick(users, op.spy);
        const target = pick([...live.values()], op.target);
        if (!spyUser || !target) break;
        const spy = createLeg(newCall(), { user: spyUser }, false);
        legEvent("leg.answered", spy.id);
        at += 1000;
        emit({ type: "monitoring.started", pbx: PBX, at, spy: spy.id, target: target.id, mode: op.mode });
        break;
      }
      case "pickup": {
        const pickerUser = pick(users, op.picker);
        const target = pick([...live.values()], op.target);
        if (!pickerUser || !target) break;
        const picker = createLeg(newCall(), { user: pickerUser }, false);
        legEvent("leg.answered", picker.id);
        at += 1000;
        emit({ type: "call.pickedUp", pbx: PBX, at, picker: picker.id, target: target.id });
        picker.callId = target.callId;
        break;
      }
      case "create": {
        const callId = op.call < callIds.length ? (callIds[op.call] as string) : newCall();
        const user = pick(users, op.who);
        if (op.external || !user) createLeg(callId, { number: op.number }, op.outgoing);
        else createLeg(callId, { user }, op.outgoing);
        break;
      }
      case "leg.ringing":
      case "leg.answered":
      case "leg.held":
      case "leg.unheld": {
        const leg = pick(legs, op.leg);
        if (leg) legEvent(op.k, leg.id);
        break;
      }
      case "leg.hangup": {
        const leg = pick(legs, op.leg);
        if (!leg) break;
        at += 1000;
        emit({ type: "leg.hangup", pbx: PBX, at, leg: leg.id, cause: 16, causeText: "Normal Clearing" });
        live.delete(leg.id);
        break;
      }
      case "recording.started":
      case "recording.stopped": {
        const leg = pick(legs, op.leg);
        if (!leg) break;
        at += 1000;
        emit({ type: op.k, pbx: PBX, at, leg: leg.id, file: `/rec/${leg.id}.wav` });
        break;
      }
      case "leg.unbridged": {
        const leg = pick(legs, op.leg);
        if (!leg) break;
        at += 1000;
        // The bridge name is a guess: unbridging from a bridge the leg is not in must be harmless.
        emit({ type: "leg.unbridged", pbx: PBX, at, leg: leg.id, bridge: `B${bridgeSeq}` });
        break;
      }
      case "leg.bridged": {
        const leg = pick(legs, op.leg);
        if (!leg) break;
        const callId = pick(callIds, op.call) ?? leg.callId;
        // An existing bridge, or (index == count) a new one.
        const n = (op.bridge % (bridgeSeq + 1)) + 1;
        bridgeSeq = Math.max(bridgeSeq, n);
        bridged(leg, `B${n}`, callId);
        break;
      }
      case "call.parked": {
        const leg = pick(legs, op.leg);
        if (!leg) break;
        at += 1000;
        const parker = op.parker === undefined ? undefined : pick(legs, op.parker);
        emit({
          type: "call.parked",
          pbx: PBX,
          at,
          leg: leg.id,
          lot: "default",
          space: String(op.space),
          ...(parker ? { parker: parker.id } : {}),
        });
        break;
      }
      case "call.unparked": {
        const leg = pick(legs, op.leg);
        if (!leg) break;
        at += 1000;
        emit({
          type: "call.unparked",
          pbx: PBX,
          at,
          leg: leg.id,
          lot: "default",
          space: "701",
          outcome: "timeout",
        });
        break;
      }
      case "monitoring.stopped": {
        const leg = pick(legs, op.leg);
        if (!leg) break;
        at += 1000;
        emit({ type: "monitoring.stopped", pbx: PBX, at, spy: leg.id, target: leg.id });
        break;
      }
      case "leg.identity": {
        const leg = pick(legs, op.leg);
        if (!leg) break;
        at += 1000;
        emit({ type: "leg.identity", pbx: PBX, at, leg: leg.id, number: op.number, name: op.name });
        break;
      }
      case "device.reachability": {
        const user = pick(users, op.user);
        if (!user) break;
        at += 1000;
        const endpoint =
          op.mobile && user.devices.length > 1 ? mobileEndpoint(user.extension) : `PJSIP/${user.extension}`;
        emit({ type: "device.reachability", pbx: PBX, at, endpoint, reachable: op.reachable });
        break;
      }
      case "presence.state": {
        const user = pick(users, op.user);
        if (!user) break;
        at += 1000;
        emit({ type: "presence.state", pbx: PBX, at, extension: user.extension, state: op.state });
        break;
      }
      case "presence.dnd": {
        const user = pick(users, op.user);
        if (!user) break;
        at += 1000;
        emit({ type: "presence.dnd", pbx: PBX, at, extension: user.extension, on: op.on });
        break;
      }
    }
  }
  return events;
}

export function eventsArb(directory: Directory, maxOps = 25): fc.Arbitrary<PbxEvent[]> {
  return fc.array(opArb, { maxLength: maxOps }).map((ops) => interpret(directory, ops));
}

/** A call that is still ringing: an outside or a colleague's call to a colleague who has not answered. */
const ringingCallOpArb: fc.Arbitrary<Op> = fc.record({
  k: fc.constant("call" as const),
  from: idx,
  to: idx,
  external: fc.constantFrom(-1 as const, 0 as const),
  number: externalNumberArb,
  outcome: fc.constant("ringing" as const),
  mobile: fc.boolean(),
});

/** Random events, then one or two calls that are still ringing at the end. */
export function ringingEventsArb(directory: Directory, maxOps = 25): fc.Arbitrary<PbxEvent[]> {
  return fc
    .tuple(fc.array(opArb, { maxLength: maxOps }), fc.array(ringingCallOpArb, { minLength: 1, maxLength: 2 }))
    .map(([ops, ringing]) => interpret(directory, [...ops, ...ringing]));
}

export function buildModel(directory: Directory, events: readonly PbxEvent[]): LiveModel {
  const model = new LiveModel(directory);
  for (const e of events) model.apply(e);
  return model;
}

export interface Scenario {
  directory: Directory;
  events: PbxEvent[];
  model: LiveModel;
}

/**
 * Directories where rule P (who calls, on a ringing call the viewer may pick up) matters often: most users
 * see colleagues' presence but not their calls, share their presence, show their calls and have the pickup
 * switch on.
 */
export function ringingDirectoryArb(): fc.Arbitrary<Directory> {
  return directoryArb().chain((directory) => {
    const users = [...directory.users.values()];
    const often = fc.oneof(
      { weight: 3, arbitrary: fc.constant(true) },
      { weight: 1, arbitrary: fc.constant(false) },
    );
    const tweak = fc.record({
      noCalls: often,
      presence: often,
      sharePresence: often,
      showMyCalls: often,
      pickup: often,
    });
    return fc.tuple(...users.map(() => tweak)).map((tweaks) =>
      makeDirectory(
        [...directory.departments.values()],
        users.map((u, i) => {
          const t = tweaks[i]!;
          return {
            ...u,
            settings: {
              ...u.settings,
              calls: t.noCalls ? false : u.settings.calls,
              presence: t.presence || u.settings.presence,
              sharePresence: t.sharePresence || u.settings.sharePresence,
              showMyCalls: t.showMyCalls || u.settings.showMyCalls,
              operations: { ...u.settings.operations, pickup: t.pickup },
            },
          };
        }),
        directory.monitoringRoles,
      ),
    );
  });
}

/** A random directory (by default from directoryArb) and a live model built from random events about its users. */
export function scenarioArb(
  maxOps = 25,
  directories: fc.Arbitrary<Directory> = directoryArb(),
  events: (directory: Directory, maxOps: number) => fc.Arbitrary<PbxEvent[]> = eventsArb,
): fc.Arbitrary<Scenario> {
  return directories.chain((directory) =>
    events(directory, maxOps).map((events) => {
      const scenario: Scenario = { directory, events, model: buildModel(directory, events) };
      // Readable counterexamples: the directory's users and the events, not the model's internals.
      Object.defineProperty(scenario, fc.toStringMethod, {
        enumerable: false,
        value: () => describeScenario(scenario),
      });
      return scenario;
    }),
  );
}

export function describeScenario(s: { directory: Directory; events: readonly PbxEvent[] }): string {
  const users = [...s.directory.users.values()].map((u) => ({
    id: u.id,
    ext: u.extension,
    role: u.role,
    departments: u.departments,
    devices: u.devices.map((d) => d.endpoint),
    settings: {
      showMyCalls: u.settings.showMyCalls,
      presence: u.settings.presence,
      calls: u.settings.calls,
      sharePresence: u.settings.sharePresence,
      pickupDelegates: u.settings.pickupDelegates,
      recording: u.settings.recording,
    },
  }));
  const events = s.events.map((e) => {
    const { pbx: _pbx, at: _at, ...rest } = e;
    return rest;
  });
  return JSON.stringify({ monitoringRoles: s.directory.monitoringRoles, users, events }, null, 1);
}

// ---------------------------------------------------------------------------------------------
// Synthetic call views (for permissions and the recording policy): consistent, but not
// constrained to what the model can produce, so every combination of states gets exercised.

type SyntheticLegState = LegView["state"];

export function callViewArb(directory: Directory): fc.Arbitrary<CallView> {
  const userIds = [...directory.users.keys()];
  const legArb = fc.record({
    who: fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...userIds) },
      { weight: 1, arbitrary: externalNumberArb.map((n) => ({ external: n })) },
    ),
    state: fc.constantFrom<SyntheticLegState>("dialing", "ringing", "up", "held", "parked"),
  });
  return fc
    .record({
      id: fc.integer({ min: 1, max: 999 }).map((n) => `C${n}`),
      legs: fc.array(legArb, { minLength: 1, maxLength: 4 }),
      departed: fc.subarray(userIds, { maxLength: 2 }),
      recording: fc.boolean(),
    })
    .map(({ id, legs, departed, recording }) => {
      const legViews: LegView[] = legs.map((l, i) => {
        const base = { leg: `${id}-L${i + 1}`, state: l.state, recording: false, since: T0 + i * 1000 };
        if (typeof l.who === "string") {
          const u = directory.users.get(l.who) as User;
          return { ...base, user: u.id, number: u.extension, name: u.name, external: false };
        }
        return { ...base, number: l.who.external, external: true };
      });
      const parties: Party[] = [];
      for (const l of legViews) {
        const p: Party = { number: l.number, external: l.external };
        if (l.user) p.user = l.user;
        if (!parties.some((q) => (p.user ? q.user === p.user : !q.user && q.number === p.number)))
          parties.push(p);
      }
      for (const u of departed) {
        const user = directory.users.get(u) as User;
        if (!parties.some((q) => q.user === u))
          parties.push({ user: u, number: user.extension, external: false });
      }
      const answered = legViews.some((l) => l.state === "up" || l.state === "held" || l.state === "parked");
      const parkedLeg = legViews.find((l) => l.state === "parked");
      const upLegs = legViews.filter((l) => l.state === "up" || l.state === "held");
      const state: CallView["state"] = parkedLeg
        ? "parked"
        : !answered
          ? "ringing"
          : upLegs.every((l) => l.state === "held")
            ? "held"
            : "up";
      const view: CallView = {
        pbx: PBX,
        id,
        direction: parties[0]?.external
          ? "inbound"
          : parties.some((p) => p.external)
            ? "outbound"
            : "internal",
        state,
        answered,
        startedAt: T0,
        legs: legViews,
        parties,
        talkers: answered ? parties : [],
        recording,
        recorded: recording,
        monitoring: [],
      };
      if (answered) view.answeredAt = T0 + 1000;
      if (parkedLeg) view.parked = { lot: "default", space: "701" };
      return view;
    });
}

// ---------------------------------------------------------------------------------------------
// Settings changes (for the stream and resume properties): each is a new directory.

export type SettingsChange =
  | { f: "showMyCalls" | "presence" | "calls" | "sharePresence" | "parkedPickup" | "pickup"; value: boolean }
  | { f: "departments"; value: string[] }
  | { f: "role"; value: Role }
  | { f: "monitoringRoles"; value: Role[] }
  | { f: "remove" };

const CHANGE_DEPARTMENTS = ["d1", "d2", "d3", "d4"];

export const changeArb: fc.Arbitrary<SettingsChange> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.record({
      f: fc.constantFrom(
        "showMyCalls" as const,
        "presence" as const,
        "calls" as const,
        "sharePresence" as const,
        "parkedPickup" as const,
        "pickup" as const,
      ),
      value: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      f: fc.constant("departments" as const),
      value: fc.subarray(CHANGE_DEPARTMENTS, { minLength: 1 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ f: fc.constant("role" as const), value: fc.constantFrom(...ROLES) }) },
  {
    weight: 1,
    arbitrary: fc.record({ f: fc.constant("monitoringRoles" as const), value: fc.subarray([...ROLES]) }),
  },
  { weight: 1, arbitrary: fc.record({ f: fc.constant("remove" as const) }) },
);

/** `directory` with one change to `userId` (or to the monitoring roles). */
export function withChange(directory: Directory, userId: string, change: SettingsChange): Directory {
  const departments = [...directory.departments.values()];
  if (change.f === "monitoringRoles") {
    return makeDirectory(departments, [...directory.users.values()], change.value);
  }
  const users: User[] = [];
  for (const u of directory.users.values()) {
    if (u.id !== userId) {
      users.push(u);
      continue;
    }
    if (change.f === "remove") continue;
    const settings: UserSettings = {
      ...u.settings,
      pickupDelegates: [...u.settings.pickupDelegates],
      operations: { ...u.settings.operations },
    };
    const next: User = { ...u, departments: [...u.departments], settings };
    if (change.f === "departments") {
      // Only departments the directory has.
      const known = change.value.filter((d) => directory.departments.has(d));
      next.departments = known.length > 0 ? known : [departments[0]!.id];
    } else if (change.f === "role") next.role = change.value;
    else if (change.f === "parkedPickup") settings.operations.parkedPickup = change.value;
    else if (change.f === "pickup") settings.operations.pickup = change.value;
    else settings[change.f] = change.value;
    users.push(next);
  }
  return makeDirectory(departments, users, directory.monitoringRoles);
}

// ---------------------------------------------------------------------------------------------
// Ended calls (for the call history): random events as above, a few transfers and calls answered busy,
// then every leg hangs up, so that every call ends and becomes a history row.

type HistoryExtra =
  | { k: "transfer"; call: number; to: number; kind: "blind" | "attended" }
  | { k: "busy"; from: number; to: number };

const historyExtraArb: fc.Arbitrary<HistoryExtra> = fc.oneof(
  fc.record({
    k: fc.constant("transfer" as const),
    call: idx,
    to: idx,
    kind: fc.constantFrom("blind" as const, "attended" as const),
  }),
  fc.record({ k: fc.constant("busy" as const), from: idx, to: idx }),
);

export interface HistoryScenario {
  directory: Directory;
  events: PbxEvent[];
  /** One per call that ended, in the order they ended. */
  rows: HistoryRow[];
}

/** Applies `base`, then the extras, then hangs up every leg left; the rows are the ended calls'. */
function endEveryCall(directory: Directory, base: readonly PbxEvent[], extras: readonly HistoryExtra[]) {
  const model = new LiveModel(directory);
  const events: PbxEvent[] = [];
  const rows: HistoryRow[] = [];
  let at = base.at(-1)?.at ?? T0;
  let seq = 0;
  const apply = (e: PbxEvent) => {
    events.push(e);
    for (const c of model.apply(e)) if (c.kind === "call-ended") rows.push(historyRow(c.call));
  };
  const hangup = (leg: string) => {
    at += 1000;
    apply({ type: "leg.hangup", pbx: PBX, at, leg, cause: 16, causeText: "Normal Clearing" });
  };
  const userLeg = (callId: string, user: User, outgoing: boolean): string => {
    const leg = `H${++seq}`;
    at += 1000;
    const endpoint = `PJSIP/${user.extension}`;
    apply({
      type: "leg.created",
      pbx: PBX,
      at,
      leg,
      callId,
      channel: `${endpoint}-${leg}`,
      endpoint,
      side: "internal",
      number: user.extension,
      name: user.name,
      outgoing,
    });
    return leg;
  };
  const answered = (leg: string) => {
    at += 1000;
    apply({ type: "leg.answered", pbx: PBX, at, leg });
  };
  for (const e of base) apply(e);
  const users = [...directory.users.values()];
  for (const x of extras) {
    if (x.k === "busy") {
      const caller = users[x.from % users.length] as User;
      const callee = users[x.to % users.length] as User;
      const callId = `HC${++seq}`;
      const a = userLeg(callId, caller, false);
      const b = userLeg(callId, callee, true);
      at += 1000;
      apply({ type: "dial.ended", pbx: PBX, at, caller: a, callee: b, status: "busy" });
      hangup(b);
      hangup(a);
      continue;
    }
    const calls = model.activeCalls().filter((c) => c.legs.length >= 2);
    const call = calls[x.call % Math.max(1, calls.length)];
    if (!call) continue;
    const transferer =
      call.legs.find((l) => l.user !== undefined) ?? (call.legs[0] as (typeof call.legs)[number]);
    const transferee = call.legs.find((l) => l !== transferer);
    const target = users[x.to % users.length] as User;
    if (x.kind === "attended") answered(userLeg(call.id, target, true));
    at += 1000;
    apply({
      type: "call.transferred",
      pbx: PBX,
      at,
      kind: x.kind,
      transferer: transferer.leg,
      ...(transferee ? { transferee: transferee.leg } : {}),
      destination: target.extension,
      success: true,
    });
    hangup(transferer.leg);
    if (x.kind === "blind") answered(userLeg(call.id, target, true));
  }
  // Every call ends: its party legs, then whatever is left on users' phones (supervisors' spy legs).
  for (const leg of model.activeCalls().flatMap((c) => c.legs.map((l) => l.leg))) hangup(leg);
  for (const u of users) for (const leg of model.legsOfUser(u.id).map((l) => l.id)) hangup(leg);
  return { events, rows };
}

/** A random directory and the history rows of random calls that all ended. */
export function historyScenarioArb(maxOps = 20): fc.Arbitrary<HistoryScenario> {
  return directoryArb().chain((directory) =>
    fc
      .tuple(fc.array(opArb, { maxLength: maxOps }), fc.array(historyExtraArb, { maxLength: 4 }))
      .map(([ops, extras]) => {
        const scenario: HistoryScenario = {
          directory,
          ...endEveryCall(directory, interpret(directory, ops), extras),
        };
        Object.defineProperty(scenario, fc.toStringMethod, {
          enumerable: false,
          value: () => describeScenario(scenario),
        });
        return scenario;
      }),
  );
}

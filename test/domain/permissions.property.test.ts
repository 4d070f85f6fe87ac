// Property tests for authorize against an oracle written from docs/design.md, "Rules for operations"
// (take over follows the listen/whisper/barge rule):
// - pickup of T's ringing call: V.operations.pickup and (same department or V in
//   T.pickupDelegates), and the call is ringing.
// - parked-call pickup: V.operations.parkedPickup, parked call from V's department(s).
// - send to IVR: V.operations.sendToIvr, T is V or in V's department.
// - listen/whisper/barge on T's call: the matching switch, a monitoring role, T in V's scope,
//   T's call answered.
// Admins may do everything, except that monitoring needs a role listed in
// directory.monitoringRoles (the configurable list: "supervisor or admin by default").
// A call that is acted on as "T's call" must be a call T is on.
// These tests decide with a viewer who sees everything (SEES_EVERYTHING): what a refusal may tell a viewer
// who sees less is test/api/refusal-oracle.property.test.ts's subject. An unknown target user is refused
// like a user the viewer may not act on (not-a-pickup-delegate / not-in-department), except for admins.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CALL_OPERATIONS,
  type CallOperation,
  type Directory,
  defaultSettings,
  makeDirectory,
  type Role,
  type User,
} from "../../src/domain/directory.js";
import type { CallView } from "../../src/domain/live-model.js";
import {
  authorize,
  type OperationTarget,
  type RefusalReason,
  SEES_EVERYTHING,
  type Sight,
} from "../../src/domain/permissions.js";
import { callViewArb, directoryArb, PBX, scenarioArb, T0 } from "./arbitraries.js";

const RUNS = { numRuns: 1000 };

function shareDept(a: User, b: User): boolean {
  return a.departments.some((d) => b.departments.includes(d));
}

interface Expectation {
  allowed: boolean;
  /** For each violated condition, the refusal reasons that describe it. */
  violations: { condition: string; reasons: RefusalReason[] }[];
}

function oracle(
  directory: Directory,
  viewerId: string,
  op: CallOperation,
  target: OperationTarget,
): Expectation {
  const violations: Expectation["violations"] = [];
  const fail = (condition: string, ...reasons: RefusalReason[]) => violations.push({ condition, reasons });
  const v = directory.users.get(viewerId);
  if (!v) {
    fail("viewer unknown", "unknown-viewer");
    return { allowed: false, violations };
  }
  const admin = v.role === "admin";
  const t = target.user === undefined ? undefined : directory.users.get(target.user);
  // Parked pickup names a call, not a user.
  if (target.user !== undefined && !t && op !== "parkedPickup") {
    if (admin) fail("target user unknown", "unknown-target");
    else fail("target user unknown", "unknown-target", "not-a-pickup-delegate", "not-in-department");
  }
  if (!admin && !v.settings.operations[op]) fail(`${op} switch off`, "operation-disabled");
  const call = target.call;
  const tLegs = (c: CallView, u: User) => c.legs.filter((l) => l.user === u.id);

  switch (op) {
    case "pickup": {
      if (!t) {
        fail("no target user", "unknown-target");
        break;
      }
      if (!admin && !shareDept(v, t) && !t.settings.pickupDelegates.includes(v.id))
        fail("not same department and not a delegate", "not-a-pickup-delegate", "not-in-department");
      if (!call) fail("no call", "no-call");
      else if (!tLegs(call, t).some((l) => l.state === "ringing"))
        fail("T's call is not ringing", "call-not-ringing", "no-call");
      break;
    }
    case "parkedPickup": {
      if (!call) {
        fail("no call", "unknown-call");
        break;
      }
      if (!call.parked || call.state !== "parked") fail("call not parked", "call-not-parked");
      const fromMyDepartment = call.parties.some((p) => {
        const u = p.user === undefined ? undefined : directory.users.get(p.user);
        return u !== undefined && shareDept(v, u);
      });
      if (!admin && !fromMyDepartment) fail("not parked from V's departments", "not-in-department");
      break;
    }
    case "sendToIvr": {
      if (!t) {
        fail("no target user", "unknown-target");
        break;
      }
      if (!admin && t.id !== v.id && !shareDept(v, t))
        fail("T is neither V nor in V's department", "not-in-department");
      if (!call) fail("no call", "no-call");
      else if (tLegs(call, t).length === 0) fail("the call is not T's call", "no-call", "not-in-department");
      break;
    }
    case "listen":
    case "whisper":
    case "barge":
    // Take over: the monitoring rules (a monitoring role, T in V's scope, T's answered call).
    case "takeOver": {
      if (!directory.monitoringRoles.includes(v.role)) fail("role may not monitor", "role-may-not-monitor");
      if (!t) {
        fail("no target user", "unknown-target");
        break;
      }
      if (!admin && !shareDept(v, t)) fail("T not in V's scope", "not-in-department");
      if (!call) fail("no call", "no-call");
      else {
        if (tLegs(call, t).length === 0) fail("the call is not T's call", "no-call", "not-in-department");
        if (!call.answered || call.state === "ringing") fail("call not answered", "call-not-answered");
      }
      break;
    }
  }
  return { allowed: violations.length === 0, violations };
}

/** A directory, a viewer, an operation and a target chosen to hit every branch often. */
const caseArb = directoryArb().chain((directory) => {
  const ids = [...directory.users.keys()];
  return fc
    .record({
      viewer: fc.oneof(
        { weight: 9, arbitrary: fc.constantFrom(...ids) },
        { weight: 1, arbitrary: fc.constant("ghost") },
      ),
      op: fc.constantFrom(...CALL_OPERATIONS),
      call: fc.option(callViewArb(directory), { freq: 6 }),
      targetKind: fc.constantFrom("user", "user", "user", "user", "none", "unknown"),
      pick: fc.nat(),
    })
    .map(({ viewer, op, call, targetKind, pick }) => {
      // The target user, when there is a call, is on it (a call that is not T's is the subject of
      // its own tests below, so that each failure has one cause).
      const onCall = (call?.legs ?? []).flatMap((l) => (l.user ? [l.user] : []));
      let user: string | undefined;
      if (targetKind === "unknown") user = "nobody";
      else if (targetKind !== "none" && call)
        user = onCall.length > 0 ? onCall[pick % onCall.length] : undefined;
      else if (targetKind !== "none") user = ids[pick % ids.length];
      const target: OperationTarget = {};
      if (user !== undefined) target.user = user;
      if (call) target.call = call;
      return { directory, viewer, op, target };
    });
});

describe("authorize (design.md operation rules)", () => {
  it("allows exactly what the oracle allows; refusals carry a reason describing a violated rule", () => {
    fc.assert(
      fc.property(caseArb, ({ directory, viewer, op, target }) => {
        const expected = oracle(directory, viewer, op, target);
        const decision = authorize(directory, viewer, op, target, SEES_EVERYTHING);
        const why = expected.violations.map((x) => x.condition).join("; ");
        expect(
          decision.allowed,
          `${viewer} ${op} on ${target.user ?? "-"}: ${why || "nothing violated"}`,
        ).toBe(expected.allowed);
        if (!decision.allowed) {
          expect(typeof decision.reason).toBe("string");
          expect(decision.reason.length).toBeGreaterThan(0);
          expect(typeof decision.message).toBe("string");
          expect(decision.message.length).toBeGreaterThan(0);
          const acceptable = expected.violations.flatMap((x) => x.reasons);
          expect(acceptable, `reason ${decision.reason} for: ${why}`).toContain(decision.reason);
        }
      }),
      RUNS,
    );
  });

  it("agrees with the oracle on calls taken from random live models", () => {
    fc.assert(
      fc.property(scenarioArb(), fc.constantFrom(...CALL_OPERATIONS), fc.nat(), (s, op, pick) => {
        const calls = s.model.activeCalls();
        for (const v of s.directory.users.values()) {
          for (const call of calls) {
            const users = call.legs.flatMap((l) => (l.user ? [l.user] : []));
            const target: OperationTarget = { call };
            if (users.length > 0) target.user = users[pick % users.length];
            const expected = oracle(s.directory, v.id, op, target);
            expect(
              authorize(s.directory, v.id, op, target, SEES_EVERYTHING).allowed,
              `${v.id} ${op} ${call.id}`,
            ).toBe(expected.allowed);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  // A viewer whose board does not show the target's calls (and no call ids).
  const BLIND: Sight = { callsOf: () => false, call: () => false };
  const ON_USERS: CallOperation[] = ["pickup", "sendToIvr", "listen", "whisper", "barge", "takeOver"];

  it("a refusal is the same whatever the target's call, for a viewer who does not see their calls", () => {
    fc.assert(
      fc.property(caseArb, ({ directory, viewer, op, target }) => {
        fc.pre(ON_USERS.includes(op) && target.user !== undefined && target.call !== undefined);
        // A viewer always sees their own calls, and admins everyone's: those are told the call's state.
        fc.pre(target.user !== viewer && directory.users.get(viewer)?.role !== "admin");
        const withCall = authorize(directory, viewer, op, target, BLIND);
        if (withCall.allowed) return;
        expect(withCall, `${viewer} ${op} on ${target.user} with call ${target.call?.id}`).toEqual(
          authorize(directory, viewer, op, { user: target.user as string }, BLIND),
        );
        expect(withCall.message).not.toContain(target.call?.id);
      }),
      RUNS,
    );
  }, 30_000);

  it("an unknown target is refused like any user the viewer may not act on (admins: unknown-target)", () => {
    fc.assert(
      fc.property(caseArb, ({ directory, viewer, op }) => {
        fc.pre(ON_USERS.includes(op) && directory.users.has(viewer));
        const ghost = authorize(directory, viewer, op, { user: "nobody" }, BLIND);
        expect(ghost.allowed).toBe(false);
        if (ghost.allowed) return;
        if (directory.users.get(viewer)?.role === "admin" && ghost.reason !== "role-may-not-monitor") {
          expect(ghost.reason).toBe("unknown-target");
          return;
        }
        const as = (d: typeof ghost, name: string) => ({
          ...d,
          message: d.message.replace(new RegExp(`\\b${name}\\b`, "g"), "<target>"),
        });
        for (const u of directory.users.keys()) {
          if (u === viewer) continue;
          const d = authorize(directory, viewer, op, { user: u }, BLIND);
          // Refused before any call is looked at: the viewer's rights on u. The unknown user looks the same.
          if (!d.allowed && d.reason !== "no-call") {
            expect(as(ghost, "nobody"), `${viewer} ${op}: nobody vs ${u}`).toEqual(as(d, u));
          }
        }
      }),
      RUNS,
    );
  }, 30_000);

  it("admins may pick up, pick up parked calls and send to IVR whatever their switches and departments", () => {
    fc.assert(
      fc.property(caseArb, ({ directory, viewer, op, target }) => {
        const v = directory.users.get(viewer);
        fc.pre(
          v !== undefined && v.role === "admin" && !["listen", "whisper", "barge", "takeOver"].includes(op),
        );
        const expected = oracle(directory, viewer, op, target);
        // Only facts about the call (no call, not ringing, not parked, not T's) may stop an admin.
        for (const x of expected.violations) {
          expect(x.reasons.some((r) => r === "operation-disabled" || r === "not-a-pickup-delegate")).toBe(
            false,
          );
        }
        expect(authorize(directory, viewer, op, target, SEES_EVERYTHING).allowed).toBe(expected.allowed);
      }),
      RUNS,
    );
  }, 30_000);

  it("example: a supervisor may not listen to another department's call by naming an idle colleague", () => {
    const settings = defaultSettings();
    settings.operations.listen = true;
    const user = (id: string, extension: string, role: Role, department: string): User => ({
      id,
      name: id,
      extension,
      pbx: PBX,
      devices: [],
      departments: [department],
      role,
      settings,
    });
    const directory = makeDirectory(
      [
        { id: "sales", name: "Sales" },
        { id: "hr", name: "HR" },
      ],
      [
        user("sup", "1005", "supervisor", "sales"),
        user("idle", "1001", "agent", "sales"),
        user("hr1", "2001", "agent", "hr"),
        user("hr2", "2002", "agent", "hr"),
      ],
    );
    const hrCall: CallView = {
      pbx: PBX,
      id: "C-HR",
      direction: "internal",
      state: "up",
      answered: true,
      startedAt: T0,
      answeredAt: T0 + 1000,
      legs: [
        { leg: "A", user: "hr1", number: "2001", external: false, state: "up", recording: false, since: T0 },
        { leg: "B", user: "hr2", number: "2002", external: false, state: "up", recording: false, since: T0 },
      ],
      parties: [
        { user: "hr1", number: "2001", external: false },
        { user: "hr2", number: "2002", external: false },
      ],
      talkers: [
        { user: "hr1", number: "2001", external: false },
        { user: "hr2", number: "2002", external: false },
      ],
      recording: false,
      recorded: false,
      monitoring: [],
    };
    // Sanity: naming the real party is refused (hr1 is not in sup's scope).
    expect(
      authorize(directory, "sup", "listen", { user: "hr1", call: hrCall }, SEES_EVERYTHING).allowed,
    ).toBe(false);
    // Naming an idle colleague of one's own department together with the HR call must be refused too.
    expect(
      authorize(directory, "sup", "listen", { user: "idle", call: hrCall }, SEES_EVERYTHING).allowed,
    ).toBe(false);
  });

  describe("the call acted on must be the target user's call", () => {
    // A caller of authorize passes both the user whose call it is and the call. Naming a colleague
    // one may act for together with somebody else's call must not authorize acting on that call.
    for (const op of ["pickup", "sendToIvr", "listen", "whisper", "barge"] as const) {
      it(`${op}: refused when T has no leg in the call`, () => {
        const mismatch = directoryArb().chain((directory) =>
          fc.record({
            directory: fc.constant(directory),
            call: callViewArb(directory),
            viewer: fc.constantFrom(...directory.users.keys()),
            user: fc.constantFrom(...directory.users.keys()),
          }),
        );
        fc.assert(
          fc.property(mismatch, ({ directory, call, viewer, user }) => {
            fc.pre(!call.legs.some((l) => l.user === user));
            // Admins may act on any call anyway; acting on one's own call needs nobody's permission.
            fc.pre(directory.users.get(viewer)?.role !== "admin");
            fc.pre(op !== "sendToIvr" || !call.legs.some((l) => l.user === viewer));
            const decision = authorize(directory, viewer, op, { user, call }, SEES_EVERYTHING);
            expect(
              decision.allowed,
              `${viewer} ${op} on ${user} with call ${call.id} that ${user} is not on`,
            ).toBe(false);
          }),
          { numRuns: 500 },
        );
      });
    }
  });
});

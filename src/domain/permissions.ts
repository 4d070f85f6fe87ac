// Who may do what to whose call. Every refusal carries a machine-readable reason.
//
// A refusal must not be an oracle: it tells the viewer nothing about people and calls their board does not
// show. So the viewer's rights (operation switch, monitoring role, department, pickup delegation) are
// decided first, from the directory alone, and an unknown target user is refused exactly like a user the
// viewer may not act on. Only then are calls looked at, and a refusal names a call's state only when the
// viewer sees that person's calls (Sight, from the board's rules in visibility.ts); otherwise it is the
// same whatever the target is doing. A refusal names a call id only when the viewer gave it.

import { type CallOperation, type Directory, shareDepartment, type User } from "./directory.js";
import type { CallView } from "./live-model.js";
import { OPERATION_BY_NAME } from "./operation-table.js";
import { pickupRelation } from "./pickup-right.js";
import { type BoardView, isAdmin } from "./visibility.js";

export type RefusalReason =
  | "unknown-viewer"
  | "unknown-target"
  | "unknown-call"
  | "operation-disabled"
  | "role-may-not-monitor"
  | "not-in-department"
  | "not-a-pickup-delegate"
  | "call-not-ringing"
  | "call-not-answered"
  | "call-not-parked"
  | "no-call"
  // Click-to-call (dial-right.ts): `to` is no usable number (400), or an outside number V may not dial (403).
  | "invalid-target"
  | "external-not-allowed";

export type Decision = { allowed: true } | { allowed: false; reason: RefusalReason; message: string };

export interface OperationTarget {
  /** The user whose call is acted on (pickup, IVR, monitoring, recording by user), as the viewer named them. */
  user?: string;
  /** The call id the viewer named (parked pickup, recording by call). */
  callId?: string;
  /** The call found for the request, as the model currently sees it: the target user's, or the named one. */
  call?: CallView;
}

/** What the viewer's board shows (see sightOf): a refusal tells the viewer only about these. */
export interface Sight {
  /** Whether the viewer sees if this user has calls (rule 2, themselves; admins everyone). */
  callsOf(user: string): boolean;
  /** Whether the viewer sees this call: its id is on their board (their own, one with details, a parked call offered to them). */
  call(callId: string): boolean;
}

/** A viewer's sight, read off their board (visibility.ts builds it from the rules). */
export function sightOf(view: BoardView | undefined): Sight {
  const withCalls = new Set<string>();
  const calls = new Set<string>();
  for (const person of view?.people ?? []) {
    if (!person.calls) continue;
    withCalls.add(person.id);
    for (const c of person.calls) if (c.call !== undefined) calls.add(c.call);
  }
  for (const p of view?.parked ?? []) calls.add(p.call);
  for (const m of view?.monitoring ?? []) calls.add(m.call);
  return { callsOf: (user) => withCalls.has(user), call: (id) => calls.has(id) };
}

/** Sees every call (e.g. for reasoning about the rules alone, as the domain tests do). */
export const SEES_EVERYTHING: Sight = { callsOf: () => true, call: () => true };

const ALLOW: Decision = { allowed: true };

function refuse(reason: RefusalReason, message: string): Decision {
  return { allowed: false, reason, message };
}

/** Listen, whisper, barge and take over need a monitoring role (the operation table says which). */
function needsMonitoringRole(operation: CallOperation): boolean {
  const entry = OPERATION_BY_NAME.get(operation);
  return entry !== undefined && entry.permission !== "recording" && entry.permission.monitoring;
}

export function authorize(
  directory: Directory,
  viewerId: string,
  operation: CallOperation,
  target: OperationTarget,
  sight: Sight,
): Decision {
  const v = directory.users.get(viewerId);
  if (!v) return refuse("unknown-viewer", `no user ${viewerId}`);
  const admin = isAdmin(v);
  // 1. The viewer's own rights: nothing about the target yet.
  if (!admin && !v.settings.operations[operation]) {
    return refuse("operation-disabled", `${v.id} may not ${operation}`);
  }
  if (needsMonitoringRole(operation) && !directory.monitoringRoles.includes(v.role)) {
    return refuse("role-may-not-monitor", `role ${v.role} may not ${operation}`);
  }
  if (operation === "parkedPickup") return authorizeParkedPickup(directory, v, target, sight, admin);
  // 2. May the viewer act on this user at all (department, delegation)? From the directory alone.
  const named = target.user;
  if (named === undefined) return refuse("unknown-target", `${operation} needs the user whose call it is`);
  const t = directory.users.get(named);
  const denied = rightsOn(v, t, named, operation, admin);
  if (denied) return denied;
  const user = t as User;
  // 3. The call. Its state is named only to a viewer who sees this person's calls.
  const sees = admin || sight.callsOf(user.id);
  const call = target.call;
  switch (operation) {
    case "pickup": {
      if (call?.legs.some((l) => l.user === user.id && l.state === "ringing")) return ALLOW;
      if (!sees) return refuse("no-call", `${user.id} has no ringing call to pick up`);
      if (!call) return refuse("no-call", `${user.id} has no call`);
      return refuse("call-not-ringing", `${user.id}'s call is not ringing`);
    }
    case "sendToIvr":
      if (call && onCallOf(call, user)) return ALLOW;
      return refuse("no-call", `${user.id} has no call`);
    default: {
      const mode = operation;
      if (call && onCallOf(call, user) && call.answered && call.state !== "ringing") return ALLOW;
      if (!sees) return refuse("no-call", `${user.id} has no answered call to ${mode}`);
      if (!call || !onCallOf(call, user)) return refuse("no-call", `${user.id} has no call`);
      return refuse("call-not-answered", `${user.id}'s call is not answered`);
    }
  }
}

/**
 * Whether V may act on T's calls at all. An unknown T is refused like a T that V may not act on, so that
 * the reply does not tell who exists; only an admin (who sees everyone) is told that there is no such user.
 */
function rightsOn(
  v: User,
  t: User | undefined,
  named: string,
  operation: Exclude<CallOperation, "parkedPickup">,
  admin: boolean,
): Decision | undefined {
  if (admin) return t ? undefined : refuse("unknown-target", `no user ${named}`);
  switch (operation) {
    case "pickup":
      if (t && pickupRelation(v, t)) return undefined;
      return refuse(
        "not-a-pickup-delegate",
        `${named} shares no department with ${v.id} and has not made ${v.id} a pickup delegate`,
      );
    case "sendToIvr":
      if (t && (t.id === v.id || shareDepartment(v, t))) return undefined;
      return refuse("not-in-department", `${named} is not in ${v.id}'s departments`);
    default:
      if (t && shareDepartment(v, t)) return undefined;
      return refuse("not-in-department", `${named} is not in ${v.id}'s scope`);
  }
}

function onCallOf(call: CallView, user: User): boolean {
  return call.legs.some((l) => l.user === user.id);
}

/** A call the viewer does not see is refused like a call that does not exist. */
function unknownCall(target: OperationTarget): Decision {
  return refuse("unknown-call", `no call ${target.callId ?? target.call?.id ?? "(none given)"}`);
}

function authorizeParkedPickup(
  directory: Directory,
  v: User,
  target: OperationTarget,
  sight: Sight,
  admin: boolean,
): Decision {
  const call = target.call;
  if (!call || !(admin || sight.call(call.id))) return unknownCall(target);
  if (!call.parked) return refuse("call-not-parked", `call ${call.id} is not parked`);
  if (admin) return ALLOW;
  const fromDepartment = call.parties.some((p) => {
    const u = p.user ? directory.users.get(p.user) : undefined;
    return u !== undefined && shareDepartment(v, u);
  });
  return fromDepartment
    ? ALLOW
    : refuse("not-in-department", `call ${call.id} was not parked from ${v.id}'s departments`);
}

/**
 * On-demand recording: anyone may record their own call; recording someone else's call needs a
 * monitoring role and that person in scope (admins may always). By user (`target.user`, the call being
 * that user's) or by call id (`target.callId`; a call the viewer does not see is an unknown call).
 */
export function authorizeRecording(
  directory: Directory,
  viewerId: string,
  target: OperationTarget,
  sight: Sight,
): Decision {
  const v = directory.users.get(viewerId);
  if (!v) return refuse("unknown-viewer", `no user ${viewerId}`);
  const admin = isAdmin(v);
  const monitors = directory.monitoringRoles.includes(v.role);
  const call = target.call;
  if (target.callId === undefined && target.user !== undefined) {
    const named = target.user;
    if (named !== v.id && !admin) {
      if (!monitors)
        return refuse("role-may-not-monitor", `role ${v.role} may not record other people's calls`);
      const t = directory.users.get(named);
      if (!t || !shareDepartment(v, t))
        return refuse("not-in-department", `${named} is not in ${v.id}'s scope`);
    }
    if (admin && !directory.users.has(named)) return refuse("unknown-target", `no user ${named}`);
    // Whether the named user has a call is theirs to know and the viewer's, who may record it.
    if (!call?.legs.some((l) => l.user === named)) return refuse("no-call", `${named} has no call`);
    return ALLOW;
  }
  if (!call || !(admin || sight.call(call.id))) return unknownCall(target);
  if (admin || call.legs.some((l) => l.user === v.id)) return ALLOW;
  if (!monitors) return refuse("role-may-not-monitor", `role ${v.role} may not record other people's calls`);
  const inScope = call.legs.some((l) => {
    const u = l.user ? directory.users.get(l.user) : undefined;
    return u !== undefined && shareDepartment(v, u);
  });
  return inScope ? ALLOW : refuse("not-in-department", `call ${call.id} is not in ${v.id}'s scope`);
}

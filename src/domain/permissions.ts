// Who may do what to whose call. Every refusal carries a machine-readable reason.

import {
  type Directory,
  type MonitoringMode,
  type Operation,
  shareDepartment,
  type User,
} from "./directory.js";
import type { CallView } from "./live-model.js";
import { isAdmin } from "./visibility.js";

export type RefusalReason =
  | "unknown-viewer"
  | "unknown-target"
  | "operation-disabled"
  | "role-may-not-monitor"
  | "not-in-department"
  | "not-a-pickup-delegate"
  | "call-not-ringing"
  | "call-not-answered"
  | "call-not-parked"
  | "no-call";

export type Decision = { allowed: true } | { allowed: false; reason: RefusalReason; message: string };

export interface OperationTarget {
  /** The user whose call is acted on (pickup, IVR, monitoring). */
  user?: string;
  /** The call, as the model currently sees it. */
  call?: CallView;
}

const ALLOW: Decision = { allowed: true };

function refuse(reason: RefusalReason, message: string): Decision {
  return { allowed: false, reason, message };
}

export function authorize(
  directory: Directory,
  viewerId: string,
  operation: Operation,
  target: OperationTarget,
): Decision {
  const v = directory.users.get(viewerId);
  if (!v) return refuse("unknown-viewer", `no user ${viewerId}`);
  const t = target.user === undefined ? undefined : directory.users.get(target.user);
  if (target.user !== undefined && !t) return refuse("unknown-target", `no user ${target.user}`);
  const admin = isAdmin(v);
  if (!admin && !v.settings.operations[operation]) {
    return refuse("operation-disabled", `${v.id} may not ${operation}`);
  }
  switch (operation) {
    case "pickup":
      return authorizePickup(v, t, target.call, admin);
    case "parkedPickup":
      return authorizeParkedPickup(directory, v, target.call, admin);
    case "sendToIvr":
      if (!t) return refuse("unknown-target", "send to IVR needs the user whose call it is");
      if (!target.call || !onCallOf(target.call, t)) return refuse("no-call", `${t.id} has no call`);
      if (!admin && t.id !== v.id && !shareDepartment(v, t)) {
        return refuse("not-in-department", `${t.id} is not in ${v.id}'s departments`);
      }
      return ALLOW;
    case "listen":
    case "whisper":
    case "barge":
      return authorizeMonitoring(directory, v, t, target.call, operation, admin);
  }
}

function onCallOf(call: CallView, user: User): boolean {
  return call.legs.some((l) => l.user === user.id);
}

function authorizePickup(v: User, t: User | undefined, call: CallView | undefined, admin: boolean): Decision {
  if (!t) return refuse("unknown-target", "pickup needs the user whose phone rings");
  if (!admin && !shareDepartment(v, t) && !t.settings.pickupDelegates.includes(v.id)) {
    return refuse("not-a-pickup-delegate", `${v.id} shares no department with ${t.id} and is not a delegate`);
  }
  if (!call) return refuse("no-call", `${t.id} has no call`);
  const ringing = call.legs.some((l) => l.user === t.id && l.state === "ringing");
  if (!ringing) return refuse("call-not-ringing", `${t.id}'s call is not ringing`);
  return ALLOW;
}

function authorizeParkedPickup(
  directory: Directory,
  v: User,
  call: CallView | undefined,
  admin: boolean,
): Decision {
  if (!call) return refuse("no-call", "no such parked call");
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

function authorizeMonitoring(
  directory: Directory,
  v: User,
  t: User | undefined,
  call: CallView | undefined,
  mode: MonitoringMode,
  admin: boolean,
): Decision {
  if (!directory.monitoringRoles.includes(v.role)) {
    return refuse("role-may-not-monitor", `role ${v.role} may not ${mode}`);
  }
  if (!t) return refuse("unknown-target", `${mode} needs the user to monitor`);
  if (!admin && !shareDepartment(v, t))
    return refuse("not-in-department", `${t.id} is not in ${v.id}'s scope`);
  if (!call || !onCallOf(call, t)) return refuse("no-call", `${t.id} has no call`);
  if (!call.answered || call.state === "ringing")
    return refuse("call-not-answered", `${t.id}'s call is not answered`);
  return ALLOW;
}

/**
 * On-demand recording: anyone may record their own call; recording someone else's call needs a
 * monitoring role and that person in scope (admins may always).
 */
export function authorizeRecording(
  directory: Directory,
  viewerId: string,
  target: OperationTarget,
): Decision {
  const v = directory.users.get(viewerId);
  if (!v) return refuse("unknown-viewer", `no user ${viewerId}`);
  if (!target.call) return refuse("no-call", "no such call");
  const onCall = target.call.legs.some((l) => l.user === v.id);
  if (onCall || isAdmin(v)) return ALLOW;
  if (!directory.monitoringRoles.includes(v.role)) {
    return refuse("role-may-not-monitor", `role ${v.role} may not record other people's calls`);
  }
  const inScope = target.call.legs.some((l) => {
    const u = l.user ? directory.users.get(l.user) : undefined;
    return u !== undefined && shareDepartment(v, u);
  });
  return inScope ? ALLOW : refuse("not-in-department", `call ${target.call.id} is not in ${v.id}'s scope`);
}

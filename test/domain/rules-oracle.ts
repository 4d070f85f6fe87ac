// The rules of what a viewer sees, written from the docs (docs/design.md, "Rules that decide what a viewer
// sees", and the README, "What a viewer sees") for the property tests. Deliberately independent of
// src/domain/visibility.ts: the tests compare the two.

import type { BoardMessage } from "../../src/api/board/board-hub.js";
import type { HistoryRow, SeenHistoryRow } from "../../src/domain/call-history.js";
import type { Directory, User } from "../../src/domain/directory.js";
import type { MonitoringView, ParkedCallView, PersonView } from "../../src/domain/visibility.js";

export function admin(u: User): boolean {
  return u.role === "admin";
}

export function shareDept(a: User, b: User): boolean {
  for (const d of a.departments) if (b.departments.includes(d)) return true;
  return false;
}

/** Rule 1 (+ rule 5: self, + admins see everything). */
export function mayPresence(v: User, t: User): boolean {
  if (v.id === t.id || admin(v)) return true;
  return v.settings.presence === true && t.settings.sharePresence === true && shareDept(v, t);
}

/** Rule 2 (+ 5, admins). */
export function mayCalls(v: User, t: User): boolean {
  if (v.id === t.id || admin(v)) return true;
  return mayPresence(v, t) && v.settings.calls === true;
}

/** Rule 3 (+ 5, admins). */
export function mayDetails(v: User, t: User): boolean {
  if (v.id === t.id || admin(v)) return true;
  return mayCalls(v, t) && t.settings.showMyCalls === true;
}

/** O1: may V pick up T's ringing calls? The pickup switch, and a shared department or V a pickup delegate of T. */
export function mayPickUp(v: User, t: User): boolean {
  if (admin(v)) return true;
  return (
    v.settings.operations.pickup === true && (shareDept(v, t) || t.settings.pickupDelegates.includes(v.id))
  );
}

/**
 * Rule P: who calls T, on T's ringing calls only, is shown to V when V sees T at all (rule 1), may pick up
 * T's ringing calls (O1) and T shows their calls — whether or not V sees T's calls otherwise (rule 2).
 * Colleagues among the callers as rule 3's other end allows. (Oneself and admins see everything anyway.)
 */
export function mayRingingCallers(v: User, t: User): boolean {
  if (v.id === t.id || admin(v)) return true;
  return mayPresence(v, t) && mayPickUp(v, t) && t.settings.showMyCalls === true;
}

/**
 * Rule 3, the other end: on a call between colleagues the stricter settings win. A colleague on a call is
 * identified (on anyone's tile but the viewer's own, in monitoring sessions, in recordings) only if they
 * share their presence and show their calls; otherwise they are "a colleague". Admins see everyone.
 */
export function mayIdentify(v: User, u: User | undefined): boolean {
  if (admin(v)) return true;
  return u !== undefined && u.settings.sharePresence === true && u.settings.showMyCalls === true;
}

/**
 * Rule 4: sessions are invisible to everyone except admins and the supervisors (monitoring roles) whose
 * scope (departments) covers the monitored user. The monitored user never sees them. The supervisor doing
 * the monitoring sees their own session.
 */
export function maySeeSession(
  directory: Directory,
  v: User,
  s: { by?: string | undefined; target?: string | undefined },
): boolean {
  if (s.by !== undefined && s.by === v.id) return true;
  if (s.target !== undefined && s.target === v.id) return false;
  if (admin(v)) return true;
  const t = s.target === undefined ? undefined : directory.users.get(s.target);
  if (!t) return false;
  return directory.monitoringRoles.includes(v.role) && shareDept(v, t);
}

/** The colleague an internal party names (by user, or by a number that is a colleague's extension). */
function colleaguesNamed(directory: Directory, p: { user?: string; number?: string }): (User | undefined)[] {
  if (p.user !== undefined) return [directory.users.get(p.user)];
  return [...directory.users.values()].filter((u) => p.number !== undefined && u.extension === p.number);
}

/** A party that carries anything beyond "a colleague" (`{ external: false }`). */
function identifies(p: { user?: string; number?: string; name?: string; external: boolean }): boolean {
  return p.user !== undefined || p.number !== undefined || p.name !== undefined;
}

const DETAIL_KEYS = ["call", "direction", "remote", "recording"] as const;

/** What in one person's view the viewer may not see (empty: nothing). */
export function forbiddenInPerson(directory: Directory, v: User, p: PersonView): string[] {
  const t = directory.users.get(p.id);
  if (!t) return [`${p.id}: not a user`];
  if (!mayPresence(v, t)) return [`${p.id}: presence (rule 1)`];
  const out: string[] = [];
  if (p.calls !== undefined && !mayCalls(v, t) && !mayRingingCallers(v, t))
    out.push(`${p.id}: calls (rule 2)`);
  for (const entry of p.calls ?? []) {
    for (const k of DETAIL_KEYS) if (k in entry && !mayDetails(v, t)) out.push(`${p.id}: call ${k} (rule 3)`);
    // Rule P shows ringing calls only, and on them who calls.
    if (!mayCalls(v, t) && entry.state !== "ringing")
      out.push(`${p.id}: a call ${entry.state} (rule 2, rule P)`);
    if ("callers" in entry && !mayRingingCallers(v, t)) out.push(`${p.id}: callers (rule P)`);
    if ("callers" in entry && entry.state !== "ringing")
      out.push(`${p.id}: callers of a ${entry.state} call (rule P)`);
    if (t.id === v.id) continue;
    for (const r of [...(entry.remote ?? []), ...(entry.callers ?? [])]) {
      if (r.external || !identifies(r)) continue;
      if (colleaguesNamed(directory, r).some((u) => !mayIdentify(v, u)))
        out.push(`${p.id}: colleague ${JSON.stringify(r)} on the other end (rule 3, stricter settings win)`);
    }
  }
  return out;
}

export function forbiddenInMonitoring(directory: Directory, v: User, m: MonitoringView): string[] {
  const out: string[] = [];
  if (!maySeeSession(directory, v, m)) out.push(`session on ${m.call} (rule 4)`);
  if (m.by !== undefined && m.by !== v.id && !mayIdentify(v, directory.users.get(m.by)))
    out.push(`session on ${m.call}: by ${m.by} (rule 3, stricter settings win)`);
  return out;
}

/**
 * Everything in a message that `viewer`'s rules under `directory` forbid. Checks presence, calls, details,
 * ringing calls' callers (rule P), the colleagues named on calls and in monitoring sessions, and the parked
 * party's and the parker's identity.
 */
export function forbiddenInMessage(directory: Directory, viewerId: string, message: BoardMessage): string[] {
  const v = directory.users.get(viewerId);
  if (!v) return [`${viewerId} is not a user`];
  const people: PersonView[] = [];
  const monitoring: MonitoringView[] = [];
  const parked: { user?: string; number?: string; name?: string; external: boolean }[] = [];
  const parkers: string[] = [];
  const parkedCall = (c: ParkedCallView) => {
    if (c.party) parked.push(c.party);
    if (c.by) parkers.push(c.by.user);
  };
  if (message.type === "snapshot") {
    people.push(...message.view.people);
    monitoring.push(...message.view.monitoring);
    for (const c of message.view.parked) parkedCall(c);
  } else if (message.type === "delta") {
    for (const d of message.deltas) {
      if (d.op === "person") people.push(d.person);
      else if (d.op === "monitoring") monitoring.push(...d.monitoring);
      else if (d.op === "parked") for (const c of d.parked) parkedCall(c);
    }
  }
  const out: string[] = [];
  for (const p of people) out.push(...forbiddenInPerson(directory, v, p));
  for (const m of monitoring) out.push(...forbiddenInMonitoring(directory, v, m));
  for (const p of parked) {
    if (p.external || !identifies(p)) continue;
    if (colleaguesNamed(directory, p).some((u) => u?.id !== v.id && !mayIdentify(v, u)))
      out.push(`parked colleague ${JSON.stringify(p)} (rule 3, stricter settings win)`);
  }
  // Who parked a call: named like a colleague on the other end of a call (oneself: always).
  for (const by of parkers) {
    if (by !== v.id && !mayIdentify(v, directory.users.get(by)))
      out.push(`parked by ${by} (rule 3, stricter settings win)`);
  }
  return out;
}

// ---- the call history: the board's rules on ended calls ------------------------------------------

/** Whether the viewer gets a history row at all: admins, a party of the call (rule 5), rule 2 on one of its users. */
export function mayHaveRow(directory: Directory, v: User, row: Pick<HistoryRow, "parties">): boolean {
  if (admin(v)) return true;
  return row.parties.some((p) => {
    if (p.user === undefined) return false;
    if (p.user === v.id) return true;
    const t = directory.users.get(p.user);
    return t !== undefined && mayCalls(v, t);
  });
}

/** A row's details: the call id, direction, recording flag, parties, pickups and transfers (rule 3). */
const HISTORY_DETAIL_KEYS = [
  "id",
  "pbx",
  "call",
  "direction",
  "recorded",
  "parties",
  "pickups",
  "transfers",
] as const;

/**
 * What in a viewer's view of a history row the rules forbid (empty: nothing). A row's details need rule 3 on
 * one of its users (or rule 5, or an admin); colleagues in them are named as rule 3's other end allows, but
 * on the viewer's own calls and for admins; a row without details names only someone whose calls the viewer
 * sees, and carries no outside number.
 */
export function forbiddenInHistoryRow(
  directory: Directory,
  v: User,
  row: HistoryRow,
  seen: SeenHistoryRow,
): string[] {
  if (!mayHaveRow(directory, v, row)) return [`${row.id}: the row (rule 2)`];
  const own = row.parties.some((p) => p.user === v.id);
  const users = row.parties.flatMap((p) => {
    const u = p.user === undefined ? undefined : directory.users.get(p.user);
    return u ? [u] : [];
  });
  const details = admin(v) || own || users.some((u) => mayDetails(v, u));
  const out: string[] = [];
  for (const k of HISTORY_DETAIL_KEYS) if (k in seen && !details) out.push(`${row.id}: ${k} (rule 3)`);
  if (seen.person) {
    const t = directory.users.get(seen.person.user);
    if (!t || !row.parties.some((p) => p.user === t.id) || !mayCalls(v, t))
      out.push(`${row.id}: person ${seen.person.user} (rule 2)`);
  }
  if (!admin(v) && !own) {
    const named = [
      ...(seen.parties ?? []),
      ...(seen.pickups ?? []).flatMap((p) => [p.by, p.from]),
      ...(seen.transfers ?? []).flatMap((t) => [t.by, t.to]),
    ];
    for (const p of named) {
      if (p === undefined || p.external || !identifies(p)) continue;
      if (colleaguesNamed(directory, p).some((u) => !mayIdentify(v, u)))
        out.push(`${row.id}: colleague ${JSON.stringify(p)} (rule 3, stricter settings win)`);
    }
  }
  if (!details) {
    const json = JSON.stringify(seen);
    for (const p of row.parties)
      if (p.external && p.number !== "" && json.includes(p.number))
        out.push(`${row.id}: outside number ${p.number} without details (rule 3)`);
  }
  return out;
}

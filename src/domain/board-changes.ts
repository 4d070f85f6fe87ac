// The change stream: which viewers a model change can affect, and what changed in their view.

import type { Directory } from "./directory.js";
import type { ModelChange } from "./live-model.js";
import type { BoardView, MonitoringView, ParkedCallView, PersonView } from "./visibility.js";
import { canSeePresence, isAdmin } from "./visibility.js";

export type BoardDelta =
  | { op: "person"; person: PersonView }
  | { op: "person-removed"; id: string }
  | { op: "monitoring"; monitoring: MonitoringView[] }
  | { op: "parked"; parked: ParkedCallView[] };

/** Users whose presence or calls a batch of model changes touches. */
export function touchedUsers(changes: readonly ModelChange[]): Set<string> {
  const users = new Set<string>();
  for (const c of changes) {
    if (c.kind === "presence") users.add(c.user);
    else if (c.kind === "call" || c.kind === "call-ended") {
      for (const p of c.call.parties) if (p.user) users.add(p.user);
      for (const s of c.call.monitoring) if (s.by) users.add(s.by);
    }
  }
  return users;
}

/** Viewers who might see any of these users (everyone else's view cannot have changed). */
export function affectedViewers(directory: Directory, users: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const v of directory.users.values()) {
    if (isAdmin(v) || users.has(v.id)) {
      out.push(v.id);
      continue;
    }
    for (const id of users) {
      const t = directory.users.get(id);
      if (t && canSeePresence(v, t)) {
        out.push(v.id);
        break;
      }
    }
  }
  return out;
}

/** What turns `before` into `after`, in terms the viewer is allowed to receive (both are their views). */
export function diffBoard(before: BoardView | undefined, after: BoardView): BoardDelta[] {
  const deltas: BoardDelta[] = [];
  const old = new Map((before?.people ?? []).map((p) => [p.id, p]));
  for (const person of after.people) {
    const prev = old.get(person.id);
    if (!prev || JSON.stringify(prev) !== JSON.stringify(person)) deltas.push({ op: "person", person });
    old.delete(person.id);
  }
  for (const id of old.keys()) deltas.push({ op: "person-removed", id });
  if (JSON.stringify(before?.monitoring ?? []) !== JSON.stringify(after.monitoring)) {
    deltas.push({ op: "monitoring", monitoring: after.monitoring });
  }
  if (JSON.stringify(before?.parked ?? []) !== JSON.stringify(after.parked)) {
    deltas.push({ op: "parked", parked: after.parked });
  }
  return deltas;
}

/** Applies deltas to a view (what a client does; also lets tests check that deltas add up). */
export function applyBoardDeltas(view: BoardView, deltas: readonly BoardDelta[]): BoardView {
  const people = new Map(view.people.map((p) => [p.id, p]));
  let { monitoring, parked } = view;
  for (const d of deltas) {
    if (d.op === "person") people.set(d.person.id, d.person);
    else if (d.op === "person-removed") people.delete(d.id);
    else if (d.op === "monitoring") monitoring = d.monitoring;
    else parked = d.parked;
  }
  const order = [...people.values()];
  return { viewer: view.viewer, people: order, monitoring, parked };
}

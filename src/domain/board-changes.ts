// The change stream: which viewers a model change can affect, and what changed in their view.

import { type Directory, shareDepartment, type User } from "./directory.js";
import type { ModelChange } from "./live-model.js";
import type { PbxLink } from "./pbx-links.js";
import type {
  BoardView,
  DepartmentName,
  MonitoringView,
  ParkedCallView,
  PersonView,
  QueueView,
  ViewerRights,
} from "./visibility.js";
import { isAdmin } from "./visibility.js";

export type BoardDelta =
  | { op: "person"; person: PersonView }
  | { op: "person-removed"; id: string }
  | { op: "monitoring"; monitoring: MonitoringView[] }
  | { op: "parked"; parked: ParkedCallView[] }
  | { op: "may"; may: ViewerRights }
  | { op: "links"; links: readonly PbxLink[] }
  /** The names of the departments the board now names (a person came or went, or a name changed). */
  | { op: "departments"; departments: readonly DepartmentName[] }
  /** The queue panels, whole (a caller came or went, an agent paused, a counter moved). */
  | { op: "queues"; queues: QueueView[] };

/** Users whose presence or calls a batch of model changes touches. */
export function touchedUsers(changes: readonly ModelChange[]): Set<string> {
  const users = new Set<string>();
  for (const c of changes) {
    if (c.kind === "presence") users.add(c.user);
    else if (c.kind === "call" || c.kind === "call-ended") {
      for (const p of c.call.parties) if (p.user) users.add(p.user);
      for (const s of c.call.monitoring) if (s.by) users.add(s.by);
    } else if (c.kind === "call-gone") {
      for (const u of c.users) users.add(u);
    }
  }
  return users;
}

/**
 * Viewers who might see any of these users (everyone else's view cannot have changed). With `among`, only
 * those viewers are considered (e.g. the connected ones) instead of the whole directory.
 */
export function affectedViewers(
  directory: Directory,
  users: ReadonlySet<string>,
  among?: Iterable<string>,
): string[] {
  const out: string[] = [];
  const candidates: Iterable<User> = among
    ? [...among].flatMap((id) => directory.users.get(id) ?? [])
    : directory.users.values();
  for (const v of candidates) {
    if (isAdmin(v) || users.has(v.id)) {
      out.push(v.id);
      continue;
    }
    // Every rule but "admins" and "yourself" needs a shared department (presence, calls, monitoring
    // sessions, parked calls), so a shared department is what can make a change visible.
    for (const id of users) {
      const t = directory.users.get(id);
      if (t && shareDepartment(v, t)) {
        out.push(v.id);
        break;
      }
    }
  }
  return out;
}

/**
 * Viewers (among `viewers`) for whom a directory change can change what they may see: their own user (role,
 * departments, settings), or anything the rules read about others — who exists and which phones and numbers
 * are theirs, `sharePresence` and `showMyCalls` (rule 3: a colleague on anyone's call), the monitoring roles,
 * and the departments of people they shared or share a department with. Deltas computed before such a change
 * may carry what the viewer may no longer see (BoardHub drops them from its resume log). Conservative: a
 * change that only widens what they see counts too.
 */
export function viewersWhoseRulesChanged(
  before: Directory,
  after: Directory,
  viewers: Iterable<string>,
): Set<string> {
  const out = new Set<string>();
  if (before === after) return out;
  const everyone =
    before.users.size !== after.users.size ||
    JSON.stringify(before.monitoringRoles) !== JSON.stringify(after.monitoringRoles) ||
    [...before.users.values()].some((u) => {
      const now = after.users.get(u.id);
      return now === undefined || JSON.stringify(seenOfOthers(u)) !== JSON.stringify(seenOfOthers(now));
    });
  const moved: [User, User][] = [];
  for (const u of before.users.values()) {
    const now = after.users.get(u.id);
    if (now && JSON.stringify(u.departments) !== JSON.stringify(now.departments)) moved.push([u, now]);
  }
  for (const id of viewers) {
    const was = before.users.get(id);
    const now = after.users.get(id);
    if (
      everyone ||
      !was ||
      !now ||
      JSON.stringify(was) !== JSON.stringify(now) ||
      // (Their own departments are the same here.)
      moved.some(([a, b]) => shareDepartment(now, a) || shareDepartment(now, b))
    )
      out.add(id);
  }
  return out;
}

/** What the rules read about a user when someone else views them (besides their departments). */
function seenOfOthers(u: User): unknown[] {
  return [u.extension, u.pbx, u.devices, u.settings.sharePresence, u.settings.showMyCalls];
}

/**
 * What turns `before` into `after`, in terms the viewer is allowed to receive (both are their views).
 * `serialized` lets many diffs (BoardHub.flush) serialize each part of a view once: views are never changed
 * once built, and viewers with the same rights on a person share that PersonView (see PartText in
 * api/board/board-messages.ts).
 */
export function diffBoard(
  before: BoardView | undefined,
  after: BoardView,
  serialized?: { get(part: object): string | undefined; set(part: object, text: string): unknown },
): BoardDelta[] {
  const json = (part: object): string => {
    let text = serialized?.get(part);
    if (text === undefined) {
      text = JSON.stringify(part);
      serialized?.set(part, text);
    }
    return text;
  };
  const deltas: BoardDelta[] = [];
  const was = before?.people ?? [];
  const now = after.people;
  // Views of one viewer list the same people in the same order until their rights change: compare place
  // by place, and match by id only when the lists differ in who is on them.
  let sameOrder = was.length === now.length;
  for (let i = 0; sameOrder && i < now.length; i++)
    sameOrder = (was[i] as PersonView).id === (now[i] as PersonView).id;
  if (sameOrder) {
    for (let i = 0; i < now.length; i++) {
      const prev = was[i] as PersonView;
      const person = now[i] as PersonView;
      if (prev !== person && json(prev) !== json(person)) deltas.push({ op: "person", person });
    }
  } else {
    const old = new Map(was.map((p) => [p.id, p]));
    for (const person of now) {
      const prev = old.get(person.id);
      if (!prev || (prev !== person && json(prev) !== json(person))) deltas.push({ op: "person", person });
      old.delete(person.id);
    }
    for (const id of old.keys()) deltas.push({ op: "person-removed", id });
  }
  if (json(before?.monitoring ?? []) !== json(after.monitoring)) {
    deltas.push({ op: "monitoring", monitoring: after.monitoring });
  }
  if (json(before?.parked ?? []) !== json(after.parked)) {
    deltas.push({ op: "parked", parked: after.parked });
  }
  if (!before || JSON.stringify(before.may) !== JSON.stringify(after.may))
    deltas.push({ op: "may", may: after.may });
  if (before?.links !== after.links && json(before?.links ?? []) !== json(after.links))
    deltas.push({ op: "links", links: after.links });
  if (
    before?.departments !== after.departments &&
    json(before?.departments ?? []) !== json(after.departments)
  )
    deltas.push({ op: "departments", departments: after.departments });
  if (json(before?.queues ?? []) !== json(after.queues)) deltas.push({ op: "queues", queues: after.queues });
  return deltas;
}

/** Applies deltas to a view (what a client does; also lets tests check that deltas add up). */
export function applyBoardDeltas(view: BoardView, deltas: readonly BoardDelta[]): BoardView {
  const people = new Map(view.people.map((p) => [p.id, p]));
  let { monitoring, parked, may, links, departments, queues } = view;
  for (const d of deltas) {
    if (d.op === "person") people.set(d.person.id, d.person);
    else if (d.op === "person-removed") people.delete(d.id);
    else if (d.op === "monitoring") monitoring = d.monitoring;
    else if (d.op === "parked") parked = d.parked;
    else if (d.op === "links") links = d.links;
    else if (d.op === "departments") departments = d.departments;
    else if (d.op === "queues") queues = d.queues;
    else may = d.may;
  }
  const order = [...people.values()];
  return { viewer: view.viewer, may, people: order, departments, monitoring, parked, links, queues };
}

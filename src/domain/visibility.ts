// What a viewer may see. This is a security boundary: views are built from scratch per viewer
// and only ever copy fields the rules in docs/design allow; nothing is hidden after the fact.

import type {
  BoardView,
  DepartmentName,
  MonitoringView,
  ParkedCallView,
  PersonCallView,
  PersonView,
  ViewerRights,
} from "./board-view.js";
import { type Directory, type Operation, shareDepartment, type User } from "./directory.js";
import type { CallView, LiveModel } from "./live-model.js";
import { SWITCHED_OPERATIONS } from "./operation-table.js";
import { identifiesAsParty, seenParty } from "./party-visibility.js";
import type { PbxLink } from "./pbx-links.js";
import { mayPickUpCallsOf } from "./pickup-right.js";
import { queuesFor } from "./queue-view.js";

export type {
  BoardView,
  DepartmentName,
  MonitoringView,
  ParkedCallView,
  PersonCallView,
  PersonView,
  QueueView,
  SeenParty,
  ViewerRights,
} from "./board-view.js";

export function isAdmin(user: User): boolean {
  return user.role === "admin";
}

/** Rule 1 (and 5): may V see T's presence? */
export function canSeePresence(v: User, t: User): boolean {
  if (v.id === t.id || isAdmin(v)) return true;
  return v.settings.presence && t.settings.sharePresence && shareDepartment(v, t);
}

/** Rule 2: may V see that T has calls? */
export function canSeeCalls(v: User, t: User): boolean {
  if (v.id === t.id || isAdmin(v)) return true;
  return canSeePresence(v, t) && v.settings.calls;
}

/** Rule 3: may V see whom T talks to? */
export function canSeeCallDetails(v: User, t: User): boolean {
  if (v.id === t.id || isAdmin(v)) return true;
  return canSeeCalls(v, t) && t.settings.showMyCalls;
}

/**
 * Rule P: may V see who calls T on T's ringing calls (and those calls), whatever rule 2 says? When V sees T
 * (rule 1), may pick up T's ringing calls (O1, pickup-right.ts) and T shows their calls. Only ringing calls.
 */
export function canSeeRingingCallers(v: User, t: User): boolean {
  if (v.id === t.id || isAdmin(v)) return true;
  return canSeePresence(v, t) && mayPickUpCallsOf(v, t) && t.settings.showMyCalls;
}

/** Rule 3, the other end: may V see who colleague U is when U is a party of a call V sees? (Admins: always.) */
export function canIdentifyParty(v: User, u: User | undefined): boolean {
  return isAdmin(v) || (u !== undefined && identifiesAsParty(u));
}

/** Rule 4: may V see monitoring sessions on T? (Never the monitored user; the supervisor sees their own.) */
export function canSeeMonitoringOf(v: User, t: User | undefined, directory: Directory, by?: string): boolean {
  if (by !== undefined && v.id === by) return true;
  // "The monitored user never sees them", admins included.
  if (t && v.id === t.id) return false;
  if (isAdmin(v)) return true;
  if (!t) return false;
  return directory.monitoringRoles.includes(v.role) && shareDepartment(v, t);
}

/**
 * `moment` defaults to a fresh one. A caller building many views at one moment (BoardHub.flush) passes the
 * same moment to each: the calls are then indexed once, and viewers with the same rights on a person
 * (presence only; calls; calls with details) get the same PersonView object, built once by the rules
 * below. Views are never changed once built.
 */
export function viewFor(
  directory: Directory,
  model: LiveModel,
  viewerId: string,
  moment: BoardMoment = new BoardMoment(directory, model),
): BoardView | undefined {
  const viewer = directory.users.get(viewerId);
  if (!viewer) return undefined;
  const at = moment.forDirectory(directory);
  const people: PersonView[] = [];
  const named = new Set<string>();
  // Presence needs a shared department (rule 1) except for oneself and admins: only those are candidates.
  for (const t of candidatesFor(directory, viewer)) {
    if (!canSeePresence(viewer, t)) continue;
    const seeCalls = canSeeCalls(viewer, t);
    const details = seeCalls && canSeeCallDetails(viewer, t);
    const full = viewer.id === t.id || isAdmin(viewer);
    // Rule P adds to presence only: with rule 2 it needs showMyCalls, and then rule 3 gives the details.
    const ringing = !seeCalls && canSeeRingingCallers(viewer, t);
    people.push(at.person(t, full ? 3 : seeCalls ? (details ? 2 : 1) : ringing ? RINGING_CALLERS : 0));
    for (const d of t.departments) named.add(d);
  }
  const monitoring: MonitoringView[] = [];
  for (const call of at.monitoredCalls) {
    for (const s of call.monitoring) {
      if (s.endedAt !== undefined) continue;
      const target = s.target ? directory.users.get(s.target) : undefined;
      if (!canSeeMonitoringOf(viewer, target, directory, s.by)) continue;
      const m: MonitoringView = { call: call.id, mode: s.mode, startedAt: s.startedAt };
      // The supervisor is a party of the call: named only as rule 3 allows (their own session: always).
      if (s.by && (s.by === viewer.id || canIdentifyParty(viewer, directory.users.get(s.by)))) m.by = s.by;
      if (s.target) m.target = s.target;
      monitoring.push(m);
    }
  }
  return {
    viewer: viewer.id,
    may: rightsOf(viewer, directory),
    people,
    departments: departmentNames(directory, named),
    monitoring,
    parked: parkedFor(viewer, directory, at.parkedCalls),
    links: at.links,
    queues: queuesFor(viewer, directory, model),
  };
}

export function rightsOf(viewer: User, directory: Directory): ViewerRights {
  const admin = isAdmin(viewer);
  const ops = viewer.settings.operations;
  const monitors = directory.monitoringRoles.includes(viewer.role);
  // Each switch of the operation table; those that monitor need a monitoring role too.
  const may = {} as Record<Operation, boolean>;
  for (const op of SWITCHED_OPERATIONS) {
    may[op.switch] = (monitors || !op.monitoring) && (admin || ops[op.switch]);
  }
  return { ...may, recordOthers: admin || monitors };
}

/**
 * 0: presence only, 1: with calls, 2: with call details (colleagues as rule 3 allows), 3: in full (oneself,
 * admins), 4 (RINGING_CALLERS): presence and the ringing calls with their callers (rule P).
 */
type Rights = 0 | 1 | 2 | 3 | typeof RINGING_CALLERS;
const RINGING_CALLERS = 4;

/** What changed since an earlier moment (see BoardMoment). */
export interface BoardCarryOver {
  from: BoardMoment;
  /** Every user whose presence or calls changed. */
  changed: ReadonlySet<string>;
  /** Every call that changed (`callKey`), with its view now, or undefined once it ended or vanished. */
  changedCalls: ReadonlyMap<string, CallView | undefined>;
}

export function callKey(pbx: string, id: string): string {
  return `${pbx}\u0000${id}`;
}

/** Whether any changed call is, or was at `from`, monitored or parked (else `from`'s lists still hold). */
function touchesMonitoringOrParking(
  changedCalls: ReadonlyMap<string, CallView | undefined> | undefined,
  from: BoardMoment,
): boolean {
  if (!changedCalls) return true;
  if (changedCalls.size === 0) return false;
  for (const call of changedCalls.values()) {
    if (call && (call.monitoring.length > 0 || call.parked !== undefined)) return true;
  }
  for (const call of [...from.monitoredCalls, ...from.parkedCalls]) {
    if (changedCalls.has(callKey(call.pbx, call.id))) return true;
  }
  return false;
}

/**
 * The model at one moment, as views see it. Person views are built on demand, once per level of rights,
 * and shared by every view built from this moment. `carryOver` starts a moment from an earlier one:
 * person views of users not named in `changed` are kept (the same objects, so unchanged people compare by
 * identity), which is right only if `changed` names every user whose presence or calls changed in between
 * (the users a batch of model changes touches) and the directory is the same object.
 */
export class BoardMoment {
  /** Calls with a monitoring session and parked calls: the only ones rule 4 and parked pickup look at. */
  readonly monitoredCalls: readonly CallView[];
  readonly parkedCalls: readonly CallView[];
  readonly links: readonly PbxLink[];
  private readonly people: Map<string, PersonView>[] = [
    new Map(),
    new Map(),
    new Map(),
    new Map(),
    new Map(),
  ];
  private directory: Directory;

  constructor(
    directory: Directory,
    private readonly model: LiveModel,
    carryOver?: BoardCarryOver,
  ) {
    this.directory = directory;
    this.links = model.pbxLinks();
    const from = carryOver && carryOver.from.directory === directory ? carryOver.from : undefined;
    if (from && !touchesMonitoringOrParking(carryOver?.changedCalls, from)) {
      this.monitoredCalls = from.monitoredCalls;
      this.parkedCalls = from.parkedCalls;
    } else {
      const special = model.monitoredOrParkedCalls();
      this.monitoredCalls = special.filter((c) => c.monitoring.length > 0);
      this.parkedCalls = special.filter((c) => c.parked !== undefined);
    }
    if (from && carryOver) {
      for (let r = 0; r < this.people.length; r++) {
        const mine = this.people[r] as Map<string, PersonView>;
        for (const [id, person] of from.people[r] as Map<string, PersonView>) {
          if (!carryOver.changed.has(id)) mine.set(id, person);
        }
      }
    }
  }

  /** This moment for `directory`: person views built for another directory are dropped. */
  forDirectory(directory: Directory): BoardMoment {
    if (directory !== this.directory) {
      this.directory = directory;
      for (const built of this.people) built.clear();
    }
    return this;
  }

  person(t: User, rights: Rights): PersonView {
    const built = this.people[rights] as Map<string, PersonView>;
    let person = built.get(t.id);
    if (!person) {
      person = {
        id: t.id,
        name: t.name,
        extension: t.extension,
        departments: [...t.departments],
        presence: this.model.presenceOf(t.id),
      };
      if (rights === RINGING_CALLERS) {
        const ringing = ringingCallsOf(this.model.callsOfUser(t.id), t, this.directory);
        if (ringing.length > 0) person.calls = ringing;
      } else if (rights > 0)
        person.calls = callsOfPerson(this.model.callsOfUser(t.id), t, rights, this.directory);
      built.set(t.id, person);
    }
    return person;
  }
}

interface Candidates {
  all: readonly User[];
  byDepartments: Map<string, readonly User[]>;
  position: Map<string, number>;
}

const candidateIndex = new WeakMap<Directory, Candidates>();

/** Everyone the viewer could possibly see, in directory order: all users for admins, else their departments. */
function candidatesFor(directory: Directory, viewer: User): readonly User[] {
  let index = candidateIndex.get(directory);
  if (!index) {
    const all = [...directory.users.values()];
    index = { all, byDepartments: new Map(), position: new Map(all.map((u, i) => [u.id, i])) };
    candidateIndex.set(directory, index);
  }
  if (isAdmin(viewer)) return index.all;
  const key =
    viewer.departments.length === 0 ? `\u0001${viewer.id}` : [...viewer.departments].sort().join("\u0000");
  let list = index.byDepartments.get(key);
  if (!list) {
    const wanted = new Set(viewer.departments);
    list = index.all.filter((u) => u.id === viewer.id || u.departments.some((d) => wanted.has(d)));
    index.byDepartments.set(key, list);
  }
  return list;
}

function callsOfPerson(
  calls: readonly CallView[],
  t: User,
  rights: Rights,
  directory: Directory,
): PersonCallView[] {
  const details = rights >= 2;
  const out: PersonCallView[] = [];
  for (const call of calls) {
    for (const leg of call.legs) {
      if (leg.user !== t.id) continue;
      const entry: PersonCallView = { state: leg.state, since: leg.since };
      if (details) {
        entry.call = call.id;
        entry.direction = call.direction;
        entry.remote = call.legs
          .filter((l) => l.leg !== leg.leg && l.user !== t.id)
          // In full (3) for oneself and admins; else the colleagues on the other end as rule 3 allows.
          .map((l) => seenParty(directory, l, rights === 3));
        entry.recording = call.recording;
      }
      out.push(entry);
    }
  }
  return out;
}

/**
 * Rule P: a person's ringing legs, each with who calls (the call's legs that are not theirs and not ringing:
 * other phones a ring group rings are not callers), colleagues as rule 3's other end allows.
 */
function ringingCallsOf(calls: readonly CallView[], t: User, directory: Directory): PersonCallView[] {
  const out: PersonCallView[] = [];
  for (const call of calls) {
    for (const leg of call.legs) {
      if (leg.user !== t.id || leg.state !== "ringing") continue;
      const callers = call.legs
        .filter((l) => l.user !== t.id && l.state !== "ringing")
        .map((l) => seenParty(directory, l, false));
      out.push({ state: leg.state, since: leg.since, callers });
    }
  }
  return out;
}

const departmentLists = new WeakMap<Directory, Map<string, readonly DepartmentName[]>>();

/**
 * The names of departments `ids`, in directory order (ids the directory does not know are left out). One
 * list per directory and set of ids, shared by every view that names the same departments.
 */
function departmentNames(directory: Directory, ids: ReadonlySet<string>): readonly DepartmentName[] {
  let lists = departmentLists.get(directory);
  if (!lists) {
    lists = new Map();
    departmentLists.set(directory, lists);
  }
  const key = [...ids].sort().join("\u0000");
  let list = lists.get(key);
  if (!list) {
    list = [...directory.departments.values()]
      .filter((d) => ids.has(d.id))
      .map((d) => ({ id: d.id, name: d.name }));
    lists.set(key, list);
  }
  return list;
}

/** Parked calls are offered to those who may pick them up: parked from their department(s). */
function parkedFor(viewer: User, directory: Directory, calls: readonly CallView[]): ParkedCallView[] {
  const out: ParkedCallView[] = [];
  for (const call of calls) {
    if (!call.parked) continue;
    const internal = call.parties
      .map((p) => (p.user ? directory.users.get(p.user) : undefined))
      .filter((u): u is User => u !== undefined);
    const mayPickUp =
      isAdmin(viewer) ||
      (viewer.settings.operations.parkedPickup && internal.some((u) => shareDepartment(viewer, u)));
    if (!mayPickUp) continue;
    const parked = call.legs.find((l) => l.state === "parked");
    const view: ParkedCallView = {
      call: call.id,
      lot: call.parked.lot,
      space: call.parked.space,
      since: call.parkedAt ?? call.startedAt,
    };
    const details = isAdmin(viewer) || internal.some((u) => canSeeCallDetails(viewer, u));
    if (details && parked) view.party = seenParty(directory, parked, isAdmin(viewer));
    // Who parked it: a colleague, named as rule 3's other end allows (like a monitoring session's supervisor).
    const parker = call.parkedBy === undefined ? undefined : directory.users.get(call.parkedBy);
    if (parker && (parker.id === viewer.id || canIdentifyParty(viewer, parker)))
      view.by = { user: parker.id, name: parker.name };
    out.push(view);
  }
  return out;
}

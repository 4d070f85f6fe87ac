// What a viewer may see. This is a security boundary: views are built from scratch per viewer
// and only ever copy fields the rules in docs/design allow; nothing is hidden after the fact.

import type { Party } from "./calls.js";
import { type Directory, shareDepartment, type User } from "./directory.js";
import type { CallView, LegView, LiveModel } from "./live-model.js";
import type { Presence } from "./presence.js";

export interface PersonCallView {
  /** This person's leg state in the call. */
  state: "dialing" | "ringing" | "up" | "held" | "parked";
  /** When this person's leg started ringing or dialling (not the call's start: that would link colleagues). */
  since: number;
  /** Present only with details (rule 3) or for the viewer's own calls. */
  call?: string;
  direction?: CallView["direction"];
  remote?: Party[];
  recording?: boolean;
}

export interface PersonView {
  id: string;
  name: string;
  extension: string;
  departments: string[];
  presence: Presence;
  /** Present when the viewer may see this person's calls (rule 2). */
  calls?: PersonCallView[];
}

export interface MonitoringView {
  call: string;
  by?: string;
  target?: string;
  mode: "listen" | "whisper" | "barge";
  startedAt: number;
}

export interface ParkedCallView {
  call: string;
  lot: string;
  space: string;
  since: number;
  /** The parked party, when the viewer may see the call's details. */
  party?: Party;
}

export interface BoardView {
  viewer: string;
  people: PersonView[];
  monitoring: MonitoringView[];
  parked: ParkedCallView[];
}

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
 * `calls` defaults to the model's active calls. A caller building many views at one moment (BoardHub.flush)
 * passes the same array, taken from the model at that moment, to each: the calls are then indexed once, and
 * viewers with the same rights on a person (presence only; calls; calls with details) get the same
 * PersonView object, built once by the rules below. Views are never changed once built.
 */
export function viewFor(
  directory: Directory,
  model: LiveModel,
  viewerId: string,
  calls: readonly CallView[] = model.activeCalls(),
): BoardView | undefined {
  const viewer = directory.users.get(viewerId);
  if (!viewer) return undefined;
  const moment = momentOf(calls);
  const people: PersonView[] = [];
  for (const t of directory.users.values()) {
    if (!canSeePresence(viewer, t)) continue;
    const seeCalls = canSeeCalls(viewer, t);
    const details = seeCalls && canSeeCallDetails(viewer, t);
    const built = moment.people[seeCalls ? (details ? 2 : 1) : 0];
    let person = built.get(t.id);
    if (!person) {
      person = {
        id: t.id,
        name: t.name,
        extension: t.extension,
        departments: [...t.departments],
        presence: model.presenceOf(t.id),
      };
      if (seeCalls) person.calls = callsOfPerson(moment.legs.get(t.id) ?? [], t, details);
      built.set(t.id, person);
    }
    people.push(person);
  }
  const monitoring: MonitoringView[] = [];
  for (const call of calls) {
    for (const s of call.monitoring) {
      if (s.endedAt !== undefined) continue;
      const target = s.target ? directory.users.get(s.target) : undefined;
      if (!canSeeMonitoringOf(viewer, target, directory, s.by)) continue;
      const m: MonitoringView = { call: call.id, mode: s.mode, startedAt: s.startedAt };
      if (s.by) m.by = s.by;
      if (s.target) m.target = s.target;
      monitoring.push(m);
    }
  }
  return { viewer: viewer.id, people, monitoring, parked: parkedFor(viewer, directory, calls) };
}

type UserLeg = { call: CallView; leg: LegView };

interface Moment {
  /** Each user's legs, in call and leg order. */
  legs: Map<string, UserLeg[]>;
  /** Person views built so far, by rights: [presence only, with calls, with call details]. */
  people: [Map<string, PersonView>, Map<string, PersonView>, Map<string, PersonView>];
}

/** What views built from one `calls` array share (kept as long as the array lives). */
const moments = new WeakMap<readonly CallView[], Moment>();

function momentOf(calls: readonly CallView[]): Moment {
  let moment = moments.get(calls);
  if (moment) return moment;
  const legs = new Map<string, UserLeg[]>();
  for (const call of calls) {
    for (const leg of call.legs) {
      if (leg.user === undefined) continue;
      const list = legs.get(leg.user);
      if (list) list.push({ call, leg });
      else legs.set(leg.user, [{ call, leg }]);
    }
  }
  moment = { legs, people: [new Map(), new Map(), new Map()] };
  moments.set(calls, moment);
  return moment;
}

function callsOfPerson(legs: readonly UserLeg[], t: User, details: boolean): PersonCallView[] {
  const out: PersonCallView[] = [];
  for (const { call, leg } of legs) {
    const entry: PersonCallView = { state: leg.state, since: leg.since };
    if (details) {
      entry.call = call.id;
      entry.direction = call.direction;
      entry.remote = call.legs
        .filter((l) => l.leg !== leg.leg && l.user !== t.id)
        .map((l) => {
          const p: Party = { number: l.number, external: l.external };
          if (l.user) p.user = l.user;
          if (l.name) p.name = l.name;
          return p;
        });
      entry.recording = call.recording;
    }
    out.push(entry);
  }
  return out;
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
      since: call.startedAt,
    };
    const details = isAdmin(viewer) || internal.some((u) => canSeeCallDetails(viewer, u));
    if (details && parked) {
      const p: Party = { number: parked.number, external: parked.external };
      if (parked.user) p.user = parked.user;
      if (parked.name) p.name = parked.name;
      view.party = p;
    }
    out.push(view);
  }
  return out;
}

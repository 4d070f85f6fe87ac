// What a viewer sees of the queues (docs/design.md, "Rule Q — queues"): the panel of each queue a department
// owns goes to that department's people and to admins; agents are named as rule 1 allows; a waiting
// caller's identity only to those the call is for (the queue's logged-in agents: their phones will show it),
// the department's supervisors (monitoring role) and admins. Built from scratch: only what the rules allow
// is copied.

import type { Party } from "./calls.js";
import type { Directory, QueueRef, User } from "./directory.js";
import { type SeenParty, seenParty } from "./party-visibility.js";
import type { QueueState } from "./queue-book.js";
import { queueMemberRefusal } from "./queue-rights.js";
import { canSeePresence, isAdmin } from "./visibility.js";

export interface QueueCallerView {
  /** 1 = next to be served, when the PBX says. */
  position?: number;
  /** Waiting since. */
  since: number;
  /** Who waits: only for the queue's agents, the department's supervisors and admins (rule Q). */
  caller?: SeenParty;
}

export interface QueueAgentView {
  /** The directory user this member's phone belongs to. */
  user?: string;
  /** The PBX's name of a member no user is known for (admins and supervisors only). */
  name?: string;
  loggedIn: boolean;
  paused: boolean;
  pauseReason?: string;
  pausedSince?: number;
  /** Talking to a caller this queue gave them. */
  onQueueCall: boolean;
  /** The viewer may pause, unpause, log in or out this member (rule OQ): the board shows those buttons. */
  mayChange?: true;
}

export interface QueueView {
  /** The department that owns the queue. */
  department: string;
  pbx: string;
  /** The PBX's name of the queue. */
  queue: string;
  waiting: QueueCallerView[];
  agents: QueueAgentView[];
  /** Members the viewer may not see (rule 1), counted only. */
  otherAgents: { loggedIn: number; paused: number };
  today: { answered: number; abandoned: number; longestWaitMs: number };
  /** The viewer is not a logged-in member and may log in (rule OQ): the board shows "Log me in". */
  mayLogIn?: true;
}

export interface QueueSource {
  queueState(pbx: string, name: string): QueueState | undefined;
  /** The party on a leg, as the model knows it. */
  partyOfLeg(pbx: string, leg: string): Party | undefined;
}

/** The queues whose panel `viewer` gets, in directory order (departments, then their queues). */
export function queuesFor(viewer: User, directory: Directory, source: QueueSource): QueueView[] {
  const out: QueueView[] = [];
  const admin = isAdmin(viewer);
  for (const department of directory.departments.values()) {
    if (!department.queues?.length) continue;
    if (!admin && !viewer.departments.includes(department.id)) continue;
    const supervisor = admin || directory.monitoringRoles.includes(viewer.role);
    for (const ref of department.queues)
      out.push(queueView(viewer, directory, source, department.id, ref, supervisor));
  }
  return out;
}

/** Viewers (among `among`) whose queue panels a change to these departments' queues reaches: their people, admins. */
export function queueViewers(
  directory: Directory,
  departments: ReadonlySet<string>,
  among: Iterable<string>,
): string[] {
  const out: string[] = [];
  for (const id of among) {
    const v = directory.users.get(id);
    if (v && (isAdmin(v) || v.departments.some((d) => departments.has(d)))) out.push(id);
  }
  return out;
}

function queueView(
  viewer: User,
  directory: Directory,
  source: QueueSource,
  department: string,
  ref: QueueRef,
  supervisor: boolean,
): QueueView {
  const state = source.queueState(ref.pbx, ref.name);
  const view: QueueView = {
    department,
    pbx: ref.pbx,
    queue: ref.name,
    waiting: [],
    agents: [],
    otherAgents: { loggedIn: 0, paused: 0 },
    today: { answered: 0, abandoned: 0, longestWaitMs: 0 },
  };
  // Logging oneself in: a person of an owning department with a phone on the queue's PBX.
  const mayLogIn =
    viewer.departments.includes(department) &&
    viewer.pbx === ref.pbx &&
    queueMemberRefusal(viewer, viewer, ref, directory) === undefined;
  if (!state) {
    if (mayLogIn) view.mayLogIn = true;
    return view;
  }
  const full = isAdmin(viewer);
  let agentOfQueue = false;
  for (const a of state.agents) {
    const user = a.extension ? userOn(directory, ref.pbx, a.extension) : undefined;
    if (user?.id === viewer.id && a.loggedIn) agentOfQueue = true;
    const visible = user ? user.id === viewer.id || canSeePresence(viewer, user) : supervisor;
    if (!visible) {
      if (a.loggedIn) view.otherAgents.loggedIn++;
      if (a.paused) view.otherAgents.paused++;
      continue;
    }
    const agent: QueueAgentView = {
      loggedIn: a.loggedIn,
      paused: a.paused,
      onQueueCall: a.onCall !== undefined,
    };
    if (user) agent.user = user.id;
    else agent.name = a.name ?? a.agent;
    if (a.paused && a.pauseReason) agent.pauseReason = a.pauseReason;
    if (a.paused && a.pausedSince !== undefined) agent.pausedSince = a.pausedSince;
    if (user && queueMemberRefusal(viewer, user, ref, directory) === undefined) agent.mayChange = true;
    view.agents.push(agent);
  }
  if (mayLogIn && !agentOfQueue) view.mayLogIn = true;
  const seesCallers = supervisor || agentOfQueue;
  for (const w of state.waiting) {
    const caller: QueueCallerView = { since: w.since };
    if (w.position !== undefined) caller.position = w.position;
    const party = seesCallers ? source.partyOfLeg(ref.pbx, w.leg) : undefined;
    if (party) caller.caller = seenParty(directory, party, full);
    view.waiting.push(caller);
  }
  view.waiting.sort(
    (a, b) =>
      (a.position ?? Number.MAX_SAFE_INTEGER) - (b.position ?? Number.MAX_SAFE_INTEGER) || a.since - b.since,
  );
  const { answered, abandoned, longestWaitMs } = state.today;
  view.today = { answered, abandoned, longestWaitMs };
  return view;
}

const usersByPhone = new WeakMap<Directory, Map<string, User>>();

function userOn(directory: Directory, pbx: string, extension: string): User | undefined {
  let index = usersByPhone.get(directory);
  if (!index) {
    index = new Map();
    for (const u of directory.users.values()) index.set(`${u.pbx}\u0000${u.extension}`, u);
    usersByPhone.set(directory, index);
  }
  return index.get(`${pbx}\u0000${extension}`);
}

// The live state of the PBXes' queues (Asterisk app_queue, FreeSWITCH mod_callcenter) as their events tell
// it: who waits where and since when, each member's state (logged in, paused with a reason and since when,
// on a queue call), and the day's counters (answered, abandoned, longest wait). Pure: the day a time falls
// on is the caller's function (a time zone is configuration, not the domain's).

import type {
  PbxEvent,
  QueueAnswered,
  QueueCallerJoined,
  QueueCallerLeft,
  QueueMember,
  QueueSnapshot,
} from "./events.js";

export interface WaitingCaller {
  /** The caller's leg. */
  leg: string;
  since: number;
  position?: number;
}

export interface QueueAgentState {
  /** The PBX's name for the member (`Local/1001@from-queue/n`, `1001@default`). */
  agent: string;
  extension?: string;
  /** The member's name as the PBX has it. */
  name?: string;
  loggedIn: boolean;
  paused: boolean;
  pauseReason?: string;
  pausedSince?: number;
  /** The waiting caller's leg this agent took, while that call lasts. */
  onCall?: { leg: string; agentLeg?: string; since: number };
}

export interface QueueDay {
  /** The day these count (the `dayOf` of their times). */
  day: string;
  answered: number;
  abandoned: number;
  /** The longest time a caller waited before being taken or giving up, in ms. */
  longestWaitMs: number;
}

export interface QueueState {
  pbx: string;
  name: string;
  waiting: WaitingCaller[];
  agents: QueueAgentState[];
  today: QueueDay;
}

interface LiveQueue {
  pbx: string;
  name: string;
  waiting: Map<string, WaitingCaller>;
  agents: Map<string, QueueAgentState>;
  today: QueueDay;
}

export type DayOf = (at: number) => string;

/** The UTC day of a time: `2026-12-06`. */
export const utcDay: DayOf = (at) => new Date(at).toISOString().slice(0, 10);

/** The day of a time in an IANA time zone (`Europe/Berlin`): `2026-12-06`. Intl is pure computation. */
export function dayIn(timeZone: string): DayOf {
  const format = new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  });
  return (at) => format.format(at);
}

const key = (pbx: string, name: string) => `${pbx}\u0000${name}`;

export class QueueBook {
  private readonly queues = new Map<string, LiveQueue>();
  /**
   * What an agent-wide status (no queue named: FreeSWITCH's agent status) last said, by PBX and agent: a
   * queue that learns of the agent later starts from it.
   */
  private readonly agentWide = new Map<string, Omit<QueueMember, "type" | "queue">>();

  constructor(private readonly dayOf: DayOf = utcDay) {}

  /** Applies a queue event, or a leg's hang-up; returns the queues it changed (`pbx` and `name`). */
  apply(e: PbxEvent): { pbx: string; name: string }[] {
    const touched = this.dispatch(e);
    return touched.length === 0 ? touched : this.changedSinceReported(touched);
  }

  /** What each queue was when last reported: an event that leaves a queue as it was (a duplicate) reports nothing. */
  private readonly reported = new Map<string, string>();

  private changedSinceReported(touched: { pbx: string; name: string }[]): { pbx: string; name: string }[] {
    const out: { pbx: string; name: string }[] = [];
    for (const t of touched) {
      const k = key(t.pbx, t.name);
      const text = JSON.stringify(this.state(t.pbx, t.name));
      if (this.reported.get(k) === text) continue;
      this.reported.set(k, text);
      out.push(t);
    }
    return out;
  }

  private dispatch(e: PbxEvent): { pbx: string; name: string }[] {
    switch (e.type) {
      case "queue.callerJoined":
        return this.joined(e);
      case "queue.callerLeft":
        return this.left(e);
      case "queue.answered":
        return this.answered(e);
      case "queue.member":
        return this.member(e);
      case "queue.snapshot":
        return this.resync(e);
      case "leg.hangup":
        return this.legGone(e.pbx, e.leg, e.at);
      case "pbx.snapshot": {
        // Callers whose leg the PBX no longer has are not waiting any more.
        const present = new Set(e.legs.map((l) => l.leg));
        const changed: { pbx: string; name: string }[] = [];
        for (const q of this.queues.values()) {
          if (q.pbx !== e.pbx) continue;
          let touched = false;
          for (const leg of [...q.waiting.keys()])
            if (!present.has(leg)) touched = q.waiting.delete(leg) || touched;
          for (const a of q.agents.values()) {
            if (a.onCall && !present.has(a.onCall.leg)) {
              delete a.onCall;
              touched = true;
            }
          }
          if (touched) changed.push({ pbx: q.pbx, name: q.name });
        }
        return changed;
      }
      default:
        return [];
    }
  }

  /** A new day began (the caller's clock): the queues still counting an earlier day start again from 0. */
  rollDay(now: number): { pbx: string; name: string }[] {
    const day = this.dayOf(now);
    const changed: { pbx: string; name: string }[] = [];
    for (const q of this.queues.values()) {
      if (q.today.day === day) continue;
      q.today = emptyDay(day);
      changed.push({ pbx: q.pbx, name: q.name });
    }
    return changed;
  }

  /** A queue's state now, or undefined when no event ever named it. */
  state(pbx: string, name: string): QueueState | undefined {
    const q = this.queues.get(key(pbx, name));
    if (!q) return undefined;
    const today = { ...q.today };
    return {
      pbx: q.pbx,
      name: q.name,
      waiting: [...q.waiting.values()].map((w) => ({ ...w })),
      agents: [...q.agents.values()].map((a) => ({ ...a, ...(a.onCall ? { onCall: { ...a.onCall } } : {}) })),
      today,
    };
  }

  private queue(pbx: string, name: string, at: number): LiveQueue {
    let q = this.queues.get(key(pbx, name));
    if (!q) {
      q = { pbx, name, waiting: new Map(), agents: new Map(), today: emptyDay(this.dayOf(at)) };
      this.queues.set(key(pbx, name), q);
    }
    const day = this.dayOf(at);
    if (q.today.day !== day) q.today = emptyDay(day);
    return q;
  }

  private joined(e: QueueCallerJoined) {
    const q = this.queue(e.pbx, e.queue, e.at);
    const known = q.waiting.get(e.leg);
    const caller: WaitingCaller = { leg: e.leg, since: known?.since ?? e.at };
    if (e.position !== undefined) caller.position = e.position;
    q.waiting.set(e.leg, caller);
    return [{ pbx: e.pbx, name: e.queue }];
  }

  private left(e: QueueCallerLeft) {
    const q = this.queue(e.pbx, e.queue, e.at);
    const waiting = q.waiting.get(e.leg);
    if (!waiting) return [];
    q.waiting.delete(e.leg);
    q.today.longestWaitMs = Math.max(q.today.longestWaitMs, e.at - waiting.since);
    if (e.reason === "abandoned") q.today.abandoned++;
    else if (e.reason === "picked-up") q.today.answered++;
    // The callers behind move up.
    for (const w of q.waiting.values())
      if (w.position !== undefined && w.position > (waiting.position ?? 0)) w.position--;
    return [{ pbx: e.pbx, name: e.queue }];
  }

  private answered(e: QueueAnswered) {
    const q = this.queue(e.pbx, e.queue, e.at);
    const agent = this.agentOf(q, e.agent, e.extension, e.at);
    // A duplicate (or the answer of a call already taken) counts once.
    if (agent.onCall?.leg === e.leg) return [];
    agent.onCall = { leg: e.leg, since: e.at, ...(e.agentLeg ? { agentLeg: e.agentLeg } : {}) };
    q.today.answered++;
    const waiting = q.waiting.get(e.leg);
    if (waiting) {
      q.waiting.delete(e.leg);
      q.today.longestWaitMs = Math.max(q.today.longestWaitMs, e.at - waiting.since);
    }
    return [{ pbx: e.pbx, name: e.queue }];
  }

  private member(e: QueueMember) {
    if (e.queue !== undefined) {
      const q = this.queue(e.pbx, e.queue, e.at);
      if (e.loggedIn === false) {
        if (!q.agents.delete(e.agent)) return [];
      } else this.update(this.agentOf(q, e.agent, e.extension, e.at), e);
      return [{ pbx: e.pbx, name: e.queue }];
    }
    // Agent-wide (FreeSWITCH): every queue the agent is in.
    const { type: _t, queue: _q, ...wide } = e;
    this.agentWide.set(key(e.pbx, e.agent), { ...this.agentWide.get(key(e.pbx, e.agent)), ...wide });
    const changed: { pbx: string; name: string }[] = [];
    for (const q of this.queues.values()) {
      const agent = q.pbx === e.pbx ? q.agents.get(e.agent) : undefined;
      if (!agent) continue;
      this.update(agent, e);
      changed.push({ pbx: q.pbx, name: q.name });
    }
    return changed;
  }

  /** What the PBX says its queues are now replaces what the events told (the day's counters stay). */
  private resync(e: QueueSnapshot) {
    const changed: { pbx: string; name: string }[] = [];
    const listed = new Set(e.queues.map((q) => q.queue));
    for (const q of this.queues.values()) {
      if (q.pbx !== e.pbx || listed.has(q.name)) continue;
      if (q.waiting.size === 0 && q.agents.size === 0) continue;
      q.waiting.clear();
      q.agents.clear();
      changed.push({ pbx: q.pbx, name: q.name });
    }
    for (const s of e.queues) {
      const q = this.queue(e.pbx, s.queue, e.at);
      const waiting = new Map<string, WaitingCaller>();
      for (const c of s.callers) {
        const caller: WaitingCaller = { leg: c.leg, since: q.waiting.get(c.leg)?.since ?? c.since ?? e.at };
        if (c.position !== undefined) caller.position = c.position;
        waiting.set(c.leg, caller);
      }
      const agents = new Map<string, QueueAgentState>();
      for (const m of s.members) {
        const before = q.agents.get(m.agent);
        const agent: QueueAgentState = { agent: m.agent, loggedIn: m.loggedIn !== false, paused: m.paused };
        const extension = m.extension ?? before?.extension;
        if (extension) agent.extension = extension;
        if (m.name ?? before?.name) agent.name = (m.name ?? before?.name) as string;
        if (m.paused) {
          if (m.pauseReason) agent.pauseReason = m.pauseReason;
          const since = m.pausedSince ?? (before?.paused ? before.pausedSince : undefined) ?? e.at;
          agent.pausedSince = since;
        }
        if (before?.onCall) agent.onCall = before.onCall;
        agents.set(m.agent, agent);
      }
      q.waiting.clear();
      for (const [k, v] of waiting) q.waiting.set(k, v);
      q.agents.clear();
      for (const [k, v] of agents) q.agents.set(k, v);
      changed.push({ pbx: e.pbx, name: s.queue });
    }
    return changed;
  }

  private agentOf(q: LiveQueue, name: string, extension: string | undefined, at: number): QueueAgentState {
    let agent = q.agents.get(name);
    if (!agent) {
      agent = { agent: name, loggedIn: true, paused: false };
      if (extension) agent.extension = extension;
      const wide = this.agentWide.get(key(q.pbx, name));
      if (wide) this.update(agent, { ...wide, at: wide.at ?? at });
      q.agents.set(name, agent);
    }
    return agent;
  }

  private update(agent: QueueAgentState, e: Omit<QueueMember, "type" | "queue" | "pbx">): void {
    if (e.extension) agent.extension = e.extension;
    if (e.name) agent.name = e.name;
    if (e.loggedIn !== undefined) agent.loggedIn = e.loggedIn;
    if (e.paused !== undefined) {
      if (e.paused && !agent.paused) agent.pausedSince = e.at;
      if (!e.paused) {
        delete agent.pausedSince;
        delete agent.pauseReason;
      }
      agent.paused = e.paused;
    }
    if (agent.paused && e.pauseReason !== undefined) agent.pauseReason = e.pauseReason;
  }

  private legGone(pbx: string, leg: string, at: number) {
    const changed: { pbx: string; name: string }[] = [];
    for (const q of this.queues.values()) {
      if (q.pbx !== pbx) continue;
      let touched = false;
      const waiting = q.waiting.get(leg);
      if (waiting) {
        // The caller hung up and the PBX said nothing (yet): gone from the queue. The PBX's own
        // abandon, if it comes, is not counted twice (it finds no waiting caller).
        q.waiting.delete(leg);
        q.today.longestWaitMs = Math.max(q.today.longestWaitMs, at - waiting.since);
        q.today.abandoned++;
        touched = true;
      }
      for (const a of q.agents.values()) {
        if (a.onCall && (a.onCall.leg === leg || a.onCall.agentLeg === leg)) {
          delete a.onCall;
          touched = true;
        }
      }
      if (touched) changed.push({ pbx: q.pbx, name: q.name });
    }
    return changed;
  }
}

function emptyDay(day: string): QueueDay {
  return { day, answered: 0, abandoned: 0, longestWaitMs: 0 };
}

// The live model: applies normalized PBX events and reports what changed.
// It holds legs, calls and presence inputs; everything else is derived.
// The work is split by what it is about: apply-event.ts (what each event does), call-book.ts (legs and calls),
// monitoring-sessions.ts, recordings.ts, snapshot-resync.ts and user-presence.ts.

import { newApplyContext } from "./apply-context.js";
import { applyEvent } from "./apply-event.js";
import { CallBook, usersOfCall } from "./call-book.js";
import type { CallView } from "./call-view.js";
import { type Call, isMonitoringCall, type Leg, legKey, type Party, partyOf } from "./calls.js";
import { DeviceIndex, type Directory } from "./directory.js";
import type { PbxEvent } from "./events.js";
import { type PbxLink, PbxLinks } from "./pbx-links.js";
import type { Presence } from "./presence.js";
import { type DayOf, QueueBook, type QueueState } from "./queue-book.js";
import { type PresenceChange, UserPresence } from "./user-presence.js";

export type { CallView, LegView } from "./call-view.js";

export type ModelChange =
  | PresenceChange
  | { kind: "call"; call: CallView }
  | { kind: "call-ended"; call: CallView }
  /**
   * A call that stopped existing without ending: absorbed into another, or turned into a monitoring session.
   * `users` are the directory users it involved (their boards showed it).
   */
  | { kind: "call-gone"; pbx: string; id: string; users: string[] }
  /** The link to a followed PBX came up or went down (see pbx-links.ts). */
  | { kind: "link"; link: PbxLink }
  /** A queue's callers, agents or day's counters changed (see queue-book.ts). */
  | { kind: "queue"; pbx: string; name: string };

export interface LiveModelOptions {
  /** PBXes whose connection is followed: each starts `connecting`, with its users offline until it answers. */
  links?: readonly string[];
  /** The day a time falls on, for the queues' day counters (default: the UTC day). */
  dayOf?: DayOf;
}

export interface ModelCounters {
  applied: number;
  /** Events about legs the model never saw (e.g. after a restart before the resync). */
  unknownLeg: number;
}

export class LiveModel {
  private readonly book: CallBook;
  private readonly links: PbxLinks;
  private readonly presence: UserPresence;
  private readonly queues: QueueBook;
  readonly counters: ModelCounters = { applied: 0, unknownLeg: 0 };

  constructor(directory: Directory, options: LiveModelOptions = {}) {
    const devices = new DeviceIndex(directory);
    this.book = new CallBook(devices, this.counters);
    this.links = new PbxLinks(options.links);
    this.queues = new QueueBook(options.dayOf);
    this.presence = new UserPresence(directory, devices, this.links, (user) => this.book.activityOf(user));
  }

  /** Replaces the directory (settings changed); presence is recomputed, calls keep their legs. */
  setDirectory(directory: Directory): ModelChange[] {
    const devices = new DeviceIndex(directory);
    this.book.setDevices(devices);
    return this.presence.setDirectory(directory, devices);
  }

  apply(event: PbxEvent): ModelChange[] {
    this.counters.applied++;
    const ctx = newApplyContext();
    const listed = this.links.devicesListed(event.pbx);
    const link = this.links.apply(event);
    // The PBX listed its devices for the first time: who has none reachable there is offline now.
    if (!listed && this.links.devicesListed(event.pbx))
      this.presence.touchUsersOn(event.pbx, ctx.touchedUsers);
    applyEvent(event, this.book, this.presence, ctx);
    const changes: ModelChange[] = link ? [{ kind: "link", link }] : [];
    for (const q of this.queues.apply(event)) changes.push({ kind: "queue", pbx: q.pbx, name: q.name });
    for (const key of ctx.touchedCalls) {
      const call = this.book.calls.get(key);
      if (!call) continue;
      if (!isMonitoringCall(call, this.book.legs))
        changes.push({ kind: "call", call: this.book.viewOf(call) });
      // Only monitoring legs left (a picker of a spy leg hung up): it is no call anyone sees any more.
      else if (!ctx.gone.some((g) => g.pbx === call.pbx && g.id === call.id)) {
        changes.push({ kind: "call-gone", pbx: call.pbx, id: call.id, users: usersOfCall(call) });
      }
    }
    for (const call of ctx.ended) changes.push({ kind: "call-ended", call });
    for (const g of ctx.gone) changes.push({ kind: "call-gone", pbx: g.pbx, id: g.id, users: g.users });
    changes.push(...this.presence.changes(ctx.touchedUsers));
    return changes;
  }

  /** A queue's state, or undefined when no event named it yet. */
  queueState(pbx: string, name: string): QueueState | undefined {
    return this.queues.state(pbx, name);
  }

  /** The party on a leg, while the leg exists. */
  partyOfLeg(pbx: string, leg: string): Party | undefined {
    const l = this.book.legs.get(legKey(pbx, leg));
    return l ? partyOf(l) : undefined;
  }

  /** A new day began (the caller's clock): queues' day counters start again. */
  rollQueueDay(now: number): ModelChange[] {
    return this.queues.rollDay(now).map((q) => ({ kind: "queue", pbx: q.pbx, name: q.name }));
  }

  /** How much the model holds: legs and calls (monitoring sessions' own calls included). */
  get size(): { legs: number; calls: number } {
    return { legs: this.book.legs.size, calls: this.book.calls.size };
  }

  presenceOf(user: string): Presence {
    return this.presence.of(user);
  }

  /** Whether the user (whose extension is on `pbx`) is in do not disturb; undefined while that link is not up. */
  dndOf(user: string, pbx: string): boolean | undefined {
    return this.links.isUp(pbx) ? this.presence.dndOf(user) : undefined;
  }

  allPresence(): ReadonlyMap<string, Presence> {
    return this.presence.all();
  }

  /** The links to the followed PBXes: the same array until one changes. */
  pbxLinks(): readonly PbxLink[] {
    return this.links.list();
  }

  activeCalls(): CallView[] {
    const out: CallView[] = [];
    for (const call of this.book.calls.values()) {
      if (!isMonitoringCall(call, this.book.legs)) out.push(this.book.viewOf(call));
    }
    return out;
  }

  /** The calls a user has a leg in (monitoring sessions are not calls), oldest first. */
  callsOfUser(user: string): CallView[] {
    const seen = new Set<Call>();
    for (const leg of this.book.legsOfUser(user)) {
      const call = this.book.callOf(leg);
      if (call && !isMonitoringCall(call, this.book.legs)) seen.add(call);
    }
    return [...seen].sort(olderFirst).map((c) => this.book.viewOf(c));
  }

  /** Active calls with a monitoring session (running or ended) or a parked leg, in activeCalls() order. */
  monitoredOrParkedCalls(): CallView[] {
    const out: CallView[] = [];
    for (const call of this.book.calls.values()) {
      let special = call.monitoring.length > 0;
      for (const id of call.legs)
        if (!special && this.book.legs.get(legKey(call.pbx, id))?.parked) special = true;
      if (special && !isMonitoringCall(call, this.book.legs)) out.push(this.book.viewOf(call));
    }
    return out;
  }

  call(pbx: string, id: string): CallView | undefined {
    const call = this.book.calls.get(legKey(pbx, id));
    return call && !isMonitoringCall(call, this.book.legs) ? this.book.viewOf(call) : undefined;
  }

  /** The call a leg is part of (monitoring legs resolve to the call they monitor). */
  callOfLeg(pbx: string, leg: string): CallView | undefined {
    const l = this.book.legs.get(legKey(pbx, leg));
    if (!l) return undefined;
    return this.call(pbx, l.callId);
  }

  leg(pbx: string, id: string): Readonly<Leg> | undefined {
    return this.book.legs.get(legKey(pbx, id));
  }

  /** Active legs on a user's devices. */
  legsOfUser(user: string): Readonly<Leg>[] {
    return [...this.book.legsOfUser(user)];
  }
}

function olderFirst(a: Call, b: Call): number {
  if (a.startedAt !== b.startedAt) return a.startedAt - b.startedAt;
  return a.pbx === b.pbx ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : a.pbx < b.pbx ? -1 : 1;
}

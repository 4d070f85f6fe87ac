// ARI's events and the AMI companion's facts (companion.ts) come over two sockets, so the order they
// arrive in says nothing about the order they happened in: the companion's `presence.state dnd` set by
// the *78 call's dialplan can arrive before ARI's `leg.created` of that call, or ARI's hang-up of the
// *79 call before the companion's `presence.state available`, and the model would show an extra `dnd`.
// Both links carry the PBX's own clock (ARI's `timestamp`, AMI's `Timestamp` with manager.conf
// `timestampevents = yes`), so they are merged by PBX time:
//
// - Each link's watermark is the latest PBX time it has delivered (ARI: every message, translated or
//   not; companion: every event it read, the Newchannel/Hangup it drops included). Each link is in
//   order on its own socket, so nothing earlier than its watermark is still to come from it.
// - An ARI event goes out once the companion's watermark has reached its time; a companion fact once
//   ARI's watermark has passed it. Equal times: ARI first (ARI stamps when the PBX made the event,
//   AMI later, when the manager formats it, and ARI's milliseconds are truncated).
// - While ARI events wait and the companion is quiet, a barrier `Ping` on the companion socket moves its
//   watermark: the answer's `Timestamp` is the PBX's time when it answered, and every event it sent
//   before arrives before the answer. At most one is outstanding.
// - Nothing waits longer than the hold time; then it goes out, still in time order with what is left.
// - Facts without a PBX time (the companion's resync, and every fact when `timestampevents = no`) take
//   the companion's previous place in line; ARI events then wait for nothing (arrival order, as before).
//
// ARI has no barrier of its own, so a companion fact waits for ARI's next event (or the hold time) when
// ARI is quiet.
//
// MergedLinks puts together what the ARI driver delivers: this merge, then HeldFacts (companion facts
// waiting for ARI to announce their legs: a different problem, solved after the time merge) and the
// book of the legs the model has been told of.

import type { Logger } from "pino";
import type { PbxEvent } from "../../domain/events.js";
import { HeldFacts, realTimers, type Timers } from "./held-facts.js";

export type Link = "ari" | "companion";

export interface LinkMergeOptions {
  /** No event waits longer than this (Callsight's clock, ms) for the other link. */
  holdMs: number;
  now(): number;
  timers?: Timers;
  /** The companion is up and its events carry PBX time: only then do ARI events wait for it. */
  companionOrdered(): boolean;
  /**
   * A Ping on the companion socket: the PBX time (ms) of its answer, `undefined` when the answer has
   * none (then ARI events never wait again); rejects when it fails.
   */
  barrier(): Promise<number | undefined>;
  /** Events let out, in merged order: one call per run of one link. */
  release(events: PbxEvent[], from: Link): void;
  /** The companion's Ping answers carry no Timestamp: the merge falls back to arrival order. */
  noBarrier?(): void;
}

interface Item {
  events: PbxEvent[];
  /** PBX time (ms) the item sorts by. */
  key: number;
  /** Callsight's time it arrived. */
  since: number;
  /** It carries PBX time (a companion fact without one waits for nothing). */
  timed: boolean;
}

interface Run {
  from: Link;
  events: PbxEvent[];
}

export class LinkMerge {
  private ari: Item[] = [];
  private companion: Item[] = [];
  /** Latest PBX time each link has delivered (ARI's is also its items' time: never decreasing). */
  private ariMark = Number.NEGATIVE_INFINITY;
  private companionMark = Number.NEGATIVE_INFINITY;
  /** The time of the companion's last fact (a fact never sorts before the link's previous one). */
  private companionKey = Number.NEGATIVE_INFINITY;
  private barrierOut = false;
  private barrierBroken = false;
  private barrierRetryAt = Number.NEGATIVE_INFINITY;
  private releaseQueued = false;
  private timer: unknown;
  private readonly timers: Timers;
  /** Barriers sent (for tests and status). */
  barriers = 0;

  constructor(private readonly o: LinkMergeOptions) {
    this.timers = o.timers ?? realTimers;
  }

  get size(): number {
    return this.ari.length + this.companion.length;
  }

  /** One ARI message's events and its PBX time (an untranslated message still moves the watermark). */
  fromAri(events: PbxEvent[], pbxTime: number | undefined): void {
    if (pbxTime !== undefined && pbxTime > this.ariMark) this.ariMark = pbxTime;
    if (events.length > 0)
      this.ari.push({ events, key: this.ariMark, since: this.o.now(), timed: pbxTime !== undefined });
    // One WebSocket read's messages go out together.
    if (this.releaseQueued) return;
    this.releaseQueued = true;
    queueMicrotask(() => {
      this.releaseQueued = false;
      this.release();
    });
  }

  /** Companion facts; `pbxTime`, when they carry PBX time, is how far the companion link has got. */
  fromCompanion(facts: readonly PbxEvent[], pbxTime: number | undefined): void {
    const timed = pbxTime !== undefined;
    const since = this.o.now();
    for (const f of facts) {
      if (timed && f.at > this.companionKey) this.companionKey = f.at;
      this.companion.push({ events: [f], key: this.companionKey, since, timed });
    }
    if (timed) this.companionMark = Math.max(this.companionMark, pbxTime, this.companionKey);
    this.release();
  }

  /** Lets out whatever may go now. */
  release(): void {
    const now = this.o.now();
    const ordered = this.o.companionOrdered() && !this.barrierBroken;
    const runs: Run[] = [];
    const take = (from: Link): void => this.take(from, runs);
    for (;;) {
      const a = this.ari[0];
      const c = this.companion[0];
      if (a && c) take(a.key <= c.key ? "ari" : "companion");
      else if (a && (!ordered || a.key <= this.companionMark || now - a.since >= this.o.holdMs)) take("ari");
      else if (c && (!c.timed || c.key < this.ariMark || now - c.since >= this.o.holdMs)) take("companion");
      else break;
    }
    this.rearm(now, ordered);
    for (const r of runs) this.o.release(r.events, r.from);
  }

  /** Lets everything out, in time order (the ARI session ends). */
  drain(): void {
    const runs: Run[] = [];
    while (this.ari.length + this.companion.length > 0) {
      const a = this.ari[0];
      const c = this.companion[0];
      this.take(a && (!c || a.key <= c.key) ? "ari" : "companion", runs);
    }
    this.rearm(this.o.now(), false);
    for (const r of runs) this.o.release(r.events, r.from);
  }

  /** Drops everything waiting (a new ARI session: its snapshot carries the companion's state). */
  clear(): void {
    this.ari = [];
    this.companion = [];
    this.rearm(this.o.now(), false);
  }

  /** Moves the head item of a link to the runs going out. */
  private take(from: Link, runs: Run[]): void {
    const item = (from === "ari" ? this.ari : this.companion).shift() as Item;
    const last = runs[runs.length - 1];
    if (last?.from === from) for (const e of item.events) last.events.push(e);
    else runs.push({ from, events: [...item.events] });
  }

  /** The hold-time timer of what still waits, and a barrier when ARI events wait for the companion. */
  private rearm(now: number, ordered: boolean): void {
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timer = undefined;
    const head = this.ari[0] ?? this.companion[0];
    if (!head) return;
    this.timer = this.timers.set(
      () => {
        this.timer = undefined;
        this.release();
      },
      Math.max(0, head.since + this.o.holdMs - now),
    );
    if (ordered && this.ari.length > 0 && this.companion.length === 0) this.sendBarrier(now);
  }

  private sendBarrier(now: number): void {
    if (this.barrierOut || now < this.barrierRetryAt) return;
    this.barrierOut = true;
    this.barriers++;
    this.o.barrier().then(
      (t) => {
        this.barrierOut = false;
        if (t === undefined) {
          this.barrierBroken = true;
          this.o.noBarrier?.();
        } else if (Math.floor(t) > this.companionMark) this.companionMark = Math.floor(t);
        this.release();
      },
      () => {
        // Lost or timed out: the hold time lets the waiting events out; no new barrier before it.
        this.barrierOut = false;
        this.barrierRetryAt = this.o.now() + this.o.holdMs;
        this.release();
      },
    );
  }
}

/** The legs the model has been told of (a delivered leg.created, or a snapshot with them). */
export class DeliveredLegs {
  private readonly channels = new Map<string, string>();
  private readonly up = new Set<string>();

  note(events: readonly PbxEvent[]): void {
    for (const e of events) {
      if (e.type === "leg.created") this.channels.set(e.leg, e.channel);
      else if (e.type === "leg.answered") this.up.add(e.leg);
      else if (e.type === "leg.hangup") {
        this.channels.delete(e.leg);
        this.up.delete(e.leg);
      } else if (e.type === "pbx.snapshot") {
        this.clear();
        for (const l of e.legs) {
          this.channels.set(l.leg, l.channel);
          if (l.state === "up") this.up.add(l.leg);
        }
      }
    }
  }

  has(leg: string): boolean {
    return this.channels.has(leg);
  }

  /** The leg's channel name. */
  channel(leg: string): string | undefined {
    return this.channels.get(leg);
  }

  answered(leg: string): boolean {
    return this.up.has(leg);
  }

  clear(): void {
    this.channels.clear();
    this.up.clear();
  }
}

export interface MergedLinksOptions {
  holdMs: number;
  now(): number;
  timers?: Timers;
  /** Hands events on to the driver's listeners, in order. */
  deliver(events: PbxEvent[]): void;
  /** ARI has seen the channel end (ahead of the merge: the driver's own book-keeping). */
  gone(leg: string): boolean;
  /** A MixMonitor on a leg that had already ended was closed (the companion can forget it). */
  recordingClosed?(leg: string): void;
  /** Companion facts handed on (a counter). */
  companionDelivered?(count: number): void;
  /** The companion link (AmiCompanion); without one, ARI events go out as they come. */
  companion?: {
    /** Up, and its events carry PBX time. */
    readonly ordered: boolean;
    barrier(): Promise<number | undefined>;
  };
  /** Where the fallback to arrival order is said. */
  log?: Logger;
  pbx?: string;
}

/** What the ARI driver delivers: ARI's events and the companion's facts, merged, then HeldFacts. */
export class MergedLinks {
  readonly legs = new DeliveredLegs();
  readonly merge: LinkMerge;
  private readonly held: HeldFacts;
  /** Companion facts that came while an ARI snapshot was being built. */
  private duringResync?: { facts: readonly PbxEvent[]; pbxTime: number | undefined }[];

  constructor(private readonly o: MergedLinksOptions) {
    this.held = new HeldFacts({
      announced: (leg) => this.legs.has(leg),
      gone: o.gone,
      answered: (leg) => this.legs.answered(leg),
      deliver: (facts) => {
        o.companionDelivered?.(facts.length);
        this.deliverNow(facts);
      },
      ...(o.recordingClosed ? { recordingClosed: o.recordingClosed } : {}),
      now: o.now,
      holdMs: o.holdMs,
      ...(o.timers ? { timers: o.timers } : {}),
    });
    this.merge = new LinkMerge({
      holdMs: o.holdMs,
      now: o.now,
      ...(o.timers ? { timers: o.timers } : {}),
      companionOrdered: () => o.companion?.ordered ?? false,
      barrier: () => o.companion?.barrier() ?? Promise.reject(new Error("no companion")),
      noBarrier: () =>
        o.log?.warn(
          { pbx: o.pbx },
          "AMI companion Ping answers carry no Timestamp: ARI events and companion facts are merged in arrival order",
        ),
      release: (events, from) => {
        if (from === "companion") {
          this.held.add(events);
          return;
        }
        this.deliverNow(events);
        if (this.held.size > 0) this.held.release();
      },
    });
  }

  /** Companion facts waiting (for the other link's time or for their legs). */
  get waiting(): number {
    return this.merge.size + this.held.size;
  }

  fromAri(events: PbxEvent[], pbxTime: number | undefined): void {
    this.merge.fromAri(events, pbxTime);
  }

  /**
   * A companion fact. While ARI is down it goes nowhere: the next ARI snapshot carries the companion's state
   * and asks it for the queues. But one that comes while that snapshot is being built may be newer than
   * what the snapshot read: it is kept and follows the snapshot (see `resyncStarted`, `resynced`).
   */
  fromCompanion(facts: readonly PbxEvent[], pbxTime: number | undefined, ariUp: boolean): void {
    if (ariUp) this.merge.fromCompanion(facts, pbxTime);
    else this.duringResync?.push({ facts, pbxTime });
  }

  /** An ARI session is building its snapshot: keep the companion's facts from now on. */
  resyncStarted(): void {
    this.duringResync = [];
  }

  /** The ARI snapshot went out: the companion facts that came while it was built follow it, in order. */
  resynced(): void {
    const kept = this.duringResync ?? [];
    this.duringResync = undefined;
    for (const k of kept) this.merge.fromCompanion(k.facts, k.pbxTime);
  }

  /** Events that wait for nothing (the snapshot of a new session, connection events). */
  deliverNow(events: PbxEvent[]): void {
    if (events.length === 0) return;
    this.legs.note(events);
    this.o.deliver(events);
  }

  /** Everything waiting goes out, in order (the ARI session ends). */
  drain(): void {
    this.merge.drain();
  }

  /** Drops everything waiting (a new ARI session, or the driver stops). */
  clear(): void {
    this.merge.clear();
    this.held.clear();
  }

  /** The ARI session ended before its snapshot went out. */
  resyncFailed(): void {
    this.duringResync = undefined;
  }
}

// The AMI companion's facts (parked, MixMonitor, ChanSpy) on their way to the model, which ignores a
// fact about a leg it has not been told of. The two links are separate sockets, so a companion fact
// often arrives before ARI has announced its leg, and is held until it has:
//
// - "Announced" means the leg's `leg.created` (or a snapshot with the leg) went out, not merely that
//   the ARI translator has seen the channel: a channel Dial() created is held back by the translator
//   until ARI's `Dial` event names its caller, and the dialplan's pre-dial handler (`Dial(…,b(…))`)
//   starts MixMonitor on it in between (the outbound recording policy does exactly that).
// - A ChanSpy session also waits for ARI's answer of the spy's channel (ChanSpy answers it first).
// - A fact about a leg ARI has already seen end goes out at once. A MixMonitor started on such a leg
//   ended with it, and Asterisk sends no MixMonitorStop when a channel hangs up: its recording.started
//   is followed by a recording.stopped, or the recording would never be finished (nor its file queued).
// - Nothing waits longer than the hold time.
//
// The facts come here from the time merge (link-merge.ts), already in PBX order with ARI's events; what
// is left is the announcement itself, which the ARI translator may still be holding back.

import type { PbxEvent } from "../../domain/events.js";

/** Timers, injectable for tests (unref'd: nothing waiting keeps the process alive). */
export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const realTimers: Timers = {
  set: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface HeldFactsLinks {
  /** The model has been told of the leg (its leg.created or a snapshot with it went out) and it lives. */
  announced(leg: string): boolean;
  /** ARI has seen the channel end. */
  gone(leg: string): boolean;
  /** ARI has reported the leg answered. */
  answered(leg: string): boolean;
  /** Hands released facts on, in order. */
  deliver(events: PbxEvent[]): void;
  /** A MixMonitor on a leg that had already ended was closed here (the companion can forget it). */
  recordingClosed?(leg: string): void;
  now(): number;
  holdMs: number;
  timers?: Timers;
}

interface Held {
  event: PbxEvent;
  since: number;
}

export class HeldFacts {
  private held: Held[] = [];
  private timer: unknown;
  private readonly timers: Timers;

  constructor(private readonly links: HeldFactsLinks) {
    this.timers = links.timers ?? realTimers;
  }

  get size(): number {
    return this.held.length;
  }

  add(facts: readonly PbxEvent[]): void {
    const since = this.links.now();
    for (const event of facts) this.held.push({ event, since });
    this.release();
  }

  /** Delivers the held facts whose legs are announced (or gone, or that waited long enough). */
  release(): void {
    const now = this.links.now();
    const ready: PbxEvent[] = [];
    const waiting: Held[] = [];
    for (const h of this.held) {
      if (this.ready(h.event) || now - h.since >= this.links.holdMs) this.emit(h.event, ready);
      else waiting.push(h);
    }
    this.held = waiting;
    if (ready.length > 0) this.links.deliver(ready);
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timer = undefined;
    if (this.held.length > 0) this.timer = this.timers.set(() => this.release(), 100);
  }

  /** Drops everything held (a new ARI session: its snapshot carries the companion's state). */
  clear(): void {
    this.held = [];
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timer = undefined;
  }

  private ready(e: PbxEvent): boolean {
    const { announced, gone, answered } = this.links;
    if (!legsOf(e).every((l) => announced(l) || gone(l))) return false;
    return e.type !== "monitoring.started" || answered(e.spy) || gone(e.spy);
  }

  private emit(e: PbxEvent, out: PbxEvent[]): void {
    out.push(e);
    if (e.type !== "recording.started" || this.links.announced(e.leg) || !this.links.gone(e.leg)) return;
    out.push({
      pbx: e.pbx,
      at: Math.max(e.at, this.links.now()),
      type: "recording.stopped",
      leg: e.leg,
      ...(e.file ? { file: e.file } : {}),
    });
    this.links.recordingClosed?.(e.leg);
  }
}

/** The legs a companion fact is about. */
export function legsOf(e: PbxEvent): string[] {
  switch (e.type) {
    case "call.parked":
    case "call.unparked":
    case "recording.started":
    case "recording.stopped":
      return [e.leg];
    case "monitoring.started":
    case "monitoring.stopped":
      return [e.spy, e.target];
    default:
      return [];
  }
}

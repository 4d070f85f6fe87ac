// What the ARI translation keeps between events: the channels and the call each belongs to, channels
// held back until their Dial, bridges and their members, parked calls, monitoring sessions, recordings.

import type { PbxEvent } from "../../domain/events.js";
import { splitChannelName } from "../asterisk/channels.js";
import { LocalDiversions } from "../asterisk/diversion.js";
import type { EndpointClassifier } from "../endpoints.js";
import { callerNumber, isOutgoing, isPlumbing, nameOf } from "./translate-names.js";
import { type AriBridge, type AriChannel, isChannel } from "./types.js";

export interface KnownChannel {
  name: string;
  /** false for Local/Snoop/Announcer channels: plumbing, not parties. */
  leg: boolean;
  side: "internal" | "external";
  number: string;
  callId: string;
  hangupRequested: boolean;
  /** A party leg's channel as first announced: announced again when it moves to its caller's call. */
  snapshot?: AriChannel;
}

export interface PendingChannel {
  channel: AriChannel;
  at: number;
}

export interface KnownBridge {
  cls: string;
  type: string;
  name: string;
  members: Set<string>;
}

export class AriCallState {
  readonly channels = new Map<string, KnownChannel>();
  readonly pending = new Map<string, PendingChannel>();
  /** When each call (by id) started: bridges re-home their members into the oldest. */
  readonly callStarts = new Map<string, number>();
  readonly callRefs = new Map<string, number>();
  /** The channels a caller's Dial() created (caller id -> peers), and back. */
  readonly dialled = new Map<string, Set<string>>();
  readonly dialledBy = new Map<string, string>();
  /** The Local pairs a follow-me or call forward dialled, and for which extension. */
  readonly diversions = new LocalDiversions();
  /** The bridge each channel is in. */
  readonly inBridge = new Map<string, string>();
  readonly bridges = new Map<string, KnownBridge>();
  /** `park:<space>@<context>` device states that turned INUSE and are not yet matched to a parkee. */
  readonly freshSpaces: string[] = [];
  readonly parked = new Map<string, { lot: string; space: string }>();
  readonly monitoring = new Map<string, { target: string; bridge: string }>();
  readonly recordings = new Map<string, string>();
  readonly mixMonitored = new Set<string>();
  /** Local channel name -> id: the two halves of a Local channel belong to the same call. */
  readonly locals = new Map<string, string>();

  constructor(
    readonly pbx: string,
    readonly classifier: EndpointClassifier,
  ) {}

  /** Forget everything (a new session starts; the resync snapshot says what exists). */
  reset(): void {
    this.channels.clear();
    this.pending.clear();
    this.callStarts.clear();
    this.callRefs.clear();
    this.dialled.clear();
    this.dialledBy.clear();
    this.diversions.reset();
    this.inBridge.clear();
    this.bridges.clear();
    this.freshSpaces.length = 0;
    this.parked.clear();
    this.monitoring.clear();
    this.recordings.clear();
    this.mixMonitored.clear();
    this.locals.clear();
  }

  /**

  /** A held-back channel's latest snapshot (its caller id may change before Dial names it). */
  refreshPending(ch: AriChannel | undefined): boolean {
    if (!isChannel(ch)) return false;
    const p = this.pending.get(ch.id);
    if (!p) return false;
    p.channel = { ...p.channel, caller: ch.caller ?? p.channel.caller };
    return true;
  }

  /**
   * Makes sure the model knows the channel (it may predate this session or have been held back).
   * Returns whether it is a party leg.
   */
  ensure(ch: AriChannel, at: number, out: PbxEvent[], callId?: string): boolean {
    const known = this.channels.get(ch.id);
    if (known) return known.leg;
    const pending = this.pending.get(ch.id);
    this.pending.delete(ch.id);
    const snapshot = pending?.channel ?? ch;
    const createdAt = pending?.at ?? at;
    const { endpoint, resource } = splitChannelName(snapshot.name);
    if (isPlumbing(snapshot.name) || !snapshot.id) {
      const partner = this.localPartner(snapshot.name);
      this.remember(ch.id, {
        name: snapshot.name,
        leg: false,
        side: "internal",
        number: "",
        callId: partner?.callId ?? callId ?? ch.id,
        hangupRequested: false,
      });
      if (snapshot.name.startsWith("Local/")) this.locals.set(snapshot.name, ch.id);
      return false;
    }
    const side = this.classifier.side(endpoint, resource);
    const number = side === "internal" ? resource : callerNumber(snapshot);
    const id = callId ?? ch.id;
    if (!this.callStarts.has(id)) this.callStarts.set(id, createdAt);
    this.remember(ch.id, {
      name: snapshot.name,
      leg: true,
      side,
      number,
      callId: id,
      hangupRequested: false,
      snapshot,
    });
    out.push(this.legCreated(snapshot, ch.id, id, createdAt, side, number, isOutgoing(snapshot)));
    return true;
  }

  /**
   * A dialled phone's channel the model already has in a call of its own joins its caller's call: it rang
   * before the Dial event naming it arrived (a ring group's Local half reports its Dial late), so it could
   * not be held back until then. Announced again with the caller's call; the model moves it there.
   */
  joinCallerCall(ch: AriChannel, callId: string, at: number, out: PbxEvent[]): void {
    const known = this.channels.get(ch.id);
    if (!known?.leg || known.callId !== ch.id || callId === ch.id) return;
    this.moveCall(known, callId);
    if (!this.callStarts.has(callId)) this.callStarts.set(callId, at);
    out.push(this.legCreated(ch, ch.id, callId, at, known.side, known.number, true));
  }

  private legCreated(
    snapshot: AriChannel,
    leg: string,
    callId: string,
    at: number,
    side: "internal" | "external",
    number: string,
    outgoing: boolean,
  ): PbxEvent {
    const { endpoint } = splitChannelName(snapshot.name);
    const exten = snapshot.dialplan?.exten ?? "";
    const dialled = !outgoing && exten && exten !== "s" ? exten : undefined;
    return {
      pbx: this.pbx,
      at,
      type: "leg.created",
      leg,
      callId,
      channel: snapshot.name,
      endpoint,
      side,
      number,
      ...nameOf(snapshot),
      outgoing,
      ...(dialled ? { dialled } : {}),
    };
  }

  forget(id: string): void {
    const known = this.channels.get(id);
    this.channels.delete(id);
    if (known) this.ref(known.callId, -1);
    if (known?.name.startsWith("Local/") && this.locals.get(known.name) === id)
      this.locals.delete(known.name);
    if (known?.name.startsWith("Local/")) this.diversions.gone(known.name);
    this.pending.delete(id);
    this.dialled.delete(id);
    const caller = this.dialledBy.get(id);
    if (caller !== undefined) this.dialled.get(caller)?.delete(id);
    this.dialledBy.delete(id);
    this.mixMonitored.delete(id);
    this.monitoring.delete(id);
    const bridge = this.inBridge.get(id);
    if (bridge !== undefined) this.bridges.get(bridge)?.members.delete(id);
    this.inBridge.delete(id);
  }

  remember(id: string, known: KnownChannel): void {
    const previous = this.channels.get(id);
    if (previous) this.ref(previous.callId, -1);
    this.channels.set(id, known);
    this.ref(known.callId, 1);
  }

  moveCall(known: KnownChannel, callId: string): void {
    if (known.callId === callId) return;
    this.ref(callId, 1);
    this.ref(known.callId, -1);
    known.callId = callId;
  }

  /** Counts the channels of each call: a call's start time is forgotten with its last channel. */
  private ref(callId: string, delta: number): void {
    const n = (this.callRefs.get(callId) ?? 0) + delta;
    if (n > 0) {
      this.callRefs.set(callId, n);
      return;
    }
    this.callRefs.delete(callId);
    this.callStarts.delete(callId);
  }

  bridge(b: AriBridge): KnownBridge {
    let known = this.bridges.get(b.id);
    if (!known) {
      known = {
        cls: b.bridge_class ?? "",
        type: b.bridge_type ?? "",
        name: b.name ?? "",
        members: new Set(),
      };
      this.bridges.set(b.id, known);
    }
    return known;
  }

  /**
   * The oldest call among the party legs of a bridge, and among the calls its Local halves carry (a queue's
   * or ring group's Local half bridged with a phone that picked up its member: the phone joins the call the
   * Local half carries). A Local pair's call of its own has no start and never counts.
   */
  oldestCall(members: Iterable<string>): string | undefined {
    let callId: string | undefined;
    let oldest = Number.POSITIVE_INFINITY;
    for (const id of members) {
      const m = this.channels.get(id);
      if (!m || this.monitoring.has(id)) continue;
      if (!m.leg && !this.callStarts.has(m.callId)) continue;
      const started = this.callStarts.get(m.callId) ?? Number.POSITIVE_INFINITY;
      if (callId === undefined || started < oldest) {
        oldest = started;
        callId = m.callId;
      }
    }
    return callId;
  }

  /**
   * A Local channel a party dialled carries that party's call. Its other half may already have dialled a
   * phone (Asterisk reports the caller's Dial to a Local channel after calling it): that phone's leg is in
   * the call the Local pair made up for itself, and moves to the caller's call with it.
   */
  setPlumbingCall(id: string, callId: string, at: number, out: PbxEvent[]): void {
    const known = this.channels.get(id);
    if (!known || known.leg) return;
    const before = known.callId;
    this.moveCall(known, callId);
    const partner = this.localPartner(known.name);
    if (partner && !partner.leg) this.moveCall(partner, callId);
    const owner = this.channels.get(before);
    if (before === callId || !owner || owner.leg) return;
    for (const [legId, ch] of this.channels) {
      if (!ch.leg || ch.callId !== before || !ch.snapshot) continue;
      this.moveCall(ch, callId);
      if (!this.callStarts.has(callId)) this.callStarts.set(callId, at);
      out.push(this.legCreated(ch.snapshot, legId, callId, at, ch.side, ch.number, true));
    }
  }

  localPartner(name: string): KnownChannel | undefined {
    if (!name.startsWith("Local/")) return undefined;
    const other = name.endsWith(";1")
      ? `${name.slice(0, -2)};2`
      : name.endsWith(";2")
        ? `${name.slice(0, -2)};1`
        : undefined;
    const id = other ? this.locals.get(other) : undefined;
    return id ? this.channels.get(id) : undefined;
  }
}

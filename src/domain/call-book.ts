// Legs and calls bookkeeping: which legs exist, which call and bridge each one is in, whose device it is on,
// and how calls start, absorb one another and end as legs appear, move, answer and hang up.

import { type ApplyContext, touchLeg } from "./apply-context.js";
import { offeredAfterTransfer, recordTransfer } from "./call-transfers.js";
import { type CallView, callView, endedCallView } from "./call-view.js";
import {
  type Call,
  type Leg,
  legKey,
  legOnHold,
  legRings,
  partyOf,
  rememberParty,
  sameParty,
  updateParty,
} from "./calls.js";
import type { DeviceIndex } from "./directory.js";
import type { CallTransferred, LegCreated, SnapshotLeg } from "./events.js";
import { stopMonitoring } from "./monitoring-sessions.js";
import type { LegActivity } from "./user-presence.js";

export class CallBook {
  private readonly legsById = new Map<string, Leg>();
  private readonly legsByUser = new Map<string, Set<Leg>>();
  private readonly bridges = new Map<string, Set<Leg>>();
  private readonly callsById = new Map<string, Call>();

  constructor(
    private devices: DeviceIndex,
    /** Counts events about legs the book never saw. */
    private readonly counters: { unknownLeg: number },
  ) {}

  /** Every leg, by `legKey(pbx, id)`. */
  get legs(): ReadonlyMap<string, Leg> {
    return this.legsById;
  }

  /** Every call (monitoring sessions' own calls included), by `legKey(pbx, id)`. */
  get calls(): ReadonlyMap<string, Call> {
    return this.callsById;
  }

  /** The directory changed: every leg is attributed to the user its device belongs to now. */
  setDevices(devices: DeviceIndex): void {
    this.devices = devices;
    for (const leg of this.legsById.values()) {
      this.setUser(leg, this.userOfLeg(leg));
      this.setReachedUser(leg);
    }
  }

  /** A leg an event names; one the book never saw is counted. */
  known(pbx: string, id: string): Leg | undefined {
    const leg = this.legsById.get(legKey(pbx, id));
    if (!leg) this.counters.unknownLeg++;
    return leg;
  }

  /** The call a leg is in. */
  callOf(leg: Leg): Call | undefined {
    return this.callsById.get(legKey(leg.pbx, leg.callId));
  }

  /** Active legs on a user's devices. */
  legsOfUser(user: string): ReadonlySet<Leg> {
    return this.legsByUser.get(user) ?? new Set();
  }

  /** What each of a user's legs is doing, as presence reads it. */
  activityOf(user: string): LegActivity[] {
    const states: LegActivity[] = [];
    for (const leg of this.legsByUser.get(user) ?? []) {
      const call = this.callOf(leg);
      if (legRings(leg)) states.push("ringing");
      else if (legOnHold(leg, this.legsById, call)) states.push("held");
      else states.push("talking");
    }
    return states;
  }

  viewOf(call: Call): CallView {
    return callView(call, this.legsById);
  }

  // Indexes kept beside `legs` so that per-event work does not grow with the number of live calls.
  private setUser(leg: Leg, user: string | undefined): void {
    if (leg.user !== undefined) this.legsByUser.get(leg.user)?.delete(leg);
    leg.user = user;
    if (user === undefined) return;
    let set = this.legsByUser.get(user);
    if (!set) {
      set = new Set();
      this.legsByUser.set(user, set);
    }
    set.add(leg);
  }

  setBridge(leg: Leg, bridge: string | undefined): void {
    if (leg.bridge !== undefined) {
      const k = legKey(leg.pbx, leg.bridge);
      const set = this.bridges.get(k);
      set?.delete(leg);
      if (set?.size === 0) this.bridges.delete(k);
    }
    leg.bridge = bridge;
    if (bridge === undefined) return;
    const k = legKey(leg.pbx, bridge);
    let set = this.bridges.get(k);
    if (!set) {
      set = new Set();
      this.bridges.set(k, set);
    }
    set.add(leg);
  }

  createLeg(pbx: string, e: LegCreated | SnapshotLeg, at: number, ctx: ApplyContext): Leg {
    const key = legKey(pbx, e.leg);
    const existing = this.legsById.get(key);
    if (existing) {
      // A duplicate or a resync re-announcing a leg: refresh what the PBX reports, keep our history.
      if (existing.callId !== e.callId) this.moveLeg(existing, e.callId, ctx);
      if (e.side === "external") {
        existing.number = e.number;
        if (e.name) existing.name = e.name;
      }
      touchLeg(existing, ctx);
      return existing;
    }
    const leg: Leg = {
      pbx,
      id: e.leg,
      callId: e.callId,
      channel: e.channel,
      endpoint: e.endpoint,
      side: e.side,
      number: e.number,
      outgoing: e.outgoing,
      state: "dialing",
      held: false,
      recording: false,
      createdAt: at,
    };
    if (e.name) leg.name = e.name;
    if (e.dialled) leg.dialled = e.dialled;
    this.legsById.set(key, leg);
    this.setUser(leg, this.userOfLeg(leg));
    this.setReachedUser(leg);
    const call = this.callFor(pbx, e.callId, at);
    call.legs.add(leg.id);
    if (!leg.outgoing && call.originator === undefined) {
      call.originator = leg.id;
      call.caller = partyOf(leg);
    }
    rememberParty(call, partyOf(leg));
    // Offered to this phone (the board shows it ringing); a blind transfer waiting for its target has one.
    if (leg.outgoing) {
      rememberParty(call, partyOf(leg), "rang");
      offeredAfterTransfer(call, leg);
    }
    touchLeg(leg, ctx);
    return leg;
  }

  setReachedUser(leg: Leg): void {
    const reached = leg.side === "external" ? this.devices.userOnAnotherPbx(leg.pbx, leg.number) : undefined;
    if (reached) leg.reachedUser = reached;
    else delete leg.reachedUser;
  }

  /**
   * A follow-me or call forward of `extension` dialled this outside leg: when the extension is a user's, the
   * leg becomes theirs, and the call's parties say so (the outside number was a party of its own until now).
   */
  dialledOnBehalfOf(leg: Leg, extension: string): void {
    if (leg.side !== "external" || leg.monitors) return;
    const before = partyOf(leg);
    leg.onBehalfOf = extension;
    const user = this.userOfLeg(leg);
    if (user === undefined) {
      delete leg.onBehalfOf;
      return;
    }
    this.setUser(leg, user);
    const call = this.callOf(leg);
    if (call) updateParty(call, before, partyOf(leg));
  }

  private userOfLeg(leg: Leg): string | undefined {
    if (leg.onBehalfOf !== undefined) return this.devices.userForExtension(leg.pbx, leg.onBehalfOf);
    if (leg.side !== "internal") return undefined;
    return this.devices.userForDevice(leg.pbx, leg.endpoint, leg.number);
  }

  private callFor(pbx: string, id: string, at: number): Call {
    const key = legKey(pbx, id);
    let call = this.callsById.get(key);
    if (!call) {
      call = {
        pbx,
        id,
        legs: new Set(),
        startedAt: at,
        history: [],
        talkers: [],
        monitoring: [],
        recorded: false,
        rang: [],
        busy: [],
        pickups: [],
        transfers: [],
      };
      this.callsById.set(key, call);
    }
    return call;
  }

  /** A leg's phone rings: the call was offered to its party (the call history's "rang"). */
  ring(leg: Leg): void {
    const call = this.callOf(leg);
    if (call && !leg.monitors) rememberParty(call, partyOf(leg), "rang");
  }

  /** A dialled leg answered busy. */
  busy(pbx: string, id: string): void {
    const leg = this.legsById.get(legKey(pbx, id));
    const call = leg && this.callOf(leg);
    if (leg && call) rememberParty(call, partyOf(leg), "busy");
  }

  /** `picker` took the call ringing on `target` (after the picker's leg joined that call). */
  pickedUp(picker: Leg, target: Leg, at: number): void {
    const call = this.callOf(picker);
    if (!call) return;
    const by = partyOf(picker);
    const from = partyOf(target);
    if (call.pickups.some((p) => sameParty(p.by, by) && p.from !== undefined && sameParty(p.from, from)))
      return;
    call.pickups.push({ at, by, from });
  }

  /**
   * A successful transfer, on the call that goes on (the transferee's). An attended transfer's target is the
   * one other party answered on it; a blind transfer's is the next leg the call offers (see createLeg).
   */
  transferred(e: CallTransferred): void {
    recordTransfer(e, this);
  }

  answer(leg: Leg, at: number): void {
    if (leg.state === "up") return;
    leg.state = "up";
    leg.answeredAt = at;
    const call = this.callOf(leg);
    if (!call || leg.monitors) return;
    // The caller's own leg answered by the PBX (a queue or an IVR answering it to play music or a prompt)
    // does not answer the call: a party other than the caller has to.
    if (leg.id === call.originator) {
      if (call.answeredAt !== undefined) rememberParty(call, partyOf(leg), "talkers");
      return;
    }
    this.answeredBy(call, leg, at);
  }

  /** A party other than the caller answered: the call is answered, and the caller speaks from now on too. */
  private answeredBy(call: Call, leg: Leg, at: number): void {
    if (call.answeredAt === undefined) call.answeredAt = at;
    // The caller speaks once anyone answers, whether or not its own leg reports an answer.
    const caller = call.originator ? this.legsById.get(legKey(call.pbx, call.originator)) : undefined;
    if (caller && !caller.monitors) rememberParty(call, partyOf(caller), "talkers");
    rememberParty(call, partyOf(leg), "talkers");
  }

  /**
   * Everyone talking in one bridge is in one call. PBXes announce that late or never (Asterisk rewrites a
   * picker's Linkedid only after it is bridged), so legs from a younger call move into the oldest one.
   */
  joinBridgeCalls(leg: Leg, announcedCallId: string, ctx: ApplyContext): void {
    if (leg.bridge === undefined) return;
    const members = [...(this.bridges.get(legKey(leg.pbx, leg.bridge)) ?? [])].filter((l) => !l.monitors);
    // The call the PBX says the leg belongs to now counts too, if the model knows it.
    let oldest: Call | undefined = this.callsById.get(legKey(leg.pbx, announcedCallId));
    for (const m of members) {
      const call = this.callOf(m);
      if (call && (!oldest || call.startedAt < oldest.startedAt)) oldest = call;
    }
    if (!oldest) return;
    for (const m of members) if (m.callId !== oldest.id) this.moveLeg(m, oldest.id, ctx);
  }

  /** A picker's or retriever's leg joins another call: its own one-leg call is absorbed. */
  moveLeg(leg: Leg, callId: string, ctx: ApplyContext): void {
    const oldKey = legKey(leg.pbx, leg.callId);
    const old = this.callsById.get(oldKey);
    const target = this.callFor(leg.pbx, callId, old?.startedAt ?? leg.createdAt);
    if (old) {
      old.legs.delete(leg.id);
      if (old.legs.size === 0) {
        this.callsById.delete(oldKey);
        ctx.touchedCalls.delete(oldKey);
        ctx.gone.push({ pbx: leg.pbx, id: old.id, users: usersOfCall(old, leg) });
        if (old.recorded) target.recorded = true;
        if (target.answeredAt === undefined && old.answeredAt !== undefined)
          target.answeredAt = old.answeredAt;
        // What the call history reads goes on with the call it joined.
        for (const p of old.rang) rememberParty(target, p, "rang");
        for (const p of old.busy) rememberParty(target, p, "busy");
        for (const t of old.transfers) if (!target.transfers.includes(t)) target.transfers.push(t);
        target.queue ??= old.queue;
      } else {
        ctx.touchedCalls.add(oldKey);
      }
    }
    leg.callId = callId;
    target.legs.add(leg.id);
    // The call it joins changed even when the event was about another leg (a spy leg bridging in).
    touchLeg(leg, ctx);
    if (leg.recording) target.recorded = true;
    rememberParty(target, partyOf(leg));
    // A Local half dialled it (ARI: it joins the caller's call after the pair's own): offered all the same.
    if (leg.outgoing && !leg.monitors) offeredAfterTransfer(target, leg);
    if (leg.state === "up" && !leg.monitors && leg.id !== target.originator)
      this.answeredBy(target, leg, leg.answeredAt ?? leg.createdAt);
  }

  removeLeg(leg: Leg, at: number, ctx: ApplyContext): void {
    try {
      this.endLeg(leg, at, ctx);
    } finally {
      this.setBridge(leg, undefined);
      this.setUser(leg, undefined);
    }
  }

  private endLeg(leg: Leg, at: number, ctx: ApplyContext): void {
    const key = legKey(leg.pbx, leg.id);
    this.legsById.delete(key);
    if (leg.monitors) stopMonitoring(this.legsById, this.callsById, leg, at, ctx);
    if (leg.user) ctx.touchedUsers.add(leg.user);
    // Sessions monitoring this leg end with it.
    for (const other of this.legsById.values()) {
      if (other.pbx === leg.pbx && other.monitors?.target === leg.id)
        stopMonitoring(this.legsById, this.callsById, other, at, ctx);
    }
    const callKey = legKey(leg.pbx, leg.callId);
    const call = this.callsById.get(callKey);
    if (!call) return;
    call.legs.delete(leg.id);
    if (leg.bridge) this.touchBridgePeers(leg, leg.bridge, ctx);
    if (call.legs.size > 0) {
      ctx.touchedCalls.add(callKey);
      return;
    }
    const monitoringOnly = leg.monitors !== undefined;
    call.endedAt = at;
    for (const s of call.monitoring) s.endedAt ??= at;
    this.callsById.delete(callKey);
    ctx.touchedCalls.delete(callKey);
    if (!monitoringOnly) ctx.ended.push(endedCallView(call, this.legsById));
  }

  /** The users bridged with a leg in its call are reported (their hold state may have changed). */
  touchBridgePeers(leg: Leg, bridge: string, ctx: ApplyContext): void {
    const call = this.callOf(leg);
    if (!call) return;
    for (const id of call.legs) {
      const peer = this.legsById.get(legKey(leg.pbx, id));
      if (peer && peer.bridge === bridge && peer.user) ctx.touchedUsers.add(peer.user);
    }
  }
}

/** Everyone a call involved: its parties so far and the leg leaving it last. */
export function usersOfCall(call: Call, lastLeg?: Leg): string[] {
  const users = new Set<string>();
  for (const p of call.history) if (p.user !== undefined) users.add(p.user);
  if (lastLeg?.user !== undefined) users.add(lastLeg.user);
  return [...users];
}

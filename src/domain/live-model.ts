// The live model: applies normalized PBX events and reports what changed.
// It holds legs, calls and presence inputs; everything else is derived.

import { type CallView, callView } from "./call-view.js";
import {
  type Call,
  isMonitoringCall,
  type Leg,
  legKey,
  legOnHold,
  legRings,
  type MonitoringSession,
  partyOf,
  rememberParty,
  updateParty,
} from "./calls.js";
import { DeviceIndex, type Directory, type User } from "./directory.js";
import type { LegCreated, PbxEvent, PbxSnapshot, SnapshotLeg } from "./events.js";
import { type PbxLink, PbxLinks } from "./pbx-links.js";
import { type ChosenPresence, derivePresence, type Presence } from "./presence.js";

export type { CallView, LegView } from "./call-view.js";

export type ModelChange =
  | { kind: "presence"; user: string; presence: Presence; previous: Presence }
  | { kind: "call"; call: CallView }
  | { kind: "call-ended"; call: CallView }
  /**
   * A call that stopped existing without ending: absorbed into another, or turned into a monitoring session.
   * `users` are the directory users it involved (their boards showed it).
   */
  | { kind: "call-gone"; pbx: string; id: string; users: string[] }
  /** The link to a followed PBX came up or went down (see pbx-links.ts). */
  | { kind: "link"; link: PbxLink };

export interface LiveModelOptions {
  /** PBXes whose connection is followed: each starts `connecting`, with its users offline until it answers. */
  links?: readonly string[];
}

interface UserInputs {
  chosen: ChosenPresence;
  dnd: boolean;
}

export interface ModelCounters {
  applied: number;
  /** Events about legs the model never saw (e.g. after a restart before the resync). */
  unknownLeg: number;
}

export class LiveModel {
  private readonly legs = new Map<string, Leg>();
  private readonly legsByUser = new Map<string, Set<Leg>>();
  private readonly bridges = new Map<string, Set<Leg>>();
  private readonly calls = new Map<string, Call>();
  private readonly reachability = new Map<string, Map<string, boolean>>();
  private readonly inputs = new Map<string, UserInputs>();
  private readonly presence = new Map<string, Presence>();
  private devices: DeviceIndex;
  private readonly links: PbxLinks;
  readonly counters: ModelCounters = { applied: 0, unknownLeg: 0 };

  constructor(
    private directory: Directory,
    options: LiveModelOptions = {},
  ) {
    this.devices = new DeviceIndex(directory);
    this.links = new PbxLinks(options.links);
    for (const id of directory.users.keys()) this.presence.set(id, this.computePresence(id));
  }

  /** Replaces the directory (settings changed); presence is recomputed, calls keep their legs. */
  setDirectory(directory: Directory): ModelChange[] {
    this.directory = directory;
    this.devices = new DeviceIndex(directory);
    for (const leg of this.legs.values()) {
      this.setUser(leg, this.userOfLeg(leg));
      this.setReachedUser(leg);
    }
    const touched = new Set<string>(directory.users.keys());
    for (const id of [...this.presence.keys()]) if (!directory.users.has(id)) this.presence.delete(id);
    return this.presenceChanges(touched);
  }

  apply(event: PbxEvent): ModelChange[] {
    this.counters.applied++;
    const touchedCalls = new Set<string>();
    const touchedUsers = new Set<string>();
    const ended: CallView[] = [];
    const ctx: ApplyContext = { touchedCalls, touchedUsers, ended, gone: [] };
    const listed = this.links.devicesListed(event.pbx);
    const link = this.links.apply(event);
    // The PBX listed its devices for the first time: who has none reachable there is offline now.
    if (!listed && this.links.devicesListed(event.pbx)) {
      for (const u of this.directory.users.values())
        if (pbxesOf(u).includes(event.pbx)) touchedUsers.add(u.id);
    }
    this.dispatch(event, ctx);
    const changes: ModelChange[] = link ? [{ kind: "link", link }] : [];
    for (const key of touchedCalls) {
      const call = this.calls.get(key);
      if (!call) continue;
      if (!isMonitoringCall(call, this.legs)) changes.push({ kind: "call", call: this.viewOf(call) });
      // Only monitoring legs left (a picker of a spy leg hung up): it is no call anyone sees any more.
      else if (!ctx.gone.some((g) => g.pbx === call.pbx && g.id === call.id)) {
        changes.push({ kind: "call-gone", pbx: call.pbx, id: call.id, users: usersOfCall(call) });
      }
    }
    for (const call of ended) changes.push({ kind: "call-ended", call });
    for (const g of ctx.gone) changes.push({ kind: "call-gone", pbx: g.pbx, id: g.id, users: g.users });
    changes.push(...this.presenceChanges(touchedUsers));
    return changes;
  }

  /** How much the model holds: legs and calls (monitoring sessions' own calls included). */
  get size(): { legs: number; calls: number } {
    return { legs: this.legs.size, calls: this.calls.size };
  }

  presenceOf(user: string): Presence {
    return this.presence.get(user) ?? "offline";
  }

  allPresence(): ReadonlyMap<string, Presence> {
    return this.presence;
  }

  /** The links to the followed PBXes: the same array until one changes. */
  pbxLinks(): readonly PbxLink[] {
    return this.links.list();
  }

  activeCalls(): CallView[] {
    const out: CallView[] = [];
    for (const call of this.calls.values()) {
      if (!isMonitoringCall(call, this.legs)) out.push(this.viewOf(call));
    }
    return out;
  }

  /** The calls a user has a leg in (monitoring sessions are not calls), oldest first. */
  callsOfUser(user: string): CallView[] {
    const seen = new Set<Call>();
    for (const leg of this.legsByUser.get(user) ?? []) {
      const call = this.calls.get(legKey(leg.pbx, leg.callId));
      if (call && !isMonitoringCall(call, this.legs)) seen.add(call);
    }
    return [...seen].sort(olderFirst).map((c) => this.viewOf(c));
  }

  /** Active calls with a monitoring session (running or ended) or a parked leg, in activeCalls() order. */
  monitoredOrParkedCalls(): CallView[] {
    const out: CallView[] = [];
    for (const call of this.calls.values()) {
      let special = call.monitoring.length > 0;
      for (const id of call.legs) if (!special && this.legs.get(legKey(call.pbx, id))?.parked) special = true;
      if (special && !isMonitoringCall(call, this.legs)) out.push(this.viewOf(call));
    }
    return out;
  }

  call(pbx: string, id: string): CallView | undefined {
    const call = this.calls.get(legKey(pbx, id));
    return call && !isMonitoringCall(call, this.legs) ? this.viewOf(call) : undefined;
  }

  /** The call a leg is part of (monitoring legs resolve to the call they monitor). */
  callOfLeg(pbx: string, leg: string): CallView | undefined {
    const l = this.legs.get(legKey(pbx, leg));
    if (!l) return undefined;
    return this.call(pbx, l.callId);
  }

  leg(pbx: string, id: string): Readonly<Leg> | undefined {
    return this.legs.get(legKey(pbx, id));
  }

  /** Active legs on a user's devices. */
  legsOfUser(user: string): Readonly<Leg>[] {
    return [...(this.legsByUser.get(user) ?? [])];
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

  private setBridge(leg: Leg, bridge: string | undefined): void {
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

  private dispatch(e: PbxEvent, ctx: ApplyContext): void {
    switch (e.type) {
      case "leg.created":
        this.createLeg(e.pbx, e, e.at, ctx);
        return;
      case "leg.identity": {
        const leg = this.known(e.pbx, e.leg);
        if (leg?.side !== "external") return;
        const before = partyOf(leg);
        if (e.number) leg.number = e.number;
        if (e.name) leg.name = e.name;
        this.setReachedUser(leg);
        const call = this.calls.get(legKey(leg.pbx, leg.callId));
        if (call) updateParty(call, before, partyOf(leg));
        this.touchLeg(leg, ctx);
        return;
      }
      case "leg.ringing": {
        const leg = this.known(e.pbx, e.leg);
        if (leg && leg.state !== "up") {
          leg.state = "ringing";
          this.touchLeg(leg, ctx);
        }
        return;
      }
      case "leg.answered": {
        const leg = this.known(e.pbx, e.leg);
        if (!leg) return;
        this.answer(leg, e.at);
        this.touchLeg(leg, ctx);
        return;
      }
      case "dial.started":
      case "dial.ended":
      case "leg.redirected":
      case "call.transferred":
        // Informational: the leg and bridge events that follow carry the state changes.
        for (const id of legsNamedBy(e)) {
          const leg = this.known(e.pbx, id);
          if (leg) this.touchLeg(leg, ctx);
        }
        return;
      case "call.pickedUp": {
        const picker = this.known(e.pbx, e.picker);
        const target = this.known(e.pbx, e.target);
        if (picker && target && picker.callId !== target.callId) this.moveLeg(picker, target.callId, ctx);
        if (picker) this.touchLeg(picker, ctx);
        return;
      }
      case "leg.bridged": {
        const leg = this.known(e.pbx, e.leg);
        if (!leg) return;
        this.setBridge(leg, e.bridge);
        this.joinBridgeCalls(leg, e.callId, ctx);
        this.answer(leg, e.at);
        this.touchLeg(leg, ctx);
        return;
      }
      case "leg.unbridged": {
        const leg = this.known(e.pbx, e.leg);
        if (!leg || leg.bridge !== e.bridge) return;
        this.setBridge(leg, undefined);
        // Hold belongs to the conversation the leg just left.
        leg.held = false;
        this.touchLeg(leg, ctx);
        this.touchBridgePeers(leg, e.bridge, ctx);
        return;
      }
      case "leg.held":
      case "leg.unheld": {
        const leg = this.known(e.pbx, e.leg);
        if (!leg) return;
        leg.held = e.type === "leg.held";
        this.touchLeg(leg, ctx);
        if (leg.bridge) this.touchBridgePeers(leg, leg.bridge, ctx);
        return;
      }
      case "call.parked": {
        const leg = this.known(e.pbx, e.leg);
        if (!leg) return;
        leg.parked = { lot: e.lot, space: e.space };
        this.touchLeg(leg, ctx);
        return;
      }
      case "call.unparked": {
        const leg = this.known(e.pbx, e.leg);
        if (!leg) return;
        leg.parked = undefined;
        this.touchLeg(leg, ctx);
        return;
      }
      case "monitoring.started":
        this.startMonitoring(e.pbx, e.spy, e.target, e.mode, e.at, ctx);
        return;
      case "monitoring.stopped": {
        const spy = this.known(e.pbx, e.spy);
        if (spy) this.stopMonitoring(spy, e.at, ctx);
        return;
      }
      case "recording.started":
      case "recording.stopped": {
        const leg = this.known(e.pbx, e.leg);
        if (!leg) return;
        leg.recording = e.type === "recording.started";
        if (e.type === "recording.stopped" && e.file && !leg.stoppedRecordings?.includes(e.file))
          leg.stoppedRecordings = [...(leg.stoppedRecordings ?? []), e.file];
        if (leg.recording) {
          const call = this.calls.get(legKey(leg.pbx, leg.callId));
          if (call) call.recorded = true;
        }
        this.touchLeg(leg, ctx);
        return;
      }
      case "leg.hangup": {
        const leg = this.known(e.pbx, e.leg);
        if (leg) this.removeLeg(leg, e.at, ctx);
        return;
      }
      case "device.reachability": {
        this.setReachability(e.pbx, e.endpoint, e.reachable, ctx);
        return;
      }
      case "presence.state": {
        const user = this.devices.userForExtension(e.pbx, e.extension);
        if (!user) return;
        this.userInputs(user).chosen = e.state;
        ctx.touchedUsers.add(user);
        return;
      }
      case "presence.dnd": {
        const user = this.devices.userForExtension(e.pbx, e.extension);
        if (!user) return;
        this.userInputs(user).dnd = e.on;
        ctx.touchedUsers.add(user);
        return;
      }
      case "pbx.snapshot":
        this.resync(e, ctx);
        return;
      case "pbx.connection":
        return;
    }
  }

  private known(pbx: string, id: string): Leg | undefined {
    const leg = this.legs.get(legKey(pbx, id));
    if (!leg) this.counters.unknownLeg++;
    return leg;
  }

  private createLeg(pbx: string, e: LegCreated | SnapshotLeg, at: number, ctx: ApplyContext): Leg {
    const key = legKey(pbx, e.leg);
    const existing = this.legs.get(key);
    if (existing) {
      // A duplicate or a resync re-announcing a leg: refresh what the PBX reports, keep our history.
      if (existing.callId !== e.callId) this.moveLeg(existing, e.callId, ctx);
      if (e.side === "external") {
        existing.number = e.number;
        if (e.name) existing.name = e.name;
      }
      this.touchLeg(existing, ctx);
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
    this.legs.set(key, leg);
    this.setUser(leg, this.userOfLeg(leg));
    this.setReachedUser(leg);
    const call = this.callFor(pbx, e.callId, at);
    call.legs.add(leg.id);
    if (!leg.outgoing && call.originator === undefined) call.originator = leg.id;
    rememberParty(call, partyOf(leg));
    this.touchLeg(leg, ctx);
    return leg;
  }

  private setReachedUser(leg: Leg): void {
    const reached = leg.side === "external" ? this.devices.userOnAnotherPbx(leg.pbx, leg.number) : undefined;
    if (reached) leg.reachedUser = reached;
    else delete leg.reachedUser;
  }

  private userOfLeg(leg: Leg): string | undefined {
    if (leg.side !== "internal") return undefined;
    return this.devices.userForDevice(leg.pbx, leg.endpoint, leg.number);
  }

  private callFor(pbx: string, id: string, at: number): Call {
    const key = legKey(pbx, id);
    let call = this.calls.get(key);
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
      };
      this.calls.set(key, call);
    }
    return call;
  }

  private answer(leg: Leg, at: number): void {
    if (leg.state === "up") return;
    leg.state = "up";
    leg.answeredAt = at;
    const call = this.calls.get(legKey(leg.pbx, leg.callId));
    if (!call || leg.monitors) return;
    if (call.answeredAt === undefined) call.answeredAt = at;
    // The caller speaks once anyone answers, whether or not its own leg reports an answer.
    const caller = call.originator ? this.legs.get(legKey(call.pbx, call.originator)) : undefined;
    if (caller && !caller.monitors) rememberParty(call, partyOf(caller), "talkers");
    rememberParty(call, partyOf(leg), "talkers");
  }

  /**
   * Everyone talking in one bridge is in one call. PBXes announce that late or never (Asterisk rewrites a
   * picker's Linkedid only after it is bridged), so legs from a younger call move into the oldest one.
   */
  private joinBridgeCalls(leg: Leg, announcedCallId: string, ctx: ApplyContext): void {
    if (leg.bridge === undefined) return;
    const members = [...(this.bridges.get(legKey(leg.pbx, leg.bridge)) ?? [])].filter((l) => !l.monitors);
    // The call the PBX says the leg belongs to now counts too, if the model knows it.
    let oldest: Call | undefined = this.calls.get(legKey(leg.pbx, announcedCallId));
    for (const m of members) {
      const call = this.calls.get(legKey(m.pbx, m.callId));
      if (call && (!oldest || call.startedAt < oldest.startedAt)) oldest = call;
    }
    if (!oldest) return;
    for (const m of members) if (m.callId !== oldest.id) this.moveLeg(m, oldest.id, ctx);
  }

  /** A picker's or retriever's leg joins another call: its own one-leg call is absorbed. */
  private moveLeg(leg: Leg, callId: string, ctx: ApplyContext): void {
    const oldKey = legKey(leg.pbx, leg.callId);
    const old = this.calls.get(oldKey);
    const target = this.callFor(leg.pbx, callId, old?.startedAt ?? leg.createdAt);
    if (old) {
      old.legs.delete(leg.id);
      if (old.legs.size === 0) {
        this.calls.delete(oldKey);
        ctx.touchedCalls.delete(oldKey);
        ctx.gone.push({ pbx: leg.pbx, id: old.id, users: usersOfCall(old, leg) });
        if (old.recorded) target.recorded = true;
        if (target.answeredAt === undefined && old.answeredAt !== undefined)
          target.answeredAt = old.answeredAt;
      } else {
        ctx.touchedCalls.add(oldKey);
      }
    }
    leg.callId = callId;
    target.legs.add(leg.id);
    // The call it joins changed even when the event was about another leg (a spy leg bridging in).
    this.touchLeg(leg, ctx);
    if (leg.state === "up" && target.answeredAt === undefined) target.answeredAt = leg.answeredAt;
    if (leg.recording) target.recorded = true;
    rememberParty(target, partyOf(leg));
    if (leg.state === "up" && !leg.monitors) rememberParty(target, partyOf(leg), "talkers");
  }

  private removeLeg(leg: Leg, at: number, ctx: ApplyContext): void {
    try {
      this.endLeg(leg, at, ctx);
    } finally {
      this.setBridge(leg, undefined);
      this.setUser(leg, undefined);
    }
  }

  private endLeg(leg: Leg, at: number, ctx: ApplyContext): void {
    const key = legKey(leg.pbx, leg.id);
    this.legs.delete(key);
    if (leg.monitors) this.stopMonitoring(leg, at, ctx);
    if (leg.user) ctx.touchedUsers.add(leg.user);
    // Sessions monitoring this leg end with it.
    for (const other of this.legs.values()) {
      if (other.pbx === leg.pbx && other.monitors?.target === leg.id) this.stopMonitoring(other, at, ctx);
    }
    const callKey = legKey(leg.pbx, leg.callId);
    const call = this.calls.get(callKey);
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
    this.calls.delete(callKey);
    ctx.touchedCalls.delete(callKey);
    if (!monitoringOnly) ctx.ended.push(this.viewOf(call));
  }

  private startMonitoring(
    pbx: string,
    spyId: string,
    targetId: string,
    mode: MonitoringSession["mode"],
    at: number,
    ctx: ApplyContext,
  ): void {
    const spy = this.known(pbx, spyId);
    const target = this.known(pbx, targetId);
    if (!spy || !target) return;
    const call = this.calls.get(legKey(pbx, target.callId));
    if (!call) return;
    const active = call.monitoring.find((s) => s.spyLeg === spy.id && s.endedAt === undefined);
    if (active) {
      active.mode = mode;
    } else {
      const session: MonitoringSession = {
        spyLeg: spy.id,
        byNumber: spy.number,
        targetLeg: target.id,
        mode,
        startedAt: at,
      };
      if (spy.user) session.by = spy.user;
      if (target.user) session.target = target.user;
      call.monitoring.push(session);
    }
    const already = spy.monitors !== undefined;
    spy.monitors = { target: target.id, mode };
    // The supervisor's own leg stops being a call of its own: it is a session on the monitored call.
    const spyCallKey = legKey(pbx, spy.callId);
    ctx.touchedCalls.delete(spyCallKey);
    if (!already) ctx.gone.push({ pbx, id: spy.callId, users: spy.user === undefined ? [] : [spy.user] });
    ctx.touchedCalls.add(legKey(pbx, call.id));
    if (spy.user) ctx.touchedUsers.add(spy.user);
  }

  private stopMonitoring(spy: Leg, at: number, ctx: ApplyContext): void {
    if (!spy.monitors) return;
    const target = this.legs.get(legKey(spy.pbx, spy.monitors.target));
    const callId = target?.callId;
    for (const call of this.calls.values()) {
      if (call.pbx !== spy.pbx || (callId !== undefined && call.id !== callId)) continue;
      for (const s of call.monitoring) {
        if (s.spyLeg === spy.id && s.endedAt === undefined) {
          s.endedAt = at;
          ctx.touchedCalls.add(legKey(call.pbx, call.id));
        }
      }
    }
    if (spy.user) ctx.touchedUsers.add(spy.user);
  }

  private setReachability(pbx: string, endpoint: string, reachable: boolean, ctx: ApplyContext): void {
    const resource = endpoint.slice(endpoint.lastIndexOf("/") + 1);
    const user = this.devices.userForDevice(pbx, endpoint, resource);
    if (!user) return;
    let devices = this.reachability.get(user);
    if (!devices) {
      devices = new Map();
      this.reachability.set(user, devices);
    }
    devices.set(`${pbx}\u0000${endpoint}`, reachable);
    ctx.touchedUsers.add(user);
  }

  private resync(s: PbxSnapshot, ctx: ApplyContext): void {
    const present = new Set(s.legs.map((l) => l.leg));
    for (const leg of [...this.legs.values()]) {
      if (leg.pbx === s.pbx && !present.has(leg.id)) this.removeLeg(leg, s.at, ctx);
    }
    const fresh = new Set<string>();
    for (const sl of s.legs) {
      // Legs the model learns here started when the PBX says, not now (a PBX clock ahead counts as now).
      const created = Math.min(sl.createdAt ?? s.at, s.at);
      const callKey = legKey(s.pbx, sl.callId);
      if (!this.calls.has(callKey)) fresh.add(callKey);
      const known = this.legs.has(legKey(s.pbx, sl.leg));
      const leg = this.createLeg(s.pbx, sl, created, ctx);
      const call = fresh.has(callKey) ? this.calls.get(callKey) : undefined;
      if (call && leg.createdAt < call.startedAt) call.startedAt = leg.createdAt;
      if (sl.state === "up") {
        // Answered when the PBX says. Else a leg learned here counts from its start, and a leg the model
        // knew ringing from the resync (it saw it ring until the link was lost).
        const answered = Math.min(sl.answeredAt ?? (known ? s.at : created), s.at);
        this.answer(leg, Math.max(answered, leg.createdAt));
        if (call && !leg.monitors && leg.answeredAt !== undefined && leg.answeredAt < (call.answeredAt ?? 0))
          call.answeredAt = leg.answeredAt;
      } else if (sl.state === "ringing") leg.state = "ringing";
      this.setBridge(leg, sl.bridge);
      leg.held = sl.held ?? false;
      leg.parked = undefined;
    }
    for (const p of s.parked) {
      const leg = this.legs.get(legKey(s.pbx, p.leg));
      if (leg) leg.parked = { lot: p.lot, space: p.space };
    }
    if (s.recordings) this.resyncRecordings(s, new Map(s.recordings.map((r) => [r.leg, r.file])));
    for (const r of s.reachability) this.setReachability(s.pbx, r.endpoint, r.reachable, ctx);
    for (const p of s.presence) {
      const user = this.devices.userForExtension(s.pbx, p.extension);
      if (user) {
        this.userInputs(user).chosen = p.state;
        ctx.touchedUsers.add(user);
      }
    }
    for (const d of s.dnd) {
      const user = this.devices.userForExtension(s.pbx, d.extension);
      if (user) {
        this.userInputs(user).dnd = d.on;
        ctx.touchedUsers.add(user);
      }
    }
  }

  /**
   * Which of the snapshot's legs are being recorded, as the PBX says (recordings that began or ended
   * unseen) — except a file this model saw stop on that leg (Asterisk keeps naming it after a stop).
   */
  private resyncRecordings(s: PbxSnapshot, recorded: ReadonlyMap<string, string | undefined>): void {
    for (const sl of s.legs) {
      const leg = this.legs.get(legKey(s.pbx, sl.leg));
      if (!leg) continue;
      const file = recorded.get(sl.leg);
      leg.recording = recorded.has(sl.leg) && !(file && leg.stoppedRecordings?.includes(file));
      const call = this.calls.get(legKey(s.pbx, leg.callId));
      if (leg.recording && call) call.recorded = true;
    }
  }

  private userInputs(user: string): UserInputs {
    let inputs = this.inputs.get(user);
    if (!inputs) {
      inputs = { chosen: "not-set", dnd: false };
      this.inputs.set(user, inputs);
    }
    return inputs;
  }

  private touchLeg(leg: Leg, ctx: ApplyContext): void {
    ctx.touchedCalls.add(legKey(leg.pbx, leg.callId));
    if (leg.user) ctx.touchedUsers.add(leg.user);
  }

  private touchBridgePeers(leg: Leg, bridge: string, ctx: ApplyContext): void {
    const call = this.calls.get(legKey(leg.pbx, leg.callId));
    if (!call) return;
    for (const id of call.legs) {
      const peer = this.legs.get(legKey(leg.pbx, id));
      if (peer && peer.bridge === bridge && peer.user) ctx.touchedUsers.add(peer.user);
    }
  }

  private presenceChanges(users: Iterable<string>): ModelChange[] {
    const changes: ModelChange[] = [];
    for (const user of users) {
      if (!this.directory.users.has(user)) continue;
      const previous = this.presence.get(user) ?? "offline";
      const next = this.computePresence(user);
      if (next !== previous) {
        this.presence.set(user, next);
        changes.push({ kind: "presence", user, presence: next, previous });
      } else if (!this.presence.has(user)) {
        this.presence.set(user, next);
      }
    }
    return changes;
  }

  private computePresence(user: string): Presence {
    const inputs = this.inputs.get(user);
    const legStates: ("ringing" | "talking" | "held")[] = [];
    for (const leg of this.legsByUser.get(user) ?? []) {
      const call = this.calls.get(legKey(leg.pbx, leg.callId));
      if (legRings(leg)) legStates.push("ringing");
      else if (legOnHold(leg, this.legs, call)) legStates.push("held");
      else legStates.push("talking");
    }
    const u = this.directory.users.get(user);
    return derivePresence({
      reachability: [...(this.reachability.get(user)?.values() ?? [])],
      devicesListed: u !== undefined && pbxesOf(u).some((p) => this.links.devicesListed(p)),
      chosen: inputs?.chosen ?? "not-set",
      dnd: inputs?.dnd ?? false,
      legs: legStates,
    });
  }

  private viewOf(call: Call): CallView {
    return callView(call, this.legs);
  }
}

interface ApplyContext {
  touchedCalls: Set<string>;
  touchedUsers: Set<string>;
  ended: CallView[];
  gone: { pbx: string; id: string; users: string[] }[];
}

/** The PBXes a user's extension and devices live on. */
function pbxesOf(user: User): string[] {
  return [user.pbx, ...user.devices.map((d) => d.pbx)];
}

function olderFirst(a: Call, b: Call): number {
  if (a.startedAt !== b.startedAt) return a.startedAt - b.startedAt;
  return a.pbx === b.pbx ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : a.pbx < b.pbx ? -1 : 1;
}

/** Everyone a call involved: its parties so far and the leg leaving it last. */
function usersOfCall(call: Call, lastLeg?: Leg): string[] {
  const users = new Set<string>();
  for (const p of call.history) if (p.user !== undefined) users.add(p.user);
  if (lastLeg?.user !== undefined) users.add(lastLeg.user);
  return [...users];
}

function legsNamedBy(e: PbxEvent): string[] {
  switch (e.type) {
    case "dial.started":
    case "dial.ended":
      return e.caller ? [e.caller, e.callee] : [e.callee];
    case "leg.redirected":
      return [e.leg];
    case "call.transferred":
      return e.transferee ? [e.transferer, e.transferee] : [e.transferer];
    default:
      return [];
  }
}

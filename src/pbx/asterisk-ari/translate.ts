// ARI events (the `/ari/events?subscribeAll=true` stream) -> normalized events. Deterministic and
// free of I/O, like the AMI translation it mirrors (../asterisk-ami/translate.ts). What ARI spreads
// over several events, or leaves out, is kept here:
//
// - ARI channels carry no Linkedid. A channel created by Dial() (state `Down`, exten `s`) is held back
//   until the `Dial` event names its caller, so it joins the caller's call from its first event.
//   Everything else starts a call of its own, and a bridge re-homes its members into the oldest call
//   among them (as Asterisk does with the Linkedid, see pbx-reference §1.3).
// - There is no Pickup event: a `Dial` ANSWER whose peer is not one of the caller's dialled channels is
//   the picker (trace 09).
// - There are no parking events: the parkee enters a holding bridge of class `parking` whose name is
//   the lot, and `park:<space>@<context>` turns INUSE at the same moment (trace 08). Optional.
// - There are no MixMonitor events, but the `MIXMONITOR_FILENAME` variable is set when one starts
//   (traces 11a/11b); its stop is not visible. Optional.
// - Callsight's own listen/whisper/barge sessions are mixing bridges named
//   `callsight-monitor:<mode>:<target leg>` holding a Snoop channel and the supervisor's channel.
// - Callsight's own recordings are ARI recordings of a Snoop channel (`Snoop/<target id>-<n>`).

import type { MonitoringMode } from "../../domain/directory.js";
import type { PbxEvent } from "../../domain/events.js";
import { dialStarted, dialStatus, PLUMBING, splitChannelName } from "../asterisk-ami/translate.js";
import { EndpointClassifier } from "../endpoints.js";
import { type AriBridge, type AriChannel, type AriEvent, ariTime, isBridge, isChannel } from "./types.js";

/** Prefix of the mixing bridges the driver creates for listen / whisper / barge. */
export const MONITOR_BRIDGE_PREFIX = "callsight-monitor";

export function monitorBridgeName(mode: MonitoringMode, targetLeg: string): string {
  return `${MONITOR_BRIDGE_PREFIX}:${mode}:${targetLeg}`;
}

export function parseMonitorBridgeName(
  name: string | undefined,
): { mode: MonitoringMode; target: string } | undefined {
  if (!name?.startsWith(`${MONITOR_BRIDGE_PREFIX}:`)) return undefined;
  const rest = name.slice(MONITOR_BRIDGE_PREFIX.length + 1);
  const colon = rest.indexOf(":");
  if (colon < 0) return undefined;
  const mode = rest.slice(0, colon);
  const target = rest.slice(colon + 1);
  if ((mode !== "listen" && mode !== "whisper" && mode !== "barge") || !target) return undefined;
  return { mode, target };
}

/** `Snoop/1795373507.102-00000003` -> `1795373507.102` (the snooped channel's id). */
export function snoopTarget(channelName: string): string | undefined {
  if (!channelName.startsWith("Snoop/")) return undefined;
  const rest = channelName.slice("Snoop/".length);
  const dash = rest.lastIndexOf("-");
  return dash > 0 ? rest.slice(0, dash) : undefined;
}

/** Event types Callsight reads nothing from. They are expected and not counted as unknown. */
export const ARI_IGNORED_EVENTS: ReadonlySet<string> = new Set([
  "ChannelTalkingStarted",
  "ChannelTalkingFinished",
  "ChannelDtmfReceived",
  "ChannelToneDetected",
  "ChannelUserevent",
  "ChannelTransfer",
  "BridgeMerged",
  "BridgeVideoSourceChanged",
  "StasisStart",
  "StasisEnd",
  "PlaybackStarted",
  "PlaybackContinuing",
  "PlaybackFinished",
  "ApplicationReplaced",
  "ApplicationMoveFailed",
  "ApplicationRegistered",
  "ApplicationUnregistered",
  "TextMessageReceived",
]);

export interface AriTranslatorOptions {
  /**
   * Report parked calls from the parking lot's holding bridge (ARI has no parking events). Turn off
   * when an AMI companion reports `ParkedCall`/`UnParkedCall`, so a park is never reported twice.
   */
  parkingFromBridges?: boolean;
  /**
   * Report a MixMonitor started outside Callsight from its `MIXMONITOR_FILENAME` variable (ARI has no
   * MixMonitor events; the stop is not visible, so it lasts until the leg hangs up). Turn off when an
   * AMI companion reports `MixMonitorStart`/`MixMonitorStop`.
   */
  mixMonitorFromVarset?: boolean;
}

export interface AriTranslatorCounters {
  events: number;
  normalized: number;
  ignored: number;
  unknown: Record<string, number>;
}

interface KnownChannel {
  name: string;
  /** false for Local/Snoop/Announcer channels: plumbing, not parties. */
  leg: boolean;
  side: "internal" | "external";
  number: string;
  callId: string;
  hangupRequested: boolean;
}

interface PendingChannel {
  channel: AriChannel;
  at: number;
}

interface KnownBridge {
  cls: string;
  type: string;
  name: string;
  members: Set<string>;
}

export class AriTranslator {
  private readonly classifier: EndpointClassifier;
  private readonly channels = new Map<string, KnownChannel>();
  private readonly pending = new Map<string, PendingChannel>();
  /** When each call (by id) started: bridges re-home their members into the oldest. */
  private readonly callStarts = new Map<string, number>();
  private readonly callRefs = new Map<string, number>();
  /** The channels a caller's Dial() created (caller id -> peers), and back. */
  private readonly dialled = new Map<string, Set<string>>();
  private readonly dialledBy = new Map<string, string>();
  /** The bridge each channel is in. */
  private readonly inBridge = new Map<string, string>();
  private readonly bridges = new Map<string, KnownBridge>();
  /** `park:<space>@<context>` device states that turned INUSE and are not yet matched to a parkee. */
  private readonly freshSpaces: string[] = [];
  private readonly parked = new Map<string, { lot: string; space: string }>();
  private readonly monitoring = new Map<string, { target: string; bridge: string }>();
  private readonly recordings = new Map<string, string>();
  private readonly mixMonitored = new Set<string>();
  private readonly reachable = new Map<string, boolean>();
  /** Local channel name -> id: the two halves of a Local channel belong to the same call. */
  private readonly locals = new Map<string, string>();
  private readonly parkingFromBridges: boolean;
  private readonly mixMonitorFromVarset: boolean;
  /** `unknown` is keyed by event types from the wire: no prototype, so a `toString` type counts like any other. */
  readonly counters: AriTranslatorCounters = {
    events: 0,
    normalized: 0,
    ignored: 0,
    unknown: Object.create(null),
  };

  constructor(
    private readonly pbx: string,
    classifier?: EndpointClassifier,
    options: AriTranslatorOptions = {},
    private readonly now: () => number = () => 0,
  ) {
    this.classifier = classifier ?? new EndpointClassifier();
    this.parkingFromBridges = options.parkingFromBridges ?? true;
    this.mixMonitorFromVarset = options.mixMonitorFromVarset ?? true;
  }

  /** Forget everything (a new session starts; the resync snapshot says what exists). */
  reset(): void {
    this.channels.clear();
    this.pending.clear();
    this.callStarts.clear();
    this.callRefs.clear();
    this.dialled.clear();
    this.dialledBy.clear();
    this.inBridge.clear();
    this.bridges.clear();
    this.freshSpaces.length = 0;
    this.parked.clear();
    this.monitoring.clear();
    this.recordings.clear();
    this.mixMonitored.clear();
    this.reachable.clear();
    this.locals.clear();
  }

  /**
   * Seeds the state from a resync (GET /channels, /bridges): later events about these channels
   * continue the snapshot instead of announcing the channels again.
   */
  seed(
    legs: readonly {
      leg: string;
      callId: string;
      channel: string;
      side: "internal" | "external";
      number: string;
    }[],
    plumbing: readonly { id: string; name: string; callId?: string }[],
    bridges: readonly AriBridge[],
    parked: readonly { leg: string; lot: string; space: string }[],
    at: number,
  ): void {
    for (const l of legs) {
      this.remember(l.leg, {
        name: l.channel,
        leg: true,
        side: l.side,
        number: l.number,
        callId: l.callId,
        hangupRequested: false,
      });
      if (!this.callStarts.has(l.callId)) this.callStarts.set(l.callId, at);
    }
    for (const p of plumbing) {
      this.remember(p.id, {
        name: p.name,
        leg: false,
        side: "internal",
        number: "",
        callId: p.callId ?? p.id,
        hangupRequested: false,
      });
      if (p.name.startsWith("Local/")) this.locals.set(p.name, p.id);
    }
    for (const b of bridges) {
      const known = this.bridge(b);
      for (const id of b.channels ?? []) {
        known.members.add(id);
        this.inBridge.set(id, b.id);
      }
      const monitor = parseMonitorBridgeName(b.name);
      if (monitor) {
        for (const id of b.channels ?? []) {
          if (this.channels.get(id)?.leg) this.monitoring.set(id, { target: monitor.target, bridge: b.id });
        }
      }
    }
    for (const p of parked) this.parked.set(p.leg, { lot: p.lot, space: p.space });
  }

  /** The call id the translator has for a leg (for the driver's commands). */
  callIdOf(leg: string): string | undefined {
    return this.channels.get(leg)?.callId ?? this.pending.get(leg)?.channel.id;
  }

  translate(e: AriEvent): PbxEvent[] {
    this.counters.events++;
    const out: PbxEvent[] = [];
    const at = ariTime(e.timestamp) ?? this.now();
    const base = { pbx: this.pbx, at };
    switch (e.type) {
      case "ChannelCreated": {
        const ch = e.channel;
        if (!isChannel(ch)) break;
        if (this.channels.has(ch.id) || this.pending.has(ch.id)) break;
        if (isOutgoing(ch) && !isPlumbing(ch.name)) {
          // Wait for the Dial event: it says whose call this channel belongs to.
          this.pending.set(ch.id, { channel: ch, at });
          break;
        }
        this.ensure(ch, at, out);
        break;
      }
      case "ChannelDialplan":
      case "ChannelConnectedLine": {
        this.refreshPending(e.channel);
        this.counters.ignored++;
        break;
      }
      case "ChannelCallerId": {
        const ch = e.channel;
        if (!isChannel(ch)) break;
        if (this.refreshPending(ch)) break;
        const known = this.channels.get(ch.id);
        if (!known) {
          this.ensure(ch, at, out);
          break;
        }
        const number = callerNumber(ch);
        if (known.leg && known.side === "external" && number !== "" && number !== known.number) {
          known.number = number;
          out.push({ ...base, type: "leg.identity", leg: ch.id, number, ...nameOf(ch) });
        }
        break;
      }
      case "ChannelVarset": {
        const ch = e.channel;
        if (isChannel(ch)) this.refreshPending(ch);
        if (
          this.mixMonitorFromVarset &&
          e.variable === "MIXMONITOR_FILENAME" &&
          isChannel(ch) &&
          typeof e.value === "string" &&
          e.value !== "" &&
          !this.mixMonitored.has(ch.id)
        ) {
          if (this.ensure(ch, at, out)) {
            this.mixMonitored.add(ch.id);
            out.push({ ...base, type: "recording.started", leg: ch.id, file: e.value });
          }
          break;
        }
        this.counters.ignored++;
        break;
      }
      case "Dial": {
        this.dial(e, at, out);
        break;
      }
      case "ChannelStateChange": {
        const ch = e.channel;
        if (!isChannel(ch) || !this.ensure(ch, at, out)) break;
        if (ch.state === "Ringing") out.push({ ...base, type: "leg.ringing", leg: ch.id });
        else if (ch.state === "Up") out.push({ ...base, type: "leg.answered", leg: ch.id });
        break;
      }
      case "ChannelEnteredBridge": {
        this.enteredBridge(e, at, out);
        break;
      }
      case "ChannelLeftBridge": {
        this.leftBridge(e, at, out);
        break;
      }
      case "ChannelHold":
      case "ChannelUnhold": {
        const ch = e.channel;
        if (!isChannel(ch) || !this.ensure(ch, at, out)) break;
        out.push({ ...base, type: e.type === "ChannelHold" ? "leg.held" : "leg.unheld", leg: ch.id });
        break;
      }
      case "ChannelHangupRequest": {
        const ch = e.channel;
        const known = isChannel(ch) ? this.channels.get(ch.id) : undefined;
        if (known) known.hangupRequested = true;
        this.counters.ignored++;
        break;
      }
      case "ChannelDestroyed": {
        this.destroyed(e, at, out);
        break;
      }
      case "BridgeCreated":
      case "BridgeDestroyed": {
        if (isBridge(e.bridge)) {
          if (e.type === "BridgeCreated") this.bridge(e.bridge);
          else this.bridges.delete(e.bridge.id);
        }
        this.counters.ignored++;
        break;
      }
      case "BridgeBlindTransfer": {
        const transferer = e.channel;
        if (!isChannel(transferer) || !this.ensure(transferer, at, out)) break;
        const transferee =
          isChannel(e.transferee) && this.ensure(e.transferee, at, out) ? e.transferee : undefined;
        out.push({
          ...base,
          type: "call.transferred",
          kind: "blind",
          transferer: transferer.id,
          ...(transferee ? { transferee: transferee.id } : {}),
          destination: e.exten ?? "",
          success: e.result === "Success",
        });
        break;
      }
      case "BridgeAttendedTransfer": {
        const transferer = e.transferer_first_leg;
        if (!isChannel(transferer) || !this.ensure(transferer, at, out)) break;
        const transferee =
          isChannel(e.transferee) && this.ensure(e.transferee, at, out) ? e.transferee : undefined;
        const target = isChannel(e.transfer_target) ? e.transfer_target : undefined;
        out.push({
          ...base,
          type: "call.transferred",
          kind: "attended",
          transferer: transferer.id,
          ...(transferee ? { transferee: transferee.id } : {}),
          destination: target ? target.name : (e.destination_type ?? ""),
          success: e.result === "Success",
        });
        break;
      }
      case "DeviceStateChanged": {
        const ds = e.device_state;
        if (ds && typeof ds.name === "string") this.deviceState(ds.name, String(ds.state ?? ""), at, out);
        break;
      }
      case "EndpointStateChange": {
        const ep = e.endpoint;
        if (!ep?.technology || !ep.resource) break;
        const endpoint = `${ep.technology}/${ep.resource}`;
        if (ep.state === "online") this.setReachable(endpoint, true, at, out);
        else if (ep.state === "offline") this.setReachable(endpoint, false, at, out);
        break;
      }
      case "PeerStatusChange": {
        const ep = e.endpoint;
        const peer = e.peer as { peer_status?: string } | undefined;
        if (!ep?.technology || !ep.resource) break;
        const endpoint = `${ep.technology}/${ep.resource}`;
        const status = peer?.peer_status ?? "";
        if (status === "Reachable" || status === "Registered") this.setReachable(endpoint, true, at, out);
        else if (status === "Unreachable" || status === "Unregistered" || status === "Rejected")
          this.setReachable(endpoint, false, at, out);
        break;
      }
      case "ContactStatusChange": {
        // NonQualified comes first on a REGISTER while the endpoint still says offline (trace 12): only a
        // reachable contact, or the last contact going away, says something about the device.
        const ep = e.endpoint;
        const status = e.contact_info?.contact_status ?? "";
        if (!ep?.technology || !ep.resource) break;
        const endpoint = `${ep.technology}/${ep.resource}`;
        if (status === "Reachable") this.setReachable(endpoint, true, at, out);
        else if ((status === "Removed" || status === "Unreachable") && ep.state === "offline")
          this.setReachable(endpoint, false, at, out);
        break;
      }
      case "RecordingStarted":
      case "RecordingFinished":
      case "RecordingFailed": {
        this.recording(e, at, out);
        break;
      }
      default:
        if (ARI_IGNORED_EVENTS.has(e.type)) this.counters.ignored++;
        else this.counters.unknown[e.type] = (this.counters.unknown[e.type] ?? 0) + 1;
    }
    this.counters.normalized += out.length;
    return out;
  }

  // ---- channels ---------------------------------------------------------------------------------

  /** A held-back channel's latest snapshot (its caller id may change before Dial names it). */
  private refreshPending(ch: AriChannel | undefined): boolean {
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
  private ensure(ch: AriChannel, at: number, out: PbxEvent[], callId?: string): boolean {
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
    });
    const outgoing = isOutgoing(snapshot);
    const exten = snapshot.dialplan?.exten ?? "";
    const dialled = !outgoing && exten && exten !== "s" ? exten : undefined;
    out.push({
      pbx: this.pbx,
      at: createdAt,
      type: "leg.created",
      leg: ch.id,
      callId: id,
      channel: snapshot.name,
      endpoint,
      side,
      number,
      ...nameOf(snapshot),
      outgoing,
      ...(dialled ? { dialled } : {}),
    });
    return true;
  }

  private dial(e: AriEvent, at: number, out: PbxEvent[]): void {
    const peer = isChannel(e.peer) ? e.peer : undefined;
    const caller = isChannel(e.caller) ? e.caller : undefined;
    if (!peer) return;
    const base = { pbx: this.pbx, at };
    const callerLeg = caller ? this.ensure(caller, at, out) : false;
    const callerCall = caller ? this.channels.get(caller.id)?.callId : undefined;
    const wasPending = this.pending.has(peer.id);
    if (!this.ensure(peer, at, out, wasPending ? callerCall : undefined)) {
      // A Local channel dialled by a party (queue, ring group, follow-me) carries the caller's call
      // to the phones its other half dials.
      if (callerCall !== undefined) this.setPlumbingCall(peer.id, callerCall);
      return;
    }
    const status = e.dialstatus ?? "";
    if (caller && wasPending) {
      const set = this.dialled.get(caller.id) ?? new Set<string>();
      set.add(peer.id);
      this.dialled.set(caller.id, set);
      this.dialledBy.set(peer.id, caller.id);
    }
    if (status === "") {
      dialStarted(
        base,
        callerLeg && caller ? caller.id : undefined,
        peer.id,
        this.channels.get(peer.id),
        e.dialstring ?? "",
        out,
      );
      return;
    }
    if (status === "RINGING" || status === "PROCEEDING" || status === "PROGRESS") return;
    if (status === "ANSWER" && caller && callerLeg) {
      // Answered by a channel the caller did not dial: a directed pickup (trace 09). The picker
      // answered the ringing channel of that dial, which is hung up with cause 26 right after.
      const targets = this.dialled.get(caller.id);
      if (targets && !targets.has(peer.id)) {
        const target = [...targets].find((id) => this.channels.has(id));
        if (target) out.push({ ...base, type: "call.pickedUp", picker: peer.id, target });
      }
    }
    out.push({
      ...base,
      type: "dial.ended",
      ...(callerLeg && caller ? { caller: caller.id } : {}),
      callee: peer.id,
      status: dialStatus(status),
    });
  }

  private destroyed(e: AriEvent, at: number, out: PbxEvent[]): void {
    const ch = e.channel;
    if (!isChannel(ch)) return;
    // A held-back channel that never got its Dial event still existed: announce it before its end.
    if (this.pending.has(ch.id)) this.ensure(ch, at, out);
    const known = this.channels.get(ch.id);
    this.forget(ch.id);
    this.parked.delete(ch.id);
    if (!known?.leg) return;
    out.push({
      pbx: this.pbx,
      at,
      type: "leg.hangup",
      leg: ch.id,
      cause: typeof e.cause === "number" ? e.cause : Number.parseInt(String(e.cause ?? "0"), 10) || 0,
      causeText: typeof e.cause_txt === "string" ? e.cause_txt : "",
    });
  }

  private forget(id: string): void {
    const known = this.channels.get(id);
    this.channels.delete(id);
    if (known) this.ref(known.callId, -1);
    if (known?.name.startsWith("Local/") && this.locals.get(known.name) === id)
      this.locals.delete(known.name);
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

  private remember(id: string, known: KnownChannel): void {
    const previous = this.channels.get(id);
    if (previous) this.ref(previous.callId, -1);
    this.channels.set(id, known);
    this.ref(known.callId, 1);
  }

  private moveCall(known: KnownChannel, callId: string): void {
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

  // ---- bridges ----------------------------------------------------------------------------------

  private bridge(b: AriBridge): KnownBridge {
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

  private enteredBridge(e: AriEvent, at: number, out: PbxEvent[]): void {
    const ch = e.channel;
    const b = e.bridge;
    if (!isChannel(ch) || !isBridge(b)) return;
    const bridge = this.bridge(b);
    const isLeg = this.ensure(ch, at, out);
    bridge.members.clear();
    for (const id of b.channels ?? []) bridge.members.add(id);
    bridge.members.add(ch.id);
    this.inBridge.set(ch.id, b.id);
    if (!isLeg) {
      const call = this.oldestCall(bridge.members);
      if (call !== undefined) this.setPlumbingCall(ch.id, call);
      return;
    }
    const base = { pbx: this.pbx, at };
    if (isParkingBridge(b)) {
      if (!this.parkingFromBridges) return;
      const fresh = this.freshSpaces.shift();
      const space = fresh ?? "";
      const lot = b.name || "default";
      this.parked.set(ch.id, { lot, space });
      out.push({ ...base, type: "call.parked", leg: ch.id, lot, space });
      return;
    }
    const monitor = parseMonitorBridgeName(b.name);
    if (monitor) {
      const held = this.pending.get(monitor.target);
      if (held) this.ensure(held.channel, at, out);
      if (!this.channels.get(monitor.target)?.leg) return;
      this.monitoring.set(ch.id, { target: monitor.target, bridge: b.id });
      out.push({
        ...base,
        type: "monitoring.started",
        spy: ch.id,
        target: monitor.target,
        mode: monitor.mode,
      });
      return;
    }
    // Everyone talking in one bridge is in one call: the oldest call among the members (Asterisk
    // rewrites the Linkedids the same way; a picker or retriever joins the call it picked up).
    let callId = this.channels.get(ch.id)?.callId ?? ch.id;
    let oldest = this.callStarts.get(callId) ?? Number.POSITIVE_INFINITY;
    for (const id of bridge.members) {
      const m = this.channels.get(id);
      if (!m?.leg || this.monitoring.has(id)) continue;
      const started = this.callStarts.get(m.callId) ?? Number.POSITIVE_INFINITY;
      if (started < oldest) {
        oldest = started;
        callId = m.callId;
      }
    }
    for (const id of bridge.members) {
      const m = this.channels.get(id);
      if (m?.leg && !this.monitoring.has(id)) this.moveCall(m, callId);
      else if (m && !m.leg) this.setPlumbingCall(id, callId);
    }
    out.push({ ...base, type: "leg.bridged", leg: ch.id, bridge: b.id, callId });
  }

  /** The oldest call among the party legs of a bridge. */
  private oldestCall(members: Iterable<string>): string | undefined {
    let callId: string | undefined;
    let oldest = Number.POSITIVE_INFINITY;
    for (const id of members) {
      const m = this.channels.get(id);
      if (!m?.leg || this.monitoring.has(id)) continue;
      const started = this.callStarts.get(m.callId) ?? Number.POSITIVE_INFINITY;
      if (callId === undefined || started < oldest) {
        oldest = started;
        callId = m.callId;
      }
    }
    return callId;
  }

  private setPlumbingCall(id: string, callId: string): void {
    const known = this.channels.get(id);
    if (!known || known.leg) return;
    this.moveCall(known, callId);
    const partner = this.localPartner(known.name);
    if (partner && !partner.leg) this.moveCall(partner, callId);
  }

  private localPartner(name: string): KnownChannel | undefined {
    if (!name.startsWith("Local/")) return undefined;
    const other = name.endsWith(";1")
      ? `${name.slice(0, -2)};2`
      : name.endsWith(";2")
        ? `${name.slice(0, -2)};1`
        : undefined;
    const id = other ? this.locals.get(other) : undefined;
    return id ? this.channels.get(id) : undefined;
  }

  private leftBridge(e: AriEvent, at: number, out: PbxEvent[]): void {
    const ch = e.channel;
    const b = e.bridge;
    if (!isChannel(ch) || !isBridge(b)) return;
    const bridge = this.bridges.get(b.id);
    bridge?.members.delete(ch.id);
    if (this.inBridge.get(ch.id) === b.id) this.inBridge.delete(ch.id);
    if (!this.ensure(ch, at, out)) return;
    const base = { pbx: this.pbx, at };
    if (isParkingBridge(b)) {
      const parked = this.parked.get(ch.id);
      if (!this.parkingFromBridges || !parked) return;
      this.parked.delete(ch.id);
      const hungUp = this.channels.get(ch.id)?.hangupRequested ?? false;
      out.push({
        ...base,
        type: "call.unparked",
        leg: ch.id,
        lot: parked.lot,
        space: parked.space,
        outcome: hungUp ? "gave-up" : "retrieved",
      });
      return;
    }
    const monitor = this.monitoring.get(ch.id);
    if (monitor && monitor.bridge === b.id) {
      this.monitoring.delete(ch.id);
      out.push({ ...base, type: "monitoring.stopped", spy: ch.id, target: monitor.target });
      return;
    }
    if (parseMonitorBridgeName(b.name)) return;
    out.push({ ...base, type: "leg.unbridged", leg: ch.id, bridge: b.id });
  }

  // ---- recordings -------------------------------------------------------------------------------

  private recording(e: AriEvent, at: number, out: PbxEvent[]): void {
    const r = e.recording;
    if (!r || typeof r.name !== "string") return;
    const target = r.target_uri ?? "";
    let leg = this.recordings.get(r.name);
    if (!leg && target.startsWith("channel:")) {
      const id = target.slice("channel:".length);
      const known = this.channels.get(id);
      leg = known?.leg ? id : snoopTarget(known?.name ?? "");
    } else if (!leg && target.startsWith("bridge:")) {
      const members = [...(this.bridges.get(target.slice("bridge:".length))?.members ?? [])];
      const legs = members.filter((id) => this.channels.get(id)?.leg);
      leg = legs.find((id) => this.channels.get(id)?.side === "external") ?? legs[0];
    }
    if (!leg || !this.channels.get(leg)?.leg) return;
    const file = r.format ? `${r.name}.${r.format}` : r.name;
    if (e.type === "RecordingStarted") {
      this.recordings.set(r.name, leg);
      out.push({ pbx: this.pbx, at, type: "recording.started", leg, file });
    } else {
      this.recordings.delete(r.name);
      out.push({ pbx: this.pbx, at, type: "recording.stopped", leg, file });
    }
  }

  // ---- devices ----------------------------------------------------------------------------------

  private deviceState(device: string, state: string, at: number, out: PbxEvent[]): void {
    if (device.startsWith("Custom:DND")) {
      const extension = device.slice("Custom:DND".length);
      if (extension) {
        out.push({
          pbx: this.pbx,
          at,
          type: "presence.dnd",
          extension,
          on: state === "BUSY" || state === "INUSE",
        });
      }
      return;
    }
    if (device.startsWith("park:")) {
      const space = device.slice("park:".length).split("@")[0] ?? "";
      const i = this.freshSpaces.indexOf(space);
      if (state === "INUSE" && i < 0 && space) this.freshSpaces.push(space);
      else if (state !== "INUSE" && i >= 0) this.freshSpaces.splice(i, 1);
      if (this.freshSpaces.length > 64) this.freshSpaces.shift();
      return;
    }
    const slash = device.indexOf("/");
    if (slash <= 0 || device.includes(":") || PLUMBING.has(device.slice(0, slash))) return;
    if (state === "UNAVAILABLE" || state === "INVALID") this.setReachable(device, false, at, out);
    else if (state !== "UNKNOWN" && state !== "") this.setReachable(device, true, at, out);
  }

  private setReachable(endpoint: string, reachable: boolean, at: number, out: PbxEvent[]): void {
    if (this.reachable.get(endpoint) === reachable) return;
    this.reachable.set(endpoint, reachable);
    out.push({ pbx: this.pbx, at, type: "device.reachability", endpoint, reachable });
  }
}

/** Created by Asterisk towards a device (Dial, originate): `Down` at creation, or sitting at `s`. */
export function isOutgoing(ch: AriChannel): boolean {
  return ch.state === "Down" || ch.dialplan?.exten === "s";
}

export function isPlumbing(channelName: string): boolean {
  const slash = channelName.indexOf("/");
  return slash < 0 || PLUMBING.has(channelName.slice(0, slash));
}

export function isParkingBridge(b: AriBridge): boolean {
  return b.bridge_class === "parking" || (b.bridge_type === "holding" && b.creator === "Parking");
}

export function callerNumber(ch: AriChannel): string {
  const n = ch.caller?.number ?? "";
  return n === "<unknown>" ? "" : n;
}

function nameOf(ch: AriChannel): { name?: string } {
  const raw = ch.caller?.name ?? "";
  const name = raw === "<unknown>" ? "" : raw;
  return name && name !== callerNumber(ch) ? { name } : {};
}

// ARI events (the `/ari/events?subscribeAll=true` stream) -> normalized events. Deterministic and
// free of I/O, like the AMI translation it mirrors (../asterisk-ami/translate.ts); the Asterisk facts both share are in
// ../asterisk/. What ARI spreads
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

import type { PbxEvent } from "../../domain/events.js";
import { MIXMONITOR_FILENAME } from "../asterisk/recording.js";
import { EndpointClassifier } from "../endpoints.js";
import { enteredBridge, leftBridge } from "./translate-bridges.js";
import { AriDevices } from "./translate-devices.js";
import { dial } from "./translate-dials.js";
import {
  ARI_IGNORED_EVENTS,
  callerNumber,
  isOutgoing,
  isPlumbing,
  nameOf,
  parseMonitorBridgeName,
} from "./translate-names.js";
import { recording } from "./translate-recordings.js";
import { AriCallState } from "./translate-state.js";
import { type AriBridge, type AriEvent, ariTime, isBridge, isChannel } from "./types.js";

export { snoopTarget } from "../asterisk/channels.js";
export {
  ARI_IGNORED_EVENTS,
  callerNumber,
  isOutgoing,
  isParkingBridge,
  isPlumbing,
  MONITOR_BRIDGE_PREFIX,
  monitorBridgeName,
  parseMonitorBridgeName,
} from "./translate-names.js";

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
  /**
   * Report queue members' pauses from the `Queue:<queue>_pause_<member>` device states (ARI has no queue
   * events). Turn off when an AMI companion reports app_queue's events.
   */
  queuePausesFromDevices?: boolean;
}

export interface AriTranslatorCounters {
  events: number;
  normalized: number;
  ignored: number;
  unknown: Record<string, number>;
}

export class AriTranslator {
  private readonly s: AriCallState;
  private readonly devices: AriDevices;
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
    this.s = new AriCallState(pbx, classifier ?? new EndpointClassifier());
    this.devices = new AriDevices(pbx, this.s.freshSpaces, options.queuePausesFromDevices ?? true);
    this.parkingFromBridges = options.parkingFromBridges ?? true;
    this.mixMonitorFromVarset = options.mixMonitorFromVarset ?? true;
  }

  /** Forget everything (a new session starts; the resync snapshot says what exists). */
  reset(): void {
    this.s.reset();
    this.devices.reset();
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
      this.s.remember(l.leg, {
        name: l.channel,
        leg: true,
        side: l.side,
        number: l.number,
        callId: l.callId,
        hangupRequested: false,
      });
      if (!this.s.callStarts.has(l.callId)) this.s.callStarts.set(l.callId, at);
    }
    for (const p of plumbing) {
      this.s.remember(p.id, {
        name: p.name,
        leg: false,
        side: "internal",
        number: "",
        callId: p.callId ?? p.id,
        hangupRequested: false,
      });
      if (p.name.startsWith("Local/")) this.s.locals.set(p.name, p.id);
    }
    for (const b of bridges) {
      const known = this.s.bridge(b);
      for (const id of b.channels ?? []) {
        known.members.add(id);
        this.s.inBridge.set(id, b.id);
      }
      const monitor = parseMonitorBridgeName(b.name);
      if (monitor) {
        for (const id of b.channels ?? []) {
          if (this.s.channels.get(id)?.leg)
            this.s.monitoring.set(id, { target: monitor.target, bridge: b.id });
        }
      }
    }
    for (const p of parked) this.s.parked.set(p.leg, { lot: p.lot, space: p.space });
  }

  /** The call id the translator has for a leg (for the driver's commands). */
  callIdOf(leg: string): string | undefined {
    return this.s.channels.get(leg)?.callId ?? this.s.pending.get(leg)?.channel.id;
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
        if (this.s.channels.has(ch.id) || this.s.pending.has(ch.id)) break;
        if (isOutgoing(ch) && !isPlumbing(ch.name)) {
          // Wait for the Dial event: it says whose call this channel belongs to.
          this.s.pending.set(ch.id, { channel: ch, at });
          break;
        }
        this.s.ensure(ch, at, out);
        break;
      }
      case "ChannelDialplan":
      case "ChannelConnectedLine": {
        this.s.refreshPending(e.channel);
        this.counters.ignored++;
        break;
      }
      case "ChannelCallerId": {
        const ch = e.channel;
        if (!isChannel(ch)) break;
        if (this.s.refreshPending(ch)) break;
        const known = this.s.channels.get(ch.id);
        if (!known) {
          this.s.ensure(ch, at, out);
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
        if (isChannel(ch)) this.s.refreshPending(ch);
        if (
          this.mixMonitorFromVarset &&
          e.variable === MIXMONITOR_FILENAME &&
          isChannel(ch) &&
          typeof e.value === "string" &&
          e.value !== "" &&
          !this.s.mixMonitored.has(ch.id)
        ) {
          if (this.s.ensure(ch, at, out)) {
            this.s.mixMonitored.add(ch.id);
            out.push({ ...base, type: "recording.started", leg: ch.id, file: e.value });
          }
          break;
        }
        this.counters.ignored++;
        break;
      }
      case "Dial": {
        dial(this.s, e, at, out);
        break;
      }
      case "ChannelStateChange": {
        const ch = e.channel;
        if (!isChannel(ch) || !this.s.ensure(ch, at, out)) break;
        if (ch.state === "Ringing") out.push({ ...base, type: "leg.ringing", leg: ch.id });
        else if (ch.state === "Up") out.push({ ...base, type: "leg.answered", leg: ch.id });
        break;
      }
      case "ChannelEnteredBridge": {
        enteredBridge(this.s, this.parkingFromBridges, e, at, out);
        break;
      }
      case "ChannelLeftBridge": {
        leftBridge(this.s, this.parkingFromBridges, e, at, out);
        break;
      }
      case "ChannelHold":
      case "ChannelUnhold": {
        const ch = e.channel;
        if (!isChannel(ch) || !this.s.ensure(ch, at, out)) break;
        out.push({ ...base, type: e.type === "ChannelHold" ? "leg.held" : "leg.unheld", leg: ch.id });
        break;
      }
      case "ChannelHangupRequest": {
        const ch = e.channel;
        const known = isChannel(ch) ? this.s.channels.get(ch.id) : undefined;
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
          if (e.type === "BridgeCreated") this.s.bridge(e.bridge);
          else this.s.bridges.delete(e.bridge.id);
        }
        this.counters.ignored++;
        break;
      }
      case "BridgeBlindTransfer": {
        const transferer = e.channel;
        if (!isChannel(transferer) || !this.s.ensure(transferer, at, out)) break;
        const transferee =
          isChannel(e.transferee) && this.s.ensure(e.transferee, at, out) ? e.transferee : undefined;
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
        if (!isChannel(transferer) || !this.s.ensure(transferer, at, out)) break;
        const transferee =
          isChannel(e.transferee) && this.s.ensure(e.transferee, at, out) ? e.transferee : undefined;
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
        if (ds && typeof ds.name === "string")
          this.devices.deviceState(ds.name, String(ds.state ?? ""), at, out);
        break;
      }
      case "EndpointStateChange": {
        this.devices.endpointState(e, at, out);
        break;
      }
      case "PeerStatusChange": {
        this.devices.peerStatus(e, at, out);
        break;
      }
      case "ContactStatusChange": {
        this.devices.contactStatus(e, at, out);
        break;
      }
      case "RecordingStarted":
      case "RecordingFinished":
      case "RecordingFailed": {
        recording(this.s, e, at, out);
        break;
      }
      default:
        if (ARI_IGNORED_EVENTS.has(e.type)) this.counters.ignored++;
        else this.counters.unknown[e.type] = (this.counters.unknown[e.type] ?? 0) + 1;
    }
    this.counters.normalized += out.length;
    return out;
  }

  private destroyed(e: AriEvent, at: number, out: PbxEvent[]): void {
    const ch = e.channel;
    if (!isChannel(ch)) return;
    // A held-back channel that never got its Dial event still existed: announce it before its end.
    if (this.s.pending.has(ch.id)) this.s.ensure(ch, at, out);
    const known = this.s.channels.get(ch.id);
    this.s.forget(ch.id);
    this.s.parked.delete(ch.id);
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
}

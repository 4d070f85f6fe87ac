// AMI events -> normalized events. Deterministic and free of I/O: it keeps only what AMI spreads
// over several events (which channels exist, ChanSpy modes, recording file names). The Asterisk facts
// it shares with the ARI translation (channel names, dial status, ChanSpy, device states) are in
// ../asterisk/; the event vocabulary in event-names.ts, frame fields in channel-snapshot.ts.

import type { MonitoringMode } from "../../domain/directory.js";
import type { PbxEvent } from "../../domain/events.js";
import { isPartyChannel, PLUMBING, splitChannelName, unknownToEmpty } from "../asterisk/channels.js";
import { chanSpyMode } from "../asterisk/chanspy.js";
import {
  deviceReachable,
  dndExtension,
  dndOn,
  peerReachable,
  presenceState,
  presentityExtension,
} from "../asterisk/devices.js";
import { dialStarted, dialStatus } from "../asterisk/dial.js";
import { LocalDiversions } from "../asterisk/diversion.js";
import { MIXMONITOR_FILENAME } from "../asterisk/recording.js";
import { EndpointClassifier } from "../endpoints.js";
import { type ChannelSnapshot, nameOf, snapshotOf, timestampOf } from "./channel-snapshot.js";
import { IGNORED_EVENTS } from "./event-names.js";
import type { AmiFrame } from "./frame-parser.js";
import { AmiQueueTranslation } from "./translate-queues.js";

export { PLUMBING, splitChannelName } from "../asterisk/channels.js";
// The translator's public vocabulary, wherever it lives now.
export { chanSpyMode } from "../asterisk/chanspy.js";
export { presenceState } from "../asterisk/devices.js";
export { dialStarted, dialStatus } from "../asterisk/dial.js";
export { type ChannelSnapshot, snapshotOf } from "./channel-snapshot.js";
export { AMI_FRAME_INTEREST, IGNORED_EVENTS, KEEP_IF_CONTAINS } from "./event-names.js";

interface KnownChannel {
  name: string;
  /** false for Local/Snoop/Announcer channels: plumbing, not parties. */
  leg: boolean;
  side: "internal" | "external";
  number: string;
}

export interface TranslatorCounters {
  frames: number;
  events: number;
  ignored: number;
  unknown: Record<string, number>;
}
export class AmiTranslator {
  private readonly channels = new Map<string, KnownChannel>();
  private readonly spyModes = new Map<string, MonitoringMode>();
  private readonly recordingFiles = new Map<string, string>();
  private readonly reachable = new Map<string, boolean>();
  private readonly queues = new AmiQueueTranslation();
  private readonly diversions = new LocalDiversions();
  private readonly classifier: EndpointClassifier;
  /** `unknown` is keyed by event names from the wire: no prototype, so `Event: toString` counts like any other. */
  readonly counters: TranslatorCounters = { frames: 0, events: 0, ignored: 0, unknown: Object.create(null) };

  constructor(
    private readonly pbx: string,
    classifier?: EndpointClassifier,
    private readonly now: () => number = () => 0,
  ) {
    this.classifier = classifier ?? new EndpointClassifier();
  }

  /** Forget every channel (a new session starts; the resync snapshot says what exists). */
  /** Counts an event the parser skipped (see AMI_FRAME_INTEREST). */
  skipped(): void {
    this.counters.frames++;
    this.counters.ignored++;
  }

  reset(): void {
    this.channels.clear();
    this.spyModes.clear();
    this.recordingFiles.clear();
    this.reachable.clear();
    this.queues.reset();
    this.diversions.reset();
  }

  translate(f: AmiFrame): PbxEvent[] {
    this.counters.frames++;
    const name = f.Event;
    if (name === undefined) return [];
    const out: PbxEvent[] = [];
    const at = timestampOf(f) ?? this.now();
    const base = { pbx: this.pbx, at };
    switch (name) {
      case "Newchannel": {
        const ch = snapshotOf(f, "");
        if (ch) this.ensure(ch, at, out);
        break;
      }
      case "Newstate": {
        const ch = snapshotOf(f, "");
        if (!ch || !this.ensure(ch, at, out)) break;
        if (ch.stateDesc === "Ringing" || ch.state === "5")
          out.push({ ...base, type: "leg.ringing", leg: ch.uniqueid });
        else if (ch.stateDesc === "Up" || ch.state === "6")
          out.push({ ...base, type: "leg.answered", leg: ch.uniqueid });
        break;
      }
      case "NewCallerid": {
        const ch = snapshotOf(f, "");
        if (!ch || !this.ensure(ch, at, out)) break;
        const known = this.channels.get(ch.uniqueid);
        if (known?.side === "external" && ch.callerNum !== "" && ch.callerNum !== known.number) {
          known.number = ch.callerNum;
          out.push({ ...base, type: "leg.identity", leg: ch.uniqueid, number: ch.callerNum, ...nameOf(ch) });
        }
        break;
      }
      case "DialBegin": {
        const caller = snapshotOf(f, "");
        const callee = snapshotOf(f, "Dest");
        const callerLeg = caller ? this.ensure(caller, at, out) : false;
        if (!callee) break;
        if (!this.ensure(callee, at, out)) {
          if (caller) this.diversions.dialled(caller.name, f.Context ?? "", caller.exten, callee.name);
          break;
        }
        dialStarted(
          base,
          callerLeg && caller ? caller.uniqueid : undefined,
          callee.uniqueid,
          this.channels.get(callee.uniqueid),
          f.DialString ?? "",
          out,
          caller ? this.diversions.forChannel(caller.name) : undefined,
        );
        break;
      }
      case "DialEnd": {
        const caller = snapshotOf(f, "");
        const callee = snapshotOf(f, "Dest");
        const callerLeg = caller ? this.ensure(caller, at, out) : false;
        if (!callee || !this.ensure(callee, at, out)) break;
        out.push({
          ...base,
          type: "dial.ended",
          ...(callerLeg && caller ? { caller: caller.uniqueid } : {}),
          callee: callee.uniqueid,
          status: dialStatus(f.DialStatus),
        });
        break;
      }
      case "BridgeEnter": {
        const ch = snapshotOf(f, "");
        if (!ch || !this.ensure(ch, at, out)) break;
        // A parking lot's holding bridge is not a conversation; ParkedCall says what happened.
        if (f.BridgeTechnology === "holding_bridge" || f.BridgeType === "parking") break;
        out.push({
          ...base,
          type: "leg.bridged",
          leg: ch.uniqueid,
          bridge: f.BridgeUniqueid ?? "",
          callId: ch.linkedid,
        });
        break;
      }
      case "BridgeLeave": {
        const ch = snapshotOf(f, "");
        if (!ch || !this.ensure(ch, at, out)) break;
        out.push({ ...base, type: "leg.unbridged", leg: ch.uniqueid, bridge: f.BridgeUniqueid ?? "" });
        break;
      }
      case "Hold":
      case "Unhold": {
        const ch = snapshotOf(f, "");
        if (!ch || !this.ensure(ch, at, out)) break;
        out.push({ ...base, type: name === "Hold" ? "leg.held" : "leg.unheld", leg: ch.uniqueid });
        break;
      }
      case "Hangup": {
        const ch = snapshotOf(f, "");
        if (!ch) break;
        const known = this.channels.get(ch.uniqueid);
        this.channels.delete(ch.uniqueid);
        this.diversions.gone(ch.name);
        this.spyModes.delete(ch.uniqueid);
        this.recordingFiles.delete(ch.uniqueid);
        if (known && !known.leg) break;
        if (!known && !isPartyChannel(ch.name)) break;
        out.push({
          ...base,
          type: "leg.hangup",
          leg: ch.uniqueid,
          cause: Number.parseInt(f.Cause ?? "0", 10) || 0,
          causeText: f["Cause-txt"] ?? "",
        });
        break;
      }
      case "ParkedCall": {
        const parkee = snapshotOf(f, "Parkee");
        if (!parkee || !this.ensure(parkee, at, out)) break;
        const parker = snapshotOf(f, "Parker");
        out.push({
          ...base,
          type: "call.parked",
          leg: parkee.uniqueid,
          lot: f.Parkinglot ?? "default",
          space: f.ParkingSpace ?? "",
          ...(parker && this.channels.get(parker.uniqueid)?.leg ? { parker: parker.uniqueid } : {}),
        });
        break;
      }
      case "UnParkedCall":
      case "ParkedCallGiveUp":
      case "ParkedCallTimeOut": {
        const parkee = snapshotOf(f, "Parkee");
        if (!parkee || !this.ensure(parkee, at, out)) break;
        const retriever = name === "UnParkedCall" ? snapshotOf(f, "Retriever") : undefined;
        if (retriever) this.ensure(retriever, at, out);
        out.push({
          ...base,
          type: "call.unparked",
          leg: parkee.uniqueid,
          lot: f.Parkinglot ?? "default",
          space: f.ParkingSpace ?? "",
          outcome:
            name === "UnParkedCall" ? "retrieved" : name === "ParkedCallGiveUp" ? "gave-up" : "timeout",
          ...(retriever ? { retriever: retriever.uniqueid } : {}),
        });
        break;
      }
      case "Pickup": {
        const picker = snapshotOf(f, "");
        const target = snapshotOf(f, "Target");
        if (!picker || !target || !this.ensure(picker, at, out) || !this.ensure(target, at, out)) break;
        out.push({ ...base, type: "call.pickedUp", picker: picker.uniqueid, target: target.uniqueid });
        break;
      }
      case "BlindTransfer": {
        const transferer = snapshotOf(f, "Transferer");
        const transferee = snapshotOf(f, "Transferee");
        if (!transferer || !this.ensure(transferer, at, out)) break;
        const hasTransferee = transferee ? this.ensure(transferee, at, out) : false;
        out.push({
          ...base,
          type: "call.transferred",
          kind: "blind",
          transferer: transferer.uniqueid,
          ...(hasTransferee && transferee ? { transferee: transferee.uniqueid } : {}),
          destination: f.Extension ?? "",
          success: f.Result === "Success",
        });
        break;
      }
      case "AttendedTransfer": {
        const transferer = snapshotOf(f, "OrigTransferer");
        const transferee = snapshotOf(f, "Transferee");
        if (!transferer || !this.ensure(transferer, at, out)) break;
        const hasTransferee = transferee ? this.ensure(transferee, at, out) : false;
        const target = snapshotOf(f, "TransferTarget");
        out.push({
          ...base,
          type: "call.transferred",
          kind: "attended",
          transferer: transferer.uniqueid,
          ...(hasTransferee && transferee ? { transferee: transferee.uniqueid } : {}),
          destination: target ? target.name : (f.DestType ?? ""),
          success: f.Result === "Success",
        });
        break;
      }
      case "OriginateResponse": {
        if (f.Application === "ChanSpy" && f.Uniqueid)
          this.spyModes.set(f.Uniqueid, chanSpyMode(f.Data ?? ""));
        break;
      }
      case "ChanSpyStart":
      case "ChanSpyStop": {
        const spy = snapshotOf(f, "Spyer");
        const target = snapshotOf(f, "Spyee");
        // With ChanSpy's `E` the spied-on channel hangs up first: its ChanSpyStop must not bring it back.
        if (name === "ChanSpyStop" && target && !this.channels.has(target.uniqueid)) break;
        if (!spy || !target || !this.ensure(spy, at, out) || !this.ensure(target, at, out)) break;
        if (name === "ChanSpyStart") {
          const mode = this.spyModes.get(spy.uniqueid) ?? "listen";
          out.push({ ...base, type: "monitoring.started", spy: spy.uniqueid, target: target.uniqueid, mode });
        } else {
          out.push({ ...base, type: "monitoring.stopped", spy: spy.uniqueid, target: target.uniqueid });
        }
        break;
      }
      case "MixMonitorStart":
      case "MixMonitorStop": {
        const ch = snapshotOf(f, "");
        if (!ch || !this.ensure(ch, at, out)) break;
        const file = this.recordingFiles.get(ch.uniqueid);
        out.push({
          ...base,
          type: name === "MixMonitorStart" ? "recording.started" : "recording.stopped",
          leg: ch.uniqueid,
          ...(file ? { file } : {}),
        });
        break;
      }
      case "DeviceStateChange": {
        this.deviceState(f.Device ?? "", f.State ?? "", at, out);
        break;
      }
      case "PeerStatus": {
        const peer = f.Peer ?? "";
        const status = f.PeerStatus ?? "";
        if (!peer || !isPartyChannel(peer)) break;
        const reachable = peerReachable(status);
        if (reachable !== undefined) this.setReachable(peer, reachable, at, out);
        break;
      }
      case "PresenceStateChange": {
        const extension = presentityExtension(f.Presentity ?? "");
        if (!extension) break;
        const message = f.Message ?? "";
        out.push({
          ...base,
          type: "presence.state",
          extension,
          state: presenceState(f.Status ?? ""),
          ...(message ? { message } : {}),
        });
        break;
      }
      default:
        if (this.queues.translate(name, f, base, out)) break;
        if (name === "VarSet" && f.Variable === MIXMONITOR_FILENAME && f.Uniqueid) {
          this.recordingFiles.set(f.Uniqueid, f.Value ?? "");
        } else if (name === "Newexten" && f.Application === "ChanSpy" && f.Uniqueid) {
          this.spyModes.set(f.Uniqueid, chanSpyMode(f.AppData ?? ""));
        }
        if (IGNORED_EVENTS.has(name)) this.counters.ignored++;
        else this.counters.unknown[name] = (this.counters.unknown[name] ?? 0) + 1;
    }
    this.counters.events += out.length;
    return out;
  }

  /** Makes sure the model knows the channel (it may predate this session). Returns whether it is a party leg. */
  private ensure(ch: ChannelSnapshot, at: number, out: PbxEvent[]): boolean {
    const known = this.channels.get(ch.uniqueid);
    if (known) return known.leg;
    const { endpoint, resource, tech } = splitChannelName(ch.name);
    if (PLUMBING.has(tech) || !ch.uniqueid) {
      this.channels.set(ch.uniqueid, { name: ch.name, leg: false, side: "internal", number: "" });
      return false;
    }
    const side = this.classifier.side(endpoint, resource);
    const number = side === "internal" ? resource : unknownToEmpty(ch.callerNum);
    this.channels.set(ch.uniqueid, { name: ch.name, leg: true, side, number });
    const outgoing = ch.state === "0" || ch.exten === "s";
    const dialled = !outgoing && ch.exten && ch.exten !== "s" ? ch.exten : undefined;
    out.push({
      pbx: this.pbx,
      at,
      type: "leg.created",
      leg: ch.uniqueid,
      callId: ch.linkedid || ch.uniqueid,
      channel: ch.name,
      endpoint,
      side,
      number,
      ...nameOf(ch),
      outgoing,
      ...(dialled ? { dialled } : {}),
    });
    return true;
  }

  private deviceState(device: string, state: string, at: number, out: PbxEvent[]): void {
    const extension = dndExtension(device);
    if (extension !== undefined) {
      out.push({ pbx: this.pbx, at, type: "presence.dnd", extension, on: dndOn(state) });
      return;
    }
    if (!isPartyChannel(device) || device.includes(":")) return;
    const reachable = deviceReachable(state);
    if (reachable !== undefined) this.setReachable(device, reachable, at, out);
  }

  private setReachable(endpoint: string, reachable: boolean, at: number, out: PbxEvent[]): void {
    if (this.reachable.get(endpoint) === reachable) return;
    this.reachable.set(endpoint, reachable);
    out.push({ pbx: this.pbx, at, type: "device.reachability", endpoint, reachable });
  }
}

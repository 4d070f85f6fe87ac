// AMI events -> normalized events. Deterministic and free of I/O: it keeps only what AMI spreads
// over several events (which channels exist, ChanSpy modes, recording file names).

import type { MonitoringMode } from "../../domain/directory.js";
import type { DialEnded, PbxEvent, PresenceStateChanged } from "../../domain/events.js";
import { EndpointClassifier } from "../endpoints.js";
import type { AmiFrame } from "./frame-parser.js";

export interface ChannelSnapshot {
  name: string;
  uniqueid: string;
  linkedid: string;
  state: string;
  stateDesc: string;
  callerNum: string;
  callerName: string;
  exten: string;
}

interface KnownChannel {
  name: string;
  /** false for Local/Snoop/Announcer channels: plumbing, not parties. */
  leg: boolean;
  side: "internal" | "external";
  number: string;
}

/** Channel technologies that are PBX plumbing, never a party of a call. */
export const PLUMBING: ReadonlySet<string> = new Set([
  "Local",
  "Snoop",
  "Announcer",
  "CBAnn",
  "CBRec",
  "Recorder",
  "Multicast",
  "Message",
]);

/** Events Callsight reads nothing from. They are expected and not counted as unknown. */
export const IGNORED_EVENTS: ReadonlySet<string> = new Set([
  "VarSet",
  "Newexten",
  "Cdr",
  "CEL",
  "RTCPSent",
  "RTCPReceived",
  "DTMFBegin",
  "DTMFEnd",
  "MusicOnHoldStart",
  "MusicOnHoldStop",
  "HangupRequest",
  "SoftHangupRequest",
  "BridgeCreate",
  "BridgeDestroy",
  "BridgeMerge",
  "BridgeVideoSourceUpdate",
  "DialState",
  "LocalBridge",
  "LocalOptimizationBegin",
  "LocalOptimizationEnd",
  "FullyBooted",
  "SuccessfulAuth",
  "ChallengeSent",
  "ExtensionStatus",
  "PresenceStatus",
  "ContactStatus",
  "NewConnectedLine",
  "NewAccountCode",
  "Registry",
  "Reload",
  "Shutdown",
  "AGIExecStart",
  "AGIExecEnd",
  "AsyncAGIStart",
  "AsyncAGIEnd",
  "UserEvent",
  "MixMonitorMute",
  "ParkedCallSwap",
]);

/** Ignored events that still matter when they carry one of these markers. */
export const KEEP_IF_CONTAINS: ReadonlyMap<string, string> = new Map([
  ["VarSet", "Variable: MIXMONITOR_FILENAME"],
  ["Newexten", "Application: ChanSpy"],
]);

/** Lets the frame parser skip, unparsed, the frames translate() would ignore. */
export const AMI_FRAME_INTEREST = { ignore: IGNORED_EVENTS, keepIfContains: KEEP_IF_CONTAINS };

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
        if (!callee || !this.ensure(callee, at, out)) break;
        dialStarted(
          base,
          callerLeg && caller ? caller.uniqueid : undefined,
          callee.uniqueid,
          this.channels.get(callee.uniqueid),
          f.DialString ?? "",
          out,
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
        this.spyModes.delete(ch.uniqueid);
        this.recordingFiles.delete(ch.uniqueid);
        if (known && !known.leg) break;
        if (!known && !isLegChannel(ch.name)) break;
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
        if (!peer || !isLegChannel(peer)) break;
        if (status === "Reachable" || status === "Registered") this.setReachable(peer, true, at, out);
        else if (status === "Unreachable" || status === "Unregistered" || status === "Rejected") {
          this.setReachable(peer, false, at, out);
        }
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
        if (name === "VarSet" && f.Variable === "MIXMONITOR_FILENAME" && f.Uniqueid) {
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
    if (device.startsWith("Custom:DND")) {
      const extension = device.slice("Custom:DND".length);
      out.push({
        pbx: this.pbx,
        at,
        type: "presence.dnd",
        extension,
        on: state === "BUSY" || state === "INUSE",
      });
      return;
    }
    if (!isLegChannel(device) || device.includes(":")) return;
    if (state === "UNAVAILABLE" || state === "INVALID") this.setReachable(device, false, at, out);
    else if (state !== "UNKNOWN" && state !== "") this.setReachable(device, true, at, out);
  }

  private setReachable(endpoint: string, reachable: boolean, at: number, out: PbxEvent[]): void {
    if (this.reachable.get(endpoint) === reachable) return;
    this.reachable.set(endpoint, reachable);
    out.push({ pbx: this.pbx, at, type: "device.reachability", endpoint, reachable });
  }
}

export function snapshotOf(f: AmiFrame, prefix: string): ChannelSnapshot | undefined {
  const name = f[`${prefix}Channel`];
  const uniqueid = f[`${prefix}Uniqueid`];
  if (name === undefined || uniqueid === undefined) return undefined;
  return {
    name,
    uniqueid,
    linkedid: f[`${prefix}Linkedid`] ?? uniqueid,
    state: f[`${prefix}ChannelState`] ?? "",
    stateDesc: f[`${prefix}ChannelStateDesc`] ?? "",
    callerNum: f[`${prefix}CallerIDNum`] ?? "",
    callerName: f[`${prefix}CallerIDName`] ?? "",
    exten: f[`${prefix}Exten`] ?? "",
  };
}

/** `PJSIP/1001-00000051` -> endpoint `PJSIP/1001`, resource `1001`. */
export function splitChannelName(name: string): { tech: string; endpoint: string; resource: string } {
  const slash = name.indexOf("/");
  const tech = slash < 0 ? name : name.slice(0, slash);
  const dash = name.lastIndexOf("-");
  const endpoint = dash > slash ? name.slice(0, dash) : name;
  return { tech, endpoint, resource: endpoint.slice(slash + 1) };
}

function isLegChannel(name: string): boolean {
  const slash = name.indexOf("/");
  return slash > 0 && !PLUMBING.has(name.slice(0, slash));
}

function timestampOf(f: AmiFrame): number | undefined {
  const ts = f.Timestamp;
  if (ts === undefined) return undefined;
  const seconds = Number.parseFloat(ts);
  return Number.isFinite(seconds) ? Math.round(seconds * 1000) : undefined;
}

function unknownToEmpty(v: string): string {
  return v === "<unknown>" ? "" : v;
}

function nameOf(ch: ChannelSnapshot): { name?: string } {
  const name = unknownToEmpty(ch.callerName);
  return name && name !== ch.callerNum ? { name } : {};
}

/** ChanSpy's options decide the mode: `B` barge, `w` whisper, otherwise listen. */
export function chanSpyMode(appData: string): MonitoringMode {
  const comma = appData.indexOf(",");
  const options = comma < 0 ? "" : appData.slice(comma + 1).replace(/\([^)]*\)/g, "");
  if (options.includes("B")) return "barge";
  if (options.includes("w") || options.includes("W")) return "whisper";
  return "listen";
}

/** Asterisk's DIALSTATUS (AMI DialEnd, ARI Dial) in the product's words. */
export function dialStatus(s: string | undefined): DialEnded["status"] {
  switch (s) {
    case "ANSWER":
      return "answered";
    case "BUSY":
      return "busy";
    case "CANCEL":
      return "cancelled";
    case "NOANSWER":
      return "no-answer";
    case "CHANUNAVAIL":
      return "unavailable";
    case "CONGESTION":
      return "congestion";
    default:
      return "other";
  }
}

function presentityExtension(presentity: string): string | undefined {
  const colon = presentity.indexOf(":");
  const ext = colon < 0 ? presentity : presentity.slice(colon + 1);
  return ext || undefined;
}

export function presenceState(status: string): PresenceStateChanged["state"] {
  switch (status.toLowerCase()) {
    case "available":
    case "chat":
      return "available";
    case "away":
    case "xa":
      return "away";
    case "dnd":
      return "dnd";
    case "unavailable":
      return "unavailable";
    default:
      return "not-set";
  }
}

/**
 * A dial began (AMI DialBegin, ARI Dial without a status). An outside number dialled through a trunk is
 * first known from the dial string (`<number>@<trunk>`), so the callee leg learns it here.
 */
export function dialStarted(
  base: { pbx: string; at: number },
  caller: string | undefined,
  callee: string,
  known: { side: "internal" | "external"; number: string } | undefined,
  dialString: string,
  out: PbxEvent[],
): void {
  if (known?.side === "external" && known.number === "") {
    const number = dialString.split("@")[0] ?? "";
    if (number) {
      known.number = number;
      out.push({ ...base, type: "leg.identity", leg: callee, number });
    }
  }
  out.push({ ...base, type: "dial.started", ...(caller ? { caller } : {}), callee, dialString });
}

// The normalized PBX event vocabulary: the only thing drivers hand to the model.
// Every event names its PBX, when it happened (ms since epoch) and the PBX's own ids
// (`leg` = Asterisk Uniqueid / FreeSWITCH Unique-ID, `callId` = Linkedid / call UUID).

import type { MonitoringMode } from "./directory.js";

interface Base {
  pbx: string;
  at: number;
}

/** Who is on the other end of a leg, as the PBX described it when the leg appeared. */
export interface LegEndpoint {
  /** Endpoint or device name on the PBX, e.g. `PJSIP/1001`, `PJSIP/carrier`. */
  endpoint: string;
  /** `internal`: a phone of the PBX; `external`: a trunk leg to the outside world. */
  side: "internal" | "external";
  /** The extension for internal legs; the outside party's number for external legs. */
  number: string;
  name?: string;
}

export interface LegCreated extends Base, LegEndpoint {
  type: "leg.created";
  leg: string;
  callId: string;
  /** Channel name as the PBX shows it (for operators reading logs). */
  channel: string;
  /** What the leg dialled when it started (the caller's destination), if known. */
  dialled?: string;
  /** true when the leg was created by the PBX towards this endpoint (a callee, an originate). */
  outgoing: boolean;
}

export interface LegIdentity extends Base {
  type: "leg.identity";
  leg: string;
  /** For external legs the outside number/name; ignored for internal legs. */
  number?: string;
  name?: string;
}

export interface LegRinging extends Base {
  type: "leg.ringing";
  leg: string;
}

export interface LegAnswered extends Base {
  type: "leg.answered";
  leg: string;
}

export interface DialStarted extends Base {
  type: "dial.started";
  /** Missing when the PBX originated the call itself. */
  caller?: string;
  callee: string;
  dialString: string;
}

export interface DialEnded extends Base {
  type: "dial.ended";
  caller?: string;
  callee: string;
  status: "answered" | "busy" | "cancelled" | "no-answer" | "unavailable" | "congestion" | "other";
}

export interface LegBridged extends Base {
  type: "leg.bridged";
  leg: string;
  bridge: string;
  /** The call the leg belongs to now: PBXes re-home a picker's or retriever's leg into the call it joins. */
  callId: string;
}

export interface LegUnbridged extends Base {
  type: "leg.unbridged";
  leg: string;
  bridge: string;
}

export interface LegHeld extends Base {
  type: "leg.held" | "leg.unheld";
  leg: string;
}

export interface CallParked extends Base {
  type: "call.parked";
  /** The parked party's leg. */
  leg: string;
  lot: string;
  space: string;
  parker?: string;
}

export interface CallUnparked extends Base {
  type: "call.unparked";
  leg: string;
  lot: string;
  space: string;
  outcome: "retrieved" | "timeout" | "gave-up";
  retriever?: string;
}

export interface CallPickedUp extends Base {
  type: "call.pickedUp";
  picker: string;
  /** The ringing leg that was picked up. */
  target: string;
}

export interface CallTransferred extends Base {
  type: "call.transferred";
  kind: "blind" | "attended";
  transferer: string;
  transferee?: string;
  /** Extension or description of where the call went. */
  destination?: string;
  success: boolean;
}

export interface LegRedirected extends Base {
  type: "leg.redirected";
  leg: string;
  destination: string;
}

export interface MonitoringStarted extends Base {
  type: "monitoring.started";
  /** The supervisor's leg. */
  spy: string;
  /** The monitored leg. */
  target: string;
  mode: MonitoringMode;
}

export interface MonitoringStopped extends Base {
  type: "monitoring.stopped";
  spy: string;
  target: string;
}

export interface RecordingStarted extends Base {
  type: "recording.started";
  leg: string;
  file?: string;
}

export interface RecordingStopped extends Base {
  type: "recording.stopped";
  leg: string;
  file?: string;
}

export interface LegHangup extends Base {
  type: "leg.hangup";
  leg: string;
  cause: number;
  causeText: string;
}

export interface DeviceReachability extends Base {
  type: "device.reachability";
  endpoint: string;
  reachable: boolean;
}

/** User-chosen presence (Asterisk CustomPresence, FreeSWITCH rpid), keyed by extension. */
export interface PresenceStateChanged extends Base {
  type: "presence.state";
  extension: string;
  state: "available" | "away" | "dnd" | "unavailable" | "not-set";
  message?: string;
}

/** A do-not-disturb switch separate from presence (Asterisk `Custom:DND<ext>`). */
export interface DndChanged extends Base {
  type: "presence.dnd";
  extension: string;
  on: boolean;
}

export interface SnapshotLeg extends LegEndpoint {
  leg: string;
  callId: string;
  channel: string;
  state: "dialing" | "ringing" | "up";
  outgoing: boolean;
  bridge?: string;
  held?: boolean;
  dialled?: string;
  /** When the PBX created the leg (ms since epoch), if it says: durations continue from it, not from the resync. */
  createdAt?: number;
  /** When the leg was answered, if the PBX says (else an answered leg counts from `createdAt`). */
  answeredAt?: number;
}

/** What the PBX says is true right now: replaces everything the model knew about this PBX. */
export interface PbxSnapshot extends Base {
  type: "pbx.snapshot";
  legs: SnapshotLeg[];
  reachability: { endpoint: string; reachable: boolean }[];
  presence: { extension: string; state: PresenceStateChanged["state"]; message?: string }[];
  dnd: { extension: string; on: boolean }[];
  parked: { leg: string; lot: string; space: string }[];
  /**
   * The recordings running on the snapshot's legs, when the PBX could tell (Asterisk over AMI). Absent:
   * unknown — what was known about the legs' recordings stays as it was.
   */
  recordings?: { leg: string; file?: string }[];
}

export interface PbxConnection extends Base {
  type: "pbx.connection";
  state: "up" | "down";
}

export type PbxEvent =
  | LegCreated
  | LegIdentity
  | LegRinging
  | LegAnswered
  | DialStarted
  | DialEnded
  | LegBridged
  | LegUnbridged
  | LegHeld
  | CallParked
  | CallUnparked
  | CallPickedUp
  | CallTransferred
  | LegRedirected
  | MonitoringStarted
  | MonitoringStopped
  | RecordingStarted
  | RecordingStopped
  | LegHangup
  | DeviceReachability
  | PresenceStateChanged
  | DndChanged
  | PbxSnapshot
  | PbxConnection;

export type PbxEventType = PbxEvent["type"];

export const PBX_EVENT_TYPES: readonly PbxEventType[] = [
  "leg.created",
  "leg.identity",
  "leg.ringing",
  "leg.answered",
  "dial.started",
  "dial.ended",
  "leg.bridged",
  "leg.unbridged",
  "leg.held",
  "leg.unheld",
  "call.parked",
  "call.unparked",
  "call.pickedUp",
  "call.transferred",
  "leg.redirected",
  "monitoring.started",
  "monitoring.stopped",
  "recording.started",
  "recording.stopped",
  "leg.hangup",
  "device.reachability",
  "presence.state",
  "presence.dnd",
  "pbx.snapshot",
  "pbx.connection",
];

// The AMI events Callsight reads nothing from, and how the frame parser skips them unparsed.

import { AMI_IGNORED_QUEUE_EVENTS } from "./translate-queues.js";

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
  ...AMI_IGNORED_QUEUE_EVENTS,
]);

/** Ignored events that still matter when they carry one of these markers. */
export const KEEP_IF_CONTAINS: ReadonlyMap<string, string> = new Map([
  ["VarSet", "Variable: MIXMONITOR_FILENAME"],
  ["Newexten", "Application: ChanSpy"],
]);

/** Lets the frame parser skip, unparsed, the frames translate() would ignore. */
export const AMI_FRAME_INTEREST = { ignore: IGNORED_EVENTS, keepIfContains: KEEP_IF_CONTAINS };

// What the AMI companion link (companion.ts) reads: the AMI Filters of its session, and the normalized
// facts it owns and reports; ARI owns every other fact, so none is ever reported by both links.

import type { PbxEventType } from "../../domain/events.js";
import { AMI_QUEUE_EVENTS } from "../asterisk-ami/translate-queues.js";

/**
 * AMI Filters of the companion session (Asterisk matches each as a regular expression against the
 * event text). Newchannel and Hangup are kept only so that the AMI driver knows channel names for
 * Redirect / StopMixMonitor; their normalized events are dropped.
 */
export const COMPANION_FILTERS: readonly string[] = [
  "Event: Newchannel",
  "Event: Hangup",
  "!Event: HangupRequest",
  "Event: ParkedCall",
  "Event: UnParkedCall",
  "Event: PresenceStateChange",
  "Event: MixMonitorStart",
  "Event: MixMonitorStop",
  "Variable: MIXMONITOR_FILENAME",
  "Event: ChanSpyStart",
  "Event: ChanSpyStop",
  "Application: ChanSpy",
  "Event: OriginateResponse",
  ...AMI_QUEUE_EVENTS.map((name) => `Event: ${name}`),
];

/** The normalized facts the companion reports; everything else it produces is dropped. */
export const COMPANION_FACTS: ReadonlySet<PbxEventType> = new Set<PbxEventType>([
  "call.parked",
  "call.unparked",
  "presence.state",
  "monitoring.started",
  "monitoring.stopped",
  "recording.started",
  "recording.stopped",
  "queue.callerJoined",
  "queue.callerLeft",
  "queue.answered",
  "queue.member",
  "queue.snapshot",
]);

// The normalized PBX event vocabulary: the only thing drivers hand to the model.
// Every event names its PBX, when it happened (ms since epoch) and the PBX's own ids
// (`leg` = Asterisk Uniqueid / FreeSWITCH Unique-ID, `callId` = Linkedid / call UUID).
// The types are those of the zod schema in event-schema.ts (one source: what the types say is what
// the schema checks on events read from traces and from the cluster's event stream).

import type { z } from "zod";
import {
  type callParkedSchema,
  type callPickedUpSchema,
  type callTransferredSchema,
  type callUnparkedSchema,
  type deviceReachabilitySchema,
  type dialEndedSchema,
  type dialStartedSchema,
  type dndChangedSchema,
  type legAnsweredSchema,
  type legBridgedSchema,
  type legCreatedSchema,
  type legEndpointSchema,
  type legHangupSchema,
  type legHeldSchema,
  type legIdentitySchema,
  type legRedirectedSchema,
  type legRingingSchema,
  type legUnbridgedSchema,
  type legUnheldSchema,
  type monitoringStartedSchema,
  type monitoringStoppedSchema,
  type pbxConnectionSchema,
  pbxEventSchema,
  type pbxSnapshotSchema,
  type presenceStateChangedSchema,
  type queueAnsweredSchema,
  type queueCallerJoinedSchema,
  type queueCallerLeftSchema,
  type queueMemberSchema,
  type queueSnapshotSchema,
  type recordingStartedSchema,
  type recordingStoppedSchema,
  type snapshotLegSchema,
} from "./event-schema.js";

/** Who is on the other end of a leg, as the PBX described it when the leg appeared. */
export type LegEndpoint = z.infer<typeof legEndpointSchema>;
export type LegCreated = z.infer<typeof legCreatedSchema>;
export type LegIdentity = z.infer<typeof legIdentitySchema>;
export type LegRinging = z.infer<typeof legRingingSchema>;
export type LegAnswered = z.infer<typeof legAnsweredSchema>;
export type DialStarted = z.infer<typeof dialStartedSchema>;
export type DialEnded = z.infer<typeof dialEndedSchema>;
export type LegBridged = z.infer<typeof legBridgedSchema>;
export type LegUnbridged = z.infer<typeof legUnbridgedSchema>;
export type LegHeld = z.infer<typeof legHeldSchema> | z.infer<typeof legUnheldSchema>;
export type CallParked = z.infer<typeof callParkedSchema>;
export type CallUnparked = z.infer<typeof callUnparkedSchema>;
export type CallPickedUp = z.infer<typeof callPickedUpSchema>;
export type CallTransferred = z.infer<typeof callTransferredSchema>;
export type LegRedirected = z.infer<typeof legRedirectedSchema>;
export type MonitoringStarted = z.infer<typeof monitoringStartedSchema>;
export type MonitoringStopped = z.infer<typeof monitoringStoppedSchema>;
export type RecordingStarted = z.infer<typeof recordingStartedSchema>;
export type RecordingStopped = z.infer<typeof recordingStoppedSchema>;
export type LegHangup = z.infer<typeof legHangupSchema>;
export type DeviceReachability = z.infer<typeof deviceReachabilitySchema>;
/** User-chosen presence (Asterisk CustomPresence, FreeSWITCH rpid), keyed by extension. */
export type PresenceStateChanged = z.infer<typeof presenceStateChangedSchema>;
/** A do-not-disturb switch separate from presence (Asterisk `Custom:DND<ext>`). */
export type DndChanged = z.infer<typeof dndChangedSchema>;
export type QueueCallerJoined = z.infer<typeof queueCallerJoinedSchema>;
export type QueueCallerLeft = z.infer<typeof queueCallerLeftSchema>;
export type QueueAnswered = z.infer<typeof queueAnsweredSchema>;
export type QueueMember = z.infer<typeof queueMemberSchema>;
export type QueueSnapshot = z.infer<typeof queueSnapshotSchema>;
export type SnapshotLeg = z.infer<typeof snapshotLegSchema>;
/** What the PBX says is true right now: replaces everything the model knew about this PBX. */
export type PbxSnapshot = z.infer<typeof pbxSnapshotSchema>;
export type PbxConnection = z.infer<typeof pbxConnectionSchema>;

export type PbxEvent = z.infer<typeof pbxEventSchema>;

export type PbxEventType = PbxEvent["type"];

/** Every event type, in the schema's order. */
export const PBX_EVENT_TYPES: readonly PbxEventType[] = pbxEventSchema.options.map((o) => o.shape.type.value);

// The normalized PBX event vocabulary, as a zod schema: the one source of the event types (events.ts
// derives them with z.infer) and of the check applied to events read from outside (JSONL traces, the
// cluster's event stream): a bad event is reported, never applied. Pure: zod is a pure library.
// Every event names its PBX, when it happened (ms since epoch) and the PBX's own ids
// (`leg` = Asterisk Uniqueid / FreeSWITCH Unique-ID, `callId` = Linkedid / call UUID).

import { z } from "zod";
import { MONITORING_MODES } from "./directory.js";

const base = {
  pbx: z.string().min(1),
  /** ms since epoch. */
  at: z.number(),
};
const leg = z.string().min(1);

/** Who is on the other end of a leg, as the PBX described it when the leg appeared. */
const endpoint = {
  /** Endpoint or device name on the PBX, e.g. `PJSIP/1001`, `PJSIP/carrier`. */
  endpoint: z.string().min(1),
  /** `internal`: a phone of the PBX; `external`: a trunk leg to the outside world. */
  side: z.enum(["internal", "external"]),
  /** The extension for internal legs; the outside party's number for external legs. */
  number: z.string(),
  name: z.string().optional(),
};
export const legEndpointSchema = z.object(endpoint);

const chosen = z.enum(["available", "away", "dnd", "unavailable", "not-set"]);

export const legCreatedSchema = z.object({
  ...base,
  ...endpoint,
  type: z.literal("leg.created"),
  leg,
  callId: z.string().min(1),
  /** Channel name as the PBX shows it (for operators reading logs). */
  channel: z.string(),
  /** What the leg dialled when it started (the caller's destination), if known. */
  dialled: z.string().optional(),
  /** true when the leg was created by the PBX towards this endpoint (a callee, an originate). */
  outgoing: z.boolean(),
});

export const legIdentitySchema = z.object({
  ...base,
  type: z.literal("leg.identity"),
  leg,
  /** For external legs the outside number/name; ignored for internal legs. */
  number: z.string().optional(),
  name: z.string().optional(),
});

export const legRingingSchema = z.object({ ...base, type: z.literal("leg.ringing"), leg });
export const legAnsweredSchema = z.object({ ...base, type: z.literal("leg.answered"), leg });

export const dialStartedSchema = z.object({
  ...base,
  type: z.literal("dial.started"),
  /** Missing when the PBX originated the call itself. */
  caller: leg.optional(),
  callee: leg,
  dialString: z.string(),
  /**
   * The extension a follow-me or call forward placed this dial for: the dialplan ran for that extension and
   * dialled another number (its owner's mobile, a forward target). Only said of a dial to an outside number.
   */
  onBehalfOf: z.string().min(1).optional(),
});

export const dialEndedSchema = z.object({
  ...base,
  type: z.literal("dial.ended"),
  caller: leg.optional(),
  callee: leg,
  status: z.enum(["answered", "busy", "cancelled", "no-answer", "unavailable", "congestion", "other"]),
});

export const legBridgedSchema = z.object({
  ...base,
  type: z.literal("leg.bridged"),
  leg,
  bridge: z.string(),
  /** The call the leg belongs to now: PBXes re-home a picker's or retriever's leg into the call it joins. */
  callId: z.string().min(1),
});

export const legUnbridgedSchema = z.object({
  ...base,
  type: z.literal("leg.unbridged"),
  leg,
  bridge: z.string(),
});
export const legHeldSchema = z.object({ ...base, type: z.literal("leg.held"), leg });
export const legUnheldSchema = z.object({ ...base, type: z.literal("leg.unheld"), leg });

export const callParkedSchema = z.object({
  ...base,
  type: z.literal("call.parked"),
  /** The parked party's leg. */
  leg,
  lot: z.string(),
  space: z.string(),
  parker: leg.optional(),
});

export const callUnparkedSchema = z.object({
  ...base,
  type: z.literal("call.unparked"),
  leg,
  lot: z.string(),
  space: z.string(),
  outcome: z.enum(["retrieved", "timeout", "gave-up"]),
  retriever: leg.optional(),
});

export const callPickedUpSchema = z.object({
  ...base,
  type: z.literal("call.pickedUp"),
  picker: leg,
  /** The ringing leg that was picked up. */
  target: leg,
});

export const callTransferredSchema = z.object({
  ...base,
  type: z.literal("call.transferred"),
  kind: z.enum(["blind", "attended"]),
  transferer: leg,
  transferee: leg.optional(),
  /** Extension or description of where the call went. */
  destination: z.string().optional(),
  success: z.boolean(),
});

export const legRedirectedSchema = z.object({
  ...base,
  type: z.literal("leg.redirected"),
  leg,
  destination: z.string(),
});

export const monitoringStartedSchema = z.object({
  ...base,
  type: z.literal("monitoring.started"),
  /** The supervisor's leg. */
  spy: leg,
  /** The monitored leg. */
  target: leg,
  mode: z.enum(MONITORING_MODES),
});

export const monitoringStoppedSchema = z.object({
  ...base,
  type: z.literal("monitoring.stopped"),
  spy: leg,
  target: leg,
});

export const recordingStartedSchema = z.object({
  ...base,
  type: z.literal("recording.started"),
  leg,
  file: z.string().optional(),
});

export const recordingStoppedSchema = z.object({
  ...base,
  type: z.literal("recording.stopped"),
  leg,
  file: z.string().optional(),
});

export const legHangupSchema = z.object({
  ...base,
  type: z.literal("leg.hangup"),
  leg,
  cause: z.number().int(),
  causeText: z.string(),
});

export const deviceReachabilitySchema = z.object({
  ...base,
  type: z.literal("device.reachability"),
  endpoint: z.string().min(1),
  reachable: z.boolean(),
});

/** User-chosen presence (Asterisk CustomPresence, FreeSWITCH rpid), keyed by extension. */
export const presenceStateChangedSchema = z.object({
  ...base,
  type: z.literal("presence.state"),
  extension: z.string().min(1),
  state: chosen,
  message: z.string().optional(),
});

/** A do-not-disturb switch separate from presence (Asterisk `Custom:DND<ext>`). */
export const dndChangedSchema = z.object({
  ...base,
  type: z.literal("presence.dnd"),
  extension: z.string().min(1),
  on: z.boolean(),
});

// Queues (Asterisk app_queue, FreeSWITCH mod_callcenter). A queue is named as the PBX names it (`400`,
// `sales@default`); an agent as the PBX names the member (`Local/1001@from-queue/n`, `1001@default`), with
// the directory extension when the PBX's name shows it.
const queueName = z.string().min(1);
const agent = {
  /** The PBX's own name for the member (Asterisk interface, FreeSWITCH agent). */
  agent: z.string().min(1),
  /** The extension of the member's phone, when the PBX's names show it. */
  extension: z.string().min(1).optional(),
};

/** A caller started waiting in a queue. */
export const queueCallerJoinedSchema = z.object({
  ...base,
  type: z.literal("queue.callerJoined"),
  queue: queueName,
  /** The caller's leg. */
  leg,
  /** 1 = next to be served. */
  position: z.number().int().positive().optional(),
});

/** A caller stopped waiting: `abandoned` when the caller hung up while waiting, else `left` (taken, timed out…). */
export const queueCallerLeftSchema = z.object({
  ...base,
  type: z.literal("queue.callerLeft"),
  queue: queueName,
  leg,
  /**
   * `abandoned`: the caller hung up while waiting; `left`: a timeout or an exit key took them out unanswered;
   * `picked-up`: a colleague took the call from a ringing agent's phone (directed pickup): answered.
   */
  reason: z.enum(["abandoned", "left", "picked-up"]),
});

/** An agent took a waiting caller. */
export const queueAnsweredSchema = z.object({
  ...base,
  ...agent,
  type: z.literal("queue.answered"),
  queue: queueName,
  /** The caller's leg. */
  leg,
  /** The agent's phone leg, when the PBX names it. */
  agentLeg: leg.optional(),
});

/**
 * A queue member's state changed. Without `queue`: the agent in every queue it serves (FreeSWITCH keeps an
 * agent's status across queues). A field left out is unchanged.
 */
export const queueMemberSchema = z.object({
  ...base,
  ...agent,
  type: z.literal("queue.member"),
  queue: queueName.optional(),
  name: z.string().optional(),
  /** Logged in (a member of the queue, static or dynamic) or not. */
  loggedIn: z.boolean().optional(),
  paused: z.boolean().optional(),
  pauseReason: z.string().optional(),
});

/**
 * What the PBX says its queues are right now (a resync): each queue's waiting callers and logged-in members.
 * A queue of this PBX not listed has none. The day's counters are the model's own and stay.
 */
export const queueSnapshotSchema = z.object({
  ...base,
  type: z.literal("queue.snapshot"),
  queues: z.array(
    z.object({
      queue: queueName,
      callers: z.array(
        z.object({
          leg,
          position: z.number().int().positive().optional(),
          /** Waiting since (ms since epoch), when the PBX says. */
          since: z.number().optional(),
        }),
      ),
      members: z.array(
        z.object({
          ...agent,
          name: z.string().optional(),
          /** false: the queue lists the member logged out (a FreeSWITCH tier's agent). Default: logged in. */
          loggedIn: z.boolean().optional(),
          paused: z.boolean(),
          pauseReason: z.string().optional(),
          pausedSince: z.number().optional(),
        }),
      ),
    }),
  ),
});

export const snapshotLegSchema = z.object({
  ...endpoint,
  leg,
  callId: z.string().min(1),
  channel: z.string(),
  state: z.enum(["dialing", "ringing", "up"]),
  outgoing: z.boolean(),
  bridge: z.string().optional(),
  held: z.boolean().optional(),
  dialled: z.string().optional(),
  /** When the PBX created the leg (ms since epoch), if it says: durations continue from it, not from the resync. */
  createdAt: z.number().optional(),
  /** When the leg was answered, if the PBX says (else an answered leg counts from `createdAt`). */
  answeredAt: z.number().optional(),
});

/** What the PBX says is true right now: replaces everything the model knew about this PBX. */
export const pbxSnapshotSchema = z.object({
  ...base,
  type: z.literal("pbx.snapshot"),
  legs: z.array(snapshotLegSchema),
  reachability: z.array(z.object({ endpoint: z.string(), reachable: z.boolean() })),
  presence: z.array(z.object({ extension: z.string(), state: chosen, message: z.string().optional() })),
  dnd: z.array(z.object({ extension: z.string(), on: z.boolean() })),
  parked: z.array(z.object({ leg, lot: z.string(), space: z.string() })),
  /**
   * The recordings running on the snapshot's legs, when the PBX could tell (Asterisk over AMI). Absent:
   * unknown — what was known about the legs' recordings stays as it was.
   */
  recordings: z.array(z.object({ leg, file: z.string().optional() })).optional(),
});

export const pbxConnectionSchema = z.object({
  ...base,
  type: z.literal("pbx.connection"),
  state: z.enum(["up", "down"]),
});

export const pbxEventSchema = z.discriminatedUnion("type", [
  legCreatedSchema,
  legIdentitySchema,
  legRingingSchema,
  legAnsweredSchema,
  dialStartedSchema,
  dialEndedSchema,
  legBridgedSchema,
  legUnbridgedSchema,
  legHeldSchema,
  legUnheldSchema,
  callParkedSchema,
  callUnparkedSchema,
  callPickedUpSchema,
  callTransferredSchema,
  legRedirectedSchema,
  monitoringStartedSchema,
  monitoringStoppedSchema,
  recordingStartedSchema,
  recordingStoppedSchema,
  legHangupSchema,
  deviceReachabilitySchema,
  presenceStateChangedSchema,
  dndChangedSchema,
  queueCallerJoinedSchema,
  queueCallerLeftSchema,
  queueAnsweredSchema,
  queueMemberSchema,
  queueSnapshotSchema,
  pbxSnapshotSchema,
  pbxConnectionSchema,
]);

export type ParsedEvent =
  | { ok: true; event: z.infer<typeof pbxEventSchema> }
  | { ok: false; problem: string };

/** Checks one event read from outside; the problem names the first bad field. */
export function parseEvent(value: unknown): ParsedEvent {
  const r = pbxEventSchema.safeParse(value);
  if (r.success) return { ok: true, event: r.data };
  const issue = r.error.issues[0];
  const path = issue?.path.length ? issue.path.join(".") : "event";
  return { ok: false, problem: `${path}: ${issue?.message ?? "invalid"}` };
}

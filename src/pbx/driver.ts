// What every PBX driver offers the rest of Callsight. Nothing outside `src/pbx/<driver>/`
// knows AMI, ARI or ESL: the rest of the system sees normalized events and these commands.

import type { MonitoringMode } from "../domain/directory.js";
import type { PbxEvent } from "../domain/events.js";

/**
 * What became of a command the PBX took, once the phones had their say: the supervisor (or picker) joined
 * the call, the PBX refused it (no such phone, the call ended first…), or nobody answered in time.
 */
export interface LaterOutcome {
  result: "joined" | "refused" | "timed-out";
  message?: string;
}

/**
 * The answer an operation gives the API: accepted (the PBX took the command), refused by Callsight, or
 * failed on the PBX. An accepted command that rings a phone may say what became of it `later`.
 */
export type CommandOutcome =
  | { status: "accepted"; detail?: string; leg?: string; later?: Promise<LaterOutcome> }
  | { status: "refused"; reason: string; message: string }
  | { status: "failed"; message: string };

export interface MonitorRequest {
  /** The supervisor's device endpoint, e.g. `PJSIP/1004`. */
  supervisorEndpoint: string;
  /** The monitored user's leg (its PBX id). */
  targetLeg: string;
  mode: MonitoringMode;
  /** Play a beep to the supervisor when monitoring starts (ChanSpy without `q`). */
  beep: boolean;
  callerId?: string;
}

export interface PickupRequest {
  pickerEndpoint: string;
  /** The ringing leg to pick up. */
  targetLeg: string;
}

export interface ParkedPickupRequest {
  pickerEndpoint: string;
  lot: string;
  space: string;
}

export interface IvrRequest {
  /** The leg to send (usually the external party's). */
  leg: string;
  context: string;
  exten: string;
}

export interface RecordingRequest {
  leg: string;
  callId: string;
  /** File name without directory; carries the call id. */
  file: string;
}

/** Each extension's recording setting on one PBX, and the consent beep for recorded calls. */
export interface RecordingPolicyTable {
  extensions: Record<string, "off" | "external" | "all">;
  /** Seconds between beeps both parties hear while recording; undefined = no beep. */
  beepSeconds?: number;
  /** Extensions whose department sets another beep interval (0 = no beep for them). */
  beepByExtension?: Record<string, number>;
}

/** Take over: the supervisor's phone replaces the agent in the call; the agent's leg is released. */
export interface TakeOverRequest {
  supervisorEndpoint: string;
  /** The agent's leg (its PBX id): hung up once the other party is with the supervisor. */
  agentLeg: string;
  /** The leg of the party the agent talks to (its PBX id): it stays in the call. */
  otherLeg: string;
  callerId?: string;
}

/** What a user may choose as their status: the PBX's lamps and every other tool show the same. */
export const USER_STATUSES = ["available", "away", "dnd"] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

/**
 * Set a user's chosen status on the PBX, where the phones' lamps and the dialplan read it (Asterisk:
 * `CustomPresence:<ext>` and `Custom:DND<ext>`; FreeSWITCH: the db, the `callsight::dnd` event and a
 * PRESENCE_IN). The board shows it once the PBX reports it back, as when the phone's feature code set it.
 */
export interface StatusRequest {
  extension: string;
  status: UserStatus;
  /** A short note shown with it (the PBX's presence message); absent: none. */
  note?: string;
}

/**
 * Click-to-call: ring the caller's phone first; once it answers, its leg dials `destination` in the PBX's
 * dialplan (`context`) as the caller's extension, as if they had dialled it on the phone.
 */
export interface DialRequest {
  /** The caller's phone, rung first (e.g. `PJSIP/1001`). */
  callerEndpoint: string;
  /** What that leg dials once answered: an extension, or a number (digits, an optional leading `+`). */
  destination: string;
  /** The PBX's internal dialplan context, where the phone's own calls are dialled (`pbx.dialContext`). */
  context: string;
  /** The dialled call's caller id: the caller's extension and name. */
  callerIdNumber: string;
  callerIdName?: string;
}

/**
 * Pause or unpause a member of a queue: app_queue `QueuePause` (with the reason), mod_callcenter's agent
 * status (`On Break` / `Available`; FreeSWITCH keeps no reason). `agent` is the PBX's own name of the member
 * (the interface, the agent), as its queue events and resync report it.
 */
export interface QueuePauseRequest {
  queue: string;
  agent: string;
  paused: boolean;
  reason?: string;
}

/**
 * Log a user in to a queue or out of it: app_queue `QueueAdd` / `QueueRemove` (a dynamic member; the interface
 * from the pbx entry's `queueMember` template unless the PBX already named the member), mod_callcenter's agent
 * status (`Available` / `Logged Out`; the agent and its tiers are FusionPBX's, and the status holds the agent
 * in every queue it serves). `agent` is the PBX's own name of the member when the PBX reported one.
 */
export interface QueueLoginRequest {
  queue: string;
  extension: string;
  loggedIn: boolean;
  agent?: string;
  /** The member's name as the queue shows it (app_queue MemberName). */
  name?: string;
}

/**
 * A call command as data: what the operations layer asks, what the cluster relay carries to the PBX's
 * owner, and what each driver carries out in one case of its `execute`.
 */
export type PbxCommand =
  | { op: "monitor"; req: MonitorRequest }
  | { op: "pickup"; req: PickupRequest }
  | { op: "pickupParked"; req: ParkedPickupRequest }
  | { op: "sendToIvr"; req: IvrRequest }
  | { op: "startRecording"; req: RecordingRequest }
  | { op: "stopRecording"; req: { leg: string } }
  | { op: "takeOver"; req: TakeOverRequest }
  | { op: "dial"; req: DialRequest }
  | { op: "setStatus"; req: StatusRequest }
  | { op: "queuePause"; req: QueuePauseRequest }
  | { op: "queueLogin"; req: QueueLoginRequest };

export const PBX_COMMANDS: ReadonlySet<PbxCommand["op"]> = new Set<PbxCommand["op"]>([
  "monitor",
  "pickup",
  "pickupParked",
  "sendToIvr",
  "startRecording",
  "stopRecording",
  "takeOver",
  "dial",
  "setStatus",
  "queuePause",
  "queueLogin",
]);

/**
 * The contract of "accepted" (HTTP 202): the PBX took the command. A driver answers within this time
 * (it does not wait for phones to ring or be answered); what happens after — a phone answering, the PBX
 * refusing, nobody answering — is the command's later outcome, not its answer. The cluster relay waits
 * for an owner's answer this long, and no longer.
 */
export const COMMAND_ANSWER_MS = 12_000;

/** A driver's handler per command, named after it: the compiler holds every driver to every command. */
export type CommandHandlers = {
  [Op in PbxCommand["op"]]: (req: Extract<PbxCommand, { op: Op }>["req"]) => Promise<CommandOutcome>;
};

/** Carries a command out with the handler named after it. */
export function dispatchCommand(handlers: CommandHandlers, command: PbxCommand): Promise<CommandOutcome> {
  const handler = handlers[command.op] as (req: PbxCommand["req"]) => Promise<CommandOutcome>;
  return handler.call(handlers, command.req);
}

export interface CallCommands {
  /** Carries one command out on the PBX: accepted once the PBX took it (see COMMAND_ANSWER_MS). */
  execute(command: PbxCommand): Promise<CommandOutcome>;
}

export interface DriverStatus {
  pbx: string;
  driver: string;
  connected: boolean;
  since?: number;
  lastError?: string;
  reconnects: number;
  /** PBX frames this driver could not parse or use and skipped since start (each logged once a session). */
  malformedFrames?: number;
}

export interface PbxDriver extends CallCommands {
  readonly pbx: string;
  /** Connects and keeps connecting until stop(); every (re)connect delivers a `pbx.snapshot` first. */
  start(): void;
  stop(): Promise<void>;
  onEvents(listener: (events: PbxEvent[]) => void): void;
  status(): DriverStatus;
  /** Hands the PBX the recording policy so it enforces it on its own (also while Callsight is down). */
  publishRecordingPolicy(policy: RecordingPolicyTable): Promise<CommandOutcome>;
  /** The endpoint of an extension's phone when the directory names none (e.g. `PJSIP/1001`). */
  endpointForExtension(extension: string): string;
}

// What every PBX driver offers the rest of Callsight. Nothing outside `src/pbx/<driver>/`
// knows AMI, ARI or ESL: the rest of the system sees normalized events and these commands.

import type { MonitoringMode } from "../domain/directory.js";
import type { PbxEvent } from "../domain/events.js";

/** The answer an operation gives the API: accepted, refused by Callsight, or failed on the PBX. */
export type CommandOutcome =
  | { status: "accepted"; detail?: string; leg?: string }
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

export interface CallCommands {
  monitor(req: MonitorRequest): Promise<CommandOutcome>;
  pickup(req: PickupRequest): Promise<CommandOutcome>;
  pickupParked(req: ParkedPickupRequest): Promise<CommandOutcome>;
  sendToIvr(req: IvrRequest): Promise<CommandOutcome>;
  startRecording(req: RecordingRequest): Promise<CommandOutcome>;
  stopRecording(req: { leg: string }): Promise<CommandOutcome>;
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

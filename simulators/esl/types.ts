// The ESL simulator's types: its options and the views it hands out (re-exported by esl-simulator.ts),
// and the internal shapes its parts share (a live channel, a replay step, an eavesdrop session).

import type { EslEvent } from "../../src/pbx/freeswitch-esl/frame-parser.js";
import type { EslRewriter } from "../esl-trace.js";
import type { Replay, ReplayedCall, TrafficHandle, TrafficOptions } from "../replay-engine.js";

export interface EslSimulatorOptions {
  host?: string;
  port?: number;
  /** mod_event_socket's password. Default `ClueCon`. */
  password?: string;
  /** Directory with the `.esl.txt` traces (default: test/fixtures/freeswitch). */
  tracesDir?: string;
  /** Extensions with a phone (default 1001-1006): originates to others fail. */
  extensions?: string[];
  /** Extensions whose phone is registered from the start (default: every one of `extensions`). */
  registered?: string[];
  /** Speed of command event sequences and their tails (1 = as captured, 0.1 = ten times faster). */
  commandTimeScale?: number;
  /** Send a HEARTBEAT event every this many ms (0 = never, the default). */
  heartbeatMs?: number;
  domain?: string;
}

export interface EslCallOptions {
  /** Template extension -> extension, e.g. `{ "1001": "1004" }`. */
  extMap?: Record<string, string>;
  /** Stop the replay before this point (a named point of the scenario or an event index). */
  pauseAt?: "ringing" | "answered" | "parked" | number;
  /** 1 = as captured. */
  timeScale?: number;
}

export interface EslTrafficOptions extends TrafficOptions {
  /** Scenario names or prefixes (`05`); default: the plain call scenarios. */
  scenarios?: string[];
  timeScale?: number;
}

export type EslTrafficHandle = TrafficHandle;

export interface EslChannelView {
  uuid: string;
  name: string;
  direction: string;
  callstate: string;
  application: string;
  applicationData: string;
  callUuid: string;
  peer?: string;
  call?: number;
}

export type EslSimCall = ReplayedCall<EslChannelView>;

/** A live channel: what `show channels`, `uuid_getvar` and the hang-up events are made from. */
export interface SimChannel {
  uuid: string;
  identity: Record<string, string>;
  last: EslEvent;
  vars: Record<string, string>;
  direction: string;
  callstate: string;
  callUuid: string;
  application: string;
  appData: string;
  dest: string;
  context: string;
  peer?: string;
  created: number;
  instance?: Instance;
}

export interface Step {
  at: number;
  event: EslEvent;
  rw: EslRewriter;
  /** Lay the live channels' identity over the event (command templates played on existing calls). */
  overlay: boolean;
}

export interface Instance extends Replay<Step> {
  /** An originate waiting for its result: settled at the template's BACKGROUND_JOB or the new leg's answer. */
  job?: { leg: string; resolve(body: string): void };
}

/** An eavesdrop leg the simulator originated, with the events that end it. */
export interface SpySession {
  spy: string;
  target: string;
  stop: Step[];
  stopped: boolean;
}

// The AMI simulator's types: its options and the views it hands out (re-exported by ami-simulator.ts),
// and the internal shapes its parts share (a live channel, a parked call, a replay step, a spy session).

import type { Fields, Rewriter } from "../ami-trace.js";
import type { TrafficOptions as EngineTrafficOptions, Replay, ReplayedCall } from "../replay-engine.js";

export interface AmiSimulatorOptions {
  host?: string;
  port?: number;
  username?: string;
  secret?: string;
  /** Directory with the `.ami.txt` traces (default: test/fixtures/asterisk). */
  tracesDir?: string;
  /** Extensions with a PJSIP endpoint (default 1001-1006). */
  extensions?: string[];
  /** Extensions whose device starts UNAVAILABLE. */
  unreachable?: string[];
  /** Display names per extension (default: the traces' names). */
  names?: Record<string, string>;
  /** Speed of command event sequences and their tails (1 = as captured, 0.1 = ten times faster). */
  commandTimeScale?: number;
  /** Answer `Ping` (turn off to test keep-alive failures). */
  answerPings?: boolean;
  version?: string;
}

export interface CallOptions {
  /** Template extension -> extension, e.g. `{ "1001": "1004" }`. */
  extMap?: Record<string, string>;
  /** Stop the replay before this point (a named point of the scenario or an event index). */
  pauseAt?: "ringing" | "answered" | "parked" | number;
  /** 1 = as captured. */
  timeScale?: number;
}

export interface TrafficOptions extends EngineTrafficOptions {
  /** Scenario names or prefixes (`05`); default: the plain call scenarios. */
  scenarios?: string[];
  timeScale?: number;
  /** Extension remap per started call (index = call number). */
  extMap?: (index: number) => Record<string, string> | undefined;
}

export interface LiveChannelView {
  name: string;
  uniqueid: string;
  linkedid: string;
  state: string;
  stateDesc: string;
  callerNum: string;
  callerName: string;
  bridge: string;
  application: string;
  applicationData: string;
  call?: number;
}

export type SimCall = ReplayedCall<LiveChannelView>;

export interface SimStats {
  sessions: number;
  eventsEmitted: number;
  eventsSent: number;
  eventsFiltered: number;
  bytesSent: number;
  actions: Record<string, number>;
}

/** The traces' display names of the six phones. */
export const DEFAULT_NAMES: Record<string, string> = {
  "1001": "Alice Sales",
  "1002": "Bob Sales",
  "1003": "Carol Sales",
  "1004": "Dave Support",
  "1005": "Erin Support",
  "1006": "Frank Support",
};

/** A live channel, as the list actions report it. */
export interface SimChannel {
  name: string;
  uid: string;
  linkedid: string;
  state: string;
  stateDesc: string;
  callerNum: string;
  callerName: string;
  connectedNum: string;
  connectedName: string;
  language: string;
  accountCode: string;
  context: string;
  exten: string;
  priority: string;
  application: string;
  appData: string;
  bridge: string;
  createdAt: number;
  instance?: Instance;
  /** MIXMONITOR_FILENAME, once a MixMonitor started on it (Asterisk leaves it set after a stop). */
  mixMonitorFile?: string;
}

export interface ParkedEntry {
  parkee: string;
  lot: string;
  space: string;
  parkerDialString: string;
  timeout: number;
  since: number;
}

/** A last look at an event before it goes out: change it, or drop it (undefined). */
export type Post = (fields: Fields) => Fields | undefined;

export interface Step {
  at: number;
  fields: Fields;
  rw: Rewriter;
  post?: Post;
}

export type Instance = Replay<Step>;

/** A ChanSpy leg the simulator originated, with the events that end it. */
export interface SpySession {
  spyUid: string;
  targetUid: string;
  data: string;
  exitWithTarget: boolean;
  stop: Step[];
  stopped: boolean;
  instance: Instance;
}

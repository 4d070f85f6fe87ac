// The ARI server's types: its options, stats and the call handle it hands out (re-exported by
// ari-server.ts), and the internal shapes its parts share (a live channel, a replay step and
// instance, a WebSocket client, a live recording).

import type { WebSocket } from "ws";
import type { AriChannel, AriEvent } from "../../src/pbx/asterisk-ari/types.js";
import type { AriRewriter } from "../ari-trace.js";
import type { TrafficHandle, TrafficOptions } from "../replay-engine.js";

export interface AriServerOptions {
  host?: string;
  port?: number;
  username?: string;
  secret?: string;
  /** Directory with the `.ari.jsonl` traces (default: test/fixtures/asterisk). */
  tracesDir?: string;
  /** Extensions with a PJSIP endpoint (default 1001-1006). */
  extensions?: string[];
  /** Extensions whose endpoint starts offline. */
  unreachable?: string[];
  /** Speed of command event sequences and their tails (1 = as captured, 0.1 = ten times faster). */
  commandTimeScale?: number;
}

export interface AriCallOptions {
  /** Stop the replay before this point (a named point of the scenario or an event index). */
  pauseAt?: "ringing" | "answered" | "parked" | number;
  /** 1 = as captured. */
  timeScale?: number;
}

export interface AriSimCall {
  readonly id: number;
  readonly scenario: string;
  readonly paused: boolean;
  readonly finished: boolean;
  /** Wall-clock ms at which the capture's first event was (re)played: the replay's time origin. */
  readonly origin: number;
  /** The capture's own time of its first event (ms since epoch). */
  readonly capturedAt: number;
  readonly timeScale: number;
  /** The live value of a captured id, channel name or bridge id (the same call seen by another link). */
  rewrite(value: string): string;
  resume(): void;
  /** Live channels of this call. */
  channels(): AriChannel[];
  done: Promise<void>;
}

export interface AriTrafficOptions extends TrafficOptions {
  scenarios?: string[];
  timeScale?: number;
}

export type AriTrafficHandle = TrafficHandle;

export interface AriServerStats {
  sessions: number;
  connects: number;
  authFailures: number;
  eventsEmitted: number;
  messagesSent: number;
  requests: number;
}

export interface SimChannel {
  ch: AriChannel;
  bridge?: string;
  /** The Stasis application the channel is in, if any. */
  app?: string;
  instance?: Instance;
  variables: Record<string, string>;
}

export interface Step {
  /** ms after the instance's start (unscaled). */
  at: number;
  event: AriEvent;
  rw?: AriRewriter;
  /** Runs instead of emitting an event. */
  run?: () => void;
}

/** A replay: a captured call, or the event sequence of a command. */
export interface Instance {
  id: number;
  scenario: string;
  steps: Step[];
  next: number;
  scale: number;
  /** Wall clock of step time 0. */
  origin: number;
  timer?: NodeJS.Timeout;
  paused: boolean;
  pauseAt?: number;
  finished: boolean;
  done: Promise<void>;
  resolveDone: () => void;
  channels: Set<string>;
  /** Captured creationtime -> the live one it was replayed as. */
  creation: Map<string, string>;
}

/** A WebSocket of an ARI application (`subscribeAll`: every event, not just its channels'). */
export interface Client {
  ws: WebSocket;
  app: string;
  subscribeAll: boolean;
}

export interface Recording {
  name: string;
  format: string;
  channel: string;
}

export interface RequestLog {
  method: string;
  path: string;
  query: Record<string, string>;
  body?: unknown;
}

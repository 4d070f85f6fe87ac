// The FreeSWITCH ESL driver's options (a `driver: esl` PBX of the configuration, and the timings tests
// shorten) and its counters.

import type { Logger } from "pino";
import type { BackoffOptions } from "../connection-supervisor.js";
import type { EndpointClassifier } from "../endpoints.js";

export interface FreeswitchEslDriverOptions {
  pbx: string;
  host: string;
  /** mod_event_socket's listen-port (8021 in a stock install). */
  port: number;
  /** mod_event_socket's `password` (event_socket.conf.xml; `ClueCon` in a stock install). */
  secret: string;
  classifier?: EndpointClassifier;
  /** Sofia profiles facing carriers: their legs are external parties. Default `["external"]`. */
  externalProfiles?: readonly string[];
  /** Sofia profile of users' phones, for endpointForExtension. Default `internal`. */
  internalProfile?: string;
  /** Directory domain for `user/<ext>@<domain>` dial strings. Default: none (`user/<ext>`, FreeSWITCH's default domain). */
  domain?: string;
  /** Directory on the FreeSWITCH host where uuid_record writes. Default `/var/lib/freeswitch/recordings`. */
  recordingDir?: string;
  backoff?: BackoffOptions;
  /** An api command or a bgapi acknowledgement. Default 10 s. */
  commandTimeoutMs?: number;
  /** A background job's result (an originate rings the phone first). Default 90 s. */
  jobTimeoutMs?: number;
  /** How long stopRecording waits for the RECORD_STOP after FreeSWITCH accepted the stop. Default 2 s. */
  stopWaitMs?: number;
  /** Each resync api command. Default 30 s. */
  resyncTimeoutMs?: number;
  connectTimeoutMs?: number;
  pingIntervalMs?: number;
  pongTimeoutMs?: number;
  maxHeaderBytes?: number;
  maxBodyBytes?: number;
  logger?: Logger;
  now?: () => number;
}

export interface EslDriverCounters {
  sessions: number;
  connectAttempts: number;
  events: number;
  /** Source events handed to the translator. */
  frames: number;
  /** Events received before the resync's `show channels` answered (its snapshot already holds them). */
  preSnapshot: number;
  malformed: number;
  unknownEvents: Record<string, number>;
  listenerErrors: number;
  failedJobs: number;
}

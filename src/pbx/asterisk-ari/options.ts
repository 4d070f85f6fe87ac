// The ARI driver's options (a `driver: ari` PBX of the configuration, and the timings tests shorten) and
// its counters.

import type { Logger } from "pino";
import type { QueueMemberTemplate } from "../asterisk/queues.js";
import type { BackoffOptions } from "../connection-supervisor.js";
import type { EndpointClassifier } from "../endpoints.js";

export interface AriCompanionOptions {
  /** Default: the ARI host. */
  host?: string;
  port: number;
  username: string;
  secret: string;
  /** The member a queue login adds (default FreePBX's). */
  queueMember?: QueueMemberTemplate;
}

export interface AsteriskAriDriverOptions {
  pbx: string;
  host: string;
  port: number;
  username: string;
  secret: string;
  /** Stasis application name (ari.conf user + `app`). Default `callsight`. */
  app?: string;
  tls?: boolean;
  classifier?: EndpointClassifier;
  /** The optional AMI link for parking, presence, MixMonitor, ChanSpy, Redirect and DBPut. */
  companion?: AriCompanionOptions;
  backoff?: BackoffOptions;
  /** Each REST request. Default 10 s. */
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  pingIntervalMs?: number;
  pongTimeoutMs?: number;
  /** How long Asterisk rings the supervisor / picker (originate `timeout`). Default 30 s. */
  originateTimeoutSec?: number;
  /** How long a Stasis channel (snoop) may take to arrive in the app. Default 5 s. */
  stasisWaitMs?: number;
  /** Dialplan context with the `pickup` and `parked` extensions (dialplan/asterisk/callsight-ari.conf). */
  dialplanContext?: string;
  /**
   * The longest an event waits for the other link (link-merge.ts), and a companion fact about a leg ARI
   * has not announced yet for it. Default 2 s.
   */
  companionHoldMs?: number;
  /** Channel technology of users' phones, for endpointForExtension. Default `PJSIP`. */
  endpointTech?: string;
  logger?: Logger;
  now?: () => number;
}

export interface AriDriverCounters {
  sessions: number;
  connectAttempts: number;
  messages: number;
  events: number;
  malformed: number;
  unknownEvents: Record<string, number>;
  listenerErrors: number;
  companionFacts: number;
}

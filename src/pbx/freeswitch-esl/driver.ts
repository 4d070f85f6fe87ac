// The FreeSWITCH ESL driver: a supervisor loop around EslConnection (connect, auth, subscribe, full
// resync, live events), reconnecting with capped exponential backoff and full jitter (the AMI driver's
// backoffDelay), plus the call commands as ESL api/bgapi commands:
//   monitor        bgapi originate {eavesdrop vars,callsight_spy_target=<uuid>}user/<sup>@<domain> &eavesdrop(<uuid>)
//                  (traces 10a/b/c; the variable makes the leg a spy leg before it rings, see translate.ts)
//   pickup         bgapi originate {…}user/<picker>@<domain> &intercept(<caller's A-leg>)    (trace 09)
//   pickupParked   bgapi originate {…}user/<picker>@<domain> '&valet_park(<lot> <space>)'   (trace 08)
//   sendToIvr      api uuid_transfer <uuid> <exten> XML <context>                           (trace 07)
//   start/stop rec api uuid_record <uuid> start|stop <dir>/<file with the call id>          (trace 11)
//   policy         api db insert/callsight_recording/<ext>/<off|external|all>               (policy-db.ts)
// The resync's questions and what it remembers between sessions: resync-read.ts.

import path from "node:path";
import pino, { type Logger } from "pino";
import type { PbxEvent } from "../../domain/events.js";
import { type BackoffOptions, ConnectionSupervisor } from "../connection-supervisor.js";
import type {
  CommandOutcome,
  DriverStatus,
  IvrRequest,
  LaterOutcome,
  MonitorRequest,
  ParkedPickupRequest,
  PbxCommand,
  PbxDriver,
  PickupRequest,
  RecordingPolicyTable,
  RecordingRequest,
  TakeOverRequest,
} from "../driver.js";
import { type CommandHandlers, dispatchCommand } from "../driver.js";
import type { EndpointClassifier } from "../endpoints.js";
import { EventListeners } from "../event-listeners.js";
import { InputProblems } from "../input-problems.js";
import { RecordingPolicySync } from "../recording-policy-sync.js";
import { EslAuthError, EslConnection } from "./connection.js";
import { eavesdropVariables } from "./eavesdrop.js";
import type { EslEvent } from "./frame-parser.js";
import { eslPolicyStorage } from "./policy-db.js";
import { DND_SUBCLASS } from "./presence.js";
import { buildEslSnapshot } from "./resync.js";
import { DeliveredPresence, readResync } from "./resync-read.js";
import { ESL_EVENT_INTEREST, EslTranslator, SPY_TARGET_VARIABLE } from "./translate.js";

/**
 * The `event json` subscription. Not `ALL`: on the captured traces `ALL` is 1,017 events for 14
 * calls, and CHANNEL_STATE, CODEC, CALL_UPDATE, API, RE_SCHEDULE, PLAYBACK_*, MEDIA_BUG_* and
 * CHANNEL_HANGUP_COMPLETE/DESTROY (the two largest events, every channel variable) carry nothing the
 * translation reads. Each entry is here because translate.ts reads it:
 */
export const ESL_EVENTS: readonly string[] = [
  "CHANNEL_CREATE", //       a leg appears: endpoint, direction, caller id, the call it belongs to
  "CHANNEL_PROGRESS", //     a leg FreeSWITCH created towards a phone rings…
  "CHANNEL_PROGRESS_MEDIA", // …or rings with early media
  "CHANNEL_ANSWER", //       answered
  "CHANNEL_BRIDGE", //       two legs talk (once per bridge, names both legs); merges their calls
  "CHANNEL_UNBRIDGE", //     they stop; also carries Caller-Transfer-Source after uuid_transfer
  "CHANNEL_CALLSTATE", //    RINGING/EARLY/ACTIVE/HELD/UNHELD as a fallback for the events above
  "CHANNEL_HOLD", //         uuid_hold / a phone's hold
  "CHANNEL_UNHOLD",
  "CHANNEL_HANGUP", //       the leg is gone, with its cause (PICKED_OFF ends an intercepted leg)
  "CHANNEL_EXECUTE", //      eavesdrop/three_way (monitoring + mode), intercept, valet_park (retriever)
  "CHANNEL_EXECUTE_COMPLETE", // eavesdrop ended while the spy leg stays up
  "RECORD_START", //         uuid_record / record_session started, with Record-File-Path
  "RECORD_STOP",
  "PRESENCE_IN", //          presence a phone published (rpid/status -> away, dnd, available)
  "HEARTBEAT", //            keep-alive: FreeSWITCH sends one every 20 s
  "BACKGROUND_JOB", //       bgapi results (originate for monitor/pickup/parked pickup)
  "CUSTOM",
  "sofia::register", //      device reachability
  "sofia::unregister",
  "sofia::expire",
  "valet_parking::info", //  parked (hold), retrieved (bridge), gave up (exit)
  DND_SUBCLASS, //           DND on / off from the dialplan's feature codes (*78 / *79, callsight.xml)
];

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

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;
const SAFE_EXTEN = /^[A-Za-z0-9_*#+.@-]+$/;
const SAFE_ENDPOINT = /^[A-Za-z0-9_.:/@*#+-]+$/;

/** `{a=b,c='d e'}`: values with separators are single-quoted; quotes and braces inside are dropped. */
export function originateVariables(vars: Record<string, string | undefined>): string {
  const parts: string[] = [];
  for (const [k, raw] of Object.entries(vars)) {
    if (raw === undefined) continue;
    const v = raw.replace(/['{}\r\n]/g, "");
    parts.push(/[\s,^]/.test(v) ? `${k}='${v}'` : `${k}=${v}`);
  }
  return parts.length > 0 ? `{${parts.join(",")}}` : "";
}

/** `Name <number>`, `"Name" <number>`, `<number>` or a bare name. */
export function splitCallerId(callerId: string | undefined): { name?: string; number?: string } {
  if (!callerId) return {};
  const m = /^\s*"?([^"<]*?)"?\s*<([^>]*)>\s*$/.exec(callerId);
  if (!m) return { name: callerId.trim() };
  const out: { name?: string; number?: string } = {};
  if (m[1]) out.name = m[1];
  if (m[2]) out.number = m[2];
  return out;
}

export class FreeswitchEslDriver implements PbxDriver, CommandHandlers {
  readonly pbx: string;
  private readonly translator: EslTranslator;
  private readonly listeners: EventListeners;
  private readonly supervisor: ConnectionSupervisor;
  private readonly log: Logger;
  private readonly now: () => number;
  private conn?: EslConnection;
  /** Live legs -> their call, as delivered: commands refuse unknown legs, a reconnect keeps call ids. */
  private readonly callIds = new Map<string, string>();
  /** Phones last reported registered and DNDs on: the next snapshot reports the ones that are gone. */
  private readonly delivered = new DeliveredPresence();
  /** Recording paths started by startRecording, per leg. */
  private readonly recordings = new Map<string, string>();
  /** stopRecording calls waiting for their leg's recording.stopped (or hangup) to be delivered. */
  private readonly stopWaiters = new Map<string, Set<() => void>>();
  private readonly policy: RecordingPolicySync;
  private readonly problems: InputProblems;
  readonly counters: EslDriverCounters = {
    sessions: 0,
    connectAttempts: 0,
    events: 0,
    frames: 0,
    preSnapshot: 0,
    malformed: 0,
    unknownEvents: Object.create(null) as Record<string, number>,
    listenerErrors: 0,
    failedJobs: 0,
  };

  constructor(private readonly options: FreeswitchEslDriverOptions) {
    this.pbx = options.pbx;
    this.now = options.now ?? Date.now;
    this.translator = new EslTranslator(options.pbx, {
      ...(options.classifier ? { classifier: options.classifier } : {}),
      ...(options.externalProfiles ? { externalProfiles: options.externalProfiles } : {}),
      now: this.now,
    });
    this.log = options.logger ?? pino({ name: "callsight.esl", level: "info" });
    const storage = eslPolicyStorage({
      api: (command) => this.api(command),
      externalProfiles: options.externalProfiles ?? ["external"],
    });
    this.policy = new RecordingPolicySync(storage, { pbx: this.pbx, logger: this.log });
    this.listeners = new EventListeners(this.log);
    this.problems = new InputProblems(this.log, this.pbx, "ESL frame", this.counters);
    this.supervisor = ConnectionSupervisor.forDriver({
      pbx: this.pbx,
      link: "ESL",
      log: this.log,
      counters: this.counters,
      backoff: this.options.backoff,
      runSession: () => this.runSession(),
      // A refused password will be refused again: never retry it at once, whatever the jitter drew.
      leastDelayAfter: (err) => (err instanceof EslAuthError ? (this.options.backoff?.initialMs ?? 500) : 0),
    });
  }

  onEvents(listener: (events: PbxEvent[]) => void): void {
    this.listeners.add(listener);
  }

  status(): DriverStatus {
    return {
      ...this.supervisor.status(this.pbx, "freeswitch-esl"),
      malformedFrames: this.counters.malformed,
    };
  }

  /** `sofia/internal/<ext>`: the endpoint translate.ts gives the legs of that phone. */
  endpointForExtension(extension: string): string {
    return `sofia/${this.options.internalProfile ?? "internal"}/${extension}`;
  }

  /** What an originate dials for an endpoint: `sofia/<profile>/<ext>` or a bare extension -> `user/<ext>@<domain>`. */
  dialString(endpoint: string): string | undefined {
    const e = endpoint.trim();
    if (!SAFE_ENDPOINT.test(e)) return undefined;
    const domain = this.options.domain ? `@${this.options.domain}` : "";
    if (!e.includes("/")) return `user/${e}${e.includes("@") ? "" : domain}`;
    const m = /^sofia\/([^/]+)\/(?:sips?:)?([^@/]+)$/.exec(e);
    if (m && m[1] !== "gateway") return `user/${m[2]}${domain}`;
    return e;
  }

  start(): void {
    if (this.supervisor.running) return;
    this.supervisor.start();
  }

  async stop(): Promise<void> {
    await this.supervisor.stop(async () => {
      const conn = this.conn;
      if (conn) await conn.close();
    });
  }

  // ---- commands -------------------------------------------------------------------------------

  execute(command: PbxCommand): Promise<CommandOutcome> {
    return dispatchCommand(this, command);
  }

  monitor(req: MonitorRequest): Promise<CommandOutcome> {
    const target = this.liveLeg(req.targetLeg);
    if (typeof target !== "string") return Promise.resolve(target);
    const dial = this.dialString(req.supervisorEndpoint);
    if (!dial) return Promise.resolve(invalid(`supervisor endpoint ${req.supervisorEndpoint}`));
    const cid = splitCallerId(req.callerId);
    const vars = originateVariables({
      origination_caller_id_name: cid.name ?? `Monitor ${req.mode}`,
      origination_caller_id_number: cid.number,
      eavesdrop_enable_dtmf: "true",
      ...eavesdropVariables(req.mode),
      // The leg is a spy leg from its CHANNEL_CREATE on: it never shows as the supervisor's own call while
      // it rings and is answered (eavesdrop only starts after the answer).
      [SPY_TARGET_VARIABLE]: target,
      // eavesdrop is silent; with a beep the supervisor hears a short tone when they answer.
      execute_on_answer: req.beep ? "playback tone_stream://%(200,0,800)" : undefined,
    });
    return this.background(`originate ${vars}${dial} &eavesdrop(${target})`);
  }

  /**
   * Take over: `uuid_transfer <other> 'bridge:<supervisor>' inline` moves the other party out of the call
   * to an inline dialplan that rings the supervisor's phone and bridges them; FreeSWITCH hangs up the
   * agent's leg, whose partner was transferred away.
   */
  takeOver(req: TakeOverRequest): Promise<CommandOutcome> {
    const agent = this.liveLeg(req.agentLeg);
    if (typeof agent !== "string") return Promise.resolve(agent);
    const other = this.liveLeg(req.otherLeg);
    if (typeof other !== "string") return Promise.resolve(other);
    const dial = this.dialString(req.supervisorEndpoint);
    if (!dial) return Promise.resolve(invalid(`supervisor endpoint ${req.supervisorEndpoint}`));
    return this.api(`uuid_transfer ${other} 'bridge:${dial}' inline`);
  }

  pickup(req: PickupRequest): Promise<CommandOutcome> {
    const target = this.liveLeg(req.targetLeg);
    if (typeof target !== "string") return Promise.resolve(target);
    const dial = this.dialString(req.pickerEndpoint);
    if (!dial) return Promise.resolve(invalid(`picker endpoint ${req.pickerEndpoint}`));
    // intercept answers the caller's A-leg and hangs its ringing B-leg up with PICKED_OFF (trace 09).
    const caller = this.translator.originatorOf(target);
    const app = caller ? `&intercept(${caller})` : `'&intercept(-bleg ${target})'`;
    const vars = originateVariables({ origination_caller_id_name: "Pickup" });
    return this.background(`originate ${vars}${dial} ${app}`);
  }

  pickupParked(req: ParkedPickupRequest): Promise<CommandOutcome> {
    if (!SAFE_EXTEN.test(req.lot) || !SAFE_EXTEN.test(req.space))
      return Promise.resolve(invalid(`parking slot ${req.lot}/${req.space}`));
    const dial = this.dialString(req.pickerEndpoint);
    if (!dial) return Promise.resolve(invalid(`picker endpoint ${req.pickerEndpoint}`));
    // valet_park on an empty slot parks the caller instead: only retrieve what is known to be parked.
    if (this.supervisor.connected && !this.translator.parkedIn(req.lot, req.space)) {
      return Promise.resolve({
        status: "refused",
        reason: "not-parked",
        message: `no call is parked in ${req.lot} ${req.space}`,
      });
    }
    // The retrieval is valet_park on the occupied slot (`valet_park default 5901`, trace 08).
    const vars = originateVariables({ origination_caller_id_name: `Parked ${req.space}` });
    return this.background(`originate ${vars}${dial} '&valet_park(${req.lot} ${req.space})'`);
  }

  sendToIvr(req: IvrRequest): Promise<CommandOutcome> {
    const leg = this.liveLeg(req.leg);
    if (typeof leg !== "string") return Promise.resolve(leg);
    if (!SAFE_EXTEN.test(req.exten) || !SAFE_EXTEN.test(req.context))
      return Promise.resolve(invalid(`destination ${req.exten}@${req.context}`));
    return this.api(`uuid_transfer ${leg} ${req.exten} XML ${req.context}`);
  }

  async startRecording(req: RecordingRequest): Promise<CommandOutcome> {
    const leg = this.liveLeg(req.leg);
    if (typeof leg !== "string") return leg;
    const base = path.posix.basename(req.file);
    const file = base.includes(req.callId) ? base : `${req.callId}-${base}`;
    if (!SAFE_EXTEN.test(file)) return invalid(`file name ${req.file}`);
    const full = path.posix.join(this.options.recordingDir ?? "/var/lib/freeswitch/recordings", file);
    const outcome = await this.api(`uuid_record ${leg} start ${full}`);
    if (outcome.status === "accepted") this.recordings.set(leg, full);
    return outcome;
  }

  /**
   * FreeSWITCH answers `uuid_record … stop` before its RECORD_STOP reaches the socket — sometimes in the same
   * read, sometimes not. Whoever asked for the stop acts on the answer (the operations layer forgets who
   * recorded on demand), so the answer is only passed on once the recording's end has been delivered (or
   * the leg hung up, or `stopWaitMs` passed): the recording is finalized with who asked for it.
   */
  async stopRecording(req: { leg: string }): Promise<CommandOutcome> {
    const leg = this.liveLeg(req.leg);
    if (typeof leg !== "string") return leg;
    // Registered before the command is sent: the event may be read in the same chunk as the answer.
    const stopped = this.translator.isRecording(leg) ? this.deliveredStop(leg) : undefined;
    const outcome = await this.api(`uuid_record ${leg} stop ${this.recordings.get(leg) ?? "all"}`);
    if (outcome.status === "accepted") {
      this.recordings.delete(leg);
      if (stopped) await stopped.wait;
    }
    stopped?.cancel();
    return outcome;
  }

  /** Resolves when a recording.stopped or leg.hangup for `leg` has been delivered, or after `stopWaitMs`. */
  private deliveredStop(leg: string): { wait: Promise<void>; cancel(): void } {
    let done: () => void = () => undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const wait = new Promise<void>((resolve) => {
      done = () => {
        clearTimeout(timer);
        const set = this.stopWaiters.get(leg);
        set?.delete(done);
        if (set?.size === 0) this.stopWaiters.delete(leg);
        resolve();
      };
    });
    let set = this.stopWaiters.get(leg);
    if (!set) {
      set = new Set();
      this.stopWaiters.set(leg, set);
    }
    set.add(done);
    timer = setTimeout(() => {
      this.log.debug({ pbx: this.pbx, leg }, "RECORD_STOP not seen after uuid_record stop");
      done();
    }, this.options.stopWaitMs ?? 2000);
    timer.unref?.();
    return { wait, cancel: done };
  }

  /**
   * Writes each extension's recording policy to FreeSWITCH's db (`callsight_recording/<ext>`, read by
   * dialplan/freeswitch/callsight.xml) and the consent beep interval (`callsight_config/recording_beep`,
   * per extension `callsight_recording_beep/<ext>`). Remembered and written again after every reconnect.
   */
  publishRecordingPolicy(policy: RecordingPolicyTable): Promise<CommandOutcome> {
    return this.policy.publish(policy, this.supervisor.connected);
  }

  /** Whether the driver knows a leg as live (for tests and the operations layer). */
  knowsLeg(leg: string): boolean {
    return this.callIds.has(leg);
  }

  private liveLeg(leg: string): string | CommandOutcome {
    if (!SAFE_ID.test(leg) || !this.callIds.has(leg)) {
      return { status: "refused", reason: "unknown-leg", message: `no live channel known for leg ${leg}` };
    }
    return leg;
  }

  private async api(command: string): Promise<CommandOutcome> {
    const conn = this.conn;
    if (!conn || conn.closed || !this.supervisor.connected)
      return { status: "failed", message: "ESL not connected" };
    try {
      const body = (await conn.api(command, { timeoutMs: this.options.commandTimeoutMs ?? 10_000 })).trim();
      if (body.startsWith("-ERR") || body.startsWith("-USAGE"))
        return { status: "failed", message: body.replace(/^-(ERR|USAGE)\s*/, "") || body };
      return body
        ? { status: "accepted", detail: body.replace(/^\+OK\s*/, "") || body }
        : { status: "accepted" };
    } catch (err) {
      return { status: "failed", message: (err as Error).message };
    }
  }

  /**
   * bgapi: accepted once FreeSWITCH takes the job; the job's result (the phone answered, or why not) is what
   * became of it `later`: `+OK` joined, `-ERR …` refused, no result within `jobTimeoutMs` timed out.
   */
  private async background(command: string): Promise<CommandOutcome> {
    const conn = this.conn;
    if (!conn || conn.closed || !this.supervisor.connected)
      return { status: "failed", message: "ESL not connected" };
    const job = conn.bgapi(command, {
      timeoutMs: this.options.commandTimeoutMs ?? 10_000,
      jobTimeoutMs: this.options.jobTimeoutMs ?? 90_000,
    });
    try {
      await job.accepted;
    } catch (err) {
      return { status: "failed", message: (err as Error).message };
    }
    const later = job.result.then(
      (body): LaterOutcome => {
        const result = body.trim();
        if (result.startsWith("+OK")) return { result: "joined" };
        this.counters.failedJobs++;
        this.log.warn({ pbx: this.pbx, job: job.jobUuid, command, result }, "ESL background job failed");
        return { result: "refused", message: result.replace(/^-(ERR|USAGE)\s*/, "") || result };
      },
      (err: Error): LaterOutcome => {
        this.log.debug({ pbx: this.pbx, job: job.jobUuid, err: err.message }, "ESL job result lost");
        return { result: "timed-out", message: err.message };
      },
    );
    return { status: "accepted", detail: `Job-UUID: ${job.jobUuid}`, later };
  }

  // ---- supervisor loop ------------------------------------------------------------------------

  /** One session from connect to close. Resolves true when it got as far as a delivered snapshot. */
  private async runSession(): Promise<boolean> {
    const o = this.options;
    // Events before `show channels` answers are already in its answer; events after it are buffered
    // until the snapshot is out, then replayed on top of it.
    let phase: "before" | "buffering" | "live" = "before";
    let buffered: EslEvent[] = [];
    let closedWith: Error | undefined;
    let onClosed: ((reason: Error) => void) | undefined;
    this.problems.newSession();
    const conn = await EslConnection.connect(
      {
        host: o.host,
        port: o.port,
        password: o.secret,
        events: ESL_EVENTS,
        interest: ESL_EVENT_INTEREST,
        ...(o.commandTimeoutMs !== undefined ? { commandTimeoutMs: o.commandTimeoutMs } : {}),
        ...(o.jobTimeoutMs !== undefined ? { jobTimeoutMs: o.jobTimeoutMs } : {}),
        ...(o.connectTimeoutMs !== undefined ? { connectTimeoutMs: o.connectTimeoutMs } : {}),
        ...(o.pingIntervalMs !== undefined ? { pingIntervalMs: o.pingIntervalMs } : {}),
        ...(o.pongTimeoutMs !== undefined ? { pongTimeoutMs: o.pongTimeoutMs } : {}),
        ...(o.maxHeaderBytes !== undefined ? { maxHeaderBytes: o.maxHeaderBytes } : {}),
        ...(o.maxBodyBytes !== undefined ? { maxBodyBytes: o.maxBodyBytes } : {}),
        logger: this.log,
      },
      {
        events: (events) => {
          if (phase === "live") this.ingest(events);
          else if (phase === "buffering") for (const e of events) buffered.push(e);
          else this.counters.preSnapshot += events.length;
        },
        skipped: () => this.translator.skipped(),
        malformed: (reason, sample) => this.problems.malformed(reason, sample),
        closed: (reason) => {
          closedWith = reason;
          onClosed?.(reason);
        },
      },
    );
    this.counters.sessions++;
    if (!this.supervisor.running) {
      await conn.close();
      return false;
    }
    this.conn = conn;
    const ended = new Promise<Error>((resolve) => {
      if (closedWith) resolve(closedWith);
      else onClosed = resolve;
    });
    try {
      this.translator.reset();
      const at = this.now();
      const replies = await readResync(conn, {
        pbx: this.pbx,
        timeoutMs: o.resyncTimeoutMs ?? 30_000,
        log: this.log,
        onChannelsReply: () => {
          phase = "buffering";
        },
      });
      const resync = buildEslSnapshot({
        pbx: this.pbx,
        at,
        ...replies,
        previousCallIds: this.callIds,
        ...(o.classifier ? { classifier: o.classifier } : {}),
        ...(o.externalProfiles ? { externalProfiles: o.externalProfiles } : {}),
      });
      for (const p of resync.problems) this.log.debug({ pbx: this.pbx, problem: p }, "ESL resync");
      const snapshot = resync.snapshot;
      // Phones registered and DNDs on before that are not any more (they went while we were away).
      this.delivered.complete(snapshot, replies, resync.registrations.keys());
      this.translator.seed(snapshot, {
        originators: resync.originators,
        monitoring: new Map(resync.monitoring.map((m) => [m.spy, m.target])),
        registrations: resync.registrations,
      });
      const out: PbxEvent[] = [snapshot, ...resync.monitoring];
      out.push({ pbx: this.pbx, at: this.now(), type: "pbx.connection", state: "up" });
      this.supervisor.markUp(this.now());
      phase = "live";
      // The dialplan enforces the recording policy from FreeSWITCH's db: write it again on every (re)connect.
      this.policy.connected();
      const pending = buffered;
      buffered = [];
      this.log.info(
        { pbx: this.pbx, legs: snapshot.legs.length, buffered: pending.length },
        "ESL connected and resynced",
      );
      this.deliver(out);
      this.ingest(pending);
    } catch (err) {
      this.conn = undefined;
      conn.destroy();
      throw err;
    }
    const reason = await ended;
    this.conn = undefined;
    this.supervisor.markDown(reason);
    if (this.supervisor.running) this.log.warn({ pbx: this.pbx, err: reason.message }, "ESL connection lost");
    this.deliver([{ pbx: this.pbx, at: this.now(), type: "pbx.connection", state: "down" }]);
    return true;
  }

  private ingest(events: EslEvent[]): void {
    if (events.length === 0) return;
    let out: PbxEvent[] = [];
    for (const e of events) {
      this.counters.frames++;
      const translated = this.translator.translate(e);
      for (const t of translated) {
        out.push(t);
        // A recording's end closes its batch: listeners see the call as it was while it was recorded
        // (the hangup that follows in the same read removes the recorded leg from it).
        if (t.type === "recording.stopped") {
          this.deliver(out);
          out = [];
        }
      }
      if (translated.length === 0) this.noteUnknown(e);
    }
    this.deliver(out);
  }

  private noteUnknown(e: EslEvent): void {
    const name =
      e["Event-Name"] === "CUSTOM" ? `CUSTOM::${String(e["Event-Subclass"])}` : String(e["Event-Name"]);
    this.problems.unknown(name, this.translator.counters.unknown[name], "ESL");
  }

  private deliver(events: PbxEvent[]): void {
    if (events.length === 0) return;
    for (const e of events) {
      if (e.type === "leg.created") this.callIds.set(e.leg, e.callId);
      else if (e.type === "leg.bridged") this.callIds.set(e.leg, e.callId);
      else if (e.type === "leg.hangup") {
        this.callIds.delete(e.leg);
        this.recordings.delete(e.leg);
      } else if (e.type === "pbx.snapshot") {
        this.callIds.clear();
        for (const l of e.legs) this.callIds.set(l.leg, l.callId);
        for (const leg of [...this.recordings.keys()])
          if (!this.callIds.has(leg)) this.recordings.delete(leg);
      } else this.delivered.observe(e);
    }
    this.counters.events += events.length;
    this.listeners.deliver(events);
    this.counters.listenerErrors = this.listeners.errors;
    // Only now, when every listener has seen it: a stopRecording waiting for this recording's end returns.
    if (this.stopWaiters.size > 0) {
      for (const e of events) {
        const leg =
          e.type === "recording.stopped" || e.type === "leg.hangup"
            ? e.leg
            : e.type === "pbx.snapshot" || e.type === "pbx.connection"
              ? "*"
              : undefined;
        if (leg === undefined) continue;
        const waiting =
          leg === "*" ? [...this.stopWaiters.values()] : [this.stopWaiters.get(leg) ?? new Set()];
        for (const set of waiting) for (const done of [...set]) done();
      }
    }
  }
}

function invalid(what: string): CommandOutcome {
  return { status: "refused", reason: "invalid-argument", message: `unusable ${what}` };
}

// The FreeSWITCH ESL driver: a supervisor loop around EslConnection (connect, auth, subscribe, full
// resync, live events), reconnecting with capped exponential backoff and full jitter (the AMI driver's
// backoffDelay). The call commands as ESL api/bgapi commands: commands.ts, sent through command-link.ts;
// the recording policy in FreeSWITCH's db: policy-db.ts. The `event json` subscription:
// event-interest.ts. The resync's questions and what it remembers between sessions: resync-read.ts.

import pino, { type Logger } from "pino";
import type { PbxEvent } from "../../domain/events.js";
import { ConnectionSupervisor } from "../connection-supervisor.js";
import type {
  CommandHandlers,
  CommandOutcome,
  DialRequest,
  DriverStatus,
  IvrRequest,
  MonitorRequest,
  ParkedPickupRequest,
  PbxCommand,
  PbxDriver,
  PickupRequest,
  QueueLoginRequest,
  QueuePauseRequest,
  RecordingPolicyTable,
  RecordingRequest,
  StatusRequest,
  TakeOverRequest,
} from "../driver.js";
import { EventListeners } from "../event-listeners.js";
import { InputProblems } from "../input-problems.js";
import { RecordingPolicySync } from "../recording-policy-sync.js";
import { callcenterSnapshot, readCallcenter } from "./callcenter-resync.js";
import { EslCommandLink } from "./command-link.js";
import { EslCommands } from "./commands.js";
import { EslAuthError, EslConnection } from "./connection.js";
import { ESL_EVENTS } from "./event-interest.js";
import type { EslEvent } from "./frame-parser.js";
import type { EslDriverCounters, FreeswitchEslDriverOptions } from "./options.js";
import { eslPolicyStorage } from "./policy-db.js";
import { buildEslSnapshot } from "./resync.js";
import { DeliveredPresence, readResync } from "./resync-read.js";
import { ESL_EVENT_INTEREST, EslTranslator } from "./translate.js";

export { originateVariables, splitCallerId } from "./commands.js";
export { ESL_EVENTS } from "./event-interest.js";
export type { EslDriverCounters, FreeswitchEslDriverOptions } from "./options.js";

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
  /** api and bgapi on the live connection, as CommandOutcomes. */
  private readonly link: EslCommandLink;
  /** The call commands as ESL api/bgapi commands. */
  private readonly commands: EslCommands;
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
    this.link = new EslCommandLink({
      connection: () => (this.supervisor.connected ? this.conn : undefined),
      commandTimeoutMs: options.commandTimeoutMs ?? 10_000,
      jobTimeoutMs: options.jobTimeoutMs ?? 90_000,
      counters: this.counters,
      log: this.log,
      pbx: this.pbx,
    });
    this.commands = new EslCommands({
      knowsLeg: (leg) => this.callIds.has(leg),
      connected: () => this.supervisor.connected,
      calls: this.translator,
      link: this.link,
      domain: options.domain,
      recordingDir: options.recordingDir ?? "/var/lib/freeswitch/recordings",
      stopWaitMs: options.stopWaitMs ?? 2000,
      log: this.log,
      pbx: this.pbx,
    });
    const storage = eslPolicyStorage({
      api: (command) => this.link.api(command),
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
    return this.commands.dialString(endpoint);
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

  /** Carries a command out as ESL api/bgapi commands (commands.ts): one handler per command. */
  execute(command: PbxCommand): Promise<CommandOutcome> {
    return this.commands.execute(command);
  }

  monitor(req: MonitorRequest): Promise<CommandOutcome> {
    return this.commands.monitor(req);
  }

  takeOver(req: TakeOverRequest): Promise<CommandOutcome> {
    return this.commands.takeOver(req);
  }

  setStatus(req: StatusRequest): Promise<CommandOutcome> {
    return this.commands.setStatus(req);
  }

  dial(req: DialRequest): Promise<CommandOutcome> {
    return this.commands.dial(req);
  }

  pickup(req: PickupRequest): Promise<CommandOutcome> {
    return this.commands.pickup(req);
  }

  pickupParked(req: ParkedPickupRequest): Promise<CommandOutcome> {
    return this.commands.pickupParked(req);
  }

  queuePause(req: QueuePauseRequest): Promise<CommandOutcome> {
    return this.commands.queuePause(req);
  }

  queueLogin(req: QueueLoginRequest): Promise<CommandOutcome> {
    return this.commands.queueLogin(req);
  }

  sendToIvr(req: IvrRequest): Promise<CommandOutcome> {
    return this.commands.sendToIvr(req);
  }

  startRecording(req: RecordingRequest): Promise<CommandOutcome> {
    return this.commands.startRecording(req);
  }

  stopRecording(req: { leg: string }): Promise<CommandOutcome> {
    return this.commands.stopRecording(req);
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
      const callcenter = await readCallcenter(conn, o.resyncTimeoutMs ?? 30_000);
      if (callcenter) out.push(callcenterSnapshot(this.pbx, at, callcenter));
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
      else if (e.type === "leg.hangup") this.callIds.delete(e.leg);
      else if (e.type === "pbx.snapshot") {
        this.callIds.clear();
        for (const l of e.legs) this.callIds.set(l.leg, l.callId);
      } else this.delivered.observe(e);
    }
    this.commands.legsDelivered(events);
    this.counters.events += events.length;
    this.listeners.deliver(events);
    this.counters.listenerErrors = this.listeners.errors;
    // Only now, when every listener has seen it: a stopRecording waiting for this recording's end returns.
    this.commands.eventsDelivered(events);
  }
}

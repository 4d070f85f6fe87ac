// The Asterisk ARI driver: a supervisor loop around one ARI session at a time (events WebSocket with
// `subscribeAll`, full resync from GET /channels, /bridges, /endpoints, /deviceStates in
// resync-requests.ts, live events), reconnecting with capped exponential backoff and full jitter and never
// giving up; the call commands as ARI requests (commands.ts); the Stasis housekeeping of every event
// (stasis.ts); and an optional AMI companion link (companion.ts) for what ARI lacks, merged with ARI's
// events by PBX time (link-merge.ts).
//
// ari-client is not used at run time (README "Why not ari-client"): every session is a fresh
// WebSocket with one handler for every message, there are no per-channel listeners, and every HTTP
// request carries this PBX's own credentials, a timeout and its status code.

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
import { AriCommands } from "./commands.js";
import { AmiCompanion } from "./companion.js";
import { AriConnection } from "./connection.js";
import { degradedFeatures } from "./features.js";
import { AriHttp } from "./http.js";
import { MergedLinks } from "./link-merge.js";
import type { AriDriverCounters, AsteriskAriDriverOptions } from "./options.js";
import { fetchResync, type ResyncContext } from "./resync-requests.js";
import { StasisChannels } from "./stasis.js";
import { parseAriMessage } from "./trace.js";
import { AriTranslator } from "./translate.js";
import type { AriEvent } from "./types.js";
import { ariTime } from "./types.js";

export type { AriCompanionOptions, AriDriverCounters, AsteriskAriDriverOptions } from "./options.js";

export class AsteriskAriDriver implements PbxDriver, CommandHandlers {
  readonly pbx: string;
  readonly app: string;
  private readonly http: AriHttp;
  private readonly translator: AriTranslator;
  private readonly companion?: AmiCompanion;
  private readonly listeners: EventListeners;
  private readonly supervisor: ConnectionSupervisor;
  private readonly log: Logger;
  private readonly now: () => number;
  private connection?: AriConnection;
  private sessionAbort?: AbortController;
  /** Channels in this app's Stasis, channels gone lately, and the waits for the driver's own channels. */
  private readonly stasis: StasisChannels;
  /** The call commands as ARI requests. */
  private readonly commands: AriCommands;
  /** What the resync of every new session asks of ARI (resync-requests.ts). */
  private readonly resync: ResyncContext;
  /** ARI's events and the companion's facts, merged by PBX time (link-merge.ts); the legs delivered. */
  private readonly links: MergedLinks;
  private readonly problems: InputProblems;
  readonly counters: AriDriverCounters = {
    sessions: 0,
    connectAttempts: 0,
    messages: 0,
    events: 0,
    malformed: 0,
    unknownEvents: {},
    listenerErrors: 0,
    companionFacts: 0,
  };

  constructor(private readonly options: AsteriskAriDriverOptions) {
    this.pbx = options.pbx;
    this.app = options.app ?? "callsight";
    this.now = options.now ?? Date.now;
    this.log = options.logger ?? pino({ name: "callsight.ari", level: "info" });
    this.listeners = new EventListeners(this.log);
    this.problems = new InputProblems(this.log, this.pbx, "ARI message", this.counters);
    this.supervisor = ConnectionSupervisor.forDriver({
      pbx: this.pbx,
      link: "ARI",
      log: this.log,
      counters: this.counters,
      backoff: this.options.backoff,
      runSession: () => this.runSession(),
    });
    this.http = new AriHttp({
      baseUrl: `${options.tls ? "https" : "http"}://${options.host}:${options.port}`,
      username: options.username,
      secret: options.secret,
      timeoutMs: options.requestTimeoutMs ?? 10_000,
    });
    const companion = options.companion;
    this.translator = new AriTranslator(
      options.pbx,
      options.classifier,
      companion
        ? { parkingFromBridges: false, mixMonitorFromVarset: false, queuePausesFromDevices: false }
        : {},
      this.now,
    );
    if (companion) {
      this.companion = new AmiCompanion({
        pbx: options.pbx,
        host: companion.host ?? options.host,
        port: companion.port,
        username: companion.username,
        secret: companion.secret,
        ...(companion.queueMember ? { queueMember: companion.queueMember } : {}),
        ...(options.classifier ? { classifier: options.classifier } : {}),
        ...(options.backoff ? { backoff: options.backoff } : {}),
        ...(options.connectTimeoutMs !== undefined ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
        logger: this.log.child({ link: "ami-companion" }),
        now: this.now,
      });
      this.companion.onFacts((facts, pbxTime) =>
        this.links.fromCompanion(facts, pbxTime, this.supervisor.connected),
      );
    }
    const linked = this.companion;
    this.stasis = new StasisChannels({
      app: this.app,
      channelDestroyed: (id) => {
        linked?.legGone(id);
        this.commands.channelDestroyed(id);
      },
    });
    this.links = new MergedLinks({
      holdMs: options.companionHoldMs ?? 2000,
      now: this.now,
      deliver: (events) => this.deliver(events),
      gone: (leg) => this.stasis.gone(leg),
      recordingClosed: (leg) => linked?.legGone(leg),
      companionDelivered: (count) => {
        this.counters.companionFacts += count;
      },
      ...(linked ? { companion: linked } : {}),
      log: this.log,
      pbx: this.pbx,
    });
    this.resync = {
      http: this.http,
      pbx: this.pbx,
      ...(options.classifier ? { classifier: options.classifier } : {}),
      ...(linked ? { companion: linked } : {}),
      ...(options.requestTimeoutMs !== undefined ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
      log: this.log,
    };
    this.commands = new AriCommands({
      http: this.http,
      app: this.app,
      sessionSignal: () => this.sessionSignal(),
      legs: this.links.legs,
      stasis: this.stasis,
      ...(linked ? { companion: linked } : {}),
      dialplanContext: options.dialplanContext ?? "callsight-ari",
      originateTimeoutSec: options.originateTimeoutSec ?? 30,
      stasisWaitMs: options.stasisWaitMs ?? 5000,
    });
  }

  onEvents(listener: (events: PbxEvent[]) => void): void {
    this.listeners.add(listener);
  }

  status(): DriverStatus {
    return { ...this.supervisor.status(this.pbx, "asterisk-ari"), malformedFrames: this.counters.malformed };
  }

  /** The AMI companion's link status, when one is configured. */
  companionStatus(): DriverStatus | undefined {
    return this.companion?.status();
  }

  /** What this PBX cannot do or see (ARI without an AMI companion); empty with a companion. */
  degradedFeatures(): string[] {
    return degradedFeatures(this.companion !== undefined);
  }

  endpointForExtension(extension: string): string {
    return `${this.options.endpointTech ?? "PJSIP"}/${extension}`;
  }

  start(): void {
    if (this.supervisor.running) return;
    const degraded = this.degradedFeatures();
    if (degraded.length > 0) {
      this.log.warn(
        { pbx: this.pbx, degraded },
        `ARI without an AMI companion: ${degraded.length} features degraded (configure pbx.companion): ${degraded
          .map((d) => d.split(":")[0])
          .join("; ")}`,
      );
    }
    this.companion?.start();
    this.supervisor.start();
  }

  async stop(): Promise<void> {
    await this.supervisor.stop(async () => {
      const connection = this.connection;
      if (connection) await connection.close();
    });
    await this.companion?.stop();
    this.links.clear();
  }

  // ---- commands -------------------------------------------------------------------------------

  /** Carries a command out as ARI requests (commands.ts): the handler named after it. */
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

  /** AstDB through the AMI companion's DBPut; without one, `failed` saying why (commands.ts). */
  publishRecordingPolicy(policy: RecordingPolicyTable): Promise<CommandOutcome> {
    return this.commands.publishRecordingPolicy(policy);
  }

  /** The channel name the driver knows for a leg (for logs and tests). */
  channelName(leg: string): string | undefined {
    return this.links.legs.channel(leg);
  }

  private sessionSignal(): AbortSignal | undefined {
    return this.supervisor.connected && this.sessionAbort && !this.sessionAbort.signal.aborted
      ? this.sessionAbort.signal
      : undefined;
  }

  // ---- the one event handler --------------------------------------------------------------------

  private onMessage(text: string, buffer: AriEvent[] | undefined): void {
    this.counters.messages++;
    const parsed = parseAriMessage(text);
    if (!parsed.event) {
      this.problems.malformed(parsed.problem, text);
      return;
    }
    if (buffer) buffer.push(parsed.event);
    else this.ingest(parsed.event);
  }

  private ingest(e: AriEvent): void {
    try {
      this.stasis.event(e);
    } catch (err) {
      this.log.error({ err, type: e.type }, "ARI bookkeeping failed");
    }
    let events: PbxEvent[];
    try {
      events = this.translator.translate(e);
    } catch (err) {
      this.counters.malformed++;
      this.log.warn({ err, type: e.type }, "ARI event could not be translated; skipped");
      return;
    }
    if (events.length === 0) this.problems.unknown(e.type, this.translator.counters.unknown[e.type], "ARI");
    // Even a message with nothing to say tells how far ARI has got in PBX time.
    this.links.fromAri(events, ariTime(e.timestamp));
  }

  /** To the listeners (MergedLinks has noted the legs). */
  private deliver(events: PbxEvent[]): void {
    this.counters.events += events.length;
    this.listeners.deliver(events);
    this.counters.listenerErrors = this.listeners.errors;
  }

  // ---- supervisor loop ------------------------------------------------------------------------

  /** One session from connect to close. Resolves true when it got as far as a delivered snapshot. */
  private async runSession(): Promise<boolean> {
    const o = this.options;
    let buffer: AriEvent[] | undefined = [];
    let closedWith: Error | undefined;
    let onClosed: ((reason: Error) => void) | undefined;
    this.problems.newSession();
    const abort = new AbortController();
    const connection = await AriConnection.open(
      {
        baseUrl: this.http.baseUrl,
        username: o.username,
        secret: o.secret,
        app: this.app,
        subscribeAll: true,
        ...(o.connectTimeoutMs !== undefined ? { connectTimeoutMs: o.connectTimeoutMs } : {}),
        ...(o.pingIntervalMs !== undefined ? { pingIntervalMs: o.pingIntervalMs } : {}),
        ...(o.pongTimeoutMs !== undefined ? { pongTimeoutMs: o.pongTimeoutMs } : {}),
        logger: this.log,
      },
      {
        message: (text) => this.onMessage(text, buffer),
        closed: (reason) => {
          closedWith = reason;
          abort.abort(new Error("ARI connection lost"));
          onClosed?.(reason);
        },
      },
    );
    this.counters.sessions++;
    if (!this.supervisor.running) {
      await connection.close();
      return false;
    }
    this.connection = connection;
    this.sessionAbort = abort;
    const ended = new Promise<Error>((resolve) => {
      if (closedWith) resolve(closedWith);
      else onClosed = resolve;
    });
    try {
      const at = this.now();
      this.links.resyncStarted();
      const resync = await fetchResync(this.resync, at, abort.signal);
      const { snapshot, channels, bridges } = resync;
      this.translator.reset();
      this.translator.seed(snapshot.legs, resync.plumbing, bridges, snapshot.parked, at);
      // Channels in this app and Callsight's own sessions outlive a lost WebSocket on the PBX side.
      this.stasis.resynced(channels);
      this.commands.resynced(new Set(channels.map((c) => c.id)));
      this.links.clear();
      const out: PbxEvent[] = [snapshot, ...resync.followUps];
      out.push({ pbx: this.pbx, at: this.now(), type: "pbx.connection", state: "up" });
      this.supervisor.markUp(this.now());
      const pending = buffer;
      buffer = undefined;
      this.log.info(
        { pbx: this.pbx, legs: snapshot.legs.length, bridges: bridges.length, buffered: pending.length },
        "ARI connected and resynced",
      );
      this.links.deliverNow(out);
      for (const e of pending) this.ingest(e);
      this.links.resynced();
    } catch (err) {
      this.links.resyncFailed();
      this.connection = undefined;
      this.sessionAbort = undefined;
      abort.abort(new Error("ARI resync failed"));
      connection.destroy();
      throw new Error(`ARI resync failed: ${(err as Error).message}`);
    }
    const reason = await ended;
    this.connection = undefined;
    this.sessionAbort = undefined;
    this.supervisor.markDown(reason);
    this.stasis.disconnected();
    if (this.supervisor.running) this.log.warn({ pbx: this.pbx, err: reason.message }, "ARI connection lost");
    // Whatever was translated before the close goes out before the `down`.
    this.links.drain();
    this.links.deliverNow([{ pbx: this.pbx, at: this.now(), type: "pbx.connection", state: "down" }]);
    return true;
  }
}

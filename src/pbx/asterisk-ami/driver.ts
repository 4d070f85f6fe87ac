// The Asterisk AMI driver: a supervisor loop around AmiSession (connect, login, filters, full
// resync, live events), reconnecting with capped exponential backoff and full jitter. The call commands
// (ChanSpy, PickupChan, ParkedCall, Redirect, MixMonitor) as AMI actions: commands.ts; the Filter lists:
// filters.ts; the resync's list actions: resync-read.ts; the recording policy in AstDB: policy-astdb.ts.

import pino, { type Logger } from "pino";
import type { PbxEvent, QueueSnapshot } from "../../domain/events.js";
import { FREEPBX_QUEUE_MEMBER, type QueueMemberTemplate } from "../asterisk/queues.js";
import { type BackoffOptions, ConnectionSupervisor } from "../connection-supervisor.js";
import type {
  CommandOutcome,
  DriverStatus,
  IvrRequest,
  PbxCommand,
  PbxDriver,
  QueueLoginRequest,
  QueuePauseRequest,
  RecordingPolicyTable,
} from "../driver.js";
import type { EndpointClassifier } from "../endpoints.js";
import { EventListeners } from "../event-listeners.js";
import { InputProblems } from "../input-problems.js";
import { RecordingPolicySync } from "../recording-policy-sync.js";
import { AmiCommands } from "./commands.js";
import { type AmiFilterSetting, filterList } from "./filters.js";
import type { AmiFrame } from "./frame-parser.js";
import { astdbPolicyStorage } from "./policy-astdb.js";
import { buildSnapshot, monitoringFromChannels, queuesFromStatus, recordingsFromStatus } from "./resync.js";
import { readResync } from "./resync-read.js";
import { AmiSession } from "./session.js";
import { AMI_FRAME_INTEREST, AmiTranslator } from "./translate.js";

export { type BackoffOptions, backoffDelay } from "../connection-supervisor.js";
export { chanSpyOptions } from "./commands.js";
export { AMI_BLACKLIST_FILTERS, AMI_WHITELIST_FILTERS } from "./filters.js";

export interface AsteriskAmiDriverOptions {
  pbx: string;
  host: string;
  port: number;
  username: string;
  secret: string;
  classifier?: EndpointClassifier;
  /** `whitelist` (default), `blacklist`, `none` or an explicit list of Filter expressions. */
  filters?: AmiFilterSetting;
  backoff?: BackoffOptions;
  actionTimeoutMs?: number;
  /** Each resync list action. Default 30 s. */
  resyncTimeoutMs?: number;
  connectTimeoutMs?: number;
  pingIntervalMs?: number;
  pongTimeoutMs?: number;
  maxFrameBytes?: number;
  /** Channel technology of users' phones, for endpointForExtension. Default `PJSIP`. */
  endpointTech?: string;
  /** The member a queue login adds (default FreePBX's `Local/<ext>@from-queue/n`). */
  queueMember?: QueueMemberTemplate;
  logger?: Logger;
  now?: () => number;
}

export interface AmiDriverCounters {
  sessions: number;
  connectAttempts: number;
  frames: number;
  events: number;
  malformed: number;
  unknownEvents: Record<string, number>;
  listenerErrors: number;
  /** Live events without a `Timestamp` (manager.conf `timestampevents = no`): their time is Callsight's. */
  untimedFrames: number;
}

export class AsteriskAmiDriver implements PbxDriver {
  readonly pbx: string;
  private readonly translator: AmiTranslator;
  private readonly listeners: EventListeners;
  private readonly supervisor: ConnectionSupervisor;
  private readonly log: Logger;
  private readonly now: () => number;
  private session?: AmiSession;
  /** Channel names of the party legs seen in this session: commands need the name, callers give the id. */
  private readonly channelOf = new Map<string, string>();
  /** The call commands as AMI actions. */
  readonly commands: AmiCommands;
  /**
   * Recording files seen stopping on legs still up: MixMonitor leaves MIXMONITOR_FILENAME set after a
   * stop, so the resync's `Status` would report them running (kept across sessions, until the leg ends).
   */
  private readonly stoppedFiles = new Map<string, Set<string>>();
  private readonly policy: RecordingPolicySync;
  private readonly problems: InputProblems;
  readonly counters: AmiDriverCounters = {
    sessions: 0,
    connectAttempts: 0,
    frames: 0,
    events: 0,
    malformed: 0,
    // Keyed by event names from the wire: no prototype.
    unknownEvents: Object.create(null),
    listenerErrors: 0,
    untimedFrames: 0,
  };

  constructor(private readonly options: AsteriskAmiDriverOptions) {
    this.pbx = options.pbx;
    this.now = options.now ?? Date.now;
    this.translator = new AmiTranslator(options.pbx, options.classifier, this.now);
    this.log = options.logger ?? pino({ name: "callsight.ami", level: "info" });
    const storage = astdbPolicyStorage({
      action: (action, headers) => this.command(action, headers),
      trunkNames: () => this.options.classifier?.trunkNames() ?? [],
    });
    this.policy = new RecordingPolicySync(storage, { pbx: this.pbx, logger: this.log });
    this.commands = new AmiCommands({
      channelOf: this.channelOf,
      action: (action, headers) => this.command(action, headers),
      session: () => (this.supervisor.connected ? this.session : undefined),
      actionTimeoutMs: () => this.options.actionTimeoutMs ?? 10_000,
      queueMember: options.queueMember ?? FREEPBX_QUEUE_MEMBER,
    });
    this.listeners = new EventListeners(this.log);
    this.problems = new InputProblems(this.log, this.pbx, "AMI frame", this.counters);
    this.supervisor = ConnectionSupervisor.forDriver({
      pbx: this.pbx,
      link: "AMI",
      log: this.log,
      counters: this.counters,
      backoff: this.options.backoff,
      runSession: () => this.runSession(),
    });
  }

  onEvents(listener: (events: PbxEvent[]) => void): void {
    this.listeners.add(listener);
  }

  status(): DriverStatus {
    return { ...this.supervisor.status(this.pbx, "asterisk-ami"), malformedFrames: this.counters.malformed };
  }

  endpointForExtension(extension: string): string {
    return `${this.options.endpointTech ?? "PJSIP"}/${extension}`;
  }

  start(): void {
    if (this.supervisor.running) return;
    this.supervisor.start();
  }

  async stop(): Promise<void> {
    await this.supervisor.stop(async () => {
      const session = this.session;
      if (session) await session.close();
    });
  }

  // ---- commands -------------------------------------------------------------------------------

  /** Carries a command out as AMI actions (commands.ts): one case per command. */
  execute(command: PbxCommand): Promise<CommandOutcome> {
    return this.commands.execute(command);
  }

  /** AMI QueuePause (the ARI driver's companion uses it). */
  queuePause(req: QueuePauseRequest): Promise<CommandOutcome> {
    return this.commands.queuePause(req);
  }

  /** AMI QueueAdd / QueueRemove (the ARI driver's companion uses it). */
  queueLogin(req: QueueLoginRequest): Promise<CommandOutcome> {
    return this.commands.queueLogin(req);
  }

  /** AMI Redirect of a channel by leg (the ARI driver's companion uses it). */
  sendToIvr(req: IvrRequest): Promise<CommandOutcome> {
    return this.commands.sendToIvr(req);
  }

  /** MixMonitor on a channel by name (the ARI driver's companion knows the name, not the session's legs). */
  mixMonitor(channel: string, file: string): Promise<CommandOutcome> {
    return this.commands.mixMonitor(channel, file);
  }

  stopRecording(req: { leg: string }): Promise<CommandOutcome> {
    return this.commands.stopRecording(req);
  }

  /**
   * Writes each extension's recording policy to AstDB (`callsight/recording/<ext>`, read by
   * dialplan/asterisk/callsight-recording.conf) and the MixMonitor consent options
   * (`callsight/config/recording_options`). Remembered and written again after every reconnect.
   */
  publishRecordingPolicy(policy: RecordingPolicyTable): Promise<CommandOutcome> {
    return this.policy.publish(policy, this.supervisor.connected);
  }

  /** The channel name the driver knows for a leg (for logs and tests). */
  channelName(leg: string): string | undefined {
    return this.channelOf.get(leg);
  }

  /**
   * A `Ping` on the live session; resolves with its answer, whose `Timestamp` is the PBX's time when it
   * answered (every event it sent before arrives before the answer). Rejects when not connected.
   */
  async ping(timeoutMs?: number): Promise<AmiFrame> {
    const session = this.session;
    if (!session || session.closed || !this.supervisor.connected) throw new Error("AMI not connected");
    return session.action("Ping", {}, { timeoutMs: timeoutMs ?? this.options.actionTimeoutMs ?? 10_000 });
  }

  /**
   * The queues as the PBX lists them now (`QueueStatus`), for a link that needs them outside this driver's
   * own resync (ARI's, through the companion). Undefined while the link is down or when the list fails.
   */
  async queueSnapshot(at: number): Promise<QueueSnapshot | undefined> {
    const session = this.session;
    if (!session || session.closed || !this.supervisor.connected) return undefined;
    try {
      const list = await session.list(
        "QueueStatus",
        {},
        { timeoutMs: this.options.actionTimeoutMs ?? 10_000 },
      );
      return queuesFromStatus(this.pbx, at, list.items);
    } catch (err) {
      this.log.warn({ pbx: this.pbx, err: (err as Error).message }, "AMI QueueStatus failed");
      return undefined;
    }
  }

  private async command(
    action: string,
    headers: Record<string, string | undefined>,
  ): Promise<CommandOutcome> {
    const session = this.session;
    if (!session || session.closed || !this.supervisor.connected)
      return { status: "failed", message: "AMI not connected" };
    try {
      const response = await session.action(action, headers, {
        timeoutMs: this.options.actionTimeoutMs ?? 10_000,
      });
      const detail = response.Message;
      return detail ? { status: "accepted", detail } : { status: "accepted" };
    } catch (err) {
      return { status: "failed", message: (err as Error).message };
    }
  }

  // ---- supervisor loop ------------------------------------------------------------------------

  /** One session from connect to close. Resolves true when it got as far as a delivered snapshot. */
  private async runSession(): Promise<boolean> {
    const o = this.options;
    let buffering = true;
    let buffered: AmiFrame[] = [];
    let closedWith: Error | undefined;
    let onClosed: ((reason: Error) => void) | undefined;
    this.problems.newSession();
    const session = await AmiSession.connect(
      {
        host: o.host,
        port: o.port,
        username: o.username,
        secret: o.secret,
        filters: filterList(o.filters),
        interest: AMI_FRAME_INTEREST,
        ...(o.actionTimeoutMs !== undefined ? { actionTimeoutMs: o.actionTimeoutMs } : {}),
        ...(o.connectTimeoutMs !== undefined ? { connectTimeoutMs: o.connectTimeoutMs } : {}),
        ...(o.pingIntervalMs !== undefined ? { pingIntervalMs: o.pingIntervalMs } : {}),
        ...(o.pongTimeoutMs !== undefined ? { pongTimeoutMs: o.pongTimeoutMs } : {}),
        ...(o.maxFrameBytes !== undefined ? { maxFrameBytes: o.maxFrameBytes } : {}),
        logger: this.log,
      },
      {
        skipped: () => this.translator.skipped(),
        events: (frames) => {
          if (buffering) {
            for (const f of frames) buffered.push(f);
          } else {
            this.ingest(frames);
          }
        },
        malformed: (reason, sample) => this.problems.malformed(reason, sample),
        closed: (reason) => {
          closedWith = reason;
          onClosed?.(reason);
        },
      },
    );
    this.counters.sessions++;
    if (!this.supervisor.running) {
      await session.close();
      return false;
    }
    this.session = session;
    for (const f of session.filterErrors) {
      this.log.warn(
        { pbx: this.pbx, filter: f.filter, err: f.message },
        "AMI Filter refused; events unfiltered",
      );
    }
    const ended = new Promise<Error>((resolve) => {
      if (closedWith) resolve(closedWith);
      else onClosed = resolve;
    });
    try {
      this.translator.reset();
      this.channelOf.clear();
      const at = this.now();
      const { channels, devices, presence, parked, status, queues } = await readResync(session, {
        pbx: this.pbx,
        timeoutMs: o.resyncTimeoutMs ?? 30_000,
        log: this.log,
      });
      const snapshot = buildSnapshot({
        pbx: this.pbx,
        at,
        channels: channels.items,
        devices: devices?.items ?? [],
        presence: presence?.items ?? [],
        parked: parked?.items ?? [],
        ...(o.classifier ? { classifier: o.classifier } : {}),
      });
      // Without an answer, nothing is concluded about recordings (undefined).
      const recordings = recordingsFromStatus(
        status?.items,
        snapshot.legs,
        (leg, file) => this.stoppedFiles.get(leg)?.has(file) === true,
      );
      if (recordings) snapshot.recordings = recordings;
      const out: PbxEvent[] = [snapshot];
      for (const e of monitoringFromChannels(this.pbx, at, channels.items, snapshot.legs)) out.push(e);
      const queueSnapshot = queuesFromStatus(this.pbx, at, queues?.items);
      if (queueSnapshot) out.push(queueSnapshot);
      out.push({ pbx: this.pbx, at: this.now(), type: "pbx.connection", state: "up" });
      this.supervisor.markUp(this.now());
      buffering = false;
      // The dialplan enforces the recording policy from AstDB: write it again on every (re)connect.
      this.policy.connected();
      const pending = buffered;
      buffered = [];
      this.log.info(
        { pbx: this.pbx, legs: snapshot.legs.length, buffered: pending.length, banner: session.banner },
        "AMI connected and resynced",
      );
      this.deliver(out);
      this.ingest(pending);
    } catch (err) {
      this.session = undefined;
      session.destroy();
      throw err;
    }
    const reason = await ended;
    this.session = undefined;
    this.supervisor.markDown(reason);
    if (this.supervisor.running) this.log.warn({ pbx: this.pbx, err: reason.message }, "AMI connection lost");
    this.deliver([{ pbx: this.pbx, at: this.now(), type: "pbx.connection", state: "down" }]);
    return true;
  }

  private ingest(frames: AmiFrame[]): void {
    if (frames.length === 0) return;
    const out: PbxEvent[] = [];
    for (const f of frames) {
      this.counters.frames++;
      if (f.Event === "OriginateResponse") this.commands.originateResponse(f);
      if (f.Timestamp === undefined && f.Event !== undefined) this.counters.untimedFrames++;
      const events = this.translator.translate(f);
      for (const e of events) out.push(e);
      if (events.length === 0 && f.Event !== undefined) {
        this.problems.unknown(f.Event, this.translator.counters.unknown[f.Event], "AMI");
      }
    }
    this.deliver(out);
  }

  private deliver(events: PbxEvent[]): void {
    if (events.length === 0) return;
    for (const e of events) {
      if (e.type === "leg.created") this.channelOf.set(e.leg, e.channel);
      else if (e.type === "leg.hangup") {
        this.channelOf.delete(e.leg);
        this.stoppedFiles.delete(e.leg);
      } else if (e.type === "recording.stopped" && e.file) {
        const files = this.stoppedFiles.get(e.leg) ?? new Set<string>();
        this.stoppedFiles.set(e.leg, files.add(e.file));
      } else if (e.type === "recording.started" && e.file) this.stoppedFiles.get(e.leg)?.delete(e.file);
      else if (e.type === "pbx.snapshot") {
        this.channelOf.clear();
        for (const l of e.legs) this.channelOf.set(l.leg, l.channel);
        for (const leg of this.stoppedFiles.keys())
          if (!this.channelOf.has(leg)) this.stoppedFiles.delete(leg);
      }
    }
    this.counters.events += events.length;
    this.listeners.deliver(events);
    this.counters.listenerErrors = this.listeners.errors;
  }
}

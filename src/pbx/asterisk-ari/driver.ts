// The Asterisk ARI driver: a supervisor loop around one ARI session at a time (events WebSocket with
// `subscribeAll`, full resync from GET /channels, /bridges, /endpoints, /deviceStates, live events),
// reconnecting with capped exponential backoff and full jitter and never giving up; the call commands
// as ARI requests (snoop + mixing bridge for listen/whisper/barge, originate into the dialplan for
// pickups, snoop + record); and an optional AMI companion link (companion.ts) for what ARI lacks.
//
// ari-client is not used at run time (README "Why not ari-client"): every session is a fresh
// WebSocket with one handler for every message, there are no per-channel listeners, and every HTTP
// request carries this PBX's own credentials, a timeout and its status code.

import { randomBytes } from "node:crypto";
import pino, { type Logger } from "pino";
import type { PbxConnectionConfig } from "../../config/load.js";
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
import { EndpointClassifier } from "../endpoints.js";
import { EventListeners } from "../event-listeners.js";
import { InputProblems } from "../input-problems.js";
import { AmiCompanion } from "./companion.js";
import { AriConnection } from "./connection.js";
import { degradedFeatures } from "./features.js";
import { AriHttp, AriHttpError } from "./http.js";
import { MergedLinks } from "./link-merge.js";
import { buildAriSnapshot, deviceStatesToQuery } from "./resync.js";
import { parseAriMessage } from "./trace.js";
import { AriTranslator, monitorBridgeName } from "./translate.js";
import type { AriBridge, AriChannel, AriDeviceState, AriEndpoint, AriEvent } from "./types.js";
import { ariTime } from "./types.js";

export interface AriCompanionOptions {
  /** Default: the ARI host. */
  host?: string;
  port: number;
  username: string;
  secret: string;
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

interface Monitor {
  target: string;
  snoopId: string;
  bridgeId: string;
  supervisor: string;
  snoopGone: boolean;
}

interface Waiter {
  resolve(result: "started" | "destroyed" | "timeout" | "disconnected"): void;
}

const RECENT_KEPT = 512;

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
  /** Channels in this app's Stasis (StasisStart .. StasisEnd). */
  private readonly stasis = new Set<string>();
  private readonly recentlyDestroyed = new Set<string>();
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly monitors = new Map<string, Monitor>();
  private readonly recordings = new Map<string, { name: string; snoopId: string }>();
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
      companion ? { parkingFromBridges: false, mixMonitorFromVarset: false } : {},
      this.now,
    );
    if (companion) {
      this.companion = new AmiCompanion({
        pbx: options.pbx,
        host: companion.host ?? options.host,
        port: companion.port,
        username: companion.username,
        secret: companion.secret,
        ...(options.classifier ? { classifier: options.classifier } : {}),
        ...(options.backoff ? { backoff: options.backoff } : {}),
        ...(options.connectTimeoutMs !== undefined ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
        logger: this.log.child({ link: "ami-companion" }),
        now: this.now,
      });
      this.companion.onFacts((facts, pbxTime) => {
        // While ARI is down the companion's state is folded into the next ARI snapshot instead.
        if (this.supervisor.connected) this.links.fromCompanion(facts, pbxTime);
      });
    }
    const linked = this.companion;
    this.links = new MergedLinks({
      holdMs: options.companionHoldMs ?? 2000,
      now: this.now,
      deliver: (events) => this.deliver(events),
      gone: (leg) => this.recentlyDestroyed.has(leg),
      recordingClosed: (leg) => linked?.legGone(leg),
      companionDelivered: (count) => {
        this.counters.companionFacts += count;
      },
      ...(linked ? { companion: linked } : {}),
      log: this.log,
      pbx: this.pbx,
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

  /**
   * Listen / whisper / barge: a snoop channel on the monitored leg (spy=both; whisper none / out / both)
   * and the supervisor's phone, originated into this app, in one mixing bridge named
   * `callsight-monitor:<mode>:<leg>`. Barge is snoop both ways too, not the supervisor in the call's
   * bridge: the supervisor stays a monitoring session (never a party of the call, visible only to
   * whom rule 4 allows) and leaving cannot disturb the call's own bridge or its recordings.
   * Accepted once the supervisor's phone is called (202: Asterisk took it); `later` says whether they
   * answered and joined, or why not — the HTTP reply never waits for a phone to be answered.
   */
  async monitor(req: MonitorRequest): Promise<CommandOutcome> {
    const signal = this.sessionSignal();
    if (!signal) return notConnected();
    if (!this.links.legs.has(req.targetLeg)) return unknownLeg(req.targetLeg);
    const tag = randomBytes(6).toString("hex");
    const m: Monitor = {
      target: req.targetLeg,
      snoopId: `callsight-snoop-${tag}`,
      bridgeId: `callsight-monitor-${tag}`,
      supervisor: `callsight-sup-${tag}`,
      snoopGone: false,
    };
    const whisper = req.mode === "barge" ? "both" : req.mode === "whisper" ? "out" : "none";
    try {
      await this.http.post(`/channels/${enc(req.targetLeg)}/snoop`, {
        query: { spy: "both", whisper, app: this.app, appArgs: "callsight,snoop", snoopId: m.snoopId },
        signal,
      });
    } catch (err) {
      return failure(err, {
        404: "the call has ended: there is nothing to listen to",
        400: "Asterisk refused the snoop",
      });
    }
    this.monitors.set(m.supervisor, m);
    const snoop = await this.waitChannel(m.snoopId, this.options.stasisWaitMs ?? 5000);
    if (snoop !== "started") {
      await this.endMonitor(m);
      return snoop === "destroyed"
        ? { status: "failed", message: "the call ended before the supervisor could join" }
        : { status: "failed", message: `the snoop channel did not reach the Stasis app (${snoop})` };
    }
    try {
      await this.http.post("/bridges", {
        query: { type: "mixing", bridgeId: m.bridgeId, name: monitorBridgeName(req.mode, req.targetLeg) },
        signal,
      });
      await this.http.post(`/bridges/${enc(m.bridgeId)}/addChannel`, {
        query: { channel: m.snoopId },
        signal,
      });
      await this.http.post("/channels", {
        query: {
          endpoint: req.supervisorEndpoint,
          app: this.app,
          appArgs: `callsight,${req.mode}`,
          channelId: m.supervisor,
          timeout: this.originateTimeoutSec(),
          ...(req.callerId ? { callerId: req.callerId } : {}),
        },
        signal,
      });
    } catch (err) {
      await this.endMonitor(m);
      if (m.snoopGone)
        return { status: "failed", message: "the call ended before the supervisor could join" };
      return failure(err, {
        400: `${req.supervisorEndpoint} could not be called`,
        404: "the call ended before the supervisor could join",
        422: "the snoop channel left the Stasis app",
      });
    }
    // Asterisk took it: the supervisor's phone rings. Whether they answer and join is what becomes of it.
    return {
      status: "accepted",
      leg: m.supervisor,
      detail: `${req.mode} on ${req.targetLeg}: calling ${req.supervisorEndpoint}`,
      later: this.joinMonitor(m, req, signal),
    };
  }

  /** The rest of a listen / whisper / barge once the supervisor's phone rings: answered, then bridged. */
  private async joinMonitor(m: Monitor, req: MonitorRequest, signal: AbortSignal): Promise<LaterOutcome> {
    const answered = await this.waitChannel(m.supervisor, this.originateTimeoutSec() * 1000 + 5000);
    if (answered !== "started") {
      await this.endMonitor(m);
      if (m.snoopGone) return { result: "refused", message: "the call ended before the supervisor answered" };
      return answered === "timeout"
        ? { result: "timed-out", message: `${req.supervisorEndpoint} did not answer` }
        : {
            result: "refused",
            message:
              answered === "destroyed"
                ? `${req.supervisorEndpoint} did not answer (or hung up) before joining`
                : `${req.supervisorEndpoint} did not answer (${answered})`,
          };
    }
    if (m.snoopGone) {
      await this.endMonitor(m);
      return { result: "refused", message: "the call ended before the supervisor answered" };
    }
    try {
      await this.http.post(`/bridges/${enc(m.bridgeId)}/addChannel`, {
        query: { channel: m.supervisor },
        signal,
      });
    } catch (err) {
      await this.endMonitor(m);
      if (m.snoopGone) return { result: "refused", message: "the call ended before the supervisor answered" };
      const failed = failure(err, {
        400: "the supervisor hung up before joining",
        404: "the call ended before the supervisor answered",
        422: "the supervisor's channel left the Stasis app",
      });
      return { result: "refused", message: failed.status === "accepted" ? "" : failed.message };
    }
    if (req.beep) {
      await this.http
        .post(`/channels/${enc(m.supervisor)}/play`, { query: { media: "sound:beep" }, signal })
        .catch(() => undefined);
    }
    return { result: "joined", message: `${req.mode} on ${req.targetLeg}` };
  }

  execute(command: PbxCommand): Promise<CommandOutcome> {
    return dispatchCommand(this, command);
  }

  /**
   * Take over: the other party runs in the dialplan, where ARI cannot add it to a bridge of its own (422),
   * so the supervisor's phone is originated into the `takeover` extension of the Callsight context, which
   * runs `Bridge(${CALLSIGHT_TARGET})` on the other party's channel: it leaves the agent for the supervisor,
   * and the agent, alone in the call's bridge, is hung up (dialplan/asterisk/callsight-ari.conf).
   */
  async takeOver(req: TakeOverRequest): Promise<CommandOutcome> {
    const signal = this.sessionSignal();
    if (!signal) return notConnected();
    if (!this.links.legs.has(req.agentLeg)) return unknownLeg(req.agentLeg);
    const other = this.links.legs.channel(req.otherLeg);
    if (!other) return unknownLeg(req.otherLeg);
    return this.originateInto(
      req.supervisorEndpoint,
      "takeover",
      { CALLSIGHT_TARGET: other, CALLSIGHT_AGENT: this.links.legs.channel(req.agentLeg) ?? "" },
      signal,
      `take ${other} over`,
    );
  }

  /**
   * Pickup: ARI cannot pick up a ringing channel that runs in the dialplan, so the picker's phone is
   * originated into the `pickup` extension of the Callsight context, which runs
   * `PickupChan(${CALLSIGHT_TARGET})` on the exact ringing channel (dialplan/asterisk/callsight-ari.conf).
   */
  async pickup(req: PickupRequest): Promise<CommandOutcome> {
    const signal = this.sessionSignal();
    if (!signal) return notConnected();
    const name = this.links.legs.channel(req.targetLeg);
    if (!name) return unknownLeg(req.targetLeg);
    let channel: AriChannel;
    try {
      channel = await this.http.get<AriChannel>(`/channels/${enc(req.targetLeg)}`, { signal });
    } catch (err) {
      return failure(err, { 404: "the call is no longer ringing: it was answered elsewhere or hung up" });
    }
    if (channel.state === "Up") return { status: "failed", message: "the call was already answered" };
    return this.originateInto(
      req.pickerEndpoint,
      "pickup",
      { CALLSIGHT_TARGET: name },
      signal,
      `pick up ${name}`,
    );
  }

  /** Parked pickup: the picker's phone is originated into `parked`, which runs ParkedCall(lot,space). */
  async pickupParked(req: ParkedPickupRequest): Promise<CommandOutcome> {
    const signal = this.sessionSignal();
    if (!signal) return notConnected();
    if (!req.space) {
      return {
        status: "refused",
        reason: "unknown-space",
        message:
          "the parking space of this call is not known (ARI without the AMI companion cannot always tell it)",
      };
    }
    return this.originateInto(
      req.pickerEndpoint,
      "parked",
      { CALLSIGHT_LOT: req.lot || "default", CALLSIGHT_SPACE: req.space },
      signal,
      `retrieve ${req.lot}/${req.space}`,
    );
  }

  /**
   * Send to IVR. A channel in this app's Stasis is `continue`d into the IVR. Any other channel runs in
   * the dialplan, and ARI cannot move it (POST /channels/{id}/continue answers 409 "Channel not in a
   * Stasis application"; /redirect is a SIP-level redirect, not a dialplan jump): that needs AMI
   * Redirect through the companion.
   */
  async sendToIvr(req: IvrRequest): Promise<CommandOutcome> {
    const signal = this.sessionSignal();
    if (!signal) return notConnected();
    if (!this.links.legs.has(req.leg)) return unknownLeg(req.leg);
    if (this.stasis.has(req.leg)) {
      try {
        await this.http.post(`/channels/${enc(req.leg)}/continue`, {
          query: { context: req.context, extension: req.exten, priority: 1 },
          signal,
        });
        return { status: "accepted", detail: `continued to ${req.exten}@${req.context}` };
      } catch (err) {
        return failure(err, {
          404: "the call has ended",
          409: "the channel left Callsight's Stasis application",
        });
      }
    }
    if (this.companion) {
      if (!this.companion.connected)
        return {
          status: "failed",
          message: "the AMI companion link is not connected: cannot Redirect the call",
        };
      return this.companion.sendToIvr(req);
    }
    return {
      status: "refused",
      reason: "needs-ami-companion",
      message:
        "ARI cannot send this call to the IVR: it runs in the dialplan, and ARI only moves channels that are in " +
        "Callsight's Stasis application (continue answers 409). Configure the AMI companion (pbx.companion) " +
        "so Callsight can use AMI Redirect.",
    };
  }

  /**
   * On-demand recording. With the AMI companion: MixMonitor on the leg's channel, as AMI does. Without
   * it: a snoop channel on the leg (spy=both) recorded with POST /channels/{snoop}/record. /bridges/{id}/record would need the call's bridge to be a Stasis
   * bridge (Asterisk answers 409 "Bridge not in Stasis application" for dialplan calls). The name is the
   * file name without its extension (`callsight-<callId>-<leg>-<ts>`), the format its extension.
   * ARI writes into Asterisk's recording directory (astspooldir/recording): an ARI-only site points
   * `recording.directory` there.
   */
  async startRecording(req: RecordingRequest): Promise<CommandOutcome> {
    const signal = this.sessionSignal();
    if (!signal) return notConnected();
    const channel = this.links.legs.channel(req.leg);
    if (channel === undefined) return unknownLeg(req.leg);
    // With the companion: MixMonitor, like the dialplan, into the monitor directory `recording.directory`
    // names (ARI's own recordings land in astspooldir/recording, where the worker would not find them).
    if (this.companion?.connected) return this.companion.startRecording(req.leg, channel, req.file);
    if (this.recordings.has(req.leg))
      return { status: "failed", message: "Callsight is already recording this leg" };
    const base = req.file.slice(req.file.lastIndexOf("/") + 1);
    const dot = base.lastIndexOf(".");
    const name = dot > 0 ? base.slice(0, dot) : base;
    const format = dot > 0 ? base.slice(dot + 1) : "wav";
    const snoopId = `callsight-rec-${randomBytes(6).toString("hex")}`;
    try {
      await this.http.post(`/channels/${enc(req.leg)}/snoop`, {
        query: { spy: "both", whisper: "none", app: this.app, appArgs: "callsight,record", snoopId },
        signal,
      });
    } catch (err) {
      return failure(err, { 404: "the call has ended: there is nothing to record" });
    }
    const snoop = await this.waitChannel(snoopId, this.options.stasisWaitMs ?? 5000);
    if (snoop !== "started") {
      await this.hangup(snoopId);
      return { status: "failed", message: `the call ended before the recording started (${snoop})` };
    }
    try {
      await this.http.post(`/channels/${enc(snoopId)}/record`, {
        query: { name, format, ifExists: "fail", beep: false, maxDurationSeconds: 0, terminateOn: "none" },
        signal,
      });
    } catch (err) {
      await this.hangup(snoopId);
      return failure(err, {
        404: "the call has ended: there is nothing to record",
        409: "the recording could not start (already recording, or the snoop left the Stasis app)",
        422: `a recording named ${name} already exists`,
      });
    }
    this.recordings.set(req.leg, { name, snoopId });
    return { status: "accepted", leg: req.leg, detail: `recording ${name}.${format}` };
  }

  async stopRecording(req: { leg: string }): Promise<CommandOutcome> {
    const signal = this.sessionSignal();
    if (!signal) return notConnected();
    const r = this.recordings.get(req.leg);
    if (r) {
      this.recordings.delete(req.leg);
      let outcome: CommandOutcome = { status: "accepted", detail: `stopped ${r.name}` };
      try {
        await this.http.post(`/recordings/live/${enc(r.name)}/stop`, { signal });
      } catch (err) {
        outcome = failure(err, { 404: "the recording had already stopped" });
      }
      await this.hangup(r.snoopId);
      return outcome;
    }
    if (this.companion?.connected && this.companion.isMixMonitored(req.leg)) {
      return this.companion.stopRecording(req);
    }
    return {
      status: "refused",
      reason: "not-recording",
      message: this.companion
        ? "no recording Callsight knows of runs on this leg"
        : "Callsight did not start a recording on this leg; a MixMonitor started in the dialplan can only be " +
          "stopped through AMI (configure the AMI companion, pbx.companion)",
    };
  }

  /**
   * The dialplan enforces the recording policy from AstDB (dialplan/asterisk/callsight-recording.conf).
   * ARI has no AstDB resource (POST /asterisk/variable sets global dialplan variables, which the
   * dialplan does not read and Asterisk forgets on restart), so this goes through the AMI companion.
   */
  publishRecordingPolicy(policy: RecordingPolicyTable): Promise<CommandOutcome> {
    if (this.companion) return this.companion.publishRecordingPolicy(policy);
    return Promise.resolve({
      status: "failed",
      message:
        "the recording policy cannot be written to AstDB through ARI (ARI has no AstDB resource); " +
        "configure the AMI companion (pbx.companion) so Callsight can DBPut it. Until then only Callsight " +
        "itself starts the recordings the policy requires.",
    });
  }

  /** The channel name the driver knows for a leg (for logs and tests). */
  channelName(leg: string): string | undefined {
    return this.links.legs.channel(leg);
  }

  private async originateInto(
    endpoint: string,
    extension: string,
    variables: Record<string, string>,
    signal: AbortSignal,
    what: string,
  ): Promise<CommandOutcome> {
    const channelId = `callsight-${extension}-${randomBytes(6).toString("hex")}`;
    try {
      await this.http.post("/channels", {
        query: {
          endpoint,
          extension,
          context: this.options.dialplanContext ?? "callsight-ari",
          priority: 1,
          channelId,
          timeout: this.originateTimeoutSec(),
        },
        body: { variables },
        signal,
      });
    } catch (err) {
      return failure(err, { 400: `${endpoint} could not be called`, 404: `${endpoint} does not exist` });
    }
    return { status: "accepted", leg: channelId, detail: `calling ${endpoint} to ${what}` };
  }

  private originateTimeoutSec(): number {
    return this.options.originateTimeoutSec ?? 30;
  }

  private sessionSignal(): AbortSignal | undefined {
    return this.supervisor.connected && this.sessionAbort && !this.sessionAbort.signal.aborted
      ? this.sessionAbort.signal
      : undefined;
  }

  private async hangup(channelId: string): Promise<void> {
    await this.http.delete(`/channels/${enc(channelId)}`, { timeoutMs: 3000 }).catch(() => undefined);
  }

  private async endMonitor(m: Monitor): Promise<void> {
    this.monitors.delete(m.supervisor);
    await Promise.all([
      this.hangup(m.snoopId),
      this.hangup(m.supervisor),
      this.http.delete(`/bridges/${enc(m.bridgeId)}`, { timeoutMs: 3000 }).catch(() => undefined),
    ]);
  }

  /** Waits for a channel this driver made to enter the app (StasisStart) or to go away. */
  private waitChannel(
    id: string,
    timeoutMs: number,
  ): Promise<"started" | "destroyed" | "timeout" | "disconnected"> {
    if (this.stasis.has(id)) return Promise.resolve("started");
    if (this.recentlyDestroyed.has(id)) return Promise.resolve("destroyed");
    return new Promise((resolve) => {
      const timer = setTimeout(() => done("timeout"), timeoutMs);
      const waiter: Waiter = { resolve: (r) => done(r) };
      const list = this.waiters.get(id) ?? [];
      list.push(waiter);
      this.waiters.set(id, list);
      const waiters = this.waiters;
      function done(r: "started" | "destroyed" | "timeout" | "disconnected"): void {
        clearTimeout(timer);
        const l = waiters.get(id);
        if (l) {
          const i = l.indexOf(waiter);
          if (i >= 0) l.splice(i, 1);
          if (l.length === 0) waiters.delete(id);
        }
        resolve(r);
      }
    });
  }

  private settleWaiters(id: string, result: "started" | "destroyed"): void {
    const list = this.waiters.get(id);
    if (!list) return;
    for (const w of [...list]) w.resolve(result);
  }

  // ---- the one event handler --------------------------------------------------------------------

  /** Bookkeeping for the driver's own channels: Stasis membership, waiters, monitor/recording cleanup. */
  private housekeeping(e: AriEvent): void {
    const ch = e.channel;
    const id = typeof ch?.id === "string" ? ch.id : undefined;
    if (!id) return;
    if (e.type === "StasisStart" && (e.application === undefined || e.application === this.app)) {
      this.stasis.add(id);
      this.settleWaiters(id, "started");
    } else if (e.type === "StasisEnd") {
      this.stasis.delete(id);
    } else if (e.type === "ChannelDestroyed") {
      this.stasis.delete(id);
      this.recentlyDestroyed.add(id);
      if (this.recentlyDestroyed.size > RECENT_KEPT) {
        const oldest = this.recentlyDestroyed.values().next().value;
        if (oldest !== undefined) this.recentlyDestroyed.delete(oldest);
      }
      this.settleWaiters(id, "destroyed");
      this.companion?.legGone(id);
      const asSupervisor = this.monitors.get(id);
      if (asSupervisor) void this.endMonitor(asSupervisor);
      for (const m of this.monitors.values()) {
        if (m.snoopId === id && !m.snoopGone) {
          // The monitored leg hung up (its snoop went with it): the supervisor leaves too (ChanSpy `E`).
          m.snoopGone = true;
          if (this.stasis.has(m.supervisor) || !this.waiters.has(m.supervisor)) void this.endMonitor(m);
          else void this.hangup(m.supervisor);
        }
      }
      for (const [leg, r] of this.recordings) {
        if (r.snoopId === id || leg === id) this.recordings.delete(leg);
      }
    }
  }

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
      this.housekeeping(e);
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
      const signal = abort.signal;
      const timeoutMs = o.requestTimeoutMs ?? 30_000;
      const [channels, bridges, endpoints, listed] = await Promise.all([
        this.http.get<AriChannel[]>("/channels", { signal, timeoutMs }),
        this.http.get<AriBridge[]>("/bridges", { signal, timeoutMs }),
        this.http
          .get<AriEndpoint[]>("/endpoints", { signal, timeoutMs })
          .catch((err) => this.optional<AriEndpoint>(err, "/endpoints")),
        this.http
          .get<AriDeviceState[]>("/deviceStates", { signal, timeoutMs })
          .catch((err) => this.optional<AriDeviceState>(err, "/deviceStates")),
      ]);
      const channelList = Array.isArray(channels) ? channels : [];
      const bridgeList = Array.isArray(bridges) ? bridges : [];
      const endpointList = Array.isArray(endpoints) ? endpoints : [];
      const deviceStates = [...(Array.isArray(listed) ? listed : [])];
      const names = deviceStatesToQuery(endpointList, channelList, this.classifier()).filter(
        (n) => !deviceStates.some((d) => d.name === n),
      );
      for (const d of await this.deviceStates(names, signal)) deviceStates.push(d);
      const companion = this.companion?.connected ? this.companion.state(at) : undefined;
      const resync = buildAriSnapshot({
        pbx: this.pbx,
        at,
        channels: channelList,
        bridges: bridgeList,
        endpoints: endpointList,
        deviceStates,
        ...(o.classifier ? { classifier: o.classifier } : {}),
        chanSpyFromChannels: companion === undefined,
      });
      const snapshot = resync.snapshot;
      if (companion) {
        snapshot.presence = companion.presence;
        const present = new Set(snapshot.legs.map((l) => l.leg));
        snapshot.parked = companion.parked.filter((p) => present.has(p.leg));
      } else if (this.companion) {
        // Companion configured but away: the parking-bridge inference is off, its state comes back with it.
        snapshot.parked = [];
      }
      const followUps: PbxEvent[] = [...resync.monitoring];
      if (companion) {
        // What the companion knows that a snapshot cannot say: ChanSpy sessions and running MixMonitors.
        const present = new Set(snapshot.legs.map((l) => l.leg));
        for (const m of companion.monitoring)
          if (present.has(m.spy) && present.has(m.target)) followUps.push(m);
        for (const r of companion.recordings) if (present.has(r.leg)) followUps.push(r);
      }
      this.translator.reset();
      this.translator.seed(snapshot.legs, resync.plumbing, bridgeList, snapshot.parked, at);
      // Channels in this app and Callsight's own sessions outlive a lost WebSocket on the PBX side.
      this.stasis.clear();
      const live = new Set(channelList.map((c) => c.id));
      for (const c of channelList) {
        const app = c.dialplan?.app_name === "Stasis" ? (c.dialplan.app_data ?? "").split(",")[0] : undefined;
        if (app === this.app) this.stasis.add(c.id);
      }
      for (const [leg, r] of [...this.recordings]) if (!live.has(r.snoopId)) this.recordings.delete(leg);
      for (const m of [...this.monitors.values()]) if (!live.has(m.supervisor)) void this.endMonitor(m);
      this.links.clear();
      const out: PbxEvent[] = [snapshot, ...followUps];
      out.push({ pbx: this.pbx, at: this.now(), type: "pbx.connection", state: "up" });
      this.supervisor.markUp(this.now());
      const pending = buffer;
      buffer = undefined;
      this.log.info(
        { pbx: this.pbx, legs: snapshot.legs.length, bridges: bridgeList.length, buffered: pending.length },
        "ARI connected and resynced",
      );
      this.links.deliverNow(out);
      for (const e of pending) this.ingest(e);
    } catch (err) {
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
    for (const id of [...this.waiters.keys()]) {
      for (const w of [...(this.waiters.get(id) ?? [])]) w.resolve("disconnected");
    }
    if (this.supervisor.running) this.log.warn({ pbx: this.pbx, err: reason.message }, "ARI connection lost");
    // Whatever was translated before the close goes out before the `down`.
    this.links.drain();
    this.links.deliverNow([{ pbx: this.pbx, at: this.now(), type: "pbx.connection", state: "down" }]);
    return true;
  }

  private classifier(): EndpointClassifier {
    return this.options.classifier ?? new EndpointClassifier();
  }

  private optional<T>(err: unknown, what: string): T[] {
    if (err instanceof AriHttpError && err.status === 0) throw err;
    this.log.warn({ pbx: this.pbx, what, err: (err as Error).message }, "ARI resync request failed");
    return [];
  }

  /** GET /deviceStates/{name} for each name, 8 at a time; unknown devices are left out. */
  private async deviceStates(names: readonly string[], signal: AbortSignal): Promise<AriDeviceState[]> {
    const out: AriDeviceState[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < names.length) {
        const name = names[next++] as string;
        try {
          const d = await this.http.get<AriDeviceState>(`/deviceStates/${enc(name)}`, {
            signal,
            timeoutMs: 5000,
          });
          if (d && typeof d.state === "string") out.push({ name, state: d.state });
        } catch (err) {
          if (err instanceof AriHttpError && err.status === 0 && signal.aborted) throw err;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, names.length) }, () => worker()));
    return out;
  }

  /** To the listeners (MergedLinks has noted the legs). */
  private deliver(events: PbxEvent[]): void {
    this.counters.events += events.length;
    this.listeners.deliver(events);
    this.counters.listenerErrors = this.listeners.errors;
  }
}

/** Builds the ARI driver of a configured PBX (`driver: ari`). */
export function createAriDriver(
  pbx: PbxConnectionConfig,
  classifier: EndpointClassifier,
  logger: Logger,
): AsteriskAriDriver {
  return new AsteriskAriDriver({
    pbx: pbx.id,
    host: pbx.host,
    port: pbx.port,
    username: pbx.username ?? "",
    secret: pbx.secret ?? "",
    app: pbx.app ?? "callsight",
    classifier,
    ...(pbx.companion
      ? {
          companion: {
            host: pbx.host,
            port: pbx.companion.port,
            username: pbx.companion.username,
            secret: pbx.companion.secret,
          },
        }
      : {}),
    logger,
  });
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

function notConnected(): CommandOutcome {
  return { status: "failed", message: "ARI not connected" };
}

function unknownLeg(leg: string): CommandOutcome {
  return { status: "refused", reason: "unknown-leg", message: `no live channel known for leg ${leg}` };
}

/** HTTP errors become clear outcomes, never exceptions. */
function failure(err: unknown, texts: Partial<Record<number, string>>): CommandOutcome {
  if (err instanceof AriHttpError) {
    const text = texts[err.status];
    if (text) return { status: "failed", message: `${text} (ARI ${err.status} ${err.ariMessage})` };
    if (err.status === 0) return { status: "failed", message: `ARI did not answer: ${err.ariMessage}` };
    return { status: "failed", message: err.message };
  }
  return { status: "failed", message: err instanceof Error ? err.message : String(err) };
}

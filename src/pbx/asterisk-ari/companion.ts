// The optional AMI link an ARI PBX uses for what ARI's event stream does not carry: parked calls,
// presence state, MixMonitor and ChanSpy, plus the two commands ARI cannot do (Redirect a dialplan
// channel to the IVR, DBPut the recording policy into AstDB) and StopMixMonitor.
//
// It is the AMI driver itself (AsteriskAmiDriver: supervisor loop, backoff, resync, AmiSession,
// AmiTranslator, DBPut policy writer, Redirect), connected with Filters that keep only those events,
// and its output cut down to the facts it owns (both in companion-facts.ts). Everything else (channels,
// bridges, hold, device states, DND, registrations) comes from ARI only, so no fact is ever reported by
// both links:
//
//   fact                               owner            ARI-side inference (translator option)
//   call.parked / call.unparked        companion        parkingFromBridges: off
//   presence.state                     companion        (ARI has none)
//   queue.*                            companion        queuePausesFromDevices: off
//   monitoring.* from ChanSpy          companion        ChanSpy at resync: off
//   recording.* from MixMonitor        companion        mixMonitorFromVarset: off
//   presence.dnd, device.reachability  ARI              (companion's dropped)
//   legs, bridges, hold, transfers     ARI              (companion's dropped)
//   monitoring.* / recording.* made by Callsight (snoop)  ARI
//
// The trace shows ARI does carry Custom:DND device states and PeerStatusChange/ContactStatusChange
// (traces 12 and 13), so those stay with ARI even though AMI has them too.
//
// The facts go out with how far the link has got in PBX time (its events' `Timestamp`), and `barrier()`
// pings the PBX on this socket for its time: the ARI driver merges the two links by PBX time
// (link-merge.ts), since the order the two sockets deliver in says nothing.

import type { Logger } from "pino";
import type { MonitoringMode } from "../../domain/directory.js";
import type {
  MonitoringStarted,
  PbxEvent,
  PresenceStateChanged,
  QueueSnapshot,
  RecordingStarted,
} from "../../domain/events.js";
import type { QueueMemberTemplate } from "../asterisk/queues.js";
import { AsteriskAmiDriver } from "../asterisk-ami/driver.js";
import type { BackoffOptions } from "../connection-supervisor.js";
import type {
  CommandOutcome,
  DriverStatus,
  IvrRequest,
  QueueLoginRequest,
  QueuePauseRequest,
  RecordingPolicyTable,
} from "../driver.js";
import type { EndpointClassifier } from "../endpoints.js";
import { COMPANION_FACTS, COMPANION_FILTERS } from "./companion-facts.js";

export interface AmiCompanionOptions {
  pbx: string;
  host: string;
  port: number;
  username: string;
  secret: string;
  classifier?: EndpointClassifier;
  backoff?: BackoffOptions;
  actionTimeoutMs?: number;
  connectTimeoutMs?: number;
  pingIntervalMs?: number;
  queueMember?: QueueMemberTemplate;
  logger?: Logger;
  now?: () => number;
}

export interface CompanionState {
  presence: { extension: string; state: PresenceStateChanged["state"]; message?: string }[];
  parked: { leg: string; lot: string; space: string }[];
  monitoring: MonitoringStarted[];
  /** MixMonitors running now (the dialplan's policy recordings). */
  recordings: RecordingStarted[];
}

export class AmiCompanion {
  private readonly ami: AsteriskAmiDriver;
  private readonly presence = new Map<string, { state: PresenceStateChanged["state"]; message?: string }>();
  private readonly parked = new Map<string, { lot: string; space: string }>();
  private readonly spies = new Map<string, { target: string; mode: MonitoringMode }>();
  /** Legs with a running MixMonitor -> its file when known. */
  private readonly mixMonitors = new Map<string, string | undefined>();
  private listener?: (facts: PbxEvent[], pbxTime: number | undefined) => void;
  private up = false;
  /** Whether the live events carry `Timestamp` (manager.conf `timestampevents`); unknown before the first. */
  private timestamps?: boolean;
  private untimedSeen = 0;
  /** Events the companion link produced and dropped because ARI owns those facts. */
  dropped = 0;

  constructor(private readonly options: AmiCompanionOptions) {
    this.ami = new AsteriskAmiDriver({
      pbx: options.pbx,
      host: options.host,
      port: options.port,
      username: options.username,
      secret: options.secret,
      filters: COMPANION_FILTERS,
      ...(options.classifier ? { classifier: options.classifier } : {}),
      ...(options.backoff ? { backoff: options.backoff } : {}),
      ...(options.actionTimeoutMs !== undefined ? { actionTimeoutMs: options.actionTimeoutMs } : {}),
      ...(options.connectTimeoutMs !== undefined ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
      ...(options.pingIntervalMs !== undefined ? { pingIntervalMs: options.pingIntervalMs } : {}),
      ...(options.queueMember ? { queueMember: options.queueMember } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.now ? { now: options.now } : {}),
    });
    this.ami.onEvents((events) => this.receive(events));
  }

  get connected(): boolean {
    return this.up;
  }

  /**
   * Facts (parked, presence, ChanSpy, MixMonitor) as they happen, and again after each AMI resync, with
   * the PBX time (ms) of the newest event the link read, the events it drops included; `undefined` when
   * the facts carry no PBX time (a resync's, or no `Timestamp` in the events). Also called without facts
   * when only the time moved or the link went up or down.
   */
  onFacts(listener: (facts: PbxEvent[], pbxTime: number | undefined) => void): void {
    this.listener = listener;
  }

  /** Up, and its events carry the PBX's time: its facts can be put in order with ARI's events. */
  get ordered(): boolean {
    return this.up && this.timestamps !== false;
  }

  /**
   * The PBX's time (ms) when it answered a Ping on this socket: every event it sent before has been
   * read. `undefined` when the answer carries no Timestamp; rejects when the link is down or the Ping fails.
   */
  async barrier(): Promise<number | undefined> {
    const answer = await this.ami.ping();
    const seconds = Number.parseFloat(answer.Timestamp ?? "");
    return Number.isFinite(seconds) ? seconds * 1000 : undefined;
  }

  start(): void {
    this.ami.start();
  }

  stop(): Promise<void> {
    return this.ami.stop();
  }

  status(): DriverStatus {
    return { ...this.ami.status(), driver: "asterisk-ami-companion" };
  }

  /** What the companion knows now, for an ARI snapshot (ARI itself cannot tell). */
  state(at: number): CompanionState {
    return {
      presence: [...this.presence].map(([extension, p]) => ({
        extension,
        state: p.state,
        ...(p.message ? { message: p.message } : {}),
      })),
      parked: [...this.parked].map(([leg, p]) => ({ leg, lot: p.lot, space: p.space })),
      monitoring: [...this.spies].map(([spy, s]) => ({
        pbx: this.options.pbx,
        at,
        type: "monitoring.started" as const,
        spy,
        target: s.target,
        mode: s.mode,
      })),
      recordings: [...this.mixMonitors].map(([leg, file]) => ({
        pbx: this.options.pbx,
        at,
        type: "recording.started" as const,
        leg,
        ...(file ? { file } : {}),
      })),
    };
  }

  /** Whether a MixMonitor the companion saw is running on the leg. */
  isMixMonitored(leg: string): boolean {
    return this.mixMonitors.has(leg);
  }

  /** The queues as the PBX lists them now: ARI cannot tell, and the companion's own resync may predate ARI's. */
  queueSnapshot(at: number): Promise<QueueSnapshot | undefined> {
    return this.ami.queueSnapshot(at);
  }

  /** AMI QueueAdd / QueueRemove (ARI has no queue actions). */
  queueLogin(req: QueueLoginRequest): Promise<CommandOutcome> {
    return this.ami.queueLogin(req);
  }

  /** AMI QueuePause (ARI has no queue actions). */
  queuePause(req: QueuePauseRequest): Promise<CommandOutcome> {
    return this.ami.queuePause(req);
  }

  /** AMI Redirect of a channel that runs in the dialplan (ARI can only `continue` Stasis channels). */
  sendToIvr(req: IvrRequest): Promise<CommandOutcome> {
    return this.ami.sendToIvr(req);
  }

  /**
   * MixMonitor into Asterisk's monitor directory, where the dialplan's recordings are (and Callsight
   * looks). Never a second one on a leg a MixMonitor already records: Asterisk sends no MixMonitorStop
   * when the channel hangs up, so the leg's hang-up finishes one recording of the leg, and a second
   * file would never be finalized. The running one is told again instead (a model that missed it
   * catches up; one that has it is unchanged).
   */
  startRecording(leg: string, channel: string, file: string): Promise<CommandOutcome> {
    if (this.mixMonitors.has(leg)) {
      const running = this.mixMonitors.get(leg);
      const fact: RecordingStarted = {
        pbx: this.options.pbx,
        at: (this.options.now ?? Date.now)(),
        type: "recording.started",
        leg,
        ...(running ? { file: running } : {}),
      };
      // After the command's caller has its answer, like every other fact (never from inside a command).
      queueMicrotask(() => this.listener?.([fact], undefined));
      return Promise.resolve({
        status: "refused",
        reason: "already-recording",
        message: `a MixMonitor already records this leg${running ? ` (${running})` : ""}; not starting a second one`,
      });
    }
    return this.ami.mixMonitor(channel, file);
  }

  stopRecording(req: { leg: string }): Promise<CommandOutcome> {
    return this.ami.stopRecording(req);
  }

  /** DBPut into AstDB through AMI; written again after every companion reconnect. */
  publishRecordingPolicy(policy: RecordingPolicyTable): Promise<CommandOutcome> {
    return this.ami.publishRecordingPolicy(policy);
  }

  private receive(events: PbxEvent[]): void {
    const facts: PbxEvent[] = [];
    const snapshot = events.find((e) => e.type === "pbx.snapshot");
    const resyncSpies = new Set<string>();
    const wasUp = this.up;
    let newest = Number.NEGATIVE_INFINITY;
    for (const e of events) {
      if (e.type === "pbx.connection") {
        this.up = e.state === "up";
        continue;
      }
      if (e.at > newest) newest = e.at;
      if (e.type === "pbx.snapshot") {
        facts.push(...this.fromSnapshot(e));
        continue;
      }
      if (!COMPANION_FACTS.has(e.type)) {
        this.dropped++;
        continue;
      }
      if (snapshot && e.type === "monitoring.started") resyncSpies.add(e.spy);
      this.track(e);
      facts.push(e);
    }
    if (snapshot) {
      // Sessions the AMI resync did not announce again ended while the companion was away.
      for (const [spy, s] of [...this.spies]) {
        if (resyncSpies.has(spy)) continue;
        this.spies.delete(spy);
        facts.push({
          pbx: this.options.pbx,
          at: snapshot.at,
          type: "monitoring.stopped",
          spy,
          target: s.target,
        });
      }
    }
    const pbxTime = snapshot ? undefined : this.timeOf(newest);
    if (facts.length > 0 || pbxTime !== undefined || this.up !== wasUp) this.listener?.(facts, pbxTime);
  }

  /** The PBX time of a read of live events, when they carry one (the AMI driver counts those without). */
  private timeOf(newest: number): number | undefined {
    if (newest === Number.NEGATIVE_INFINITY) return undefined;
    const untimed = this.ami.counters.untimedFrames;
    const timestamps = untimed === this.untimedSeen;
    this.untimedSeen = untimed;
    if (timestamps !== this.timestamps) {
      if (this.timestamps !== undefined || !timestamps)
        this.options.logger?.warn(
          { pbx: this.options.pbx },
          timestamps
            ? "AMI companion events carry a Timestamp again: its facts and ARI's events are merged by PBX time"
            : "AMI companion events carry no Timestamp (manager.conf: timestampevents = yes): its facts and " +
                "ARI's events are merged in arrival order, which can misorder them (e.g. a presence change " +
                "and the call that made it)",
        );
      this.timestamps = timestamps;
    }
    return timestamps ? newest : undefined;
  }

  /** The AMI resync, turned into facts: presence of everyone, parked calls now (and those gone). */
  private fromSnapshot(s: Extract<PbxEvent, { type: "pbx.snapshot" }>): PbxEvent[] {
    const out: PbxEvent[] = [];
    const base = { pbx: this.options.pbx, at: s.at };
    for (const p of s.presence) {
      out.push({
        ...base,
        type: "presence.state",
        extension: p.extension,
        state: p.state,
        ...(p.message ? { message: p.message } : {}),
      });
    }
    const now = new Set(s.parked.map((p) => p.leg));
    for (const [leg, p] of [...this.parked]) {
      if (now.has(leg)) continue;
      // Retrieved, given up or timed out while the companion was away: the outcome is not known.
      out.push({ ...base, type: "call.unparked", leg, lot: p.lot, space: p.space, outcome: "retrieved" });
    }
    for (const p of s.parked)
      out.push({ ...base, type: "call.parked", leg: p.leg, lot: p.lot, space: p.space });
    const present = new Set(s.legs.map((l) => l.leg));
    for (const leg of [...this.mixMonitors.keys()]) if (!present.has(leg)) this.mixMonitors.delete(leg);
    if (s.recordings) {
      // The MixMonitors the AMI resync found running: one that began while the companion was away is
      // reported (its file gets finalized when it stops); one that ended meanwhile on a leg still up stops.
      const running = new Map(s.recordings.map((r) => [r.leg, r.file]));
      for (const [leg, file] of running) {
        if (!this.mixMonitors.has(leg))
          out.push({ ...base, type: "recording.started", leg, ...(file ? { file } : {}) });
      }
      for (const [leg, file] of [...this.mixMonitors]) {
        if (!running.has(leg))
          out.push({ ...base, type: "recording.stopped", leg, ...(file ? { file } : {}) });
      }
    }
    for (const e of out) this.track(e);
    return out;
  }

  private track(e: PbxEvent): void {
    switch (e.type) {
      case "presence.state":
        this.presence.set(e.extension, { state: e.state, ...(e.message ? { message: e.message } : {}) });
        return;
      case "call.parked":
        this.parked.set(e.leg, { lot: e.lot, space: e.space });
        return;
      case "call.unparked":
        this.parked.delete(e.leg);
        return;
      case "monitoring.started":
        this.spies.set(e.spy, { target: e.target, mode: e.mode });
        return;
      case "monitoring.stopped":
        this.spies.delete(e.spy);
        return;
      case "recording.started":
        this.mixMonitors.set(e.leg, e.file ?? this.mixMonitors.get(e.leg));
        return;
      case "recording.stopped":
        this.mixMonitors.delete(e.leg);
        return;
      default:
    }
  }

  /** The ARI side saw a leg end: forget what the companion knew about it. */
  legGone(leg: string): void {
    this.parked.delete(leg);
    this.spies.delete(leg);
    this.mixMonitors.delete(leg);
    for (const [spy, s] of [...this.spies]) if (s.target === leg) this.spies.delete(spy);
  }
}

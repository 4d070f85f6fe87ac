// A PBX driver for one of several Callsight instances sharing one Redis.
//
// Exactly one instance at a time owns the PBX connection (PbxLease). The owner runs the real driver and
// publishes what it delivers to the PBX's event stream, fenced by its lease token. Followers feed their
// models from that stream, so all instances apply the same batches in the same order and every one can
// serve its own viewers. The owner applies what its driver delivers at once (its viewers do not wait on
// two Redis round trips) and skips those batches when the stream brings them back; it skips older owners'
// leftovers too, since its own connection began with a snapshot that supersedes them. When the lease is lost the real driver stops at
// once; the instance that takes the lease over connects afresh, and the snapshot its driver delivers
// first resyncs every instance. Commands go to the real driver on the owner and through the command
// relay everywhere else.

import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { PbxEvent } from "../domain/events.js";
import type {
  CommandOutcome,
  DriverStatus,
  IvrRequest,
  MonitorRequest,
  ParkedPickupRequest,
  PbxDriver,
  PickupRequest,
  RecordingPolicyTable,
  RecordingRequest,
} from "../pbx/driver.js";
import { CommandRelay, type RelayedCommand, runCommand } from "./command-relay.js";
import { EventStreamConsumer, EventStreamPublisher, FencedError, type StreamBatch } from "./event-stream.js";
import { PbxLease } from "./pbx-lease.js";

/** A stable id for this process: host, pid and a random part (a restarted process is a new instance). */
export function clusterInstanceId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
}

export interface ClusterSettings {
  /** This process's id (default clusterInstanceId()). */
  instance?: string;
  /** Lease lifetime; another instance takes over within about 1.3 × this after the owner dies (default 5 s). */
  leaseTtlMs?: number;
  /** How long a non-owner waits for the owner to take an operation (default 5 s). */
  relayTakeTimeoutMs?: number;
  /** How long it then waits for the outcome (default 15 s). */
  relayAnswerTimeoutMs?: number;
  /** The owner refuses relayed operations older than this (default 5 s). */
  staleCommandMs?: number;
  /** The owner takes a fresh snapshot from the PBX when the stream holds more entries than this (default 10 000) */
  refreshSnapshotAfter?: number;
  /** … or when its last snapshot is older than this (default 1 h), so a starting instance replays little. */
  refreshSnapshotEveryMs?: number;
}

export interface ClusteredDriverOptions extends ClusterSettings {
  /** The real driver. */
  driver: PbxDriver;
  /** Builds another real driver for the same PBX (for snapshot refreshes without a gap); optional. */
  createDriver?: () => PbxDriver;
  redis: Redis;
  prefix: string;
  logger: Logger;
}

export interface ClusteredDriverStatus extends DriverStatus {
  cluster: {
    instance: string;
    role: "owner" | "follower";
    /** The instance holding the PBX lease when last seen. */
    owner?: string;
    token?: number;
    /** The last event-stream entry this instance applied. */
    stream: string;
  };
}

export class ClusteredDriver implements PbxDriver {
  readonly pbx: string;
  readonly instance: string;
  readonly lease: PbxLease;
  readonly relay: CommandRelay;
  readonly publisher: EventStreamPublisher;
  readonly consumer: EventStreamConsumer;
  private readonly listeners: ((events: PbxEvent[]) => void)[] = [];
  private readonly log: Logger;
  private active: PbxDriver;
  /** A second real driver connecting for a fresh snapshot; replaces `active` once it delivered one. */
  private next: PbxDriver | undefined;
  private nextTimer: ReturnType<typeof setTimeout> | undefined;
  private lastRefresh = 0;
  /** The current connection saw a leg appear while `next` was connecting: `next`'s snapshot may be stale. */
  private nextTainted = false;
  private lastSnapshotAt = Date.now();
  private refreshWarned = false;
  /** Fencing token while we own the PBX; 0 otherwise. */
  private token = 0;
  /** The newest token whose batches this instance applied straight from its own driver. */
  private appliedToken = 0;
  private policy: RecordingPolicyTable | undefined;
  private transitions: Promise<void> = Promise.resolve();
  private readonly pending: { events: PbxEvent[]; token: number }[] = [];
  private pumping: Promise<void> | undefined;
  private stopping = false;
  private streamConnected = false;
  private streamSince: number | undefined;
  readonly counters = { published: 0, publishRetries: 0, fenced: 0, dropped: 0, refreshes: 0 };

  constructor(private readonly options: ClusteredDriverOptions) {
    this.pbx = options.driver.pbx;
    this.instance = options.instance ?? clusterInstanceId();
    this.log = options.logger.child({ pbx: this.pbx, instance: this.instance, component: "cluster" });
    this.active = options.driver;
    this.watch(options.driver);
    this.publisher = new EventStreamPublisher(options.redis, options.prefix, this.pbx);
    this.consumer = new EventStreamConsumer({
      redis: options.redis,
      prefix: options.prefix,
      pbx: this.pbx,
      logger: this.log,
      onBatch: (batch) => this.fromStream(batch),
      skipToken: (token) => token <= this.appliedToken,
    });
    this.lease = new PbxLease({
      redis: options.redis,
      prefix: options.prefix,
      pbx: this.pbx,
      instance: this.instance,
      logger: this.log,
      ...(options.leaseTtlMs !== undefined ? { ttlMs: options.leaseTtlMs } : {}),
      onAcquired: (token) => this.acquired(token),
      onLost: (reason) => this.lost(reason),
    });
    this.relay = new CommandRelay({
      redis: options.redis,
      prefix: options.prefix,
      pbx: this.pbx,
      instance: this.instance,
      logger: this.log,
      ownerName: () => this.lease.holder?.instance,
      ...(options.relayTakeTimeoutMs !== undefined ? { takeTimeoutMs: options.relayTakeTimeoutMs } : {}),
      ...(options.relayAnswerTimeoutMs !== undefined
        ? { answerTimeoutMs: options.relayAnswerTimeoutMs }
        : {}),
      ...(options.staleCommandMs !== undefined ? { staleMs: options.staleCommandMs } : {}),
    });
  }

  /** Whether this instance owns the PBX connection now. */
  isOwner(): boolean {
    return this.token > 0 && this.lease.held;
  }

  /** The real driver in use (for logs and tests). */
  get wrapped(): PbxDriver {
    return this.active;
  }

  onEvents(listener: (events: PbxEvent[]) => void): void {
    this.listeners.push(listener);
  }

  start(): void {
    this.consumer.start();
    this.lease.start();
  }

  /** Resolves once the stream has been read from the last snapshot to its end. */
  get ready(): Promise<void> {
    return this.consumer.ready;
  }

  /**
   * Stops the real driver first (no new events), lets the last batches reach the stream, then releases
   * the lease so another instance takes over at once.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.isOwner()) {
      await this.stopDrivers();
      await withDeadline(this.pumping ?? Promise.resolve(), 2000);
    }
    await this.lease.stop();
    await this.transitions;
    await this.relay.unserve();
    await this.consumer.stop();
  }

  status(): ClusteredDriverStatus {
    const owner = this.isOwner();
    const holder = this.lease.holder;
    const real = this.active.status();
    const base: DriverStatus = owner
      ? real
      : {
          pbx: this.pbx,
          driver: real.driver,
          // As the stream tells it: the owner's driver connected, and somebody still holds the lease.
          connected: this.streamConnected && holder !== undefined,
          reconnects: 0,
          ...(this.streamSince !== undefined ? { since: this.streamSince } : {}),
        };
    return {
      ...base,
      cluster: {
        instance: this.instance,
        role: owner ? "owner" : "follower",
        ...(holder ? { owner: holder.instance, token: holder.token } : {}),
        stream: this.consumer.position,
      },
    };
  }

  endpointForExtension(extension: string): string {
    return this.active.endpointForExtension(extension);
  }

  // ---- commands: the real driver on the owner, the relay elsewhere -----------------------------

  monitor(req: MonitorRequest): Promise<CommandOutcome> {
    return this.command({ op: "monitor", req });
  }

  pickup(req: PickupRequest): Promise<CommandOutcome> {
    return this.command({ op: "pickup", req });
  }

  pickupParked(req: ParkedPickupRequest): Promise<CommandOutcome> {
    return this.command({ op: "pickupParked", req });
  }

  sendToIvr(req: IvrRequest): Promise<CommandOutcome> {
    return this.command({ op: "sendToIvr", req });
  }

  startRecording(req: RecordingRequest): Promise<CommandOutcome> {
    return this.command({ op: "startRecording", req });
  }

  stopRecording(req: { leg: string }): Promise<CommandOutcome> {
    return this.command({ op: "stopRecording", req });
  }

  /** Every instance remembers the policy; the owner writes it to the PBX (and again whenever it takes over). */
  async publishRecordingPolicy(policy: RecordingPolicyTable): Promise<CommandOutcome> {
    this.policy = policy;
    if (this.isOwner()) return this.active.publishRecordingPolicy(policy);
    const owner = this.lease.holder?.instance;
    return {
      status: "accepted",
      detail: `written to the PBX by the instance that owns it${owner ? ` (${owner})` : ""}`,
    };
  }

  private command(cmd: RelayedCommand): Promise<CommandOutcome> {
    if (this.isOwner()) return runCommand(this.active, cmd);
    return this.relay.send(cmd);
  }

  private executeRelayed(cmd: RelayedCommand): Promise<CommandOutcome> {
    // A paused owner that lost its lease must not act on the PBX: check right before acting.
    if (!this.isOwner()) {
      return Promise.resolve({
        status: "failed",
        message: `instance ${this.instance} no longer owns pbx ${this.pbx}; not carried out`,
      });
    }
    return runCommand(this.active, cmd);
  }

  // ---- ownership --------------------------------------------------------------------------------

  private acquired(token: number): void {
    this.transition(async () => {
      if (this.stopping || this.lease.token !== token) return;
      // Fence every older writer before the first event of ours can exist.
      if (!(await this.publisher.claim(token))) {
        this.log.warn({ token }, "a newer owner claimed the event stream; giving the lease up");
        await this.lease.release();
        return;
      }
      if (this.lease.token !== token) return;
      this.token = token;
      this.relay.serve((cmd) => this.executeRelayed(cmd));
      if (this.policy) await this.active.publishRecordingPolicy(this.policy).catch(() => undefined);
      if (this.token !== token) return;
      this.active.start();
      this.log.info({ token }, "owner of the PBX connection: connecting");
    });
  }

  private lost(reason: string): void {
    // Synchronously: from here on nothing the real driver delivers is published.
    this.token = 0;
    this.transition(async () => {
      await this.relay.unserve();
      await this.stopDrivers();
      this.log.info({ reason }, "no longer the owner of the PBX connection");
    });
  }

  private transition(step: () => Promise<void>): void {
    this.transitions = this.transitions.then(step).catch((err) => {
      this.log.error({ err }, "cluster: ownership change failed");
    });
  }

  private async stopDrivers(): Promise<void> {
    const next = this.next;
    this.next = undefined;
    if (this.nextTimer) clearTimeout(this.nextTimer);
    await Promise.all([this.active.stop(), next?.stop()]);
  }

  // ---- events: real driver -> stream -> listeners (the owner's: real driver -> listeners) ----------

  private watch(driver: PbxDriver): void {
    driver.onEvents((events) => this.fromDriver(driver, events));
  }

  private fromDriver(driver: PbxDriver, delivered: PbxEvent[]): void {
    const token = this.token;
    if (token === 0 || !this.lease.held) {
      // Not ours to publish any more (the stream would refuse it too: see the fencing in event-stream.ts).
      this.counters.dropped += delivered.length;
      return;
    }
    // A deliberate stop's "down" is not news: the next owner connects and resyncs everyone.
    const events = this.stopping ? delivered.filter((e) => e.type !== "pbx.connection") : delivered;
    if (events.length === 0) return;
    if (driver === this.next) {
      if (!events.some((e) => e.type === "pbx.snapshot")) {
        this.counters.dropped += events.length;
        return;
      }
      if (this.nextTainted) {
        // A leg appeared while the new connection listed the PBX: its snapshot may lack it, and a snapshot
        // without a leg reads as "that leg's recording ended". Keep the old connection; try again soon.
        this.next = undefined;
        if (this.nextTimer) clearTimeout(this.nextTimer);
        this.lastRefresh = Date.now() - 50_000;
        this.counters.dropped += events.length;
        void driver.stop().catch(() => undefined);
        return;
      }
      // The fresh connection delivered its snapshot: from here on it is the connection.
      const old = this.active;
      this.active = driver;
      this.next = undefined;
      if (this.nextTimer) clearTimeout(this.nextTimer);
      this.counters.refreshes++;
      this.log.info("fresh PBX snapshot taken; switched to the new connection");
      void old.stop().catch(() => undefined);
    } else if (driver !== this.active) {
      this.counters.dropped += events.length;
      return;
    } else if (this.next && events.some((e) => e.type === "leg.created" || e.type === "recording.started")) {
      this.nextTainted = true;
    }
    this.pending.push({ events, token });
    if (!this.pumping) this.pumping = this.pump().finally(() => (this.pumping = undefined));
    this.appliedToken = token;
    this.deliver(events);
  }

  /**
   * Publishes what the real driver delivered, in order. Batches that piled up while Redis answered the
   * previous call go together in one round trip, so a busy PBX does not wait on one round trip per batch.
   */
  private async pump(): Promise<void> {
    let failures = 0;
    while (this.pending.length > 0) {
      const token = this.token;
      // A batch from an earlier ownership is not ours to write any more.
      while (this.pending.length > 0 && this.pending[0]!.token !== token) {
        this.counters.dropped += this.pending.shift()!.events.length;
      }
      const take = this.pending.slice(0, 200);
      if (take.length === 0) return;
      try {
        const { length } = await this.publisher.publishMany(
          take.map((p) => p.events),
          token,
        );
        this.pending.splice(0, take.length);
        for (const p of take) {
          this.counters.published += p.events.length;
          if (p.events.some((e) => e.type === "pbx.snapshot")) this.lastSnapshotAt = Date.now();
        }
        failures = 0;
        const old = Date.now() - this.lastSnapshotAt > (this.options.refreshSnapshotEveryMs ?? 3_600_000);
        if (length > (this.options.refreshSnapshotAfter ?? 10_000) || old) this.refreshSnapshot();
      } catch (err) {
        if (err instanceof FencedError) {
          this.counters.fenced++;
          this.log.warn({ err: err.message }, "event stream fenced: a newer owner took over");
          this.pending.length = 0;
          if (this.token === token) void this.lease.release();
          return;
        }
        // Redis trouble: keep the order and retry until Redis answers or the lease runs out.
        this.counters.publishRetries++;
        if (failures++ === 0) this.log.warn({ err }, "cannot publish PBX events; retrying");
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  /**
   * Keeps the stream short: connects a second real driver, and when its snapshot arrives it becomes the
   * connection and the old one is closed. Nothing is missed in between: the old connection publishes until
   * the new one's snapshot, and the new one follows it with everything it saw since it logged in (before
   * it listed the PBX's state), so an event both saw is applied twice at worst, which the model absorbs.
   */
  refreshSnapshot(): void {
    if (this.next || !this.isOwner() || this.stopping) return;
    if (Date.now() - this.lastRefresh < 60_000) return;
    this.lastRefresh = Date.now();
    const create = this.options.createDriver;
    if (!create) {
      if (!this.refreshWarned) {
        this.refreshWarned = true;
        this.log.warn(
          "event stream is long and no second connection can be made; it shortens on the next reconnect",
        );
      }
      return;
    }
    const next = create();
    this.watch(next);
    this.next = next;
    this.nextTainted = false;
    if (this.policy) void next.publishRecordingPolicy(this.policy).catch(() => undefined);
    next.start();
    this.nextTimer = setTimeout(() => {
      if (this.next !== next) return;
      this.next = undefined;
      this.log.warn("fresh PBX connection gave no snapshot within 30 s; keeping the current one");
      void next.stop().catch(() => undefined);
    }, 30_000);
    this.nextTimer.unref?.();
  }

  private fromStream(batch: StreamBatch): void {
    // Applied already (ours), or older than the snapshot this instance applied from its own connection.
    if (batch.token <= this.appliedToken) return;
    this.deliver(batch.events);
  }

  private deliver(events: PbxEvent[]): void {
    for (const e of events) {
      if (e.type === "pbx.snapshot") {
        this.streamConnected = true;
        this.streamSince = e.at;
      } else if (e.type === "pbx.connection") {
        this.streamConnected = e.state === "up";
        if (e.state === "up") this.streamSince = e.at;
      }
    }
    for (const listener of this.listeners) listener(events);
  }
}

function withDeadline(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p.then(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

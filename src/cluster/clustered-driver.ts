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
//
// Lease changes run one after the other, and none waits on Redis (or the PBX) without a bound: a Redis
// that went away must never leave a later "take the PBX over" queued behind a "let it go" that waits
// for a blocked read. While this instance applies no events (no lease, or a change in progress) its
// status says so, with the reason, and /readyz with it.
//
// An owner that cannot reach Redis has not lost the PBX to anyone: when its lease lapses on its own clock
// it keeps its connection and applies its events (isolation.ts), acting on nothing and publishing nothing
// until Redis answers. Then it reclaims the lease (same token: the batches it held are published), or owns
// the PBX under a new token (a fresh snapshot), or, when another instance holds the lease, stops its
// driver and follows the stream again from its last snapshot.

import type { Logger } from "pino";
import type { PbxEvent } from "../domain/events.js";
import type { CommandOutcome, PbxDriver, RecordingPolicyTable } from "../pbx/driver.js";
import { StepQueue, settleWithin, within } from "./bounded.js";
import { clusterStatus } from "./cluster-status.js";
import { CommandRelay } from "./command-relay.js";
import { EventPump } from "./event-pump.js";
import { EventStreamConsumer, EventStreamPublisher, type StreamBatch } from "./event-stream.js";
import { Isolation } from "./isolation.js";
import { type LeaseHolder, type LeaseLoss, PbxLease } from "./pbx-lease.js";
import { RoutedCommands } from "./routed-commands.js";
import { type ClusteredDriverOptions, type ClusteredDriverStatus, clusterInstanceId } from "./settings.js";
import { SnapshotRefresh } from "./snapshot-refresh.js";

/** How long a lease change waits for Redis or the PBX before it gives up on a step and goes on. */
const STEP_MS = 3000;

export {
  type ClusteredDriverOptions,
  type ClusteredDriverStatus,
  type ClusterSettings,
  clusterInstanceId,
} from "./settings.js";

export class ClusteredDriver extends RoutedCommands implements PbxDriver {
  readonly pbx: string;
  readonly instance: string;
  readonly lease: PbxLease;
  readonly relay: CommandRelay;
  readonly publisher: EventStreamPublisher;
  readonly consumer: EventStreamConsumer;
  private readonly listeners: ((events: PbxEvent[]) => void)[] = [];
  private readonly log: Logger;
  private active: PbxDriver;
  private readonly refresh: SnapshotRefresh;
  /** Fencing token while we own the PBX; 0 otherwise. */
  private token = 0;
  /** The newest token whose batches this instance applied straight from its own driver. */
  private appliedToken = 0;
  private policy: RecordingPolicyTable | undefined;
  /** Lease changes, one after the other. */
  private readonly transitions: StepQueue;
  /** Grows with every lease change: a step of an earlier one stops at its next await. */
  private epoch = 0;
  /** Why this instance last lost the lease. */
  private lostReason: string | undefined;
  /** The token of the lease this instance took last (whether or not it got to use it). */
  private leaseToken = 0;
  private readonly pump: EventPump;
  private stopping = false;
  /** The lease lapsed while Redis was unreachable: this instance keeps its PBX connection (see above). */
  private readonly isolation: Isolation;
  private streamConnected = false;
  private streamSince: number | undefined;
  readonly counters = { published: 0, publishRetries: 0, fenced: 0, dropped: 0, refreshes: 0 };

  constructor(private readonly options: ClusteredDriverOptions) {
    super();
    this.pbx = options.driver.pbx;
    this.instance = options.instance ?? clusterInstanceId();
    this.log = options.logger.child({ pbx: this.pbx, instance: this.instance, component: "cluster" });
    this.transitions = new StepQueue(STEP_MS * 2, (what, err) =>
      err
        ? this.log.error({ err }, `cluster: ${what} failed`)
        : this.log.warn(`cluster: ${what} still waiting after ${STEP_MS * 2} ms; going on`),
    );
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
      onReclaimed: (token) => this.reclaimed(token),
      onLost: (reason, how) => this.lost(reason, how),
      onHeldElsewhere: (holder) => this.heldElsewhere(holder),
      floor: () => Math.max(this.appliedToken, this.consumer.highestToken),
    });
    this.pump = new EventPump({
      publisher: this.publisher,
      logger: this.log,
      token: () => this.token,
      onFenced: () => void this.lease.release(),
      onPublished: (length, snapshot) => this.refresh.published(length, snapshot),
      paused: () => this.isolation.on,
      counters: this.counters,
    });
    this.refresh = new SnapshotRefresh({
      settings: options,
      logger: this.log,
      allowed: () => this.isOwner() && !this.stopping,
      watch: (driver) => this.watch(driver),
      policy: () => this.policy,
      counters: this.counters,
    });
    this.isolation = new Isolation({
      log: this.log,
      pump: this.pump,
      refresh: this.refresh,
      active: () => this.active,
      isOwner: () => this.isOwner(),
      policy: () => this.policy,
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

  isOwner(): boolean {
    return this.token > 0 && this.lease.held;
  }

  /** Whether this instance applies the PBX's events from its own connection: the owner, or an isolated one. */
  appliesOwnEvents(): boolean {
    return this.isOwner() || this.isolation.on;
  }

  /** Since when this instance has kept its PBX connection without reaching Redis (undefined: it has not). */
  get isolatedSince(): number | undefined {
    return this.isolation.current?.since;
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
    this.epoch++;
    if (this.isolation.on) {
      // Nothing to publish without Redis: the next owner's snapshot supersedes what was held.
      this.isolation.end();
      this.token = 0;
      await settleWithin(this.stopDrivers(), STEP_MS);
    } else if (this.isOwner()) {
      await settleWithin(this.stopDrivers(), STEP_MS);
      // What the driver delivered last reaches the stream, if Redis is there to take it.
      await this.pump.drain(this.options.redis.status === "ready" ? 2000 : 200);
    }
    await this.lease.stop();
    await this.transitions.idle(STEP_MS);
    await this.relay.unserve(1000);
    this.relay.close();
    await this.consumer.stop(1000);
  }

  status(): ClusteredDriverStatus {
    return clusterStatus({
      pbx: this.pbx,
      instance: this.instance,
      owner: this.isOwner(),
      isolated: this.isolation.current,
      stopping: this.stopping,
      changing: this.transitions.busy,
      leaseToken: this.lease.token,
      lostReason: this.lostReason,
      holder: this.lease.holder,
      real: this.active.status(),
      streamConnected: this.streamConnected,
      streamSince: this.streamSince,
      stream: this.consumer.position,
      streamTrouble: this.consumer.trouble,
    });
  }

  endpointForExtension(extension: string): string {
    return this.active.endpointForExtension(extension);
  }

  // ---- commands: the real driver on the owner, the relay elsewhere (RoutedCommands) ------------

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

  protected get real(): PbxDriver {
    return this.active;
  }

  protected get cutOff(): boolean {
    return this.isolation.on;
  }

  // ---- ownership --------------------------------------------------------------------------------

  private acquired(token: number): void {
    const epoch = ++this.epoch;
    this.leaseToken = token;
    const current = () => epoch === this.epoch && !this.stopping && this.lease.token === token;
    this.transitions.run("taking the PBX connection over", async () => {
      if (!current()) return;
      // Fence every older writer before the first event of ours can exist.
      let claimed: boolean;
      try {
        claimed = await within(this.publisher.claim(token), STEP_MS, "claiming the event stream");
      } catch (err) {
        if (!current()) return;
        // Give the lease up rather than hold it without using it: it is taken again on a later round.
        this.log.warn({ err, token }, "cannot claim the event stream; giving the PBX lease up to retry");
        await this.lease.release();
        return;
      }
      if (!current()) return;
      if (!claimed) {
        this.log.warn({ token }, "a newer owner claimed the event stream; giving the lease up");
        await this.lease.release();
        return;
      }
      const wasIsolated = this.isolation.on;
      this.token = token;
      this.relay.serve((cmd) => this.executeRelayed(cmd));
      if (this.policy) await settleWithin(this.active.publishRecordingPolicy(this.policy), STEP_MS);
      if (this.token !== token || !current()) return;
      this.lostReason = undefined;
      // Still connected after an isolation: a fresh snapshot, not a new connection.
      if (wasIsolated) return this.isolation.renewed(token);
      this.active.start();
      this.log.info({ token }, "owner of the PBX connection: connecting");
    });
  }

  /** Redis is back and nobody took the lease meanwhile: the held batches go to the stream, in order. */
  private reclaimed(token: number): void {
    if (!this.isolation.on || token !== this.token || this.stopping) {
      void this.lease.release();
      return;
    }
    this.lostReason = undefined;
    this.isolation.reclaimed(token);
  }

  private heldElsewhere(holder: LeaseHolder): void {
    if (!this.isolation.on || this.stopping) return;
    this.lost(`instance ${holder.instance} took the PBX over while this one could not reach Redis`, "taken");
  }

  private lost(reason: string, how: LeaseLoss): void {
    if (this.isolation.on) {
      // Only another instance holding the lease ends it (a new lease given back, or lapsed: still isolated).
      if (how !== "taken" && !this.stopping) return;
      this.isolation.end();
      // Its model followed its own connection: from here on it follows the stream, from its last snapshot.
      this.consumer.rewind();
    } else if (how === "lapsed" && this.token > 0 && !this.stopping) {
      this.lostReason = reason;
      this.isolation.begin(reason);
      return;
    }
    this.epoch++;
    // Synchronously: from here on nothing the real driver delivers is published or applied.
    this.token = 0;
    if (how !== "released") this.lostReason = reason;
    // The model no longer follows the PBX until the next owner's snapshot (which every new owner's
    // connection starts with): say so to it, as a dropped connection would — unless a newer owner's
    // entries (its snapshot first) were read already (this process was paused, say).
    if (!this.stopping && this.consumer.highestToken <= this.leaseToken)
      this.deliver([{ pbx: this.pbx, at: Date.now(), type: "pbx.connection", state: "down" }]);
    this.transitions.run("letting the PBX connection go", async () => {
      await this.relay.unserve(1000);
      await settleWithin(this.stopDrivers(), STEP_MS);
      this.log.info({ reason }, "no longer the owner of the PBX connection");
    });
  }

  private async stopDrivers(): Promise<void> {
    await Promise.all([this.active.stop(), this.refresh.cancel()]);
  }

  // ---- events: real driver -> stream -> listeners (the owner's: real driver -> listeners) ----------

  private watch(driver: PbxDriver): void {
    driver.onEvents((events) => this.fromDriver(driver, events));
  }

  private fromDriver(driver: PbxDriver, delivered: PbxEvent[]): void {
    const token = this.token;
    if (token === 0 || !(this.lease.held || this.isolation.on)) {
      // Not ours to publish any more (the stream would refuse it too: see the fencing in event-stream.ts).
      this.counters.dropped += delivered.length;
      return;
    }
    // A deliberate stop's "down" is not news: the next owner connects and resyncs everyone.
    const events = this.stopping ? delivered.filter((e) => e.type !== "pbx.connection") : delivered;
    if (events.length === 0) return;
    if (driver === this.refresh.connecting) {
      if (!this.refresh.fromNext(driver, events)) return;
      // The fresh connection delivered its snapshot: from here on it is the connection.
      const old = this.active;
      this.active = driver;
      void old.stop().catch(() => undefined);
    } else if (driver !== this.active) {
      this.counters.dropped += events.length;
      return;
    } else {
      this.refresh.current(events);
    }
    this.pump.push(events, token);
    this.isolation.held();
    this.appliedToken = token;
    this.deliver(events);
  }

  /** Takes a fresh snapshot on a second connection (see snapshot-refresh.ts). */
  refreshSnapshot(): void {
    this.refresh.start();
  }

  private fromStream(batch: StreamBatch): void {
    // Applied already (ours), or older than the snapshot this instance applied from its own connection;
    // or this instance follows its own connection while isolated (read again if another owner took over).
    if (batch.token <= this.appliedToken || this.isolation.on) return;
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

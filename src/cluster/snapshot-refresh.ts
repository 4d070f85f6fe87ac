// Keeps the owner's event stream short: when it grows long (or its last snapshot is old), the owner
// connects a second real driver, and when that one's snapshot arrives it becomes the connection and the
// old one is closed. Nothing is missed in between: the old connection publishes until the new one's
// snapshot, and the new one follows it with everything it saw since it logged in (before it listed the
// PBX's state), so an event both saw is applied twice at worst, which the model absorbs.

import type { Logger } from "pino";
import type { PbxEvent } from "../domain/events.js";
import type { PbxDriver, RecordingPolicyTable } from "../pbx/driver.js";

export interface SnapshotRefreshSettings {
  /** Builds another real driver for the same PBX; without it the stream shortens on reconnects only. */
  createDriver?: () => PbxDriver;
  /** Refresh when the stream holds more entries than this (default 10 000) … */
  refreshSnapshotAfter?: number;
  /** … or when the last snapshot is older than this (default 1 h). */
  refreshSnapshotEveryMs?: number;
}

export interface SnapshotRefreshOptions {
  settings: SnapshotRefreshSettings;
  logger: Logger;
  /** Whether a refresh may start now (this instance owns the PBX and is not stopping). */
  allowed: () => boolean;
  /** Hooks a new driver's events up. */
  watch: (driver: PbxDriver) => void;
  policy: () => RecordingPolicyTable | undefined;
  counters: { dropped: number; refreshes: number };
}

export class SnapshotRefresh {
  /** The second real driver while it connects; it replaces the current one once it delivered a snapshot. */
  private next: PbxDriver | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastRefresh = 0;
  /** The current connection saw a leg appear while `next` was connecting: `next`'s snapshot may be stale. */
  private tainted = false;
  private lastSnapshotAt = Date.now();
  private warned = false;
  /** A fresh snapshot is owed (a new owner that kept its connection): retried soon, not once a minute. */
  private forced = false;
  private retryAt = 0;

  constructor(private readonly options: SnapshotRefreshOptions) {}

  /** The driver connecting for a fresh snapshot, if any. */
  get connecting(): PbxDriver | undefined {
    return this.next;
  }

  /** After a publish: the stream's length, and whether the batches carried a snapshot. */
  published(length: number, snapshot: boolean): void {
    if (snapshot) this.lastSnapshotAt = Date.now();
    const old =
      Date.now() - this.lastSnapshotAt > (this.options.settings.refreshSnapshotEveryMs ?? 3_600_000);
    if (length > (this.options.settings.refreshSnapshotAfter ?? 10_000) || old || this.forced) this.start();
  }

  /**
   * Starts connecting a second driver (at most once a minute; `force`: until one delivered its snapshot,
   * retried a few seconds after a failed try). False when no second driver can be made.
   */
  start(force = false): boolean {
    const create = this.options.settings.createDriver;
    if (force) this.forced = true;
    if (this.next || !this.options.allowed()) return create !== undefined;
    if (this.forced ? Date.now() < this.retryAt : Date.now() - this.lastRefresh < 60_000) return true;
    this.lastRefresh = Date.now();
    if (!create) {
      this.forced = false;
      if (!this.warned) {
        this.warned = true;
        this.options.logger.warn(
          "event stream is long and no second connection can be made; it shortens on the next reconnect",
        );
      }
      return false;
    }
    const next = create();
    this.options.watch(next);
    this.next = next;
    this.tainted = false;
    const policy = this.options.policy();
    if (policy) void next.publishRecordingPolicy(policy).catch(() => undefined);
    next.start();
    this.timer = setTimeout(() => {
      if (this.next !== next) return;
      this.next = undefined;
      this.options.logger.warn("fresh PBX connection gave no snapshot within 30 s; keeping the current one");
      this.retryLater();
      void next.stop().catch(() => undefined);
    }, 30_000);
    this.timer.unref?.();
    return true;
  }

  /** Events of the current connection: a new leg while the second one connects taints its snapshot. */
  current(events: readonly PbxEvent[]): void {
    if (this.next && events.some((e) => e.type === "leg.created" || e.type === "recording.started")) {
      this.tainted = true;
    }
  }

  /**
   * Events of the connecting driver: true when they carry its snapshot and it is now the connection (the
   * caller switches to it and closes the old one); false when they are dropped.
   */
  fromNext(driver: PbxDriver, events: readonly PbxEvent[]): boolean {
    if (!events.some((e) => e.type === "pbx.snapshot")) {
      this.options.counters.dropped += events.length;
      return false;
    }
    this.next = undefined;
    if (this.timer) clearTimeout(this.timer);
    if (this.tainted) {
      // A leg appeared while the new connection listed the PBX: its snapshot may lack it, and a snapshot
      // without a leg reads as "that leg's recording ended". Keep the old connection; try again soon.
      this.lastRefresh = Date.now() - 50_000;
      this.retryLater();
      this.options.counters.dropped += events.length;
      void driver.stop().catch(() => undefined);
      return false;
    }
    this.options.counters.refreshes++;
    this.forced = false;
    this.options.logger.info("fresh PBX snapshot taken; switched to the new connection");
    return true;
  }

  /** A forced refresh that failed is tried again in a couple of seconds, events or not. */
  private retryLater(): void {
    if (!this.forced) return;
    this.retryAt = Date.now() + 2000;
    const timer = setTimeout(() => {
      if (this.forced) this.start();
    }, 2100);
    timer.unref?.();
  }

  /** Gives up the connecting driver (lease lost, stopping); resolves once it stopped. */
  async cancel(): Promise<void> {
    const next = this.next;
    this.next = undefined;
    this.forced = false;
    if (this.timer) clearTimeout(this.timer);
    await next?.stop();
  }
}

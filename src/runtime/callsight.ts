// The running system: directory (from Redis, seeded by callsight.yaml), PBX drivers feeding the live
// model, and the board hub that turns model changes into per-viewer deltas.

import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { StatusBook } from "../api/status/status-book.js";
import { settleWithin } from "../cluster/bounded.js";
import { type CallsightConfig, type DirectoryDocument, directoryFromDocument } from "../config/load.js";
import type { Directory } from "../domain/directory.js";
import type { PbxEvent } from "../domain/events.js";
import { LiveModel, type ModelChange } from "../domain/live-model.js";
import { dayIn } from "../domain/queue-book.js";
import type { PbxDriver } from "../pbx/driver.js";
import { DirectoryStore, type StoredDirectory } from "../stores/directory-store.js";
import { HistoryStore } from "../stores/history-store.js";
import { HistoryRecorder } from "./history-recorder.js";

export type ModelListener = (changes: ModelChange[], events: readonly PbxEvent[]) => void;

export interface CallsightOptions {
  config: CallsightConfig;
  redis: Redis;
  prefix: string;
  drivers: PbxDriver[];
  logger: Logger;
}

export class Callsight {
  readonly model: LiveModel;
  /** Each extension's chosen status and note as its PBX reports them (api/status/), from the first event on. */
  readonly statuses = new StatusBook();
  readonly store: DirectoryStore;
  /** The call history (every ended call, written by every instance; the store keeps one row per call). */
  readonly history: HistoryStore;
  readonly historyRecorder: HistoryRecorder;
  private stored: StoredDirectory;
  private current: Directory;
  private readonly listeners = new Set<ModelListener>();
  private readonly directoryListeners = new Set<(d: Directory) => void>();
  private unsubscribe: (() => Promise<void>) | undefined;
  /** Checks each minute whether a new day began for the queues' day counters. */
  private dayTimer: ReturnType<typeof setInterval> | undefined;
  readonly counters = { events: 0, batches: 0 };
  /** Per PBX: when the model last applied a snapshot, while the connection has stayed up since. */
  private readonly resyncedAt = new Map<string, number>();

  constructor(private readonly options: CallsightOptions) {
    this.current = options.config.directory;
    this.stored = { version: 0, document: options.config.document };
    // The board tells viewers about each PBX link; users of a PBX not connected yet show offline.
    this.model = new LiveModel(this.current, {
      links: options.drivers.map((d) => d.pbx),
      dayOf: dayIn(options.config.timeZone),
    });
    this.store = new DirectoryStore(options.redis, options.prefix);
    this.history = new HistoryStore(options.redis, options.prefix, {
      retentionDays: options.config.history.retentionDays,
    });
    this.historyRecorder = new HistoryRecorder({
      store: this.history,
      logger: options.logger,
      users: () => [...this.current.users.keys()],
    });
    for (const driver of options.drivers) driver.onEvents((events) => this.apply(events));
  }

  get redis(): Redis {
    return this.options.redis;
  }

  get config(): CallsightConfig {
    return this.options.config;
  }

  get directory(): Directory {
    return this.current;
  }

  get directoryVersion(): number {
    return this.stored.version;
  }

  get document(): DirectoryDocument {
    return this.stored.document;
  }

  driver(pbx: string): PbxDriver | undefined {
    return this.options.drivers.find((d) => d.pbx === pbx);
  }

  get drivers(): readonly PbxDriver[] {
    return this.options.drivers;
  }

  /** When the model was last resynced from this PBX (undefined: not since the connection went down). */
  resynced(pbx: string): number | undefined {
    return this.resyncedAt.get(pbx);
  }

  onModelChange(listener: ModelListener): void {
    this.listeners.add(listener);
  }

  onDirectoryChange(listener: (d: Directory) => void): void {
    this.directoryListeners.add(listener);
  }

  /** Loads (or seeds) the directory, follows changes from other instances, and connects to the PBXes. */
  async start(): Promise<void> {
    const stored = await this.store.seed(this.options.config.document);
    this.useStored(stored);
    this.unsubscribe = await this.store.subscribe((s) => this.useStored(s));
    this.historyRecorder.start();
    this.dayTimer = setInterval(() => this.publish(this.model.rollQueueDay(Date.now()), []), 60_000);
    this.dayTimer.unref();
    for (const driver of this.options.drivers) driver.start();
  }

  async stop(): Promise<void> {
    this.historyRecorder.stop();
    clearInterval(this.dayTimer);
    await Promise.all([
      ...this.options.drivers.map((d) => d.stop()),
      // Bounded: with Redis away the subscription's goodbye may never be answered.
      settleWithin(this.unsubscribe?.(), 500),
    ]);
  }

  apply(events: readonly PbxEvent[]): void {
    const changes: ModelChange[] = [];
    for (const event of events) {
      if (event.type === "pbx.snapshot") this.resyncedAt.set(event.pbx, event.at);
      else if (event.type === "pbx.connection" && event.state !== "up") this.resyncedAt.delete(event.pbx);
      for (const c of this.model.apply(event)) changes.push(c);
    }
    this.statuses.observe(events);
    this.counters.events += events.length;
    this.counters.batches++;
    this.publish(changes, events);
  }

  private publish(changes: ModelChange[], events: readonly PbxEvent[]): void {
    if (changes.length === 0 && events.length === 0) return;
    this.historyRecorder.observe(changes);
    for (const l of this.listeners) l(changes, events);
  }

  /** Validates and stores a new directory document; all instances pick it up. */
  async replaceDirectory(document: unknown, expectedVersion = this.stored.version): Promise<StoredDirectory> {
    const { document: valid } = directoryFromDocument(this.options.config, document);
    const stored = await this.store.replace(valid, expectedVersion);
    this.useStored(stored);
    return stored;
  }

  private useStored(stored: StoredDirectory): void {
    if (stored.version < this.stored.version) return;
    try {
      const { directory } = directoryFromDocument(this.options.config, stored.document, "stored directory");
      this.stored = stored;
      this.current = directory;
    } catch (err) {
      // A stored document that no longer fits the configuration (e.g. a PBX was removed): keep running on
      // the last good directory and say why.
      this.options.logger.error({ err }, "stored directory rejected; keeping the previous one");
      return;
    }
    const changes = this.model.setDirectory(this.current);
    for (const l of this.directoryListeners) l(this.current);
    if (changes.length > 0) for (const l of this.listeners) l(changes, []);
  }
}

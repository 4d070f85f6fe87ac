// Writes the call history: the row of every call that ends in the live model goes to the history store, and
// rows past the retention are trimmed every hour. Every instance applies every event and so writes every
// row; the store keeps the first (one row per call).

import type { Logger } from "pino";
import { historyRow } from "../domain/call-history.js";
import type { ModelChange } from "../domain/live-model.js";
import type { HistoryStore } from "../stores/history-store.js";

export const HISTORY_TRIM_EVERY_MS = 3_600_000;

export interface HistoryRecorderOptions {
  store: HistoryStore;
  logger: Logger;
  /** The directory's users now (their own index is trimmed too). */
  users: () => readonly string[];
  trimEveryMs?: number;
}

export class HistoryRecorder {
  private readonly pending = new Set<Promise<unknown>>();
  private timer: ReturnType<typeof setInterval> | undefined;
  readonly counters = { written: 0, duplicates: 0, failed: 0, trimmed: 0 };

  constructor(private readonly options: HistoryRecorderOptions) {}

  /** Model changes: each ended call's row is stored (without waiting). */
  observe(changes: readonly ModelChange[]): void {
    for (const change of changes) {
      if (change.kind !== "call-ended") continue;
      const row = historyRow(change.call);
      this.track(
        this.options.store.add(row).then(
          (added) => {
            if (added) this.counters.written++;
            else this.counters.duplicates++;
          },
          (err: unknown) => {
            this.counters.failed++;
            this.options.logger.warn({ err, call: row.call, pbx: row.pbx }, "call history: row not stored");
          },
        ),
      );
    }
  }

  /** Trims now and then every hour until stop(). */
  start(): void {
    this.trim();
    this.timer = setInterval(() => this.trim(), this.options.trimEveryMs ?? HISTORY_TRIM_EVERY_MS);
    this.timer.unref();
  }

  trim(): void {
    this.track(
      this.options.store.trim(undefined, this.options.users()).then(
        (removed) => {
          this.counters.trimmed += removed;
        },
        (err: unknown) => this.options.logger.warn({ err }, "call history: trim failed; trying again later"),
      ),
    );
  }

  /** Resolves once every write and trim started so far has finished. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private track(p: Promise<unknown>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }
}

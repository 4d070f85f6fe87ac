// The owner's side of the event stream: what its real driver delivered, published in order with its
// fencing token. Batches that piled up while Redis answered the previous call go together in one round
// trip, so a busy PBX does not wait on one round trip per batch. Redis trouble is retried (in order)
// for as long as the batches' ownership lasts; a batch of an earlier ownership is dropped. While the
// owner is cut off from Redis (its lease lapsed, see ClusteredDriver) the pump holds its batches and
// publishes them, in order, once the lease is reclaimed.

import type { Logger } from "pino";
import type { PbxEvent } from "../domain/events.js";
import { settleWithin } from "./bounded.js";
import { type EventStreamPublisher, FencedError } from "./event-stream.js";

export interface PumpCounters {
  published: number;
  publishRetries: number;
  fenced: number;
  dropped: number;
}

export interface EventPumpOptions {
  publisher: EventStreamPublisher;
  logger: Logger;
  /** The token of the current ownership (0: none); batches pushed with another one are dropped. */
  token: () => number;
  /** A newer owner fenced the stream off while `token` was ours. */
  onFenced: (token: number) => void;
  /** After each successful round trip: the stream's length, and whether it carried a snapshot. */
  onPublished: (length: number, snapshot: boolean) => void;
  /** While true, batches are kept (not published, not dropped). */
  paused?: () => boolean;
  counters: PumpCounters;
}

export class EventPump {
  private readonly pendingBatches: { events: PbxEvent[]; token: number }[] = [];
  private pumping: Promise<void> | undefined;

  constructor(private readonly options: EventPumpOptions) {}

  push(events: PbxEvent[], token: number): void {
    this.pendingBatches.push({ events, token });
    if (!this.pumping) this.pumping = this.pump().finally(() => (this.pumping = undefined));
  }

  /** Batches waiting to be published. */
  get pending(): number {
    return this.pendingBatches.length;
  }

  /** Drops every batch waiting (they are superseded by a fresh snapshot). */
  clear(): void {
    for (const p of this.pendingBatches.splice(0)) this.options.counters.dropped += p.events.length;
  }

  /** Waits (at most `ms`) until everything pushed so far is published or dropped; true when it was. */
  drain(ms: number): Promise<boolean> {
    return settleWithin(this.pumping, ms);
  }

  private async pump(): Promise<void> {
    const { counters, publisher, logger } = this.options;
    let failures = 0;
    while (this.pendingBatches.length > 0) {
      const token = this.options.token();
      if (token !== 0 && this.options.paused?.()) {
        await new Promise((r) => setTimeout(r, 250));
        continue;
      }
      // A batch from an earlier ownership is not ours to write any more.
      while (this.pendingBatches.length > 0 && this.pendingBatches[0]!.token !== token) {
        counters.dropped += this.pendingBatches.shift()!.events.length;
      }
      const take = this.pendingBatches.slice(0, 200);
      if (take.length === 0) return;
      try {
        const { length } = await publisher.publishMany(
          take.map((p) => p.events),
          token,
        );
        this.pendingBatches.splice(0, take.length);
        let snapshot = false;
        for (const p of take) {
          counters.published += p.events.length;
          if (p.events.some((e) => e.type === "pbx.snapshot")) snapshot = true;
        }
        failures = 0;
        this.options.onPublished(length, snapshot);
      } catch (err) {
        if (err instanceof FencedError) {
          counters.fenced++;
          logger.warn({ err: err.message }, "event stream fenced: a newer owner took over");
          this.pendingBatches.length = 0;
          if (this.options.token() === token) this.options.onFenced(token);
          return;
        }
        // Redis trouble: keep the order and retry until Redis answers or the lease runs out.
        counters.publishRetries++;
        if (failures++ === 0) logger.warn({ err }, "cannot publish PBX events; retrying");
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }
}

// An owner cut off from Redis (see ClusteredDriver): its PBX lease lapsed on its own clock, but nobody
// took the PBX from it, so it keeps its PBX connection and applies what the driver delivers, holding the
// batches for the event stream. This says since when and why, and what the stream is owed once Redis is
// back: the held batches (lease reclaimed with the same token) or a fresh snapshot (a new token, or more
// held than is worth keeping).

import type { Logger } from "pino";
import type { PbxDriver, RecordingPolicyTable } from "../pbx/driver.js";
import { settleWithin } from "./bounded.js";
import type { EventPump } from "./event-pump.js";
import type { SnapshotRefresh } from "./snapshot-refresh.js";

/** Batches held for the stream at most; beyond, a fresh snapshot replaces them. */
const MAX_HELD_BATCHES = 20_000;
const STEP_MS = 3000;

export interface IsolationHost {
  log: Logger;
  pump: EventPump;
  refresh: SnapshotRefresh;
  /** The real driver in use now. */
  active(): PbxDriver;
  isOwner(): boolean;
  policy(): RecordingPolicyTable | undefined;
}

export class Isolation {
  private state: { since: number; reason: string } | undefined;
  /** The held batches were dropped: the stream needs a fresh snapshot instead. */
  private heldDropped = false;

  constructor(private readonly host: IsolationHost) {}

  /** Since when, and why, while isolated. */
  get current(): { since: number; reason: string } | undefined {
    return this.state;
  }

  get on(): boolean {
    return this.state !== undefined;
  }

  begin(reason: string): void {
    this.state = { since: Date.now(), reason };
    this.host.log.warn(
      { reason },
      "Redis unreachable: keeping the PBX connection and applying its events here; published or superseded once Redis is back",
    );
  }

  /** Not isolated any more (stopping, or another instance took the PBX over). */
  end(): void {
    this.state = undefined;
    this.heldDropped = false;
  }

  /** After a batch was held: past the limit, the held batches give way to a fresh snapshot later. */
  held(): void {
    if (this.state && this.host.pump.pending > MAX_HELD_BATCHES) {
      this.host.pump.clear();
      this.heldDropped = true;
    }
  }

  /** The lapsed lease is ours again, same token: the pump publishes what it held (it no longer pauses). */
  reclaimed(token: number): void {
    const since = this.state?.since ?? Date.now();
    const dropped = this.heldDropped;
    this.end();
    this.host.log.info(
      { token, awayMs: Date.now() - since, held: this.host.pump.pending },
      "Redis is back: PBX lease reclaimed; publishing the events applied meanwhile",
    );
    if (dropped) void this.freshSnapshot();
    this.rewritePolicy();
  }

  /** Owner again under a new token: what was held is not ours to publish any more, a fresh snapshot is. */
  async renewed(token: number): Promise<void> {
    this.end();
    this.host.pump.clear();
    this.host.log.info(
      { token },
      "Redis is back: owner of the PBX connection under a new lease; fresh snapshot",
    );
    await this.freshSnapshot();
  }

  /** A fresh snapshot for the stream without losing the connection (a second one), else by reconnecting. */
  private async freshSnapshot(): Promise<void> {
    if (this.host.refresh.start(true)) return;
    const driver = this.host.active();
    await settleWithin(driver.stop(), STEP_MS);
    if (this.host.isOwner()) driver.start();
  }

  private rewritePolicy(): void {
    const policy = this.host.policy();
    if (policy) void settleWithin(this.host.active().publishRecordingPolicy(policy), STEP_MS);
  }
}

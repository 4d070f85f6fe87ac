// Stasis housekeeping: the driver's bookkeeping of channels, done for every ARI event before it is
// translated. Which channels are in Callsight's Stasis app (StasisStart .. StasisEnd), which ones went
// lately (ChannelDestroyed), the waits for the driver's own channels they settle (channel-waiters.ts), and
// word to whom a channel's end concerns (Callsight's monitoring sessions and recordings, the companion).

import { type ChannelWait, ChannelWaiters } from "./channel-waiters.js";
import type { AriChannel, AriEvent } from "./types.js";

const RECENT_KEPT = 512;

export interface StasisContext {
  /** Callsight's Stasis application name. */
  app: string;
  /** A channel was destroyed (after its waits are settled). */
  channelDestroyed(id: string): void;
}

export class StasisChannels {
  /** Channels in this app's Stasis (StasisStart .. StasisEnd). */
  private readonly stasis = new Set<string>();
  private readonly recentlyDestroyed = new Set<string>();
  private readonly waiters = new ChannelWaiters();

  constructor(private readonly ctx: StasisContext) {}

  /** Whether the channel is in Callsight's Stasis app now. */
  has(id: string): boolean {
    return this.stasis.has(id);
  }

  /** Whether ARI has seen the channel end (the last RECENT_KEPT of them). */
  gone(id: string): boolean {
    return this.recentlyDestroyed.has(id);
  }

  /** Whether an operation waits for this channel now. */
  awaited(id: string): boolean {
    return this.waiters.has(id);
  }

  /** Waits for a channel this driver made to enter the app (StasisStart) or to go away. */
  waitChannel(id: string, timeoutMs: number): Promise<ChannelWait> {
    if (this.stasis.has(id)) return Promise.resolve("started");
    if (this.recentlyDestroyed.has(id)) return Promise.resolve("destroyed");
    return this.waiters.wait(id, timeoutMs);
  }

  /** Bookkeeping for the driver's own channels: Stasis membership, waiters, monitor/recording cleanup. */
  event(e: AriEvent): void {
    const ch = e.channel;
    const id = typeof ch?.id === "string" ? ch.id : undefined;
    if (!id) return;
    if (e.type === "StasisStart" && (e.application === undefined || e.application === this.ctx.app)) {
      this.stasis.add(id);
      this.waiters.settle(id, "started");
    } else if (e.type === "StasisEnd") {
      this.stasis.delete(id);
    } else if (e.type === "ChannelDestroyed") {
      this.stasis.delete(id);
      this.recentlyDestroyed.add(id);
      if (this.recentlyDestroyed.size > RECENT_KEPT) {
        const oldest = this.recentlyDestroyed.values().next().value;
        if (oldest !== undefined) this.recentlyDestroyed.delete(oldest);
      }
      this.waiters.settle(id, "destroyed");
      this.ctx.channelDestroyed(id);
    }
  }

  /**
   * A resync: the channels in this app, from GET /channels (`Stasis` running with this app's name).
   * Channels in this app outlive a lost WebSocket on the PBX side.
   */
  resynced(channels: readonly AriChannel[]): void {
    this.stasis.clear();
    for (const c of channels) {
      const app = c.dialplan?.app_name === "Stasis" ? (c.dialplan.app_data ?? "").split(",")[0] : undefined;
      if (app === this.ctx.app) this.stasis.add(c.id);
    }
  }

  /** The ARI session ended: every wait is over. */
  disconnected(): void {
    this.waiters.disconnected();
  }
}

// The operations waiting for one of the driver's own channels (a snoop, the supervisor's phone) to enter
// Callsight's Stasis app or to go away: a map of the few channels waited for, settled by the one event
// handler (stasis.ts), never a listener per channel.

/** What became of a channel waited for; `disconnected`: the ARI session ended first. */
export type ChannelWait = "started" | "destroyed" | "timeout" | "disconnected";

interface Waiter {
  resolve(result: ChannelWait): void;
}

export class ChannelWaiters {
  private readonly waiters = new Map<string, Waiter[]>();

  /** Whether an operation waits for this channel now. */
  has(id: string): boolean {
    return this.waiters.has(id);
  }

  /** Waits for `settle` on the channel, at most `timeoutMs`. */
  wait(id: string, timeoutMs: number): Promise<ChannelWait> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => done("timeout"), timeoutMs);
      const waiter: Waiter = { resolve: (r) => done(r) };
      const list = this.waiters.get(id) ?? [];
      list.push(waiter);
      this.waiters.set(id, list);
      const waiters = this.waiters;
      function done(r: ChannelWait): void {
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

  settle(id: string, result: "started" | "destroyed"): void {
    const list = this.waiters.get(id);
    if (!list) return;
    for (const w of [...list]) w.resolve(result);
  }

  /** The ARI session ended: every wait is over. */
  disconnected(): void {
    for (const id of [...this.waiters.keys()]) {
      for (const w of [...(this.waiters.get(id) ?? [])]) w.resolve("disconnected");
    }
  }
}

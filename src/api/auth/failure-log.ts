// Failed authentications are logged at warn, but a client hammering the API cannot flood the log: one line
// per address per interval (the next line says how many failures it stands for), and at most
// `maxLines` lines per interval over all addresses. The token is never logged.

import type { Logger } from "pino";

export interface FailureNote {
  address: string;
  reason: string;
  method: string;
  /** The path, without the query (a query may carry a token). */
  path: string;
}

export class FailureLog {
  /** Address -> when its last line was written and the failures since. */
  private readonly byAddress = new Map<string, { at: number; unlogged: number }>();
  private windowStart = 0;
  private linesInWindow = 0;
  private droppedInWindow = 0;

  constructor(
    private readonly logger: Logger,
    private readonly options: { intervalMs?: number; maxLines?: number; now?: () => number } = {},
  ) {}

  note(failure: FailureNote): void {
    const now = (this.options.now ?? Date.now)();
    const interval = this.options.intervalMs ?? 10_000;
    const maxLines = this.options.maxLines ?? 20;
    if (now - this.windowStart >= interval) {
      if (this.droppedInWindow > 0) {
        this.logger.warn(
          { failures: this.droppedInWindow, intervalMs: interval },
          "authentication failed from more addresses than are logged one by one",
        );
      }
      this.windowStart = now;
      this.linesInWindow = 0;
      this.droppedInWindow = 0;
      // Addresses whose last line is a whole interval old: what they did since goes out now, and they
      // are forgotten (a next failure gets a line of its own at once).
      for (const [address, seen] of this.byAddress) {
        if (now - seen.at < interval) continue;
        if (seen.unlogged > 0)
          this.logger.warn({ address, failures: seen.unlogged }, "authentication failed (repeated)");
        this.byAddress.delete(address);
      }
    }
    const seen = this.byAddress.get(failure.address);
    if (seen) {
      seen.unlogged++;
      return;
    }
    if (this.linesInWindow >= maxLines) {
      this.droppedInWindow++;
      return;
    }
    this.linesInWindow++;
    this.byAddress.set(failure.address, { at: now, unlogged: 0 });
    this.logger.warn({ ...failure, failures: 1 }, "authentication failed");
  }
}

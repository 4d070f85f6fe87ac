// What every PBX driver does around its protocol: keep one connection going until stopped (sessions one
// after another, a capped, growing, jittered wait between attempts, reset once a session got up) and say
// whether it is up, since when and why it last failed. Its companions: `event-listeners.ts` (handing what
// a driver delivers to every listener) and `input-problems.ts` (reporting input it could not use).

import type { Logger } from "pino";
import type { DriverStatus } from "./driver.js";

export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  /** Random source in [0, 1) for the jitter (tests pass a fixed one). */
  random?: () => number;
}

/** Full jitter: a uniform draw below min(max, initial × 2^attempt). */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const initial = options.initialMs ?? 500;
  const max = options.maxMs ?? 30_000;
  const ceiling = Math.min(max, initial * 2 ** Math.min(attempt, 30));
  return Math.floor((options.random ?? Math.random)() * ceiling);
}

export interface SupervisorOptions {
  /** One session from connect to close; true when it got as far as a delivered snapshot. */
  runSession(): Promise<boolean>;
  /** A session failed (before or after it got up); `inARow` counts failures since the last session that got up. */
  onFailure(err: Error, inARow: number): void;
  /** Each connection attempt. */
  onAttempt?(): void;
  backoff?: BackoffOptions;
  /** The least wait after this failure, whatever the jitter draws (e.g. refused credentials). */
  leastDelayAfter?(err: Error): number;
}

export class ConnectionSupervisor {
  private active = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** Sessions that got up and later ended, i.e. reconnections. */
  reconnects = 0;
  /** True while a session is up (resynced and not ended yet). */
  connected = false;
  /** When the current session got up. */
  private since: number | undefined;
  /** Why the last session ended or the last attempt failed (cleared when a session gets up). */
  private lastError: string | undefined;

  constructor(private readonly options: SupervisorOptions) {}

  /** A driver's supervisor: counts its attempts and logs each failure as "<link> session failed". */
  static forDriver(o: {
    pbx: string;
    /** The protocol, as the log names it: "AMI", "ARI", "ESL". */
    link: string;
    log: Logger;
    counters: { connectAttempts: number };
    backoff: BackoffOptions | undefined;
    runSession(): Promise<boolean>;
    leastDelayAfter?(err: Error): number;
  }): ConnectionSupervisor {
    return new ConnectionSupervisor({
      runSession: o.runSession,
      onAttempt: () => {
        o.counters.connectAttempts++;
      },
      onFailure: (err, attempt) => {
        o.log.warn({ pbx: o.pbx, attempt, err: err.message }, `${o.link} session failed`);
      },
      ...(o.backoff ? { backoff: o.backoff } : {}),
      ...(o.leastDelayAfter ? { leastDelayAfter: o.leastDelayAfter } : {}),
    });
  }

  get running(): boolean {
    return this.active;
  }

  /** The session got up (connected and resynced) at `at`. */
  markUp(at: number): void {
    this.connected = true;
    this.since = at;
    this.lastError = undefined;
  }

  /** The session that was up ended. */
  markDown(reason: Error): void {
    this.connected = false;
    this.lastError = reason.message;
  }

  status(pbx: string, driver: string): DriverStatus {
    const s: DriverStatus = { pbx, driver, connected: this.connected, reconnects: this.reconnects };
    if (this.since !== undefined) s.since = this.since;
    if (this.lastError !== undefined) s.lastError = this.lastError;
    return s;
  }

  start(): void {
    if (this.active) return;
    this.active = true;
    this.loop = this.run();
  }

  /** Stops retrying; `closeSession` ends the current session, and this resolves once the loop has ended. */
  async stop(closeSession: () => Promise<void> = async () => undefined): Promise<void> {
    this.active = false;
    this.wake?.();
    await closeSession();
    await this.loop;
    this.loop = undefined;
  }

  private async run(): Promise<void> {
    let attempt = 0;
    let failedInARow = 0;
    while (this.active) {
      this.options.onAttempt?.();
      let failure: Error | undefined;
      const wasUp = await this.options.runSession().catch((err: Error) => {
        failure = err;
        this.lastError = err.message;
        this.options.onFailure(err, ++failedInARow);
        return false;
      });
      if (!this.active) break;
      if (wasUp) {
        attempt = 0;
        failedInARow = 0;
        this.reconnects++;
      }
      let delay = backoffDelay(attempt++, this.options.backoff);
      if (failure && this.options.leastDelayAfter)
        delay = Math.max(delay, this.options.leastDelayAfter(failure));
      await this.sleep(delay);
    }
  }

  private sleep(ms: number): Promise<void> {
    if (!this.active || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done(): void {
        clearTimeout(timer);
        self.wake = undefined;
        resolve();
      }
      this.wake = done;
    });
  }
}

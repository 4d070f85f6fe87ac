// What every PBX driver does around its protocol: keep one connection going until stopped (sessions one
// after another, a capped, growing, jittered wait between attempts, reset once a session got up) and say
// whether it is up, since when and why it last failed; and hand what it delivers to every listener, one
// failing listener not keeping events from the others.

import type { Logger } from "pino";
import type { PbxEvent } from "../domain/events.js";
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

/** A driver's event listeners. */
export class EventListeners {
  private readonly listeners: ((events: PbxEvent[]) => void)[] = [];
  /** Listener calls that threw. */
  errors = 0;

  constructor(private readonly log: Logger) {}

  add(listener: (events: PbxEvent[]) => void): void {
    this.listeners.push(listener);
  }

  deliver(events: PbxEvent[]): void {
    for (const listener of this.listeners) {
      try {
        listener(events);
      } catch (err) {
        this.errors++;
        this.log.error({ err }, "PBX event listener failed");
      }
    }
  }
}

/**
 * What a driver tells about input it could not use: malformed frames (the first of a session as a warning
 * with a sample, the rest at debug) and unknown events (counted by name, logged once each).
 */
export class InputProblems {
  private malformedLogged = 0;
  private readonly unknownLogged = new Set<string>();

  constructor(
    private readonly log: Logger,
    private readonly pbx: string,
    /** How the protocol calls its units, e.g. "AMI frame", "ARI message". */
    private readonly unit: string,
    private readonly counters: { malformed: number; unknownEvents: Record<string, number> },
  ) {}

  /** A new session: its first malformed frame is worth a warning again. */
  newSession(): void {
    this.malformedLogged = 0;
  }

  malformed(reason: string | undefined, sample: string): void {
    this.counters.malformed++;
    if (this.malformedLogged++ === 0) {
      this.log.warn(
        { pbx: this.pbx, reason, sample: sample.slice(0, 200) },
        `malformed ${this.unit} skipped`,
      );
    } else {
      this.log.debug({ pbx: this.pbx, reason }, `malformed ${this.unit} skipped`);
    }
  }

  /** An event the translator did not use; `count` is the translator's count for it (undefined: not unknown). */
  unknown(name: string, count: number | undefined, protocol: string): void {
    if (count === undefined) return;
    this.counters.unknownEvents[name] = count;
    if (!this.unknownLogged.has(name)) {
      this.unknownLogged.add(name);
      this.log.debug({ pbx: this.pbx, event: name }, `unknown ${protocol} event (counted, ignored)`);
    }
  }
}

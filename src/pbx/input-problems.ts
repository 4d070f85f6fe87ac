// What a driver tells about input it could not use (counted in its status, logged without flooding).

import type { Logger } from "pino";

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

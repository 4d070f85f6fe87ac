// A driver's event listeners: what it delivers reaches every listener, one failing listener not keeping
// events from the others.

import type { Logger } from "pino";
import type { PbxEvent } from "../domain/events.js";

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

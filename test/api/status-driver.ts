// A PBX driver whose status() the test sets (connected, since, last error, reconnects, malformed frames),
// and which hands Callsight the events the test gives it: the admin console's PBX section reads it.

import type { PbxEvent } from "../../src/domain/events.js";
import type { DriverStatus, PbxDriver } from "../../src/pbx/driver.js";

/** A driver whose status the test sets, and which hands Callsight the events the test gives it. */
export function statusDriver(pbx: string, status: Omit<DriverStatus, "pbx">) {
  const listeners: ((events: PbxEvent[]) => void)[] = [];
  const current: DriverStatus = { pbx, ...status };
  const driver: PbxDriver & { current: DriverStatus; emit(events: PbxEvent[]): void } = {
    pbx,
    current,
    emit: (events) => {
      for (const l of listeners) l(events);
    },
    start: () => undefined,
    stop: async () => undefined,
    onEvents: (listener) => {
      listeners.push(listener);
    },
    status: () => ({ ...current }),
    publishRecordingPolicy: async () => ({ status: "accepted" }),
    endpointForExtension: (extension) => `PJSIP/${extension}`,
    execute: async () => ({ status: "failed", message: "not connected" }),
  };
  return driver;
}

// A PBX driver that never connects, for tests that hand Callsight the events its PBX would send.

import type { PbxSnapshot } from "../../src/domain/events.js";
import type { CommandOutcome, PbxDriver } from "../../src/pbx/driver.js";

/** A driver that never connects: the test hands Callsight the events its PBX would. */
export function idleDriver(pbx: string): PbxDriver {
  const failed = async (): Promise<CommandOutcome> => ({ status: "failed", message: "not connected" });
  return {
    pbx,
    start: () => undefined,
    stop: async () => undefined,
    onEvents: () => undefined,
    status: () => ({ pbx, driver: "idle", connected: false, reconnects: 0 }),
    publishRecordingPolicy: failed,
    endpointForExtension: (extension) => `PJSIP/${extension}`,
    execute: failed,
  };
}

/** A snapshot of PBX `main` with no call and these extensions' phones reachable. */
export function snapshotOf(at: number, reachable: string[]): PbxSnapshot {
  return {
    type: "pbx.snapshot",
    pbx: "main",
    at,
    legs: [],
    reachability: reachable.map((ext) => ({ endpoint: `PJSIP/${ext}`, reachable: true })),
    presence: [],
    dnd: [],
    parked: [],
  };
}

// What the admin console shows of each PBX connection (GET /v1/admin/pbx): the driver's own status
// (connected, since when, the last error, reconnects, frames it could not use), when the model was last
// resynced from it, and — clustered — this instance's part (owner or follower, and why it applies no
// events when it does not). An ARI driver's AMI companion link is shown as well.

import type { DriverStatus, PbxDriver } from "../../pbx/driver.js";
import type { Callsight } from "../../runtime/callsight.js";

export interface PbxConnection extends DriverStatus {
  /** When the model was last resynced from this PBX (absent: not since the connection went down). */
  resyncedAt?: number;
  /** Clustered only: this instance's role and, when it applies no events, why. */
  cluster?: Record<string, unknown>;
  /** ARI only: the AMI companion link's status. */
  companion?: DriverStatus;
}

export interface PbxConnections {
  /** The server's clock, so that a page can say "for 3 minutes" whatever its own clock says. */
  now: number;
  pbx: PbxConnection[];
}

function companionOf(driver: PbxDriver): DriverStatus | undefined {
  const withCompanion = driver as PbxDriver & { companionStatus?: () => DriverStatus | undefined };
  return typeof withCompanion.companionStatus === "function" ? withCompanion.companionStatus() : undefined;
}

export function pbxConnections(callsight: Callsight): PbxConnections {
  return {
    now: Date.now(),
    pbx: callsight.drivers.map((driver) => {
      const status = driver.status() as DriverStatus & { cluster?: Record<string, unknown> };
      const resyncedAt = callsight.resynced(driver.pbx);
      const companion = companionOf(driver);
      return {
        ...status,
        ...(resyncedAt !== undefined ? { resyncedAt } : {}),
        ...(companion ? { companion } : {}),
      };
    }),
  };
}

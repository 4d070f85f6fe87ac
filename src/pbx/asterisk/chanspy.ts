// ChanSpy: how its options decide the monitoring mode, and which sessions run at resync time.

import type { MonitoringMode } from "../../domain/directory.js";
import type { MonitoringStarted, SnapshotLeg } from "../../domain/events.js";

/** ChanSpy's options decide the mode: `B` barge, `w` whisper, otherwise listen. */
export function chanSpyMode(appData: string): MonitoringMode {
  const comma = appData.indexOf(",");
  const options = comma < 0 ? "" : appData.slice(comma + 1).replace(/\([^)]*\)/g, "");
  if (options.includes("B")) return "barge";
  if (options.includes("w") || options.includes("W")) return "whisper";
  return "listen";
}

/** A channel and the dialplan application it runs (AMI CoreShowChannel, ARI channel `dialplan`). */
export interface RunningApplication {
  id: string | undefined;
  application: string | undefined;
  appData: string | undefined;
}

/**
 * Monitoring sessions that were running when the snapshot was taken: a channel running ChanSpy on
 * a leg of the snapshot. The snapshot vocabulary has no place for them, so they follow it as events.
 */
export function chanSpySessions(
  pbx: string,
  at: number,
  channels: readonly RunningApplication[],
  legs: readonly SnapshotLeg[],
): MonitoringStarted[] {
  const out: MonitoringStarted[] = [];
  const present = new Set(legs.map((l) => l.leg));
  for (const c of channels) {
    if (c.application !== "ChanSpy") continue;
    const spy = c.id;
    if (!spy || !present.has(spy)) continue;
    const data = c.appData ?? "";
    const comma = data.indexOf(",");
    const prefix = (comma < 0 ? data : data.slice(0, comma)).trim();
    if (!prefix) continue;
    // ChanSpy's first argument is a channel-name prefix (or, with `u`, a uniqueid).
    const target =
      legs.find((l) => l.leg !== spy && (l.channel === prefix || l.leg === prefix)) ??
      legs.find((l) => l.leg !== spy && l.channel.startsWith(prefix) && l.bridge !== undefined);
    if (!target) continue;
    out.push({ pbx, at, type: "monitoring.started", spy, target: target.leg, mode: chanSpyMode(data) });
  }
  return out;
}

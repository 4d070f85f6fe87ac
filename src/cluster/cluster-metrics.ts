// Prometheus figures of the cluster, per PBX, for the people who run several instances: whether this
// instance owns the PBX connection and whether anyone does (alert when nobody has for longer than a lease),
// and the counts (since this process started) of the lease, of what this instance wrote to and read from
// the PBX's event stream, and of relayed operations — each count under `what`, named as in the code.

import { Gauge, type Registry } from "prom-client";
import type { PbxDriver } from "../pbx/driver.js";
import { ClusteredDriver } from "./clustered-driver.js";

const snakeCase = (key: string): string => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

export function registerClusterMetrics(registry: Registry, drivers: readonly PbxDriver[]): void {
  const clustered = drivers.filter((d): d is ClusteredDriver => d instanceof ClusteredDriver);
  if (clustered.length === 0) return;
  const perPbx = (name: string, help: string, value: (d: ClusteredDriver) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ["pbx"],
      registers: [registry],
      collect() {
        for (const d of clustered) this.set({ pbx: d.pbx }, value(d));
      },
    });
  const counts = (name: string, help: string, counters: (d: ClusteredDriver) => object) =>
    new Gauge({
      name,
      help,
      labelNames: ["pbx", "what"],
      registers: [registry],
      collect() {
        for (const d of clustered) {
          for (const [key, n] of Object.entries(counters(d))) {
            if (typeof n === "number") this.set({ pbx: d.pbx, what: snakeCase(key) }, n);
          }
        }
      },
    });

  perPbx("callsight_cluster_owner", "1 when this instance owns the PBX connection", (d) =>
    d.isOwner() ? 1 : 0,
  );
  perPbx(
    "callsight_cluster_isolated",
    "1 while this instance keeps its PBX connection without reaching Redis (its lease lapsed; events applied here only)",
    (d) => (d.isolatedSince !== undefined ? 1 : 0),
  );
  perPbx("callsight_cluster_owned", "1 when some instance holds the PBX lease, as last seen", (d) =>
    d.lease.holder ? 1 : 0,
  );
  perPbx(
    "callsight_cluster_lease_token",
    "the fencing token of the PBX lease's holder",
    (d) => d.lease.holder?.token ?? 0,
  );
  counts(
    "callsight_cluster_lease",
    "this instance's lease: acquired, lost, released, renewals, renew failures, lapsed (not renewed in time), reclaimed",
    (d) => d.lease.counters,
  );
  counts(
    "callsight_cluster_stream_written",
    "PBX events this instance handled as the owner: published to the event stream, dropped (not ours to publish), fenced (a newer owner), publish retries, snapshot refreshes",
    (d) => d.counters,
  );
  counts(
    "callsight_cluster_stream_read",
    "what this instance read from the PBX's event stream: batches, events, malformed entries, read errors",
    (d) => d.consumer.counters,
  );
  counts(
    "callsight_cluster_relay",
    "operations relayed to the owner: sent by this instance (answered, abandoned); run as the owner (executed, stale, skipped); earlier owners' consumers removed",
    (d) => d.relay.counters,
  );
}

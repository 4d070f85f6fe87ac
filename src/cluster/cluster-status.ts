// What a clustered driver says about itself (/healthz, /readyz): whether this instance applies the PBX's
// events — from its own connection (the owner, or an owner cut off from Redis) or from the event stream
// (a follower) — and, when it applies none, why.

import type { DriverStatus } from "../pbx/driver.js";
import type { LeaseHolder } from "./pbx-lease.js";
import type { ClusteredDriverStatus } from "./settings.js";

export interface ClusterStatusInput {
  pbx: string;
  instance: string;
  /** This instance holds the lease and uses it. */
  owner: boolean;
  /** The lease lapsed while Redis could not be reached; the PBX connection is kept (see ClusteredDriver). */
  isolated: { since: number; reason: string } | undefined;
  stopping: boolean;
  /** A lease change is queued or running. */
  changing: boolean;
  /** The token of the lease held now (0: none). */
  leaseToken: number;
  /** Why this instance last lost the lease. */
  lostReason: string | undefined;
  /** Who held the lease when last seen. */
  holder: LeaseHolder | undefined;
  /** The real driver's own status. */
  real: DriverStatus;
  /** As the event stream tells it: the owner's connection is up, since when. */
  streamConnected: boolean;
  streamSince: number | undefined;
  /** The last event-stream entry applied, and why reading it fails (if it does). */
  stream: string;
  streamTrouble: string | undefined;
}

export function clusterStatus(s: ClusterStatusInput): ClusteredDriverStatus {
  const own = s.owner || s.isolated !== undefined;
  const problem = notApplying(s);
  const base: DriverStatus = own
    ? { ...s.real }
    : {
        pbx: s.pbx,
        driver: s.real.driver,
        // As the stream tells it: the owner's driver connected, and somebody still holds the lease.
        connected: s.streamConnected && s.holder !== undefined,
        reconnects: 0,
        ...(s.streamSince !== undefined ? { since: s.streamSince } : {}),
      };
  if (problem) {
    base.connected = false;
    base.lastError = problem;
  }
  const holder = s.isolated ? undefined : s.holder;
  return {
    ...base,
    cluster: {
      instance: s.instance,
      role: own ? "owner" : "follower",
      ...(holder ? { owner: holder.instance, token: holder.token } : {}),
      stream: s.stream,
      ...(s.isolated
        ? {
            isolated: `Redis unreachable since ${new Date(s.isolated.since).toISOString()} (${s.isolated.reason}): this instance keeps its PBX connection and applies its events; other instances see them once Redis is back`,
          }
        : {}),
      ...(problem ? { problem } : {}),
    },
  };
}

/** Why this instance applies no PBX events now, neither its own connection's nor the stream's. */
function notApplying(s: ClusterStatusInput): string | undefined {
  if (s.stopping) return "stopping";
  if (s.isolated) return undefined;
  if (s.owner) return s.changing ? "PBX lease change in progress" : undefined;
  if (s.leaseToken > 0) return "PBX lease acquired, taking the connection over (lease change in progress)";
  const lost = s.lostReason ? `; this instance lost it: ${s.lostReason}` : "";
  if (!s.holder) return `no instance holds the PBX lease as far as this one can tell${lost}`;
  if (s.holder.instance === s.instance)
    return `the PBX lease still names this instance, which gave it up${lost}`;
  if (s.changing) return "PBX lease change in progress";
  return s.streamTrouble;
}

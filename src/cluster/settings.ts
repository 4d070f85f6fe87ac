// Whether a server runs clustered, and with which settings: options first, then the environment; and
// the shapes of a clustered driver's options and status.
//   CALLSIGHT_CLUSTER=0|false|off   one instance per Redis prefix, no lease (default: clustered)
//   CALLSIGHT_INSTANCE_ID           this instance's id, unique per running process (default: hostname:pid:random)
//   CALLSIGHT_LEASE_TTL_MS          PBX lease lifetime (default 5000)

import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { DriverStatus, PbxDriver } from "../pbx/driver.js";

/** A stable id for this process: host, pid and a random part (a restarted process is a new instance). */
export function clusterInstanceId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
}

export interface ClusterSettings {
  /** This process's id (default clusterInstanceId()). */
  instance?: string;
  /** Lease lifetime; another instance takes over within about 1.3 × this after the owner dies (default 5 s). */
  leaseTtlMs?: number;
  /** How long a non-owner waits for the owner to take an operation (default 5 s). */
  relayTakeTimeoutMs?: number;
  /** How long it then waits for the outcome (default 15 s). */
  relayAnswerTimeoutMs?: number;
  /** The owner refuses relayed operations older than this (default 5 s). */
  staleCommandMs?: number;
  /** The owner takes a fresh snapshot from the PBX when the stream holds more entries than this (default 10 000) */
  refreshSnapshotAfter?: number;
  /** … or when its last snapshot is older than this (default 1 h), so a starting instance replays little. */
  refreshSnapshotEveryMs?: number;
}

export interface ClusteredDriverOptions extends ClusterSettings {
  /** The real driver. */
  driver: PbxDriver;
  /** Builds another real driver for the same PBX (for snapshot refreshes without a gap); optional. */
  createDriver?: () => PbxDriver;
  redis: Redis;
  prefix: string;
  logger: Logger;
}

export interface ClusteredDriverStatus extends DriverStatus {
  cluster: {
    instance: string;
    role: "owner" | "follower";
    /** The instance holding the PBX lease when last seen. */
    owner?: string;
    token?: number;
    /** The last event-stream entry this instance applied. */
    stream: string;
    /**
     * While this instance cannot reach Redis but keeps its PBX connection (its lease lapsed): since when
     * and what that means. It applies the PBX's events; other instances do not see them until Redis is back.
     */
    isolated?: string;
    /** Why this instance applies no PBX events now (absent while it does). */
    problem?: string;
  };
}

export interface ResolvedClusterSettings extends ClusterSettings {
  instance: string;
  /** How long a non-owner waits before its backstop enqueue of a finished recording (default 10 s). */
  followerFinalizeDelayMs?: number;
}

export function clusterSettings(
  option: boolean | (ClusterSettings & { followerFinalizeDelayMs?: number }) | undefined,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedClusterSettings | undefined {
  const flag = env.CALLSIGHT_CLUSTER?.trim().toLowerCase();
  const envOff = flag === "0" || flag === "false" || flag === "off" || flag === "no";
  if (option === false || (option === undefined && envOff)) return undefined;
  const given = typeof option === "object" ? option : {};
  const ttl = Number.parseInt(env.CALLSIGHT_LEASE_TTL_MS ?? "", 10);
  return {
    ...(Number.isFinite(ttl) && ttl > 0 ? { leaseTtlMs: ttl } : {}),
    ...given,
    instance: given.instance ?? env.CALLSIGHT_INSTANCE_ID ?? clusterInstanceId(),
  };
}

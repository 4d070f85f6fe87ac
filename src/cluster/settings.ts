// Whether a server runs clustered, and with which settings: options first, then the environment.
//   CALLSIGHT_CLUSTER=0|false|off   one instance per Redis prefix, no lease (default: clustered)
//   CALLSIGHT_INSTANCE_ID           this instance's id, unique per running process (default: hostname:pid:random)
//   CALLSIGHT_LEASE_TTL_MS          PBX lease lifetime (default 5000)

import { type ClusterSettings, clusterInstanceId } from "./clustered-driver.js";

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

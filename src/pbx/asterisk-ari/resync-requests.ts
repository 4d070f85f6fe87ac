// The resync of a new ARI session: GET /channels, /bridges, /endpoints and /deviceStates, then one
// GET /deviceStates/{name} per DND lamp / busy phone the list lacks, built into a `pbx.snapshot`
// (resync.ts) with what the AMI companion knows folded in: its presence states, parked calls, ChanSpy
// sessions and running MixMonitors.

import type { Logger } from "pino";
import type { PbxEvent, PbxSnapshot } from "../../domain/events.js";
import { EndpointClassifier } from "../endpoints.js";
import type { AmiCompanion } from "./companion.js";
import { type AriHttp, AriHttpError, enc } from "./http.js";
import { type AriResync, buildAriSnapshot, deviceStatesToQuery } from "./resync.js";
import type { AriBridge, AriChannel, AriDeviceState, AriEndpoint } from "./types.js";

/** What the resync needs from the driver. */
export interface ResyncContext {
  http: AriHttp;
  pbx: string;
  classifier?: EndpointClassifier;
  /** The AMI companion, when one is configured. */
  companion?: Pick<AmiCompanion, "connected" | "state" | "queueSnapshot">;
  /** Each of the four list requests. Default 30 s. */
  requestTimeoutMs?: number;
  log: Logger;
}

export interface FetchedResync {
  snapshot: PbxSnapshot;
  /** What goes out right after the snapshot: monitoring sessions, running recordings, the queues. */
  followUps: PbxEvent[];
  /** Channels that are not parties, for the translator's state. */
  plumbing: AriResync["plumbing"];
  channels: AriChannel[];
  bridges: AriBridge[];
}

export async function fetchResync(
  ctx: ResyncContext,
  at: number,
  signal: AbortSignal,
): Promise<FetchedResync> {
  const { http, log, pbx } = ctx;
  const timeoutMs = ctx.requestTimeoutMs ?? 30_000;
  const optional = <T>(err: unknown, what: string): T[] => {
    if (err instanceof AriHttpError && err.status === 0) throw err;
    log.warn({ pbx, what, err: (err as Error).message }, "ARI resync request failed");
    return [];
  };
  const [channels, bridges, endpoints, listed] = await Promise.all([
    http.get<AriChannel[]>("/channels", { signal, timeoutMs }),
    http.get<AriBridge[]>("/bridges", { signal, timeoutMs }),
    http
      .get<AriEndpoint[]>("/endpoints", { signal, timeoutMs })
      .catch((err) => optional<AriEndpoint>(err, "/endpoints")),
    http
      .get<AriDeviceState[]>("/deviceStates", { signal, timeoutMs })
      .catch((err) => optional<AriDeviceState>(err, "/deviceStates")),
  ]);
  const channelList = Array.isArray(channels) ? channels : [];
  const bridgeList = Array.isArray(bridges) ? bridges : [];
  const endpointList = Array.isArray(endpoints) ? endpoints : [];
  const deviceStates = [...(Array.isArray(listed) ? listed : [])];
  const names = deviceStatesToQuery(
    endpointList,
    channelList,
    ctx.classifier ?? new EndpointClassifier(),
  ).filter((n) => !deviceStates.some((d) => d.name === n));
  for (const d of await fetchDeviceStates(http, names, signal)) deviceStates.push(d);
  // The companion's queues, asked now: its own resync's went out to nobody if ARI was not up yet. From here
  // to the driver marking ARI up nothing waits: what the companion says after this goes to the live ARI.
  const queueSnapshot = ctx.companion?.connected ? await ctx.companion.queueSnapshot(at) : undefined;
  const companion = ctx.companion?.connected ? ctx.companion.state(at) : undefined;
  const resync = buildAriSnapshot({
    pbx,
    at,
    channels: channelList,
    bridges: bridgeList,
    endpoints: endpointList,
    deviceStates,
    ...(ctx.classifier ? { classifier: ctx.classifier } : {}),
    chanSpyFromChannels: companion === undefined,
  });
  const snapshot = resync.snapshot;
  if (companion) {
    snapshot.presence = companion.presence;
    const present = new Set(snapshot.legs.map((l) => l.leg));
    snapshot.parked = companion.parked.filter((p) => present.has(p.leg));
  } else if (ctx.companion) {
    // Companion configured but away: the parking-bridge inference is off, its state comes back with it.
    snapshot.parked = [];
  }
  const followUps: PbxEvent[] = [...resync.monitoring];
  if (companion) {
    // What the companion knows that a snapshot cannot say: ChanSpy sessions and running MixMonitors.
    const present = new Set(snapshot.legs.map((l) => l.leg));
    for (const m of companion.monitoring) if (present.has(m.spy) && present.has(m.target)) followUps.push(m);
    for (const r of companion.recordings) if (present.has(r.leg)) followUps.push(r);
  }
  if (queueSnapshot) followUps.push(queueSnapshot);
  return { snapshot, followUps, plumbing: resync.plumbing, channels: channelList, bridges: bridgeList };
}

/** GET /deviceStates/{name} for each name, 8 at a time; unknown devices are left out. */
async function fetchDeviceStates(
  http: AriHttp,
  names: readonly string[],
  signal: AbortSignal,
): Promise<AriDeviceState[]> {
  const out: AriDeviceState[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < names.length) {
      const name = names[next++] as string;
      try {
        const d = await http.get<AriDeviceState>(`/deviceStates/${enc(name)}`, {
          signal,
          timeoutMs: 5000,
        });
        if (d && typeof d.state === "string") out.push({ name, state: d.state });
      } catch (err) {
        if (err instanceof AriHttpError && err.status === 0 && signal.aborted) throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, names.length) }, () => worker()));
  return out;
}

// One Callsight server process for the live benchmarks (run from dist/ as plain JS, forked with an IPC
// channel). Environment: CONFIG_FILE, AMI_PORT, REDIS_URL, PREFIX, INSTANCE, SPOOL, OUTBOX, LOG_LEVEL.
// Sends `{type:"ready", url}` once it listens; answers `{type:"stats", id, gc?}` with its memory and
// counters (bench/live-support.ts InstanceStats); SIGTERM (or the parent going away) stops it.
// The BoardHub is observed from outside (flush timings, messages sent); the server itself is unchanged.

import { mkdirSync, readFileSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";
import pino from "pino";
import type { ViewerConnection } from "../src/api/board/board-hub.js";
import { ClusteredDriver } from "../src/cluster/clustered-driver.js";
import { parseConfig } from "../src/config/load.js";
import type { PbxDriver } from "../src/pbx/driver.js";
import { startServer } from "../src/runtime/start.js";
import type { InstanceStats } from "./live-support.js";

const env = process.env;
const configFile = env.CONFIG_FILE!;
const config = parseConfig(readFileSync(configFile, "utf8"), configFile, {
  CALLSIGHT_PBX_MAIN_PORT: env.AMI_PORT!,
  CALLSIGHT_PBX_MAIN_USERNAME: "callsight",
  CALLSIGHT_PBX_MAIN_SECRET: "bench",
});
config.recording.directory = env.SPOOL!;
mkdirSync(env.SPOOL!, { recursive: true });
const logger = pino(
  { level: env.LOG_LEVEL ?? "silent", base: { instance: env.INSTANCE } },
  pino.destination(2),
);
const server = await startServer({
  config,
  redisUrl: env.REDIS_URL!,
  prefix: env.PREFIX!,
  host: "127.0.0.1",
  port: 0,
  logger,
  outboxPath: env.OUTBOX!,
  cluster: env.BENCH_CLUSTER === "0" ? false : { instance: env.INSTANCE! },
});

// ---- observation -----------------------------------------------------------------------------------

const hub = server.api.hub;
let flushTimes: number[] = [];
let sent = 0;
// Where the server's share of the latency goes: the event reaching the model, then waiting for a flush.
let inputDelays: number[] = [];
let flushWaits: number[] = [];
let pendingSince: number | undefined;
server.callsight.onModelChange((changes, events) => {
  const now = Date.now();
  for (const e of events) if (now - e.at < 10_000) inputDelays.push(now - e.at);
  if (changes.length > 0 && pendingSince === undefined) pendingSince = performance.now();
});
const wrapped = new WeakMap<ViewerConnection, ViewerConnection>();
const flush = hub.flush.bind(hub);
hub.flush = () => {
  const t0 = performance.now();
  if (pendingSince !== undefined) flushWaits.push(t0 - pendingSince);
  pendingSince = undefined;
  flush();
  flushTimes.push(performance.now() - t0);
};
const connect = hub.connect.bind(hub);
hub.connect = (viewer, connection, resume) => {
  const counted: ViewerConnection = {
    send(message, text) {
      sent++;
      connection.send(message, text);
    },
  };
  // The route disconnects the connection it created: keep the mapping so disconnect finds ours.
  wrapped.set(connection, counted);
  return connect(viewer, counted, resume);
};
const disconnect = hub.disconnect.bind(hub);
hub.disconnect = (connection) => disconnect(wrapped.get(connection) ?? connection);

const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();

type CountingDriver = PbxDriver & { counters?: { frames?: number } };

// The clustered driver swaps its real driver for a fresh one when it refreshes its snapshot: remember
// every real driver seen so that the frames they received add up across swaps.
const realDrivers = new Set<CountingDriver>();
function noteRealDriver(): void {
  const d = server.callsight.drivers[0];
  const real = d instanceof ClusteredDriver ? d.wrapped : d;
  if (real) realDrivers.add(real as CountingDriver);
}
noteRealDriver();
setInterval(noteRealDriver, 100).unref();

function stats(gc: boolean): InstanceStats {
  if (gc) (globalThis as { gc?: () => void }).gc?.();
  const mem = process.memoryUsage();
  const cpu = process.cpuUsage();
  noteRealDriver();
  const driver = server.callsight.drivers[0];
  let frames = 0;
  for (const d of realDrivers) frames += d.counters?.frames ?? 0;
  const owner = driver instanceof ClusteredDriver ? driver.isOwner() : true;
  const times = Float64Array.from(flushTimes).sort();
  flushTimes = [];
  const p99 = percentile99(times);
  const inputDelayP99Ms = percentile99(Float64Array.from(inputDelays).sort());
  const flushWaitP99Ms = percentile99(Float64Array.from(flushWaits).sort());
  inputDelays = [];
  flushWaits = [];
  const mb = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;
  const s: InstanceStats = {
    instance: env.INSTANCE!,
    owner,
    rssMB: mb(mem.rss),
    heapUsedMB: mb(mem.heapUsed),
    heapTotalMB: mb(mem.heapTotal),
    externalMB: mb(mem.external),
    amiFrames: frames,
    refreshes: driver instanceof ClusteredDriver ? driver.counters.refreshes : 0,
    modelEvents: server.callsight.counters.events,
    modelBatches: server.callsight.counters.batches,
    viewers: hub.connectedViewers,
    activeCalls: server.callsight.model.activeCalls().length,
    cpuMs: (cpu.user + cpu.system) / 1000,
    loopDelayP99Ms: loop.percentile(99) / 1e6,
    loopDelayMaxMs: loop.max / 1e6,
    flushes: times.length,
    flushMsTotal: times.reduce((a, b) => a + b, 0),
    flushMsMax: times.length ? (times[times.length - 1] ?? 0) : 0,
    flushP99Ms: p99,
    sent,
    inputDelayP99Ms,
    flushWaitP99Ms,
  };
  sent = 0;
  loop.reset();
  return s;
}

function percentile99(sorted: Float64Array): number {
  return sorted.length ? (sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] ?? 0) : 0;
}

let stopping = false;
function stop(): void {
  if (stopping) return;
  stopping = true;
  server.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
}

process.on("message", (m: { type?: string; id?: number; gc?: boolean }) => {
  if (m.type === "stats") process.send?.({ type: "stats", id: m.id, stats: stats(m.gc === true) });
});
process.once("SIGTERM", stop);
process.once("disconnect", stop);
process.send?.({ type: "ready", url: server.url });

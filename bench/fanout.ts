// Fan-out benchmark: one Callsight server (a child process, dist/bench/callsight-child.js) on the AMI
// simulator, a directory of 500 people in 20 departments (25 each: one supervisor, four admins in all),
// 1,000 WebSocket viewers on loopback (two per person), and ~500 concurrent calls among those people.
//   fanout.latencyMs.p50/p99   AMI event leaving the simulator -> the delta showing it at a viewer, over
//                              every (new call leg, viewer allowed to see it) pair while measuring
//                              (see bench/live-support.ts for how the simulator's Timestamp carries it)
//   fanout.markerLatencyMs.p99 the same for marker calls started at known times on quiet extensions,
//                              timed from the startCall() itself (a cross-check of the stamp)
//   fanout.eventsPerSec        AMI events the server ingested per second while measuring
//   fanout.viewers             viewers connected to the server at the end
// The simulator and the viewers share this process; its event-loop delay is logged because it adds to
// the measured latency (viewers timestamp a message when their loop gets to it).

import { randomUUID } from "node:crypto";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { AmiSimulator } from "../simulators/ami-simulator.js";
import {
  benchRedis,
  type ChildInstance,
  createTokens,
  type Figure,
  generateDirectory,
  type InstanceStats,
  type LegSeen,
  machineLoad,
  round1,
  sleep,
  spawnInstance,
  spreadCalls,
  summarize,
  TRAFFIC_SCENARIOS,
  ViewerPool,
  workDir,
  writeConfig,
} from "./live-support.js";

export interface FanoutOptions {
  log?: (line: string) => void;
  /** WebSocket viewers (default 1000, spread evenly over the people). */
  viewers?: number;
  /** People in the directory (default 500; 25 per department). */
  users?: number;
  /** Concurrent calls the simulator keeps up (default 500). */
  calls?: number;
  /** Replay speed of the captured calls: 2 = half speed (default 2, ~3,500 AMI events/s at 500 calls). */
  timeScale?: number;
  warmupMs?: number;
  measureMs?: number;
  /** A marker call every this many ms (default 250). */
  markerEveryMs?: number;
}

export async function benchFanout(opts: FanoutOptions = {}): Promise<Record<string, Figure>> {
  const log = opts.log ?? (() => undefined);
  const viewerCount = opts.viewers ?? 1000;
  const users = opts.users ?? 500;
  const calls = opts.calls ?? 500;
  const timeScale = opts.timeScale ?? 2;
  const warmupMs = opts.warmupMs ?? 12_000;
  const measureMs = opts.measureMs ?? 40_000;
  const markerEveryMs = opts.markerEveryMs ?? 250;
  const perDepartment = 25;
  log(`fanout: ${await machineLoad()} before start`);

  const dir = generateDirectory({
    users,
    perDepartment,
    firstExtension: 2000,
    supervisorsPerDepartment: 1,
    admins: 4,
  });
  // One quiet person per department carries the marker calls; the traffic uses everybody else.
  const markers = dir.extensions.filter((_, i) => i % perDepartment === perDepartment - 2);
  const markerSet = new Set(markers);
  const pool = dir.extensions.filter((e) => !markerSet.has(e));
  const work = await workDir("fanout");
  await writeConfig(work.configFile, dir.yaml);
  const redis = await benchRedis();
  const prefix = `callsight:bench:fanout:${randomUUID()}:`;
  const sim = new AmiSimulator({ extensions: dir.extensions, names: dir.names });
  const { port } = await sim.start({ port: 0, username: "callsight", secret: "bench" });
  const viewers = new ViewerPool();
  let server: ChildInstance | undefined;
  let traffic: { stop(): void } | undefined;
  let markerTimer: ReturnType<typeof setInterval> | undefined;
  const loop = monitorEventLoopDelay({ resolution: 5 });
  try {
    server = await spawnInstance({
      name: "fanout-1",
      configFile: work.configFile,
      amiPort: port,
      redisUrl: redis.url,
      prefix,
      workDir: work.dir,
    });
    await waitConnected(server.url);
    const tokens = await createTokens(redis.url, prefix, dir.extensions);
    const list = Array.from({ length: viewerCount }, (_, i) => {
      const user = dir.extensions[i % dir.extensions.length] as string;
      return { user, token: tokens.get(user) as string };
    });
    const t0 = Date.now();
    await viewers.connect(server.url, list);
    log(`fanout: ${viewers.snapshots} viewers connected in ${Date.now() - t0} ms`);

    // Marker calls: 04-outbound-answered with the marker person as the caller, whose channel is the
    // call's first event (emitted inside startCall()).
    const started = new Map<string, number[]>();
    const markerSamples: number[] = [];
    let stampSkew = 0;
    let markerCalls = 0;
    let measuring = false;
    viewers.onLeg = (_viewer: number, leg: LegSeen) => {
      if (!measuring || !markerSet.has(leg.person)) return;
      const t = started.get(leg.person)?.find((s) => leg.since >= s && leg.since - s <= 5);
      if (t === undefined) return;
      markerSamples.push(leg.at - t);
      stampSkew = Math.max(stampSkew, leg.since - t);
    };
    let m = 0;
    const startMarker = () => {
      const ext = markers[m++ % markers.length] as string;
      const at = Date.now();
      const list = started.get(ext) ?? [];
      list.push(at);
      if (list.length > 8) list.shift();
      started.set(ext, list);
      sim.startCall("04-outbound-answered", { extMap: { "1001": ext }, timeScale: 0.4 });
      markerCalls++;
    };

    traffic = sim.startTraffic({
      rate: Math.max(50, calls / 5),
      concurrency: calls,
      scenarios: TRAFFIC_SCENARIOS,
      timeScale,
      extMap: spreadCalls(pool, 7),
    });
    markerTimer = setInterval(startMarker, markerEveryMs);
    await sleep(warmupMs);

    const s0 = await server.stats();
    const sim0 = sim.stats();
    const cpu0 = process.cpuUsage();
    const c0 = markerCalls;
    viewers.recording = true;
    measuring = true;
    loop.enable();
    const tStart = Date.now();
    const periodic: InstanceStats[] = [];
    let seenSamples = 0;
    const intervalLoop = monitorEventLoopDelay({ resolution: 5 });
    intervalLoop.enable();
    while (Date.now() - tStart < measureMs) {
      await sleep(Math.min(5000, measureMs - (Date.now() - tStart)));
      const s = await server.stats();
      periodic.push(s);
      const lat = summarize(viewers.samples.slice(seenSamples));
      seenSamples = viewers.samples.length;
      const benchLoop = `${round1(intervalLoop.percentile(99) / 1e6)}/${round1(intervalLoop.max / 1e6)}`;
      intervalLoop.reset();
      log(
        `fanout: t=${Math.round((Date.now() - tStart) / 1000)}s calls=${s.activeCalls} viewers=${s.viewers} ` +
          `flushes=${s.flushes} flush avg/p99/max=${round1(s.flushMsTotal / Math.max(1, s.flushes))}/` +
          `${round1(s.flushP99Ms)}/${round1(s.flushMsMax)} ms sent=${s.sent} ` +
          `server loop p99/max=${round1(s.loopDelayP99Ms)}/${round1(s.loopDelayMaxMs)} ms input delay p99=${round1(s.inputDelayP99Ms)} ms ` +
          `flush wait p99=${round1(s.flushWaitP99Ms)} ms snapshot refreshes=${s.refreshes} bench loop p99/max=${benchLoop} ms; this interval's latency p50=${lat.p50} p99=${lat.p99} ms (n=${lat.n})`,
      );
    }
    const seconds = (Date.now() - tStart) / 1000;
    viewers.recording = false;
    measuring = false;
    loop.disable();
    intervalLoop.disable();
    const s1 = await server.stats();
    const sim1 = sim.stats();
    const cpu1 = process.cpuUsage(cpu0);
    traffic.stop();
    clearInterval(markerTimer);
    markerTimer = undefined;

    const lat = summarize(viewers.samples);
    const mk = summarize(markerSamples);
    const amiPerSec = (s1.amiFrames - s0.amiFrames) / seconds;
    const offeredPerSec = (sim1.eventsSent - sim0.eventsSent) / seconds;
    const modelPerSec = (s1.modelEvents - s0.modelEvents) / seconds;
    const backlog = sim1.eventsSent - s1.amiFrames;
    const cpu = (s1.cpuMs - s0.cpuMs) / 10 / seconds;
    log(
      `fanout: ${round1(seconds)} s measured with ${s1.activeCalls} live calls; simulator emitted ` +
        `${Math.round((sim1.eventsEmitted - sim0.eventsEmitted) / seconds)} AMI events/s, sent ` +
        `${Math.round(offeredPerSec)}/s through the session's filters, server ingested ${Math.round(amiPerSec)}/s ` +
        `(${Math.round(modelPerSec)} normalized events/s into the model), backlog at the end ${backlog} events; ` +
        `server CPU ${Math.round(cpu)}% of one core, simulator + viewers ` +
        `${Math.round((cpu1.user + cpu1.system) / 10_000 / seconds)}%`,
    );
    log(
      `fanout: latency over ${lat.n} (leg, viewer) deliveries p50=${lat.p50} p90=${lat.p90} p99=${lat.p99} ` +
        `max=${lat.max} ms; markers: ${markerCalls - c0} calls, ${mk.n} deliveries p50=${mk.p50} p99=${mk.p99} ` +
        `max=${mk.max} ms, stamp skew <= ${stampSkew} ms`,
    );
    log(
      `fanout: viewers got ${viewers.messages} messages, ${round1(viewers.bytes / 1024 / 1024)} MB; ` +
        `bench-process loop delay p99=${round1(loop.percentile(99) / 1e6)} ms max=${round1(loop.max / 1e6)} ms; ` +
        `${await machineLoad()}`,
    );
    const sustained = backlog < Math.max(1000, offeredPerSec);
    if (!sustained) log(`fanout: the server did NOT keep up (backlog ${backlog} events at the end)`);
    return {
      "fanout.latencyMs.p50": { value: lat.p50, unit: "ms" },
      "fanout.latencyMs.p99": { value: lat.p99, unit: "ms" },
      "fanout.markerLatencyMs.p99": { value: mk.p99, unit: "ms" },
      [sustained ? "fanout.eventsPerSec" : "fanout.eventsPerSec.notSustained"]: {
        value: Math.round(amiPerSec),
        unit: "events/s",
      },
      "fanout.viewers": { value: s1.viewers, unit: "viewers" },
    };
  } finally {
    if (markerTimer) clearInterval(markerTimer);
    traffic?.stop();
    viewers.close();
    await server?.stop();
    await sim.stop();
    await redis.stop();
    await work.remove();
  }
}

async function waitConnected(url: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`${url}/healthz`);
      const body = (await res.json()) as { pbx: { connected: boolean }[] };
      if (body.pbx[0]?.connected) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error("the server did not connect to the AMI simulator");
    await sleep(100);
  }
}

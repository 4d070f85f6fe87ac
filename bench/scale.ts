// Scale benchmark: one AMI simulator keeping 2,000 calls up among 10,000 extensions (a directory of 10,000
// people in 100 departments), served first by ONE Callsight instance, then by THREE on one Redis (cluster
// mode: one owns the AMI connection and publishes to the event stream, all three apply it). Each instance
// is a child process (dist/bench/callsight-child.js) that reports its memory and counters over IPC.
//   scale.eventsPerSec.1instance / .3instances   AMI events per second the owner ingested (after the AMI
//                                 session filters) while every instance kept up; the name ends in
//                                 `.notSustained` when one fell behind or the PBX lease changed hands, and
//                                 carries `.at<N>Calls` when the simulator did not hold the 2,000 calls
//   scale.memoryMB.perInstance.1 / .3   RSS per instance with the calls up (mean of the instances);
//                                 scale.heapMB.perInstance.* is the V8 heap in use after a full GC
//   scale.crossInstanceLagMs.p99/p50  AMI event leaving the simulator (so: entering the owner) -> the delta
//                                 showing it at a viewer connected to ANOTHER instance (new call legs, as in
//                                 bench/live-support.ts); scale.sameInstanceLagMs.p99.* is the same for
//                                 viewers of the owner
// 100 viewers (agents, one per department) are connected to every instance. On a small machine the three
// instances, the simulator and Redis share the cores: the log gives every process's CPU share.

import { randomUUID } from "node:crypto";
import { AmiSimulator } from "../simulators/ami-simulator.js";
import {
  benchRedis,
  type ChildInstance,
  createTokens,
  type Figure,
  type GeneratedDirectory,
  generateDirectory,
  type InstanceStats,
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

export interface ScaleOptions {
  log?: (line: string) => void;
  /** Extensions (people) in the directory (default 10,000; 100 per department). */
  users?: number;
  /** Concurrent calls (default 2,000). */
  calls?: number;
  /** Replay speed of the captured calls (default 2 = half speed). */
  timeScale?: number;
  /** Which cluster sizes to run (default [1, 3]). */
  instances?: number[];
  /** Viewers per instance (default 100). */
  viewersPerInstance?: number;
  warmupMs?: number;
  measureMs?: number;
}

interface RunResult {
  amiPerSec: number;
  sustained: boolean;
  rssMB: number;
  heapMB: number;
  sameLag: ReturnType<typeof summarize>;
  crossLag: ReturnType<typeof summarize>;
  calls: number;
}

export async function benchScale(opts: ScaleOptions = {}): Promise<Record<string, Figure>> {
  const log = opts.log ?? (() => undefined);
  const users = opts.users ?? 10_000;
  const perDepartment = 100;
  const dir = generateDirectory({
    users,
    perDepartment,
    firstExtension: 10_000,
    supervisorsPerDepartment: 2,
    admins: 2,
  });
  log(`scale: ${users} people, ${Math.ceil(users / perDepartment)} departments; ${await machineLoad()}`);
  const work = await workDir("scale");
  await writeConfig(work.configFile, dir.yaml);
  const redis = await benchRedis();
  try {
    const figures: Record<string, Figure> = {};
    for (const n of opts.instances ?? [1, 3]) {
      const r = await run(n, dir, work, redis.url, opts, log);
      // Named after what was measured when the machine did not hold the calls or keep up with them.
      const calls = r.calls >= (opts.calls ?? 2000) * 0.95 ? "" : `.at${r.calls}Calls`;
      const kept = r.sustained ? "" : ".notSustained";
      const suffix = n === 1 ? "1instance" : `${n}instances`;
      figures[`scale.eventsPerSec.${suffix}${calls}${kept}`] = {
        value: Math.round(r.amiPerSec),
        unit: "events/s",
      };
      figures[`scale.memoryMB.perInstance.${n}${calls}`] = { value: r.rssMB, unit: "MB" };
      figures[`scale.heapMB.perInstance.${n}${calls}`] = { value: r.heapMB, unit: "MB" };
      if (n > 1) {
        figures[`scale.crossInstanceLagMs.p99${kept}`] = { value: r.crossLag.p99, unit: "ms" };
        figures[`scale.crossInstanceLagMs.p50${kept}`] = { value: r.crossLag.p50, unit: "ms" };
        figures[`scale.sameInstanceLagMs.p99.${n}instances${kept}`] = { value: r.sameLag.p99, unit: "ms" };
      } else {
        figures[`scale.sameInstanceLagMs.p99.1instance${kept}`] = { value: r.sameLag.p99, unit: "ms" };
      }
    }
    return figures;
  } finally {
    await redis.stop();
    await work.remove();
  }
}

async function run(
  count: number,
  dir: GeneratedDirectory,
  work: { dir: string; configFile: string },
  redisUrl: string,
  opts: ScaleOptions,
  log: (line: string) => void,
): Promise<RunResult> {
  const calls = opts.calls ?? 2000;
  const timeScale = opts.timeScale ?? 2;
  const viewersPerInstance = opts.viewersPerInstance ?? 100;
  const warmupMs = opts.warmupMs ?? 10_000;
  const measureMs = opts.measureMs ?? 20_000;
  const perDepartment = 100;
  const departments = Math.ceil(dir.extensions.length / perDepartment);
  const prefix = `callsight:bench:scale${count}:${randomUUID()}:`;
  const sim = new AmiSimulator({ extensions: dir.extensions, names: dir.names });
  const { port } = await sim.start({ port: 0, username: "callsight", secret: "bench" });
  const instances: ChildInstance[] = [];
  const pools: ViewerPool[] = [];
  let traffic: { stop(): void } | undefined;
  const spawn = (i: number) =>
    spawnInstance({
      name: `scale${count}-${i}`,
      configFile: work.configFile,
      amiPort: port,
      redisUrl,
      prefix,
      workDir: work.dir,
    });
  try {
    const t0 = Date.now();
    // The first one takes the PBX lease; the others follow the event stream.
    instances.push(await spawn(1));
    await waitOwner(instances[0] as ChildInstance);
    instances.push(...(await Promise.all(Array.from({ length: count - 1 }, (_, i) => spawn(i + 2)))));
    log(`scale[${count}]: ${count} instance(s) up in ${Date.now() - t0} ms`);

    const tokens = await createTokens(redisUrl, prefix, dir.extensions);
    for (let i = 0; i < instances.length; i++) {
      const pool = new ViewerPool();
      // Agents, one per department, a different one on each instance.
      const list = Array.from({ length: Math.min(viewersPerInstance, departments) }, (_, d) => {
        const user = dir.extensions[d * perDepartment + 10 + i] as string;
        return { user, token: tokens.get(user) as string };
      });
      await pool.connect((instances[i] as ChildInstance).url, list);
      pools.push(pool);
    }

    traffic = sim.startTraffic({
      rate: calls / 5,
      concurrency: calls,
      scenarios: TRAFFIC_SCENARIOS,
      timeScale,
      extMap: spreadCalls(dir.extensions, 11),
    });
    await sleep(warmupMs);
    const before = await Promise.all(instances.map((i) => i.stats()));
    const sim0 = sim.stats();
    const cpu0 = process.cpuUsage();
    for (const p of pools) p.recording = true;
    const tStart = Date.now();
    while (Date.now() - tStart < measureMs) {
      await sleep(Math.min(5000, measureMs - (Date.now() - tStart)));
      const now = await Promise.all(instances.map((i) => i.stats()));
      log(
        `scale[${count}]: t=${Math.round((Date.now() - tStart) / 1000)}s ` +
          now
            .map(
              (s) =>
                `${s.instance}${s.owner ? "(owner)" : ""} calls=${s.activeCalls} rss=${s.rssMB}MB ` +
                `loop p99=${round1(s.loopDelayP99Ms)}ms flush avg/max=${round1(s.flushMsTotal / Math.max(1, s.flushes))}/${round1(s.flushMsMax)}ms`,
            )
            .join("; "),
      );
    }
    const seconds = (Date.now() - tStart) / 1000;
    for (const p of pools) p.recording = false;
    const after = await Promise.all(instances.map((i) => i.stats()));
    const sim1 = sim.stats();
    const cpu1 = process.cpuUsage(cpu0);
    traffic.stop();
    // Memory with the calls still up: heap after a full GC, RSS as the OS sees it.
    const mem = await Promise.all(instances.map((i) => i.stats({ gc: true })));

    // The owner when the measurement started; a lease that changed hands during it is a failure.
    const ownerIndex = Math.max(
      0,
      before.findIndex((s) => s.owner),
    );
    const ownerChanged = after.some((s, i) => s.owner !== (before[i] as InstanceStats).owner);
    const frames = (list: InstanceStats[]) => list.reduce((a, s) => a + s.amiFrames, 0);
    const amiPerSec = (frames(after) - frames(before)) / seconds;
    const offered = (sim1.eventsSent - sim0.eventsSent) / seconds;
    const backlog = sim1.eventsSent - frames(after);
    const modelRates = after.map(
      (s, i) => (s.modelEvents - (before[i] as InstanceStats).modelEvents) / seconds,
    );
    const fastest = Math.max(...modelRates);
    const followersKeepUp = modelRates.every((r) => r >= fastest * 0.95);
    const sustained = backlog < Math.max(1000, offered) && followersKeepUp && !ownerChanged;
    const refreshes = after.reduce((a, s) => a + s.refreshes, 0);
    const owner1 = after[ownerIndex] as InstanceStats;
    const same = pools[ownerIndex] as ViewerPool;
    const others = pools.filter((_, i) => i !== ownerIndex);
    const sameLag = summarize(same.samples);
    const crossLag = summarize(others.flatMap((p) => p.samples));
    const rssMB = round1(mem.reduce((a, s) => a + s.rssMB, 0) / mem.length);
    const heapMB = round1(mem.reduce((a, s) => a + s.heapUsedMB, 0) / mem.length);
    log(
      `scale[${count}]: ${round1(seconds)} s measured, ${owner1.activeCalls} live calls; simulator emitted ` +
        `${Math.round((sim1.eventsEmitted - sim0.eventsEmitted) / seconds)} AMI events/s, sent ${Math.round(offered)}/s; ` +
        `owner ingested ${Math.round(amiPerSec)}/s, backlog ${backlog}` +
        `${refreshes > 0 ? ` (${refreshes} snapshot refreshes so far)` : ""}; model events/s per instance ` +
        `${modelRates.map((r) => Math.round(r)).join(", ")}; CPU per instance ` +
        `${after.map((s, i) => `${Math.round((s.cpuMs - (before[i] as InstanceStats).cpuMs) / 10 / seconds)}%`).join(", ")}` +
        ` of a core, simulator + viewers ${Math.round((cpu1.user + cpu1.system) / 10_000 / seconds)}%`,
    );
    log(
      `scale[${count}]: memory per instance (after GC) ` +
        mem
          .map(
            (s) =>
              `${s.instance}: rss ${s.rssMB} MB, heap used ${s.heapUsedMB} of ${s.heapTotalMB} MB, external ${s.externalMB} MB`,
          )
          .join("; "),
    );
    log(
      `scale[${count}]: lag to viewers of the owner p50=${sameLag.p50} p99=${sameLag.p99} ms (n=${sameLag.n})` +
        (others.length > 0
          ? `; of the other instances p50=${crossLag.p50} p99=${crossLag.p99} max=${crossLag.max} ms (n=${crossLag.n})`
          : "") +
        `; ${await machineLoad()}`,
    );
    if (!sustained) {
      log(
        `scale[${count}]: NOT sustained (backlog ${backlog} AMI events, model rates ` +
          `${modelRates.map((r) => Math.round(r)).join(", ")}${ownerChanged ? ", the PBX lease changed hands" : ""})`,
      );
    }
    return { amiPerSec, sustained, rssMB, heapMB, sameLag, crossLag, calls: owner1.activeCalls };
  } finally {
    traffic?.stop();
    for (const p of pools) p.close();
    await Promise.all(instances.map((i) => i.stop()));
    await sim.stop();
  }
}

async function waitOwner(instance: ChildInstance, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`${instance.url}/healthz`);
      const body = (await res.json()) as { pbx: { connected: boolean; cluster?: { role: string } }[] };
      const pbx = body.pbx[0];
      if (pbx?.connected && (pbx.cluster === undefined || pbx.cluster.role === "owner")) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`${instance.name} did not connect to the AMI simulator`);
    await sleep(100);
  }
}

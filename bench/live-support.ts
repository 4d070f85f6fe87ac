// Shared pieces of the live benchmarks (fanout.ts, scale.ts): a generated directory, Callsight servers in
// child processes (dist/bench/callsight-child.js) that report their memory and counters over IPC, a pool
// of WebSocket viewers that time every new call leg they are shown, and percentiles.
//
// How latency is measured: the AMI simulator stamps every event it emits with `Timestamp: <now>` (the
// moment it writes the event out), the AMI translator keeps that as the event time, and a leg's `since`
// in the board (PersonCallView.since) is the time of the event that created the leg. The leg becomes
// visible with that very event (Newchannel), so a viewer that is shown a `since` it has not seen before
// for that person measures `receive time - since` = AMI event leaving the simulator -> delta at the viewer.
// Every call is such a marker; fanout.ts also injects marker calls on quiet extensions to cross-check.

import { type ChildProcess, fork } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import WebSocket from "ws";
import { TokenStore } from "../src/api/auth/token-store.js";
import { startLocalRedis } from "../src/runtime/local-redis.js";

export interface Figure {
  value: number;
  unit: string;
  baseline?: number;
  ratio?: number;
}

export type Log = (line: string) => void;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---- the directory -------------------------------------------------------------------------------

export interface DirectorySpec {
  /** Number of users; user i has id and extension `firstExtension + i`. */
  users: number;
  perDepartment: number;
  firstExtension: number;
  /** Supervisors per department (its first users). */
  supervisorsPerDepartment: number;
  /** Admins: the last users of the first `admins` departments. */
  admins: number;
}

export interface GeneratedDirectory {
  yaml: string;
  extensions: string[];
  names: Record<string, string>;
  /** Department index of each extension. */
  department: Map<string, number>;
  admins: Set<string>;
}

/** callsight.yaml text for a directory of `users` people on one AMI pbx `main` (port etc. from the env). */
export function generateDirectory(spec: DirectorySpec): GeneratedDirectory {
  const departments = Math.ceil(spec.users / spec.perDepartment);
  const extensions: string[] = [];
  const names: Record<string, string> = {};
  const department = new Map<string, number>();
  const admins = new Set<string>();
  const lines: string[] = [
    "monitoringRoles: [supervisor, admin]",
    "pbx:",
    "  - id: main",
    "    driver: ami",
    "    host: 127.0.0.1",
    "    port: 5038",
    "    username: callsight",
    "    secret: bench",
    "    trunks: [carrier]",
    "recording:",
    "  directory: /tmp/callsight-bench-spool",
    "  store: /tmp/callsight-bench-store",
    "departments:",
  ];
  for (let d = 0; d < departments; d++) lines.push(`  - { id: d${d}, name: Department ${d} }`);
  lines.push("users:");
  for (let i = 0; i < spec.users; i++) {
    const ext = String(spec.firstExtension + i);
    const d = Math.floor(i / spec.perDepartment);
    const pos = i % spec.perDepartment;
    const lastOfDept = pos === spec.perDepartment - 1 || i === spec.users - 1;
    const admin = lastOfDept && d < spec.admins;
    const role = admin ? "admin" : pos < spec.supervisorsPerDepartment ? "supervisor" : "agent";
    const name = `User ${ext}`;
    extensions.push(ext);
    names[ext] = name;
    department.set(ext, d);
    if (admin) admins.add(ext);
    const ops = role === "agent" ? "" : ", operations: { listen: true, whisper: true, barge: true }";
    lines.push(
      `  - { id: "${ext}", name: ${name}, extension: "${ext}", departments: [d${d}], role: ${role}, recording: off${ops} }`,
    );
  }
  return { yaml: `${lines.join("\n")}\n`, extensions, names, department, admins };
}

/** A small deterministic PRNG (mulberry32) so runs place calls the same way. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The plain call scenarios minus the one whose dialplan records (recording is not what is measured). */
export const TRAFFIC_SCENARIOS = [
  "01-internal-answered",
  "02-internal-cancelled",
  "03-internal-busy",
  "04-outbound-answered",
  "05-inbound-answered",
  "06-hold-unhold",
  "15a-blind-transfer",
];

/** Maps the scenarios' template extensions (1001-1003) onto three distinct random extensions of `pool`. */
export function spreadCalls(pool: readonly string[], seed = 1): (index: number) => Record<string, string> {
  const random = prng(seed);
  return () => {
    const pick = new Set<string>();
    while (pick.size < 3) pick.add(pool[Math.floor(random() * pool.length)] as string);
    const [a, b, c] = [...pick] as [string, string, string];
    return { "1001": a, "1002": b, "1003": c };
  };
}

// ---- Redis ---------------------------------------------------------------------------------------

export async function benchRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop: async () => undefined };
  const r = await startLocalRedis();
  return { url: r.url, stop: () => r.stop() };
}

/** Tokens for many users in one round trip each batch. */
export async function createTokens(
  redisUrl: string,
  prefix: string,
  users: readonly string[],
): Promise<Map<string, string>> {
  const redis = new Redis(redisUrl);
  try {
    const store = new TokenStore(redis, prefix);
    const out = new Map<string, string>();
    for (let i = 0; i < users.length; i += 200) {
      const batch = users.slice(i, i + 200);
      const tokens = await Promise.all(batch.map((u) => store.create(u, "bench")));
      for (let j = 0; j < batch.length; j++) out.set(batch[j] as string, tokens[j] as string);
    }
    return out;
  } finally {
    redis.disconnect();
  }
}

// ---- Callsight in a child process ----------------------------------------------------------------

export interface InstanceStats {
  instance: string;
  owner: boolean;
  rssMB: number;
  heapUsedMB: number;
  heapTotalMB: number;
  /** Memory outside the V8 heap held by JS objects (Buffers etc.). */
  externalMB: number;
  /** AMI frames this instance's own PBX connections received (while it owned the PBX; 0 on a follower). */
  amiFrames: number;
  /** Snapshot refreshes (a second PBX connection replacing the first) this instance made as the owner. */
  refreshes: number;
  /** Normalized events applied to the model (from the stream when clustered). */
  modelEvents: number;
  modelBatches: number;
  viewers: number;
  activeCalls: number;
  /** Process CPU time (user + system) so far, ms. */
  cpuMs: number;
  /** Event-loop delay since the last stats request, ms. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /** BoardHub.flush since the last stats request. */
  flushes: number;
  flushMsTotal: number;
  flushMsMax: number;
  flushP99Ms: number;
  /** Messages the hub handed to connections since the last stats request. */
  sent: number;
  /** p99 of PBX event time (the simulator's stamp) -> the model applying it, ms. */
  inputDelayP99Ms: number;
  /** p99 of the first model change after a flush -> the next flush starting, ms. */
  flushWaitP99Ms: number;
}

export interface ChildInstance {
  name: string;
  url: string;
  child: ChildProcess;
  stats(opts?: { gc?: boolean }): Promise<InstanceStats>;
  stop(): Promise<void>;
}

const CHILD = fileURLToPath(new URL("./callsight-child.js", import.meta.url));

export interface ChildOptions {
  name: string;
  configFile: string;
  amiPort: number;
  redisUrl: string;
  prefix: string;
  workDir: string;
  /** Extra node flags (e.g. --cpu-prof). */
  execArgv?: string[];
}

/** Starts one Callsight server process (clustered, as `callsight serve` runs by default). */
export async function spawnInstance(opts: ChildOptions): Promise<ChildInstance> {
  const child = fork(CHILD, [], {
    env: {
      ...process.env,
      CONFIG_FILE: opts.configFile,
      AMI_PORT: String(opts.amiPort),
      REDIS_URL: opts.redisUrl,
      PREFIX: opts.prefix,
      INSTANCE: opts.name,
      SPOOL: join(opts.workDir, "spool"),
      OUTBOX: join(opts.workDir, `${opts.name}-outbox.jsonl`),
    },
    execArgv: [
      "--expose-gc",
      // BENCH_TRACE_GC=1: V8 prints every garbage collection of the server processes.
      ...(process.env.BENCH_TRACE_GC ? ["--trace-gc"] : []),
      // BENCH_CPU_PROF=<dir>: a .cpuprofile of every server process, written when it stops.
      ...(process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
      // BENCH_SERVER_FLAGS="--flag …": extra node flags for the server processes (to try a setting).
      ...(process.env.BENCH_SERVER_FLAGS ? process.env.BENCH_SERVER_FLAGS.split(/\s+/).filter(Boolean) : []),
      ...(opts.execArgv ?? []),
    ],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  let seq = 0;
  const waiting = new Map<number, (s: InstanceStats) => void>();
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${opts.name} did not start within 60 s`)), 60_000);
    child.on("message", (m: { type: string; url?: string; id?: number; stats?: InstanceStats }) => {
      if (m.type === "ready") {
        clearTimeout(timer);
        resolve(m.url as string);
      } else if (m.type === "stats" && m.id !== undefined) {
        waiting.get(m.id)?.(m.stats as InstanceStats);
        waiting.delete(m.id);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${opts.name} exited with ${code} before it was ready`));
    });
  });
  return {
    name: opts.name,
    url,
    child,
    stats: (o = {}) =>
      new Promise<InstanceStats>((resolve, reject) => {
        const id = ++seq;
        const timer = setTimeout(() => reject(new Error(`${opts.name}: no stats within 30 s`)), 30_000);
        waiting.set(id, (s) => {
          clearTimeout(timer);
          resolve(s);
        });
        child.send({ type: "stats", id, gc: o.gc === true });
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const kill = setTimeout(() => child.kill("SIGKILL"), 10_000);
        child.once("exit", () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill("SIGTERM");
      }),
  };
}

export async function workDir(
  name: string,
): Promise<{ dir: string; configFile: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `callsight-${name}-`));
  return {
    dir,
    configFile: join(dir, "callsight.yaml"),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

export async function writeConfig(file: string, yaml: string): Promise<void> {
  await writeFile(file, yaml, "utf8");
}

// ---- viewers -------------------------------------------------------------------------------------

interface PersonMsg {
  id: string;
  calls?: { since: number; state: string }[];
}

type StreamMsg =
  | { type: "snapshot"; view: { people: PersonMsg[] } }
  | { type: "delta"; deltas: ({ op: "person"; person: PersonMsg } | { op: string })[] }
  | { type: "heartbeat" };

export interface LegSeen {
  person: string;
  since: number;
  at: number;
}

/**
 * WebSocket viewers of /v1/stream. Each remembers, per person, the `since` of the call legs it was last
 * shown; a `since` it has not seen is a new leg: one latency sample (`at - since`).
 */
export class ViewerPool {
  readonly sockets: WebSocket[] = [];
  /** Latency samples (ms) while `recording`. */
  samples: number[] = [];
  recording = false;
  messages = 0;
  bytes = 0;
  snapshots = 0;
  errors = 0;
  closed = 0;
  /** Called for every new leg a viewer is shown (marker bookkeeping); `viewer` is the pool index. */
  onLeg: ((viewer: number, leg: LegSeen) => void) | undefined;

  async connect(
    url: string,
    tokens: readonly { user: string; token: string }[],
    parallel = 50,
    timeoutMs = 60_000,
  ): Promise<void> {
    const base = url.replace(/^http/, "ws");
    let next = 0;
    const deadline = Date.now() + timeoutMs;
    const one = async (): Promise<void> => {
      while (next < tokens.length) {
        const i = next++;
        const t = tokens[i] as { user: string; token: string };
        const index = this.sockets.length;
        await this.open(`${base}/v1/stream?access_token=${encodeURIComponent(t.token)}`, index, deadline);
      }
    };
    await Promise.all(Array.from({ length: parallel }, one));
  }

  private open(url: string, index: number, deadline: number): Promise<void> {
    const known = new Map<string, number[]>();
    return new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      this.sockets.push(ws);
      const timer = setTimeout(
        () => reject(new Error("viewer: no snapshot in time")),
        Math.max(1, deadline - Date.now()),
      );
      ws.on("message", (data: Buffer) => {
        const at = Date.now();
        this.messages++;
        this.bytes += data.length;
        const msg = JSON.parse(data.toString("utf8")) as StreamMsg;
        if (msg.type === "snapshot") {
          for (const p of msg.view.people)
            known.set(
              p.id,
              (p.calls ?? []).map((c) => c.since),
            );
          this.snapshots++;
          clearTimeout(timer);
          resolve();
          return;
        }
        if (msg.type !== "delta") return;
        for (const d of msg.deltas) {
          if (d.op !== "person") continue;
          const person = (d as { person: PersonMsg }).person;
          const before = known.get(person.id);
          const now: number[] = [];
          for (const c of person.calls ?? []) {
            now.push(c.since);
            if (before?.includes(c.since)) continue;
            if (this.recording) this.samples.push(at - c.since);
            this.onLeg?.(index, { person: person.id, since: c.since, at });
          }
          known.set(person.id, now);
        }
      });
      ws.on("error", (err) => {
        this.errors++;
        clearTimeout(timer);
        reject(err);
      });
      ws.on("close", () => {
        this.closed++;
      });
    });
  }

  close(): void {
    for (const ws of this.sockets) ws.terminate();
  }
}

// ---- numbers -------------------------------------------------------------------------------------

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

export function summarize(samples: readonly number[]): {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
} {
  const s = Float64Array.from(samples).sort();
  return {
    n: s.length,
    p50: percentile(s, 50),
    p90: percentile(s, 90),
    p99: percentile(s, 99),
    max: s.length ? (s[s.length - 1] as number) : Number.NaN,
  };
}

export const round1 = (n: number): number => Math.round(n * 10) / 10;

/** What else runs on the machine: load averages and core count, for the log. */
export async function machineLoad(): Promise<string> {
  const os = await import("node:os");
  const [a, b, c] = os.loadavg();
  return `load average ${a?.toFixed(2)} ${b?.toFixed(2)} ${c?.toFixed(2)} on ${os.cpus().length} cores`;
}

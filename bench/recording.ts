// Recording pipeline benchmark: finalize jobs per second end to end — enqueue, a worker process takes
// the job, reads the WAV header, checksums, moves the file into the store with its metadata, and
// indexes it — on small WAV files (1 s, 8 kHz 16-bit mono) that the PBX finished writing earlier.
//   recording.finalize.jobsPerSec.1worker    one worker process
//   recording.finalize.jobsPerSec.2workers   two worker processes on the same Redis (baseline: one)
// Workers are real child processes (dist/bench/recording-worker-child.js), so run it from dist/ after
// `npm run build`. Uses REDIS_URL when set, otherwise a private redis-server from PATH.

import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { RecordingIndex } from "../src/recording/recording-index.js";
import type { FinalizeRecording } from "../src/recording/recording-job.js";
import { RecordingQueue } from "../src/recording/recording-queue.js";
import { wavHeader } from "../src/recording/wav.js";
import { freePort } from "../src/runtime/local-redis.js";

export interface Figure {
  value: number;
  unit: string;
  baseline?: number;
  ratio?: number;
}

export interface RecordingBenchOptions {
  /** Jobs per measured run (default 600). */
  jobs?: number;
  /** Measured runs per worker count; the best is kept (default 3). */
  runs?: number;
  /** Concurrency of each worker process (default 8). */
  concurrency?: number;
  log?: (line: string) => void;
}

const CHILD = fileURLToPath(new URL("./recording-worker-child.js", import.meta.url));

async function startRedis(): Promise<{ url: string; stop(): void }> {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop: () => undefined };
  const port = await freePort();
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: "ignore" },
  );
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on("error", () => undefined);
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      return { url, stop: () => child.kill() };
    } catch {
      probe.disconnect();
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  child.kill();
  throw new Error("redis-server did not start");
}

async function startWorkers(count: number, env: Record<string, string>): Promise<ChildProcess[]> {
  const children = Array.from({ length: count }, () =>
    spawn(process.execPath, [CHILD], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "inherit"],
    }),
  );
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve, reject) => {
          let out = "";
          child.stdout!.on("data", (d: Buffer) => {
            out += d.toString();
            if (out.includes("ready")) resolve();
          });
          child.once("exit", (code) =>
            reject(new Error(`bench worker exited with ${code} before it was ready`)),
          );
        }),
    ),
  );
  return children;
}

async function stopWorkers(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once("exit", () => resolve());
          child.kill("SIGTERM");
        }),
    ),
  );
}

/** `count` WAV files written "a minute ago" (the PBX is done with them), and their jobs. */
async function makeRecordings(spool: string, tag: string, count: number): Promise<FinalizeRecording[]> {
  const dataBytes = 16_000;
  const header = wavHeader(dataBytes);
  const past = new Date(Date.now() - 60_000);
  const base = Date.now();
  const jobs: FinalizeRecording[] = [];
  for (let i = 0; i < count; i++) {
    const file = join(spool, `${tag}-${i}.wav`);
    await writeFile(file, Buffer.concat([header, randomBytes(dataBytes)]));
    await utimes(file, past, past);
    jobs.push({
      pbx: "bench",
      callId: `${tag}.${i}`,
      leg: `PJSIP/1001-${i}`,
      extension: "1001",
      file,
      startedAt: base + i,
      stoppedAt: base + i + 1000,
      direction: "inbound",
      parties: [
        { number: "+15550100", external: true },
        { user: "alice", number: "1001", external: false },
      ],
      requiredBy: ["alice"],
    });
  }
  return jobs;
}

/** Enqueues every job and waits until all are stored and indexed; returns jobs per second. */
async function measure(
  url: string,
  redis: Redis,
  root: string,
  workers: number,
  jobs: number,
  concurrency: number,
  tag: string,
): Promise<number> {
  const prefix = `callsight:bench:${tag}:`;
  const spool = join(root, tag, "spool");
  const store = join(root, tag, "store");
  await mkdir(spool, { recursive: true });
  const recordings = await makeRecordings(spool, tag, jobs);
  const children = await startWorkers(workers, {
    REDIS_URL: url,
    PREFIX: prefix,
    STORE: store,
    CONCURRENCY: String(concurrency),
  });
  const queue = new RecordingQueue({ redis: url, prefix });
  const index = new RecordingIndex(redis, prefix);
  try {
    await queue.queue.waitUntilReady();
    const start = process.hrtime.bigint();
    const batch = 50;
    for (let i = 0; i < recordings.length; i += batch) {
      const outcomes = await Promise.all(recordings.slice(i, i + batch).map((r) => queue.enqueueFinalize(r)));
      if (outcomes.some((o) => o !== "queued")) throw new Error(`unexpected enqueue outcome: ${outcomes}`);
    }
    const deadline = Date.now() + 300_000;
    while ((await index.count()) < jobs) {
      if (Date.now() > deadline) throw new Error(`only ${await index.count()} of ${jobs} jobs done in 300 s`);
      await new Promise((r) => setTimeout(r, 5));
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const failed = (await queue.counts()).failed;
    if (failed > 0) throw new Error(`${failed} jobs failed`);
    return jobs / seconds;
  } finally {
    await stopWorkers(children);
    await queue.close();
    await rm(join(root, tag), { recursive: true, force: true });
  }
}

export async function benchRecording(options: RecordingBenchOptions = {}): Promise<Record<string, Figure>> {
  const jobs = options.jobs ?? 600;
  const runs = options.runs ?? 3;
  const concurrency = options.concurrency ?? 8;
  const log = options.log ?? (() => undefined);
  const server = await startRedis();
  const redis = new Redis(server.url);
  const root = await mkdtemp(join(tmpdir(), "callsight-bench-recording-"));
  const runId = randomBytes(4).toString("hex");
  try {
    // Warm-up: Redis scripts loaded, file system caches primed.
    await measure(server.url, redis, root, 1, Math.min(100, jobs), concurrency, `${runId}-warmup`);
    const best: Record<number, number> = {};
    for (const workers of [1, 2]) {
      for (let run = 0; run < runs; run++) {
        const rate = await measure(
          server.url,
          redis,
          root,
          workers,
          jobs,
          concurrency,
          `${runId}-w${workers}-r${run}`,
        );
        log(`recording finalize: ${workers} worker process(es), run ${run + 1}: ${rate.toFixed(1)} jobs/s`);
        best[workers] = Math.max(best[workers] ?? 0, rate);
      }
    }
    const one = Math.round(best[1]! * 10) / 10;
    const two = Math.round(best[2]! * 10) / 10;
    return {
      "recording.finalize.jobsPerSec.1worker": { value: one, unit: "jobs/s" },
      "recording.finalize.jobsPerSec.2workers": {
        value: two,
        unit: "jobs/s",
        baseline: one,
        ratio: Math.round((two / one) * 100) / 100,
      },
    };
  } finally {
    redis.disconnect();
    server.stop();
    await rm(root, { recursive: true, force: true });
  }
}

// `node dist/bench/recording.js` runs it alone.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  benchRecording({ log: (line) => process.stderr.write(`${line}\n`) }).then(
    (figures) => process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}

// The recording worker on real files and a real Redis.

import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { appendFile, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FinalizeResult } from "../../src/recording/recording-finalizer.js";
import { RecordingIndex } from "../../src/recording/recording-index.js";
import { type FinalizeRecording, finalizeJobId } from "../../src/recording/recording-job.js";
import { registerRecordingMetrics } from "../../src/recording/recording-metrics.js";
import { RecordingQueue } from "../../src/recording/recording-queue.js";
import { type RecordingMetadata, RecordingStore } from "../../src/recording/recording-store.js";
import { RecordingWorker } from "../../src/recording/recording-worker.js";
import { wavHeader } from "../../src/recording/wav.js";
import { waitFor } from "../ami/helpers.js";
import { testRedis } from "../support/redis.js";
import { recordingJob, tempDir, wavBytes, writeWav } from "./helpers.js";

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/**
 * How long a file must stay unchanged before the worker takes it as finished: well above the 100 ms
 * between the appends of "a file still being written", so that a stall on a slow machine is not taken
 * for the end of the recording.
 */
const SETTLE_MS = 1000;
// The tests that wait for a job (up to 10 s, the default of waitFor) have a limit of 30 s, above it.

let redis: Awaited<ReturnType<typeof testRedis>>["redis"];
let prefix: string;
let url: string;
let spool: string;
let storeDir: string;
let removeDir: () => Promise<void>;
let index: RecordingIndex;
let store: RecordingStore;
let queue: RecordingQueue;
let worker: RecordingWorker;

beforeAll(async () => {
  ({ redis, prefix, url } = await testRedis());
  const tmp = await tempDir("worker");
  removeDir = tmp.remove;
  spool = join(tmp.dir, "spool");
  storeDir = join(tmp.dir, "store");
  await mkdir(spool);
  index = new RecordingIndex(redis, prefix);
  store = new RecordingStore(storeDir);
  queue = new RecordingQueue({ redis: url, prefix, attempts: 3, backoffMs: 50 });
  worker = new RecordingWorker({
    redis: url,
    prefix,
    store,
    index,
    settleMs: SETTLE_MS,
    lockDurationMs: 2000,
    stalledIntervalMs: 500,
  });
  await worker.start();
});

afterAll(async () => {
  await worker?.close();
  await queue?.close();
  redis?.disconnect();
  await removeDir?.();
});

async function finished(jobId: string, timeoutMs = 10_000): Promise<"completed" | "failed"> {
  return waitFor(
    async () => {
      const state = await queue.queue.getJobState(jobId);
      return state === "completed" || state === "failed" ? state : undefined;
    },
    `job ${jobId} to finish`,
    timeoutMs,
  );
}

async function wavsIn(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  return (await readdir(dir)).filter((n) => n.endsWith(".wav")).sort();
}

describe("a good recording", () => {
  it("ends in the store with its metadata and index entries, and leaves the spool", async () => {
    const file = join(spool, "good.wav");
    const bytes = await writeWav(file, 3000);
    const job = recordingJob(file, { callId: "1714564800.17", extension: "1001" });
    expect(await queue.enqueueFinalize(job)).toBe("queued");
    const id = finalizeJobId(job);
    expect(await finished(id)).toBe("completed");

    const dir = join(storeDir, "2024", "05", "01");
    const wavPath = join(dir, "1714564800.17-1001.wav");
    expect(await readFile(wavPath)).toEqual(bytes);
    expect(existsSync(file)).toBe(false);
    const metadata = JSON.parse(
      await readFile(join(dir, "1714564800.17-1001.json"), "utf8"),
    ) as RecordingMetadata;
    expect(metadata).toMatchObject({
      id,
      pbx: "main",
      callId: "1714564800.17",
      direction: "inbound",
      parties: job.parties,
      requiredBy: ["alice"],
      startedAt: job.startedAt,
      stoppedAt: job.stoppedAt,
      durationMs: 3000,
      sizeBytes: bytes.length,
      sha256: sha256(bytes),
      wav: { format: "pcm", channels: 1, sampleRate: 8000, bitsPerSample: 16, dataBytes: 48_000 },
      originalPath: file,
      file: "2024/05/01/1714564800.17-1001.wav",
    });
    expect(metadata.onDemandBy).toBeUndefined();

    const result = (await queue.queue.getJob(id))!.returnvalue as FinalizeResult;
    expect(result).toMatchObject({ durationMs: 3000, sizeBytes: bytes.length, recovered: false });

    expect((await index.list({ call: "1714564800.17" })).map((m) => m.id)).toEqual([id]);
    expect((await index.list({ user: "alice" })).map((m) => m.id)).toContain(id);
    expect(await index.list({ user: "bob" })).toEqual([]);
    const day = Date.UTC(2024, 4, 1);
    expect((await index.list({ from: day, to: day + 86_400_000 })).map((m) => m.id)).toContain(id);
    expect((await index.list({ from: day + 86_400_000 })).map((m) => m.id)).not.toContain(id);
  }, 30_000);

  it("stores a second segment of the same call and extension beside the first", async () => {
    const first = join(spool, "seg-a.wav");
    const second = join(spool, "seg-b.wav");
    await writeWav(first, 500);
    await writeWav(second, 700);
    const a = recordingJob(first, { callId: "1714564800.40", onDemandBy: "bob" });
    const b = recordingJob(second, { callId: "1714564800.40", onDemandBy: "bob" });
    await queue.enqueueFinalize(a);
    await queue.enqueueFinalize(b);
    expect(await finished(finalizeJobId(a))).toBe("completed");
    expect(await finished(finalizeJobId(b))).toBe("completed");
    const dir = join(storeDir, "2024", "05", "01");
    expect((await wavsIn(dir)).filter((n) => n.startsWith("1714564800.40-"))).toEqual([
      "1714564800.40-1001-2.wav",
      "1714564800.40-1001.wav",
    ]);
    const listed = await index.list({ call: "1714564800.40" });
    expect(listed.map((m) => m.durationMs).sort()).toEqual([500, 700]);
    expect(listed.every((m) => m.onDemandBy === "bob")).toBe(true);
    expect((await index.list({ user: "bob" })).length).toBe(2);
  }, 30_000);
});

describe("a file still being written", () => {
  it("is processed only after it stops growing", async () => {
    const file = join(spool, "growing.wav");
    const total = 16_000;
    await writeFile(file, wavHeader(total));
    const job = recordingJob(file);
    await queue.enqueueFinalize(job);
    const audio = randomBytes(total);
    const chunks = 12;
    let lastWrite = 0;
    for (let i = 0; i < chunks; i++) {
      await new Promise((r) => setTimeout(r, 100));
      await appendFile(file, audio.subarray((i * total) / chunks, ((i + 1) * total) / chunks));
      lastWrite = Date.now();
      // While it grows, nothing is stored and the job has not failed.
      expect(await queue.queue.getJobState(finalizeJobId(job))).not.toMatch(/completed|failed/);
    }
    expect(await finished(finalizeJobId(job))).toBe("completed");
    const done = (await queue.queue.getJob(finalizeJobId(job)))!;
    expect(done.finishedOn! - lastWrite).toBeGreaterThanOrEqual(SETTLE_MS - 20);
    expect(done.attemptsMade).toBe(1);
    const result = done.returnvalue as FinalizeResult;
    expect(result.durationMs).toBe(1000);
    expect(result.sizeBytes).toBe(44 + total);
    expect(result.sha256).toBe(sha256(Buffer.concat([wavHeader(total), audio])));
  }, 30_000);
});

describe("a bad file", () => {
  it.each([
    [
      "truncated",
      wavBytes(1000).subarray(0, 44 + 6000),
      "truncated WAV: data chunk says 16000 bytes, file has 6000",
    ],
    [
      "not-a-wav",
      Buffer.from("<html>404 Not Found</html>\n".repeat(4)),
      "not a WAV file: missing RIFF header",
    ],
  ])(
    "(%s) fails with the reason after its attempts, stays failed and keeps the file",
    async (name, bytes, reason) => {
      const file = join(spool, `${name}.wav`);
      await writeFile(file, bytes);
      const job = recordingJob(file);
      const id = finalizeJobId(job);
      await queue.enqueueFinalize(job);
      expect(await finished(id)).toBe("failed");
      const failed = (await queue.queue.getJob(id))!;
      expect(failed.attemptsMade).toBe(3);
      expect(failed.failedReason).toBe(`${reason}: ${file}`);
      expect(await readFile(file)).toEqual(bytes);
      const listed = await queue.failedJobs();
      expect(listed.find((f) => f.id === id)).toMatchObject({
        failedReason: `${reason}: ${file}`,
        attemptsMade: 3,
        recording: { file },
      });
      expect(await index.list({ call: job.callId })).toEqual([]);
    },
    30_000,
  );

  it("a missing file fails with its path", async () => {
    const file = join(spool, "never-written.wav");
    const job = recordingJob(file);
    await queue.enqueueFinalize(job);
    expect(await finished(finalizeJobId(job))).toBe("failed");
    expect((await queue.queue.getJob(finalizeJobId(job)))!.failedReason).toBe(
      `recording file not found: ${file}`,
    );
  }, 30_000);
});

describe("duplicate stop events", () => {
  it("make one job and one stored file", async () => {
    const file = join(spool, "dup.wav");
    await writeWav(file, 400);
    const job = recordingJob(file, { callId: "1714564800.77" });
    const copy: FinalizeRecording = JSON.parse(JSON.stringify(job));
    const outcomes = await Promise.all([queue.enqueueFinalize(job), queue.enqueueFinalize(copy)]);
    expect(outcomes.sort()).toEqual(["duplicate", "queued"]);
    expect(await finished(finalizeJobId(job))).toBe("completed");
    // A third report after completion is still the same job.
    expect(await queue.enqueueFinalize(copy)).toBe("duplicate");
    expect(await queue.queue.getJobState(finalizeJobId(job))).toBe("completed");
    // Even if the job had been forgotten, running it again finds the stored file instead of failing.
    const again = await worker.finalizer.finalize(finalizeJobId(job), job);
    expect(again.recovered).toBe(true);
    const dir = join(storeDir, "2024", "05", "01");
    expect((await wavsIn(dir)).filter((n) => n.startsWith("1714564800.77-"))).toEqual([
      "1714564800.77-1001.wav",
    ]);
    expect(await index.list({ call: "1714564800.77" })).toHaveLength(1);
  }, 30_000);
});

describe("a worker killed in the middle of a job", () => {
  it.each(["claimed", "stored"])(
    "(after the %s step) leaves a job that another worker completes exactly once",
    async (step) => {
      // A queue of its own, so that only the child worker can take the job at first.
      const killPrefix = `${prefix}kill-${step}:`;
      const killQueue = new RecordingQueue({ redis: url, prefix: killPrefix, attempts: 3, backoffMs: 50 });
      const killIndex = new RecordingIndex(redis, killPrefix);
      const killStore = join(storeDir, `kill-${step}`);
      const child = spawn(
        process.execPath,
        ["node_modules/vite-node/vite-node.mjs", "test/recording/support/worker-child.ts"],
        {
          env: { ...process.env, REDIS_URL: url, PREFIX: killPrefix, STORE: killStore, PAUSE_AT: step },
          stdio: ["ignore", "pipe", "inherit"],
        },
      );
      let output = "";
      child.stdout.on("data", (d: Buffer) => {
        output += d.toString();
      });
      const exited = new Promise((resolve) => child.once("exit", resolve));
      let rescuer: RecordingWorker | undefined;
      try {
        await waitFor(() => output.includes("ready"), "the child worker to start", 20_000);
        const file = join(spool, `kill-${step}.wav`);
        const bytes = await writeWav(file, 600);
        const job = recordingJob(file, { callId: `1714564800.9${step.length}` });
        const id = finalizeJobId(job);
        await killQueue.enqueueFinalize(job);
        await waitFor(() => output.includes(`paused ${step} ${id}`), `the child to reach ${step}`, 10_000);
        child.kill("SIGKILL");
        await exited;

        rescuer = new RecordingWorker({
          redis: url,
          prefix: killPrefix,
          store: new RecordingStore(killStore),
          index: killIndex,
          settleMs: 50,
          lockDurationMs: 1000,
          stalledIntervalMs: 300,
        });
        await rescuer.start();
        const state = await waitFor(
          async () => {
            const s = await killQueue.queue.getJobState(id);
            return s === "completed" || s === "failed" ? s : undefined;
          },
          "the stalled job to be completed by another worker",
          15_000,
        );
        expect(state).toBe("completed");
        const done = (await killQueue.queue.getJob(id))!;
        expect((done.returnvalue as FinalizeResult).sha256).toBe(sha256(bytes));
        const dir = join(killStore, "2024", "05", "01");
        expect(await wavsIn(dir)).toEqual([`${job.callId}-1001.wav`]);
        expect((await readdir(dir)).filter((n) => n.endsWith(".json"))).toEqual([`${job.callId}-1001.json`]);
        expect(await readFile(join(dir, `${job.callId}-1001.wav`))).toEqual(bytes);
        expect(await killIndex.list({ call: job.callId })).toHaveLength(1);
        expect(await killIndex.count()).toBe(1);
        expect(existsSync(file)).toBe(false);
      } finally {
        if (child.exitCode === null) child.kill("SIGKILL");
        await rescuer?.close();
        await killQueue.close();
      }
    },
    40_000,
  );
});

describe("metrics", () => {
  it("expose queue depth, completed and failed counts and processing time", async () => {
    const registry = new Registry();
    const metrics = registerRecordingMetrics(registry, queue);
    const file = join(spool, "metrics.wav");
    await writeWav(file, 200);
    const job = recordingJob(file);
    await queue.enqueueFinalize(job);
    expect(await finished(finalizeJobId(job))).toBe("completed");
    await metrics.refresh();
    const text = await registry.metrics();
    const value = (line: string) =>
      Number(
        text
          .split("\n")
          .find((l) => l.startsWith(line))
          ?.split(" ")
          .pop(),
      );
    expect(value('callsight_recording_jobs{state="completed"}')).toBeGreaterThanOrEqual(5);
    expect(value('callsight_recording_jobs{state="failed"}')).toBe(3);
    expect(value('callsight_recording_jobs{state="waiting"}')).toBe(0);
    expect(value("callsight_recording_processing_seconds_count")).toBe(1);
    expect(value("callsight_recording_retention_deleted_total")).toBe(0);
  }, 30_000);
});

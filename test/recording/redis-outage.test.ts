// Redis goes away while recordings stop: their jobs wait in the outbox, and once Redis is back every
// recording reaches the store exactly once. Uses a redis-server of its own, killed and restarted.

import { existsSync } from "node:fs";
import { appendFile, mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RecordingOutbox } from "../../src/recording/outbox.js";
import { RecordingIndex } from "../../src/recording/recording-index.js";
import { type FinalizeRecording, finalizeJobId } from "../../src/recording/recording-job.js";
import { RecordingQueue } from "../../src/recording/recording-queue.js";
import { RecordingStore } from "../../src/recording/recording-store.js";
import { RecordingWorker } from "../../src/recording/recording-worker.js";
import { wavHeader } from "../../src/recording/wav.js";
import { waitFor } from "../ami/helpers.js";
import { OwnRedis, recordingJob, tempDir, writeWav } from "./helpers.js";

const prefix = "callsight:outage:";
let server: OwnRedis;
let redis: Redis;
let dir: string;
let removeDir: () => Promise<void>;
let spool: string;
let storeDir: string;
let outbox: RecordingOutbox;
let queue: RecordingQueue;
let worker: RecordingWorker;
let index: RecordingIndex;

beforeAll(async () => {
  ({ dir, remove: removeDir } = await tempDir("outage"));
  await mkdir(join(dir, "redis"));
  spool = join(dir, "spool");
  storeDir = join(dir, "store");
  await mkdir(spool);
  server = await OwnRedis.start(join(dir, "redis"));
  redis = new Redis(server.url, { retryStrategy: () => 100, maxRetriesPerRequest: null });
  redis.on("error", () => undefined);
  index = new RecordingIndex(redis, prefix);
  outbox = new RecordingOutbox(join(dir, "outbox", "recordings.jsonl"));
  queue = new RecordingQueue({
    redis: server.url,
    prefix,
    outbox,
    attempts: 5,
    backoffMs: 100,
    addTimeoutMs: 1000,
  });
  worker = new RecordingWorker({
    redis: server.url,
    prefix,
    store: new RecordingStore(storeDir),
    index,
    // Well above the 100 ms between the appends below, so that a stalled machine does not take a pause
    // in the writing for the end of the recording.
    settleMs: 1000,
    lockDurationMs: 2000,
    stalledIntervalMs: 500,
  });
  await worker.start();
});

afterAll(async () => {
  await worker?.close(true);
  await queue?.close();
  redis?.disconnect();
  await server?.kill();
  await removeDir?.();
});

async function storedWavs(): Promise<string[]> {
  const day = join(storeDir, "2024", "05", "01");
  return existsSync(day) ? (await readdir(day)).filter((n) => n.endsWith(".wav")).sort() : [];
}

describe("Redis stopped and restarted while recordings stop", () => {
  it("keeps the jobs in the outbox and then stores every recording exactly once", async () => {
    const jobs: FinalizeRecording[] = [];
    const recording = async (name: string, ms = 300) => {
      const file = join(spool, `${name}.wav`);
      await writeWav(file, ms);
      const job = recordingJob(file, { callId: `1714564800.${name}` });
      jobs.push(job);
      return job;
    };

    // Redis up: straight to the queue.
    const before = [await recording("a1"), await recording("a2")];
    for (const job of before) expect(await queue.enqueueFinalize(job)).toBe("queued");
    await waitFor(async () => (await index.count()) === 2, "the first recordings to be stored", 10_000);

    // A recording still being written when Redis dies: the worker holds it across the outage.
    const growingFile = join(spool, "inflight.wav");
    const growingJob = recordingJob(growingFile, { callId: "1714564800.inflight" });
    jobs.push(growingJob);
    await writeFile(growingFile, wavHeader(8000));
    expect(await queue.enqueueFinalize(growingJob)).toBe("queued");
    const writer = (async () => {
      for (let i = 0; i < 4; i++) {
        await new Promise((r) => setTimeout(r, 100));
        await appendFile(growingFile, Buffer.alloc(2000, i));
      }
    })();
    // Kill Redis only once the worker holds the job (it is still waiting for the file to settle).
    await waitFor(
      async () => {
        const state = await queue.queue.getJobState(finalizeJobId(growingJob));
        if (state === "completed" || state === "failed")
          throw new Error(`the in-flight job was already ${state} before Redis was killed`);
        return state === "active";
      },
      "the worker to take the in-flight job",
      10_000,
    );
    await server.kill();

    // Redis down: every stop goes to the outbox, without holding the caller long.
    const during = [
      await recording("b1"),
      await recording("b2"),
      await recording("b3"),
      await recording("b4"),
    ];
    for (const job of during) {
      const started = Date.now();
      expect(await queue.enqueueFinalize(job)).toBe("outboxed");
      expect(Date.now() - started).toBeLessThan(2000);
    }
    // The same stop reported twice, and a repeat of one that reached Redis before the outage.
    expect(await queue.enqueueFinalize(JSON.parse(JSON.stringify(during[0])))).toBe("outboxed");
    expect(await queue.enqueueFinalize(JSON.parse(JSON.stringify(before[0])))).toBe("outboxed");
    expect(await outbox.pending()).toBe(6);
    await writer;
    // The worker finishes the file it holds while Redis is away (it cannot record the completion yet).
    await waitFor(() => !existsSync(growingFile), "the in-flight recording to be moved", 10_000);
    await new Promise((r) => setTimeout(r, 500));
    // Flushing while Redis is still away keeps everything.
    expect(await outbox.flush(queue)).toEqual({ flushed: 0, remaining: 6 });

    // Redis back (same port, its data kept): the flusher sends the outbox, the worker reconnects.
    const flusher = outbox.startFlusher(queue, 200);
    try {
      await server.start();
      await waitFor(async () => (await outbox.pending()) === 0, "the outbox to be flushed", 15_000);
      await waitFor(
        async () => {
          for (const job of jobs) {
            if ((await queue.queue.getJobState(finalizeJobId(job))) !== "completed") return false;
          }
          return true;
        },
        "every job to complete",
        20_000,
      );
    } finally {
      await flusher.stop();
    }

    expect(await storedWavs()).toEqual(jobs.map((j) => `${j.callId}-1001.wav`).sort());
    expect(await index.count()).toBe(jobs.length);
    for (const job of jobs) {
      expect(existsSync(job.file)).toBe(false);
      expect(await index.list({ call: job.callId })).toHaveLength(1);
    }
    const inflight = (await index.list({ call: growingJob.callId }))[0]!;
    expect(inflight.sizeBytes).toBe(44 + 8000);
    expect(inflight.durationMs).toBe(500);
    expect((await queue.counts()).failed).toBe(0);
  }, 40_000);
});

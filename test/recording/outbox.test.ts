// The local outbox, flushed into a real queue (and into one whose Redis is unreachable).

import { readdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { RecordingOutbox } from "../../src/recording/outbox.js";
import { finalizeJobId } from "../../src/recording/recording-job.js";
import { RecordingQueue } from "../../src/recording/recording-queue.js";
import { testRedis } from "../support/redis.js";
import { freePort, recordingJob, tempDir } from "./helpers.js";

let redis: Awaited<ReturnType<typeof testRedis>>["redis"];
let url: string;
let basePrefix: string;
let dir: string;
let removeDir: () => Promise<void>;
let unreachable: RecordingQueue;
let queue: RecordingQueue;
let outbox: RecordingOutbox;
let n = 0;

beforeAll(async () => {
  ({ redis, url, prefix: basePrefix } = await testRedis());
  ({ dir, remove: removeDir } = await tempDir("outbox"));
  unreachable = new RecordingQueue({ redis: `redis://127.0.0.1:${await freePort()}`, addTimeoutMs: 300 });
});

beforeEach(async () => {
  n++;
  await queue?.close();
  queue = new RecordingQueue({ redis: url, prefix: `${basePrefix}${n}:` });
  outbox = new RecordingOutbox(join(dir, String(n), "recordings.jsonl"));
});

afterAll(async () => {
  await queue?.close();
  await unreachable?.close();
  redis?.disconnect();
  await removeDir?.();
});

const waiting = async () => (await queue.counts()).waiting;

describe("RecordingOutbox", () => {
  it("appends one JSON line per job and counts them; a torn last line is skipped", async () => {
    const a = recordingJob("/spool/a.wav");
    const b = recordingJob("/spool/b.wav");
    await outbox.append(a);
    await outbox.append(b);
    const lines = (await readFile(outbox.path, "utf8")).trimEnd().split("\n");
    expect(lines.map((l) => JSON.parse(l))).toEqual([a, b]);
    await writeFile(outbox.path, `${lines.join("\n")}\n{"pbx":"main","callId":`, { flag: "w" });
    expect(await outbox.pending()).toBe(2);
  });

  it("keeps every job while Redis is unreachable", async () => {
    for (const f of ["a", "b", "c"]) await outbox.append(recordingJob(`/spool/${f}.wav`));
    expect(await outbox.flush(unreachable)).toEqual({ flushed: 0, remaining: 3 });
    expect(await outbox.pending()).toBe(3);
    // The queue falls back to the outbox by itself.
    const viaQueue = new RecordingQueue({
      redis: `redis://127.0.0.1:${await freePort()}`,
      addTimeoutMs: 300,
      outbox,
    });
    try {
      expect(await viaQueue.enqueueFinalize(recordingJob("/spool/d.wav"))).toBe("outboxed");
    } finally {
      await viaQueue.close();
    }
    expect(await outbox.pending()).toBe(4);
  });

  it("flushes into the queue with the deterministic ids and leaves nothing behind", async () => {
    const jobs = ["a", "b", "c"].map((f) => recordingJob(`/spool/${f}.wav`));
    for (const job of jobs) await outbox.append(job);
    await outbox.append(jobs[0]!);
    expect(await outbox.flush(queue)).toEqual({ flushed: 4, remaining: 0 });
    expect(await waiting()).toBe(3);
    for (const job of jobs) expect((await queue.queue.getJob(finalizeJobId(job)))?.data).toEqual(job);
    expect(await readdir(join(dir, String(n)))).toEqual([]);
    expect(await outbox.pending()).toBe(0);
  });

  it("sends again, without duplicates, what a flush that died had set aside", async () => {
    const jobs = ["a", "b", "c", "d"].map((f) => recordingJob(`/spool/${f}.wav`));
    for (const job of jobs) await outbox.append(job);
    // A flusher renamed the file, delivered two jobs, and died.
    const aside = `${outbox.path}.flushing-000000000000001-999-deadbeef`;
    await rename(outbox.path, aside);
    await queue.addToRedis(jobs[0]!);
    await queue.addToRedis(jobs[1]!);
    // Meanwhile another stop went to a fresh outbox file.
    const later = recordingJob("/spool/e.wav");
    await outbox.append(later);
    expect(await outbox.pending()).toBe(5);
    expect(await outbox.flush(queue)).toEqual({ flushed: 5, remaining: 0 });
    expect(await waiting()).toBe(5);
    expect(await readdir(join(dir, String(n)))).toEqual([]);
  });

  it("loses no job appended while flushes run", async () => {
    const jobs = Array.from({ length: 60 }, (_, i) => recordingJob(`/spool/c${i}.wav`));
    const appends = Promise.all(
      jobs.map(async (job, i) => {
        await new Promise((r) => setTimeout(r, i % 10));
        await outbox.append(job);
      }),
    );
    const flushes = (async () => {
      for (let i = 0; i < 10; i++) {
        await outbox.flush(queue);
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    await Promise.all([appends, flushes]);
    await outbox.flush(queue);
    expect(await outbox.pending()).toBe(0);
    expect(await waiting()).toBe(60);
  });
});

// The retention job: deletes recordings past their retention (global default, per-department
// override), keeps the others, and logs what it deleted.

import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import type { Party } from "../../src/domain/calls.js";
import { RecordingIndex } from "../../src/recording/recording-index.js";
import { type FinalizeRecording, finalizeJobId } from "../../src/recording/recording-job.js";
import { RecordingQueue } from "../../src/recording/recording-queue.js";
import { RecordingStore } from "../../src/recording/recording-store.js";
import { RecordingWorker } from "../../src/recording/recording-worker.js";
import { DAY_MS, RetentionPolicy } from "../../src/recording/retention-policy.js";
import type { DeletedRecording } from "../../src/recording/retention-sweeper.js";
import { waitFor } from "../ami/helpers.js";
import { testRedis } from "../support/redis.js";
import { recordingJob, tempDir, writeWav } from "./helpers.js";

const config = parseConfig(
  `pbx:
  - { id: main, driver: ami, host: 127.0.0.1, username: u, secret: s }
recording:
  retentionDays: 30
  departments: { sales: { retentionDays: 7 } }
departments:
  - { id: sales, name: Sales }
  - { id: support, name: Support }
users:
  - { id: alice, name: Alice, extension: "1001", departments: [sales], recording: all }
  - { id: bob, name: Bob, extension: "1002", departments: [support], recording: all }
  - { id: carol, name: Carol, extension: "1003", departments: [sales, support] }
`,
  "retention.yaml",
  {},
);

const party = (user: string, number: string): Party => ({ user, number, external: false });
const external: Party = { number: "+15550199", external: true };

describe("retention", () => {
  let redis: Awaited<ReturnType<typeof testRedis>>["redis"];
  let queue: RecordingQueue;
  let worker: RecordingWorker;
  let index: RecordingIndex;
  let dir: string;
  let removeDir: () => Promise<void>;
  const logLines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    const r = await testRedis();
    redis = r.redis;
    ({ dir, remove: removeDir } = await tempDir("retention"));
    await mkdir(join(dir, "spool"));
    const logger = pino(
      { level: "info" },
      new Writable({
        write(chunk, _enc, done) {
          logLines.push(JSON.parse(String(chunk)));
          done();
        },
      }),
    );
    index = new RecordingIndex(redis, r.prefix);
    queue = new RecordingQueue({ redis: r.url, prefix: r.prefix, attempts: 2, backoffMs: 50 });
    worker = new RecordingWorker({
      redis: r.url,
      prefix: r.prefix,
      store: new RecordingStore(join(dir, "store")),
      index,
      retention: new RetentionPolicy(config.recording, () => config.directory),
      settleMs: 50,
      logger,
    });
    await worker.start();
  });

  afterAll(async () => {
    await worker?.close();
    await queue?.close();
    redis?.disconnect();
    await removeDir?.();
  });

  it("picks the longest retention among the departments of the users the recording is kept for", () => {
    const policy = new RetentionPolicy(config.recording, () => config.directory);
    const rec = (requiredBy: string[], parties: Party[], onDemandBy?: string) => ({
      requiredBy,
      parties,
      ...(onDemandBy && { onDemandBy }),
    });
    expect(policy.minimumDays()).toBe(7);
    expect(policy.daysFor(rec(["alice"], [party("alice", "1001"), external]))).toBe(7);
    expect(policy.daysFor(rec(["bob"], [party("bob", "1002")]))).toBe(30);
    expect(policy.daysFor(rec(["alice", "bob"], []))).toBe(30);
    expect(policy.daysFor(rec([], [party("carol", "1003")]))).toBe(30);
    expect(policy.daysFor(rec([], [party("bob", "1002")], "alice"))).toBe(7);
    expect(policy.daysFor(rec([], [external]))).toBe(30);
    expect(policy.daysFor(rec(["ghost"], []))).toBe(30);
  });

  // Nine waits for jobs (each up to waitFor's 10 s default) in one test: its limit is set above them.
  it("deletes old recordings (audio, metadata, index) and keeps recent ones, per department", async () => {
    const now = Date.now();
    const cases: { name: string; ageDays: number; job: Partial<FinalizeRecording>; deleted: boolean }[] = [
      {
        name: "sales-old",
        ageDays: 10,
        job: { requiredBy: ["alice"], parties: [party("alice", "1001"), external] },
        deleted: true,
      },
      {
        name: "sales-recent",
        ageDays: 3,
        job: { requiredBy: ["alice"], parties: [party("alice", "1001"), external] },
        deleted: false,
      },
      {
        name: "support-10d",
        ageDays: 10,
        job: { requiredBy: ["bob"], parties: [party("bob", "1002")] },
        deleted: false,
      },
      {
        name: "support-40d",
        ageDays: 40,
        job: { requiredBy: ["bob"], parties: [party("bob", "1002")] },
        deleted: true,
      },
      {
        name: "both-10d",
        ageDays: 10,
        job: { requiredBy: [], parties: [party("carol", "1003")], onDemandBy: "carol" },
        deleted: false,
      },
      { name: "nobody-40d", ageDays: 40, job: { requiredBy: [], parties: [external] }, deleted: true },
      { name: "nobody-20d", ageDays: 20, job: { requiredBy: [], parties: [external] }, deleted: false },
    ];
    const stored = new Map<string, { id: string; wav: string; json: string; callId: string }>();
    for (const c of cases) {
      const file = join(dir, "spool", `${c.name}.wav`);
      await writeWav(file, 100);
      const startedAt = now - c.ageDays * DAY_MS;
      const job = recordingJob(file, {
        ...c.job,
        callId: `call-${c.name}`,
        startedAt,
        stoppedAt: startedAt + 60_000,
      });
      await queue.enqueueFinalize(job);
      const id = finalizeJobId(job);
      await waitFor(
        async () => (await queue.queue.getJobState(id)) === "completed",
        `${c.name} to be stored`,
        10_000,
      );
      const metadata = (await index.get(id))!;
      const wav = join(dir, "store", metadata.file);
      stored.set(c.name, { id, wav, json: wav.replace(/\.wav$/, ".json"), callId: job.callId });
      expect(existsSync(wav)).toBe(true);
    }

    const jobId = await queue.runRetentionNow();
    await waitFor(
      async () => (await queue.queue.getJobState(jobId)) === "completed",
      "the retention job",
      10_000,
    );
    const { deleted } = (await queue.queue.getJob(jobId))!.returnvalue as { deleted: DeletedRecording[] };
    expect(deleted.map((d) => d.callId).sort()).toEqual(
      cases
        .filter((c) => c.deleted)
        .map((c) => `call-${c.name}`)
        .sort(),
    );
    expect(deleted.find((d) => d.callId === "call-sales-old")?.retentionDays).toBe(7);

    for (const c of cases) {
      const s = stored.get(c.name)!;
      expect(existsSync(s.wav), `${c.name} audio`).toBe(!c.deleted);
      expect(existsSync(s.json), `${c.name} metadata`).toBe(!c.deleted);
      expect(await index.get(s.id), `${c.name} index`).toEqual(c.deleted ? undefined : expect.anything());
      expect(await index.list({ call: s.callId })).toHaveLength(c.deleted ? 0 : 1);
    }
    expect((await index.list({ user: "alice" })).map((m) => m.callId)).toEqual(["call-sales-recent"]);
    expect(await index.counters()).toMatchObject({ retentionDeleted: 3 });

    const logged = logLines.filter((l) => l.msg === "recording deleted by retention");
    expect(logged.map((l) => l.callId).sort()).toEqual(deleted.map((d) => d.callId).sort());
    expect(logged[0]).toMatchObject({
      file: expect.stringMatching(/\.wav$/),
      retentionDays: expect.any(Number),
    });

    // A second pass has nothing left to delete.
    const again = await queue.runRetentionNow();
    await waitFor(
      async () => (await queue.queue.getJobState(again)) === "completed",
      "the second retention job",
      10_000,
    );
    expect(((await queue.queue.getJob(again))!.returnvalue as { deleted: unknown[] }).deleted).toEqual([]);
  }, 30_000);

  it("is installed as a repeatable job", async () => {
    await queue.scheduleRetention(3_600_000);
    await queue.scheduleRetention(3_600_000);
    const schedulers = await queue.queue.getJobSchedulers();
    expect(schedulers).toHaveLength(1);
    expect(schedulers[0]).toMatchObject({ key: "retention", every: 3_600_000 });
  });
});

// `callsight worker`: exit codes, and a real run that stores a recording, flushes the outbox and stops
// on SIGTERM.

import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliIo } from "../../src/cli/io.js";
import { workerCommand } from "../../src/cli/worker-command.js";
import { RecordingOutbox } from "../../src/recording/outbox.js";
import { RecordingIndex } from "../../src/recording/recording-index.js";
import { finalizeJobId } from "../../src/recording/recording-job.js";
import { RecordingQueue } from "../../src/recording/recording-queue.js";
import { waitFor } from "../ami/helpers.js";
import { freePort, recordingJob, tempDir, writeWav } from "../recording/helpers.js";
import { testRedis } from "../support/redis.js";

function capture(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

describe("callsight worker", () => {
  let dir: string;
  let removeDir: () => Promise<void>;
  let configFile: string;
  const saved = { prefix: process.env.CALLSIGHT_REDIS_PREFIX, level: process.env.LOG_LEVEL };

  beforeAll(async () => {
    ({ dir, remove: removeDir } = await tempDir("worker-cli"));
    configFile = join(dir, "callsight.yaml");
    await writeFile(
      configFile,
      `pbx:
  - { id: main, driver: ami, host: 127.0.0.1, username: u, secret: s }
recording: { store: ${join(dir, "store")}, retentionDays: 90 }
departments:
  - { id: sales, name: Sales }
users:
  - { id: alice, name: Alice, extension: "1001", departments: [sales], recording: all }
`,
    );
    process.env.LOG_LEVEL = "silent";
  });

  afterAll(async () => {
    for (const [key, value] of [
      ["CALLSIGHT_REDIS_PREFIX", saved.prefix],
      ["LOG_LEVEL", saved.level],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await removeDir?.();
  });

  it("exits 78 on a configuration problem", async () => {
    const io = capture();
    expect(await workerCommand(["--config", join(dir, "missing.yaml")], io)).toBe(78);
    expect(io.stderr.join("\n")).toContain("missing.yaml: file not found");
  });

  it("exits 69 when Redis is unreachable at start", async () => {
    const io = capture();
    const redis = `redis://127.0.0.1:${await freePort()}`;
    expect(await workerCommand(["--config", configFile, "--redis", redis], io)).toBe(69);
    expect(io.stderr.join("\n")).toContain("cannot reach Redis");
  });

  it("exits 64 on a bad option", async () => {
    expect(await workerCommand(["--concurrency", "zero"], capture())).toBe(64);
  });

  it("stores recordings, flushes the outbox, schedules retention, and stops on SIGTERM with 0", async () => {
    const { redis, url } = await testRedis();
    const prefix = `callsight:test:${randomUUID()}:`;
    process.env.CALLSIGHT_REDIS_PREFIX = prefix;
    const spool = join(dir, "spool");
    await mkdir(spool, { recursive: true });
    // One stop that happened while Redis was away, waiting in the outbox.
    const outboxPath = join(dir, "outbox", "recordings.jsonl");
    const outboxed = recordingJob(join(spool, "outboxed.wav"), { callId: "cli-outboxed" });
    await writeWav(outboxed.file, 200);
    await new RecordingOutbox(outboxPath).append(outboxed);
    // Files the PBX finished writing a while ago are taken without waiting for the settle time.
    const old = new Date(Date.now() - 60_000);
    await utimes(outboxed.file, old, old);

    const io = capture();
    const running = workerCommand(["--config", configFile, "--redis", url, "--outbox", outboxPath], io);
    const queue = new RecordingQueue({ redis: url, prefix });
    const index = new RecordingIndex(redis, prefix);
    try {
      const direct = recordingJob(join(spool, "direct.wav"), { callId: "cli-direct" });
      await writeWav(direct.file, 300);
      await utimes(direct.file, old, old);
      expect(await queue.enqueueFinalize(direct)).toBe("queued");
      for (const job of [direct, outboxed]) {
        await waitFor(
          async () => (await queue.queue.getJobState(finalizeJobId(job))) === "completed",
          `${job.callId} to be stored`,
          15_000,
        );
        expect(await index.list({ call: job.callId })).toHaveLength(1);
        expect(existsSync(job.file)).toBe(false);
      }
      expect(await new RecordingOutbox(outboxPath).pending()).toBe(0);
      expect((await queue.queue.getJobSchedulers()).map((s) => s.key)).toEqual(["retention"]);
      const stored = (await index.list({ call: "cli-direct" }))[0]!;
      expect(existsSync(join(dir, "store", stored.file))).toBe(true);
    } finally {
      process.emit("SIGTERM");
      expect(await running).toBe(0);
      await queue.close();
      redis.disconnect();
    }
    expect(io.stderr).toEqual([]);
  }, 30_000);
});

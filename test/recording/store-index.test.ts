// The store's layout and moves (across file systems too), and re-indexing.

import { existsSync, statSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RecordingIndex } from "../../src/recording/recording-index.js";
import { finalizeJobId } from "../../src/recording/recording-job.js";
import { moveFile, type RecordingMetadata, RecordingStore } from "../../src/recording/recording-store.js";
import { testRedis } from "../support/redis.js";
import { recordingJob, tempDir, writeWav } from "./helpers.js";

let dir: string;
let removeDir: () => Promise<void>;

beforeAll(async () => {
  ({ dir, remove: removeDir } = await tempDir("store"));
});
afterAll(() => removeDir());

function metadataFor(id: string, file: string): Omit<RecordingMetadata, "file" | "storedAt"> {
  return {
    id,
    pbx: "main",
    callId: "c",
    leg: "l",
    direction: "internal",
    parties: [],
    requiredBy: [],
    startedAt: 0,
    stoppedAt: 0,
    durationMs: 0,
    sizeBytes: 0,
    sha256: "",
    wav: { format: "pcm", channels: 1, sampleRate: 8000, bitsPerSample: 16, dataBytes: 0 },
    originalPath: file,
  };
}

describe("RecordingStore", () => {
  it("lays recordings out by UTC start date, with safe names", () => {
    const store = new RecordingStore("/srv/rec");
    expect(store.directoryFor(Date.UTC(2024, 11, 31, 23, 59, 59))).toBe("/srv/rec/2024/12/31");
    expect(store.directoryFor(Date.UTC(2025, 0, 1, 0, 0, 0))).toBe("/srv/rec/2025/01/01");
    expect(store.baseName({ callId: "1714564800.17", extension: "1001" })).toBe("1714564800.17-1001");
    expect(store.baseName({ callId: "../../etc/passwd" })).toBe("__.._etc_passwd-call");
    expect(store.baseName({ callId: "a b:c", extension: "10/01" })).toBe("a_b_c-10_01");
  });

  it("never takes the name of audio it does not know, and finds its own name again", async () => {
    const store = new RecordingStore(join(dir, "names"));
    const source = join(dir, "names-src.wav");
    await writeWav(source, 100);
    const job = recordingJob(source, { callId: "c1" });
    const day = store.directoryFor(job.startedAt);
    await mkdir(day, { recursive: true });
    await writeFile(join(day, "c1-1001.wav"), "someone else's audio");
    const id = finalizeJobId(job);
    const stored = await store.store(source, metadataFor(id, source), job);
    expect(stored.wavPath).toBe(join(day, "c1-1001-2.wav"));
    expect(await readFile(join(day, "c1-1001.wav"), "utf8")).toBe("someone else's audio");
    expect((await store.find(job, id))?.wavPath).toBe(stored.wavPath);
    expect(await store.find(job, "another-id")).toBeUndefined();
    expect(JSON.parse(await readFile(stored.jsonPath, "utf8"))).toMatchObject({
      id,
      file: "2024/05/01/c1-1001-2.wav",
    });
  });

  it("moves a file to another file system with copy, fsync and unlink", async () => {
    // /dev/shm is a tmpfs on Linux: a different file system from the temporary directory.
    if (!existsSync("/dev/shm") || statSync("/dev/shm").dev === statSync(dir).dev) return;
    const other = await mkdtemp("/dev/shm/callsight-move-");
    try {
      const from = join(other, "a.wav");
      const bytes = await writeWav(from, 300);
      const to = join(dir, "moved.wav");
      await moveFile(from, to);
      expect(existsSync(from)).toBe(false);
      expect(await readFile(to)).toEqual(bytes);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });
});

describe("RecordingIndex", () => {
  it("indexes the same recording once, and follows a changed user list", async () => {
    const { redis, prefix } = await testRedis();
    try {
      const index = new RecordingIndex(redis, prefix);
      const base = {
        ...metadataFor("r1", "/x.wav"),
        callId: "call-1",
        startedAt: 1000,
        parties: [{ user: "alice", number: "1001", external: false }],
        requiredBy: ["alice"],
        file: "1970/01/01/call-1-1001.wav",
        storedAt: 2000,
      };
      await index.add(base);
      await index.add(base);
      expect(await index.count()).toBe(1);
      expect(await index.counters()).toEqual({ indexed: 1, retentionDeleted: 0 });
      await index.add({
        ...base,
        parties: [{ user: "bob", number: "1002", external: false }],
        requiredBy: [],
      });
      expect(await index.list({ user: "alice" })).toEqual([]);
      expect((await index.list({ user: "bob" })).map((m) => m.id)).toEqual(["r1"]);
      expect(await index.remove("r1")).toBe(true);
      expect(await index.remove("r1")).toBe(false);
      expect(await index.list({})).toEqual([]);
      expect(await index.list({ call: "call-1" })).toEqual([]);
    } finally {
      redis.disconnect();
    }
  });
});

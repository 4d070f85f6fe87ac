// GET /v1/recordings and /v1/recordings/failed on a real index and queue. The viewer comes from a
// small hook standing in for the bearer-token authenticator (which sets request.viewer the same way).

import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordingRoutes } from "../../src/api/recordings/routes.js";
import { parseConfig } from "../../src/config/load.js";
import { RecordingIndex } from "../../src/recording/recording-index.js";
import { finalizeJobId } from "../../src/recording/recording-job.js";
import { RecordingQueue } from "../../src/recording/recording-queue.js";
import { type RecordingMetadata, RecordingStore } from "../../src/recording/recording-store.js";
import { RecordingWorker } from "../../src/recording/recording-worker.js";
import { waitFor } from "../ami/helpers.js";
import { testRedis } from "../support/redis.js";
import { recordingJob, tempDir } from "./helpers.js";

const config = parseConfig(
  `pbx:
  - { id: main, driver: ami, host: 127.0.0.1, username: u, secret: s }
departments:
  - { id: sales, name: Sales }
users:
  - { id: alice, name: Alice, extension: "1001", departments: [sales] }
  - { id: bob, name: Bob, extension: "1002", departments: [sales] }
  - { id: sue, name: Sue, extension: "1003", departments: [sales], role: supervisor }
  - { id: root, name: Root, extension: "1009", departments: [sales], role: admin }
`,
  "api.yaml",
  {},
);

const day = Date.UTC(2024, 4, 1);

function metadata(id: string, over: Partial<RecordingMetadata>): RecordingMetadata {
  return {
    id,
    pbx: "main",
    callId: `call-${id}`,
    leg: "PJSIP/1001-1",
    direction: "internal",
    parties: [],
    requiredBy: [],
    startedAt: day,
    stoppedAt: day + 60_000,
    durationMs: 60_000,
    sizeBytes: 960_044,
    sha256: "0".repeat(64),
    wav: { format: "pcm", channels: 1, sampleRate: 8000, bitsPerSample: 16, dataBytes: 960_000 },
    originalPath: `/spool/${id}.wav`,
    file: `2024/05/01/call-${id}-1001.wav`,
    storedAt: day + 70_000,
    ...over,
  };
}

describe("recording API", () => {
  let app: FastifyInstance;
  let queue: RecordingQueue;
  let redis: Awaited<ReturnType<typeof testRedis>>["redis"];
  let removeDir: () => Promise<void>;

  beforeAll(async () => {
    const r = await testRedis();
    redis = r.redis;
    const index = new RecordingIndex(redis, r.prefix);
    const alice = { user: "alice", number: "1001", external: false };
    const bob = { user: "bob", number: "1002", external: false };
    const ext = { number: "+15550100", external: true };
    await index.add(metadata("r1", { parties: [alice, bob], requiredBy: ["alice"], startedAt: day + 1000 }));
    await index.add(metadata("r2", { parties: [alice, ext], requiredBy: ["alice"], startedAt: day + 2000 }));
    await index.add(
      metadata("r3", { parties: [bob, ext], requiredBy: ["bob"], startedAt: day + 86_400_000 }),
    );
    await index.add(metadata("r4", { parties: [bob, ext], onDemandBy: "sue", startedAt: day + 3000 }));

    // One job that fails for good, for the failed list.
    const tmp = await tempDir("api");
    removeDir = tmp.remove;
    queue = new RecordingQueue({ redis: r.url, prefix: r.prefix, attempts: 1 });
    const worker = new RecordingWorker({
      redis: r.url,
      prefix: r.prefix,
      store: new RecordingStore(join(tmp.dir, "store")),
      index,
      settleMs: 10,
    });
    await worker.start();
    const missing = recordingJob(join(tmp.dir, "gone.wav"));
    await queue.enqueueFinalize(missing);
    await waitFor(
      async () => (await queue.queue.getJobState(finalizeJobId(missing))) === "failed",
      "the failure",
      10_000,
    );
    await worker.close();

    app = Fastify();
    app.addHook("preHandler", async (request) => {
      const user = config.directory.users.get(String(request.headers["x-user"]));
      if (user) request.viewer = user;
    });
    recordingRoutes(app, index, queue, () => config.directory);
    await app.ready();
  }, 30_000); // above the 10 s wait for the failed job, so that a slow run says what it waited for

  afterAll(async () => {
    await app?.close();
    await queue?.close();
    redis?.disconnect();
    await removeDir?.();
  });

  const get = async (user: string, url: string) => {
    const res = await app.inject({ method: "GET", url, headers: { "x-user": user } });
    return { status: res.statusCode, body: res.json() as any };
  };
  const ids = (body: { recordings: RecordingMetadata[] }) => body.recordings.map((r) => r.id);

  it("shows an admin every recording, newest first, filtered by user, call and date", async () => {
    expect(ids((await get("root", "/v1/recordings")).body)).toEqual(["r3", "r4", "r2", "r1"]);
    expect(ids((await get("root", "/v1/recordings?user=alice")).body)).toEqual(["r2", "r1"]);
    expect(ids((await get("root", "/v1/recordings?user=sue")).body)).toEqual(["r4"]);
    expect(ids((await get("root", "/v1/recordings?call=call-r3")).body)).toEqual(["r3"]);
    expect(ids((await get("root", `/v1/recordings?from=${day}&to=${day + 2500}`)).body)).toEqual([
      "r2",
      "r1",
    ]);
    expect(ids((await get("root", "/v1/recordings?from=2024-05-02T00:00:00Z")).body)).toEqual(["r3"]);
    expect(ids((await get("root", "/v1/recordings?limit=2")).body)).toEqual(["r3", "r4"]);
    const r1 = (await get("root", "/v1/recordings?call=call-r1")).body.recordings[0];
    expect(r1).toMatchObject({
      callId: "call-r1",
      durationMs: 60_000,
      sha256: "0".repeat(64),
      requiredBy: ["alice"],
    });
  });

  it("shows other users only the recordings they were on or started", async () => {
    expect(ids((await get("alice", "/v1/recordings")).body)).toEqual(["r2", "r1"]);
    expect(ids((await get("bob", "/v1/recordings")).body)).toEqual(["r3", "r4", "r1"]);
    expect(ids((await get("sue", "/v1/recordings")).body)).toEqual(["r4"]);
    // Asking for someone else's recordings narrows, never widens.
    expect(ids((await get("alice", "/v1/recordings?user=bob")).body)).toEqual(["r1"]);
    expect(ids((await get("sue", "/v1/recordings?call=call-r3")).body)).toEqual([]);
  });

  it("refuses a bad query with 400 naming the field", async () => {
    const limit = await get("root", "/v1/recordings?limit=0");
    expect(limit.status).toBe(400);
    expect(limit.body.problems.map((p: { field: string }) => p.field)).toEqual(["limit"]);
    const from = await get("root", "/v1/recordings?from=yesterday");
    expect(from.status).toBe(400);
    expect(from.body.message).toBe("from: expected ms since epoch or an ISO 8601 date");
    const order = await get("root", `/v1/recordings?from=${day + 10}&to=${day}`);
    expect(order.status).toBe(400);
    expect(order.body.message).toBe("from: must not be after to");
    const unknown = await get("root", "/v1/recordings?usr=alice");
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toContain("usr");
  });

  it("lists failed jobs with their reason, for admins only", async () => {
    const refused = await get("alice", "/v1/recordings/failed");
    expect(refused.status).toBe(403);
    const { status, body } = await get("root", "/v1/recordings/failed");
    expect(status).toBe(200);
    expect(body.failed).toHaveLength(1);
    expect(body.failed[0]).toMatchObject({
      failedReason: expect.stringMatching(/^recording file not found: .*gone\.wav$/),
      attemptsMade: 1,
      recording: { file: expect.stringMatching(/gone\.wav$/) },
    });
  });
});

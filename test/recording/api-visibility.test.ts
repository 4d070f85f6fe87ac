// GET /v1/recordings applies the board's rules to what it lists (issue 14): a supervisor who recorded a
// colleague's call on demand sees it as the board shows that call to them — no caller when the colleague
// does not show their calls, "a colleague" for one who does not share presence or show calls — and only
// admins get the PBX's file path. A real index on a real Redis; the viewer comes from a small hook standing
// in for the bearer-token authenticator, as in api.test.ts.

import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordingRoutes } from "../../src/api/recordings/routes.js";
import { parseConfig } from "../../src/config/load.js";
import { RecordingIndex } from "../../src/recording/recording-index.js";
import { RecordingQueue } from "../../src/recording/recording-queue.js";
import type { RecordingMetadata } from "../../src/recording/recording-store.js";
import { testRedis } from "../support/redis.js";

const config = parseConfig(
  `pbx:
  - { id: main, driver: ami, host: 127.0.0.1, username: u, secret: s }
departments:
  - { id: sales, name: Sales }
users:
  - { id: alice, name: Alice, extension: "1001", departments: [sales] }
  - { id: hank, name: Hank, extension: "1002", departments: [sales], showMyCalls: false }
  - { id: ivy, name: Ivy, extension: "1003", departments: [sales], sharePresence: false }
  - { id: sue, name: Sue, extension: "1004", departments: [sales], role: supervisor }
  - { id: root, name: Root, extension: "1009", departments: [sales], role: admin }
`,
  "api-visibility.yaml",
  {},
);

const day = Date.UTC(2024, 4, 1);
const CALLER = "+15550199";
const CALLER_NAME = "Jane Customer";

function metadata(id: string, ext: string, over: Partial<RecordingMetadata>): RecordingMetadata {
  return {
    id,
    pbx: "main",
    callId: `call-${id}`,
    leg: `PJSIP/carrier-${id}`,
    extension: ext,
    direction: "inbound",
    parties: [],
    requiredBy: [],
    startedAt: day,
    stoppedAt: day + 60_000,
    durationMs: 60_000,
    sizeBytes: 960_044,
    sha256: "0".repeat(64),
    wav: { format: "pcm", channels: 1, sampleRate: 8000, bitsPerSample: 16, dataBytes: 960_000 },
    originalPath: `/var/spool/asterisk/monitor/callsight-call-${id}.wav`,
    file: `2024/05/01/call-${id}-${ext}.wav`,
    storedAt: day + 70_000,
    ...over,
  };
}

describe("recording API: the board's rules on what it lists", () => {
  let app: FastifyInstance;
  let queue: RecordingQueue;
  let redis: Awaited<ReturnType<typeof testRedis>>["redis"];

  beforeAll(async () => {
    const r = await testRedis();
    redis = r.redis;
    const index = new RecordingIndex(redis, r.prefix);
    const caller = { number: CALLER, name: CALLER_NAME, external: true };
    const alice = { user: "alice", number: "1001", name: "Alice", external: false };
    const hank = { user: "hank", number: "1002", name: "Hank", external: false };
    const ivy = { user: "ivy", number: "1003", name: "Ivy", external: false };
    // Sue records Hank's call with a customer on demand; Hank does not show his calls.
    await index.add(
      metadata("r1", "1002", { parties: [caller, hank], onDemandBy: "sue", startedAt: day + 1000 }),
    );
    // Sue records Alice's call with Ivy, who does not share her presence.
    await index.add(
      metadata("r2", "1003", {
        direction: "internal",
        leg: "PJSIP/1001-r2",
        parties: [alice, ivy],
        requiredBy: ["ivy"],
        onDemandBy: "sue",
        startedAt: day + 2000,
      }),
    );
    // Sue records Alice's call with a customer: Alice shows her calls.
    await index.add(
      metadata("r3", "1001", { parties: [caller, alice], onDemandBy: "sue", startedAt: day + 3000 }),
    );
    queue = new RecordingQueue({ redis: r.url, prefix: r.prefix });
    app = Fastify();
    app.addHook("preHandler", async (request) => {
      const user = config.directory.users.get(String(request.headers["x-user"]));
      if (user) request.viewer = user;
    });
    recordingRoutes(app, index, queue, () => config.directory);
    await app.ready();
  });

  afterAll(async () => {
    await app?.close();
    await queue?.close();
    redis?.disconnect();
  });

  const get = async (user: string, url: string) => {
    const res = await app.inject({ method: "GET", url, headers: { "x-user": user } });
    return { status: res.statusCode, body: res.json() as any, text: res.body };
  };
  const byId = (body: { recordings: { id: string }[] }, id: string): any =>
    body.recordings.find((r) => r.id === id);

  it("a supervisor who recorded the call of a colleague who hides their calls gets no caller, no details", async () => {
    const { status, body, text } = await get("sue", "/v1/recordings");
    expect(status).toBe(200);
    expect(body.recordings.map((r: { id: string }) => r.id)).toEqual(["r3", "r2", "r1"]);
    const r1 = byId(body, "r1");
    expect(Object.keys(r1).sort()).toEqual(
      [
        "durationMs",
        "id",
        "onDemandBy",
        "pbx",
        "sha256",
        "sizeBytes",
        "startedAt",
        "stoppedAt",
        "storedAt",
        "wav",
      ].sort(),
    );
    // Nothing of r1 names the caller (r3, Alice's call, does: she shows her calls).
    expect(JSON.stringify(r1)).not.toContain(CALLER);
    expect(JSON.stringify(r1)).not.toContain(CALLER_NAME);
    expect(byId(body, "r3").parties).toEqual([
      { number: CALLER, name: CALLER_NAME, external: true },
      { user: "alice", number: "1001", name: "Alice", external: false },
    ]);
    // The server's path is for admins only.
    expect(text).not.toContain("/var/spool");
  });

  it("a colleague who does not share presence is only 'a colleague' on a recording (the stricter settings win)", async () => {
    const r2 = byId((await get("sue", "/v1/recordings")).body, "r2");
    expect(r2.parties).toEqual([
      { user: "alice", number: "1001", name: "Alice", external: false },
      { external: false },
    ]);
    expect(r2.requiredBy).toEqual([]);
    expect(r2.extension).toBeUndefined();
    expect(r2.file).toBeUndefined();
    expect(JSON.stringify(r2)).not.toContain("ivy");
    expect(JSON.stringify(r2)).not.toContain("1003");
  });

  it("filters match only what the viewer sees: they cannot tell who or which call a recording hides", async () => {
    expect((await get("sue", "/v1/recordings?user=ivy")).body.recordings).toEqual([]);
    expect((await get("sue", "/v1/recordings?user=hank")).body.recordings).toEqual([]);
    expect((await get("sue", "/v1/recordings?call=call-r1")).body.recordings).toEqual([]);
    expect(
      (await get("sue", "/v1/recordings?user=alice")).body.recordings.map((r: { id: string }) => r.id),
    ).toEqual(["r3", "r2"]);
  });

  it("a party sees their own call in full but the server path; an admin sees everything", async () => {
    const hank = await get("hank", "/v1/recordings");
    expect(hank.body.recordings.map((r: { id: string }) => r.id)).toEqual(["r1"]);
    expect(hank.body.recordings[0]).toMatchObject({
      callId: "call-r1",
      extension: "1002",
      file: expect.any(String),
    });
    expect(hank.text).toContain(CALLER);
    expect(hank.text).not.toContain("/var/spool");
    const alice = byId((await get("alice", "/v1/recordings")).body, "r2");
    expect(alice.parties).toContainEqual({ user: "ivy", number: "1003", name: "Ivy", external: false });
    const root = await get("root", "/v1/recordings");
    expect(byId(root.body, "r1")).toMatchObject({
      originalPath: "/var/spool/asterisk/monitor/callsight-call-r1.wav",
      parties: [
        { number: CALLER, name: CALLER_NAME, external: true },
        expect.objectContaining({ user: "hank" }),
      ],
    });
  });
});

// One clustered Callsight server (the default mode) on a redis-server of its own that is stopped and
// started again on the same port (its data gone, as after a restart without persistence): while Redis is
// away its lease lapses, but nobody took the PBX from it, so it keeps its PBX connection and its board
// live (the call that ends leaves it, a new one shows), puts the recording that stopped into its outbox,
// says on /readyz and /healthz what is going on, and answers the HTTP board with 503; once Redis is back it
// owns the PBX again (a new token after the data loss, with a fresh snapshot) and the recording is queued
// once. stop() always ends within a few seconds.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AmiSimulator } from "../../simulators/ami-simulator.js";
import { parseConfig } from "../../src/config/load.js";
import { bullKeys } from "../../src/redis-keys.js";
import { type LocalRedis, startLocalRedis } from "../../src/runtime/local-redis.js";
import { type RunningServer, startServer } from "../../src/runtime/start.js";
import { type CapturedLog, capturingLogger } from "../ami/helpers.js";
import { tempDir } from "../recording/helpers.js";
import { until } from "./helpers.js";

const LEASE_TTL_MS = 1500;
const PREFIX = "callsight:outage:";

interface Setup {
  sim: AmiSimulator;
  redis: LocalRedis;
  server: RunningServer;
  logs: CapturedLog[];
  tmp: { dir: string; remove(): Promise<void> };
  tokens: Map<string, string>;
}

async function setUp(instance: string): Promise<Setup> {
  const tmp = await tempDir("cluster-outage");
  const sim = new AmiSimulator({ commandTimeScale: 0.05 });
  const { port } = await sim.start({ port: 0, username: "callsight", secret: "s3cret" });
  const redis = await startLocalRedis();
  const config = parseConfig(readFileSync("callsight.example.yaml", "utf8"), "callsight.example.yaml", {
    CALLSIGHT_PBX_MAIN_PORT: String(port),
    CALLSIGHT_PBX_MAIN_USERNAME: "callsight",
    CALLSIGHT_PBX_MAIN_SECRET: "s3cret",
  });
  config.recording.directory = join(tmp.dir, "spool");
  const { logger, records } = capturingLogger("info");
  const server = await startServer({
    config,
    redisUrl: redis.url,
    prefix: PREFIX,
    host: "127.0.0.1",
    port: 0,
    logger,
    outboxPath: join(tmp.dir, "outbox.jsonl"),
    recordingGraceMs: 300,
    // The default mode (clustered), with a short lease so that the test does not wait long for its loss.
    cluster: { instance, leaseTtlMs: LEASE_TTL_MS },
  });
  return { sim, redis, server, logs: records, tmp, tokens: new Map() };
}

/** Resolves with what `p` gave, or with "timed out" once `ms` passed. */
function within<T>(p: Promise<T>, ms: number): Promise<T | "timed out"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<"timed out">((resolve) => {
      timer = setTimeout(() => resolve("timed out"), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function tearDown(s: Setup | undefined): Promise<void> {
  if (!s) return;
  await within(s.server.stop(), 15_000);
  await s.sim.stop();
  await s.redis.stop();
  await s.tmp.remove();
}

async function http(s: Setup, path: string, user?: string) {
  let token: string | undefined;
  if (user) {
    token = s.tokens.get(user);
    if (!token) {
      token = await s.server.tokens.create(user);
      s.tokens.set(user, token);
    }
  }
  const res = await fetch(`${s.server.url}${path}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
    signal: AbortSignal.timeout(20_000),
  });
  return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
}

const health = async (s: Setup) => (await http(s, "/healthz")).body.pbx[0];
const person = (board: any, id: string) => board.people.find((p: any) => p.id === id);
const callsOf = (board: any, id: string): any[] => person(board, id)?.calls ?? [];

describe("a clustered instance whose Redis goes away and comes back", () => {
  let s: Setup;

  beforeAll(async () => {
    s = await setUp("solo");
  }, 30_000);

  afterAll(async () => {
    await tearDown(s);
  }, 30_000);

  /** The board as the admin's viewers get it, straight from the hub (the HTTP board needs Redis). */
  const liveBoard = () => s.server.api.hub.view("admin");

  it("keeps its PBX connection and the board live, queues the recording that stopped meanwhile through the outbox, says why it is not ready, and reconciles", async () => {
    const { sim } = s;
    await until(
      async () => (await http(s, "/readyz")).status === 200,
      "the instance to be ready",
      15_000,
      50,
    );
    expect(await health(s)).toMatchObject({ cluster: { role: "owner", owner: "solo" }, connected: true });

    // An inbound call to Alice (her calls with the outside are recorded): the policy check records it.
    const recorded = sim.startCall("05", {
      pauseAt: "answered",
      extMap: { "1002": "1001" },
      timeScale: 0.05,
    });
    const before = await until(
      async () => {
        const b = (await http(s, "/v1/board", "admin")).body;
        return callsOf(b, "1001")[0]?.recording === true ? b : undefined;
      },
      "Alice's call recorded on the board",
      15_000,
      50,
    );
    const recordedCall = callsOf(before, "1001")[0].call as string;

    // Redis goes away for longer than the lease lives: the lease lapses, nobody took the PBX over.
    await s.redis.stop();
    const isolated = await until(
      async () => {
        const h = await health(s);
        return h.cluster.isolated ? h : undefined;
      },
      "the instance to say it is cut off from Redis",
      LEASE_TTL_MS * 4 + 10_000,
      100,
    );
    expect(s.logs.some((l) => l.level === 40 && /PBX lease lapsed/.test(l.msg))).toBe(true);
    // Still following the PBX: connected, applying its events, not naming a lease holder it cannot see.
    expect(isolated).toMatchObject({ connected: true, cluster: { role: "owner" } });
    expect(isolated.cluster.problem).toBeUndefined();
    expect(isolated.cluster.isolated).toMatch(/Redis unreachable since .*applies its events/);
    const readyz = await http(s, "/readyz");
    expect(readyz.status).toBe(503);
    expect(readyz.body.pbx[0]).toMatchObject({ pbx: "main", connected: true });
    expect(readyz.body.problems.join("; ")).toMatch(/pbx main: Redis unreachable/);
    expect(readyz.body.problems.join("; ")).toMatch(/redis: /);
    // The HTTP board needs Redis (the bearer token is checked there): 503 with a reason, logged.
    const board = await http(s, "/v1/board", "admin");
    expect(board.status).toBe(503);
    expect(board.body).toMatchObject({ error: "unavailable", message: expect.stringMatching(/redis/i) });
    expect(
      s.logs.some((l) => l.level >= 40 && /board/i.test(l.msg) && /redis/i.test(JSON.stringify(l))),
    ).toBe(true);

    // Meanwhile on the PBX the recorded call ends and another starts: the live board shows both at once.
    const meanwhile = sim.startCall("05", {
      pauseAt: "answered",
      extMap: { "1002": "1003" },
      timeScale: 0.05,
    });
    recorded.resume();
    await recorded.done;
    await until(
      () => {
        const b = liveBoard();
        return b && callsOf(b, "1001").length === 0 && callsOf(b, "1003")[0]?.state === "up";
      },
      "the live board to follow the PBX while Redis is away",
      15_000,
      50,
    );
    // The recording that stopped is kept durably (the outbox), not only in memory.
    await until(
      () => s.logs.some((l) => /kept in the outbox/.test(l.msg)),
      "the recording job kept in the outbox",
      15_000,
      50,
    );

    // Redis is back on the same port, empty.
    s.redis = await startLocalRedis(s.redis.port);
    s.tokens.clear();
    await until(
      async () => {
        const h = await health(s);
        return h.cluster.role === "owner" && h.cluster.owner === "solo" && h.connected && !h.cluster.isolated;
      },
      "the instance to own the PBX connection again",
      LEASE_TTL_MS * 4 + 15_000,
      100,
    );
    await until(
      async () => (await http(s, "/readyz")).status === 200,
      "the instance to be ready again",
      15_000,
      50,
    );
    const after = await until(
      async () => {
        const b = (await http(s, "/v1/board", "admin")).body;
        return callsOf(b, "1001").length === 0 && callsOf(b, "1003")[0]?.state === "up" ? b : undefined;
      },
      "the board as the PBX is",
      15_000,
      50,
    );
    expect(person(after, "1001").presence).toBe("available");

    // The recording that stopped while Redis was away reaches the queue once, from the outbox.
    const conn = new Redis(s.redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue(bullKeys(PREFIX).queue, { connection: conn, prefix: bullKeys(PREFIX).prefix });
    try {
      const jobs = await until(
        async () => {
          const all = await queue.getJobs([
            "waiting",
            "prioritized",
            "active",
            "delayed",
            "completed",
            "failed",
          ]);
          const mine = all.filter((j) => j?.name === "finalize" && j.data.callId === recordedCall);
          return mine.length > 0 ? mine : undefined;
        },
        "the finalize job of the recording that stopped during the outage",
        15_000,
        100,
      );
      expect(jobs).toHaveLength(1);
    } finally {
      await queue.close();
      conn.disconnect();
    }

    // New calls show.
    const fresh = sim.startCall("05", { pauseAt: "answered", extMap: { "1002": "1005" }, timeScale: 0.05 });
    await until(
      async () => callsOf((await http(s, "/v1/board", "admin")).body, "1005")[0]?.state === "up",
      "a new call on the board",
      15_000,
      50,
    );
    fresh.resume();
    meanwhile.resume();
    await Promise.all([fresh.done, meanwhile.done]);
  }, 90_000);
});

describe("stopping a clustered instance", () => {
  let s: Setup | undefined;

  afterEach(async () => {
    await tearDown(s);
    s = undefined;
  }, 30_000);

  it("ends within a few seconds while Redis is away, after the lease lapsed (cut off, still connected)", async () => {
    s = await setUp("stopper");
    const setup = s;
    await until(
      async () => (await http(setup, "/readyz")).status === 200,
      "the instance to be ready",
      15_000,
      50,
    );
    await setup.redis.stop();
    await until(
      async () => (await health(setup)).cluster.isolated,
      "the lease lapsed",
      LEASE_TTL_MS * 4 + 10_000,
      100,
    );
    const started = Date.now();
    expect(await within(setup.server.stop(), 10_000)).not.toBe("timed out");
    expect(Date.now() - started).toBeLessThan(8000);
  }, 60_000);

  it("ends within a few seconds when Redis went away a moment before (lease still held)", async () => {
    s = await setUp("stopper2");
    const setup = s;
    await until(
      async () => (await http(setup, "/readyz")).status === 200,
      "the instance to be ready",
      15_000,
      50,
    );
    await setup.redis.stop();
    const started = Date.now();
    expect(await within(setup.server.stop(), 10_000)).not.toBe("timed out");
    expect(Date.now() - started).toBeLessThan(8000);
  }, 60_000);

  it("says the PBX lease was released, not lost, on a normal stop", async () => {
    s = await setUp("normal");
    const setup = s;
    await until(
      async () => (await http(setup, "/readyz")).status === 200,
      "the instance to be ready",
      15_000,
      50,
    );
    await setup.server.stop();
    const lease = setup.logs.filter((l) => /PBX lease/.test(l.msg));
    expect(lease.some((l) => /released/.test(l.msg))).toBe(true);
    expect(lease.filter((l) => /lost/.test(l.msg))).toEqual([]);
  }, 60_000);
});

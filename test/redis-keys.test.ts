// Every Redis key and channel Callsight uses is built in src/redis-keys.ts. This pins the names
// deployments hold (byte for byte), and runs a server against a real Redis through the paths that
// write (tokens, failed authentications, the directory, the audit log, the PBX lease and event stream,
// a recording through BullMQ into the index), then scans its prefix: a key built anywhere else fails.

import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import type { Redis } from "ioredis";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AmiSimulator } from "../simulators/ami-simulator.js";
import { parseConfig } from "../src/config/load.js";
import { RecordingIndex } from "../src/recording/recording-index.js";
import { RecordingStore } from "../src/recording/recording-store.js";
import { RecordingWorker } from "../src/recording/recording-worker.js";
import {
  auditKeys,
  authKeys,
  bullKeys,
  commandKeys,
  DEFAULT_PREFIX,
  directoryKeys,
  eventKeys,
  historyKeys,
  keyFamilies,
  leaseKeys,
  recordingKeys,
  statusKeys,
} from "../src/redis-keys.js";
import { type RunningServer, startServer } from "../src/runtime/start.js";
import { waitFor } from "./ami/helpers.js";
import { tempDir, wavBytes } from "./recording/helpers.js";
import { testRedis } from "./support/redis.js";

/** Whether a key matches a family pattern (`*`: a name part without `:`, `**`: anything). */
function matches(pattern: string, key: string): boolean {
  const parts = pattern.split(/(\*\*|\*)/);
  const source = parts
    .map((p) => (p === "**" ? ".+" : p === "*" ? "[^:]+" : p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`).test(key);
}

function familyOf(prefix: string, key: string): string | undefined {
  for (const [family, patterns] of Object.entries(keyFamilies(prefix))) {
    if (patterns.some((p) => matches(p, key))) return family;
  }
  return undefined;
}

describe("the Redis key families", () => {
  it("keep the names deployments already hold", () => {
    const p = DEFAULT_PREFIX;
    expect(p).toBe("callsight:");
    expect(directoryKeys(p)).toEqual({
      directory: "callsight:directory",
      changed: "callsight:directory:changed",
    });
    expect(authKeys(p)).toEqual({
      tokens: "callsight:tokens",
      lastUsed: "callsight:tokens:last-used",
      revoked: "callsight:tokens:revoked",
      failures: "callsight:auth:failures:",
    });
    expect(auditKeys(p)).toEqual({ log: "callsight:audit" });
    expect(leaseKeys(p, "main")).toEqual({
      lease: "callsight:lease:main",
      token: "callsight:lease:main:token",
    });
    expect(eventKeys(p, "main")).toEqual({
      stream: "callsight:events:main",
      meta: "callsight:events:main:meta",
    });
    const c = commandKeys(p, "main");
    expect([c.stream, c.reply("r1"), c.replies("host:1:ab"), c.state("r1")]).toEqual([
      "callsight:commands:main",
      "callsight:commands:main:reply:r1",
      "callsight:commands:main:replies:host:1:ab",
      "callsight:commands:main:state:r1",
    ]);
    const r = recordingKeys(p);
    expect([
      r.recording("x"),
      r.byDate,
      r.byUser("1001"),
      r.byCall("c1"),
      r.stats,
      r.enqueued("j"),
      r.onDemand,
      r.onDemandMarks,
    ]).toEqual([
      "callsight:recordings:rec:x",
      "callsight:recordings:by-date",
      "callsight:recordings:by-user:1001",
      "callsight:recordings:by-call:c1",
      "callsight:recordings:stats",
      "callsight:recordings:enqueued:j",
      "callsight:recordings:on-demand",
      "callsight:recordings:on-demand-marks",
    ]);
    expect(bullKeys(p)).toEqual({ prefix: "callsight:bull", queue: "callsight-recordings" });
    expect(statusKeys(p)).toEqual({
      until: "callsight:status:until",
      due: "callsight:status:due",
      changed: "callsight:status:changed",
    });
    const h = historyKeys(p);
    expect([h.row("main:1795373398.81"), h.byDate, h.byUser("1001")]).toEqual([
      "callsight:history:call:main:1795373398.81",
      "callsight:history:by-date",
      "callsight:history:by-user:1001",
    ]);
  });

  it("recognise what they build, and nothing else under the prefix", () => {
    const p = "callsight:";
    expect(familyOf(p, "callsight:lease:main:token")).toBe("lease");
    expect(familyOf(p, "callsight:commands:main:replies:host:1:ab")).toBe("commands");
    expect(familyOf(p, "callsight:auth:failures:::1")).toBe("auth");
    expect(familyOf(p, "callsight:bull:callsight-recordings:42:logs")).toBe("bull");
    expect(familyOf(p, "callsight:recordings:by-user:1001")).toBe("recordings");
    expect(familyOf(p, "callsight:history:call:main:1795373398.81")).toBe("history");
    expect(familyOf(p, "callsight:history:by-user:1001")).toBe("history");
    expect(familyOf(p, "callsight:status:due")).toBe("status");
    expect(familyOf(p, "callsight:sessions:abc")).toBeUndefined();
    expect(familyOf(p, "callsight:lease:main:owner")).toBeUndefined();
    expect(familyOf(p, "callsight:bull:other-queue:1")).toBeUndefined();
  });
});

describe("a running server's keys", () => {
  let sim: AmiSimulator;
  let server: RunningServer;
  let worker: RecordingWorker;
  let tmp: { dir: string; remove(): Promise<void> };
  let redis: Redis;
  let prefix: string;

  beforeAll(async () => {
    tmp = await tempDir("redis-keys");
    sim = new AmiSimulator({ commandTimeScale: 0.05 });
    const { port } = await sim.start({ port: 0, username: "callsight", secret: "s3cret" });
    let url: string;
    ({ url, prefix, redis } = await testRedis());
    const config = parseConfig(readFileSync("callsight.example.yaml", "utf8"), "callsight.example.yaml", {
      CALLSIGHT_PBX_MAIN_PORT: String(port),
      CALLSIGHT_PBX_MAIN_USERNAME: "callsight",
      CALLSIGHT_PBX_MAIN_SECRET: "s3cret",
    });
    config.recording.directory = join(tmp.dir, "spool");
    config.recording.store = join(tmp.dir, "store");
    await mkdir(config.recording.directory, { recursive: true });
    const logger = pino({ level: "silent" });
    server = await startServer({
      config,
      redisUrl: url,
      prefix,
      host: "127.0.0.1",
      port: 0,
      logger,
      outboxPath: join(tmp.dir, "outbox.jsonl"),
      recordingGraceMs: 300,
    });
    // The PBX writes the audio where the recording events say; stand in for it.
    server.callsight.onModelChange((_c, batch) => {
      for (const e of batch) {
        if (e.type === "recording.started" && e.file) {
          void writeFile(join(config.recording.directory, basename(e.file)), wavBytes(800));
        }
      }
    });
    worker = new RecordingWorker({
      redis: url,
      prefix,
      store: new RecordingStore(config.recording.store),
      index: new RecordingIndex(server.redis, prefix),
      settleMs: 100,
      pollMs: 20,
      logger,
    });
    await worker.start();
    await waitFor(() => server.callsight.drivers[0]?.status().connected, "AMI connected");
  }, 30_000);

  afterAll(async () => {
    await worker?.close();
    await server?.stop();
    await sim?.stop();
    await tmp?.remove();
    redis?.disconnect();
  });

  it("all belong to a family of redis-keys.ts", async () => {
    const admin = await server.tokens.create("admin");
    const call = (method: string, path: string, token: string, body?: unknown) =>
      fetch(`${server.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    // A failed authentication (counted per address), a token used, issued and revoked, a settings change.
    expect((await call("GET", "/v1/board", "cs_wrong")).status).toBe(401);
    expect((await call("GET", "/v1/board", admin)).status).toBe(200);
    const issued = (await (await call("POST", "/v1/admin/tokens", admin, { user: "1001" })).json()) as {
      id: string;
    };
    expect((await call("DELETE", `/v1/admin/tokens/${issued.id}`, admin)).status).toBeLessThan(300);
    expect((await call("PATCH", "/v1/admin/users/1002", admin, { recording: "external" })).status).toBe(200);
    // A recording the PBX makes itself (dialplan MixMonitor): finalize job in BullMQ, then the index.
    await sim.startCall("11b-mixmonitor-dialplan", { timeScale: 0.05 }).done;
    const index = new RecordingIndex(redis, prefix);
    for (let i = 0; i < 200 && (await index.list({})).length === 0; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(await index.list({})).toHaveLength(1);
    // Sales's DND link: Alice's DND pauses her in queue 400, a pause the link remembers.
    expect(
      (
        await call("PATCH", "/v1/admin/departments/sales", admin, {
          queues: [{ name: "400" }],
          pauseQueuesOnDnd: true,
        })
      ).status,
    ).toBe(200);
    sim.addQueueMember("400", "1001", "Alice Sales");
    sim.setDnd("1001", true);
    const linkPaused = `${prefix}queue-link:paused`;
    for (let i = 0; i < 200 && (await redis.scard(linkPaused)) === 0; i++)
      await new Promise((r) => setTimeout(r, 25));
    expect(await redis.scard(linkPaused)).toBe(1);
    // The call's history row (every instance writes it when the call ends).
    await server.callsight.historyRecorder.idle();
    expect(await server.callsight.history.list()).toHaveLength(1);

    const keys: string[] = [];
    let cursor = "0";
    do {
      const [next, batch] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== "0");
    const channels = (await redis.pubsub("CHANNELS", `${prefix}*`)) as string[];

    const seen = new Set<string>();
    const strays: string[] = [];
    for (const key of [...keys, ...channels]) {
      const family = familyOf(prefix, key);
      if (family) seen.add(family);
      else strays.push(key.slice(prefix.length));
    }
    expect(strays).toEqual([]);
    // The paths above reached every family (the owner's command relay creates its stream's group).
    expect([...seen].sort()).toEqual(Object.keys(keyFamilies(prefix)).sort());
  }, 30_000);
});

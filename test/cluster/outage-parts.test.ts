// The cluster's building blocks while their Redis goes away and comes back (a redis-server of their own,
// stopped and started again on the same port, its data gone): nothing waits for the lost Redis without a
// bound, tokens keep growing across the data loss, and a clustered driver takes its PBX again.

import { Redis } from "ioredis";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { ClusteredDriver } from "../../src/cluster/clustered-driver.js";
import { CommandRelay } from "../../src/cluster/command-relay.js";
import { EventStreamConsumer } from "../../src/cluster/event-stream.js";
import { PbxLease } from "../../src/cluster/pbx-lease.js";
import type { PbxEvent } from "../../src/domain/events.js";
import { type LocalRedis, startLocalRedis } from "../../src/runtime/local-redis.js";
import { capturingLogger } from "../ami/helpers.js";
import { ScriptedDriver, sleep, until } from "./helpers.js";

const logger = pino({ level: "silent" });
const prefix = "callsight:parts:";
let server: LocalRedis | undefined;
const connections: Redis[] = [];

/** A connection as the server makes it (see connectRedis in src/runtime/start.ts). */
function connect(url: string): Redis {
  const conn = new Redis(url, { maxRetriesPerRequest: 3, retryStrategy: (t) => Math.min(t * 50, 500) });
  conn.on("error", () => undefined);
  connections.push(conn);
  return conn;
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

afterEach(async () => {
  for (const c of connections.splice(0)) c.disconnect();
  await server?.stop();
  server = undefined;
});

describe("while Redis is away", () => {
  it("a lease taken after Redis lost its data has a larger token than every one seen before", async () => {
    server = await startLocalRedis();
    const redis = connect(server.url);
    const a = new PbxLease({ redis, prefix, pbx: "main", instance: "a", ttlMs: 5000 });
    const b = new PbxLease({ redis, prefix, pbx: "main", instance: "b", ttlMs: 5000 });
    expect(await b.tryAcquire()).toBe(true);
    expect(await b.tryAcquire()).toBe(true);
    await b.release();
    expect(await b.tryAcquire()).toBe(true);
    expect(b.token).toBe(2);
    // a sees b holding token 2.
    expect(await a.tryAcquire()).toBe(false);
    expect(a.holder).toEqual({ instance: "b", token: 2 });
    // Redis restarts empty: the token counter starts again, but a's token is larger than what it saw.
    const port = server.port;
    await server.stop();
    server = await startLocalRedis(port);
    expect(await until(() => a.tryAcquire(), "a to take the lease", 10_000, 50)).toBe(true);
    expect(a.token).toBe(3);
    await a.release();
  }, 30_000);

  it("the command relay stops serving and the stream consumer stops at once, though their reads wait for Redis", async () => {
    server = await startLocalRedis();
    const redis = connect(server.url);
    const relayLog = capturingLogger("warn");
    const relay = new CommandRelay({ redis, prefix, pbx: "main", instance: "a", logger: relayLog.logger });
    const consumer = new EventStreamConsumer({
      redis,
      prefix,
      pbx: "main",
      onBatch: () => undefined,
      logger,
    });
    relay.serve(async () => ({ status: "accepted" }));
    consumer.start();
    await consumer.ready;
    // Both block on their own connections: the relay in XREADGROUP, the consumer in XREAD.
    const probe = connect(server.url);
    await until(
      async () => {
        const clients = String(await probe.call("CLIENT", "LIST"));
        return clients.includes("cmd=xreadgroup") && clients.includes("cmd=xread ");
      },
      "both reads to block",
      10_000,
      20,
    );
    await server.stop();
    await until(() => redis.status === "reconnecting", "the connection to wait for Redis", 5000, 10);
    // Both reads fail once the connection is gone, and are sent again after a short pause: they then
    // wait in the offline queues of connections that are between two reconnect attempts.
    await until(
      () => consumer.counters.readErrors > 0 && relayLog.records.some((r) => /read failed/.test(r.msg)),
      "both reads to fail once",
      10_000,
      10,
    );
    await sleep(600);
    const started = Date.now();
    expect(await within(relay.unserve(), 5000)).not.toBe("timed out");
    expect(await within(consumer.stop(), 5000)).not.toBe("timed out");
    expect(Date.now() - started).toBeLessThan(4000);
    expect(relay.isServing).toBe(false);
  }, 30_000);

  it("a clustered driver gives the PBX up, says why, and takes it again once Redis is back", async () => {
    server = await startLocalRedis();
    const redis = connect(server.url);
    const driver = new ScriptedDriver("main");
    const clustered = new ClusteredDriver({ driver, redis, prefix, logger, instance: "a", leaseTtlMs: 600 });
    const batches: PbxEvent[][] = [];
    clustered.onEvents((e) => batches.push(e));
    clustered.start();
    await until(() => clustered.isOwner() && driver.running, "a to own the PBX", 10_000);
    await until(() => clustered.status().connected, "a connected", 5000);
    expect(clustered.status().cluster.problem).toBeUndefined();

    const port = server.port;
    await server.stop();
    await until(() => !clustered.isOwner(), "a to lose the lease", 10_000);
    // The real driver stops, the model is told the PBX is no longer followed, and the status says why.
    await until(() => !driver.running, "the real driver to stop", 10_000);
    expect(batches.flat().some((e) => e.type === "pbx.connection" && e.state === "down")).toBe(true);
    const status = clustered.status();
    expect(status).toMatchObject({ connected: false, cluster: { role: "follower" } });
    expect(status.cluster.owner).toBeUndefined();
    expect(status.cluster.problem).toMatch(/lease/);
    expect(status.lastError).toBe(status.cluster.problem);

    server = await startLocalRedis(port);
    const seen = batches.length;
    await until(() => clustered.isOwner() && driver.starts === 2, "a to own the PBX again", 15_000);
    await until(
      () => batches.slice(seen).some((b) => b.some((e) => e.type === "pbx.snapshot")),
      "the fresh connection's snapshot",
      5000,
    );
    // Its events are applied again, and published.
    driver.emit([{ pbx: "main", at: Date.now(), type: "presence.state", extension: "1001", state: "away" }]);
    await until(() => batches.at(-1)?.[0]?.type === "presence.state", "a new event applied", 5000);
    await until(
      () => clustered.status().cluster.problem === undefined && clustered.status().connected,
      "live",
      5000,
    );
    const check = connect(server.url);
    await until(async () => (await check.xlen(`${prefix}events:main`)) >= 2, "events in the stream", 5000);
    const stopped = Date.now();
    await clustered.stop();
    expect(Date.now() - stopped).toBeLessThan(5000);
  }, 60_000);
});

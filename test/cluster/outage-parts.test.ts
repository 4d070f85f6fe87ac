// The cluster's building blocks while their Redis goes away and comes back (a redis-server of their own,
// stopped and started again on the same port, with or without its data): nothing waits for the lost Redis
// without a bound, tokens keep growing across the data loss, and a clustered driver that owned the PBX
// keeps its connection meanwhile and reconciles once Redis is back — also when another instance, which
// could reach Redis, took the PBX over (a partition, played by a TCP proxy that is cut).

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
import { TcpProxy } from "../live/support/tcp-proxy.js";
import { tempDir } from "../recording/helpers.js";
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

const dirs: { remove(): Promise<void> }[] = [];
const proxies: TcpProxy[] = [];

function presence(extension: string): PbxEvent {
  return { pbx: "main", at: Date.now(), type: "presence.state", extension, state: "away" };
}

afterEach(async () => {
  for (const c of connections.splice(0)) c.disconnect();
  for (const p of proxies.splice(0)) await p.stop();
  await server?.stop();
  server = undefined;
  for (const d of dirs.splice(0)) await d.remove();
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

  it("an owner keeps its PBX connection and applies its events while Redis is away; back with its data, it reclaims the lease (same token) and publishes what it held", async () => {
    const data = await tempDir("parts-redis");
    dirs.push(data);
    server = await startLocalRedis(undefined, { dataDir: data.dir });
    const redis = connect(server.url);
    const driver = new ScriptedDriver("main");
    const clustered = new ClusteredDriver({ driver, redis, prefix, logger, instance: "a", leaseTtlMs: 600 });
    const batches: PbxEvent[][] = [];
    clustered.onEvents((e) => batches.push(e));
    clustered.start();
    await until(() => clustered.isOwner() && clustered.status().connected, "a to own the PBX", 10_000);
    const token = clustered.lease.token;

    const port = server.port;
    await server.stop();
    await until(() => clustered.status().cluster.isolated, "a cut off from Redis", 10_000);
    // Not the owner as far as acting on the PBX goes; still applying what its connection delivers.
    expect(clustered.isOwner()).toBe(false);
    expect(clustered.appliesOwnEvents()).toBe(true);
    expect(driver.running).toBe(true);
    const status = clustered.status();
    expect(status).toMatchObject({ connected: true, cluster: { role: "owner" } });
    expect(status.cluster.problem).toBeUndefined();
    expect(status.cluster.isolated).toMatch(/Redis unreachable/);
    expect(batches.flat().some((e) => e.type === "pbx.connection" && e.state === "down")).toBe(false);
    const before = batches.length;
    driver.emit([presence("1001")]);
    expect(batches.length).toBe(before + 1);
    // It acts on nothing: another instance may own the PBX by now.
    const refused = await clustered.execute({
      op: "pickup",
      req: { pickerEndpoint: "PJSIP/1003", targetLeg: "1.1" },
    });
    expect(refused).toMatchObject({ status: "failed", message: expect.stringMatching(/cannot reach Redis/) });
    expect(driver.commands).toEqual([]);

    server = await startLocalRedis(port, { dataDir: data.dir });
    await until(() => clustered.isOwner(), "a to reclaim the lease", 15_000);
    expect(clustered.lease.token).toBe(token);
    expect(clustered.lease.counters.reclaimed).toBe(1);
    expect(clustered.status().cluster.isolated).toBeUndefined();
    // Never reconnected, and what it applied meanwhile is in the stream, under the same token.
    expect(driver.starts).toBe(1);
    const check = connect(server.url);
    const entries = await until(
      async () => {
        const all = (await check.xrange(`${prefix}events:main`, "-", "+")) as [string, string[]][];
        return all.some(([, f]) => f.join().includes('"extension":"1001"')) ? all : undefined;
      },
      "the held batch in the stream",
      5000,
    );
    expect(new Set(entries.map(([, f]) => f[f.indexOf("token") + 1]))).toEqual(new Set([String(token)]));
    await clustered.stop();
  }, 60_000);

  it("back without its data (a new token), an isolated owner keeps its connection's state and publishes a fresh snapshot", async () => {
    server = await startLocalRedis();
    const redis = connect(server.url);
    const driver = new ScriptedDriver("main");
    const clustered = new ClusteredDriver({ driver, redis, prefix, logger, instance: "a", leaseTtlMs: 600 });
    clustered.start();
    await until(() => clustered.isOwner() && clustered.status().connected, "a to own the PBX", 10_000);
    const token = clustered.lease.token;
    const port = server.port;
    await server.stop();
    await until(() => clustered.status().cluster.isolated, "a cut off from Redis", 10_000);
    server = await startLocalRedis(port);
    await until(() => clustered.isOwner(), "a to own the PBX again", 15_000);
    expect(clustered.lease.token).toBeGreaterThan(token);
    // Without a second connection to take it on, the snapshot comes from reconnecting.
    await until(() => driver.starts === 2, "a fresh connection", 5000);
    const check = connect(server.url);
    await until(
      async () => {
        const all = (await check.xrange(`${prefix}events:main`, "-", "+")) as [string, string[]][];
        return all.some(
          ([, f]) =>
            f.join().includes("pbx.snapshot") && f[f.indexOf("token") + 1] === String(clustered.lease.token),
        );
      },
      "a snapshot under the new token",
      5000,
    );
    await clustered.stop();
  }, 60_000);

  it("when another instance took the PBX over meanwhile (a partition), the isolated owner stops its connection and follows the stream", async () => {
    server = await startLocalRedis();
    const proxy = await TcpProxy.start(server.port);
    proxies.push(proxy);
    const driverA = new ScriptedDriver("main");
    const driverB = new ScriptedDriver("main");
    const a = new ClusteredDriver({
      driver: driverA,
      redis: connect(`redis://127.0.0.1:${proxy.port}`),
      prefix,
      logger,
      instance: "a",
      leaseTtlMs: 600,
    });
    const b = new ClusteredDriver({
      driver: driverB,
      redis: connect(server.url),
      prefix,
      logger,
      instance: "b",
      leaseTtlMs: 600,
    });
    const batchesA: PbxEvent[][] = [];
    const batchesB: PbxEvent[][] = [];
    a.onEvents((e) => batchesA.push(e));
    b.onEvents((e) => batchesB.push(e));
    a.start();
    await until(() => a.isOwner() && a.status().connected, "a to own the PBX", 10_000);
    b.start();
    await b.ready;

    // a cannot reach Redis; b can, and takes the PBX over once a's lease has expired.
    await proxy.cut();
    await until(() => a.status().cluster.isolated, "a cut off from Redis", 10_000);
    await until(
      () => b.isOwner() && batchesB.some((x) => x.some((e) => e.type === "pbx.snapshot")),
      "b to take the PBX over, its connection's snapshot first",
      10_000,
    );
    driverA.emit([presence("only-a")]);
    driverB.emit([presence("b-live")]);

    await proxy.restore();
    await until(() => !driverA.running, "a to let its connection go", 15_000);
    expect(a.isOwner()).toBe(false);
    expect(a.status().cluster).toMatchObject({ role: "follower", owner: "b" });
    expect(a.status().cluster.isolated).toBeUndefined();
    // a follows b's stream again, from b's snapshot on; nothing a held reached the stream.
    // a's stream reader comes back with its Redis connection (ioredis reconnects with a growing backoff after
    // the cut) and reads from b's snapshot on: bounded generously, as CI's loaded machine once took over 10 s.
    await until(
      () => batchesA.flat().some((e) => e.type === "presence.state" && e.extension === "b-live"),
      "b's events on a",
      30_000,
    );
    const check = connect(server.url);
    const all = (await check.xrange(`${prefix}events:main`, "-", "+")) as [string, string[]][];
    expect(all.some(([, f]) => f.join().includes("only-a"))).toBe(false);
    await a.stop();
    await b.stop();
  }, 60_000);
});

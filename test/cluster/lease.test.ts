// The building blocks of several instances on one Redis, each against a real Redis: the PBX lease,
// the fenced event stream, the command relay, and the clustered driver with scripted PBX drivers.

import { Redis } from "ioredis";
import pino from "pino";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerClusterMetrics } from "../../src/cluster/cluster-metrics.js";
import { ClusteredDriver } from "../../src/cluster/clustered-driver.js";
import { CommandRelay } from "../../src/cluster/command-relay.js";
import {
  EventStreamConsumer,
  EventStreamPublisher,
  FencedError,
  type StreamBatch,
} from "../../src/cluster/event-stream.js";
import { PbxLease } from "../../src/cluster/pbx-lease.js";
import type { PbxEvent } from "../../src/domain/events.js";
import type { LaterOutcome } from "../../src/pbx/driver.js";
import { eventKeys } from "../../src/redis-keys.js";
import { TcpProxy } from "../live/support/tcp-proxy.js";
import { testRedis } from "../support/redis.js";
import { ScriptedDriver, sleep, snapshot, until } from "./helpers.js";

const logger = pino({ level: "silent" });
let redis: Redis;
let url: string;
let base: string;
let n = 0;
/** A fresh key prefix per test. */
const fresh = () => `${base}${++n}:`;

beforeAll(async () => {
  ({ redis, prefix: base, url } = await testRedis());
});

afterAll(() => {
  redis.disconnect();
});

function presence(pbx: string, extension: string): PbxEvent {
  return { pbx, at: Date.now(), type: "presence.state", extension, state: "away" };
}

describe("PbxLease", () => {
  it("is held by one instance at a time, with a token that grows with every new holder", async () => {
    const prefix = fresh();
    const a = new PbxLease({ redis, prefix, pbx: "main", instance: "a", ttlMs: 400 });
    const b = new PbxLease({ redis, prefix, pbx: "main", instance: "b", ttlMs: 400 });
    expect(await a.tryAcquire()).toBe(true);
    expect(a.held).toBe(true);
    expect(a.token).toBe(1);
    expect(await b.tryAcquire()).toBe(false);
    expect(b.holder).toEqual({ instance: "a", token: 1 });
    expect(await redis.get(`${prefix}lease:main`)).toBe("1|a");
    // Asking again while holding it is a renewal: same token.
    expect(await a.tryAcquire()).toBe(true);
    expect(a.token).toBe(1);
    await a.release();
    expect(await b.tryAcquire()).toBe(true);
    expect(b.token).toBe(2);
    await b.release();
  });

  it("keeps the lease past its ttl while it renews, and frees it at once on stop()", async () => {
    const prefix = fresh();
    const a = new PbxLease({ redis, prefix, pbx: "main", instance: "a", ttlMs: 300 });
    const b = new PbxLease({ redis, prefix, pbx: "main", instance: "b", ttlMs: 300 });
    a.start();
    await until(() => a.held, "a holds the lease");
    await sleep(900);
    expect(a.held).toBe(true);
    expect(a.counters.renewals).toBeGreaterThanOrEqual(3);
    expect(await b.tryAcquire()).toBe(false);
    await a.stop();
    expect(a.held).toBe(false);
    expect(await b.tryAcquire()).toBe(true);
    await b.release();
  });

  it("is taken over when the holder stops renewing; the old holder learns it lost the lease", async () => {
    const prefix = fresh();
    const lost: string[] = [];
    const a = new PbxLease({
      redis,
      prefix,
      pbx: "main",
      instance: "a",
      ttlMs: 300,
      onLost: (reason) => lost.push(reason),
    });
    const b = new PbxLease({ redis, prefix, pbx: "main", instance: "b", ttlMs: 300 });
    expect(await a.tryAcquire()).toBe(true);
    const t0 = Date.now();
    b.start();
    // a never renews (a paused process): b takes over within ttl + ttl/3 — about one ttl, not several.
    // The bound allows for a slow machine (2 × ttl + 400 ms) yet stays well below a second expiry.
    await until(() => b.held, "b takes the lease over", 2000, 10);
    expect(Date.now() - t0).toBeLessThan(2 * 300 + 400);
    expect(b.token).toBe(2);
    // a's own clock gave the lease up already; a renewal attempt cannot bring it back.
    expect(a.held).toBe(false);
    await until(() => lost.length === 1, "a's own report of the loss", 1000, 1);
    expect(await a.renew()).toBe(false);
    await b.stop();
  });

  it("reports the lease lost on its own clock when Redis stops answering", async () => {
    const prefix = fresh();
    const conn = new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    conn.on("error", () => undefined);
    const lost: string[] = [];
    const a = new PbxLease({
      redis: conn,
      prefix,
      pbx: "main",
      instance: "a",
      ttlMs: 300,
      onLost: (reason) => lost.push(reason),
    });
    a.start();
    await until(() => a.held, "a holds the lease");
    conn.disconnect();
    await until(() => lost.length > 0, "a gives the lease up", 1000, 10);
    expect(lost[0]).toMatch(/not renewed within 300 ms/);
    expect(a.held).toBe(false);
    await a.stop();
  });

  describe("a lease that lapsed while Redis could not be reached (a cut TCP link)", () => {
    /** Lease `a` reaches Redis through a proxy the test cuts; `b` directly. */
    async function lapsed() {
      const prefix = fresh();
      const proxy = await TcpProxy.start(Number(new URL(url).port));
      const conn = new Redis(`redis://127.0.0.1:${proxy.port}`, {
        maxRetriesPerRequest: 1,
        retryStrategy: () => 20,
      });
      conn.on("error", () => undefined);
      const events: string[] = [];
      const a = new PbxLease({
        redis: conn,
        prefix,
        pbx: "main",
        instance: "a",
        ttlMs: 600,
        onAcquired: (t) => events.push(`acquired ${t}`),
        onReclaimed: (t) => events.push(`reclaimed ${t}`),
        onLost: (_reason, how) => events.push(how),
        onHeldElsewhere: (h) => events.push(`held by ${h.instance}`),
      });
      const b = new PbxLease({ redis, prefix, pbx: "main", instance: "b", ttlMs: 600 });
      a.start();
      await until(() => a.held, "a holds the lease");
      await proxy.cut();
      await until(() => events.includes("lapsed"), "a's lease lapsed", 2000, 5);
      expect(a.lapsed).toBe(1);
      const done = async () => {
        await a.stop();
        await b.stop();
        await proxy.stop();
        conn.disconnect();
      };
      return { a, b, proxy, events, done };
    }

    it("is reclaimed with the same token when nobody took a lease since", async () => {
      const { a, proxy, events, done } = await lapsed();
      await proxy.restore();
      await until(() => a.held, "a holds its lease again", 3000, 10);
      expect(a.token).toBe(1);
      expect(events.slice(-2)).toEqual(["lapsed", "reclaimed 1"]);
      expect(a.counters.lost).toBe(0);
      expect(a.counters.reclaimed).toBe(a.counters.lapsed);
      await done();
    });

    it("gives a new token when another instance held it meanwhile and let it go", async () => {
      const { a, b, proxy, events, done } = await lapsed();
      await until(() => b.tryAcquire(), "b takes the lease once it expired", 3000, 20);
      expect(b.token).toBe(2);
      await b.release();
      await proxy.restore();
      await until(() => a.held, "a holds a lease again", 3000, 10);
      expect(a.token).toBe(3);
      expect(events.slice(-2)).toEqual(["lapsed", "acquired 3"]);
      await done();
    });

    it("tells who holds it when another instance took it over", async () => {
      const { a, b, proxy, events, done } = await lapsed();
      await until(() => b.tryAcquire(), "b takes the lease once it expired", 3000, 20);
      b.start();
      await proxy.restore();
      await until(() => events.includes("held by b"), "a learns b holds the lease", 3000, 10);
      expect(a.held).toBe(false);
      expect(a.lapsed).toBe(0);
      await done();
    });
  });
});

describe("the event stream", () => {
  it("fences a writer whose token is older than the stream's newest", async () => {
    const prefix = fresh();
    const a = new PbxLease({ redis, prefix, pbx: "main", instance: "a", ttlMs: 200 });
    const b = new PbxLease({ redis, prefix, pbx: "main", instance: "b", ttlMs: 200 });
    const publisher = new EventStreamPublisher(redis, prefix, "main");
    expect(await a.tryAcquire()).toBe(true);
    const tokenA = a.token;
    await publisher.publish([snapshot("main")], tokenA);
    // a pauses; its lease expires; b takes over and claims the stream before connecting.
    await sleep(250);
    expect(await b.tryAcquire()).toBe(true);
    expect(await publisher.claim(b.token)).toBe(true);
    // a wakes up and tries to write what it had in hand: refused.
    await expect(publisher.publish([presence("main", "1001")], tokenA)).rejects.toBeInstanceOf(FencedError);
    await publisher.publish([snapshot("main")], b.token);
    // An old token cannot claim the stream back either.
    expect(await publisher.claim(tokenA)).toBe(false);
    const { stream } = eventKeys(prefix, "main");
    const entries = (await redis.xrange(stream, "-", "+")) as [string, string[]][];
    expect(entries.map(([, f]) => f[3])).toEqual([String(tokenA), String(b.token)]);
    await b.release();
  });

  it("a new consumer starts at the last snapshot, then follows live entries in order", async () => {
    const prefix = fresh();
    const publisher = new EventStreamPublisher(redis, prefix, "main");
    await publisher.publish([presence("main", "1")], 1);
    await publisher.publish([snapshot("main", 1000)], 1);
    await publisher.publish([presence("main", "2")], 1);
    const got: StreamBatch[] = [];
    const consumer = new EventStreamConsumer({
      redis,
      prefix,
      pbx: "main",
      blockMs: 200,
      onBatch: (b) => got.push(b),
    });
    consumer.start();
    await consumer.ready;
    expect(got.map((b) => b.events[0]?.type)).toEqual(["pbx.snapshot", "presence.state"]);
    await publisher.publish([presence("main", "3"), presence("main", "4")], 2);
    await until(() => got.length === 3, "the live batch");
    expect(got[2]!.events.map((e) => (e.type === "presence.state" ? e.extension : ""))).toEqual(["3", "4"]);
    expect(got[2]!.token).toBe(2);
    await consumer.stop();
  });

  it("trims only what lies before the last snapshot", async () => {
    const prefix = fresh();
    const publisher = new EventStreamPublisher(redis, prefix, "main");
    for (let i = 0; i < 400; i++) await publisher.publish([presence("main", String(i))], 1);
    await publisher.publish([snapshot("main")], 1);
    const { length } = await publisher.publish([presence("main", "after")], 1);
    // Approximate trimming drops whole nodes (100 entries): at most a node's worth is left before the snapshot.
    expect(length).toBeLessThan(150);
    const { stream, meta } = eventKeys(prefix, "main");
    const snap = await redis.hget(meta, "snapshot");
    const tail = (await redis.xrange(stream, snap!, "+")) as unknown[];
    expect(tail).toHaveLength(2);
  });
});

describe("the command relay", () => {
  it("carries a follower's command out once on the owner and returns its outcome", async () => {
    const prefix = fresh();
    const owner = new CommandRelay({ redis, prefix, pbx: "main", instance: "owner" });
    const follower = new CommandRelay({ redis, prefix, pbx: "main", instance: "follower" });
    const driver = new ScriptedDriver("main");
    driver.start();
    owner.serve((cmd) => driver.execute(cmd));
    const outcome = await follower.send({
      op: "pickup",
      req: { pickerEndpoint: "PJSIP/1003", targetLeg: "1.2" },
    });
    expect(outcome).toEqual({ status: "accepted", detail: "pickup by driver " + driver.id });
    expect(driver.commands).toEqual([
      { op: "pickup", req: { pickerEndpoint: "PJSIP/1003", targetLeg: "1.2" } },
    ]);
    await owner.unserve();
  });

  it("relays a user's status (setStatus) as data, note and all, to the owner's driver", async () => {
    const prefix = fresh();
    const owner = new CommandRelay({ redis, prefix, pbx: "main", instance: "owner" });
    const follower = new CommandRelay({ redis, prefix, pbx: "main", instance: "follower" });
    const driver = new ScriptedDriver("main");
    driver.start();
    owner.serve((cmd) => driver.execute(cmd));
    const req = { extension: "1002", status: "away" as const, note: "Lunch, back at 2 – zurück" };
    expect(await follower.send({ op: "setStatus", req })).toEqual({
      status: "accepted",
      detail: `setStatus by driver ${driver.id}`,
    });
    expect(driver.commands).toEqual([{ op: "setStatus", req }]);
    await owner.unserve();
    follower.close();
  });

  it("answers once the PBX took the command; what became of it follows on the same answers' list", async () => {
    const prefix = fresh();
    const owner = new CommandRelay({ redis, prefix, pbx: "main", instance: "owner" });
    const follower = new CommandRelay({ redis, prefix, pbx: "main", instance: "follower" });
    let joined: (outcome: LaterOutcome) => void = () => undefined;
    owner.serve(async () => ({
      status: "accepted",
      detail: "calling PJSIP/1004",
      later: new Promise<LaterOutcome>((resolve) => {
        joined = resolve;
      }),
    }));
    const outcome = await follower.send({
      op: "takeOver",
      req: { supervisorEndpoint: "PJSIP/1004", agentLeg: "1.2", otherLeg: "1.1" },
    });
    expect(outcome).toMatchObject({ status: "accepted", detail: "calling PJSIP/1004" });
    // The supervisor answers after the answer was given.
    joined({ result: "joined" });
    expect(outcome.status === "accepted" && (await outcome.later)).toEqual({ result: "joined" });
    await owner.unserve();
    follower.close();
  });

  it("fails clearly when nobody takes the request, and a later owner never carries it out", async () => {
    const prefix = fresh();
    const follower = new CommandRelay({ redis, prefix, pbx: "main", instance: "f", takeTimeoutMs: 300 });
    const t0 = Date.now();
    const outcome = await follower.send({
      op: "monitor",
      req: { supervisorEndpoint: "PJSIP/1004", targetLeg: "1.5", mode: "barge", beep: false },
    });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
    expect(outcome).toMatchObject({ status: "failed" });
    expect(outcome.status === "failed" && outcome.message).toMatch(/within 300 ms .*not carried out/);
    // An owner appears right after: the abandoned barge must not fire.
    const driver = new ScriptedDriver("main");
    driver.start();
    const owner = new CommandRelay({ redis, prefix, pbx: "main", instance: "owner" });
    owner.serve((cmd) => driver.execute(cmd));
    await until(() => owner.counters.skipped === 1, "the owner to skip the abandoned request");
    expect(driver.commands).toEqual([]);
    await owner.unserve();
  });

  it("a new owner removes earlier owners' consumers (and what they read but never acknowledged), not recent ones", async () => {
    const prefix = fresh();
    // staleMs well above a scheduling stall, so that "recent" stays recent on a slow machine.
    const owner = new CommandRelay({ redis, prefix, pbx: "main", instance: "owner", staleMs: 1500 });
    const stream = owner.stream;
    await redis.call("XGROUP", "CREATE", stream, "owner", "0", "MKSTREAM");
    await redis.call("XADD", stream, "*", "id", "r1", "command", "{}", "from", "x");
    // An owner that read a request and died before acknowledging it.
    await redis.call("XREADGROUP", "GROUP", "owner", "gone-owner", "COUNT", "10", "STREAMS", stream, ">");
    const pending = async () => ((await redis.call("XPENDING", stream, "owner")) as unknown[])[0];
    expect(await pending()).toBe(1);
    // gone-owner now stays idle for longer than staleMs.
    await new Promise((r) => setTimeout(r, 1800));
    // One that was active a moment ago (a paused owner that may still be reading) is left alone.
    await redis.call("XADD", stream, "*", "id", "r2", "command", "{}", "from", "x");
    await redis.call("XREADGROUP", "GROUP", "owner", "recent-owner", "COUNT", "10", "STREAMS", stream, ">");
    const driver = new ScriptedDriver("main");
    driver.start();
    owner.serve((cmd) => driver.execute(cmd));
    await until(() => owner.counters.consumersRemoved === 1, "the earlier owner's consumer to be removed");
    const names = async () =>
      ((await redis.call("XINFO", "CONSUMERS", stream, "owner")) as unknown[][]).map((c) => String(c[1]));
    expect(await names()).not.toContain("gone-owner");
    expect(await names()).toContain("recent-owner");
    expect(await pending()).toBe(1); // recent-owner's: it may still act on it
    expect(driver.commands).toEqual([]);
    await owner.unserve();
  });

  it("drops a request older than a few seconds (a requester that died), on Redis's clock", async () => {
    const prefix = fresh();
    const owner = new CommandRelay({ redis, prefix, pbx: "main", instance: "owner", staleMs: 2000 });
    const [seconds] = (await redis.call("TIME")) as [string, string];
    // As if it had been sent a minute ago by an instance that is gone.
    await redis.call(
      "XADD",
      owner.stream,
      `${Number(seconds) * 1000 - 60_000}-0`,
      "id",
      "old-barge",
      "command",
      JSON.stringify({
        op: "monitor",
        req: { supervisorEndpoint: "PJSIP/1004", targetLeg: "x", mode: "barge" },
      }),
      "from",
      "gone",
    );
    const driver = new ScriptedDriver("main");
    driver.start();
    owner.serve((cmd) => driver.execute(cmd));
    await until(() => owner.counters.stale === 1, "the stale request to be dropped");
    expect(driver.commands).toEqual([]);
    // The answer goes to the requesting instance's list of answers, named by the request's id.
    const reply = await until(() => redis.lpop(`${owner.stream}:replies:gone`), "the stale request's answer");
    expect(JSON.parse(reply)).toMatchObject({
      id: "old-barge",
      outcome: { status: "failed", message: expect.stringMatching(/not carried out/) },
    });
    await owner.unserve();
  });
});

/** An instance's cluster figures as /metrics shows them, by `name{labels}`. */
async function clusterFigures(driver: ClusteredDriver): Promise<Map<string, number>> {
  const registry = new Registry();
  registerClusterMetrics(registry, [driver]);
  const figures = new Map<string, number>();
  for (const line of (await registry.metrics()).split("\n")) {
    const m = /^(\S+) (\S+)$/.exec(line);
    if (m && !line.startsWith("#")) figures.set(m[1] as string, Number(m[2]));
  }
  return figures;
}

describe("ClusteredDriver", () => {
  function instance(prefix: string, name: string, drivers: ScriptedDriver[], refreshAfter?: number) {
    const driver = new ScriptedDriver("main");
    drivers.push(driver);
    const clustered = new ClusteredDriver({
      driver,
      createDriver: () => {
        const d = new ScriptedDriver("main");
        drivers.push(d);
        return d;
      },
      redis,
      prefix,
      logger,
      instance: name,
      leaseTtlMs: 300,
      ...(refreshAfter !== undefined ? { refreshSnapshotAfter: refreshAfter } : {}),
    });
    const batches: PbxEvent[][] = [];
    clustered.onEvents((e) => batches.push(e));
    return { clustered, driver, batches };
  }

  it("one owner runs the real driver; everyone sees its events; followers' commands run on the owner", async () => {
    const prefix = fresh();
    const drivers: ScriptedDriver[] = [];
    const a = instance(prefix, "a", drivers);
    a.clustered.start();
    await until(() => a.clustered.isOwner() && a.batches.length > 0, "a owns and publishes");
    const b = instance(prefix, "b", drivers);
    b.clustered.start();
    await b.clustered.ready;
    expect(b.clustered.isOwner()).toBe(false);
    expect(b.driver.starts).toBe(0);
    // b starts from a's snapshot.
    expect(b.batches[0]?.[0]?.type).toBe("pbx.snapshot");
    a.driver.emit([presence("main", "1001")]);
    await until(() => b.batches.some((batch) => batch[0]?.type === "presence.state"), "b sees a's event");
    expect(a.batches.some((batch) => batch[0]?.type === "presence.state")).toBe(true);
    await until(() => b.clustered.status().cluster.owner === "a", "b to know who owns the PBX", 2000);
    expect(b.clustered.status()).toMatchObject({
      connected: true,
      cluster: { role: "follower", owner: "a" },
    });
    // A command asked of b is carried out by a's real driver, once.
    const outcome = await b.clustered.execute({
      op: "pickup",
      req: { pickerEndpoint: "PJSIP/1003", targetLeg: "1.1" },
    });
    expect(outcome.status).toBe("accepted");
    expect(a.driver.commands).toHaveLength(1);
    expect(b.driver.commands).toHaveLength(0);
    // /metrics on each instance tells who owns the PBX and where the command went.
    const aFigures = await clusterFigures(a.clustered);
    const bFigures = await clusterFigures(b.clustered);
    expect(aFigures.get('callsight_cluster_owner{pbx="main"}')).toBe(1);
    expect(bFigures.get('callsight_cluster_owner{pbx="main"}')).toBe(0);
    expect(bFigures.get('callsight_cluster_owned{pbx="main"}')).toBe(1);
    expect(bFigures.get('callsight_cluster_relay{pbx="main",what="sent"}')).toBe(1);
    expect(bFigures.get('callsight_cluster_relay{pbx="main",what="answered"}')).toBe(1);
    expect(aFigures.get('callsight_cluster_relay{pbx="main",what="executed"}')).toBe(1);
    expect(aFigures.get('callsight_cluster_stream_written{pbx="main",what="published"}')).toBeGreaterThan(0);
    expect(bFigures.get('callsight_cluster_stream_read{pbx="main",what="events"}')).toBeGreaterThan(0);
    // The recording policy is written by the owner only; b keeps it for when it takes over.
    await b.clustered.publishRecordingPolicy({ extensions: { "1001": "all" } });
    expect(b.driver.policies).toEqual([]);
    // a stops: b takes over at once, connects its own driver and resyncs everyone.
    await a.clustered.stop();
    expect(a.driver.running).toBe(false);
    await until(() => b.clustered.isOwner() && b.driver.running, "b takes over", 2000);
    expect(b.driver.policies).toEqual([{ extensions: { "1001": "all" } }]);
    const after = await clusterFigures(b.clustered);
    expect(after.get('callsight_cluster_owner{pbx="main"}')).toBe(1);
    expect(after.get('callsight_cluster_lease{pbx="main",what="acquired"}')).toBe(1);
    await until(() => b.batches.filter((x) => x[0]?.type === "pbx.snapshot").length === 2, "b's snapshot");
    // a's deliberate stop published no "down" for the PBX.
    expect(b.batches.flat().some((e) => e.type === "pbx.connection" && e.state === "down")).toBe(false);
    await b.clustered.stop();
  });

  it("the owner applies its driver's batches at once and exactly once; followers get the same batches", async () => {
    const prefix = fresh();
    const drivers: ScriptedDriver[] = [];
    const a = instance(prefix, "a", drivers);
    a.clustered.start();
    await until(() => a.clustered.isOwner() && a.batches.length > 0, "a owns and applies its snapshot");
    const b = instance(prefix, "b", drivers);
    b.clustered.start();
    await b.clustered.ready;
    for (let i = 0; i < 20; i++) {
      const before = a.batches.length;
      a.driver.emit([presence("main", String(2000 + i))]);
      // Synchronously: the owner's listeners do not wait for Redis.
      expect(a.batches.length, `batch ${i} reached the owner's listeners at once`).toBe(before + 1);
    }
    await until(() => b.batches.length === a.batches.length, "b to catch up");
    // Give the owner's own stream reader time to bring the batches back: it must skip them.
    await sleep(300);
    const kinds = (batches: PbxEvent[][]) =>
      batches.map((x) => x.map((e) => `${e.type}:${"extension" in e ? e.extension : ""}`).join());
    expect(kinds(a.batches)).toEqual(kinds(b.batches));
    expect(a.batches.filter((x) => x[0]?.type === "presence.state")).toHaveLength(20);
    await b.clustered.stop();
    await a.clustered.stop();
  });

  it("takes a fresh snapshot on a second connection when the stream grows long, without a gap", async () => {
    const prefix = fresh();
    const drivers: ScriptedDriver[] = [];
    const a = instance(prefix, "a", drivers, 20);
    a.clustered.start();
    await until(() => a.clustered.isOwner() && a.batches.length > 0, "a owns and publishes");
    for (let i = 0; i < 25; i++) a.driver.emit([presence("main", String(i))]);
    await until(() => drivers.length === 2 && drivers[1]!.running, "a second connection");
    await until(() => a.clustered.wrapped === drivers[1], "the switch to the new connection");
    expect(a.driver.running).toBe(false);
    // The old connection's last words after the switch are not published; the new one's are.
    a.driver.emit([presence("main", "late")]);
    drivers[1]!.emit([presence("main", "new")]);
    await until(
      () => a.batches.flat().some((e) => e.type === "presence.state" && e.extension === "new"),
      "the new connection's event",
    );
    const extensions = a.batches.flat().flatMap((e) => (e.type === "presence.state" ? [e.extension] : []));
    expect(extensions).not.toContain("late");
    expect(extensions.slice(0, 25)).toEqual(Array.from({ length: 25 }, (_, i) => String(i)));
    expect(a.batches.filter((x) => x[0]?.type === "pbx.snapshot")).toHaveLength(2);
    expect(a.clustered.counters.refreshes).toBe(1);
    await a.clustered.stop();
  });

  it("keeps the current connection when a leg appeared while the new one was taking its snapshot", async () => {
    const prefix = fresh();
    const drivers: ScriptedDriver[] = [];
    const a = instance(prefix, "a", drivers);
    a.clustered.start();
    await until(() => a.clustered.isOwner() && a.batches.length > 0, "a owns and publishes");
    a.clustered.refreshSnapshot();
    expect(drivers).toHaveLength(2);
    a.driver.emit([
      {
        pbx: "main",
        at: Date.now(),
        type: "leg.created",
        leg: "9.1",
        callId: "9.1",
        channel: "PJSIP/1001-0001",
        endpoint: "PJSIP/1001",
        side: "internal",
        number: "1001",
        outgoing: false,
      },
    ]);
    await until(() => !drivers[1]!.running, "the new connection to be dropped");
    expect(a.clustered.wrapped).toBe(a.driver);
    expect(a.driver.running).toBe(true);
    expect(a.batches.filter((x) => x[0]?.type === "pbx.snapshot")).toHaveLength(1);
    await a.clustered.stop();
  });
});

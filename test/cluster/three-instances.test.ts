// Three real Callsight server processes on one real Redis and one (simulated) Asterisk: one owns the
// PBX connection, all three serve the same board; an operation asked of a non-owner runs once on the
// owner; the owner is killed (SIGKILL) in the middle of a call and another instance takes over, resyncs,
// and the call goes on and ends the same everywhere; nothing is carried out or queued twice.

import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AmiSimulator, type SimCall } from "../../simulators/ami-simulator.js";
import { TokenStore } from "../../src/api/auth/token-store.js";
import { bullKeys, eventKeys } from "../../src/redis-keys.js";
import { tempDir, wavBytes } from "../recording/helpers.js";
import { testRedis } from "../support/redis.js";
import { sleep, until } from "./helpers.js";

const LEASE_TTL_MS = 1500;

interface Instance {
  name: string;
  child: ChildProcess;
  url: string;
  exited: Promise<unknown>;
  alive: boolean;
}

describe("three Callsight instances on one Redis", () => {
  let sim: AmiSimulator;
  let redis: Redis;
  let prefix: string;
  let redisUrl: string;
  let tmp: { dir: string; remove(): Promise<void> };
  let tokens: TokenStore;
  const instances: Instance[] = [];
  const bearer = new Map<string, string>();

  async function token(user: string): Promise<string> {
    let t = bearer.get(user);
    if (!t) {
      t = await tokens.create(user, "cluster test");
      bearer.set(user, t);
    }
    return t;
  }

  async function api(inst: Instance, method: string, path: string, user?: string, body?: unknown) {
    const res = await fetch(`${inst.url}${path}`, {
      method,
      headers: {
        ...(user ? { authorization: `Bearer ${await token(user)}` } : {}),
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
  }

  const alive = () => instances.filter((i) => i.alive);
  const health = async (inst: Instance) => (await api(inst, "GET", "/healthz")).body.pbx[0];
  const board = async (inst: Instance, user = "admin") => (await api(inst, "GET", "/v1/board", user)).body;
  const person = (b: any, id: string) => b.people.find((p: any) => p.id === id);
  const chanSpies = () =>
    sim.actionLog.filter((a) => a.action === "originate" && a.headers.application === "ChanSpy");
  const mixMonitors = () => sim.actionLog.filter((a) => a.action === "mixmonitor");

  /** The instance every live instance names as the owner, once they agree and it says it is connected. */
  async function agreedOwner(timeoutMs: number): Promise<Instance> {
    return until(
      async () => {
        const states = await Promise.all(alive().map(health));
        const owners = new Set(states.map((s) => s.cluster.owner));
        if (owners.size !== 1) return undefined;
        const owner = alive().find((i) => i.name === states[0].cluster.owner);
        const ownState = states[alive().indexOf(owner!)];
        return owner && ownState?.cluster.role === "owner" && ownState.connected ? owner : undefined;
      },
      "all instances to agree on a connected owner",
      timeoutMs,
      50,
    );
  }

  /** Every live instance shows the admin the same board; returns it. */
  async function sameBoardEverywhere(what: string, probe: (b: any) => boolean, timeoutMs = 5000) {
    return until(
      async () => {
        const boards = await Promise.all(alive().map((i) => board(i)));
        if (!boards.every(probe)) return undefined;
        const json = boards.map((b) => JSON.stringify({ people: b.people, monitoring: b.monitoring }));
        return json.every((j) => j === json[0]) ? boards[0] : undefined;
      },
      what,
      timeoutMs,
      50,
    );
  }

  let spawnEnv: Record<string, string> = {};

  /** Starts one Callsight server process; resolves once it listens. */
  async function spawnInstance(name: string): Promise<Instance> {
    const child = spawn(
      process.execPath,
      ["node_modules/vite-node/vite-node.mjs", "test/cluster/support/instance-child.ts"],
      {
        env: { ...process.env, ...spawnEnv, INSTANCE: name, OUTBOX: join(tmp.dir, `${name}-outbox.jsonl`) },
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    const inst: Instance = {
      name,
      child,
      url: "",
      alive: true,
      exited: new Promise((resolve) => child.once("exit", resolve)),
    };
    instances.push(inst);
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
    });
    const line = await until(
      () => out.split("\n").find((l) => l.startsWith('{"ready"')),
      `${name} to start`,
      30_000,
      50,
    );
    inst.url = JSON.parse(line).url;
    return inst;
  }

  beforeAll(async () => {
    tmp = await tempDir("cluster");
    const spool = join(tmp.dir, "spool");
    await mkdir(spool, { recursive: true });
    sim = new AmiSimulator({ commandTimeScale: 0.05 });
    const { port } = await sim.start({ port: 0, username: "callsight", secret: "s3cret" });
    const r = await testRedis();
    redis = r.redis;
    prefix = r.prefix;
    redisUrl = r.url;
    tokens = new TokenStore(redis, prefix);
    spawnEnv = {
      AMI_PORT: String(port),
      REDIS_URL: r.url,
      PREFIX: prefix,
      SPOOL: spool,
      LEASE_TTL_MS: String(LEASE_TTL_MS),
    };
    await Promise.all(["cs-a", "cs-b", "cs-c"].map(spawnInstance));
  }, 45_000);

  afterAll(async () => {
    for (const inst of alive()) inst.child.kill("SIGTERM");
    await Promise.all(instances.map((i) => Promise.race([i.exited, sleep(5000)])));
    for (const inst of instances) if (inst.child.exitCode === null) inst.child.kill("SIGKILL");
    await sim?.stop();
    redis?.disconnect();
    await tmp?.remove();
  });

  it("moves the PBX to another instance when its owner dies mid-call; every board stays right", async () => {
    const owner = await agreedOwner(10_000);
    // Only the owner talks to the PBX.
    expect(sim.sessionCount).toBe(1);

    const [follower1, follower2] = alive().filter((i) => i !== owner) as [Instance, Instance];
    // An admin on a non-owner instance has Erin's calls with the outside recorded: the owner writes it to
    // the PBX (only the owner talks to the PBX).
    const patched = await api(follower1, "PATCH", "/v1/admin/users/1005", "admin", { recording: "external" });
    expect(patched.status).toBe(200);
    await until(() => sim.astdb.get("callsight/recording/1005") === "external", "the policy in AstDB");

    // An inbound call to Erin: the owner's policy check records it (the capture has no MixMonitor), once.
    const call: SimCall = sim.startCall("05", {
      pauseAt: "answered",
      extMap: { "1002": "1005" },
      timeScale: 0.05,
    });
    // The PBX writes the audio where the recording events say; stand in for it.
    const first = await sameBoardEverywhere("Erin on the call on every instance", (b) =>
      person(b, "1005")?.calls?.some((c: any) => c.state === "up"),
    );
    const callId = person(first, "1005").calls[0].call;
    expect(person(first, "1005").calls).toHaveLength(1);
    await until(() => mixMonitors().length > 0, "the owner to start the recording the policy requires");
    await sameBoardEverywhere(
      "the recording on every board",
      (b) => person(b, "1005").calls[0].recording === true,
    );
    await sleep(600);
    expect(mixMonitors()).toHaveLength(1);
    const file = mixMonitors()[0]!.headers.file!;
    await writeFile(join(tmp.dir, "spool", file), wavBytes(800));

    // A supervisor on a non-owner instance listens in: the owner carries it out, once.
    const listen = await api(follower1, "POST", "/v1/operations/listen", "1004", { target: "1005" });
    expect(listen).toMatchObject({ status: 202, body: { status: "accepted" } });
    expect(chanSpies()).toHaveLength(1);
    expect(chanSpies()[0]!.headers.data).toMatch(/,qE$/);
    await sameBoardEverywhere("the listening session on every board", (b) =>
      b.monitoring.some((m: any) => m.by === "1004" && m.mode === "listen"),
    );
    const before = await Promise.all(alive().map((i) => health(i)));
    const tokenBefore = before[0].cluster.token as number;

    // The owner dies without a word.
    owner.child.kill("SIGKILL");
    owner.alive = false;
    const killedAt = Date.now();
    const next = await agreedOwner(LEASE_TTL_MS * 3 + 5000);
    const takeover = Date.now() - killedAt;
    expect(next).not.toBe(owner);
    // About one lease ttl plus a reconnect (~2 s normally); the bound leaves room for a loaded machine
    // running three instances, yet stays far below a takeover that waits for something else.
    expect(takeover).toBeLessThan(LEASE_TTL_MS * 2 + 3500);
    const after = await Promise.all(alive().map((i) => health(i)));
    expect(after.every((s) => s.cluster.owner === next.name && s.cluster.token > tokenBefore)).toBe(true);
    // The new owner connected and published its snapshot: one AMI session again, and the stream carries it.
    await until(() => sim.sessionCount === 1, "one AMI session");
    const { meta } = eventKeys(prefix, "main");
    expect(Number(await redis.hget(meta, "token"))).toBe(after[0].cluster.token);

    // Both survivors still show the call once, with its recording and the listening session.
    const resynced = await sameBoardEverywhere("the call after the takeover", (b) => {
      const erin = person(b, "1005");
      return erin?.calls?.length === 1 && erin.calls[0].call === callId && b.monitoring.length === 1;
    });
    expect(person(resynced, "1005").calls[0]).toMatchObject({ state: "up", recording: true });
    expect(person(resynced, "1004").presence).toBe("on-call");
    // The new owner's policy check finds the call recorded: no second recording.
    await sleep(900);
    expect(mixMonitors()).toHaveLength(1);
    // Nothing was carried out again by the new owner.
    expect(chanSpies()).toHaveLength(1);

    // Dave hangs up and barges in through the other survivor, which may or may not be the new owner.
    const spy = sim.liveChannels().find((c) => c.application === "ChanSpy");
    sim.hangup(spy!.name);
    await sameBoardEverywhere("the listening session over", (b) => b.monitoring.length === 0);
    const via = follower2 === next ? follower1 : follower2;
    expect(via.alive).toBe(true);
    const barge = await api(via, "POST", "/v1/operations/barge", "1004", { target: "1005" });
    expect(barge).toMatchObject({ status: 202 });
    expect(chanSpies()).toHaveLength(2);
    expect(chanSpies()[1]!.headers.data).toMatch(/,qBE$/);
    await sameBoardEverywhere("the barge session on every board", (b) =>
      b.monitoring.some((m: any) => m.by === "1004" && m.mode === "barge"),
    );

    // The call ends: it ends everywhere.
    sim.hangup(sim.liveChannels().find((c) => c.application === "ChanSpy")!.name);
    call.resume();
    await call.done;
    await sameBoardEverywhere(
      "the call gone from every board",
      (b) => !person(b, "1005").calls?.length && person(b, "1005").presence === "available",
    );

    // One recording, one finalize job, although three instances saw it stop (the owner queued it, the
    // other survivor's backstop found it queued already).
    await sleep(1800);
    const conn = new Redis(redisUrl, { maxRetriesPerRequest: null });
    const queue = new Queue(bullKeys(prefix).queue, { connection: conn, prefix: bullKeys(prefix).prefix });
    try {
      const jobs = await queue.getJobs([
        "waiting",
        "prioritized",
        "active",
        "delayed",
        "completed",
        "failed",
      ]);
      const finalize = jobs.filter((j) => j?.name === "finalize");
      expect(finalize).toHaveLength(1);
      expect(finalize[0]!.data).toMatchObject({ callId, file: expect.stringContaining(file) });
      expect(await redis.keys(`${prefix}recordings:enqueued:*`)).toHaveLength(1);
    } finally {
      await queue.close();
      conn.disconnect();
    }
    // The audit log (shared) has each operation once and one policy repair.
    const audit = await api(next, "GET", "/v1/audit", "admin");
    // What became of an accepted operation is a second entry naming the first (detail.operation).
    const attempts = audit.body.entries.filter((e: any) => e.detail?.operation === undefined);
    const ids = new Set(attempts.map((e: any) => e.id));
    for (const e of audit.body.entries)
      if (e.detail?.operation !== undefined) expect(ids.has(e.detail.operation)).toBe(true);
    const actions = attempts.map((e: any) => `${e.action}:${e.outcome}`).sort();
    expect(actions).toEqual([
      "barge:accepted",
      "listen:accepted",
      "recording.repair-start:accepted",
      "user.update:changed",
    ]);
  }, 50_000);

  it("an owner that was paused (not dead) comes back as a follower: fenced, disconnected, caught up", async () => {
    const paused = await agreedOwner(5000);
    const other = alive().find((i) => i !== paused)!;
    const call = sim.startCall("05", { pauseAt: "answered", extMap: { "1002": "1006" }, timeScale: 0.05 });
    await sameBoardEverywhere("Frank on the call on both instances", (b) =>
      person(b, "1006")?.calls?.some((c: any) => c.state === "up"),
    );
    const tokenBefore = (await health(other)).cluster.token as number;

    paused.child.kill("SIGSTOP");
    paused.alive = false;
    try {
      const next = await agreedOwner(LEASE_TTL_MS * 3 + 3000);
      expect(next).toBe(other);
      // While the old owner sleeps (its AMI session still open), the call ends.
      call.resume();
      await call.done;
      await sameBoardEverywhere("the call over on the new owner", (b) => !person(b, "1006").calls?.length);
    } finally {
      paused.child.kill("SIGCONT");
      paused.alive = true;
    }
    // It wakes up with AMI events in its buffers and a lease its own clock says is gone: it publishes
    // nothing, closes its AMI session and follows the stream like any other instance.
    await until(() => sim.sessionCount === 1, "the old owner to let go of the PBX", 5000);
    const owner = await agreedOwner(5000);
    expect(owner).toBe(other);
    expect((await health(paused)).cluster.role).toBe("follower");
    await sameBoardEverywhere("both boards the same again", (b) => !person(b, "1006").calls?.length);
    const { stream } = eventKeys(prefix, "main");
    const entries = (await redis.xrange(stream, "-", "+")) as [string, string[]][];
    const tokens = entries.map(([, f]) => Number(f[f.indexOf("token") + 1]));
    const firstNew = tokens.findIndex((t) => t > tokenBefore);
    expect(firstNew).toBeGreaterThanOrEqual(0);
    // After the new owner's first entry, no entry carries an older token.
    expect(tokens.slice(firstNew).every((t) => t > tokenBefore)).toBe(true);
    // And an operation through the woken instance still goes to the real owner.
    const ring = sim.startCall("01", {
      pauseAt: "ringing",
      extMap: { "1001": "1005", "1002": "1006" },
      timeScale: 0.05,
    });
    await sameBoardEverywhere("Frank's phone ringing", (b) => person(b, "1006")?.presence === "ringing");
    const pickups = () =>
      sim.actionLog.filter((a) => a.action === "originate" && a.headers.application === "PickupChan");
    const r = await api(paused, "POST", "/v1/operations/pickup", "1004", { target: "1006" });
    expect(r).toMatchObject({ status: 202 });
    expect(pickups()).toHaveLength(1);
    ring.resume();
    await ring.done;
  }, 30_000);

  it("an instance started in the middle of a recorded call, left alone as the owner, queues its recording", async () => {
    await agreedOwner(5000);
    const call = sim.startCall("05", { pauseAt: "answered", extMap: { "1002": "1005" }, timeScale: 0.05 });
    await sameBoardEverywhere("the recorded call", (b) => person(b, "1005")?.calls?.[0]?.recording === true);
    const callId = person(await board(alive()[0]!), "1005").calls[0].call;
    const recorded = mixMonitors().at(-1)!.headers.file!;
    await writeFile(join(tmp.dir, "spool", recorded), wavBytes(800));
    // A new instance starts now: it learns the call and its running recording from the stream alone.
    const late = await spawnInstance("cs-d");
    await sameBoardEverywhere(
      "the late instance caught up",
      (b) => person(b, "1005")?.calls?.[0]?.recording === true,
    );
    // Everyone else dies; the late instance is left to own the PBX.
    for (const inst of alive().filter((i) => i !== late)) {
      inst.child.kill("SIGKILL");
      inst.alive = false;
    }
    expect(await agreedOwner(LEASE_TTL_MS * 3 + 3000)).toBe(late);
    call.resume();
    await call.done;
    await sameBoardEverywhere("the call over", (b) => !person(b, "1005").calls?.length);
    const conn = new Redis(redisUrl, { maxRetriesPerRequest: null });
    const queue = new Queue(bullKeys(prefix).queue, { connection: conn, prefix: bullKeys(prefix).prefix });
    try {
      const jobs = await until(async () => {
        const all = await queue.getJobs([
          "waiting",
          "prioritized",
          "active",
          "delayed",
          "completed",
          "failed",
        ]);
        const mine = all.filter((j) => j?.name === "finalize" && j.data.callId === callId);
        return mine.length > 0 ? mine : undefined;
      }, "the late owner to queue the recording");
      expect(jobs).toHaveLength(1);
      expect(jobs[0]!.data.file).toContain(recorded);
    } finally {
      await queue.close();
      conn.disconnect();
    }
  }, 40_000);
});

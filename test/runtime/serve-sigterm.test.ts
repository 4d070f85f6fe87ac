// `callsight serve` in the default (clustered) mode ends on SIGTERM within a few seconds even while its
// Redis is away and it has lost the PBX lease: the stop never waits unboundedly on Redis, and nothing it
// leaves behind (a reconnecting connection, a timer) keeps the process alive.

import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AmiSimulator } from "../../simulators/ami-simulator.js";
import { freePort, type LocalRedis, startLocalRedis } from "../../src/runtime/local-redis.js";
import { until } from "../cluster/helpers.js";
import { tempDir } from "../recording/helpers.js";

function exitOf(child: ChildProcess, ms: number): Promise<number | string | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve("still running"), ms);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? signal);
    });
  });
}

describe("callsight serve, clustered, on SIGTERM", () => {
  let sim: AmiSimulator;
  let redis: LocalRedis | undefined;
  let tmp: { dir: string; remove(): Promise<void> };
  let amiPort: number;

  beforeAll(async () => {
    tmp = await tempDir("serve-sigterm");
    sim = new AmiSimulator({ commandTimeScale: 0.05 });
    ({ port: amiPort } = await sim.start({ port: 0, username: "callsight", secret: "s3cret" }));
  });

  afterAll(async () => {
    await sim?.stop();
    await redis?.stop();
    await tmp?.remove();
  });

  async function serve(
    redisUrl: string,
  ): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      CALLSIGHT_CONFIG: "callsight.example.yaml",
      CALLSIGHT_LISTEN: `127.0.0.1:${port}`,
      REDIS_URL: redisUrl,
      CALLSIGHT_REDIS_PREFIX: "callsight:sigterm:",
      CALLSIGHT_OUTBOX: join(tmp.dir, "outbox.jsonl"),
      CALLSIGHT_LEASE_TTL_MS: "1500",
      CALLSIGHT_PBX_MAIN_PORT: String(amiPort),
      CALLSIGHT_PBX_MAIN_USERNAME: "callsight",
      CALLSIGHT_PBX_MAIN_SECRET: "s3cret",
      LOG_LEVEL: "warn",
    };
    delete env.CALLSIGHT_CLUSTER;
    delete env.CALLSIGHT_INSTANCE_ID;
    const child = spawn(
      process.execPath,
      ["node_modules/vite-node/vite-node.mjs", "test/runtime/support/serve-child.ts"],
      {
        env,
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    return { child, url: `http://127.0.0.1:${port}`, stderr: () => stderr };
  }

  const health = async (url: string) =>
    (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5000) }).then((r) => r.json())).pbx[0];

  it("exits 0 within a few seconds while Redis is stopped and the PBX lease lapsed (its PBX connection kept)", async () => {
    redis = await startLocalRedis();
    const { child, url, stderr } = await serve(redis.url);
    try {
      await until(
        async () => {
          const h = await health(url);
          return h.cluster.role === "owner" && h.connected;
        },
        "the server to own the PBX connection",
        45_000,
        100,
      );
      await redis.stop();
      await until(
        async () => {
          const h = await health(url);
          return h.cluster.isolated && h.connected;
        },
        "the server to keep its PBX connection without its lease",
        20_000,
        100,
      );
      const signalled = Date.now();
      child.kill("SIGTERM");
      expect(await exitOf(child, 20_000), stderr()).toBe(0);
      expect(Date.now() - signalled).toBeLessThan(10_000);
    } finally {
      child.kill("SIGKILL");
    }
  }, 90_000);
});

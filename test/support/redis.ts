// A real Redis for tests: REDIS_URL when set, otherwise a private redis-server from PATH on a free
// loopback port, started once per test file and stopped at exit.

import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createServer } from "node:net";
import { Redis } from "ioredis";

let server: { url: string; child?: ChildProcess } | undefined;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const address = s.address();
      s.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

export async function redisUrl(): Promise<string> {
  if (process.env.REDIS_URL) return process.env.REDIS_URL;
  if (server) return server.url;
  const port = await freePort();
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: "ignore" },
  );
  process.once("exit", () => child.kill());
  const url = `redis://127.0.0.1:${port}`;
  server = { url, child };
  // Wait until it answers.
  for (let i = 0; i < 100; i++) {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on("error", () => undefined);
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      return url;
    } catch {
      probe.disconnect();
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`redis-server on port ${port} did not start`);
}

/** A connection and a key prefix no other test uses. */
export async function testRedis(): Promise<{ redis: Redis; prefix: string; url: string }> {
  const url = await redisUrl();
  return { redis: new Redis(url), prefix: `callsight:test:${randomUUID()}:`, url };
}

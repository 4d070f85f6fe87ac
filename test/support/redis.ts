// A real Redis for tests: REDIS_URL when set, otherwise a private redis-server from PATH on a free
// loopback port, started once per test file and stopped at exit.

import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { startLocalRedis } from "../../src/runtime/local-redis.js";

let url: Promise<string> | undefined;

export function redisUrl(): Promise<string> {
  if (process.env.REDIS_URL) return Promise.resolve(process.env.REDIS_URL);
  url ??= startLocalRedis().then((r) => r.url);
  return url;
}

/** A connection and a key prefix no other test uses. */
export async function testRedis(): Promise<{ redis: Redis; prefix: string; url: string }> {
  const u = await redisUrl();
  return { redis: new Redis(u), prefix: `callsight:test:${randomUUID()}:`, url: u };
}

// One private redis-server for the whole test run (when REDIS_URL is not set), stopped at the end:
// test files reach it through REDIS_URL, so no file leaves a server of its own behind.

import { type LocalRedis, startLocalRedis } from "../../src/runtime/local-redis.js";

let local: LocalRedis | undefined;

export async function setup(): Promise<void> {
  if (process.env.REDIS_URL) return;
  local = await startLocalRedis();
  process.env.REDIS_URL = local.url;
}

export async function teardown(): Promise<void> {
  await local?.stop();
}

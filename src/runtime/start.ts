// Starting and stopping a whole Callsight server process (used by `serve` and `demo`).

import { Redis } from "ioredis";
import type { Logger } from "pino";
import { TokenStore } from "../api/auth/token-store.js";
import { type Api, buildApi } from "../api/server.js";
import { AuditLog } from "../audit/audit-log.js";
import type { CallsightConfig } from "../config/load.js";
import type { PbxDriver } from "../pbx/driver.js";
import { Callsight } from "./callsight.js";
import { driversFor } from "./drivers.js";

export interface ServerOptions {
  config: CallsightConfig;
  redisUrl: string;
  prefix: string;
  host: string;
  port: number;
  logger: Logger;
  drivers?: PbxDriver[];
}

export interface RunningServer {
  callsight: Callsight;
  api: Api;
  redis: Redis;
  tokens: TokenStore;
  url: string;
  stop(): Promise<void>;
}

export class RedisUnavailableError extends Error {}

export async function connectRedis(url: string): Promise<Redis> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3 });
  redis.on("error", () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    redis.disconnect();
    throw new RedisUnavailableError(
      `cannot reach Redis at ${url}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  return redis;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const drivers = options.drivers ?? driversFor(options.config, options.logger);
  const redis = await connectRedis(options.redisUrl);
  const callsight = new Callsight({
    config: options.config,
    redis,
    prefix: options.prefix,
    drivers,
    logger: options.logger,
  });
  await callsight.start();
  const tokens = new TokenStore(redis, options.prefix);
  const audit = new AuditLog(redis, options.prefix);
  const api = await buildApi({ callsight, tokens, audit, logger: options.logger });
  const address = await api.app.listen({ host: options.host, port: options.port });
  options.logger.info({ url: address }, "callsight is listening");
  return {
    callsight,
    api,
    redis,
    tokens,
    url: address,
    async stop() {
      // Stop taking viewers and requests first, then let go of the PBXes and Redis.
      await api.close();
      await callsight.stop();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

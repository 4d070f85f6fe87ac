// `callsight serve`: the long-running server.

import { parseArgs } from "node:util";
import pino from "pino";
import { ConfigError, loadConfig } from "../config/load.js";
import { DEFAULT_PREFIX } from "../redis-keys.js";
import { ListenError, RedisUnavailableError, startServer } from "../runtime/start.js";
import type { CliIo } from "./io.js";

/** Exit codes a process supervisor can act on (sysexits.h). */
export const EXIT = { ok: 0, usage: 64, unavailable: 69, config: 78 } as const;

/**
 * The exit code for a start-up failure the operator can fix (a bad configuration, Redis not reachable, the
 * listen address taken), said on stderr; anything else is a bug and is thrown again.
 */
export function startupFailure(err: unknown, io: CliIo): number {
  if (err instanceof ConfigError) {
    io.err(`callsight: refusing to start, the configuration has problems:\n${err.message}`);
    return EXIT.config;
  }
  if (err instanceof RedisUnavailableError || err instanceof ListenError) {
    io.err(`callsight: ${err.message}`);
    return EXIT.unavailable;
  }
  throw err;
}

export function serverSettings(
  values: { config?: string; listen?: string; redis?: string },
  env = process.env,
) {
  const listen = values.listen ?? env.CALLSIGHT_LISTEN ?? "127.0.0.1:8080";
  const colon = listen.lastIndexOf(":");
  return {
    configFile: values.config ?? env.CALLSIGHT_CONFIG ?? "callsight.yaml",
    host: colon > 0 ? listen.slice(0, colon) : "127.0.0.1",
    port: Number.parseInt(colon >= 0 ? listen.slice(colon + 1) : listen, 10),
    redisUrl: values.redis ?? env.REDIS_URL ?? "redis://127.0.0.1:6379",
    prefix: env.CALLSIGHT_REDIS_PREFIX ?? DEFAULT_PREFIX,
  };
}

export async function serveCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { config: { type: "string" }, listen: { type: "string" }, redis: { type: "string" } },
  });
  const settings = serverSettings(values);
  if (!Number.isInteger(settings.port) || settings.port < 0 || settings.port > 65535) {
    io.err(
      `callsight serve: --listen / CALLSIGHT_LISTEN: expected host:port, got "${values.listen ?? process.env.CALLSIGHT_LISTEN}"`,
    );
    return EXIT.usage;
  }
  const logger = pino({ name: "callsight", level: process.env.LOG_LEVEL ?? "info" });
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    const config = loadConfig(settings.configFile);
    server = await startServer({ config, logger, ...settings });
  } catch (err) {
    return startupFailure(err, io);
  }
  return new Promise<number>((resolve) => {
    const shutdown = (signal: string) => {
      logger.info({ signal }, "shutting down");
      server.stop().then(
        () => resolve(EXIT.ok),
        (err) => {
          logger.error({ err }, "shutdown failed");
          resolve(1);
        },
      );
    };
    process.once("SIGTERM", () => shutdown("SIGTERM"));
    process.once("SIGINT", () => shutdown("SIGINT"));
  });
}

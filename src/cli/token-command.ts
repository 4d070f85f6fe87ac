// `callsight token create <user>`: issues a bearer token (printed once; only its hash is stored).

import { parseArgs } from "node:util";
import { TokenStore } from "../api/auth/token-store.js";
import { ConfigError, loadConfig } from "../config/load.js";
import { DirectoryStore } from "../directory/directory-store.js";
import { connectRedis, RedisUnavailableError } from "../runtime/start.js";
import type { CliIo } from "./io.js";
import { EXIT, serverSettings } from "./serve-command.js";

export async function tokenCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { config: { type: "string" }, redis: { type: "string" }, label: { type: "string" } },
  });
  const [verb, user] = positionals;
  if (verb !== "create" || !user) {
    io.err("usage: callsight token create <user> [--label text] [--config callsight.yaml] [--redis url]");
    return EXIT.usage;
  }
  const settings = serverSettings(values);
  try {
    const config = loadConfig(settings.configFile);
    const redis = await connectRedis(settings.redisUrl);
    try {
      // The stored directory is the truth once Callsight has run; the file seeds it.
      const stored = await new DirectoryStore(redis, settings.prefix).load();
      const known = (stored?.document ?? config.document).users.some((u) => u.id === user);
      if (!known) {
        io.err(`callsight token: no user "${user}" in the directory`);
        return EXIT.usage;
      }
      io.out(await new TokenStore(redis, settings.prefix).create(user, values.label));
      return EXIT.ok;
    } finally {
      await redis.quit().catch(() => redis.disconnect());
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(err.message);
      return EXIT.config;
    }
    if (err instanceof RedisUnavailableError) {
      io.err(`callsight: ${err.message}`);
      return EXIT.unavailable;
    }
    throw err;
  }
}

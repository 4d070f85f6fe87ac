// `callsight demo`: the embedded default. A trace-driven AMI simulator plays real Asterisk calls,
// Callsight connects to it over AMI with the sample directory (two departments), serves the board, and
// prints what happens.

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pino from "pino";
import type { CliIo } from "../src/cli/io.js";
import { EXIT } from "../src/cli/serve-command.js";
import { parseConfig } from "../src/config/load.js";
import type { Presence } from "../src/domain/presence.js";
import { allKeys, DEFAULT_PREFIX } from "../src/redis-keys.js";
import { type LocalRedis, startLocalRedis } from "../src/runtime/local-redis.js";
import { connectRedis, type RunningServer, startServer } from "../src/runtime/start.js";
import { AmiSimulator, PLAIN_CALL_SCENARIOS } from "./ami-simulator.js";

const DEMO_USERS = ["admin", "1001", "1004"];

function packageFile(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      return readFileSync(join(dir, name), "utf8");
    } catch {
      dir = dirname(dir);
    }
  }
  throw new Error(`${name} not found`);
}

export async function demoCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      listen: { type: "string" },
      rate: { type: "string" },
      duration: { type: "string" },
      quiet: { type: "boolean", default: false },
    },
  });
  const portEnv = process.env.PORT;
  const listen =
    values.listen ?? process.env.CALLSIGHT_LISTEN ?? (portEnv ? `127.0.0.1:${portEnv}` : "127.0.0.1:8080");
  const colon = listen.lastIndexOf(":");
  const host = colon > 0 ? listen.slice(0, colon) : "127.0.0.1";
  const port = Number.parseInt(listen.slice(colon + 1), 10);
  const rate = Number.parseFloat(values.rate ?? "0.4");
  const duration = values.duration ? Number.parseFloat(values.duration) : undefined;
  if (!Number.isInteger(port) || !(rate > 0)) {
    io.err(
      "usage: callsight demo [--listen 127.0.0.1:8080] [--rate calls-per-second] [--duration seconds] (or PORT=8080)",
    );
    return EXIT.usage;
  }

  const sim = new AmiSimulator({ commandTimeScale: 1 });
  const secret = `demo-${Math.random().toString(36).slice(2)}`;
  const { port: amiPort } = await sim.start({ port: 0, username: "callsight", secret });

  let localRedis: LocalRedis | undefined;
  let redisUrl = process.env.REDIS_URL;
  if (!redisUrl) {
    try {
      localRedis = await startLocalRedis();
      redisUrl = localRedis.url;
    } catch (err) {
      await sim.stop();
      io.err(
        `callsight demo: needs Redis — set REDIS_URL, or install redis-server (Debian: apt-get install redis-server).\n  ${(err as Error).message}`,
      );
      return EXIT.unavailable;
    }
  }
  // A fresh demo directory every run, under its own key prefix.
  const prefix = `${DEFAULT_PREFIX}demo:`;
  const cleaner = await connectRedis(redisUrl);
  const stale = await cleaner.keys(allKeys(prefix));
  if (stale.length > 0) await cleaner.del(...stale);
  await cleaner.quit();

  const config = parseConfig(packageFile("callsight.example.yaml"), "callsight.example.yaml (demo)", {
    CALLSIGHT_PBX_MAIN_HOST: "127.0.0.1",
    CALLSIGHT_PBX_MAIN_PORT: String(amiPort),
    CALLSIGHT_PBX_MAIN_USERNAME: "callsight",
    CALLSIGHT_PBX_MAIN_SECRET: secret,
  });
  const logger = pino({ name: "callsight", level: process.env.LOG_LEVEL ?? "warn" });
  let server: RunningServer;
  try {
    server = await startServer({ config, redisUrl, prefix, host, port, logger });
  } catch (err) {
    await sim.stop();
    await localRedis?.stop();
    io.err(`callsight demo: ${(err as Error).message}`);
    return EXIT.unavailable;
  }

  io.out(`Callsight demo — a simulated Asterisk (AMI on 127.0.0.1:${amiPort}) replaying real captured calls`);
  io.out(`Redis: ${localRedis ? `private redis-server on ${redisUrl}` : redisUrl}`);
  io.out(`Board: ${server.url}  (open a link below; each shows exactly what that person may see)`);
  let adminToken: string | undefined;
  for (const user of DEMO_USERS) {
    const token = await server.tokens.create(user, "demo");
    const name = config.directory.users.get(user)?.name ?? user;
    io.out(`  ${name.padEnd(14)} ${server.url}/#token=${token}`);
    if (config.directory.users.get(user)?.role === "admin") adminToken ??= token;
  }
  if (adminToken) {
    io.out(`Admin console (Users → View and recording options): ${server.url}/admin#token=${adminToken}`);
  }
  io.out("Press Ctrl-C to stop.\n");

  const names = (id: string) => config.directory.users.get(id)?.name ?? id;
  const time = () => new Date().toISOString().slice(11, 19);
  if (!values.quiet) {
    server.callsight.onModelChange((changes) => {
      for (const c of changes) {
        if (c.kind === "presence")
          io.out(`${time()}  ${names(c.user).padEnd(14)} ${c.previous} -> ${c.presence as Presence}`);
        else if (c.kind === "call-ended") {
          const parties = c.call.parties.map((p) => (p.user ? names(p.user) : p.number || "?")).join(" <-> ");
          io.out(
            `${time()}  call ${c.call.direction} ${c.call.answered ? "answered" : "not answered"}: ${parties}`,
          );
        }
      }
    });
  }
  // Each call is a real capture with its extensions rotated, so calls spread over the six phones.
  const extensions = ["1001", "1002", "1003", "1004", "1005", "1006"];
  const traffic = sim.startTraffic({
    rate,
    concurrency: 3,
    scenarios: [...PLAIN_CALL_SCENARIOS, "07", "08", "09", "10a"],
    extMap: (index) =>
      Object.fromEntries(extensions.map((e, i) => [e, extensions[(i + index) % 6] as string])),
  });

  const stopAll = async () => {
    traffic.stop();
    await server.stop();
    await sim.stop();
    await localRedis?.stop();
  };
  return new Promise<number>((resolve) => {
    let stopping = false;
    const finish = () => {
      if (stopping) return;
      stopping = true;
      stopAll().then(
        () => resolve(EXIT.ok),
        () => resolve(1),
      );
    };
    process.once("SIGINT", finish);
    process.once("SIGTERM", finish);
    if (duration !== undefined) setTimeout(finish, duration * 1000).unref();
  });
}

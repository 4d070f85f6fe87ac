// One Callsight server in a process of its own, for the test that runs three of them on one Redis and
// kills the owner of the PBX connection. Run with vite-node. Prints one JSON line `{"ready":…}` once it
// listens; stops cleanly on SIGTERM.
//   AMI_PORT, REDIS_URL, PREFIX, INSTANCE, SPOOL, OUTBOX, LEASE_TTL_MS, LOG_LEVEL

import { readFileSync } from "node:fs";
import pino from "pino";
import { parseConfig } from "../../../src/config/load.js";
import { startServer } from "../../../src/runtime/start.js";

const env = process.env;
const config = parseConfig(readFileSync("callsight.example.yaml", "utf8"), "callsight.example.yaml", {
  CALLSIGHT_PBX_MAIN_PORT: env.AMI_PORT!,
  CALLSIGHT_PBX_MAIN_USERNAME: "callsight",
  CALLSIGHT_PBX_MAIN_SECRET: "s3cret",
});
config.recording.directory = env.SPOOL!;
const logger = pino(
  { level: env.LOG_LEVEL ?? "silent", base: { instance: env.INSTANCE } },
  pino.destination(2),
);
const server = await startServer({
  config,
  redisUrl: env.REDIS_URL!,
  prefix: env.PREFIX!,
  host: "127.0.0.1",
  port: 0,
  logger,
  outboxPath: env.OUTBOX!,
  recordingGraceMs: 300,
  cluster: {
    instance: env.INSTANCE!,
    leaseTtlMs: Number(env.LEASE_TTL_MS ?? 1500),
    relayTakeTimeoutMs: 4000,
    followerFinalizeDelayMs: 1000,
  },
});
process.stdout.write(`${JSON.stringify({ ready: true, url: server.url, instance: server.instance })}\n`);
process.once("SIGTERM", () => {
  server.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});

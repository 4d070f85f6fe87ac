// Starting and stopping a whole Callsight server process (used by `serve` and `demo`).

import { Redis } from "ioredis";
import type { Logger } from "pino";
import { TokenStore } from "../api/auth/token-store.js";
import { type Api, buildApi } from "../api/server.js";
import { AuditLog } from "../audit/audit-log.js";
import type { CallsightConfig } from "../config/load.js";
import type { PbxDriver } from "../pbx/driver.js";
import { DEFAULT_OUTBOX_PATH, RecordingOutbox } from "../recording/outbox.js";
import { RecordingIndex } from "../recording/recording-index.js";
import { RecordingQueue } from "../recording/recording-queue.js";
import { RecordingService } from "../recording/recording-service.js";
import { Callsight } from "./callsight.js";
import { driversFor } from "./drivers.js";

export interface ServerOptions {
  /** How long after answer the recording policy is checked (default 5 s). */
  recordingGraceMs?: number;
  /** The local outbox for recording jobs while Redis is away (default CALLSIGHT_OUTBOX or /var/lib/callsight/outbox/recordings.jsonl). */
  outboxPath?: string;
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

/** The server's half of recording: policy to the PBX, audit and repair, finished recordings to the queue. */
function startRecording(callsight: Callsight, redis: Redis, audit: AuditLog, options: ServerOptions) {
  const { config, logger, prefix } = options;
  const outbox = new RecordingOutbox(
    options.outboxPath ?? process.env.CALLSIGHT_OUTBOX ?? DEFAULT_OUTBOX_PATH,
    logger,
  );
  const queue = new RecordingQueue({ redis: options.redisUrl, prefix, outbox, logger });
  const index = new RecordingIndex(redis, prefix);
  const service = new RecordingService({
    settings: config.recording,
    directory: () => callsight.directory,
    call: (pbx, id) => callsight.model.call(pbx, id),
    drivers: () => callsight.drivers,
    enqueue: (job) => queue.enqueueFinalize(job),
    audit: (entry) => audit.append({ actor: "callsight", ...entry }),
    logger: logger.child({ component: "recording" }),
    ...(options.recordingGraceMs !== undefined ? { graceMs: options.recordingGraceMs } : {}),
  });
  callsight.onModelChange((changes, events) => service.observe(changes, events));
  callsight.onDirectoryChange(() => {
    void service.publishPolicy();
  });
  const flusher = outbox.startFlusher(queue);
  return { service, queue, index, outbox, flusher };
}

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
  const recording = startRecording(callsight, redis, audit, options);
  const api = await buildApi({ callsight, tokens, audit, logger: options.logger, recording });
  await recording.service.publishPolicy();
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
      recording.flusher.stop();
      recording.service.close();
      await callsight.stop();
      await recording.queue.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

// `callsight worker`: a recording worker process. It finalizes stopped recordings into the store,
// runs the repeatable retention job and flushes the local recording outbox once Redis is reachable.
// Run as many as needed, on any hosts that see the PBX's recording directory and the store, against
// the same Redis. SIGTERM (or SIGINT) lets the jobs in progress finish, then exits 0.

import { parseArgs } from "node:util";
import pino from "pino";
import { directoryFromDocument, loadConfig } from "../config/load.js";
import type { Directory } from "../domain/directory.js";
import { DEFAULT_OUTBOX_PATH, RecordingOutbox } from "../recording/outbox.js";
import { RecordingIndex } from "../recording/recording-index.js";
import { RecordingQueue } from "../recording/recording-queue.js";
import { RecordingStore } from "../recording/recording-store.js";
import { RecordingWorker } from "../recording/recording-worker.js";
import { RetentionPolicy } from "../recording/retention-policy.js";
import { connectRedis } from "../runtime/start.js";
import { DirectoryStore } from "../stores/directory-store.js";
import type { CliIo } from "./io.js";
import { EXIT, serverSettings, startupFailure } from "./serve-command.js";

const USAGE =
  "usage: callsight worker [--config callsight.yaml] [--redis url] [--outbox file] [--concurrency n] [--retention-every-minutes n]";

export async function workerCommand(args: string[], io: CliIo): Promise<number> {
  let values: {
    config?: string;
    redis?: string;
    outbox?: string;
    concurrency?: string;
    "retention-every-minutes"?: string;
  };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        config: { type: "string" },
        redis: { type: "string" },
        outbox: { type: "string" },
        concurrency: { type: "string" },
        "retention-every-minutes": { type: "string" },
      },
    }));
  } catch (err) {
    io.err(`callsight worker: ${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    return EXIT.usage;
  }
  const settings = serverSettings(values);
  const concurrency = Number(values.concurrency ?? process.env.CALLSIGHT_WORKER_CONCURRENCY ?? 4);
  const retentionMinutes = Number(values["retention-every-minutes"] ?? 60);
  if (!Number.isInteger(concurrency) || concurrency < 1 || !(retentionMinutes > 0)) {
    io.err(`callsight worker: --concurrency and --retention-every-minutes take positive numbers\n${USAGE}`);
    return EXIT.usage;
  }
  const outboxPath = values.outbox ?? process.env.CALLSIGHT_OUTBOX ?? DEFAULT_OUTBOX_PATH;
  const logger = pino({ name: "callsight-worker", level: process.env.LOG_LEVEL ?? "info" });

  let config: ReturnType<typeof loadConfig>;
  let redis: Awaited<ReturnType<typeof connectRedis>>;
  try {
    config = loadConfig(settings.configFile);
    redis = await connectRedis(settings.redisUrl);
  } catch (err) {
    return startupFailure(err, io);
  }

  // The directory stored in Redis (edited through the admin API) decides departments once it exists.
  let directory: Directory = config.directory;
  const directories = new DirectoryStore(redis, settings.prefix);
  const reloadDirectory = async () => {
    try {
      const stored = await directories.load();
      if (stored) directory = directoryFromDocument(config, stored.document).directory;
    } catch (err) {
      logger.warn({ err }, "cannot load the stored directory; retention uses the last one known");
    }
  };

  await reloadDirectory();

  const store = new RecordingStore(config.recording.store);
  const index = new RecordingIndex(redis, settings.prefix);
  const worker = new RecordingWorker({
    redis: settings.redisUrl,
    prefix: settings.prefix,
    store,
    index,
    retention: new RetentionPolicy(config.recording, () => directory),
    beforeRetention: reloadDirectory,
    concurrency,
    logger,
  });
  const outbox = new RecordingOutbox(outboxPath, logger);
  const queue = new RecordingQueue({ redis: settings.redisUrl, prefix: settings.prefix, outbox, logger });
  let flusher: { stop(): Promise<void> } | undefined;
  try {
    await worker.start();
    await queue.scheduleRetention(retentionMinutes * 60_000);
    flusher = outbox.startFlusher(queue);
  } catch (err) {
    await worker.close(true).catch(() => undefined);
    await queue.close();
    redis.disconnect();
    io.err(
      `callsight: cannot start the recording worker: ${err instanceof Error ? err.message : String(err)}`,
    );
    return EXIT.unavailable;
  }
  logger.info({ store: config.recording.store, outbox: outboxPath, concurrency }, "recording worker started");

  return new Promise<number>((resolve) => {
    const shutdown = (signal: string) => {
      process.off("SIGTERM", onTerm);
      process.off("SIGINT", onInt);
      logger.info({ signal }, "recording worker stopping after the jobs in progress");
      (async () => {
        await flusher?.stop();
        await worker.close();
        await queue.close();
        await redis.quit().catch(() => redis.disconnect());
      })().then(
        () => resolve(EXIT.ok),
        (err: unknown) => {
          logger.error({ err }, "recording worker shutdown failed");
          resolve(1);
        },
      );
    };
    const onTerm = () => shutdown("SIGTERM");
    const onInt = () => shutdown("SIGINT");
    process.once("SIGTERM", onTerm);
    process.once("SIGINT", onInt);
  });
}

// The consumer side: a BullMQ worker on the recording queue. Any number of them, in any number of
// processes and hosts, may share one Redis; BullMQ gives each job to one of them at a time, and a job
// whose worker died (its lock expired) is given to another, which completes it (finalizing is
// idempotent). Finalize jobs that fail are retried with exponential backoff, then stay failed.

import { type Job, Worker } from "bullmq";
import { Redis, type RedisOptions } from "ioredis";
import type { Logger } from "pino";
import { bullKeys, DEFAULT_PREFIX } from "../redis-keys.js";
import { type FinalizeResult, type FinalizeStep, RecordingFinalizer } from "./recording-finalizer.js";
import type { RecordingIndex } from "./recording-index.js";
import { FINALIZE_JOB, type FinalizeRecording, RETENTION_JOB } from "./recording-job.js";
import type { RecordingStore } from "./recording-store.js";
import type { RetentionPolicy } from "./retention-policy.js";
import { type DeletedRecording, RetentionSweeper } from "./retention-sweeper.js";

export interface RecordingWorkerOptions {
  redis: string | RedisOptions;
  prefix?: string;
  store: RecordingStore;
  index: RecordingIndex;
  /** Without it, retention jobs fail (a worker that cannot know the retention must not delete anything). */
  retention?: RetentionPolicy;
  /** Jobs processed at once by this worker (default 4). */
  concurrency?: number;
  settleMs?: number;
  pollMs?: number;
  maxWaitMs?: number;
  /** How long a job stays locked to this worker without renewal (default 30 s); a dead worker's job is retaken after it. */
  lockDurationMs?: number;
  /** How often stalled jobs (of dead workers) are looked for (default 30 s). */
  stalledIntervalMs?: number;
  logger?: Logger;
  afterStep?: (step: FinalizeStep, id: string) => Promise<void> | void;
  /** Runs before each retention pass (e.g. to reload the directory the retention policy reads). */
  beforeRetention?: () => Promise<void>;
}

export type RecordingJobResult = FinalizeResult | { deleted: DeletedRecording[] };

export class RecordingWorker {
  readonly worker: Worker<FinalizeRecording | Record<string, never>, RecordingJobResult>;
  readonly finalizer: RecordingFinalizer;
  private readonly sweeper: RetentionSweeper | undefined;
  private readonly connection: Redis;

  constructor(options: RecordingWorkerOptions) {
    const logger = options.logger;
    this.finalizer = new RecordingFinalizer({
      store: options.store,
      index: options.index,
      ...(options.settleMs !== undefined && { settleMs: options.settleMs }),
      ...(options.pollMs !== undefined && { pollMs: options.pollMs }),
      ...(options.maxWaitMs !== undefined && { maxWaitMs: options.maxWaitMs }),
      ...(logger && { logger }),
      ...(options.afterStep && { afterStep: options.afterStep }),
    });
    this.sweeper = options.retention
      ? new RetentionSweeper(options.retention, options.index, options.store, logger, options.beforeRetention)
      : undefined;
    // Blocking worker connections must retry forever (BullMQ requires maxRetriesPerRequest: null).
    const reconnect: RedisOptions = {
      maxRetriesPerRequest: null,
      retryStrategy: (times) => Math.min(times * 200, 2000),
    };
    this.connection =
      typeof options.redis === "string"
        ? new Redis(options.redis, reconnect)
        : new Redis({ ...options.redis, ...reconnect });
    this.connection.on("error", (err) => logger?.debug({ err }, "recording worker: Redis error"));
    const bull = bullKeys(options.prefix ?? DEFAULT_PREFIX);
    this.worker = new Worker(bull.queue, (job) => this.process(job), {
      connection: this.connection,
      prefix: bull.prefix,
      concurrency: options.concurrency ?? 4,
      lockDuration: options.lockDurationMs ?? 30_000,
      stalledInterval: options.stalledIntervalMs ?? 30_000,
      maxStalledCount: 3,
      autorun: false,
    });
    this.worker.on("error", (err) => logger?.warn({ err }, "recording worker error"));
    this.worker.on("failed", (job, err) => {
      if (!job) return;
      const final = job.attemptsMade >= (job.opts.attempts ?? 1);
      logger?.warn(
        { jobId: job.id, name: job.name, attempt: job.attemptsMade, final, reason: err.message },
        final ? "recording job failed for good" : "recording job failed, will retry",
      );
    });
  }

  /** Starts taking jobs; resolves once the worker is connected. */
  async start(): Promise<void> {
    void this.worker.run().catch((err: unknown) => this.worker.emit("error", err as Error));
    await this.worker.waitUntilReady();
  }

  private async process(
    job: Job<FinalizeRecording | Record<string, never>, RecordingJobResult>,
  ): Promise<RecordingJobResult> {
    switch (job.name) {
      case FINALIZE_JOB:
        return this.finalizer.finalize(job.id!, job.data as FinalizeRecording);
      case RETENTION_JOB:
        if (!this.sweeper) throw new Error("this worker has no retention settings");
        return { deleted: await this.sweeper.sweep() };
      default:
        throw new Error(`unknown recording job "${job.name}"`);
    }
  }

  /** Stops taking jobs and waits for the ones in progress to finish (`force`: does not wait). */
  async close(force = false): Promise<void> {
    await this.worker.close(force);
    this.connection.disconnect();
  }
}

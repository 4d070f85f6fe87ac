// The producer side of the recording pipeline: a BullMQ queue of finalize jobs (and the repeatable
// retention job). Adding a job never waits long on Redis: when Redis does not answer within
// `addTimeoutMs` the job goes to the local outbox and is sent again once Redis is back.

import { type Job, Queue } from "bullmq";
import { Redis, type RedisOptions } from "ioredis";
import type { Logger } from "pino";
import { bullKeys, DEFAULT_PREFIX, recordingKeys } from "../redis-keys.js";
import type { RecordingOutbox } from "./outbox.js";
import { FINALIZE_JOB, type FinalizeRecording, finalizeJobId, RETENTION_JOB } from "./recording-job.js";

export type EnqueueOutcome = "queued" | "outboxed" | "duplicate";

export interface RecordingQueueOptions {
  /** A Redis URL (the queue opens its own connection) or options for ioredis. */
  redis: string | RedisOptions;
  /** Key prefix shared with the rest of Callsight (default `callsight:`); BullMQ keys go under `<prefix>bull`. */
  prefix?: string;
  outbox?: RecordingOutbox;
  /** Attempts per finalize job before it stays failed (default 8). */
  attempts?: number;
  /** First retry delay; doubles on every attempt (default 5 s). */
  backoffMs?: number;
  /** How long an add may wait on Redis before the job goes to the outbox (default 1500 ms). */
  addTimeoutMs?: number;
  /** How long completed finalize jobs are kept, so a late duplicate stop event still finds its job (default 14 days). */
  keepCompletedSeconds?: number;
  logger?: Logger;
}

export interface FailedRecordingJob {
  id: string;
  recording: FinalizeRecording;
  failedReason: string;
  attemptsMade: number;
  failedAt?: number;
}

export type QueueCounts = Record<"waiting" | "active" | "delayed" | "failed" | "completed", number>;

export class RedisTimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`Redis did not answer ${what} within ${ms} ms`);
    this.name = "RedisTimeoutError";
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RedisTimeoutError(what, ms)), ms);
  });
  // A late rejection of the abandoned promise must not become an unhandled rejection.
  promise.catch(() => undefined);
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class RecordingQueue {
  readonly queue: Queue<FinalizeRecording | Record<string, never>>;
  readonly prefix: string;
  private readonly connection: Redis;
  private readonly attempts: number;
  private readonly backoffMs: number;
  private readonly addTimeoutMs: number;
  private readonly keepCompletedSeconds: number;

  constructor(private readonly options: RecordingQueueOptions) {
    this.prefix = options.prefix ?? DEFAULT_PREFIX;
    this.attempts = options.attempts ?? 8;
    this.backoffMs = options.backoffMs ?? 5000;
    this.addTimeoutMs = options.addTimeoutMs ?? 1500;
    this.keepCompletedSeconds = options.keepCompletedSeconds ?? 14 * 86_400;
    // Fail fast while Redis is away (no offline queue, one retry) instead of holding the caller.
    const failFast: RedisOptions = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: this.addTimeoutMs,
      retryStrategy: (times) => Math.min(times * 200, 2000),
    };
    this.connection =
      typeof options.redis === "string"
        ? new Redis(options.redis, { ...failFast, lazyConnect: true })
        : new Redis({ ...options.redis, ...failFast, lazyConnect: true });
    this.connection.on("error", (err) => this.options.logger?.debug({ err }, "recording queue: Redis error"));
    this.connection.connect().catch(() => undefined);
    const bull = bullKeys(this.prefix);
    this.queue = new Queue(bull.queue, { connection: this.connection, prefix: bull.prefix });
    this.queue.on("error", (err) => this.options.logger?.debug({ err }, "recording queue error"));
  }

  /**
   * Enqueues the finalize job of a stopped recording. `duplicate` when a job with its id exists already
   * (a repeated stop event); `outboxed` when Redis could not be reached and the job waits in the outbox.
   */
  async enqueueFinalize(job: FinalizeRecording): Promise<EnqueueOutcome> {
    try {
      return await this.addToRedis(job);
    } catch (err) {
      if (!this.options.outbox) throw err;
      await this.options.outbox.append(job);
      this.options.logger?.warn(
        { err, jobId: finalizeJobId(job), outbox: this.options.outbox.path },
        "Redis unreachable: recording job kept in the outbox",
      );
      return "outboxed";
    }
  }

  /** Adds the job to BullMQ (no outbox); throws when Redis does not answer in time. */
  async addToRedis(job: FinalizeRecording): Promise<"queued" | "duplicate"> {
    const jobId = finalizeJobId(job);
    return withTimeout(
      (async () => {
        await this.queue.waitUntilReady();
        // Which of several concurrent reports of the same stop came first: the one that sets the marker.
        // The job itself is added by every report (BullMQ ignores an existing id), so a report that died
        // between the marker and the add cannot leave the recording without a job.
        const [marked, exists] = await Promise.all([
          this.connection.set(
            recordingKeys(this.prefix).enqueued(jobId),
            "1",
            "EX",
            this.keepCompletedSeconds,
            "NX",
          ),
          this.connection.exists(this.queue.toKey(jobId)),
        ]);
        const existed = marked !== "OK" || exists === 1;
        await this.queue.add(FINALIZE_JOB, job, {
          jobId,
          attempts: this.attempts,
          backoff: { type: "exponential", delay: this.backoffMs },
          removeOnComplete: { age: this.keepCompletedSeconds },
          removeOnFail: false,
        });
        return existed ? ("duplicate" as const) : ("queued" as const);
      })(),
      this.addTimeoutMs,
      `adding recording job ${jobId}`,
    );
  }

  /** Installs (or updates) the repeatable retention job. */
  async scheduleRetention(everyMs: number): Promise<void> {
    await this.queue.upsertJobScheduler(
      RETENTION_JOB,
      { every: everyMs },
      {
        name: RETENTION_JOB,
        data: {},
        opts: {
          attempts: 3,
          backoff: { type: "exponential", delay: 10_000 },
          removeOnComplete: 50,
          removeOnFail: 50,
        },
      },
    );
  }

  /** Runs a retention pass as soon as a worker is free. */
  async runRetentionNow(): Promise<string> {
    const job = await this.queue.add(RETENTION_JOB, {}, { removeOnComplete: 50, removeOnFail: 50 });
    return job.id!;
  }

  /** Whether Redis answers within `timeoutMs`. */
  async reachable(timeoutMs = this.addTimeoutMs): Promise<boolean> {
    try {
      await withTimeout(
        (async () => {
          await this.queue.waitUntilReady();
          return this.connection.ping();
        })(),
        timeoutMs,
        "PING",
      );
      return true;
    } catch {
      return false;
    }
  }

  async counts(): Promise<QueueCounts> {
    const c = await this.queue.getJobCounts(
      "waiting",
      "prioritized",
      "active",
      "delayed",
      "failed",
      "completed",
    );
    return {
      waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
      active: c.active ?? 0,
      delayed: c.delayed ?? 0,
      failed: c.failed ?? 0,
      completed: c.completed ?? 0,
    };
  }

  /** Finalize jobs that used up their attempts, newest first, with the reason of their last failure. */
  async failedJobs(limit = 100): Promise<FailedRecordingJob[]> {
    const jobs = (await this.queue.getJobs(["failed"], 0, limit - 1, false)) as Job[];
    return jobs
      .filter((j) => j?.name === FINALIZE_JOB)
      .map((j) => ({
        id: j.id!,
        recording: j.data as FinalizeRecording,
        failedReason: j.failedReason,
        attemptsMade: j.attemptsMade,
        ...(j.finishedOn !== undefined && { failedAt: j.finishedOn }),
      }));
  }

  async close(): Promise<void> {
    await this.queue.close().catch(() => undefined);
    this.connection.disconnect();
  }
}

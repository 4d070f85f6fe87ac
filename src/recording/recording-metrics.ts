// Recording pipeline metrics for a prom-client registry. Everything is read from the queue in Redis at
// scrape time, so the process that serves /metrics need not be the one running the workers:
//   callsight_recording_jobs{state}                 jobs waiting / active / delayed / failed / completed
//   callsight_recording_processing_seconds          time from a worker taking a finalize job to its completion
//   callsight_recording_retention_deleted_total     recordings deleted by retention passes
//   callsight_recording_outbox_jobs                 jobs waiting in the local outbox for Redis (when given one)

import type { Job } from "bullmq";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { RecordingOutbox } from "./outbox.js";
import { FINALIZE_JOB, RETENTION_JOB } from "./recording-job.js";
import type { RecordingQueue } from "./recording-queue.js";

const STATES = ["waiting", "active", "delayed", "failed", "completed"] as const;
/** At most this many newly completed jobs are read per scrape. */
const SAMPLE_LIMIT = 2000;
const PAGE = 200;

export interface RecordingMetrics {
  /** Reads the jobs completed since the last scrape (called by every scrape; exposed for tests). */
  refresh(): Promise<void>;
}

export function registerRecordingMetrics(
  registry: Registry,
  queue: RecordingQueue,
  options: { outbox?: RecordingOutbox } = {},
): RecordingMetrics {
  // Only jobs finished after registration are observed: the history was seen by an earlier process.
  let watermark = Date.now();
  let refreshing: Promise<void> | undefined;

  const processing = new Histogram({
    name: "callsight_recording_processing_seconds",
    help: "time from a worker taking a recording finalize job to its completion",
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
    async collect() {
      await refresh();
    },
  });
  const retentionDeleted = new Counter({
    name: "callsight_recording_retention_deleted_total",
    help: "recordings deleted by retention",
    registers: [registry],
    async collect() {
      await refresh();
    },
  });
  new Gauge({
    name: "callsight_recording_jobs",
    help: "recording jobs by state (waiting is the queue depth)",
    labelNames: ["state"],
    registers: [registry],
    async collect() {
      try {
        const counts = await queue.counts();
        for (const state of STATES) this.set({ state }, counts[state]);
      } catch {
        // Redis away: leave the last values.
      }
    },
  });
  if (options.outbox) {
    const outbox = options.outbox;
    new Gauge({
      name: "callsight_recording_outbox_jobs",
      help: "recording jobs kept in the local outbox until Redis is reachable",
      registers: [registry],
      async collect() {
        this.set(await outbox.pending());
      },
    });
  }

  async function sample(): Promise<void> {
    let newest = watermark;
    for (let start = 0; start < SAMPLE_LIMIT; start += PAGE) {
      const jobs = (await queue.queue.getJobs(["completed"], start, start + PAGE - 1, false)) as Job[];
      let older = false;
      for (const job of jobs) {
        if (!job?.finishedOn || job.finishedOn <= watermark) {
          older = true;
          continue;
        }
        newest = Math.max(newest, job.finishedOn);
        if (job.name === FINALIZE_JOB && job.processedOn) {
          processing.observe((job.finishedOn - job.processedOn) / 1000);
        } else if (job.name === RETENTION_JOB) {
          const deleted = (job.returnvalue as { deleted?: unknown[] } | null)?.deleted;
          if (Array.isArray(deleted)) retentionDeleted.inc(deleted.length);
        }
      }
      if (older || jobs.length < PAGE) break;
    }
    watermark = newest;
  }

  function refresh(): Promise<void> {
    if (!refreshing) {
      refreshing = sample()
        .catch(() => undefined)
        .finally(() => {
          refreshing = undefined;
        });
    }
    return refreshing;
  }

  return { refresh };
}

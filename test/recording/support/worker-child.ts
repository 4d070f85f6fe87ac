// A recording worker in a process of its own, for the test that kills a worker in the middle of a job.
// Run with vite-node. Prints "ready" once it takes jobs, and "paused <step> <job id>" when it reaches
// the step named by PAUSE_AT, where it then hangs (still holding the job) until it is killed.

import { Redis } from "ioredis";
import { RecordingIndex } from "../../../src/recording/recording-index.js";
import { RecordingStore } from "../../../src/recording/recording-store.js";
import { RecordingWorker } from "../../../src/recording/recording-worker.js";

const url = process.env.REDIS_URL!;
const prefix = process.env.PREFIX!;
const redis = new Redis(url);
const worker = new RecordingWorker({
  redis: url,
  prefix,
  store: new RecordingStore(process.env.STORE!),
  index: new RecordingIndex(redis, prefix),
  settleMs: 50,
  lockDurationMs: 1000,
  stalledIntervalMs: 500,
  afterStep: async (step, id) => {
    if (step !== process.env.PAUSE_AT) return;
    process.stdout.write(`paused ${step} ${id}\n`);
    await new Promise(() => undefined);
  },
});
await worker.start();
process.stdout.write("ready\n");

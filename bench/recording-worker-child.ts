// One recording worker process for the recording benchmark (run from dist/ as plain JS).
// Environment: REDIS_URL, PREFIX, STORE, CONCURRENCY. Prints "ready" once it takes jobs; SIGTERM
// lets the jobs in progress finish and exits.

import { Redis } from "ioredis";
import { RecordingIndex } from "../src/recording/recording-index.js";
import { RecordingStore } from "../src/recording/recording-store.js";
import { RecordingWorker } from "../src/recording/recording-worker.js";

const url = process.env.REDIS_URL!;
const prefix = process.env.PREFIX!;
const redis = new Redis(url);
const worker = new RecordingWorker({
  redis: url,
  prefix,
  store: new RecordingStore(process.env.STORE!),
  index: new RecordingIndex(redis, prefix),
  concurrency: Number(process.env.CONCURRENCY ?? 8),
});
await worker.start();
process.once("SIGTERM", () => {
  worker.close().finally(() => {
    redis.disconnect();
    process.exit(0);
  });
});
process.stdout.write("ready\n");

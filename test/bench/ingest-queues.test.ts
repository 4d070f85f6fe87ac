// The queue-heavy ingest bench (`npm run bench -- --only=ami-ingest-queues,esl-ingest-queues`) checks its own
// mix on the way: the queue saw callers taken and abandoned, none left waiting, and the queue captures make
// most of the events. Run here on one small copy so that a new capture, or a change to how the model counts a
// queue's day, cannot break the benchmark unnoticed (it did: captures made on two days restarted the day's
// counters). Only the mix is asserted, never a speed.

import { describe, expect, it } from "vitest";
import { benchAmiIngestQueues, benchEslIngestQueues } from "../../bench/ingest-queues.js";

describe("the queue-heavy ingest bench's mixes", () => {
  it("AMI: the queue-heavy mix goes through queue 400 and is mostly the queue captures", async () => {
    const figures = await benchAmiIngestQueues({ copies: 1, runs: 1, log: () => undefined });
    expect(figures["ami.queues.queueMix.queueEventsPct"]?.value).toBeGreaterThanOrEqual(75);
  }, 120_000);

  it("ESL: the queue-heavy mix goes through sales@default and is mostly the queue captures", async () => {
    const figures = await benchEslIngestQueues({ copies: 1, runs: 1, log: () => undefined });
    expect(figures["esl.queues.queueMix.queueEventsPct"]?.value).toBeGreaterThanOrEqual(75);
  }, 120_000);
});

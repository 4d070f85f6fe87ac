// What the cluster's event stream holds is checked against the event schema before it is applied: an
// entry someone else wrote into the stream (a bad JSON, an event of the wrong shape) is skipped,
// counted and logged once — never applied, never a crash — and the entries after it still arrive.

import type { Redis } from "ioredis";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  EventStreamConsumer,
  EventStreamPublisher,
  readBatch,
  type StreamBatch,
} from "../../src/cluster/event-stream.js";
import type { PbxEvent } from "../../src/domain/events.js";
import { eventKeys } from "../../src/redis-keys.js";
import { testRedis } from "../support/redis.js";

let redis: Redis;
let prefix: string;

beforeAll(async () => {
  ({ redis, prefix } = await testRedis());
});

afterAll(() => {
  redis.disconnect();
});

const presence = (extension: string): PbxEvent => ({
  type: "presence.state",
  pbx: "main",
  at: 1000,
  extension,
  state: "away",
});

async function until(check: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("the event stream's reader", () => {
  it("skips, counts and logs once the entries that are not events, and applies the others", async () => {
    const publisher = new EventStreamPublisher(redis, prefix, "main");
    const { stream } = eventKeys(prefix, "main");
    await publisher.publish([presence("1")], 1);
    // Written around the publisher, as a foreign or corrupted writer would.
    await redis.xadd(stream, "*", "events", "{not json", "token", "1");
    await redis.xadd(
      stream,
      "*",
      "events",
      JSON.stringify([{ type: "leg.hangup", pbx: "main", at: 1 }]),
      "token",
      "1",
    );
    await redis.xadd(stream, "*", "events", JSON.stringify({ type: "presence.state" }), "token", "1");
    await redis.xadd(
      stream,
      "*",
      "events",
      JSON.stringify([presence("2"), { ...presence("3"), state: "on-the-moon" }]),
      "token",
      "1",
    );
    await publisher.publish([presence("4")], 1);

    const warnings: unknown[] = [];
    const logger = pino({ level: "debug" }, { write: (line: string) => warnings.push(JSON.parse(line)) });
    const got: StreamBatch[] = [];
    const consumer = new EventStreamConsumer({
      redis,
      prefix,
      pbx: "main",
      blockMs: 200,
      logger,
      onBatch: (b) => got.push(b),
    });
    consumer.start();
    await consumer.ready;
    await publisher.publish([presence("5")], 1);
    await until(() => got.length === 3, "the entry after the bad ones");
    await consumer.stop();

    expect(
      got.flatMap((b) => b.events.map((e) => (e.type === "presence.state" ? e.extension : "?"))),
    ).toEqual(["1", "4", "5"]);
    expect(consumer.counters.malformed).toBe(4);
    const warned = warnings.filter((w) => (w as { level: number }).level === 40);
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ msg: "event stream: malformed entry skipped", problem: "not JSON" });
  });

  it("names the first bad field of a batch", () => {
    expect(readBatch(JSON.stringify([presence("1")]))).toEqual({ ok: true, events: [presence("1")] });
    expect(readBatch(JSON.stringify([presence("1"), { ...presence("2"), extension: 7 }]))).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/^1\.extension: /),
    });
  });
});

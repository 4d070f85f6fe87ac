// The directory's change subscription while Redis cannot be reached (the instance's TCP link to it cut,
// as a partition or a Redis restart does): no "[ioredis] Unhandled error event" on stderr for every
// failed reconnect, and a change another instance made meanwhile is picked up once the link is back.

import { Redis } from "ioredis";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DirectoryStore, type StoredDirectory } from "../../src/stores/directory-store.js";
import { until } from "../cluster/helpers.js";
import { TcpProxy } from "../live/support/tcp-proxy.js";
import { redisUrl } from "../support/redis.js";

const cleanups: (() => Promise<unknown> | unknown)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  vi.restoreAllMocks();
});

describe("the directory subscription while Redis cannot be reached", () => {
  it("reports nothing unhandled, and reloads the directory changed meanwhile once Redis is back", async () => {
    const url = await redisUrl();
    const prefix = `callsight:dir-outage:${Date.now()}:`;
    const proxy = await TcpProxy.start(Number(new URL(url).port));
    cleanups.push(() => proxy.stop());
    // As the server connects (src/runtime/start.ts): reconnecting quickly, an error listener of its own.
    const redis = new Redis(`redis://127.0.0.1:${proxy.port}`, {
      maxRetriesPerRequest: 3,
      retryStrategy: (t) => Math.min(t * 50, 500),
    });
    let failures = 0;
    redis.on("error", () => failures++);
    cleanups.push(() => redis.disconnect());
    const other = new Redis(url);
    cleanups.push(() => other.disconnect());

    const store = new DirectoryStore(redis, prefix);
    const document = { departments: [], users: [] } as unknown as StoredDirectory["document"];
    await store.seed(document);
    const seen: StoredDirectory[] = [];
    const unsubscribe = await store.subscribe((s) => seen.push(s));
    cleanups.push(() => unsubscribe());
    const errors = vi.spyOn(console, "error");

    await proxy.cut();
    // Several reconnect attempts fail meanwhile (the subscription's connection retries as often).
    await until(() => failures >= 3, "a few failed reconnects", 10_000, 50);
    // Another instance changes the directory meanwhile: this one misses the announcement.
    await other.set(`${prefix}directory`, JSON.stringify({ version: 2, document }));
    await other.publish(`${prefix}directory:changed`, "2");

    await proxy.restore();
    await until(
      () => seen.some((s) => s.version === 2),
      "the change picked up after the reconnect",
      15_000,
      50,
    );
    const unhandled = errors.mock.calls.filter((c) => String(c[0]).includes("Unhandled error event"));
    expect(unhandled).toEqual([]);
  }, 30_000);
});

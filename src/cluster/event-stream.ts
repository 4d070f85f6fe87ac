// The normalized events of one PBX, shared by every Callsight instance through a Redis Stream.
//
// `<prefix>events:<pbx>` holds one entry per batch the owner's driver delivered (`events` = the JSON
// array, `token` = the owner's fencing token); batches stay batches so every instance applies exactly
// what the owner's driver delivered, in the same grouping. `<prefix>events:<pbx>:meta` holds `token`
// (the newest fencing token that wrote or claimed the stream) and `snapshot` (the id of the newest entry
// that carries a `pbx.snapshot`).
//
// How a new instance gets the current state: it reads from the last snapshot entry. Every driver
// delivers a `pbx.snapshot` first on every (re)connect, and a new owner always connects afresh, so the
// stream always holds a snapshot followed by everything that happened since. Replaying that tail gives
// a starting instance exactly the owner's model — call start times, answered times, parties that have
// left, monitoring sessions, recording flags — which a snapshot rebuilt from a model could not carry.
// So the stream is trimmed only before the last snapshot (XTRIM MINID), never after it, and a new
// instance reads `[last snapshot, now]` with XRANGE and then follows with XREAD BLOCK from the last id
// it read (not from `$`, which would drop what was added in between). To keep that tail short, the owner
// takes a fresh snapshot from the PBX when it grows past a limit (see ClusteredDriver.refreshSnapshot).
//
// Fencing: the publish script refuses a writer whose token is older than the stream's newest token, and
// a new owner claims the stream with its token before it connects to the PBX, so an old owner that
// wakes up from a pause cannot write a single entry after the new one took over.
//
// Readers trust nothing they read: every entry is checked against the event schema
// (domain/event-schema.ts); one that does not hold valid events is skipped whole, counted (`malformed`)
// and logged once per consumer — never applied. The keys come from redis-keys.ts.

import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { z } from "zod";
import { pbxEventSchema } from "../domain/event-schema.js";
import type { PbxEvent } from "../domain/events.js";
import { eventKeys } from "../redis-keys.js";
import { abortable, pause, settleWithin } from "./bounded.js";

/**
 * ARGV[1] = token, ARGV[2] = one flag per batch ("1" = carries a snapshot), ARGV[3..] = the batches.
 * All or nothing: a fenced writer adds no entry at all.
 */
const PUBLISH = `
local latest = tonumber(redis.call('HGET', KEYS[2], 'token') or '0')
local token = tonumber(ARGV[1])
if token < latest then
  return redis.error_reply('FENCED token ' .. ARGV[1] .. ' is older than ' .. latest)
end
if token > latest then redis.call('HSET', KEYS[2], 'token', ARGV[1]) end
local id
for i = 3, #ARGV do
  id = redis.call('XADD', KEYS[1], '*', 'events', ARGV[i], 'token', ARGV[1])
  if string.sub(ARGV[2], i - 2, i - 2) == '1' then redis.call('HSET', KEYS[2], 'snapshot', id) end
end
local snapshot = redis.call('HGET', KEYS[2], 'snapshot')
if snapshot then redis.call('XTRIM', KEYS[1], 'MINID', '~', snapshot) end
return {id, redis.call('XLEN', KEYS[1])}
`;

const CLAIM = `
local latest = tonumber(redis.call('HGET', KEYS[1], 'token') or '0')
if tonumber(ARGV[1]) < latest then return 0 end
redis.call('HSET', KEYS[1], 'token', ARGV[1])
return 1
`;

export class FencedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FencedError";
  }
}

export interface PublishResult {
  id: string;
  /** Entries in the stream now (about the entries since the last snapshot). */
  length: number;
}

export class EventStreamPublisher {
  private readonly keys: { stream: string; meta: string };

  constructor(
    private readonly redis: Redis,
    prefix: string,
    readonly pbx: string,
  ) {
    this.keys = eventKeys(prefix, pbx);
  }

  /** Fences every writer with an older token; false when a newer token claimed the stream already. */
  async claim(token: number): Promise<boolean> {
    return Number(await this.redis.eval(CLAIM, 1, this.keys.meta, String(token))) === 1;
  }

  /** Appends one batch; throws FencedError when a newer owner has claimed the stream. */
  publish(events: readonly PbxEvent[], token: number): Promise<PublishResult> {
    return this.publishMany([events], token);
  }

  /** Appends batches in order, one entry each, in one round trip (all or none). */
  async publishMany(batches: readonly (readonly PbxEvent[])[], token: number): Promise<PublishResult> {
    const flags = batches.map((b) => (b.some((e) => e.type === "pbx.snapshot") ? "1" : "0")).join("");
    try {
      const [id, length] = (await this.redis.eval(
        PUBLISH,
        2,
        this.keys.stream,
        this.keys.meta,
        String(token),
        flags,
        ...batches.map((b) => JSON.stringify(b)),
      )) as [string, number];
      return { id, length: Number(length) };
    } catch (err) {
      if (err instanceof Error && err.message.startsWith("FENCED")) throw new FencedError(err.message);
      throw err;
    }
  }
}

export interface StreamBatch {
  id: string;
  token: number;
  events: PbxEvent[];
}

export interface EventStreamConsumerOptions {
  /** A connection to duplicate: the consumer blocks on a connection of its own. */
  redis: Redis;
  prefix: string;
  pbx: string;
  onBatch: (batch: StreamBatch) => void;
  /** Entries written with a token this says to skip are passed over without being parsed. */
  skipToken?: (token: number) => boolean;
  blockMs?: number;
  logger?: Logger;
}

export class EventStreamConsumer {
  private readonly keys: { stream: string; meta: string };
  private conn: Redis | undefined;
  private abort: AbortController | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  private lastId = "0";
  private maxToken = 0;
  private rewinding = false;
  /** While reading fails: since when, and why. */
  private failing: { since: number; error: string } | undefined;
  private readyResolve!: () => void;
  /** Resolves once the consumer has read from the last snapshot up to the end of the stream. */
  readonly ready: Promise<void>;
  readonly counters = { batches: 0, events: 0, malformed: 0, readErrors: 0 };

  constructor(private readonly options: EventStreamConsumerOptions) {
    this.keys = eventKeys(options.prefix, options.pbx);
    this.ready = new Promise((resolve) => {
      this.readyResolve = resolve;
    });
  }

  /** The id of the last entry delivered. */
  get position(): string {
    return this.lastId;
  }

  /** The largest fencing token of the entries read (a new owner's token must be larger). */
  get highestToken(): number {
    return this.maxToken;
  }

  /** Why the stream cannot be read right now (undefined while reading works). */
  get trouble(): string | undefined {
    return this.failing && `cannot read the event stream: ${this.failing.error}`;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const conn = this.options.redis.duplicate();
    conn.on("error", () => undefined);
    this.conn = conn;
    this.abort = new AbortController();
    this.loop = this.run(conn, this.abort.signal);
  }

  /**
   * Reads the stream again from its last snapshot (once the read in progress returns): for an instance
   * whose model followed something else meanwhile (its own PBX connection while cut off from Redis).
   */
  rewind(): void {
    this.rewinding = true;
  }

  /** Stops reading; a blocked read is cancelled at once, even while its connection waits for Redis. */
  async stop(waitMs = 2000): Promise<void> {
    this.running = false;
    this.abort?.abort();
    this.conn?.disconnect();
    await settleWithin(this.loop, waitMs);
    this.conn = undefined;
  }

  private async run(conn: Redis, signal: AbortSignal): Promise<void> {
    while (this.running) {
      try {
        await this.catchUp(conn, signal);
        this.failing = undefined;
        break;
      } catch (err) {
        if (!this.running) return;
        this.failed(err);
        this.options.logger?.warn({ pbx: this.options.pbx, err }, "event stream: cannot read the snapshot");
        await pause(500, signal);
      }
    }
    this.readyResolve();
    while (this.running) {
      try {
        if (this.rewinding) {
          // A failure leaves it requested: the next round reads from the snapshot again.
          await this.catchUp(conn, signal);
          this.rewinding = false;
        }
        const reply = await abortable(
          conn.call(
            "XREAD",
            "COUNT",
            "500",
            "BLOCK",
            String(this.options.blockMs ?? 2000),
            "STREAMS",
            this.keys.stream,
            this.lastId,
          ),
          signal,
        );
        this.failing = undefined;
        for (const entry of entriesOf(reply)) this.deliver(entry);
      } catch (err) {
        if (!this.running) return;
        this.failed(err);
        this.options.logger?.debug({ pbx: this.options.pbx, err }, "event stream: read failed; retrying");
        await pause(250, signal);
      }
    }
  }

  private failed(err: unknown): void {
    this.counters.readErrors++;
    this.failing = {
      since: this.failing?.since ?? Date.now(),
      error: err instanceof Error ? err.message : String(err),
    };
  }

  /** Reads from the last snapshot entry to the end of the stream. */
  private async catchUp(conn: Redis, signal: AbortSignal): Promise<void> {
    const snapshot = await abortable(conn.hget(this.keys.meta, "snapshot"), signal);
    // Without a snapshot the stream is empty or holds only what a never-connected owner wrote: read it all.
    let from = snapshot ?? "-";
    for (;;) {
      const page = entryList(
        await abortable(conn.call("XRANGE", this.keys.stream, from, "+", "COUNT", "1000"), signal),
      );
      for (const entry of page) this.deliver(entry);
      if (page.length < 1000) return;
      from = `(${this.lastId}`;
    }
  }

  private deliver([id, fields]: RawEntry): void {
    this.lastId = id;
    let token = 0;
    let json = "[]";
    for (let i = 0; i + 1 < fields.length; i += 2) {
      if (fields[i] === "events") json = fields[i + 1] ?? "[]";
      else if (fields[i] === "token") token = Number(fields[i + 1]);
    }
    if (token > this.maxToken) this.maxToken = token;
    if (this.options.skipToken?.(token)) return;
    const read = readBatch(json);
    if (!read.ok) {
      // Never applied: the whole entry is passed over. Logged once per consumer (then only counted).
      this.counters.malformed++;
      const log = { pbx: this.options.pbx, id, problem: read.problem };
      if (this.counters.malformed === 1)
        this.options.logger?.warn(log, "event stream: malformed entry skipped");
      else this.options.logger?.debug(log, "event stream: malformed entry skipped");
      return;
    }
    const events = read.events;
    this.counters.batches++;
    this.counters.events += events.length;
    try {
      this.options.onBatch({ id, token, events });
    } catch (err) {
      this.options.logger?.error({ pbx: this.options.pbx, id, err }, "event stream: listener failed");
    }
  }
}

const batchSchema = z.array(pbxEventSchema);

/** An entry's `events` field, checked against the event schema: what the stream holds is never trusted. */
export function readBatch(json: string): { ok: true; events: PbxEvent[] } | { ok: false; problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return { ok: false, problem: "not JSON" };
  }
  const r = batchSchema.safeParse(value);
  if (r.success) return { ok: true, events: r.data };
  const issue = r.error.issues[0];
  return {
    ok: false,
    problem: `${issue?.path.length ? issue.path.join(".") : "batch"}: ${issue?.message ?? "invalid"}`,
  };
}

export type RawEntry = [id: string, fields: string[]];

/** XRANGE's reply: a list of entries. */
export function entryList(reply: unknown): RawEntry[] {
  if (!Array.isArray(reply)) return [];
  return reply.filter(
    (e): e is RawEntry => Array.isArray(e) && typeof e[0] === "string" && Array.isArray(e[1]),
  );
}

/**
 * XREAD's / XREADGROUP's reply for one stream, in either protocol: RESP2 `[[key, entries]]`, RESP3 as
 * ioredis hands it to `call` (`[key, entries]` flattened from a map) or a Map.
 */
export function entriesOf(reply: unknown): RawEntry[] {
  if (reply === null || reply === undefined) return [];
  if (reply instanceof Map) return [...reply.values()].flatMap((v) => entryList(v));
  if (!Array.isArray(reply)) return [];
  if (typeof reply[0] === "string") {
    const out: RawEntry[] = [];
    for (let i = 1; i < reply.length; i += 2) out.push(...entryList(reply[i]));
    return out;
  }
  return reply.flatMap((pair) => (Array.isArray(pair) ? entryList(pair[1]) : []));
}

/** The ms timestamp of a stream id (`1714564800123-0`). */
export function idTime(id: string): number {
  return Number(id.split("-")[0]);
}

// The index of stored recordings in Redis, for listing them by user, call and date (keys: redis-keys.ts):
//   <prefix>recordings:rec:<id>        hash: the metadata (JSON) of one recording
//   <prefix>recordings:by-date         sorted set of ids by start time
//   <prefix>recordings:by-user:<user>  sorted set of ids by start time, per user concerned
//   <prefix>recordings:by-call:<call>  sorted set of ids by start time, per call id
//   <prefix>recordings:stats           hash of counters (indexed, retentionDeleted)
// Indexing the same recording again replaces its entries (a changed user list included), so a job
// that runs twice leaves one entry.

import type { Redis } from "ioredis";
import { recordingKeys } from "../redis-keys.js";
import { usersOf } from "./recording-job.js";
import type { RecordingMetadata } from "./recording-store.js";

export interface RecordingQuery {
  user?: string;
  call?: string;
  /** Start time bounds, ms since epoch, inclusive. */
  from?: number;
  to?: number;
  limit?: number;
  /** Only recordings this user may see: ones they were a party user of, or started on demand. */
  visibleTo?: string;
  /** Only recordings this accepts (e.g. the user and call filters applied to what a viewer sees of each). */
  where?: (metadata: RecordingMetadata) => boolean;
}

/** Whether `user` was a party of the recording or started it on demand. */
export function canSee(user: string, metadata: Pick<RecordingMetadata, "parties" | "onDemandBy">): boolean {
  return metadata.onDemandBy === user || metadata.parties.some((p) => p.user === user);
}

const PAGE = 200;

export class RecordingIndex {
  private readonly keys: ReturnType<typeof recordingKeys>;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.keys = recordingKeys(prefix);
  }

  private rec(id: string): string {
    return this.keys.recording(id);
  }
  private byDate(): string {
    return this.keys.byDate;
  }
  private byUser(user: string): string {
    return this.keys.byUser(user);
  }
  private byCall(call: string): string {
    return this.keys.byCall(call);
  }
  private stats(): string {
    return this.keys.stats;
  }

  /** Adds (or refreshes) a recording's entries. */
  async add(metadata: RecordingMetadata): Promise<void> {
    const previous = await this.get(metadata.id);
    const users = usersOf(metadata);
    const tx = this.redis.multi();
    if (previous) {
      for (const u of usersOf(previous)) if (!users.includes(u)) tx.zrem(this.byUser(u), metadata.id);
      if (previous.callId !== metadata.callId) tx.zrem(this.byCall(previous.callId), metadata.id);
    } else {
      tx.hincrby(this.stats(), "indexed", 1);
    }
    tx.hset(this.rec(metadata.id), { metadata: JSON.stringify(metadata), startedAt: metadata.startedAt });
    tx.zadd(this.byDate(), metadata.startedAt, metadata.id);
    tx.zadd(this.byCall(metadata.callId), metadata.startedAt, metadata.id);
    for (const u of users) tx.zadd(this.byUser(u), metadata.startedAt, metadata.id);
    await tx.exec();
  }

  async get(id: string): Promise<RecordingMetadata | undefined> {
    const raw = await this.redis.hget(this.rec(id), "metadata");
    return raw ? (JSON.parse(raw) as RecordingMetadata) : undefined;
  }

  /** Removes a recording's entries; returns whether it was indexed. */
  async remove(id: string, options: { retention?: boolean } = {}): Promise<boolean> {
    const metadata = await this.get(id);
    const tx = this.redis.multi();
    tx.del(this.rec(id));
    tx.zrem(this.byDate(), id);
    if (metadata) {
      tx.zrem(this.byCall(metadata.callId), id);
      for (const u of usersOf(metadata)) tx.zrem(this.byUser(u), id);
      if (options.retention) tx.hincrby(this.stats(), "retentionDeleted", 1);
    }
    await tx.exec();
    return metadata !== undefined;
  }

  /** Ids of recordings started before `before` (ms), oldest first, skipping the first `offset`. */
  async startedBefore(before: number, offset = 0, limit = 1000): Promise<string[]> {
    return this.redis.zrangebyscore(this.byDate(), "-inf", `(${before}`, "LIMIT", offset, limit);
  }

  async count(): Promise<number> {
    return this.redis.zcard(this.byDate());
  }

  /** Counters kept with the index: recordings ever indexed, and deleted by retention. */
  async counters(): Promise<{ indexed: number; retentionDeleted: number }> {
    const raw = await this.redis.hgetall(this.stats());
    return { indexed: Number(raw.indexed ?? 0), retentionDeleted: Number(raw.retentionDeleted ?? 0) };
  }

  /** Recordings matching the query, newest first. */
  async list(query: RecordingQuery = {}): Promise<RecordingMetadata[]> {
    const limit = query.limit ?? 100;
    // Walk the narrowest sorted set and filter the rest.
    const key =
      query.call !== undefined
        ? this.byCall(query.call)
        : query.user !== undefined
          ? this.byUser(query.user)
          : query.visibleTo !== undefined
            ? this.byUser(query.visibleTo)
            : this.byDate();
    const max = query.to !== undefined ? String(query.to) : "+inf";
    const min = query.from !== undefined ? String(query.from) : "-inf";
    const out: RecordingMetadata[] = [];
    for (let offset = 0; out.length < limit; offset += PAGE) {
      const ids = await this.redis.zrevrangebyscore(key, max, min, "LIMIT", offset, PAGE);
      if (ids.length === 0) break;
      const pipeline = this.redis.pipeline();
      for (const id of ids) pipeline.hget(this.rec(id), "metadata");
      const results = (await pipeline.exec()) ?? [];
      for (const [err, raw] of results) {
        if (err || typeof raw !== "string") continue;
        const m = JSON.parse(raw) as RecordingMetadata;
        if (query.call !== undefined && m.callId !== query.call) continue;
        if (query.user !== undefined && !usersOf(m).includes(query.user)) continue;
        if (query.visibleTo !== undefined && !canSee(query.visibleTo, m)) continue;
        if (query.where && !query.where(m)) continue;
        out.push(m);
        if (out.length === limit) break;
      }
      if (ids.length < PAGE) break;
    }
    return out;
  }
}

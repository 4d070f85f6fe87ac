// The call history in Redis (keys: redis-keys.ts, historyKeys):
//   <prefix>history:call:<pbx>:<call id>   string: the row (JSON), expiring a day after its retention
//   <prefix>history:by-date                 sorted set of row ids by the call's start time
//   <prefix>history:by-user:<user>          sorted set of row ids by start time, per user who was a party
//
// Every instance applies every event, so every instance writes the row of each call that ends: the first write
// wins (SET NX, in one script with the index entries), the others change nothing. A call id is one call per
// PBX, so the row id `<pbx>:<call id>` is one row per call.
//
// Retention: rows whose call started more than `retentionDays` ago are removed by trim() (the server runs it
// every hour); the row itself also expires a day later, should no trim run.

import type { Redis } from "ioredis";
import { type HistoryRow, usersOfRow } from "../domain/call-history.js";
import { historyKeys } from "../redis-keys.js";

export const DAY_MS = 86_400_000;

/** First write wins: the row and its index entries, or nothing when the row is there already. */
const ADD_SCRIPT = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  for i = 2, #KEYS do redis.call('ZADD', KEYS[i], ARGV[3], ARGV[4]) end
  return 1
end
return 0
`;

export interface HistoryQuery {
  /** Walk these users' rows (merged, newest first) instead of everyone's. */
  users?: readonly string[];
  /** Start time bounds, ms since epoch, inclusive. */
  from?: number;
  to?: number;
  /** At most this many rows (default 100). */
  limit?: number;
  /** Only rows this accepts (e.g. what a viewer may see of it matches the filters). */
  where?: (row: HistoryRow) => boolean;
}

export interface HistoryStoreOptions {
  retentionDays: number;
  now?: () => number;
}

const PAGE = 200;

interface Entry {
  id: string;
  score: number;
}

interface Cursor {
  key: string;
  offset: number;
  entries: Entry[];
  done: boolean;
}

/** Newest first; on the same start time, as Redis orders a reversed range (by id, descending). */
function newer(a: Entry, b: Entry): boolean {
  return a.score !== b.score ? a.score > b.score : a.id > b.id;
}

export class HistoryStore {
  private readonly keys: ReturnType<typeof historyKeys>;
  private readonly now: () => number;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly options: HistoryStoreOptions,
  ) {
    this.keys = historyKeys(prefix);
    this.now = options.now ?? Date.now;
  }

  get retentionDays(): number {
    return this.options.retentionDays;
  }

  /** Stores a row unless its call's row is there already; true when this call stored it. */
  async add(row: HistoryRow): Promise<boolean> {
    const expiresAt = row.startedAt + (this.options.retentionDays + 1) * DAY_MS;
    const ttl = Math.floor(expiresAt - this.now());
    // A call older than the retention (a replay of old events) is not history any more.
    if (ttl <= 0 || row.startedAt < this.cutoff()) return false;
    const keys = [
      this.keys.row(row.id),
      this.keys.byDate,
      ...usersOfRow(row).map((u) => this.keys.byUser(u)),
    ];
    const added = await this.redis.eval(
      ADD_SCRIPT,
      keys.length,
      ...keys,
      JSON.stringify(row),
      String(ttl),
      String(row.startedAt),
      row.id,
    );
    return added === 1;
  }

  async get(id: string): Promise<HistoryRow | undefined> {
    const raw = await this.redis.get(this.keys.row(id));
    return raw ? (JSON.parse(raw) as HistoryRow) : undefined;
  }

  /** Rows matching the query, newest first. */
  async list(query: HistoryQuery = {}): Promise<HistoryRow[]> {
    const limit = query.limit ?? 100;
    const keys =
      query.users !== undefined
        ? [...new Set(query.users)].map((u) => this.keys.byUser(u))
        : [this.keys.byDate];
    const max = query.to !== undefined ? String(query.to) : "+inf";
    const min = query.from !== undefined ? String(query.from) : "-inf";
    // Each index is read a page at a time; a short list (the board's Recent panel) needs short pages.
    const page = Math.min(PAGE, Math.max(20, limit));
    const cursors: Cursor[] = keys.map((key) => ({ key, offset: 0, entries: [], done: false }));
    const seen = new Set<string>();
    const out: HistoryRow[] = [];
    while (out.length < limit) {
      await this.refill(cursors, max, min, page);
      // The next ids in merged order, as far as every index that may hold a newer one has entries loaded.
      const batch: string[] = [];
      while (batch.length < page) {
        let best: Cursor | undefined;
        for (const c of cursors) {
          const head = c.entries[0];
          if (head && (!best || newer(head, best.entries[0] as Entry))) best = c;
        }
        if (!best) break;
        const entry = best.entries.shift() as Entry;
        if (!seen.has(entry.id)) {
          seen.add(entry.id);
          batch.push(entry.id);
        }
        if (best.entries.length === 0 && !best.done) break;
      }
      if (batch.length === 0) {
        if (cursors.every((c) => c.done && c.entries.length === 0)) break;
        continue;
      }
      const pipeline = this.redis.pipeline();
      for (const id of batch) pipeline.get(this.keys.row(id));
      const results = (await pipeline.exec()) ?? [];
      for (const [err, raw] of results) {
        // Gone (trimmed or expired) between the index and the read.
        if (err || typeof raw !== "string") continue;
        const row = JSON.parse(raw) as HistoryRow;
        if (query.where && !query.where(row)) continue;
        out.push(row);
        if (out.length === limit) break;
      }
    }
    return out;
  }

  private async refill(cursors: Cursor[], max: string, min: string, page: number): Promise<void> {
    const empty = cursors.filter((c) => c.entries.length === 0 && !c.done);
    if (empty.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const c of empty) pipeline.zrevrangebyscore(c.key, max, min, "WITHSCORES", "LIMIT", c.offset, page);
    const results = (await pipeline.exec()) ?? [];
    empty.forEach((c, i) => {
      const [err, reply] = results[i] ?? [new Error("no reply"), undefined];
      if (err) throw err;
      const flat = reply as string[];
      for (let j = 0; j + 1 < flat.length; j += 2) {
        c.entries.push({ id: flat[j] as string, score: Number(flat[j + 1]) });
      }
      c.offset += flat.length / 2;
      if (flat.length / 2 < page) c.done = true;
    });
  }

  /** The oldest start time still kept. */
  cutoff(now = this.now()): number {
    return now - this.options.retentionDays * DAY_MS;
  }

  /**
   * Removes the rows of calls that started before the retention, with their index entries; `users` (the
   * directory's) also get their own index cleared of anything that old (rows that expired on their own).
   * Returns how many rows it removed. Safe to run on several instances at once.
   */
  async trim(now = this.now(), users: readonly string[] = []): Promise<number> {
    const cutoff = this.cutoff(now);
    let removed = 0;
    for (;;) {
      const ids = await this.redis.zrangebyscore(this.keys.byDate, "-inf", `(${cutoff}`, "LIMIT", 0, PAGE);
      if (ids.length === 0) break;
      const pipeline = this.redis.pipeline();
      for (const id of ids) pipeline.get(this.keys.row(id));
      const rows = (await pipeline.exec()) ?? [];
      const tx = this.redis.multi();
      ids.forEach((id, i) => {
        const raw = rows[i]?.[1];
        if (typeof raw === "string") {
          for (const u of usersOfRow(JSON.parse(raw) as HistoryRow)) tx.zrem(this.keys.byUser(u), id);
          removed++;
        }
        tx.del(this.keys.row(id));
        tx.zrem(this.keys.byDate, id);
      });
      await tx.exec();
      if (ids.length < PAGE) break;
    }
    if (users.length > 0) {
      const tx = this.redis.multi();
      for (const u of users) tx.zremrangebyscore(this.keys.byUser(u), "-inf", `(${cutoff}`);
      await tx.exec();
    }
    return removed;
  }
}

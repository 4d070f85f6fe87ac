// End times of users' statuses ("away until 14:00"), kept in Redis so that any instance shows them and
// one instance — whichever claims it first — sets the status back to available when the time comes, also
// after a restart. Keys only from redis-keys.ts (`statusKeys`):
//   hash   status:until    user -> UntilEntry (JSON)
//   zset   status:due      user -> when it is due (ms); moved on by a claim while it is carried out
//   channel status:changed  a user whose entry was set, cleared or carried out: instances reload it

import type { Redis } from "ioredis";
import type { UserStatus } from "../../pbx/driver.js";
import { statusKeys } from "../../redis-keys.js";

export interface UntilEntry {
  /** When the status goes back to available (ms since epoch). */
  until: number;
  /** The status set with it. */
  status: UserStatus;
  /** Who set it. */
  by: string;
}

/**
 * Takes a due entry for one instance: only when its due time is still the one read (nobody set a new
 * status, nobody else claimed it), moves it `lease` ms on — if the instance fails, it is due again then —
 * and returns the entry.
 */
const CLAIM = `
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) ~= tonumber(ARGV[2]) then return false end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
return redis.call('HGET', KEYS[2], ARGV[1])
`;

/** Removes a carried-out entry, unless it was set anew (its due time is no longer the claim's). */
const FINISH = `
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) ~= tonumber(ARGV[2]) then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
`;

export interface DueEntry {
  user: string;
  /** The due time read, which the claim checks. */
  due: number;
}

export class UntilStore {
  private readonly keys: ReturnType<typeof statusKeys>;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.keys = statusKeys(prefix);
  }

  /** Sets a user's end time (or, with none, clears it) and tells every instance. */
  async set(user: string, entry: UntilEntry | undefined): Promise<void> {
    const { until, due, changed } = this.keys;
    const tx = this.redis.multi();
    if (entry) tx.hset(until, user, JSON.stringify(entry)).zadd(due, entry.until, user);
    else tx.hdel(until, user).zrem(due, user);
    tx.publish(changed, user);
    await tx.exec();
  }

  async get(user: string): Promise<UntilEntry | undefined> {
    return parse(await this.redis.hget(this.keys.until, user));
  }

  async all(): Promise<Map<string, UntilEntry>> {
    const raw = await this.redis.hgetall(this.keys.until);
    const out = new Map<string, UntilEntry>();
    for (const [user, text] of Object.entries(raw)) {
      const entry = parse(text);
      if (entry) out.set(user, entry);
    }
    return out;
  }

  /** Entries due at `now`, oldest first (at most `limit`), and when the next one after them is due. */
  async due(now: number, limit = 100): Promise<{ due: DueEntry[]; next?: number }> {
    const rows = await this.redis.zrangebyscore(
      this.keys.due,
      "-inf",
      "+inf",
      "WITHSCORES",
      "LIMIT",
      0,
      limit + 1,
    );
    const due: DueEntry[] = [];
    let next: number | undefined;
    for (let i = 0; i + 1 < rows.length; i += 2) {
      const at = Number(rows[i + 1]);
      if (at <= now && due.length < limit) due.push({ user: rows[i] as string, due: at });
      else {
        next = at;
        break;
      }
    }
    return next === undefined ? { due } : { due, next };
  }

  /** Claims a due entry for this instance for `leaseMs` (see CLAIM); undefined when another has it. */
  async claim(
    d: DueEntry,
    now: number,
    leaseMs: number,
  ): Promise<{ entry: UntilEntry; lease: number } | undefined> {
    const lease = now + leaseMs;
    const text = (await this.redis.eval(CLAIM, 2, this.keys.due, this.keys.until, d.user, d.due, lease)) as
      | string
      | null;
    const entry = parse(text);
    return entry ? { entry, lease } : undefined;
  }

  /** The claimed entry was carried out: gone, unless set anew meanwhile. Tells every instance. */
  async finish(user: string, lease: number): Promise<void> {
    const done = await this.redis.eval(FINISH, 2, this.keys.due, this.keys.until, user, lease);
    if (done === 1) await this.redis.publish(this.keys.changed, user);
  }

  /** Follows changes made by any instance; returns how to stop. */
  async subscribe(onChange: (user: string | undefined) => void): Promise<() => Promise<void>> {
    const sub = this.redis.duplicate();
    sub.on("error", () => undefined);
    await sub.subscribe(this.keys.changed);
    sub.on("message", (_channel: string, user: string) => onChange(user));
    // ioredis subscribes again after a reconnect; what changed meanwhile is unknown: reload everything.
    sub.on("ready", () => onChange(undefined));
    // A subscriber has nothing to flush: let go at once (also while Redis does not answer).
    return async () => {
      sub.disconnect();
    };
  }
}

function parse(text: string | null | undefined): UntilEntry | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as Partial<UntilEntry>;
    if (typeof v.until !== "number" || typeof v.by !== "string") return undefined;
    if (v.status !== "available" && v.status !== "away" && v.status !== "dnd") return undefined;
    return { until: v.until, status: v.status, by: v.by };
  } catch {
    return undefined;
  }
}

// Who owns a PBX connection: a lease in Redis with an expiry and a fencing token.
//
// The lease key `<prefix>lease:<pbx>` holds `<token>|<instance>` and expires after `ttlMs` unless the
// holder renews it (every ttl/3). The token comes from `INCR <prefix>lease:<pbx>:token` when the lease is
// taken, so every new holder has a larger token than all earlier ones: writers check it (event-stream.ts)
// so that an old owner that was paused (GC, SIGSTOP, a slow disk) cannot write after a new one took over.
//
// The holder also gives the lease up on its own clock: when it could not renew for `ttlMs` since the
// last renewal it *sent* (Redis counts the expiry from when it received it, i.e. later), it reports the
// lease lost before Redis lets anybody else take it.
//
// Tokens never go back, even when Redis lost its data (restarted without persistence): whoever takes the
// lease passes the largest token it has seen (held, seen holding the lease, or read from the event
// stream) and gets a larger one, so the fencing and the "skip what I applied myself" rule still hold.
//
// A lease given up on our own clock (Redis did not answer) has *lapsed*, not been taken: the holder may
// keep using what it owned locally (see ClusteredDriver) and, once Redis answers, tries to reclaim it with
// the same token. That succeeds only while nobody took a lease since (the token counter still stands at
// our token) and nobody holds it now; otherwise it takes a new lease (a new token: the holder then
// publishes a fresh snapshot) or learns that another instance holds it (`onHeldElsewhere`).

import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { leaseKeys } from "../redis-keys.js";
import { settleWithin } from "./bounded.js";

/**
 * Takes the lease if it is free: `{1, token, value}`, else `{0, 0, current value}`. A lease that still
 * names this instance but that the instance itself already gave up (its clock ran out before Redis's)
 * is not taken back: it expires like any other, and whoever takes it next gets a new token.
 */
const ACQUIRE = `
local cur = redis.call('GET', KEYS[1])
if cur then return {0, 0, cur} end
local token = redis.call('INCR', KEYS[2])
local floor = tonumber(ARGV[3] or '0') or 0
if token <= floor then
  token = floor + 1
  redis.call('SET', KEYS[2], token)
end
local value = token .. '|' .. ARGV[1]
if not redis.call('SET', KEYS[1], value, 'NX', 'PX', ARGV[2]) then return {0, 0, ''} end
return {1, token, value}
`;

/** Extends the lease only while it still holds our value. */
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

/**
 * Takes a lapsed lease back with its old value and token: `{1, value}` when the key still holds it, or
 * when it is free and no lease was taken since (the counter is still at our token); `{0, holder or ''}`.
 */
const RECLAIM = `
local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {1, cur}
end
if cur then return {0, cur} end
if tonumber(redis.call('GET', KEYS[2]) or '0') ~= tonumber(ARGV[3]) then return {0, ''} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return {1, ARGV[1]}
`;

/** Gives the lease up only while it still holds our value. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export interface PbxLeaseOptions {
  redis: Redis;
  prefix: string;
  pbx: string;
  /** This process's id (hostname, pid, random): stored in the lease so others see who owns the PBX. */
  instance: string;
  /** Lease lifetime (default 5 s); renewed every ttl/3. */
  ttlMs?: number;
  /** Default ttl/3. */
  renewEveryMs?: number;
  onAcquired?: (token: number) => void;
  /** A lapsed lease was taken back with its old token. */
  onReclaimed?: (token: number) => void;
  /** An attempt to take the lease found another instance holding it. */
  onHeldElsewhere?: (holder: LeaseHolder) => void;
  /**
   * `released`: given up on purpose; `taken`: another instance holds it now; `lapsed`: not renewed in
   * time on our own clock (Redis unreachable?) — maybe reclaimed later.
   */
  onLost?: (reason: string, how: LeaseLoss) => void;
  /** The largest fencing token seen elsewhere (e.g. in the event stream): a new token is larger. */
  floor?: () => number;
  logger?: Logger;
  now?: () => number;
}

export type LeaseLoss = "released" | "taken" | "lapsed";

interface Lapse {
  value: string;
  token: number;
  /** Until a reclaim was refused: then only a new lease can be had. */
  reclaimable: boolean;
}

export interface LeaseHolder {
  instance: string;
  token: number;
}

export class PbxLease {
  readonly key: string;
  readonly ttlMs: number;
  private readonly counterKey: string;
  private readonly renewEveryMs: number;
  private readonly now: () => number;
  private value: string | undefined;
  private heldToken = 0;
  /** Until when our lease is surely still valid (based on when the last successful renewal was sent). */
  private validUntil = 0;
  private lastHolder: LeaseHolder | undefined;
  private holderSeenAt = 0;
  /** The largest token this lease has held or seen held. */
  private highest = 0;
  /** The lease we held until it lapsed on our clock, until we know whether it is still ours. */
  private lapse: Lapse | undefined;
  private stopped = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private expiryTimer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  private busy: Promise<void> = Promise.resolve();
  readonly counters = {
    acquired: 0,
    lost: 0,
    released: 0,
    renewals: 0,
    renewFailures: 0,
    lapsed: 0,
    reclaimed: 0,
  };

  constructor(private readonly options: PbxLeaseOptions) {
    const keys = leaseKeys(options.prefix, options.pbx);
    this.key = keys.lease;
    this.counterKey = keys.token;
    this.ttlMs = options.ttlMs ?? 5000;
    this.renewEveryMs = options.renewEveryMs ?? Math.max(50, Math.floor(this.ttlMs / 3));
    this.now = options.now ?? Date.now;
  }

  /** Whether this instance holds the lease (by its own conservative clock). */
  get held(): boolean {
    return this.value !== undefined && this.now() < this.validUntil;
  }

  /** The fencing token of the lease we hold (0 when we hold none). */
  get token(): number {
    return this.value !== undefined ? this.heldToken : 0;
  }

  /** The token of our lease that lapsed and may still be reclaimed (0: none). */
  get lapsed(): number {
    return this.lapse?.token ?? 0;
  }

  /**
   * Who held the lease when we last looked (ourselves included), if we looked within the last ttl: an
   * older answer may be wrong by now (e.g. while Redis does not answer), so it is not given.
   */
  get holder(): LeaseHolder | undefined {
    if (this.lastHolder && this.now() - this.holderSeenAt > this.ttlMs) return undefined;
    return this.lastHolder;
  }

  /** Tries to take the lease now and keeps trying (or renewing) every ttl/3 until stop(). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopped = false;
    this.tick();
  }

  /** Stops renewing and releases the lease if we hold it, so another instance takes over at once. */
  async stop(): Promise<void> {
    this.running = false;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    // An attempt waiting for Redis is not waited for long: if it takes the lease later, it gives it up
    // again at once (see tryAcquire).
    await settleWithin(this.busy, Math.min(this.ttlMs, 1000));
    await this.release();
  }

  /** One attempt to take the lease; true when we hold it afterwards. */
  async tryAcquire(): Promise<boolean> {
    if (this.value !== undefined) return this.renew();
    const lapse = this.lapse;
    if (lapse?.reclaimable && !this.stopped) {
      if (await this.tryReclaim(lapse)) return true;
      // Not ours any more: a new one below, or we learn who holds it (onHeldElsewhere).
      lapse.reclaimable = false;
    }
    const acquired = await this.acquire();
    if (lapse && this.lapse === lapse) this.lapse = undefined;
    return acquired;
  }

  /** Takes our lapsed lease back with its token; false when it cannot be. */
  private async tryReclaim(lapse: Lapse): Promise<boolean> {
    const sentAt = this.now();
    const [ok, current] = (await this.options.redis.eval(
      RECLAIM,
      2,
      this.key,
      this.counterKey,
      lapse.value,
      String(this.ttlMs),
      String(lapse.token),
    )) as [number, string | null];
    if (ok !== 1 || this.stopped || this.lapse !== lapse) {
      if (ok !== 1 && current) this.seen(parseHolder(current));
      if (ok === 1) await settleWithin(this.options.redis.eval(RELEASE, 1, this.key, lapse.value), 1000);
      return false;
    }
    this.lapse = undefined;
    this.value = lapse.value;
    this.heldToken = lapse.token;
    this.extendTo(sentAt + this.ttlMs);
    this.seen({ instance: this.options.instance, token: lapse.token });
    this.counters.reclaimed++;
    this.options.logger?.info(
      { pbx: this.options.pbx, instance: this.options.instance, token: lapse.token },
      "PBX lease reclaimed: Redis is back and nobody took the lease meanwhile",
    );
    this.options.onReclaimed?.(lapse.token);
    return true;
  }

  private async acquire(): Promise<boolean> {
    const sentAt = this.now();
    const floor = Math.max(this.highest, this.options.floor?.() ?? 0);
    const [ok, token, current] = (await this.options.redis.eval(
      ACQUIRE,
      2,
      this.key,
      this.counterKey,
      this.options.instance,
      String(this.ttlMs),
      String(floor),
    )) as [number, number, string | null];
    const holder = parseHolder(current ?? "");
    this.seen(holder);
    if (ok !== 1) {
      if (holder && holder.instance !== this.options.instance) this.options.onHeldElsewhere?.(holder);
      return false;
    }
    if (this.stopped) {
      // Taken by an attempt that was still on its way when stop() gave up waiting for it: give it back.
      await settleWithin(this.options.redis.eval(RELEASE, 1, this.key, current ?? ""), 1000);
      return false;
    }
    this.value = current ?? "";
    this.heldToken = Number(token);
    this.extendTo(sentAt + this.ttlMs);
    this.counters.acquired++;
    this.options.logger?.info(
      { pbx: this.options.pbx, instance: this.options.instance, token: this.heldToken },
      "PBX lease acquired: this instance owns the connection",
    );
    this.options.onAcquired?.(this.heldToken);
    return true;
  }

  /** Extends the lease we hold; reports it lost when it is no longer ours. */
  async renew(): Promise<boolean> {
    const value = this.value;
    if (value === undefined) return false;
    const sentAt = this.now();
    let renewed: number;
    try {
      renewed = Number(await this.options.redis.eval(RENEW, 1, this.key, value, String(this.ttlMs)));
    } catch (err) {
      this.counters.renewFailures++;
      this.options.logger?.warn({ pbx: this.options.pbx, err }, "PBX lease: renewal failed");
      // The expiry timer reports the loss once `validUntil` passes without a successful renewal.
      return this.held;
    }
    if (this.value !== value) return false;
    if (renewed !== 1) {
      this.lose("the lease was taken over by another instance", "taken");
      return false;
    }
    this.counters.renewals++;
    this.seen({ instance: this.options.instance, token: this.heldToken });
    this.extendTo(sentAt + this.ttlMs);
    return true;
  }

  /** Gives the lease up (only if it is still ours), or a lapsed one that Redis may still hold for us. */
  async release(): Promise<void> {
    const lapsed = this.lapse?.value;
    this.lapse = undefined;
    const value = this.value ?? lapsed;
    if (value === undefined) return;
    this.lose("released", "released");
    // Bounded: with Redis away the lease simply expires.
    await settleWithin(this.options.redis.eval(RELEASE, 1, this.key, value), Math.min(this.ttlMs, 1000));
  }

  /** Reads who holds the lease now. */
  async current(): Promise<LeaseHolder | undefined> {
    const value = await this.options.redis.get(this.key);
    this.seen(value ? parseHolder(value) : undefined);
    return this.lastHolder;
  }

  private seen(holder: LeaseHolder | undefined): void {
    this.lastHolder = holder;
    this.holderSeenAt = this.now();
    if (holder && Number.isFinite(holder.token)) this.highest = Math.max(this.highest, holder.token);
  }

  private tick(): void {
    if (!this.running) return;
    this.busy = (async () => {
      try {
        await this.tryAcquire();
      } catch (err) {
        this.options.logger?.debug({ pbx: this.options.pbx, err }, "PBX lease: Redis error");
      }
    })();
    void this.busy.finally(() => {
      if (!this.running) return;
      this.timer = setTimeout(() => this.tick(), this.renewEveryMs);
      this.timer.unref?.();
    });
  }

  private extendTo(until: number): void {
    this.validUntil = Math.max(this.validUntil, until);
    this.armExpiry();
  }

  private armExpiry(): void {
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    const value = this.value;
    this.expiryTimer = setTimeout(
      () => {
        if (this.value !== value) return;
        // Timers may fire a millisecond early by Date.now(): check again later rather than never.
        if (this.now() >= this.validUntil)
          this.lose(`not renewed within ${this.ttlMs} ms (Redis unreachable?)`, "lapsed");
        else this.armExpiry();
      },
      Math.max(1, this.validUntil - this.now()),
    );
    this.expiryTimer.unref?.();
  }

  private lose(reason: string, how: LeaseLoss): void {
    if (this.value === undefined) return;
    if (how === "lapsed" && !this.stopped)
      this.lapse = { value: this.value, token: this.heldToken, reclaimable: true };
    this.value = undefined;
    this.heldToken = 0;
    this.validUntil = 0;
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
    // We no longer know who holds it (nobody, as far as Redis is concerned, if we released it).
    if (this.lastHolder?.instance === this.options.instance) this.lastHolder = undefined;
    const fields = { pbx: this.options.pbx, instance: this.options.instance, reason };
    if (how === "released") {
      this.counters.released++;
      this.options.logger?.info(fields, "PBX lease released: this instance no longer owns the connection");
    } else if (how === "lapsed") {
      this.counters.lapsed++;
      this.options.logger?.warn(
        fields,
        "PBX lease lapsed: not renewed in time; reclaimed once Redis answers",
      );
    } else {
      this.counters.lost++;
      this.options.logger?.warn(fields, "PBX lease lost: this instance no longer owns the connection");
    }
    this.options.onLost?.(reason, how);
  }
}

function parseHolder(value: string): LeaseHolder | undefined {
  const sep = value.indexOf("|");
  if (sep < 0) return undefined;
  return { token: Number(value.slice(0, sep)), instance: value.slice(sep + 1) };
}

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

import type { Redis } from "ioredis";
import type { Logger } from "pino";
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
  onLost?: (reason: string) => void;
  /** The largest fencing token seen elsewhere (e.g. in the event stream): a new token is larger. */
  floor?: () => number;
  logger?: Logger;
  now?: () => number;
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
  private stopped = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private expiryTimer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  private busy: Promise<void> = Promise.resolve();
  readonly counters = { acquired: 0, lost: 0, released: 0, renewals: 0, renewFailures: 0 };

  constructor(private readonly options: PbxLeaseOptions) {
    this.key = `${options.prefix}lease:${options.pbx}`;
    this.counterKey = `${this.key}:token`;
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
    this.seen(parseHolder(current ?? ""));
    if (ok !== 1) return false;
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
      this.lose("the lease was taken over by another instance");
      return false;
    }
    this.counters.renewals++;
    this.seen({ instance: this.options.instance, token: this.heldToken });
    this.extendTo(sentAt + this.ttlMs);
    return true;
  }

  /** Gives the lease up (only if it is still ours). */
  async release(): Promise<void> {
    const value = this.value;
    if (value === undefined) return;
    this.lose("released");
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
          this.lose(`not renewed within ${this.ttlMs} ms (Redis unreachable?)`);
        else this.armExpiry();
      },
      Math.max(1, this.validUntil - this.now()),
    );
    this.expiryTimer.unref?.();
  }

  private lose(reason: string): void {
    if (this.value === undefined) return;
    this.value = undefined;
    this.heldToken = 0;
    this.validUntil = 0;
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
    // We no longer know who holds it (nobody, as far as Redis is concerned, if we released it).
    if (this.lastHolder?.instance === this.options.instance) this.lastHolder = undefined;
    const fields = { pbx: this.options.pbx, instance: this.options.instance, reason };
    if (reason === "released") {
      this.counters.released++;
      this.options.logger?.info(fields, "PBX lease released: this instance no longer owns the connection");
    } else {
      this.counters.lost++;
      this.options.logger?.warn(fields, "PBX lease lost: this instance no longer owns the connection");
    }
    this.options.onLost?.(reason);
  }
}

function parseHolder(value: string): LeaseHolder | undefined {
  const sep = value.indexOf("|");
  if (sep < 0) return undefined;
  return { token: Number(value.slice(0, sep)), instance: value.slice(sep + 1) };
}

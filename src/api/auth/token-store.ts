// Per-user bearer tokens. Only a SHA-256 of each token is stored; the token itself is shown once.
// A token may expire; each has a public id (the start of its hash) to list and revoke it by. Revoking
// is announced on a channel so that every instance closes the streams opened with the token.

import { createHash, randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { authKeys } from "../../redis-keys.js";

export interface TokenRecord {
  user: string;
  createdAt: number;
  label?: string;
  /** ms since epoch; absent: the token does not expire. */
  expiresAt?: number;
}

/** A valid token, as the server keeps it for a request (never the token itself). */
export interface ResolvedToken extends TokenRecord {
  id: string;
  hash: string;
}

/** What listing shows of a token: never the secret, nor its hash. */
export interface TokenInfo {
  id: string;
  user: string;
  label?: string;
  createdAt: number;
  expiresAt?: number;
  lastUsedAt?: number;
}

export type TokenCheck =
  | { ok: true; token: ResolvedToken }
  | { ok: false; reason: "unknown-token" | "expired-token" };

export interface Revocation {
  ids: string[];
  reason: "token revoked" | "user deleted";
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** A token's public id: the first 16 hex digits of its hash (knowing it does not help guess the token). */
export function tokenId(hash: string): string {
  return hash.slice(0, 16);
}

const LAST_USED_EVERY_MS = 60_000;

export class TokenStore {
  private readonly keys: ReturnType<typeof authKeys>;
  readonly now: () => number;
  /** Token id -> when this instance last wrote its last use. */
  private readonly touched = new Map<string, number>();

  constructor(
    readonly redis: Redis,
    readonly prefix: string,
    options: { now?: () => number } = {},
  ) {
    this.keys = authKeys(prefix);
    this.now = options.now ?? Date.now;
  }

  /** Issues a token and returns it (the only time it is seen). `options` as a string is the label. */
  async create(user: string, options?: string | { label?: string; expiresAt?: number }): Promise<string> {
    return (await this.issue(user, typeof options === "string" ? { label: options } : options)).token;
  }

  /** `expiresInMs` counts from the token's creation; `expiresAt` is a time of its own. */
  async issue(
    user: string,
    options: { label?: string; expiresAt?: number; expiresInMs?: number } = {},
  ): Promise<{ token: string; info: TokenInfo }> {
    const token = `cs_${randomBytes(24).toString("base64url")}`;
    const createdAt = this.now();
    const expiresAt =
      options.expiresAt ?? (options.expiresInMs !== undefined ? createdAt + options.expiresInMs : undefined);
    const record: TokenRecord = {
      user,
      createdAt,
      ...(options.label ? { label: options.label } : {}),
      ...(expiresAt !== undefined ? { expiresAt } : {}),
    };
    const hash = hashToken(token);
    await this.redis.hset(this.keys.tokens, hash, JSON.stringify(record));
    return { token, info: infoOf(hash, record) };
  }

  async check(token: string): Promise<TokenCheck> {
    const hash = hashToken(token);
    const text = await this.redis.hget(this.keys.tokens, hash);
    if (!text) return { ok: false, reason: "unknown-token" };
    const record = JSON.parse(text) as TokenRecord;
    if (this.expired(record)) return { ok: false, reason: "expired-token" };
    return { ok: true, token: { ...record, id: tokenId(hash), hash } };
  }

  async resolve(token: string): Promise<TokenRecord | undefined> {
    const r = await this.check(token);
    return r.ok ? r.token : undefined;
  }

  /** Notes that a token was used (at most one write a minute per token from this instance). */
  touch(id: string): void {
    const now = this.now();
    const last = this.touched.get(id);
    if (last !== undefined && now - last < LAST_USED_EVERY_MS) return;
    this.touched.set(id, now);
    this.redis.hset(this.keys.lastUsed, id, String(now)).catch(() => this.touched.delete(id));
  }

  /** Tokens that have not expired, oldest first (expired ones are removed on the way). */
  async list(filter: { user?: string } = {}): Promise<TokenInfo[]> {
    const [all, used] = await Promise.all([
      this.redis.hgetall(this.keys.tokens),
      this.redis.hgetall(this.keys.lastUsed),
    ]);
    const out: TokenInfo[] = [];
    const expired: string[] = [];
    for (const [hash, text] of Object.entries(all)) {
      const record = JSON.parse(text) as TokenRecord;
      if (this.expired(record)) {
        expired.push(hash);
        continue;
      }
      if (filter.user !== undefined && record.user !== filter.user) continue;
      const info = infoOf(hash, record);
      const lastUsed = used[info.id];
      if (lastUsed !== undefined) info.lastUsedAt = Number(lastUsed);
      out.push(info);
    }
    if (expired.length > 0) await this.remove(expired);
    return out.sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  /** Revokes one token by its id; undefined when there is none. */
  async revoke(id: string): Promise<TokenInfo | undefined> {
    const all = await this.redis.hgetall(this.keys.tokens);
    const hash = Object.keys(all).find((h) => tokenId(h) === id);
    if (!hash) return undefined;
    const info = infoOf(hash, JSON.parse(all[hash]!) as TokenRecord);
    await this.remove([hash]);
    await this.announce({ ids: [id], reason: "token revoked" });
    return info;
  }

  /** Revokes every token of a user (e.g. when the user is deleted). */
  async revokeUser(user: string, reason: Revocation["reason"] = "token revoked"): Promise<TokenInfo[]> {
    const all = await this.redis.hgetall(this.keys.tokens);
    const mine = Object.entries(all)
      .map(([hash, text]) => infoOf(hash, JSON.parse(text) as TokenRecord))
      .filter((info) => info.user === user);
    if (mine.length === 0) return [];
    await this.remove(Object.keys(all).filter((h) => mine.some((m) => m.id === tokenId(h))));
    await this.announce({ ids: mine.map((m) => m.id), reason });
    return mine;
  }

  /** Of these hashes, the ones still valid (not revoked, not expired), with their records. */
  async stillValid(hashes: string[]): Promise<Map<string, TokenRecord>> {
    const out = new Map<string, TokenRecord>();
    if (hashes.length === 0) return out;
    const texts = await this.redis.hmget(this.keys.tokens, ...hashes);
    hashes.forEach((hash, i) => {
      const text = texts[i];
      if (!text) return;
      const record = JSON.parse(text) as TokenRecord;
      if (!this.expired(record)) out.set(hash, record);
    });
    return out;
  }

  /**
   * Calls `listener` for every revocation announced by any instance (or `callsight token revoke`), and
   * `resubscribed` each time the subscription comes back after Redis was away (an announcement may have
   * been missed meanwhile). Returns a function that stops listening.
   */
  async onRevoked(listener: (revocation: Revocation) => void, resubscribed: () => void): Promise<() => void> {
    const subscriber = this.redis.duplicate();
    subscriber.on("error", () => undefined);
    subscriber.on("message", (channel: string, text: string) => {
      if (channel !== this.keys.revoked) return;
      try {
        listener(JSON.parse(text) as Revocation);
      } catch {
        // Not one of ours.
      }
    });
    await subscriber.subscribe(this.keys.revoked);
    subscriber.on("ready", resubscribed);
    return () => subscriber.disconnect();
  }

  private expired(record: TokenRecord): boolean {
    return record.expiresAt !== undefined && record.expiresAt <= this.now();
  }

  private async remove(hashes: string[]): Promise<void> {
    await this.redis
      .multi()
      .hdel(this.keys.tokens, ...hashes)
      .hdel(this.keys.lastUsed, ...hashes.map(tokenId))
      .exec();
  }

  private async announce(revocation: Revocation): Promise<void> {
    await this.redis.publish(this.keys.revoked, JSON.stringify(revocation));
  }
}

function infoOf(hash: string, record: TokenRecord): TokenInfo {
  return {
    id: tokenId(hash),
    user: record.user,
    ...(record.label !== undefined ? { label: record.label } : {}),
    createdAt: record.createdAt,
    ...(record.expiresAt !== undefined ? { expiresAt: record.expiresAt } : {}),
  };
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `90s`, `30m`, `8h`, `7d`, `2w` -> ms; undefined when it is not such a duration. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+)\s*([smhdw])$/.exec(text.trim());
  if (!m) return undefined;
  const ms = Number(m[1]) * UNITS[m[2]!]!;
  return ms > 0 && Number.isSafeInteger(ms) ? ms : undefined;
}

export const DURATION_TEXT = "a duration such as 90s, 30m, 8h, 7d or 2w";

// Per-user bearer tokens. Only a SHA-256 of each token is stored; the token itself is shown once.

import { createHash, randomBytes } from "node:crypto";
import type { Redis } from "ioredis";

export interface TokenRecord {
  user: string;
  createdAt: number;
  label?: string;
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export class TokenStore {
  private readonly key: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.key = `${prefix}tokens`;
  }

  async create(user: string, label?: string): Promise<string> {
    const token = `cs_${randomBytes(24).toString("base64url")}`;
    const record: TokenRecord = { user, createdAt: Date.now(), ...(label ? { label } : {}) };
    await this.redis.hset(this.key, hashToken(token), JSON.stringify(record));
    return token;
  }

  async resolve(token: string): Promise<TokenRecord | undefined> {
    const text = await this.redis.hget(this.key, hashToken(token));
    return text ? (JSON.parse(text) as TokenRecord) : undefined;
  }

  /** Revokes every token of a user (e.g. when the user is deleted). */
  async revokeUser(user: string): Promise<number> {
    const all = await this.redis.hgetall(this.key);
    const mine = Object.entries(all)
      .filter(([, v]) => (JSON.parse(v) as TokenRecord).user === user)
      .map(([k]) => k);
    if (mine.length > 0) await this.redis.hdel(this.key, ...mine);
    return mine.length;
  }
}

// The audit log: every operation attempt (allowed or refused) and every settings change.
// Append-only in a Redis Stream shared by all instances; entries are never edited or deleted.

import type { Redis } from "ioredis";
import { auditKeys } from "../redis-keys.js";

export interface AuditEntry {
  /** Stream id, e.g. `1795373398542-0`; also the entry's time in ms. */
  id: string;
  at: number;
  actor: string;
  action: string;
  /** The user or call acted on. */
  target?: string;
  outcome: "allowed" | "refused" | "failed" | "accepted" | "changed";
  reason?: string;
  detail?: Record<string, unknown>;
}

export interface AuditQuery {
  actor?: string;
  action?: string;
  target?: string;
  outcome?: AuditEntry["outcome"];
  since?: number;
  until?: number;
  limit?: number;
  /** Newest first (then `limit` counts from the newest matching entry); default oldest first. */
  newestFirst?: boolean;
}

export class AuditLog {
  private readonly key: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.key = auditKeys(prefix).log;
  }

  async append(entry: Omit<AuditEntry, "id" | "at">): Promise<AuditEntry> {
    const fields: string[] = ["actor", entry.actor, "action", entry.action, "outcome", entry.outcome];
    if (entry.target !== undefined) fields.push("target", entry.target);
    if (entry.reason !== undefined) fields.push("reason", entry.reason);
    if (entry.detail !== undefined) fields.push("detail", JSON.stringify(entry.detail));
    const id = (await this.redis.xadd(this.key, "*", ...fields)) as string;
    return { id, at: Number(id.split("-")[0]), ...entry };
  }

  /** Oldest first (or newest first). Filters apply while reading, so `limit` counts matching entries. */
  async query(q: AuditQuery = {}): Promise<AuditEntry[]> {
    const limit = Math.min(q.limit ?? 1000, 10_000);
    const out: AuditEntry[] = [];
    let start = q.since !== undefined ? String(q.since) : "-";
    let end = q.until !== undefined ? String(q.until) : "+";
    for (;;) {
      const batch = q.newestFirst
        ? await this.redis.xrevrange(this.key, end, start, "COUNT", 500)
        : await this.redis.xrange(this.key, start, end, "COUNT", 500);
      for (const [id, fields] of batch) {
        const entry = decode(id, fields);
        if (matches(entry, q)) out.push(entry);
        if (out.length >= limit) return out;
      }
      if (batch.length < 500) return out;
      if (q.newestFirst) end = `(${batch[batch.length - 1]![0]}`;
      else start = `(${batch[batch.length - 1]![0]}`;
    }
  }
}

function decode(id: string, fields: string[]): AuditEntry {
  const m = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) m.set(fields[i]!, fields[i + 1]!);
  const entry: AuditEntry = {
    id,
    at: Number(id.split("-")[0]),
    actor: m.get("actor") ?? "",
    action: m.get("action") ?? "",
    outcome: (m.get("outcome") ?? "allowed") as AuditEntry["outcome"],
  };
  const target = m.get("target");
  if (target !== undefined) entry.target = target;
  const reason = m.get("reason");
  if (reason !== undefined) entry.reason = reason;
  const detail = m.get("detail");
  if (detail !== undefined) entry.detail = JSON.parse(detail) as Record<string, unknown>;
  return entry;
}

function matches(e: AuditEntry, q: AuditQuery): boolean {
  return (
    (q.actor === undefined || e.actor === q.actor) &&
    (q.action === undefined || e.action === q.action) &&
    (q.target === undefined || e.target === q.target) &&
    (q.outcome === undefined || e.outcome === q.outcome)
  );
}

// Carries out the link between presence and queues (departments[].pauseQueuesOnDnd, the rule in
// domain/queue-presence-link.ts): after every model change that could matter (a person's presence, a queue,
// a PBX link coming back) and every 15 s, it asks the rule which pauses should change and asks the PBX
// (`queuePause`, reason `DND`). Only the instance that owns the PBX's connection acts. The pauses it made
// are remembered in Redis (redis-keys.ts queueLinkKeys) until the member is seen unpaused, so FreeSWITCH's
// pauses (which keep no reason) are undone after a restart too, and a break taken by hand never is.
// Every command is audited as Callsight's (`queuePause`, detail `by: dnd-link`).

import type { Redis } from "ioredis";
import type { Logger } from "pino";
import {
  DND_PAUSE_REASON,
  type LinkPauseChange,
  presenceLinkChanges,
} from "../domain/queue-presence-link.js";
import { queueLinkKeys } from "../redis-keys.js";
import type { AuditLog } from "../stores/audit-log.js";
import type { Callsight } from "./callsight.js";

/** A command the PBX took but whose effect it has not reported is asked again after this long. */
const RETRY_MS = 10_000;
const SWEEP_MS = 15_000;

export interface QueuePresenceLinkOptions {
  callsight: Callsight;
  redis: Redis;
  prefix: string;
  audit: AuditLog;
  logger: Logger;
  /** Whether this instance acts for the PBX (owns its connection). */
  acts(pbx: string): boolean;
  now?: () => number;
}

const keyOf = (c: { pbx: string; queue: string; agent: string }) =>
  `${c.pbx}\u0000${c.queue}\u0000${c.agent}`;

export class QueuePresenceLink {
  /** Pauses the link made and has not seen undone (mirrors the Redis set). */
  private readonly ours = new Set<string>();
  /** Commands asked and not yet seen carried out, by member. */
  private readonly pending = new Map<string, { paused: boolean; since: number }>();
  private scheduled = false;
  private sweep: ReturnType<typeof setInterval> | undefined;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly o: QueuePresenceLinkOptions) {
    this.now = o.now ?? Date.now;
  }

  async start(): Promise<void> {
    try {
      for (const k of await this.o.redis.smembers(queueLinkKeys(this.o.prefix).paused)) this.ours.add(k);
    } catch (err) {
      this.o.logger.warn({ err: (err as Error).message }, "queue link: the pauses it made could not be read");
    }
    this.o.callsight.onModelChange((changes) => {
      if (changes.some((c) => c.kind === "presence" || c.kind === "queue" || c.kind === "link"))
        this.schedule();
    });
    this.o.callsight.onDirectoryChange(() => this.schedule());
    this.sweep = setInterval(() => this.schedule(), SWEEP_MS);
    this.sweep.unref();
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.sweep);
  }

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.reconcile();
    });
  }

  /** Compares what is with what the rule wants and asks for the difference. */
  private reconcile(): void {
    const { callsight } = this.o;
    this.forgetUndone();
    const changes = presenceLinkChanges({
      directory: callsight.directory,
      queueState: (pbx, queue) => callsight.model.queueState(pbx, queue),
      dnd: (user) => callsight.model.dndOf(user.id, user.pbx),
      pausedByLink: (pbx, queue, agent) => this.ours.has(keyOf({ pbx, queue, agent })),
    });
    const wanted = new Set(changes.map(keyOf));
    for (const k of [...this.pending.keys()]) if (!wanted.has(k)) this.pending.delete(k);
    const now = this.now();
    for (const c of changes) {
      const k = keyOf(c);
      const asked = this.pending.get(k);
      if (asked?.paused === c.paused && now - asked.since < RETRY_MS) continue;
      if (!this.o.acts(c.pbx)) continue;
      this.pending.set(k, { paused: c.paused, since: now });
      void this.carryOut(c, k);
    }
  }

  /** A member the link paused that is now seen unpaused (by the link or anyone) is no longer the link's. */
  private forgetUndone(): void {
    for (const k of [...this.ours]) {
      // Asked to pause and not yet reported back: not undone.
      if (this.pending.get(k)?.paused === true) continue;
      const [pbx = "", queue = "", agent = ""] = k.split("\u0000");
      const state = this.o.callsight.model.queueState(pbx, queue);
      if (!state) continue;
      const member = state.agents.find((a) => a.agent === agent);
      if (member?.loggedIn && member.paused) continue;
      this.ours.delete(k);
      this.o.redis.srem(queueLinkKeys(this.o.prefix).paused, k).catch(() => undefined);
    }
  }

  private async carryOut(c: LinkPauseChange, k: string): Promise<void> {
    const driver = this.o.callsight.driver(c.pbx);
    const outcome = driver
      ? await driver
          .execute({
            op: "queuePause",
            req: {
              queue: c.queue,
              agent: c.agent,
              paused: c.paused,
              ...(c.paused ? { reason: DND_PAUSE_REASON } : {}),
            },
          })
          .catch((err: Error) => ({ status: "failed" as const, message: err.message }))
      : { status: "failed" as const, message: `no connection to pbx ${c.pbx}` };
    if (outcome.status === "accepted" && c.paused) {
      this.ours.add(k);
      await this.o.redis.sadd(queueLinkKeys(this.o.prefix).paused, k).catch((err: Error) => {
        this.o.logger.warn({ err: err.message }, "queue link: a pause it made could not be remembered");
      });
    }
    if (outcome.status !== "accepted")
      this.o.logger.warn(
        { pbx: c.pbx, queue: c.queue, member: c.agent, paused: c.paused, outcome },
        "queue link: the PBX did not take the pause change; asking again later",
      );
    await this.o.audit
      .append({
        actor: "callsight",
        action: "queuePause",
        target: c.user,
        outcome: outcome.status,
        ...(outcome.status === "refused" ? { reason: outcome.reason } : {}),
        ...(outcome.status === "failed" ? { reason: outcome.message } : {}),
        detail: {
          queue: c.queue,
          pbx: c.pbx,
          paused: c.paused,
          ...(c.paused ? { reason: DND_PAUSE_REASON } : {}),
          by: "dnd-link",
        },
      })
      .catch((err: Error) => this.o.logger.warn({ err: err.message }, "queue link: audit entry not written"));
  }
}

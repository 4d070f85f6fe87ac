// The requesting side of the command relay (command-relay.ts): the answers owners push to this instance's
// list (redis-keys.ts commandKeys().replies), read with BLPOP on one connection kept for the purpose
// (never a connection per request), while some request waits for an answer or for what became of an
// accepted command (`later`). Each answer goes to its request by id.

import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { CommandOutcome, LaterOutcome } from "../pbx/driver.js";
import { pause } from "./bounded.js";

/** How long a requester waits for an accepted command's later outcome. */
const LATER_MS = 60_000;

/** What the owner pushes to a requester's list: the answer, or (later) what became of the command. */
export interface Reply {
  id: string;
  outcome?: CommandOutcome;
  laterFollows?: boolean;
  later?: LaterOutcome;
}

export interface RelayAnswersOptions {
  redis: Redis;
  /** This instance's list of answers. */
  list: string;
  pbx: string;
  counters: { answered: number };
  logger?: Logger;
}

export class RelayAnswers {
  /** Requests waiting for their answer (by id), or for their later outcome (by `<id>:later`). */
  private readonly waiting = new Map<string, (reply: Reply) => void>();
  private conn: Redis | undefined;
  private reading: Promise<void> | undefined;
  closed = false;

  constructor(private readonly options: RelayAnswersOptions) {}

  /** The answer to request `id` (with its `later` when the owner says one follows). */
  expect(id: string): Promise<CommandOutcome> {
    const answered = new Promise<CommandOutcome>((resolve) => {
      this.waiting.set(id, (reply) => {
        if (reply.outcome) resolve(this.withLater(id, reply.outcome, reply.laterFollows === true));
      });
    });
    this.read();
    return answered;
  }

  /** The request no longer waits for its answer (answered, or given up). */
  forget(id: string): void {
    this.waiting.delete(id);
  }

  close(): void {
    this.closed = true;
    this.conn?.disconnect();
    this.conn = undefined;
  }

  /** Reads answers while someone waits for one. */
  private read(): void {
    if (this.reading || this.closed) return;
    if (!this.conn) {
      this.conn = this.options.redis.duplicate();
      this.conn.on("error", () => undefined);
    }
    const conn = this.conn;
    this.reading = (async () => {
      while (this.waiting.size > 0 && !this.closed) {
        try {
          const got = await conn.blpop(this.options.list, 1);
          if (got) this.deliver(got[1]);
        } catch {
          if (this.closed) break;
          await pause(100);
        }
      }
      this.reading = undefined;
      // Someone may have started waiting since the last round's check: read on for them.
      if (this.waiting.size > 0) this.read();
    })();
  }

  private deliver(json: string): void {
    let reply: Reply;
    try {
      reply = JSON.parse(json) as Reply;
    } catch {
      this.options.logger?.warn("command relay: an answer could not be read");
      return;
    }
    const waiter = this.waiting.get(reply.later ? `${reply.id}:later` : reply.id);
    if (!waiter) return; // given up on already
    if (!reply.later) this.options.counters.answered++;
    waiter(reply);
  }

  /** The answer, with a `later` that resolves when the owner sends what became of the command. */
  private withLater(id: string, outcome: CommandOutcome, follows: boolean): CommandOutcome {
    if (!follows || outcome.status !== "accepted") return outcome;
    const key = `${id}:later`;
    const later = new Promise<LaterOutcome>((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(key);
        resolve({
          result: "timed-out",
          message: `the owner of pbx ${this.options.pbx} sent no outcome in time`,
        });
      }, LATER_MS);
      timer.unref?.();
      this.waiting.set(key, (reply) => {
        clearTimeout(timer);
        this.waiting.delete(key);
        resolve(reply.later ?? { result: "refused" });
      });
    });
    this.read();
    return { ...outcome, later };
  }
}

// Operations asked of an instance that does not own the PBX connection go to the owner over Redis.
//
// Request: XADD `<prefix>commands:<pbx>` (MAXLEN ~ 1000) with the request id, the operation and who asks.
// The owner reads the stream through the consumer group `owner` (each entry goes to one reader) and
// acknowledges an entry before it acts on it: a request is carried out at most once, and an entry that
// was delivered to an owner that then died stays with that owner and is never delivered again.
// Answer: the owner LPUSHes `{ id, outcome }` to the requesting instance's list
// `<prefix>commands:<pbx>:replies:<instance>`; each instance reads its list with BLPOP on one long-lived
// connection of its own while it has requests waiting, and hands each answer to the request by its id.
// An accepted command whose outcome follows (a phone to answer) gets a second answer `{ id, later }` the
// same way, which the requester's `later` promise resolves with.
// How long a requester waits for the answer comes from the commands' contract (COMMAND_ANSWER_MS in
// pbx/driver.ts): a driver answers once the PBX took the command, never after phones were answered.
//
// Who decides whether a request runs: a per-request key `<prefix>commands:<pbx>:state:<id>` set with
// SET NX by whoever comes first — the owner (`taken`, then it runs the request) or the requester giving
// up (`abandoned`, then it never runs and the requester says so). On top of that the owner drops a
// request older than `staleMs` (measured on Redis's clock: the entry id against TIME), so a request
// whose requester died, or that waited through a failover, never fires later: a barge minutes late is
// worse than a barge refused.
//
// Each instance that ever owned the PBX leaves a consumer in the group, with any entries it read but never
// acknowledged (it died in between). A new owner deletes the consumers idle for longer than `staleMs`:
// their entries would be dropped as stale anyway, and the group would otherwise grow with every restart.

import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import {
  COMMAND_ANSWER_MS,
  type CommandOutcome,
  type LaterOutcome,
  PBX_COMMANDS,
  type PbxCommand,
} from "../pbx/driver.js";
import { commandKeys } from "../redis-keys.js";
import { abortable, pause, settleWithin } from "./bounded.js";
import { entriesOf, idTime } from "./event-stream.js";
import { RelayAnswers, type Reply } from "./relay-answers.js";

export interface CommandRelayOptions {
  redis: Redis;
  prefix: string;
  pbx: string;
  instance: string;
  /** How long a requester waits for the owner to take its request (default 5 s). */
  takeTimeoutMs?: number;
  /** How long a requester waits for the answer once the owner took it (default: the commands' contract, COMMAND_ANSWER_MS, and 3 s for Redis). */
  answerTimeoutMs?: number;
  /** The owner drops requests older than this (default 5 s). */
  staleMs?: number;
  logger?: Logger;
  /** Who owns the PBX now, for the messages (optional). */
  ownerName?: () => string | undefined;
}

export interface RelayCounters {
  sent: number;
  answered: number;
  abandoned: number;
  executed: number;
  stale: number;
  skipped: number;
  /** Consumers of earlier owners this instance deleted from the group. */
  consumersRemoved: number;
}

const GROUP = "owner";
const KEEP_MS = 60_000;
interface Serving {
  /** The connection the blocking reads go on (its own, so that nothing else queues behind them). */
  conn: Redis;
  /** Cancels whatever the loop waits for (a read queued on a connection waiting for Redis, say). */
  abort: AbortController;
  loop: Promise<void>;
}

export class CommandRelay {
  readonly stream: string;
  private readonly keys: ReturnType<typeof commandKeys>;
  private readonly takeTimeoutMs: number;
  private readonly answerTimeoutMs: number;
  private readonly staleMs: number;
  private serving: Serving | undefined;
  /** This instance's answers from owners, read on one long-lived connection. */
  private readonly answers: RelayAnswers;
  private groupReady: Promise<void> | undefined;
  readonly counters: RelayCounters = {
    sent: 0,
    answered: 0,
    abandoned: 0,
    executed: 0,
    stale: 0,
    skipped: 0,
    consumersRemoved: 0,
  };

  constructor(private readonly options: CommandRelayOptions) {
    this.keys = commandKeys(options.prefix, options.pbx);
    this.stream = this.keys.stream;
    this.takeTimeoutMs = options.takeTimeoutMs ?? 5000;
    this.answerTimeoutMs = options.answerTimeoutMs ?? COMMAND_ANSWER_MS + 3000;
    this.staleMs = options.staleMs ?? 5000;
    this.answers = new RelayAnswers({
      redis: options.redis,
      list: this.keys.replies(options.instance),
      pbx: options.pbx,
      counters: this.counters,
      ...(options.logger ? { logger: options.logger } : {}),
    });
  }

  /** Asks the owner to carry out a command and waits for its answer. */
  async send(cmd: PbxCommand): Promise<CommandOutcome> {
    const { redis, pbx } = this.options;
    if (this.answers.closed)
      return { status: "failed", message: `the command relay of pbx ${pbx} is closed` };
    const id = randomUUID();
    const stateKey = this.stateKey(id);
    const answered = this.answers.expect(id);
    try {
      await this.ensureGroup();
      await redis.call(
        "XADD",
        this.stream,
        "MAXLEN",
        "~",
        "1000",
        "*",
        "id",
        id,
        "command",
        JSON.stringify(cmd),
        "from",
        this.options.instance,
      );
      this.counters.sent++;
      const first = await within(answered, this.takeTimeoutMs);
      if (first) return first;
      // Nobody answered in time: give the request up, unless the owner took it in the meantime.
      const abandoned = await redis.set(stateKey, "abandoned", "PX", KEEP_MS, "NX");
      if (abandoned === "OK") {
        this.counters.abandoned++;
        const owner = this.options.ownerName?.();
        return {
          status: "failed",
          message:
            `no Callsight instance took the ${cmd.op} request for pbx ${pbx} within ${this.takeTimeoutMs} ms ` +
            `(${owner ? `owner: ${owner}` : "no owner right now"}); it was not carried out`,
        };
      }
      const late = await within(answered, this.answerTimeoutMs);
      if (late) return late;
      return {
        status: "failed",
        message: `the owner of pbx ${pbx} took the ${cmd.op} request but gave no answer within ${this.answerTimeoutMs} ms; it may have been carried out`,
      };
    } catch (err) {
      return {
        status: "failed",
        message: `could not relay ${cmd.op} to the owner of pbx ${pbx}: ${err instanceof Error ? err.message : String(err)}`,
      };
    } finally {
      this.answers.forget(id);
    }
  }

  /** Requester side: stops reading answers and closes the answers' connection. */
  close(): void {
    this.answers.close();
  }

  /** Owner side: starts taking requests and running them with `execute`. */
  serve(execute: (cmd: PbxCommand) => Promise<CommandOutcome>): void {
    if (this.serving) return;
    const conn = this.options.redis.duplicate();
    conn.on("error", () => undefined);
    const serving: Serving = { conn, abort: new AbortController(), loop: Promise.resolve() };
    this.serving = serving;
    serving.loop = this.serveLoop(serving, execute);
  }

  /**
   * Owner side: stops taking requests. The blocked read is cancelled at once (its connection may be
   * waiting for a Redis that is away, where `disconnect()` alone never ends it); a request already taken
   * gets up to `waitMs` to finish.
   */
  async unserve(waitMs = 2000): Promise<void> {
    const serving = this.serving;
    if (!serving) return;
    this.serving = undefined;
    serving.abort.abort();
    serving.conn.disconnect();
    await settleWithin(serving.loop, waitMs);
  }

  get isServing(): boolean {
    return this.serving !== undefined;
  }

  private async serveLoop(
    serving: Serving,
    execute: (cmd: PbxCommand) => Promise<CommandOutcome>,
  ): Promise<void> {
    const { redis, instance, logger, pbx } = this.options;
    const { signal } = serving.abort;
    const bounded = <T>(p: Promise<T>) => abortable(p, signal);
    let tidied = false;
    while (this.serving === serving) {
      try {
        await bounded(this.ensureGroup());
        if (!tidied) {
          await bounded(this.forgetEarlierOwners());
          tidied = true;
        }
        const reply = await bounded(
          serving.conn.call(
            "XREADGROUP",
            "GROUP",
            GROUP,
            instance,
            "COUNT",
            "10",
            "BLOCK",
            "1000",
            "STREAMS",
            this.stream,
            ">",
          ),
        );
        const entries = entriesOf(reply);
        if (entries.length === 0) continue;
        // Acknowledge first: at most once, even if this process dies in the middle of the command.
        await bounded(redis.call("XACK", this.stream, GROUP, ...entries.map(([id]) => id)));
        const [seconds, micros] = (await bounded(redis.call("TIME"))) as [string, string];
        const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
        // One at a time, in order: an operator's second request must not overtake the first.
        for (const [entryId, fields] of entries) {
          if (this.serving !== serving) {
            // Lost the lease while working through the batch: leave the rest unrun (the requesters time out).
            this.counters.skipped++;
            continue;
          }
          await this.handle(entryId, fields, now, execute);
        }
      } catch (err) {
        if (this.serving !== serving) return;
        // Redis lost the group (restarted without persistence): create it again on the next round.
        if (err instanceof Error && err.message.includes("NOGROUP")) this.groupReady = undefined;
        logger?.warn({ pbx, err }, "command relay: read failed; retrying");
        await pause(250, signal);
      }
    }
  }

  private async handle(
    entryId: string,
    fields: string[],
    now: number,
    execute: (cmd: PbxCommand) => Promise<CommandOutcome>,
  ): Promise<void> {
    const { redis, logger, pbx } = this.options;
    const f = new Map<string, string>();
    for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i]!, fields[i + 1]!);
    const id = f.get("id");
    if (!id) return;
    const from = f.get("from") ?? "";
    let cmd: PbxCommand;
    try {
      cmd = JSON.parse(f.get("command") ?? "") as PbxCommand;
      if (!PBX_COMMANDS.has(cmd.op)) throw new Error(`unknown operation ${String(cmd.op)}`);
    } catch (err) {
      await this.reply(from, id, {
        status: "failed",
        message: `malformed relayed command: ${(err as Error).message}`,
      });
      return;
    }
    const age = now - idTime(entryId);
    if (age > this.staleMs) {
      this.counters.stale++;
      logger?.warn(
        { pbx, request: id, op: cmd.op, ageMs: age, from: f.get("from") },
        "relayed operation too old; not carried out",
      );
      if ((await redis.set(this.stateKey(id), "stale", "PX", KEEP_MS, "NX")) === "OK") {
        await this.reply(from, id, {
          status: "failed",
          message: `the ${cmd.op} request waited ${age} ms for the owner of pbx ${pbx} (limit ${this.staleMs} ms); it was not carried out`,
        });
      }
      return;
    }
    if ((await redis.set(this.stateKey(id), "taken", "PX", KEEP_MS, "NX")) !== "OK") {
      // The requester gave up first.
      this.counters.skipped++;
      return;
    }
    let outcome: CommandOutcome;
    try {
      outcome = await execute(cmd);
    } catch (err) {
      outcome = { status: "failed", message: err instanceof Error ? err.message : String(err) };
    }
    if (outcome.status === "accepted" && outcome.later) {
      const { later, ...taken } = outcome;
      outcome = taken;
      void later.then(
        (l) => this.reply(from, id, undefined, l),
        (err: unknown) => this.reply(from, id, undefined, { result: "refused", message: String(err) }),
      );
      this.counters.executed++;
      logger?.info({ pbx, request: id, op: cmd.op, from, outcome }, "relayed operation carried out");
      await this.reply(from, id, outcome, undefined, true);
      return;
    }
    this.counters.executed++;
    logger?.info(
      { pbx, request: id, op: cmd.op, from: f.get("from"), outcome },
      "relayed operation carried out",
    );
    await this.reply(from, id, outcome);
  }

  private async reply(
    from: string,
    id: string,
    outcome: CommandOutcome | undefined,
    later?: LaterOutcome,
    laterFollows?: boolean,
  ): Promise<void> {
    const key = this.keys.replies(from);
    const reply: Reply = {
      id,
      ...(outcome ? { outcome } : {}),
      ...(later ? { later } : {}),
      ...(laterFollows ? { laterFollows } : {}),
    };
    await this.options.redis
      .multi()
      .lpush(key, JSON.stringify(reply))
      .pexpire(key, KEEP_MS)
      .exec()
      .catch((err) => this.options.logger?.warn({ err, request: id }, "command relay: could not answer"));
  }

  private ensureGroup(): Promise<void> {
    this.groupReady ??= (async () => {
      try {
        await this.options.redis.call("XGROUP", "CREATE", this.stream, GROUP, "0", "MKSTREAM");
      } catch (err) {
        if (!(err instanceof Error && err.message.includes("BUSYGROUP"))) {
          this.groupReady = undefined;
          throw err;
        }
      }
    })();
    return this.groupReady;
  }

  /** Deletes the group's consumers of earlier owners (see the top of this file). */
  private async forgetEarlierOwners(): Promise<void> {
    const { redis, instance, logger, pbx } = this.options;
    const consumers = (await redis.call("XINFO", "CONSUMERS", this.stream, GROUP)) as unknown[];
    for (const consumer of consumers) {
      const fields = consumer as unknown[];
      const info = new Map<string, unknown>();
      for (let i = 0; i + 1 < fields.length; i += 2) info.set(String(fields[i]), fields[i + 1]);
      const name = String(info.get("name"));
      const idle = Number(info.get("idle"));
      if (name === instance || !(idle > this.staleMs)) continue;
      const pending = Number(await redis.call("XGROUP", "DELCONSUMER", this.stream, GROUP, name));
      this.counters.consumersRemoved++;
      logger?.info(
        { pbx, consumer: name, idleMs: idle, pending },
        "command relay: removed an earlier owner's consumer",
      );
    }
  }

  private stateKey(id: string): string {
    return this.keys.state(id);
  }
}

/** The promise's value, or undefined when it has not settled within `ms`. */
function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

// What one ESL connection still waits to hear back from FreeSWITCH: the replies to the commands it sent
// (FreeSWITCH answers commands strictly in order, so replies are matched first in, first out) and the
// results of its `bgapi` jobs (each sent with a Job-UUID of Callsight's own, which the BACKGROUND_JOB
// event carrying the result names). When the connection goes away every one of them fails at once.

import { randomUUID } from "node:crypto";
import type { EslFrame } from "./frame-parser.js";

export const ESL_CONNECTION_LOST = "ESL connection lost";

/** A command FreeSWITCH answered with `-ERR …`. */
export class EslCommandError extends Error {
  constructor(
    readonly command: string,
    readonly reply: string,
  ) {
    super(reply.startsWith("-ERR") ? reply.slice(4).trim() || reply : reply);
    this.name = "EslCommandError";
  }
}

export interface BgapiHandle {
  jobUuid: string;
  /** FreeSWITCH took the job (`+OK Job-UUID: …`). */
  accepted: Promise<string>;
  /** The job's result (the BACKGROUND_JOB body, e.g. `+OK <uuid>` or `-ERR NO_ANSWER`). */
  result: Promise<string>;
}

/** A command sent, awaiting its `command/reply` or `api/response`. */
export interface PendingReply {
  command: string;
  /** Nobody waits any more (it timed out), but FreeSWITCH will still answer it, in order. */
  expired: boolean;
  /** Runs when the reply arrives, before the reply is handed on. */
  onReply?: () => void;
  timer?: NodeJS.Timeout;
  resolve(frame: EslFrame, body: string): void;
  reject(error: Error): void;
}

/** Commands awaiting their reply, in the order they were sent. */
export class ReplyQueue {
  private readonly waiting: PendingReply[] = [];

  /** Replies somebody still waits for. */
  get count(): number {
    return this.waiting.filter((r) => !r.expired).length;
  }

  /**
   * Queues a command about to be written; rejects after `limitMs`, but the command stays queued (FreeSWITCH
   * will still answer it, in order) with nobody waiting.
   */
  expect(command: string, limitMs: number, onReply?: () => void): Promise<{ frame: EslFrame; body: string }> {
    return new Promise((resolve, reject) => {
      const pending: PendingReply = {
        command,
        expired: false,
        resolve: (frame, body) => resolve({ frame, body }),
        reject,
      };
      if (onReply) pending.onReply = onReply;
      pending.timer = setTimeout(() => {
        pending.expired = true;
        reject(new Error(`ESL ${firstWord(command)} gave no reply within ${limitMs} ms`));
      }, limitMs);
      this.waiting.push(pending);
    });
  }

  /** The oldest command, whose reply just arrived (its timer stopped); undefined when nobody asked. */
  next(): PendingReply | undefined {
    const pending = this.waiting.shift();
    if (pending?.timer) clearTimeout(pending.timer);
    return pending;
  }

  failAll(error: Error): void {
    for (const p of this.waiting.splice(0)) {
      if (p.timer) clearTimeout(p.timer);
      if (!p.expired) p.reject(error);
    }
  }
}

interface PendingJob {
  command: string;
  timer: NodeJS.Timeout;
  resolve(body: string): void;
  reject(error: Error): void;
}

/** bgapi jobs in flight, by their Job-UUID. */
export class BackgroundJobs {
  private readonly jobs = new Map<string, PendingJob>();

  /** `defaultTimeoutMs`: how long a job may take to report its result when the caller says nothing. */
  constructor(private readonly defaultTimeoutMs: number) {}

  get size(): number {
    return this.jobs.size;
  }

  /** A job that could not be sent: the connection is gone. */
  static lost(): BgapiHandle {
    const lost = () => {
      const p = Promise.reject(new Error(ESL_CONNECTION_LOST));
      p.catch(() => undefined);
      return p;
    };
    return { jobUuid: randomUUID(), accepted: lost(), result: lost() };
  }

  /**
   * Starts a job: `send` writes `bgapi <command>` with the job's Job-UUID header and resolves with
   * FreeSWITCH's `command/reply`. Accepted on `+OK`; otherwise both the acceptance and the result fail.
   */
  start(
    command: string,
    send: (jobUuid: string) => Promise<{ frame: EslFrame }>,
    jobTimeoutMs?: number,
  ): BgapiHandle {
    const jobUuid = randomUUID();
    let resolveJob: (body: string) => void = () => undefined;
    let rejectJob: (err: Error) => void = () => undefined;
    const result = new Promise<string>((resolve, reject) => {
      resolveJob = resolve;
      rejectJob = reject;
    });
    // Nobody may be listening for the result: it must not become an unhandled rejection.
    result.catch(() => undefined);
    const limit = jobTimeoutMs ?? this.defaultTimeoutMs;
    const timer = setTimeout(() => {
      if (!this.jobs.delete(jobUuid)) return;
      rejectJob(new Error(`ESL job ${firstWord(command)} gave no result within ${limit} ms`));
    }, limit);
    timer.unref();
    this.jobs.set(jobUuid, { command, timer, resolve: resolveJob, reject: rejectJob });
    const accepted = send(jobUuid).then(
      ({ frame }) => {
        const reply = frame.headers["Reply-Text"] ?? "";
        if (!reply.startsWith("+OK")) {
          this.settle(jobUuid)?.reject(new EslCommandError(command, reply));
          throw new EslCommandError(command, reply);
        }
        return reply;
      },
      (err: Error) => {
        this.settle(jobUuid)?.reject(err);
        throw err;
      },
    );
    accepted.catch(() => undefined);
    return { jobUuid, accepted, result };
  }

  /** A BACKGROUND_JOB event: the result of the job with that Job-UUID, if it is one of ours and still awaited. */
  finished(jobUuid: string, body: string): void {
    this.settle(jobUuid)?.resolve(body);
  }

  failAll(error: Error): void {
    for (const [id, job] of [...this.jobs]) {
      clearTimeout(job.timer);
      this.jobs.delete(id);
      job.reject(error);
    }
  }

  private settle(jobUuid: string): PendingJob | undefined {
    const job = this.jobs.get(jobUuid);
    if (!job) return undefined;
    clearTimeout(job.timer);
    this.jobs.delete(jobUuid);
    return job;
  }
}

function firstWord(command: string): string {
  const space = command.indexOf(" ");
  return space < 0 ? command : command.slice(0, space);
}

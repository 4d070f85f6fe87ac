// How the FreeSWITCH ESL driver's commands reach FreeSWITCH: `api` and `bgapi` on the live session's
// connection, each answered as a CommandOutcome. An api command is accepted with FreeSWITCH's `+OK` text
// and failed on `-ERR`/`-USAGE`; a bgapi job is accepted once FreeSWITCH takes it, and its BACKGROUND_JOB
// result is what became of it `later`.

import type { Logger } from "pino";
import type { CommandOutcome, LaterOutcome } from "../driver.js";
import type { EslConnection } from "./connection.js";

export interface EslCommandLinkOptions {
  /** The session's connection while it is up and resynced; undefined otherwise. */
  connection(): EslConnection | undefined;
  /** An api command or a bgapi acknowledgement. */
  commandTimeoutMs: number;
  /** A background job's result (an originate rings the phone first). */
  jobTimeoutMs: number;
  /** The driver's counters: background jobs FreeSWITCH ran and reported failed. */
  counters: { failedJobs: number };
  log: Logger;
  pbx: string;
}

export class EslCommandLink {
  constructor(private readonly o: EslCommandLinkOptions) {}

  /** `api <command>`: accepted with FreeSWITCH's answer, failed on `-ERR`/`-USAGE` or a lost link. */
  async api(command: string): Promise<CommandOutcome> {
    const conn = this.o.connection();
    if (!conn || conn.closed) return { status: "failed", message: "ESL not connected" };
    try {
      const body = (await conn.api(command, { timeoutMs: this.o.commandTimeoutMs })).trim();
      if (body.startsWith("-ERR") || body.startsWith("-USAGE"))
        return { status: "failed", message: body.replace(/^-(ERR|USAGE)\s*/, "") || body };
      return body
        ? { status: "accepted", detail: body.replace(/^\+OK\s*/, "") || body }
        : { status: "accepted" };
    } catch (err) {
      return { status: "failed", message: (err as Error).message };
    }
  }

  /** `sendevent <name>` with headers: accepted once FreeSWITCH fired it, failed on `-ERR` or a lost link. */
  async sendEvent(name: string, headers: readonly [string, string][]): Promise<CommandOutcome> {
    const conn = this.o.connection();
    if (!conn || conn.closed) return { status: "failed", message: "ESL not connected" };
    try {
      const reply = await conn.sendEvent(name, Object.fromEntries(headers), this.o.commandTimeoutMs);
      return { status: "accepted", detail: reply.replace(/^\+OK\s*/, "") || reply };
    } catch (err) {
      return { status: "failed", message: (err as Error).message };
    }
  }

  /**
   * bgapi: accepted once FreeSWITCH takes the job; the job's result (the phone answered, or why not) is what
   * became of it `later`: `+OK` joined, `-ERR …` refused, no result within `jobTimeoutMs` timed out.
   */
  async background(command: string): Promise<CommandOutcome> {
    const conn = this.o.connection();
    if (!conn || conn.closed) return { status: "failed", message: "ESL not connected" };
    const job = conn.bgapi(command, {
      timeoutMs: this.o.commandTimeoutMs,
      jobTimeoutMs: this.o.jobTimeoutMs,
    });
    try {
      await job.accepted;
    } catch (err) {
      return { status: "failed", message: (err as Error).message };
    }
    const { log, pbx } = this.o;
    const later = job.result.then(
      (body): LaterOutcome => {
        const result = body.trim();
        if (result.startsWith("+OK")) return { result: "joined" };
        this.o.counters.failedJobs++;
        log.warn({ pbx, job: job.jobUuid, command, result }, "ESL background job failed");
        return { result: "refused", message: result.replace(/^-(ERR|USAGE)\s*/, "") || result };
      },
      (err: Error): LaterOutcome => {
        log.debug({ pbx, job: job.jobUuid, err: err.message }, "ESL job result lost");
        return { result: "timed-out", message: err.message };
      },
    );
    return { status: "accepted", detail: `Job-UUID: ${job.jobUuid}`, later };
  }
}

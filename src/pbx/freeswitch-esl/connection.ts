// One inbound ESL client connection over a raw TCP socket (Callsight's own; modesl is only the
// benchmark baseline, see bench/esl-ingest.ts). It waits for `auth/request`, authenticates (a refused
// password is an EslAuthError, never retried in a tight loop by the driver), subscribes with
// `event json …`, sends `api` commands and `bgapi` commands, and routes what comes back: events to the
// handlers, replies and background job results to whoever waits for them (pending-commands.ts). When the
// socket goes away every pending command and job fails at once; nothing is ever queued for a later
// connection (an eavesdrop asked for before a drop must never start minutes later). Keep-alive: the
// HEARTBEAT events FreeSWITCH sends count as traffic; after `pingIntervalMs` of silence an `api status`
// must be answered within `pongTimeoutMs` or the socket is closed (keep-alive.ts).

import net from "node:net";
import type { Logger } from "pino";
import { endSocket } from "../socket-end.js";
import {
  decodeEventBody,
  type EslEvent,
  type EslFrame,
  EslFrameParser,
  type EslParserLimits,
  hdr,
  peekEventName,
} from "./frame-parser.js";
import { EslKeepAlive } from "./keep-alive.js";
import {
  BackgroundJobs,
  type BgapiHandle,
  ESL_CONNECTION_LOST,
  EslCommandError,
  ReplyQueue,
} from "./pending-commands.js";

export { type BgapiHandle, ESL_CONNECTION_LOST, EslCommandError } from "./pending-commands.js";

export interface EslConnectionOptions extends EslParserLimits {
  host: string;
  port: number;
  password: string;
  /** `event json` subscription: event names, then `CUSTOM` and its subclasses. Empty: no subscription. */
  events?: readonly string[];
  /** Default time an `api` command (or a `bgapi` acknowledgement) may take. Default 10 s. */
  commandTimeoutMs?: number;
  /** Default time a background job may take to report its result. Default 90 s. */
  jobTimeoutMs?: number;
  /** TCP connect + auth + subscription. Default 10 s. */
  connectTimeoutMs?: number;
  /** Silence after which an `api status` is sent; 0 disables. Default 20 s. */
  pingIntervalMs?: number;
  /** The `api status` must be answered within this. Default 10 s. */
  pongTimeoutMs?: number;
  /** Events to skip without JSON parsing (counted through `handlers.skipped`), by name or by a look at the body. */
  interest?: EslInterest;
  logger?: Logger;
}

export interface EslInterest {
  ignore: ReadonlySet<string>;
  /** Called with the peeked Event-Name and the raw JSON body: true skips the event unparsed. */
  skip?(name: string, body: Buffer): boolean;
}

export interface EslConnectionHandlers {
  /** Live events in arrival order, one call per socket read (BACKGROUND_JOB results are not included). */
  events(events: EslEvent[]): void;
  malformed?(reason: string, sample: string): void;
  /** An event skipped unparsed because of `options.interest`. */
  skipped?(eventName: string): void;
  /** Called once when the connection ends, whatever the reason. */
  closed?(reason: Error): void;
}

/** FreeSWITCH refused the password (`-ERR invalid`) or the client address (`text/rude-rejection`). */
export class EslAuthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EslAuthError";
  }
}

export class EslConnection {
  private socket?: net.Socket;
  private readonly parser: EslFrameParser;
  /** Commands awaiting their `command/reply` or `api/response`, in the order they were sent. */
  private readonly replies = new ReplyQueue();
  private readonly jobs: BackgroundJobs;
  private batch: EslEvent[] = [];
  private authWaiter?: () => void;
  private rejection?: string;
  private isClosed = false;
  private readonly keepAlive: EslKeepAlive;

  private constructor(
    private readonly options: EslConnectionOptions,
    private readonly handlers: EslConnectionHandlers,
  ) {
    this.parser = new EslFrameParser(
      {
        frame: (frame) => this.onFrame(frame),
        malformed: (reason, sample) => this.handlers.malformed?.(reason, sample),
      },
      options,
    );
    this.jobs = new BackgroundJobs(options.jobTimeoutMs ?? 90_000);
    this.keepAlive = new EslKeepAlive({
      pingIntervalMs: options.pingIntervalMs ?? 20_000,
      pongTimeoutMs: options.pongTimeoutMs ?? 10_000,
      ping: (timeoutMs) => this.api("status", { timeoutMs }),
      closed: () => this.isClosed,
      failed: (err) => {
        this.options.logger?.warn({ err: err.message }, "ESL keep-alive failed; closing the socket");
        this.destroy(new Error(`ESL keep-alive failed: ${err.message}`));
      },
    });
  }

  /** Connects, authenticates and subscribes. Rejects with EslAuthError when the password is refused. */
  static async connect(
    options: EslConnectionOptions,
    handlers: EslConnectionHandlers,
  ): Promise<EslConnection> {
    const c = new EslConnection(options, handlers);
    await c.open();
    return c;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  get pendingCount(): number {
    return this.replies.count + this.jobs.size;
  }

  /**
   * Runs `api <command>` and resolves with the response body (which may itself say `-ERR …`).
   * `onReply` runs synchronously when the reply arrives, after every event that came before it was
   * handed to `handlers.events` and before any event that follows it: a resync uses it to tell the
   * events its snapshot already contains from the ones that happened after.
   */
  async api(command: string, options: { timeoutMs?: number; onReply?: () => void } = {}): Promise<string> {
    const { body } = await this.send(`api ${command}`, {}, options.timeoutMs, options.onReply);
    return body;
  }

  /** Runs `bgapi <command>` with a Job-UUID of our own; the result comes with BACKGROUND_JOB. */
  bgapi(command: string, options: { timeoutMs?: number; jobTimeoutMs?: number } = {}): BgapiHandle {
    if (this.isClosed || !this.socket) return BackgroundJobs.lost();
    return this.jobs.start(
      command,
      (jobUuid) => this.send(`bgapi ${command}`, { "Job-UUID": jobUuid }, options.timeoutMs),
      options.jobTimeoutMs,
    );
  }

  /** A command that answers with `command/reply` (`event`, `filter`, `nixevent`…). Rejects on `-ERR`. */
  async command(text: string, timeoutMs?: number): Promise<string> {
    const { frame } = await this.send(text, {}, timeoutMs);
    const reply = frame.headers["Reply-Text"] ?? "";
    if (reply.startsWith("-ERR")) throw new EslCommandError(text, reply);
    return reply;
  }

  /**
   * `sendevent <name>` with these headers: FreeSWITCH fires the event to every subscriber (this socket
   * too, when it listens to it). Resolves with the Reply-Text (`+OK <Event-UUID>`); rejects on `-ERR`.
   */
  async sendEvent(name: string, headers: Record<string, string>, timeoutMs?: number): Promise<string> {
    const { frame } = await this.send(`sendevent ${name}`, headers, timeoutMs);
    const reply = frame.headers["Reply-Text"] ?? "";
    if (reply.startsWith("-ERR")) throw new EslCommandError(`sendevent ${name}`, reply);
    return reply;
  }

  /** Says goodbye (`exit`, best effort) and closes the socket. */
  async close(): Promise<void> {
    if (this.isClosed || !this.socket) return;
    const socket = this.socket;
    await this.send("exit", {}, 250).catch(() => undefined);
    if (!this.isClosed) await endSocket(socket);
  }

  /** Drops the socket at once; pending commands and jobs fail with "ESL connection lost". */
  destroy(reason?: Error): void {
    if (this.isClosed) return;
    this.finish(reason ?? new Error("ESL connection closed"));
    this.socket?.destroy();
  }

  private open(): Promise<void> {
    const { host, port } = this.options;
    const limit = this.options.connectTimeoutMs ?? 10_000;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let stage = "no auth/request";
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.destroy(err);
        reject(err);
      };
      const timer = setTimeout(
        () => fail(new Error(`ESL ${host}:${port}: ${stage} within ${limit} ms`)),
        limit,
      );
      const socket = net.connect({ host, port });
      this.socket = socket;
      socket.setNoDelay(true);
      socket.setKeepAlive(true, 30_000);
      socket.on("data", (chunk: Buffer) => this.onData(chunk));
      socket.on("error", (err) => {
        if (!settled) fail(new Error(`ESL ${host}:${port}: ${err.message}`));
        else this.finish(err);
      });
      socket.on("close", () => {
        if (!settled) {
          fail(
            this.rejection
              ? new EslAuthError(`ESL connection refused by FreeSWITCH: ${this.rejection}`)
              : new Error(`ESL ${host}:${port}: connection closed before the subscription (${stage})`),
          );
        }
        this.finish(new Error(ESL_CONNECTION_LOST));
      });
      this.authWaiter = () => {
        this.authWaiter = undefined;
        stage = "no answer to auth";
        this.handshake().then(
          () => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            this.keepAlive.start();
            resolve();
          },
          (err: Error) => fail(err),
        );
      };
    });
  }

  private async handshake(): Promise<void> {
    let reply: string;
    try {
      reply = (await this.send(`auth ${this.options.password}`, {})).frame.headers["Reply-Text"] ?? "";
    } catch (err) {
      throw new Error(`ESL auth: ${(err as Error).message}`);
    }
    if (!reply.startsWith("+OK")) throw new EslAuthError(`ESL auth failed: ${reply || "no Reply-Text"}`);
    const events = this.options.events ?? [];
    if (events.length > 0) {
      const subscribed = await this.command(`event json ${events.join(" ")}`);
      if (!subscribed.startsWith("+OK")) throw new Error(`ESL subscription failed: ${subscribed}`);
    }
  }

  private send(
    command: string,
    headers: Record<string, string>,
    timeoutMs?: number,
    onReply?: () => void,
  ): Promise<{ frame: EslFrame; body: string }> {
    if (this.isClosed || !this.socket) return Promise.reject(new Error(ESL_CONNECTION_LOST));
    let text = command;
    for (const [k, v] of Object.entries(headers)) text += `\n${k}: ${v}`;
    // A line break would end the command early and smuggle in another one.
    if (/[\r\n]/.test(command) || Object.values(headers).some((v) => /[\r\n]/.test(v))) {
      return Promise.reject(
        new Error(`ESL command contains a line break: ${JSON.stringify(command.slice(0, 80))}`),
      );
    }
    const limit = timeoutMs ?? this.options.commandTimeoutMs ?? 10_000;
    const reply = this.replies.expect(command, limit, onReply);
    this.socket?.write(`${text}\n\n`);
    return reply;
  }

  private onData(chunk: Buffer): void {
    this.keepAlive.heard();
    try {
      this.parser.push(chunk);
    } catch (err) {
      this.options.logger?.error({ err }, "ESL parser failed");
    }
    this.flushBatch();
  }

  private flushBatch(): void {
    if (this.batch.length === 0) return;
    const events = this.batch;
    this.batch = [];
    try {
      this.handlers.events(events);
    } catch (err) {
      this.options.logger?.error({ err }, "ESL event handler failed");
    }
  }

  private onFrame(frame: EslFrame): void {
    const type = frame.headers["Content-Type"];
    switch (type) {
      case "text/event-json":
      case "text/event-plain":
        this.onEvent(type, frame);
        return;
      case "command/reply":
      case "api/response":
        this.onReply(frame);
        return;
      case "auth/request":
        this.authWaiter?.();
        return;
      case "text/disconnect-notice":
        this.options.logger?.debug({ notice: frame.body?.toString("utf8") }, "ESL disconnect notice");
        return;
      case "text/rude-rejection":
        this.rejection = (frame.body?.toString("utf8") ?? "").trim() || "rude rejection";
        return;
      case "log/data":
        return;
      default:
        this.handlers.malformed?.(
          `unknown Content-Type ${JSON.stringify(type ?? "")}`,
          JSON.stringify(frame.headers),
        );
    }
  }

  private onReply(frame: EslFrame): void {
    const pending = this.replies.next();
    const body = frame.body ? frame.body.toString("utf8") : "";
    if (!pending) {
      this.handlers.malformed?.("a reply nobody asked for", JSON.stringify(frame.headers));
      return;
    }
    if (pending.expired) return;
    if (pending.onReply) {
      this.flushBatch();
      try {
        pending.onReply();
      } catch (err) {
        this.options.logger?.error({ err }, "ESL reply hook failed");
      }
    }
    pending.resolve(frame, body);
  }

  private onEvent(type: string, frame: EslFrame): void {
    const body = frame.body;
    if (!body) {
      this.handlers.malformed?.(`${type} frame without a body`, JSON.stringify(frame.headers));
      return;
    }
    const interest = this.options.interest;
    if (interest && type === "text/event-json") {
      const name = peekEventName(body);
      // A bgapi job's result is the connection's own business (below), whatever translate() ignores.
      if (
        name !== undefined &&
        name !== "BACKGROUND_JOB" &&
        (interest.ignore.has(name) || interest.skip?.(name, body))
      ) {
        this.handlers.skipped?.(name);
        return;
      }
    }
    const decoded = decodeEventBody(type, body);
    if (!decoded.ok) {
      this.handlers.malformed?.(decoded.reason, body.toString("utf8", 0, 200));
      return;
    }
    const event = decoded.event;
    if (event["Event-Name"] === "BACKGROUND_JOB") {
      const id = hdr(event, "Job-UUID");
      if (id) this.jobs.finished(id, hdr(event, "_body") ?? "");
      return;
    }
    this.batch.push(event);
  }

  private finish(reason: Error): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.keepAlive.stop();
    this.parser.reset();
    const lost = new Error(ESL_CONNECTION_LOST);
    this.replies.failAll(lost);
    this.jobs.failAll(lost);
    try {
      this.handlers.closed?.(reason);
    } catch (err) {
      this.options.logger?.error({ err }, "ESL close handler failed");
    }
  }
}

// One inbound event socket client of the ESL simulator, served as mod_event_socket does: auth/request
// on connect, `auth <password>` (a wrong one is answered, then disconnected with the ClueCon notice),
// `event json|plain <names>` subscriptions (CUSTOM with subclasses, ALL), `noevents`, `exit`,
// `api` (api/response), `bgapi` (command/reply with the Job-UUID now, BACKGROUND_JOB later) and
// `sendevent` (the event goes to every subscriber).
// Commands are handled one at a time, in order, as the switch does per connection.

import { randomUUID } from "node:crypto";
import type net from "node:net";
import type { EslEvent } from "../../src/pbx/freeswitch-esl/frame-parser.js";
import { BatchedWriter } from "../server-io.js";
import { firstWord } from "./command-kit.js";

/** What a connection reads and records on the simulator. */
export interface EslConnectionHost {
  password(): string;
  readonly authTimes: number[];
  readonly holdCommands: ReadonlySet<string>;
  readonly commandLog: { at: number; command: string; headers: Record<string, string> }[];
  run(commandLine: string): Promise<string>;
  emit(event: EslEvent): void;
}

export class EslConnection {
  authed = false;
  format?: "json" | "plain";
  private all = false;
  private readonly names = new Set<string>();
  private customAll = false;
  private readonly subclasses = new Set<string>();
  private buffer = "";
  private queue: Promise<void> = Promise.resolve();
  private readonly out: BatchedWriter;

  constructor(
    readonly socket: net.Socket,
    private readonly host: EslConnectionHost,
    counted: (chars: number) => void,
    private readonly closed: (conn: EslConnection) => void,
  ) {
    this.out = new BatchedWriter(socket, counted);
    socket.setNoDelay(true);
    socket.on("error", () => undefined);
    socket.on("close", () => closed(this));
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
  }

  /** Greets the client (FreeSWITCH asks for auth first). */
  greet(): void {
    this.write("Content-Type: auth/request\n\n");
  }

  /** Whether the client subscribed to this event (`sub`: a CUSTOM event's subclass). */
  wants(name: string, sub: string): boolean {
    if (this.all) return true;
    if (name === "CUSTOM") return this.customAll || this.subclasses.has(sub);
    return this.names.has(name);
  }

  write(text: string): void {
    this.out.write(text);
  }

  flush(): void {
    this.out.flush();
  }

  private onData(chunk: Buffer): void {
    this.buffer += chunk.toString("utf8");
    for (;;) {
      const end = this.buffer.indexOf("\n\n");
      if (end < 0) break;
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const lines = block.split("\n").map((l) => l.replace(/\r$/, ""));
      const command = (lines.shift() ?? "").trim();
      if (!command) continue;
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(":");
        if (colon > 0) headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
      }
      this.host.commandLog.push({ at: Date.now(), command, headers });
      if (this.host.commandLog.length > 1000) this.host.commandLog.shift();
      this.queue = this.queue.then(() => this.onCommand(command, headers)).catch(() => undefined);
    }
  }

  private async onCommand(command: string, headers: Record<string, string>): Promise<void> {
    const space = command.indexOf(" ");
    const verb = (space < 0 ? command : command.slice(0, space)).toLowerCase();
    const arg = space < 0 ? "" : command.slice(space + 1);
    if (verb === "auth") {
      this.host.authTimes.push(Date.now());
      if (arg === this.host.password()) {
        this.authed = true;
        this.reply("+OK accepted");
      } else {
        this.reply("-ERR invalid");
        this.disconnect();
      }
      return;
    }
    if (!this.authed) {
      this.reply("-ERR invalid");
      this.disconnect();
      return;
    }
    switch (verb) {
      case "event": {
        const [format = "", ...names] = arg.split(/\s+/);
        if (format !== "json" && format !== "plain") {
          this.reply(`-ERR ${format} is not supported by the simulator`);
          return;
        }
        this.format = format;
        let custom = false;
        for (const n of names) {
          if (!n) continue;
          if (n.toUpperCase() === "ALL") this.all = true;
          else if (n === "CUSTOM") custom = true;
          else if (n.includes("::")) this.subclasses.add(n);
          else this.names.add(n);
        }
        if (custom && this.subclasses.size === 0) this.customAll = true;
        this.reply(`+OK event listener enabled ${format}`);
        return;
      }
      case "noevents":
        this.all = false;
        this.names.clear();
        this.subclasses.clear();
        this.customAll = false;
        this.reply("+OK no longer listening for events");
        return;
      case "exit":
        this.reply("+OK bye");
        this.disconnect();
        return;
      case "filter":
      case "nixevent":
      case "linger":
      case "nolinger":
      case "myevents":
      case "divert_events":
        this.reply("+OK");
        return;
      case "api": {
        if (this.host.holdCommands.has(firstWord(arg))) return new Promise(() => undefined);
        const body = await this.host.run(arg);
        this.write(`Content-Type: api/response\nContent-Length: ${Buffer.byteLength(body)}\n\n${body}`);
        return;
      }
      case "bgapi": {
        if (this.host.holdCommands.has(firstWord(arg))) return new Promise(() => undefined);
        const job = headers["Job-UUID"] ?? randomUUID();
        this.write(`Content-Type: command/reply\nReply-Text: +OK Job-UUID: ${job}\nJob-UUID: ${job}\n\n`);
        void this.host.run(arg).then((body) => {
          const cmd = firstWord(arg);
          this.host.emit({
            "Event-Name": "BACKGROUND_JOB",
            "Job-UUID": job,
            "Job-Command": cmd,
            "Job-Command-Arg": arg.slice(cmd.length).trim(),
            "Content-Length": String(Buffer.byteLength(body)),
            _body: body,
          });
        });
        return;
      }
      case "sendevent": {
        // mod_event_socket fires the event with the headers that follow (Event-Subclass for CUSTOM) to
        // every subscriber, this socket included, and answers with the event's UUID.
        const name = arg.trim().split(/\s+/)[0]?.toUpperCase() ?? "";
        if (!name) {
          this.reply("-ERR invalid event");
          return;
        }
        const uuid = randomUUID();
        this.reply(`+OK ${uuid}`);
        this.host.emit({ Command: `sendevent ${name}`, ...headers, "Event-Name": name, "Event-UUID": uuid });
        return;
      }
      default:
        this.reply("-ERR command not found");
    }
  }

  private reply(text: string): void {
    this.write(`Content-Type: command/reply\nReply-Text: ${text}\n\n`);
  }

  private disconnect(): void {
    const notice = "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n";
    this.write(
      `Content-Type: text/disconnect-notice\nContent-Length: ${Buffer.byteLength(notice)}\n\n${notice}`,
    );
    this.flush();
    this.socket.end();
    this.closed(this);
  }
}

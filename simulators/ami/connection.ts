// One AMI client connection of the simulator: the action frames it reads (`Key: value` lines, a blank
// line ends the action; header names are case-insensitive, the first of a repeated one counts), and
// the replies it writes as Asterisk does (Response first, then ActionID; list actions in the
// EventList format).

import type net from "node:net";
import { StringDecoder } from "node:string_decoder";
import { AmiEventFilter } from "../ami-filter.js";
import { type Fields, serialize } from "../ami-trace.js";
import { BatchedWriter } from "../server-io.js";

/** An action's headers, names lowercased. */
export type ActionHeaders = Map<string, string>;

export class AmiConnection {
  loggedIn = false;
  /** Events on (`Events: off` at Login or the Events action turns them off). */
  events = true;
  readonly filter = new AmiEventFilter();
  private readonly decoder = new StringDecoder("utf8");
  private buffer = "";
  private readonly out: BatchedWriter;

  constructor(
    readonly socket: net.Socket,
    counted: (chars: number) => void,
    onAction: (conn: AmiConnection, headers: ActionHeaders) => void,
  ) {
    this.out = new BatchedWriter(socket, counted);
    socket.on("data", (chunk: Buffer) => this.onData(chunk, onAction));
    socket.on("error", () => undefined);
  }

  private onData(chunk: Buffer, onAction: (conn: AmiConnection, headers: ActionHeaders) => void): void {
    this.buffer += this.decoder.write(chunk);
    for (;;) {
      const end = this.buffer.indexOf("\r\n\r\n");
      if (end < 0) break;
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 4);
      const headers: ActionHeaders = new Map();
      for (const line of block.split("\r\n")) {
        const colon = line.indexOf(":");
        if (colon < 0) continue;
        const key = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        if (!headers.has(key)) headers.set(key, value);
      }
      if (headers.size > 0) onAction(this, headers);
    }
    if (this.buffer.length > 1_000_000) this.socket.destroy();
  }

  /** A response: its first field (Response), then the ActionID, then the rest. */
  respond(id: string | undefined, fields: Fields): void {
    const out: Fields = [];
    const response = fields[0];
    if (response) out.push(response);
    if (id !== undefined) out.push(["ActionID", id]);
    for (const f of fields.slice(1)) out.push(f);
    this.write(serialize(out));
  }

  error(id: string | undefined, message: string): void {
    this.respond(id, [
      ["Response", "Error"],
      ["Message", message],
    ]);
  }

  success(id: string | undefined, message?: string): void {
    this.respond(
      id,
      message === undefined
        ? [["Response", "Success"]]
        : [
            ["Response", "Success"],
            ["Message", message],
          ],
    );
  }

  /** A list action's answer: the start response, the items, then `<complete>` with the item count. */
  list(id: string | undefined, message: string, complete: string, items: Fields[], extra: Fields = []): void {
    this.respond(id, [
      ["Response", "Success"],
      ["EventList", "start"],
      ["Message", message],
    ]);
    for (const item of items) this.write(serialize(item));
    const done: Fields = [["Event", complete]];
    if (id !== undefined) done.push(["ActionID", id]);
    done.push(["EventList", "Complete"], ["ListItems", String(items.length)], ...extra);
    this.write(serialize(done));
  }

  write(text: string): void {
    this.out.write(text);
  }

  flush(): void {
    this.out.flush();
  }
}

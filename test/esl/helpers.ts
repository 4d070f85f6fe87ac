// Shared helpers for the ESL tests: the api replies of a captured control session, and a scriptable
// fake ESL server for protocol-level tests (the trace-driven EslSimulator covers everything else).

import { readFileSync } from "node:fs";
import net from "node:net";

export interface ControlExchange {
  command: string;
  body: string;
}

/** `NN-*.control.txt`: `>>> <command>` lines, each followed by `<<< ` and the raw reply (Content-Length bodies). */
export function controlExchanges(path: string): ControlExchange[] {
  const bytes = readFileSync(path);
  const out: ControlExchange[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const cmdAt = bytes.indexOf(">>> ", pos);
    if (cmdAt < 0) break;
    const lineEnd = bytes.indexOf("\n", cmdAt);
    const command = bytes.toString("utf8", cmdAt + 4, lineEnd);
    pos = lineEnd + 1;
    const replyAt = bytes.indexOf("<<< ", pos);
    const nextCmd = bytes.indexOf(">>> ", pos);
    if (replyAt < 0 || (nextCmd >= 0 && nextCmd < replyAt)) {
      out.push({ command, body: "" });
      continue;
    }
    const headEnd = bytes.indexOf("\n\n", replyAt);
    const head = bytes.toString("utf8", replyAt + 4, headEnd);
    const length = Number(/Content-Length: (\d+)/.exec(head)?.[1] ?? "0");
    const body = bytes.toString("utf8", headEnd + 2, headEnd + 2 + length);
    pos = headEnd + 2 + length;
    out.push({ command, body });
  }
  return out;
}

export interface FakeEsl {
  port: number;
  /** Every command received (first line), in order, with the connection number. */
  commands: { conn: number; command: string; headers: Record<string, string> }[];
  connections: net.Socket[];
  /** Answers a command; return undefined to stay silent. */
  handler: (command: string, headers: Record<string, string>, socket: net.Socket) => string | undefined;
  close(): Promise<void>;
}

export function reply(text: string, extra = ""): string {
  return `Content-Type: command/reply\nReply-Text: ${text}\n${extra}\n`;
}

export function apiResponse(body: string): string {
  return `Content-Type: api/response\nContent-Length: ${Buffer.byteLength(body)}\n\n${body}`;
}

export function jsonEvent(event: Record<string, string>): string {
  const body = JSON.stringify(event);
  return `Content-Length: ${Buffer.byteLength(body)}\nContent-Type: text/event-json\n\n${body}`;
}

/** A minimal ESL server whose answers the test scripts. Default: auth ok, event ok, api `+OK`. */
export async function fakeEsl(): Promise<FakeEsl> {
  const fake: FakeEsl = {
    port: 0,
    commands: [],
    connections: [],
    handler: (command) => {
      if (command.startsWith("auth ")) return reply("+OK accepted");
      if (command.startsWith("event ")) return reply("+OK event listener enabled json");
      if (command.startsWith("api ")) return apiResponse("+OK\n");
      return reply("+OK");
    },
    close: async () => undefined,
  };
  const server = net.createServer((socket) => {
    const conn = fake.connections.push(socket);
    socket.on("error", () => undefined);
    let buffer = "";
    socket.write("Content-Type: auth/request\n\n");
    socket.on("data", (chunk) => {
      buffer += chunk.toString("utf8");
      for (;;) {
        const end = buffer.indexOf("\n\n");
        if (end < 0) break;
        const [command = "", ...lines] = buffer.slice(0, end).split("\n");
        buffer = buffer.slice(end + 2);
        const headers: Record<string, string> = {};
        for (const l of lines) {
          const colon = l.indexOf(":");
          if (colon > 0) headers[l.slice(0, colon)] = l.slice(colon + 1).trim();
        }
        fake.commands.push({ conn, command, headers });
        const answer = fake.handler(command, headers, socket);
        if (answer) socket.write(answer);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  fake.port = typeof addr === "object" && addr ? addr.port : 0;
  fake.close = () =>
    new Promise<void>((resolve) => {
      for (const s of fake.connections) s.destroy();
      server.close(() => resolve());
    });
  return fake;
}

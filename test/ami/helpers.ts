// Shared helpers for the AMI tests: a directory for 1001-1006, polling, a scriptable fake AMI server,
// and pino loggers that are silent or capture their records.

import net from "node:net";
import { Writable } from "node:stream";
import pino, { type Logger } from "pino";
import {
  type Directory,
  defaultSettings,
  makeDirectory,
  type Role,
  type User,
} from "../../src/domain/directory.js";

export function users(pbx: string): User[] {
  const mk = (ext: string, name: string, departments: string[], role: Role = "agent"): User => {
    const settings = defaultSettings();
    if (role !== "agent")
      settings.operations = { ...settings.operations, listen: true, whisper: true, barge: true };
    return { id: `u${ext}`, name, extension: ext, pbx, devices: [], departments, role, settings };
  };
  return [
    mk("1001", "Alice", ["sales"]),
    mk("1002", "Bob", ["sales"]),
    mk("1003", "Carol", ["sales"]),
    mk("1004", "Dave", ["support", "sales"], "supervisor"),
    mk("1005", "Erin", ["support", "sales"], "supervisor"),
    mk("1006", "Frank", ["support", "sales"], "supervisor"),
  ];
}

export function directory(pbx: string): Directory {
  return makeDirectory(
    [
      { id: "sales", name: "Sales" },
      { id: "support", name: "Support" },
    ],
    users(pbx),
  );
}

/** Polls `probe` every `intervalMs` until it gives a truthy value (an async probe is awaited), and returns it. */
export async function waitFor<T>(
  probe: () => T | undefined | false | null | Promise<T | undefined | false | null>,
  what: string,
  timeoutMs = 3000,
  intervalMs = 10,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // An async probe is awaited: its promise is not the answer.
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function silentLogger(): Logger {
  return pino({ level: "silent" });
}

export interface CapturedLog {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export function capturingLogger(level = "debug"): { logger: Logger; records: CapturedLog[] } {
  const records: CapturedLog[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString("utf8").split("\n")) if (line) records.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level }, stream), records };
}

/** Headers of an action as received, plus `conn`: the number of the connection it came on ("1", "2", …). */
export type ActionFrame = Record<string, string>;

export interface FakeAmi {
  port: number;
  /** Every action received, in order. */
  actions: ActionFrame[];
  connections: net.Socket[];
  /** Answers an action; return undefined to stay silent. Default: Login ok, everything else Success. */
  handler: (a: ActionFrame, socket: net.Socket) => string | undefined;
  close(): Promise<void>;
}

export function frame(lines: Record<string, string>): string {
  return `${Object.entries(lines)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("")}\r\n`;
}

/** A minimal AMI server whose answers the test scripts. */
export async function fakeAmi(): Promise<FakeAmi> {
  const fake: FakeAmi = {
    port: 0,
    actions: [],
    connections: [],
    handler: (a) => frame({ Response: "Success", ActionID: a.ActionID ?? "", Message: "ok" }),
    close: async () => undefined,
  };
  const server = net.createServer((socket) => {
    const conn = fake.connections.push(socket);
    socket.on("error", () => undefined);
    let buffer = "";
    socket.write("Asterisk Call Manager/13.0.0\r\n");
    socket.on("data", (chunk) => {
      buffer += chunk.toString("utf8");
      for (;;) {
        const end = buffer.indexOf("\r\n\r\n");
        if (end < 0) break;
        const a: ActionFrame = {};
        for (const line of buffer.slice(0, end).split("\r\n")) {
          const colon = line.indexOf(":");
          if (colon > 0) a[line.slice(0, colon)] = line.slice(colon + 1).trim();
        }
        buffer = buffer.slice(end + 4);
        fake.actions.push({ ...a, conn: String(conn) });
        const reply = fake.handler(a, socket);
        if (reply) socket.write(reply);
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

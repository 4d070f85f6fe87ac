// ESL ingest benchmark. A loopback server answers `auth` and the `event json` subscription and then
// writes realistic `event json` frames (every event of every captured FreeSWITCH scenario, re-id'd per
// copy so calls never collide) as fast as the socket takes them.
//   esl.ingest.eventsPerSec     the events Callsight's subscription (ESL_EVENTS) receives:
//                               socket -> EslConnection/EslFrameParser -> EslTranslator -> LiveModel.apply,
//                               against modesl 1.2.1 ingesting the same bytes from the same kind of server
//                               in the same run (its Connection emitting 'esl::event::…')
//   esl.ingest.allEventsPerSec  the same with everything an `event json ALL` session gets (CHANNEL_STATE,
//                               CODEC, API… are recognised by name and skipped unparsed), same baseline
//   esl.parser.framesPerSec     the bare EslFrameParser on the same bytes, in memory, 64 KB chunks,
//                               against modesl's Parser on the same chunks
//   esl.subscription.savedBytesPct  traffic the ESL_EVENTS subscription saves against `event json ALL`

import { EventEmitter } from "node:events";
import { createRequire } from "node:module";
import net from "node:net";
import v8 from "node:v8";
import vm from "node:vm";
import { EslRewriter, EslTraceLibrary, serializeJsonEvent } from "../simulators/esl-trace.js";
import { type Directory, defaultSettings, makeDirectory, type User } from "../src/domain/directory.js";
import { LiveModel, type LiveModelOptions } from "../src/domain/live-model.js";
import { EslConnection } from "../src/pbx/freeswitch-esl/connection.js";
import { ESL_EVENTS } from "../src/pbx/freeswitch-esl/driver.js";
import { type EslEvent, EslFrameParser } from "../src/pbx/freeswitch-esl/frame-parser.js";
import { ESL_EVENT_INTEREST, EslTranslator } from "../src/pbx/freeswitch-esl/translate.js";

export interface Figure {
  value: number;
  unit: string;
  baseline?: number;
  ratio?: number;
}

export interface EslIngestOptions {
  /** How many re-id'd copies of the full scenario mix to stream. Default 40 (~40k events on ALL). */
  copies?: number;
  /** Runs per client; the best is kept. Default 3. */
  runs?: number;
  log?: (line: string) => void;
}

const PBX = "bench";
const SENTINEL = serializeJsonEvent({ "Event-Name": "BENCH_DONE" });
const SUBSCRIBED = new Set(ESL_EVENTS.filter((e) => !e.includes("::") && e !== "CUSTOM"));
const SUBSCRIBED_CUSTOM = new Set(ESL_EVENTS.filter((e) => e.includes("::")));

function directory() {
  const users: User[] = ["1001", "1002", "1003", "1004", "1005", "1006"].map((ext) => ({
    id: `u${ext}`,
    name: `User ${ext}`,
    extension: ext,
    pbx: PBX,
    devices: [],
    departments: ["all"],
    role: "agent",
    settings: defaultSettings(),
  }));
  return makeDirectory([{ id: "all", name: "All" }], users);
}

export function subscribed(e: EslEvent): boolean {
  const name = e["Event-Name"];
  if (name === "CUSTOM") return SUBSCRIBED_CUSTOM.has(String(e["Event-Subclass"]));
  return SUBSCRIBED.has(String(name));
}

/** Every event of every scenario, `copies` times, each copy with fresh uuids. */
export function buildEslStream(
  copies: number,
  filter: (e: EslEvent) => boolean = () => true,
  library = new EslTraceLibrary(),
): { bytes: Buffer; events: number } {
  return buildEslTemplateStream(
    copies,
    library.names.map((n) => library.rawEvents(n)),
    filter,
  );
}

/** `templates` (scenarios' raw events, in order, repeats allowed) `copies` times, each instance with fresh uuids. */
export function buildEslTemplateStream(
  copies: number,
  templates: readonly (readonly EslEvent[])[],
  filter: (e: EslEvent) => boolean = () => true,
): { bytes: Buffer; events: number } {
  const parts: string[] = [];
  let events = 0;
  for (let c = 0; c < copies; c++) {
    for (const raw of templates) {
      const rw = new EslRewriter();
      for (const e of raw) {
        if (e["Event-Name"] === "BACKGROUND_JOB" || !filter(e)) continue;
        const out = rw.rewrite(e);
        out["Core-UUID"] = e["Core-UUID"];
        parts.push(serializeJsonEvent(out));
        events++;
      }
    }
  }
  parts.push(SENTINEL);
  return { bytes: Buffer.from(parts.join(""), "utf8"), events };
}

/** A server that answers auth and the first `event` command, then writes `bytes` at once. */
async function blastServer(bytes: Buffer): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    socket.setNoDelay(true);
    socket.write("Content-Type: auth/request\n\n");
    let buffer = "";
    let sent = false;
    socket.on("data", (chunk) => {
      buffer += chunk.toString("utf8");
      for (;;) {
        const end = buffer.indexOf("\n\n");
        if (end < 0) break;
        const command = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (command.startsWith("auth ")) {
          socket.write("Content-Type: command/reply\nReply-Text: +OK accepted\n\n");
        } else if (command.startsWith("event ") && !sent) {
          sent = true;
          socket.write("Content-Type: command/reply\nReply-Text: +OK event listener enabled json\n\n");
          socket.write(bytes);
        } else {
          socket.write("Content-Type: command/reply\nReply-Text: +OK\n\n");
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  return {
    port: typeof addr === "object" && addr ? addr.port : 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** `after` sees the model once the stream is in (sanity checks of a variant's mix). */
export async function runOurs(
  bytes: Buffer,
  expected: number,
  dir: Directory = directory(),
  after?: (model: LiveModel) => void,
  modelOptions: LiveModelOptions = {},
): Promise<number> {
  const server = await blastServer(bytes);
  const translator = new EslTranslator(PBX);
  const model = new LiveModel(dir, modelOptions);
  let count = 0;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const started = process.hrtime.bigint();
  const conn = await EslConnection.connect(
    {
      host: "127.0.0.1",
      port: server.port,
      password: "bench",
      events: ESL_EVENTS,
      pingIntervalMs: 0,
      interest: ESL_EVENT_INTEREST,
    },
    {
      // Events translate() would ignore are recognised by name and skipped unparsed; they count as ingested.
      skipped: () => {
        count++;
        translator.skipped();
      },
      events: (events) => {
        for (const e of events) {
          if (e["Event-Name"] === "BENCH_DONE") {
            finish();
            continue;
          }
          count++;
          for (const n of translator.translate(e)) model.apply(n);
        }
      },
    },
  );
  await done;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  conn.destroy();
  await server.close();
  if (count !== expected) throw new Error(`ours: ${count} events, expected ${expected}`);
  if (model.activeCalls().length !== 0)
    throw new Error(`ours: ${model.activeCalls().length} calls left in the model`);
  after?.(model);
  return count / seconds;
}

interface ModeslConnection extends EventEmitter {
  disconnect(): void;
}

function modesl(): {
  Connection: new (...args: unknown[]) => ModeslConnection;
  Parser: new (s: EventEmitter) => EventEmitter;
} {
  const require = createRequire(import.meta.url);
  const esl = require("modesl") as { Connection: new (...args: unknown[]) => ModeslConnection };
  const Parser = require("modesl/lib/esl/Parser") as new (s: EventEmitter) => EventEmitter;
  return { Connection: esl.Connection, Parser };
}

export async function runModesl(bytes: Buffer, expected: number): Promise<number> {
  const server = await blastServer(bytes);
  const { Connection } = modesl();
  let count = 0;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const started = process.hrtime.bigint();
  const conn = new Connection("127.0.0.1", server.port, "bench", () => undefined);
  conn.on("error", () => undefined);
  // Every frame modesl reads is emitted as `esl::event::…`; its own notices (auth::success…) carry no headers.
  conn.on("esl::event::**", (event: { getHeader(h: string): string }, headers?: Record<string, string>) => {
    if (headers?.["Content-Type"] !== "text/event-json") return;
    if (event.getHeader("Event-Name") === "BENCH_DONE") finish();
    else count++;
  });
  await done;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  conn.disconnect();
  await server.close();
  if (count !== expected) throw new Error(`modesl: ${count} events, expected ${expected}`);
  return count / seconds;
}

export function gcFunction(): () => void {
  v8.setFlagsFromString("--expose-gc");
  return vm.runInNewContext("gc") as () => void;
}

function chunks(bytes: Buffer, size = 64 * 1024): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

function runParser(parts: Buffer[], expected: number): number {
  let count = 0;
  const parser = new EslFrameParser({ frame: () => count++ });
  const started = process.hrtime.bigint();
  for (const c of parts) parser.push(c);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (count !== expected + 1) throw new Error(`parser: ${count} frames, expected ${expected + 1}`);
  return count / seconds;
}

/** modesl's Parser reads from a socket-like emitter: feed it the same chunks. */
function runModeslParser(parts: Buffer[], expected: number): number {
  const { Parser } = modesl();
  const socket = new EventEmitter();
  const parser = new Parser(socket);
  let count = 0;
  parser.on("esl::event", () => count++);
  const started = process.hrtime.bigint();
  for (const c of parts) socket.emit("data", c);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (count !== expected + 1) throw new Error(`modesl parser: ${count} frames, expected ${expected + 1}`);
  return count / seconds;
}

export async function benchEslIngest(opts: EslIngestOptions = {}): Promise<Record<string, Figure>> {
  const log = opts.log ?? (() => undefined);
  const library = new EslTraceLibrary();
  const copies = opts.copies ?? 40;
  const runs = opts.runs ?? 3;
  const sub = buildEslStream(copies, subscribed, library);
  const all = buildEslStream(copies, () => true, library);
  log(
    `esl-ingest: subscribed mix ${sub.events} events ${(sub.bytes.length / 1048576).toFixed(1)} MB, ` +
      `ALL mix ${all.events} events ${(all.bytes.length / 1048576).toFixed(1)} MB`,
  );
  // Both clients get a warm-up pass first (JIT), each run starts from a collected heap, the best of `runs` counts.
  const gc = gcFunction();
  const warm = buildEslStream(6, subscribed, library);
  for (let i = 0; i < 2; i++) {
    await runOurs(warm.bytes, warm.events);
    await runModesl(warm.bytes, warm.events);
  }
  const measure = async (stream: { bytes: Buffer; events: number }, what: string) => {
    let ours = 0;
    let baseline = 0;
    for (let r = 0; r < runs; r++) {
      gc();
      ours = Math.max(ours, await runOurs(stream.bytes, stream.events));
      gc();
      baseline = Math.max(baseline, await runModesl(stream.bytes, stream.events));
      log(
        `esl-ingest ${what} run ${r + 1}: ours ${Math.round(ours)} ev/s, modesl ${Math.round(baseline)} ev/s`,
      );
    }
    return { ours, baseline };
  };
  const s = await measure(sub, "subscribed");
  const a = await measure(all, "ALL");
  const parts = chunks(all.bytes);
  let parser = 0;
  let modeslParser = 0;
  for (let r = 0; r < 3; r++) {
    parser = Math.max(parser, runParser(parts, all.events));
    modeslParser = Math.max(modeslParser, runModeslParser(parts, all.events));
  }
  log(`esl-parser: ours ${Math.round(parser)} frames/s, modesl ${Math.round(modeslParser)} frames/s`);
  const round = (n: number) => Math.round(n);
  const ratio = (x: number, y: number) => Math.round((x / y) * 100) / 100;
  return {
    "esl.ingest.eventsPerSec": {
      value: round(s.ours),
      unit: "events/s",
      baseline: round(s.baseline),
      ratio: ratio(s.ours, s.baseline),
    },
    "esl.ingest.allEventsPerSec": {
      value: round(a.ours),
      unit: "events/s",
      baseline: round(a.baseline),
      ratio: ratio(a.ours, a.baseline),
    },
    "esl.parser.framesPerSec": {
      value: round(parser),
      unit: "frames/s",
      baseline: round(modeslParser),
      ratio: ratio(parser, modeslParser),
    },
    "esl.subscription.savedBytesPct": {
      value: Math.round((1 - sub.bytes.length / all.bytes.length) * 1000) / 10,
      unit: "%",
    },
  };
}

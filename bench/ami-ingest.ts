// AMI ingest benchmark. A loopback server logs the client in and then writes a realistic event mix
// (every frame of every captured scenario, VarSet included, re-id'd per copy so calls never collide)
// as fast as the socket takes it.
//   ami.ingest.eventsPerSec   socket -> AmiSession/AmiFrameParser -> AmiTranslator -> LiveModel.apply,
//                             against the npm `asterisk-manager` client ingesting the same bytes from
//                             the same kind of server in the same run (its 'managerevent' emissions)
//   ami.parser.eventsPerSec   the bare AmiFrameParser on the same bytes, in memory
//   ami.memory.peakMB2000Calls heap used (after GC) with 2,000 concurrent answered calls in the model
//   ami.memory.modelMB2000Calls the part of it the translator and model hold
//   ami.filter.savedBytesPct  traffic the default session filters remove on the traces

import { createRequire } from "node:module";
import net from "node:net";
import v8 from "node:v8";
import vm from "node:vm";
import { measureFilterSaving } from "../simulators/ami-filter.js";
import { pausePoint } from "../simulators/ami-simulator.js";
import {
  freshInstance,
  Rewriter,
  type Scenario,
  sequentialIds,
  serialize,
  TraceLibrary,
} from "../simulators/ami-trace.js";
import { type Directory, defaultSettings, makeDirectory, type User } from "../src/domain/directory.js";
import { LiveModel, type LiveModelOptions } from "../src/domain/live-model.js";
import { AMI_WHITELIST_FILTERS } from "../src/pbx/asterisk-ami/driver.js";
import { AmiFrameParser } from "../src/pbx/asterisk-ami/frame-parser.js";
import { AmiSession, detachFrame } from "../src/pbx/asterisk-ami/session.js";
import { AMI_FRAME_INTEREST, AmiTranslator } from "../src/pbx/asterisk-ami/translate.js";

export interface Figure {
  value: number;
  unit: string;
  baseline?: number;
  ratio?: number;
}

export interface AmiIngestOptions {
  /** How many re-id'd copies of the full scenario mix to stream. Default 20 (~110k events). */
  copies?: number;
  /** Runs per client; the best is kept. Default 2. */
  runs?: number;
  /** Concurrent calls for the memory figure. Default 2000. */
  calls?: number;
  log?: (line: string) => void;
}

const PBX = "bench";
const SENTINEL = "Event: BenchDone\r\nPrivilege: system,all\r\n\r\n";

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

/** The event mix: every scenario's frames, `copies` times, each copy with fresh ids. */
export function buildStream(copies: number, library = new TraceLibrary()): { bytes: Buffer; events: number } {
  return buildScenarioStream(
    copies,
    library.names.map((name) => library.scenario(name)),
  );
}

/**
 * `round` (scenarios in order, repeats allowed) `copies` times, each scenario instance with fresh ids.
 * `passes` (an AMI session filter on the frame's text) drops the frames a filtered session would not get.
 */
export function buildScenarioStream(
  copies: number,
  round: readonly Scenario[],
  passes: (text: string) => boolean = () => true,
): { bytes: Buffer; events: number } {
  const alloc = sequentialIds(1);
  const parts: string[] = [];
  let events = 0;
  for (let c = 0; c < copies; c++) {
    for (const s of round) {
      const rw = freshInstance(new Rewriter(), s.ids, alloc);
      for (const e of s.events) {
        const text = serialize(rw.rewrite(e.fields));
        if (!passes(text)) continue;
        parts.push(text);
        events++;
      }
    }
  }
  parts.push(SENTINEL);
  return { bytes: Buffer.from(parts.join(""), "utf8"), events };
}

/** A server that answers the Login (any spelling) and then writes `bytes` at once. */
async function blastServer(bytes: Buffer): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    socket.setNoDelay(true);
    socket.write("Asterisk Call Manager/13.0.0\r\n");
    let buffer = "";
    let sent = false;
    socket.on("data", (chunk) => {
      buffer += chunk.toString("utf8");
      for (;;) {
        const end = buffer.indexOf("\r\n\r\n");
        if (end < 0) break;
        const action = buffer.slice(0, end);
        buffer = buffer.slice(end + 4);
        if (sent || !/^action:\s*login\s*$/im.test(action)) continue;
        const id = /^actionid:\s*(.*)$/im.exec(action)?.[1]?.trim() ?? "";
        socket.write(`Response: Success\r\nActionID: ${id}\r\nMessage: Authentication accepted\r\n\r\n`);
        socket.write(bytes);
        sent = true;
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
  const translator = new AmiTranslator(PBX);
  const model = new LiveModel(dir, modelOptions);
  let count = 0;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const started = process.hrtime.bigint();
  const session = await AmiSession.connect(
    {
      host: "127.0.0.1",
      port: server.port,
      username: "bench",
      secret: "bench",
      pingIntervalMs: 0,
      interest: AMI_FRAME_INTEREST,
    },
    {
      // Events translate() would ignore are recognised by name and skipped unparsed; they count as ingested.
      skipped: () => {
        count++;
        translator.skipped();
      },
      events: (frames) => {
        for (const f of frames) {
          if (f.Event === "BenchDone") {
            finish();
            continue;
          }
          count++;
          for (const e of translator.translate(f)) model.apply(e);
        }
      },
    },
  );
  await done;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  session.destroy();
  await server.close();
  if (count !== expected) throw new Error(`ours: ${count} events, expected ${expected}`);
  after?.(model);
  return count / seconds;
}

interface AsteriskManager {
  on(event: string, listener: (e: Record<string, unknown>) => void): void;
  disconnect(): void;
}

export async function runBaseline(bytes: Buffer, expected: number): Promise<number> {
  const server = await blastServer(bytes);
  const require = createRequire(import.meta.url);
  const Manager = require("asterisk-manager") as new (
    port: number,
    host: string,
    username: string,
    password: string,
    events: boolean,
  ) => AsteriskManager;
  let count = 0;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const started = process.hrtime.bigint();
  const ami = new Manager(server.port, "127.0.0.1", "bench", "bench", true);
  ami.on("managerevent", (e) => {
    // asterisk-manager lowercases keys but keeps values.
    if (e.event === "BenchDone") finish();
    else count++;
  });
  await done;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  ami.disconnect();
  await server.close();
  if (count !== expected) throw new Error(`asterisk-manager: ${count} events, expected ${expected}`);
  return count / seconds;
}

function runParser(bytes: Buffer, expected: number): number {
  let count = 0;
  const parser = new AmiFrameParser({ frame: () => count++, malformed: () => undefined }, undefined, {
    banner: false,
  });
  const chunk = 64 * 1024;
  const started = process.hrtime.bigint();
  for (let i = 0; i < bytes.length; i += chunk) parser.push(bytes.subarray(i, i + chunk));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (count !== expected + 1) throw new Error(`parser: ${count} frames, expected ${expected + 1}`);
  return count / seconds;
}

function gcFunction(): () => void {
  v8.setFlagsFromString("--expose-gc");
  return vm.runInNewContext("gc") as () => void;
}

/** Heap with `calls` answered calls in the model, built by replaying the starts of scenario 05. */
function memory(calls: number, library: TraceLibrary): { peakMB: number; modelMB: number } {
  const gc = gcFunction();
  const s = library.scenario("05");
  const stop = pausePoint(s, "answered") ?? s.events.length;
  const start = s.events.slice(0, stop);
  const alloc = sequentialIds(1_000_000);
  gc();
  const before = process.memoryUsage().heapUsed;
  const translator = new AmiTranslator(PBX);
  const model = new LiveModel(directory());
  const parser = new AmiFrameParser(
    {
      // As the session delivers them: values detached from the pushed text.
      frame: (f) => {
        for (const e of translator.translate(detachFrame(f))) model.apply(e);
      },
      malformed: () => undefined,
    },
    undefined,
    { banner: false },
  );
  let peak = before;
  const batch = 100;
  for (let i = 0; i < calls; i += batch) {
    let text = "";
    for (let j = i; j < Math.min(calls, i + batch); j++) {
      const rw = freshInstance(new Rewriter(), s.ids, alloc);
      for (const e of start) text += serialize(rw.rewrite(e.fields));
    }
    for (let o = 0; o < text.length; o += 64 * 1024) parser.push(text.slice(o, o + 64 * 1024));
    gc();
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }
  const active = model.activeCalls().length;
  if (active !== calls) throw new Error(`memory: ${active} calls in the model, expected ${calls}`);
  const mb = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;
  return { peakMB: mb(peak), modelMB: mb(peak - before) };
}

export async function benchAmiIngest(opts: AmiIngestOptions = {}): Promise<Record<string, Figure>> {
  const log = opts.log ?? (() => undefined);
  const library = new TraceLibrary();
  const { bytes, events } = buildStream(opts.copies ?? 20, library);
  log(`ami-ingest: ${events} events, ${(bytes.length / 1024 / 1024).toFixed(1)} MB`);
  let ours = 0;
  let baseline = 0;
  for (let r = 0; r < (opts.runs ?? 2); r++) {
    ours = Math.max(ours, await runOurs(bytes, events));
    baseline = Math.max(baseline, await runBaseline(bytes, events));
    log(
      `ami-ingest run ${r + 1}: ours ${Math.round(ours)} ev/s, asterisk-manager ${Math.round(baseline)} ev/s`,
    );
  }
  let parser = 0;
  for (let r = 0; r < 3; r++) parser = Math.max(parser, runParser(bytes, events));
  const mem = memory(opts.calls ?? 2000, library);
  const saving = measureFilterSaving(AMI_WHITELIST_FILTERS, library);
  const round = (n: number) => Math.round(n);
  return {
    "ami.ingest.eventsPerSec": {
      value: round(ours),
      unit: "events/s",
      baseline: round(baseline),
      ratio: Math.round((ours / baseline) * 100) / 100,
    },
    "ami.parser.eventsPerSec": { value: round(parser), unit: "events/s" },
    "ami.memory.peakMB2000Calls": { value: mem.peakMB, unit: "MB" },
    "ami.memory.modelMB2000Calls": { value: mem.modelMB, unit: "MB" },
    "ami.filter.savedBytesPct": { value: saving.bytes.savedPct, unit: "%" },
  };
}

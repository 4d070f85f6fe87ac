// What the queue-heavy benchmarks and the per-call event count share: where the ring-group and queue captures
// are, the directory (a department owns the queue, as a site with queue panels configures it) and the mixes.

import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Scenario } from "../simulators/ami-trace.js";
import { TraceLibrary } from "../simulators/ami-trace.js";
import { EslTraceLibrary } from "../simulators/esl-trace.js";
import { type Directory, defaultSettings, makeDirectory, type User } from "../src/domain/directory.js";
import type { EslEvent } from "../src/pbx/freeswitch-esl/frame-parser.js";

export const PBX = "bench";
/** The queue of the Asterisk captures (app_queue 400) and of the FreeSWITCH ones (mod_callcenter). */
export const AMI_QUEUE = "400";
export const ESL_QUEUE = "sales@default";
/** Share of the queue-heavy mix's events that come from the ring-group and queue captures. */
export const QUEUE_SHARE = 0.75;

/** `test/fixtures/queues/<pbx>` above this module (works from bench/ and dist/bench/). */
export function queueTracesDir(pbx: "asterisk" | "freeswitch"): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, "test", "fixtures", "queues", pbx);
    if (existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  return path.resolve("test/fixtures/queues", pbx);
}

export const amiQueueLibrary = (): TraceLibrary => new TraceLibrary(queueTracesDir("asterisk"));
export const eslQueueLibrary = (): EslTraceLibrary => new EslTraceLibrary(queueTracesDir("freeswitch"));

/**
 * The ingest benches' six agents (1001–1006, the captures' phones among them), in department `sales` too,
 * which owns the queue: the directory production builds from `departments[].queues`.
 */
export function queueDirectory(queue: string): Directory {
  const users: User[] = ["1001", "1002", "1003", "1004", "1005", "1006"].map((ext) => ({
    id: `u${ext}`,
    name: `User ${ext}`,
    extension: ext,
    pbx: PBX,
    devices: [],
    departments: ["all", "sales"],
    role: "agent",
    settings: defaultSettings(),
  }));
  return makeDirectory(
    [
      { id: "all", name: "All" },
      { id: "sales", name: "Sales", queues: [{ pbx: PBX, name: queue }] },
    ],
    users,
  );
}

export interface Round<T> {
  /** One copy of the mix, in order. */
  items: T[];
  events: number;
  queueEvents: number;
  /** How many times each queue capture is in one copy. */
  queueRepeats: number;
}

/**
 * One copy of the queue-heavy mix: every direct scenario once (the current mix's copy), and the queue
 * captures repeated until they make at least `share` of the events. The repeats come first, each a full pass
 * over the queue captures.
 */
export function queueRound<T>(
  direct: readonly T[],
  queues: readonly T[],
  size: (t: T) => number,
  share = QUEUE_SHARE,
): Round<T> {
  const directEvents = direct.reduce((n, t) => n + size(t), 0);
  const queuePass = queues.reduce((n, t) => n + size(t), 0);
  const queueRepeats = Math.max(1, Math.ceil((share / (1 - share)) * (directEvents / queuePass)));
  const items: T[] = [];
  for (let r = 0; r < queueRepeats; r++) items.push(...queues);
  items.push(...direct);
  return {
    items,
    events: directEvents + queueRepeats * queuePass,
    queueEvents: queueRepeats * queuePass,
    queueRepeats,
  };
}

export function amiScenarios(library: TraceLibrary): Scenario[] {
  return library.names.map((n) => library.scenario(n));
}

export function eslTemplates(library: EslTraceLibrary): EslEvent[][] {
  return library.names.map((n) => library.rawEvents(n));
}

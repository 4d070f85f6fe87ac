// Trace formats the replay understands: each driver's captures (its descriptor's `readTrace`, under the
// driver's id) and normalized events as JSON lines (`events`).

import { readFileSync } from "node:fs";
import type { PbxEvent } from "../domain/events.js";
import type { TraceRead, TraceReadOptions } from "../pbx/driver-descriptor.js";
import { PBX_DRIVERS } from "../pbx/drivers.js";
import { parseEvent } from "./event-schema.js";

export type { TraceRead, TraceReadOptions } from "../pbx/driver-descriptor.js";

type Reader = (bytes: Buffer, options: TraceReadOptions) => TraceRead;

const readers: ReadonlyMap<string, Reader> = new Map<string, Reader>([
  ...PBX_DRIVERS.map((d): [string, Reader] => [d.id, (bytes, options) => d.readTrace(bytes, options)]),
  ["events", readEventsJsonl],
]);

export const TRACE_FORMATS = [...readers.keys()];

export class UnknownFormatError extends Error {}

export function readTrace(path: string, format: string, options: TraceReadOptions): TraceRead {
  const reader = readers.get(format);
  if (!reader) {
    throw new UnknownFormatError(`unknown trace format "${format}" (known: ${TRACE_FORMATS.join(", ")})`);
  }
  return reader(readFileSync(path), options);
}

/** One normalized event per line (JSON). Blank lines and `#` comments are skipped. */
function readEventsJsonl(bytes: Buffer, options: TraceReadOptions): TraceRead {
  const events: PbxEvent[] = [];
  const problems: string[] = [];
  const lines = bytes.toString("utf8").split(/\r?\n/);
  lines.forEach((line, i) => {
    const text = line.trim();
    if (text === "" || text.startsWith("#")) return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      problems.push(`line ${i + 1}: not JSON (${(err as Error).message})`);
      return;
    }
    const withDefaults =
      typeof value === "object" && value !== null ? { pbx: options.pbx, at: 0, ...(value as object) } : value;
    const parsed = parseEvent(withDefaults);
    if (parsed.ok) events.push(parsed.event);
    else problems.push(`line ${i + 1}: ${parsed.problem}`);
  });
  return { events, problems };
}

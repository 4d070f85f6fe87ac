// Trace formats the replay understands. Each driver contributes the reader for its own format.

import { readFileSync } from "node:fs";
import type { PbxEvent } from "../domain/events.js";
import { readAmiTrace } from "../pbx/asterisk-ami/trace.js";
import { readAriTrace } from "../pbx/asterisk-ari/trace.js";
import type { EndpointClassifier } from "../pbx/endpoints.js";
import { readEslTrace } from "../pbx/freeswitch-esl/trace.js";
import { parseEvent } from "./event-schema.js";

export interface TraceReadOptions {
  pbx: string;
  classifier?: EndpointClassifier;
}

export interface TraceRead {
  events: PbxEvent[];
  /** Lines or frames that could not be read, with why. */
  problems: string[];
  /** Source events that carry nothing Callsight uses, by name, when the format reports it. */
  unknown?: Record<string, number>;
}

type Reader = (bytes: Buffer, options: TraceReadOptions) => TraceRead;

const readers: Record<string, Reader> = {
  ari: (bytes, options) => readAriTrace(bytes, options),
  esl: (bytes, options) => readEslTrace(bytes, options),
  events: readEventsJsonl,
  ami: (bytes, options) => {
    const r = readAmiTrace(bytes, options.pbx, options.classifier);
    return {
      events: r.events,
      problems: r.malformed.map((m) => `${m.reason}: ${JSON.stringify(m.sample)}`),
      unknown: r.counters.unknown,
    };
  },
};

export const TRACE_FORMATS = Object.keys(readers);

export class UnknownFormatError extends Error {}

export function readTrace(path: string, format: string, options: TraceReadOptions): TraceRead {
  const reader = readers[format];
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

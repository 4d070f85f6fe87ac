// Reads a captured ARI WebSocket stream (a `.ari.jsonl` trace: one JSON event per line, as sent by
// `/ari/events?app=…&subscribeAll=true`) into normalized events. A trace is what an ARI-only
// deployment sees, so the translator runs with its ARI-only inferences on (parking from the parking
// bridge, MixMonitor from MIXMONITOR_FILENAME).

import type { PbxEvent } from "../../domain/events.js";
import type { EndpointClassifier } from "../endpoints.js";
import { AriTranslator, type AriTranslatorOptions } from "./translate.js";
import { type AriEvent, conformAriEvent } from "./types.js";

export interface AriTraceReadOptions {
  pbx: string;
  classifier?: EndpointClassifier;
  translator?: AriTranslatorOptions;
}

export interface AriTraceRead {
  events: PbxEvent[];
  /** Lines that could not be read, with why. */
  problems: string[];
  /** ARI event types that carry nothing Callsight uses and are not known to be ignorable, by name. */
  unknown?: Record<string, number>;
}

/**
 * Parses one WebSocket message; `undefined` + reason when it is not an ARI event. Fields Callsight reads
 * that have another type than AriEvent says are dropped (conformAriEvent).
 */
export function parseAriMessage(text: string): { event?: AriEvent; problem?: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { problem: `not JSON (${(err as Error).message})` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { problem: "not a JSON object" };
  }
  const type = (value as { type?: unknown }).type;
  if (typeof type !== "string" || type === "") return { problem: 'no "type"' };
  return { event: conformAriEvent(value as Record<string, unknown> & { type: string }) };
}

export function readAriTrace(bytes: Buffer, options: AriTraceReadOptions): AriTraceRead {
  const translator = new AriTranslator(options.pbx, options.classifier, options.translator);
  const events: PbxEvent[] = [];
  const problems: string[] = [];
  const lines = bytes.toString("utf8").split(/\r?\n/);
  lines.forEach((line, i) => {
    const text = line.trim();
    if (text === "" || text.startsWith("#")) return;
    const parsed = parseAriMessage(text);
    if (!parsed.event) {
      problems.push(`line ${i + 1}: ${parsed.problem}: ${JSON.stringify(text.slice(0, 120))}`);
      return;
    }
    for (const e of translator.translate(parsed.event)) events.push(e);
  });
  return { events, problems, unknown: { ...translator.counters.unknown } };
}

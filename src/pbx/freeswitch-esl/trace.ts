// Reads a captured ESL byte stream (a `.esl.txt` trace of an `event json|plain` session) into
// normalized events. Command replies and api responses in the stream are not events and are skipped.

import type { PbxEvent } from "../../domain/events.js";
import type { EndpointClassifier } from "../endpoints.js";
import { decodeEventBody, EslFrameParser } from "./frame-parser.js";
import { EslTranslator } from "./translate.js";

export interface EslTraceReadOptions {
  pbx: string;
  classifier?: EndpointClassifier;
  /** Sofia profiles facing carriers. Default `["external"]`. */
  externalProfiles?: readonly string[];
}

export interface EslTraceRead {
  events: PbxEvent[];
  /** Frames that could not be read, with why. */
  problems: string[];
  /** Source events that carry nothing Callsight uses, by name (`CUSTOM::<subclass>` for custom ones). */
  unknown?: Record<string, number>;
}

export function readEslTrace(bytes: Buffer, options: EslTraceReadOptions): EslTraceRead {
  const translator = new EslTranslator(options.pbx, {
    ...(options.classifier ? { classifier: options.classifier } : {}),
    ...(options.externalProfiles ? { externalProfiles: options.externalProfiles } : {}),
  });
  const events: PbxEvent[] = [];
  const problems: string[] = [];
  const parser = new EslFrameParser({
    frame: (frame) => {
      const type = frame.headers["Content-Type"];
      if (type !== "text/event-json" && type !== "text/event-plain") return;
      if (!frame.body) {
        problems.push(`${type} frame without a body`);
        return;
      }
      const decoded = decodeEventBody(type, frame.body);
      if (!decoded.ok) {
        problems.push(`${decoded.reason}: ${JSON.stringify(frame.body.toString("utf8", 0, 120))}`);
        return;
      }
      for (const e of translator.translate(decoded.event)) events.push(e);
    },
    malformed: (reason, sample) => problems.push(`${reason}: ${JSON.stringify(sample.slice(0, 120))}`),
  });
  parser.push(bytes);
  if (parser.buffered > 0) problems.push(`${parser.buffered} bytes of an unfinished frame at the end`);
  return { events, problems, unknown: translator.counters.unknown };
}

// Reads a captured AMI byte stream (a `.ami.txt` trace) into normalized events.

import type { PbxEvent } from "../../domain/events.js";
import type { EndpointClassifier } from "../endpoints.js";
import { AmiFrameParser } from "./frame-parser.js";
import { AmiTranslator, type TranslatorCounters } from "./translate.js";

export interface TraceReadResult {
  events: PbxEvent[];
  counters: TranslatorCounters;
  malformed: { reason: string; sample: string }[];
}

export function readAmiTrace(
  bytes: Buffer | string,
  pbx: string,
  classifier?: EndpointClassifier,
): TraceReadResult {
  const translator = new AmiTranslator(pbx, classifier);
  const events: PbxEvent[] = [];
  const malformed: TraceReadResult["malformed"] = [];
  const parser = new AmiFrameParser({
    frame: (frame) => {
      for (const e of translator.translate(frame)) events.push(e);
    },
    malformed: (reason, sample) => malformed.push({ reason, sample }),
  });
  parser.push(bytes);
  return { events, counters: translator.counters, malformed };
}

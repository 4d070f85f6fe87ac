// Cutting command templates out of captured ESL traces (esl-commands.ts, esl-dial-template.ts): finding
// events, the legs and extensions they name, rebasing times, and a leg of one trace playing a role in
// another.

import type { EslEvent } from "../src/pbx/freeswitch-esl/frame-parser.js";
import { type EslTraceEvent, eventName, str } from "./esl-trace.js";

/** Rebases event times so the first one is at 0. */
export function rebase(events: readonly EslTraceEvent[]): EslTraceEvent[] {
  const t0 = events[0]?.t ?? 0;
  return events.map((e) => ({ event: e.event, t: Math.max(0, e.t - t0) }));
}

export function must(i: number, what: string): number {
  if (i < 0) throw new Error(`ESL trace template: ${what} not found`);
  return i;
}

export function find(events: readonly EslTraceEvent[], pred: (e: EslEvent) => boolean, from = 0): number {
  for (let i = from; i < events.length; i++) if (pred((events[i] as EslTraceEvent).event)) return i;
  return -1;
}

export function uid(e: EslEvent): string | undefined {
  return str(e, "Unique-ID");
}

export function extOf(e: EslEvent): string {
  const m = /\/(?:sip:)?(\d+)@/.exec(str(e, "Channel-Name") ?? "");
  return m?.[1] ?? "";
}

/** Index just past a CHANNEL_BRIDGE and the CALL_UPDATEs that follow it. */
export function afterBridge(events: readonly EslTraceEvent[], bridge: number): number {
  let i = bridge + 1;
  while (i < events.length && eventName((events[i] as EslTraceEvent).event) === "CALL_UPDATE") i++;
  return i;
}

/** A copy of an event with one uuid replaced by another (a leg of one trace playing a role in another). */
export function relabel(e: EslEvent, from: string, to: string): EslEvent {
  const out: EslEvent = {};
  for (const [k, v] of Object.entries(e))
    out[k] = typeof v === "string" && v.includes(from) ? v.split(from).join(to) : v;
  return out;
}

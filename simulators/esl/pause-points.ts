// Where a replayed FreeSWITCH call can be stopped (EslCallOptions.pauseAt): as soon as a leg rings,
// once the call is bridged, once it is parked — or at an event index.

import type { EslEvent } from "../../src/pbx/freeswitch-esl/frame-parser.js";
import { type EslScenario, type EslTraceEvent, eventName, str } from "../esl-trace.js";

/** Where a scenario can be paused: as soon as a leg rings, once the call is bridged, once it is parked. */
export function eslPausePoint(
  s: EslScenario,
  at: "ringing" | "answered" | "parked" | number,
): number | undefined {
  if (typeof at === "number") return at;
  const ev = s.events;
  const idx = (pred: (e: EslEvent) => boolean): number => ev.findIndex((e) => pred(e.event));
  let i: number;
  if (at === "ringing") {
    i = idx(
      (e) =>
        eventName(e) === "CHANNEL_CALLSTATE" &&
        str(e, "Channel-Call-State") === "RINGING" &&
        str(e, "Call-Direction") === "outbound",
    );
    return i < 0 ? undefined : i + 1;
  }
  if (at === "answered") {
    i = idx((e) => eventName(e) === "CHANNEL_BRIDGE");
    if (i < 0) return undefined;
    i++;
    while (i < ev.length && eventName((ev[i] as EslTraceEvent).event) === "CALL_UPDATE") i++;
    return i;
  }
  i = idx((e) => eventName(e) === "CUSTOM" && str(e, "Action") === "hold");
  if (i < 0) return undefined;
  i++;
  while (i < ev.length) {
    const n = eventName((ev[i] as EslTraceEvent).event);
    if (n !== "PRESENCE_IN" && n !== "PLAYBACK_START") break;
    i++;
  }
  return i;
}

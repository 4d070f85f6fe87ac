// Where a replayed ARI call can be stopped (AriCallOptions.pauseAt): once the callee rings (Dial
// RINGING), once both parties are in the bridge, once the call is parked (before the next channel) —
// or at an event index.

import type { AriScenario, AriTraceEvent } from "../ari-trace.js";
import type { AriCallOptions } from "./types.js";

/** Named pause points of a scenario. */
export function pausePoint(s: AriScenario, at: AriCallOptions["pauseAt"]): number | undefined {
  if (typeof at === "number") return at;
  const events = s.events;
  if (at === "ringing") {
    const i = events.findIndex((e) => e.event.type === "Dial" && e.event.dialstatus === "RINGING");
    return i < 0 ? undefined : i + 1;
  }
  if (at === "answered") {
    let n = 0;
    for (let i = 0; i < events.length; i++) {
      if ((events[i] as AriTraceEvent).event.type === "ChannelEnteredBridge" && ++n === 2) return i + 1;
    }
    return undefined;
  }
  if (at === "parked") {
    const entered = events.findIndex(
      (e) => e.event.type === "ChannelEnteredBridge" && e.event.bridge?.bridge_class === "parking",
    );
    if (entered < 0) return undefined;
    const next = events.findIndex((e, i) => i > entered && e.event.type === "ChannelCreated");
    return next < 0 ? undefined : next;
  }
  return undefined;
}

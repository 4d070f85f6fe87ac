// Where a replayed AMI call can be stopped (CallOptions.pauseAt): while it rings (before the first
// channel goes Up), once it is answered and settled, once it is parked — or at an event index.

import { get, type Scenario, type TraceEvent } from "../ami-trace.js";
import type { CallOptions } from "./types.js";

/** Named pause points of a scenario (see CallOptions.pauseAt). */
export function pausePoint(s: Scenario, at: CallOptions["pauseAt"]): number | undefined {
  if (typeof at === "number") return at;
  const events = s.events;
  const ev = (i: number): string => get((events[i] as TraceEvent).fields, "Event") ?? "";
  if (at === "ringing") {
    for (let i = 0; i < events.length; i++) {
      if (ev(i) === "Newstate" && get((events[i] as TraceEvent).fields, "ChannelStateDesc") === "Up")
        return i;
    }
    return undefined;
  }
  if (at === "parked") {
    let parked = false;
    for (let i = 0; i < events.length; i++) {
      if (ev(i) === "ParkedCall") parked = true;
      else if (parked && ev(i) === "Newchannel") return i;
    }
    return undefined;
  }
  if (at === "answered") {
    const entered = new Map<string, number>();
    let bridged = false;
    for (let i = 0; i < events.length; i++) {
      const e = ev(i);
      if (e === "BridgeEnter") {
        const b = get((events[i] as TraceEvent).fields, "BridgeUniqueid") ?? "";
        const n = (entered.get(b) ?? 0) + 1;
        entered.set(b, n);
        if (n >= 2) bridged = true;
        continue;
      }
      if (bridged && !SETTLING.has(e)) return i;
    }
  }
  return undefined;
}

/** Events that follow an answer before anything happens to the call. */
const SETTLING = new Set([
  "VarSet",
  "NewConnectedLine",
  "NewCallerid",
  "RTCPSent",
  "RTCPReceived",
  "Newexten",
  "DeviceStateChange",
  "ExtensionStatus",
  "Newstate",
  "MusicOnHoldStop",
]);

// Channels entering and leaving bridges: conversations (one call per bridge, the oldest), parking
// lots' holding bridges, and Callsight's own monitoring bridges.

import type { PbxEvent } from "../../domain/events.js";
import { isParkingBridge, parseMonitorBridgeName } from "./translate-names.js";
import type { AriCallState } from "./translate-state.js";
import { type AriEvent, isBridge, isChannel } from "./types.js";

/** A channel entered a bridge (ChannelEnteredBridge). */
export function enteredBridge(
  s: AriCallState,
  parkingFromBridges: boolean,
  e: AriEvent,
  at: number,
  out: PbxEvent[],
): void {
  const ch = e.channel;
  const b = e.bridge;
  if (!isChannel(ch) || !isBridge(b)) return;
  const bridge = s.bridge(b);
  const isLeg = s.ensure(ch, at, out);
  bridge.members.clear();
  for (const id of b.channels ?? []) bridge.members.add(id);
  bridge.members.add(ch.id);
  s.inBridge.set(ch.id, b.id);
  if (!isLeg) {
    const call = s.oldestCall(bridge.members);
    if (call === undefined) return;
    s.setPlumbingCall(ch.id, call, at, out);
    // A phone already in the bridge that is in another call joins this one (it picked up the member the
    // Local half was ringing).
    for (const id of bridge.members) {
      const m = s.channels.get(id);
      if (!m?.leg || s.monitoring.has(id) || m.callId === call) continue;
      s.moveCall(m, call);
      out.push({ pbx: s.pbx, at, type: "leg.bridged", leg: id, bridge: b.id, callId: call });
    }
    return;
  }
  const base = { pbx: s.pbx, at };
  if (isParkingBridge(b)) {
    if (!parkingFromBridges) return;
    const fresh = s.freshSpaces.shift();
    const space = fresh ?? "";
    const lot = b.name || "default";
    s.parked.set(ch.id, { lot, space });
    out.push({ ...base, type: "call.parked", leg: ch.id, lot, space });
    return;
  }
  const monitor = parseMonitorBridgeName(b.name);
  if (monitor) {
    const held = s.pending.get(monitor.target);
    if (held) s.ensure(held.channel, at, out);
    if (!s.channels.get(monitor.target)?.leg) return;
    s.monitoring.set(ch.id, { target: monitor.target, bridge: b.id });
    out.push({
      ...base,
      type: "monitoring.started",
      spy: ch.id,
      target: monitor.target,
      mode: monitor.mode,
    });
    return;
  }
  // Everyone talking in one bridge is in one call: the oldest call among the members (Asterisk
  // rewrites the Linkedids the same way; a picker or retriever joins the call it picked up).
  let callId = s.channels.get(ch.id)?.callId ?? ch.id;
  const oldestMember = s.oldestCall(bridge.members);
  if (
    oldestMember !== undefined &&
    (s.callStarts.get(oldestMember) ?? Number.POSITIVE_INFINITY) <
      (s.callStarts.get(callId) ?? Number.POSITIVE_INFINITY)
  )
    callId = oldestMember;
  for (const id of bridge.members) {
    const m = s.channels.get(id);
    if (m?.leg && !s.monitoring.has(id)) s.moveCall(m, callId);
    else if (m && !m.leg) s.setPlumbingCall(id, callId, at, out);
  }
  out.push({ ...base, type: "leg.bridged", leg: ch.id, bridge: b.id, callId });
}

/** A channel left a bridge (ChannelLeftBridge). */
export function leftBridge(
  s: AriCallState,
  parkingFromBridges: boolean,
  e: AriEvent,
  at: number,
  out: PbxEvent[],
): void {
  const ch = e.channel;
  const b = e.bridge;
  if (!isChannel(ch) || !isBridge(b)) return;
  const bridge = s.bridges.get(b.id);
  bridge?.members.delete(ch.id);
  if (s.inBridge.get(ch.id) === b.id) s.inBridge.delete(ch.id);
  if (!s.ensure(ch, at, out)) return;
  const base = { pbx: s.pbx, at };
  if (isParkingBridge(b)) {
    const parked = s.parked.get(ch.id);
    if (!parkingFromBridges || !parked) return;
    s.parked.delete(ch.id);
    const hungUp = s.channels.get(ch.id)?.hangupRequested ?? false;
    out.push({
      ...base,
      type: "call.unparked",
      leg: ch.id,
      lot: parked.lot,
      space: parked.space,
      outcome: hungUp ? "gave-up" : "retrieved",
    });
    return;
  }
  const monitor = s.monitoring.get(ch.id);
  if (monitor && monitor.bridge === b.id) {
    s.monitoring.delete(ch.id);
    out.push({ ...base, type: "monitoring.stopped", spy: ch.id, target: monitor.target });
    return;
  }
  if (parseMonitorBridgeName(b.name)) return;
  out.push({ ...base, type: "leg.unbridged", leg: ch.id, bridge: b.id });
}

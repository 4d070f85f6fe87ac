// Dial events: a channel held back until its Dial joins its caller's call, dials starting and ending,
// and directed pickups (a Dial ANSWER by a channel the caller did not dial; ARI has no Pickup event).

import type { PbxEvent } from "../../domain/events.js";
import { dialStarted, dialStatus } from "../asterisk/dial.js";
import type { AriCallState } from "./translate-state.js";
import { type AriEvent, isChannel } from "./types.js";

/** A Dial event: the caller's channel dials the peer, or the dial ends with a status. */
export function dial(s: AriCallState, e: AriEvent, at: number, out: PbxEvent[]): void {
  const peer = isChannel(e.peer) ? e.peer : undefined;
  const caller = isChannel(e.caller) ? e.caller : undefined;
  if (!peer) return;
  const base = { pbx: s.pbx, at };
  const callerLeg = caller ? s.ensure(caller, at, out) : false;
  const callerCall = caller ? s.channels.get(caller.id)?.callId : undefined;
  const wasPending = s.pending.has(peer.id);
  if (!s.ensure(peer, at, out, wasPending ? callerCall : undefined)) {
    // A Local channel dialled by a party (queue, ring group, follow-me) carries the caller's call
    // to the phones its other half dials.
    if (callerCall !== undefined) s.setPlumbingCall(peer.id, callerCall, at, out);
    if (caller) {
      const where = caller.dialplan;
      s.diversions.dialled(caller.name, where?.context ?? "", where?.exten ?? "", peer.name);
    }
    return;
  }
  const status = e.dialstatus ?? "";
  if (!wasPending && status === "" && callerCall !== undefined) s.joinCallerCall(peer, callerCall, at, out);
  if (caller && wasPending) {
    const set = s.dialled.get(caller.id) ?? new Set<string>();
    set.add(peer.id);
    s.dialled.set(caller.id, set);
    s.dialledBy.set(peer.id, caller.id);
  }
  if (status === "") {
    dialStarted(
      base,
      callerLeg && caller ? caller.id : undefined,
      peer.id,
      s.channels.get(peer.id),
      e.dialstring ?? "",
      out,
      caller ? s.diversions.forChannel(caller.name) : undefined,
    );
    return;
  }
  if (status === "RINGING" || status === "PROCEEDING" || status === "PROGRESS") return;
  if (status === "ANSWER" && caller) {
    // Answered by a channel the caller did not dial: a directed pickup (trace 09). The picker
    // answered the ringing channel of that dial, which is hung up with cause 26 right after. The
    // caller may be plumbing: a queue's or ring group's Local half dialling the member's phone
    // (test/fixtures/queues/asterisk/38-queue-pickup).
    const targets = s.dialled.get(caller.id);
    if (targets && !targets.has(peer.id)) {
      const target = [...targets].find((id) => s.channels.has(id));
      if (target) out.push({ ...base, type: "call.pickedUp", picker: peer.id, target });
    }
  }
  out.push({
    ...base,
    type: "dial.ended",
    ...(callerLeg && caller ? { caller: caller.id } : {}),
    callee: peer.id,
    status: dialStatus(status),
  });
}

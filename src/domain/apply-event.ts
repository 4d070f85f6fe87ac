// What each normalized PBX event does to the legs, calls, sessions, recordings and presence inputs. The live
// model runs it for every event and reports what it touched.

import { type ApplyContext, touchLeg } from "./apply-context.js";
import type { CallBook } from "./call-book.js";
import { legKey, partyOf, updateParty } from "./calls.js";
import type { PbxEvent } from "./events.js";
import { startMonitoring, stopMonitoring } from "./monitoring-sessions.js";
import { recordingChanged } from "./recordings.js";
import { resync } from "./snapshot-resync.js";
import type { UserPresence } from "./user-presence.js";

export function applyEvent(e: PbxEvent, book: CallBook, presence: UserPresence, ctx: ApplyContext): void {
  switch (e.type) {
    case "leg.created":
      book.createLeg(e.pbx, e, e.at, ctx);
      return;
    case "leg.identity": {
      const leg = book.known(e.pbx, e.leg);
      if (leg?.side !== "external") return;
      const before = partyOf(leg);
      if (e.number) leg.number = e.number;
      if (e.name) leg.name = e.name;
      book.setReachedUser(leg);
      const call = book.callOf(leg);
      if (call) updateParty(call, before, partyOf(leg));
      touchLeg(leg, ctx);
      return;
    }
    case "leg.ringing": {
      const leg = book.known(e.pbx, e.leg);
      if (leg && leg.state !== "up") {
        leg.state = "ringing";
        book.ring(leg);
        touchLeg(leg, ctx);
      }
      return;
    }
    case "leg.answered": {
      const leg = book.known(e.pbx, e.leg);
      if (!leg) return;
      book.answer(leg, e.at);
      touchLeg(leg, ctx);
      return;
    }
    case "dial.started":
    case "dial.ended":
    case "leg.redirected":
    case "call.transferred":
      // Informational: the leg and bridge events that follow carry the state changes. The call history
      // keeps who was busy and who transferred the call. A follow-me's or forward's outside leg is its user's.
      if (e.type === "dial.started" && e.onBehalfOf !== undefined) {
        const callee = book.known(e.pbx, e.callee);
        if (callee) book.dialledOnBehalfOf(callee, e.onBehalfOf);
      }
      for (const id of legsNamedBy(e)) {
        const leg = book.known(e.pbx, id);
        if (leg) touchLeg(leg, ctx);
      }
      if (e.type === "dial.ended" && e.status === "busy") book.busy(e.pbx, e.callee);
      if (e.type === "call.transferred" && e.success) book.transferred(e);
      return;
    case "call.pickedUp": {
      const picker = book.known(e.pbx, e.picker);
      const target = book.known(e.pbx, e.target);
      if (picker && target && picker.callId !== target.callId) book.moveLeg(picker, target.callId, ctx);
      if (picker && target) book.pickedUp(picker, target, e.at);
      if (picker) touchLeg(picker, ctx);
      return;
    }
    case "leg.bridged": {
      const leg = book.known(e.pbx, e.leg);
      if (!leg) return;
      book.setBridge(leg, e.bridge);
      book.joinBridgeCalls(leg, e.callId, ctx);
      book.answer(leg, e.at);
      touchLeg(leg, ctx);
      return;
    }
    case "leg.unbridged": {
      const leg = book.known(e.pbx, e.leg);
      if (!leg || leg.bridge !== e.bridge) return;
      book.setBridge(leg, undefined);
      // Hold belongs to the conversation the leg just left.
      leg.held = false;
      touchLeg(leg, ctx);
      book.touchBridgePeers(leg, e.bridge, ctx);
      return;
    }
    case "leg.held":
    case "leg.unheld": {
      const leg = book.known(e.pbx, e.leg);
      if (!leg) return;
      leg.held = e.type === "leg.held";
      touchLeg(leg, ctx);
      if (leg.bridge) book.touchBridgePeers(leg, leg.bridge, ctx);
      return;
    }
    case "call.parked": {
      const leg = book.known(e.pbx, e.leg);
      if (!leg) return;
      leg.parked = { lot: e.lot, space: e.space, at: e.at };
      // Who parked it: the user on the leg the PBX names as the parker, if the model knows it.
      const parker = e.parker === undefined ? undefined : book.legs.get(legKey(e.pbx, e.parker));
      const by = parker?.user ?? parker?.reachedUser;
      if (by !== undefined) leg.parked.by = by;
      touchLeg(leg, ctx);
      return;
    }
    case "call.unparked": {
      const leg = book.known(e.pbx, e.leg);
      if (!leg) return;
      leg.parked = undefined;
      touchLeg(leg, ctx);
      return;
    }
    case "monitoring.started": {
      const spy = book.known(e.pbx, e.spy);
      const target = book.known(e.pbx, e.target);
      if (spy && target) startMonitoring(book.calls, spy, target, e.mode, e.at, ctx);
      return;
    }
    case "monitoring.stopped": {
      const spy = book.known(e.pbx, e.spy);
      if (spy) stopMonitoring(book.legs, book.calls, spy, e.at, ctx);
      return;
    }
    case "recording.started":
    case "recording.stopped": {
      const leg = book.known(e.pbx, e.leg);
      if (!leg) return;
      recordingChanged(leg, book.callOf(leg), e);
      touchLeg(leg, ctx);
      return;
    }
    case "leg.hangup": {
      const leg = book.known(e.pbx, e.leg);
      if (leg) book.removeLeg(leg, e.at, ctx);
      return;
    }
    case "device.reachability": {
      presence.setReachability(e.pbx, e.endpoint, e.reachable, ctx.touchedUsers);
      return;
    }
    case "presence.state":
      presence.setChosen(e.pbx, e.extension, e.state, ctx.touchedUsers);
      return;
    case "presence.dnd":
      presence.setDnd(e.pbx, e.extension, e.on, ctx.touchedUsers);
      return;
    case "queue.callerJoined": {
      const leg = book.known(e.pbx, e.leg);
      const call = leg && book.callOf(leg);
      if (call) call.queue ??= e.queue;
      return;
    }
    case "queue.callerLeft":
    case "queue.answered":
    case "queue.member":
    case "queue.snapshot":
      return;
    case "pbx.snapshot":
      resync(e, book, presence, ctx);
      return;
    case "pbx.connection":
      return;
  }
}

/** The legs an informational event names. */
function legsNamedBy(e: PbxEvent): string[] {
  switch (e.type) {
    case "dial.started":
    case "dial.ended":
      return e.caller ? [e.caller, e.callee] : [e.callee];
    case "leg.redirected":
      return [e.leg];
    case "call.transferred":
      return e.transferee ? [e.transferer, e.transferee] : [e.transferer];
    default:
      return [];
  }
}

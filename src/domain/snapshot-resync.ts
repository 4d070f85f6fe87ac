// Resync from a PBX snapshot: what the PBX says is true right now replaces what the model knew about that
// PBX — its legs, calls, bridges, parked calls, recordings, registrations, chosen presence and DND.

import type { ApplyContext } from "./apply-context.js";
import type { CallBook } from "./call-book.js";
import { type Leg, legKey } from "./calls.js";
import type { PbxSnapshot } from "./events.js";
import { resyncRecordings } from "./recordings.js";
import type { UserPresence } from "./user-presence.js";

export function resync(s: PbxSnapshot, book: CallBook, presence: UserPresence, ctx: ApplyContext): void {
  const present = new Set(s.legs.map((l) => l.leg));
  for (const leg of [...book.legs.values()]) {
    if (leg.pbx === s.pbx && !present.has(leg.id)) book.removeLeg(leg, s.at, ctx);
  }
  // A snapshot lists parked calls without when or by whom: what the model saw of a park that is still
  // the same (leg, lot and space) is kept.
  const parkedBefore = new Map<string, NonNullable<Leg["parked"]>>();
  for (const sl of s.legs) {
    const parked = book.legs.get(legKey(s.pbx, sl.leg))?.parked;
    if (parked) parkedBefore.set(sl.leg, parked);
  }
  const fresh = new Set<string>();
  for (const sl of s.legs) {
    // Legs the model learns here started when the PBX says, not now (a PBX clock ahead counts as now).
    const created = Math.min(sl.createdAt ?? s.at, s.at);
    const callKey = legKey(s.pbx, sl.callId);
    if (!book.calls.has(callKey)) fresh.add(callKey);
    const known = book.legs.has(legKey(s.pbx, sl.leg));
    const leg = book.createLeg(s.pbx, sl, created, ctx);
    const call = fresh.has(callKey) ? book.calls.get(callKey) : undefined;
    if (call && leg.createdAt < call.startedAt) call.startedAt = leg.createdAt;
    if (sl.state === "up") {
      // Answered when the PBX says. Else a leg learned here counts from its start, and a leg the model
      // knew ringing from the resync (it saw it ring until the link was lost).
      const answered = Math.min(sl.answeredAt ?? (known ? s.at : created), s.at);
      book.answer(leg, Math.max(answered, leg.createdAt));
      if (
        call &&
        !leg.monitors &&
        leg.id !== call.originator &&
        leg.answeredAt !== undefined &&
        leg.answeredAt < (call.answeredAt ?? 0)
      )
        call.answeredAt = leg.answeredAt;
    } else if (sl.state === "ringing") leg.state = "ringing";
    book.setBridge(leg, sl.bridge);
    leg.held = sl.held ?? false;
    leg.parked = undefined;
  }
  for (const p of s.parked) {
    const leg = book.legs.get(legKey(s.pbx, p.leg));
    if (!leg) continue;
    const known = parkedBefore.get(p.leg);
    leg.parked =
      known && known.lot === p.lot && known.space === p.space ? { ...known } : { lot: p.lot, space: p.space };
  }
  if (s.recordings) resyncRecordings(book, s, new Map(s.recordings.map((r) => [r.leg, r.file])));
  for (const r of s.reachability) presence.setReachability(s.pbx, r.endpoint, r.reachable, ctx.touchedUsers);
  for (const p of s.presence) presence.setChosen(s.pbx, p.extension, p.state, ctx.touchedUsers);
  for (const d of s.dnd) presence.setDnd(s.pbx, d.extension, d.on, ctx.touchedUsers);
}

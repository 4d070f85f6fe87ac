// Transfers as the call history keeps them: who handed the call on, how, and to whom when the model can tell.
// A blind transfer's target is the leg the call offers next, whichever order the PBX reports things in.

import { type Call, type CallTransfer, type Leg, legKey, type Party, partyOf, sameParty } from "./calls.js";
import type { CallTransferred } from "./events.js";

/** What a transfer reads of the legs and calls. */
export interface TransferBook {
  readonly legs: ReadonlyMap<string, Leg>;
  callOf(leg: Leg): Call | undefined;
}

/** A successful transfer: remembered once on the call it concerns. */
export function recordTransfer(e: CallTransferred, book: TransferBook): void {
  const transferer = book.legs.get(legKey(e.pbx, e.transferer));
  const transferee = e.transferee ? book.legs.get(legKey(e.pbx, e.transferee)) : undefined;
  const call = (transferee && book.callOf(transferee)) ?? (transferer && book.callOf(transferer));
  if (!call) return;
  const by = transferer ? partyOf(transferer) : undefined;
  const known = call.transfers.some(
    (t) =>
      t.at === e.at && t.kind === e.kind && (by === undefined || (t.by !== undefined && sameParty(t.by, by))),
  );
  if (known) return;
  const transfer: CallTransfer = { at: e.at, kind: e.kind };
  if (by) transfer.by = by;
  if (e.kind === "attended") {
    const targets: Party[] = [];
    for (const c of new Set([call, transferer && book.callOf(transferer)])) {
      for (const id of c?.legs ?? []) {
        const l = book.legs.get(legKey(e.pbx, id));
        if (!l || l === transferer || l === transferee || l.monitors || l.state !== "up") continue;
        const p = partyOf(l);
        if (!targets.some((t) => sameParty(t, p))) targets.push(p);
      }
    }
    if (targets.length === 1) transfer.to = targets[0] as Party;
  } else {
    // A blind transfer whose target already rings (the PBX announced it before the transfer): that one.
    const ringing = [...call.legs]
      .map((id) => book.legs.get(legKey(e.pbx, id)))
      .filter((l): l is Leg => !!l && l.outgoing && l.state !== "up" && !l.monitors && l !== transferer);
    if (ringing.length === 1) transfer.to = partyOf(ringing[0] as Leg);
  }
  call.transfers.push(transfer);
}

/**
 * A leg the call offers after a blind transfer that has no target yet is that target. Also when the PBX
 * announced the channel just before the transfer, stamped with its creation time, or in a call of its own
 * first (a Local half dialled it, and it joins the caller's call later): the target all the same.
 */
export function offeredAfterTransfer(call: Call, leg: Leg): void {
  const waiting = call.transfers.find((t) => t.kind === "blind" && t.to === undefined);
  if (waiting) waiting.to = partyOf(leg);
}

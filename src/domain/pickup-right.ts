// Who may pick up whose ringing calls (O1 in docs/design.md). permissions.ts authorizes the operation with
// it and visibility.ts shows a ringing call's caller by it (rule P), so the two can never disagree.

import { shareDepartment, type User } from "./directory.js";

/** V's relation to T that pickup needs: a shared department, or V among T's pickup delegates. */
export function pickupRelation(v: User, t: User): boolean {
  return shareDepartment(v, t) || t.settings.pickupDelegates.includes(v.id);
}

/** Whether V may pick up T's ringing calls: admins always; else the `pickup` switch and the relation. */
export function mayPickUpCallsOf(v: User, t: User): boolean {
  return v.role === "admin" || (v.settings.operations.pickup && pickupRelation(v, t));
}

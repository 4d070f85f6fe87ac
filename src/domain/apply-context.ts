// What applying one PBX event touched: the calls and users to report on, the calls that ended and the calls
// that stopped existing without ending. The live model turns it into its list of changes.

import type { CallView } from "./call-view.js";
import { type Leg, legKey } from "./calls.js";

export interface ApplyContext {
  touchedCalls: Set<string>;
  touchedUsers: Set<string>;
  ended: CallView[];
  gone: { pbx: string; id: string; users: string[] }[];
}

export function newApplyContext(): ApplyContext {
  return { touchedCalls: new Set(), touchedUsers: new Set(), ended: [], gone: [] };
}

/** A leg changed: its call and its user are reported. */
export function touchLeg(leg: Leg, ctx: ApplyContext): void {
  ctx.touchedCalls.add(legKey(leg.pbx, leg.callId));
  if (leg.user) ctx.touchedUsers.add(leg.user);
}

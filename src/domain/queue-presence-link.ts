// The link between presence and queues (departments[].pauseQueuesOnDnd): a person of such a department who is
// in do not disturb is paused in the queues the department owns, and unpaused when they leave it. Pure: it
// says which pauses should change now, from the directory, the queues as their PBX reports them and each
// person's DND; the runtime asks the PBX (runtime/queue-presence-link.ts) and calls this again after every
// change and every reconnect, so a pause never stays stuck because Callsight or the PBX link was away.
//
// Only pauses the link made are undone: one with the link's reason (Asterisk keeps it), or one the caller
// remembers making (FreeSWITCH keeps no reason). A break taken by hand stays.

import type { Directory, User } from "./directory.js";
import type { QueueState } from "./queue-book.js";

/** The reason the link pauses with. */
export const DND_PAUSE_REASON = "DND";

export interface LinkPauseChange {
  pbx: string;
  queue: string;
  /** The PBX's name of the member. */
  agent: string;
  user: string;
  paused: boolean;
}

export interface PresenceLinkInputs {
  directory: Directory;
  queueState(pbx: string, queue: string): QueueState | undefined;
  /** Whether the user is in do not disturb; undefined while that is not known (their PBX link is down). */
  dnd(user: User): boolean | undefined;
  /** Whether the link paused this member (and has not seen it unpaused since). */
  pausedByLink(pbx: string, queue: string, agent: string): boolean;
}

export function presenceLinkChanges(inputs: PresenceLinkInputs): LinkPauseChange[] {
  const { directory } = inputs;
  const linked = [...directory.departments.values()].filter((d) => d.pauseQueuesOnDnd && d.queues?.length);
  if (linked.length === 0) return [];
  const byExtension = new Map<string, User>();
  for (const u of directory.users.values()) byExtension.set(`${u.pbx}\u0000${u.extension}`, u);
  const out: LinkPauseChange[] = [];
  const seen = new Set<string>();
  for (const d of linked) {
    for (const ref of d.queues ?? []) {
      for (const a of inputs.queueState(ref.pbx, ref.name)?.agents ?? []) {
        if (!a.loggedIn || !a.extension) continue;
        const user = byExtension.get(`${ref.pbx}\u0000${a.extension}`);
        if (!user?.departments.includes(d.id)) continue;
        const key = `${ref.pbx}\u0000${ref.name}\u0000${a.agent}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const dnd = inputs.dnd(user);
        if (dnd === undefined) continue;
        const change = { pbx: ref.pbx, queue: ref.name, agent: a.agent, user: user.id };
        if (dnd && !a.paused) out.push({ ...change, paused: true });
        else if (!dnd && a.paused) {
          const ours = a.pauseReason === DND_PAUSE_REASON || inputs.pausedByLink(ref.pbx, ref.name, a.agent);
          if (ours) out.push({ ...change, paused: false });
        }
      }
    }
  }
  return out;
}

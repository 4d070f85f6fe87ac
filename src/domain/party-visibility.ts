// Rule 3, the other end of a call (docs: design.md, "Rules that decide what a viewer sees"): on a call
// between colleagues the stricter settings win. A colleague on a call is identified — on anyone's tile, in
// monitoring sessions, in recordings — only if they share their presence and show their calls; otherwise
// they are only "a colleague". The board (visibility.ts) and the recordings API both read it from here.

import type { Directory, User } from "./directory.js";

/**
 * A party of a call as a viewer sees it. A colleague who may not be identified (rule 3: on a call between
 * colleagues the stricter settings win) is only "a colleague": `{ external: false }`, nothing else.
 */
export interface SeenParty {
  user?: string;
  /** Absent for a colleague the viewer may not identify. */
  number?: string;
  name?: string;
  external: boolean;
}

/**
 * Rule 3, the other end of a call: a colleague is identified as a party of a call (on anyone's tile, in
 * monitoring sessions, in recordings) only if they share their presence and show their calls.
 */
export function identifiesAsParty(u: User): boolean {
  return u.settings.sharePresence && u.settings.showMyCalls;
}

/**
 * Whether an internal party must show as "a colleague" to a viewer who is not an admin: a user who does
 * not let others identify them, a user no longer in the directory, or an internal number that is the
 * extension of such a user (a trunk leg reaching a colleague on another PBX).
 */
export function hiddenColleague(
  directory: Directory,
  party: { user?: string; number: string; external: boolean },
): boolean {
  if (party.external) return false;
  if (party.user !== undefined) {
    const u = directory.users.get(party.user);
    return u === undefined || !identifiesAsParty(u);
  }
  return (usersByExtension(directory).get(party.number) ?? []).some((u) => !identifiesAsParty(u));
}

/**
 * A party of a call whose details the viewer may see: copied in full (`full`: admins, and the viewer's own
 * calls where rule 5 applies), else a colleague who does not let others identify them is only "a colleague".
 */
export function seenParty(
  directory: Directory,
  party: { user?: string; number: string; name?: string; external: boolean },
  full: boolean,
): SeenParty {
  if (!full && hiddenColleague(directory, party)) return { external: false };
  const p: SeenParty = { number: party.number, external: party.external };
  if (party.user) p.user = party.user;
  if (party.name) p.name = party.name;
  return p;
}

const extensionIndex = new WeakMap<Directory, Map<string, User[]>>();

function usersByExtension(directory: Directory): Map<string, User[]> {
  let index = extensionIndex.get(directory);
  if (!index) {
    index = new Map();
    for (const u of directory.users.values()) index.set(u.extension, [...(index.get(u.extension) ?? []), u]);
    extensionIndex.set(directory, index);
  }
  return index;
}

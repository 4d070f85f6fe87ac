// What a viewer gets of a stored recording: the board's rules (domain/visibility.ts and
// domain/party-visibility.ts) applied to its metadata. Pure: no I/O.
//
// - Admins get everything, the PBX's own file path included.
// - A party of the call sees it in full, as their own calls on the board (rule 5), but not the server path.
// - Anyone else who may list it (they recorded it on demand) sees it as the call shows on its people's tiles:
//   the call's details (call, direction, parties, who required it) only if they may see the details of one
//   of its colleagues (rule 3), and then a colleague who does not share presence and show their calls is
//   only "a colleague" (the stricter settings win). The extension and stored file name (which carries it)
//   only when that colleague is identified too.

import type { Directory, User } from "../domain/directory.js";
import { hiddenColleague, type SeenParty, seenParty } from "../domain/party-visibility.js";
import { canIdentifyParty, canSeeCallDetails, isAdmin } from "../domain/visibility.js";
import { canSee } from "./recording-index.js";
import type { RecordingMetadata } from "./recording-store.js";

/** The details of a recording: present only when the viewer may see them. */
type Details = "callId" | "leg" | "direction" | "parties" | "requiredBy" | "extension" | "file";

export type SeenRecording = Omit<RecordingMetadata, Details | "originalPath"> &
  Partial<Omit<Pick<RecordingMetadata, Details>, "parties">> & {
    parties?: SeenParty[];
    /** Admins only: where the PBX wrote the file (an absolute path on the server). */
    originalPath?: string;
  };

/** The recording as `viewer` may see it, or undefined when they may not list it at all. */
export function recordingFor(
  directory: Directory,
  viewer: User,
  m: RecordingMetadata,
): SeenRecording | undefined {
  if (isAdmin(viewer)) return m;
  if (!canSee(viewer.id, m)) return undefined;
  const { originalPath: _path, callId, leg, direction, parties, requiredBy, extension, file, ...always } = m;
  const seen: SeenRecording = always;
  const own = parties.some((p) => p.user === viewer.id);
  const colleagues = parties.flatMap((p) => {
    const u = p.user === undefined ? undefined : directory.users.get(p.user);
    return u ? [u] : [];
  });
  if (!own && !colleagues.some((u) => canSeeCallDetails(viewer, u))) return seen;
  seen.callId = callId;
  seen.leg = leg;
  seen.direction = direction;
  seen.parties = parties.map((p) => seenParty(directory, p, own));
  seen.requiredBy = own
    ? requiredBy
    : requiredBy.filter((u) => canIdentifyParty(viewer, directory.users.get(u)));
  const shown =
    own || extension === undefined || !hiddenColleague(directory, { number: extension, external: false });
  if (shown) {
    if (extension !== undefined) seen.extension = extension;
    seen.file = file;
  }
  return seen;
}

/** Whether a recording, as the viewer sees it, names `user` (a party, who required it, who recorded it). */
export function namesUser(seen: SeenRecording, user: string): boolean {
  return (
    seen.onDemandBy === user ||
    (seen.requiredBy ?? []).includes(user) ||
    (seen.parties ?? []).some((p) => p.user === user)
  );
}

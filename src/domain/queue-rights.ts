// Rule OQ (docs/design.md, "Rules for operations"): who may change a member of a queue (pause or unpause,
// log in or out). V may change themselves in a queue one of their departments owns; a supervisor (monitoring
// role) the members of a queue their department owns who belong to an owning department too; an admin anyone
// in any owned queue. A refusal names no more than the board shows: a user V may not act on and one that does not exist
// are refused alike.

import { type Directory, type QueueRef, queueOwners, type User } from "./directory.js";
import { isAdmin } from "./visibility.js";

export type QueueRefusal =
  /** No department V may see owns a queue of that name (404: V's board has no such panel). */
  | { status: 404; reason: "unknown-queue"; message: string }
  | { status: 403; reason: "not-allowed"; message: string };

/** The queues V's panels show under a name (on one PBX when `pbx` is given). */
export function queuesNamed(viewer: User, directory: Directory, name: string, pbx?: string): QueueRef[] {
  const out: QueueRef[] = [];
  for (const d of directory.departments.values()) {
    if (!isAdmin(viewer) && !viewer.departments.includes(d.id)) continue;
    for (const q of d.queues ?? []) {
      if (q.name !== name || (pbx !== undefined && q.pbx !== pbx)) continue;
      if (!out.some((o) => o.pbx === q.pbx && o.name === q.name)) out.push(q);
    }
  }
  return out;
}

/** Whether V may change `target` (undefined: an unknown user) in queue `ref`; undefined when allowed. */
export function queueMemberRefusal(
  viewer: User,
  target: User | undefined,
  ref: QueueRef,
  directory: Directory,
): QueueRefusal | undefined {
  if (isAdmin(viewer)) return undefined;
  const owners = queueOwners(directory, ref.pbx, ref.name);
  const inOwner = (u: User) => u.departments.some((d) => owners.includes(d));
  if (!inOwner(viewer)) return { status: 404, reason: "unknown-queue", message: `no queue ${ref.name}` };
  if (target?.id === viewer.id) return undefined;
  const supervises =
    target !== undefined && directory.monitoringRoles.includes(viewer.role) && inOwner(target);
  return supervises
    ? undefined
    : {
        status: 403,
        reason: "not-allowed",
        message: "only that person, their queue's supervisors and administrators change a queue member",
      };
}

// Changing a queue member (rule OQ, domain/queue-rights.ts): pause / unpause, log in / out. The member
// themselves, their queue's supervisors, admins. The member is named to the PBX as the PBX itself named it in
// its queue events and resync (the queue's state in the model): pausing or logging out a user the queue does
// not list as logged in, or logging in one it does, is refused (409) before the PBX is asked. 202 means the
// PBX took it; the panel shows the change once the PBX reports it back. Every attempt is audited
// (`queuePause`, `queueLogin`).

import type { User } from "../../domain/directory.js";
import type { QueueAgentState } from "../../domain/queue-book.js";
import { queueMemberRefusal, queuesNamed } from "../../domain/queue-rights.js";
import type { CommandOutcome, PbxCommand } from "../../pbx/driver.js";
import type { Callsight } from "../../runtime/callsight.js";
import type { AuditLog } from "../../stores/audit-log.js";

/** Exactly one of `paused` (with an optional reason) and `loggedIn`. */
export type QueueMemberChange = { paused: boolean; reason?: string } | { loggedIn: boolean };

export interface QueueMemberResult {
  httpStatus: number;
  body:
    | { status: "accepted"; user: string; queue: string; pbx: string; detail?: string }
    | { status: "refused"; reason: string; message: string }
    | { status: "failed"; message: string };
}

interface Resolved {
  ref: { pbx: string; name: string };
  target: User;
  /** The target as the PBX lists it in the queue, logged in or not. */
  member: QueueAgentState | undefined;
}

export class QueueMemberService {
  constructor(
    private readonly callsight: Callsight,
    private readonly audit: AuditLog,
  ) {}

  /** `targetId` is a user id, or `me`. */
  async change(
    actorId: string,
    queue: string,
    pbx: string | undefined,
    targetId: string,
    change: QueueMemberChange,
  ): Promise<QueueMemberResult> {
    const target = targetId === "me" ? actorId : targetId;
    const resolved = this.resolve(actorId, queue, pbx, target);
    const result = "httpStatus" in resolved ? resolved : await this.carryOut(resolved, change);
    const body = result.body;
    await this.audit.append({
      actor: actorId,
      action: "paused" in change ? "queuePause" : "queueLogin",
      target,
      outcome: body.status,
      ...(body.status === "refused" ? { reason: body.reason } : {}),
      ...(body.status === "failed" ? { reason: body.message } : {}),
      detail: {
        queue,
        ...(pbx !== undefined ? { pbx } : {}),
        ...("paused" in change
          ? { paused: change.paused, ...(change.reason ? { reason: change.reason } : {}) }
          : { loggedIn: change.loggedIn }),
      },
    });
    return result;
  }

  private resolve(
    actorId: string,
    queue: string,
    pbx: string | undefined,
    targetId: string,
  ): Resolved | QueueMemberResult {
    const directory = this.callsight.directory;
    const actor = directory.users.get(actorId);
    if (!actor) return refused(404, "unknown-viewer", `no user ${actorId}`);
    const refs = queuesNamed(actor, directory, queue, pbx);
    const ref = refs[0];
    if (!ref) return refused(404, "unknown-queue", `no queue ${queue}`);
    if (refs.length > 1)
      return refused(
        400,
        "ambiguous-queue",
        `pbx: queue ${queue} is on ${refs.map((r) => r.pbx).join(", ")}; name one`,
      );
    const target = directory.users.get(targetId);
    const refusal = queueMemberRefusal(actor, target, ref, directory);
    if (refusal) return refused(refusal.status, refusal.reason, refusal.message);
    if (!target) return refused(404, "unknown-target", `no user ${targetId}`);
    if (target.pbx !== ref.pbx)
      return refused(409, "not-a-member", `${target.id} has no extension on the PBX of queue ${ref.name}`);
    const member = this.callsight.model
      .queueState(ref.pbx, ref.name)
      ?.agents.find((a) => a.extension === target.extension);
    return { ref, target, member };
  }

  private async carryOut(
    { ref, target, member }: Resolved,
    change: QueueMemberChange,
  ): Promise<QueueMemberResult> {
    const loggedIn = member?.loggedIn === true;
    let command: PbxCommand;
    if ("paused" in change) {
      if (!member || !loggedIn) return notLoggedIn(target.id, ref.name);
      command = {
        op: "queuePause",
        req: {
          queue: ref.name,
          agent: member.agent,
          paused: change.paused,
          ...(change.paused && change.reason ? { reason: change.reason } : {}),
        },
      };
    } else {
      if (change.loggedIn && loggedIn)
        return refused(409, "already-logged-in", `${target.id} is already logged in to queue ${ref.name}`);
      if (!change.loggedIn && !loggedIn) return notLoggedIn(target.id, ref.name);
      command = {
        op: "queueLogin",
        req: {
          queue: ref.name,
          extension: target.extension,
          loggedIn: change.loggedIn,
          ...(member ? { agent: member.agent } : {}),
          ...(target.name ? { name: target.name } : {}),
        },
      };
    }
    const outcome = await this.execute(ref.pbx, command);
    if (outcome.status === "refused") return refused(409, outcome.reason, outcome.message);
    if (outcome.status === "failed")
      return { httpStatus: 502, body: { status: "failed", message: outcome.message } };
    return {
      httpStatus: 202,
      body: {
        status: "accepted",
        user: target.id,
        queue: ref.name,
        pbx: ref.pbx,
        ...(outcome.detail ? { detail: outcome.detail } : {}),
      },
    };
  }

  private async execute(pbx: string, command: PbxCommand): Promise<CommandOutcome> {
    const driver = this.callsight.driver(pbx);
    if (!driver) return { status: "failed", message: `no connection to pbx ${pbx}` };
    try {
      return await driver.execute(command);
    } catch (err) {
      return { status: "failed", message: err instanceof Error ? err.message : String(err) };
    }
  }
}

function notLoggedIn(user: string, queue: string): QueueMemberResult {
  return refused(
    409,
    "not-a-member",
    `${user} is not a logged-in member of queue ${queue} (as its PBX reports)`,
  );
}

function refused(httpStatus: number, reason: string, message: string): QueueMemberResult {
  return { httpStatus, body: { status: "refused", reason, message } };
}

// Pausing and unpausing a queue member (rule OQ, domain/queue-rights.ts): the member themselves, their
// queue's supervisors, admins. The member is named to the PBX as the PBX itself named it in its queue events
// and resync (the queue's state in the model): a user the queue does not list as logged in is refused (409)
// before the PBX is asked. 202 means the PBX took it; the panel shows the pause once the PBX reports it back.
// Every attempt is audited (`queuePause`).

import { type QueueRefusal, queuePauseRefusal, queuesNamed } from "../../domain/queue-rights.js";
import type { CommandOutcome } from "../../pbx/driver.js";
import type { Callsight } from "../../runtime/callsight.js";
import type { AuditLog } from "../../stores/audit-log.js";

export interface QueuePauseChange {
  paused: boolean;
  reason?: string;
}

export interface QueuePauseResult {
  httpStatus: number;
  body:
    | { status: "accepted"; user: string; queue: string; pbx: string; detail?: string }
    | { status: "refused"; reason: string; message: string }
    | { status: "failed"; message: string };
}

export class QueuePauseService {
  constructor(
    private readonly callsight: Callsight,
    private readonly audit: AuditLog,
  ) {}

  /** `targetId` is a user id, or `me`. */
  async pause(
    actorId: string,
    queue: string,
    pbx: string | undefined,
    targetId: string,
    change: QueuePauseChange,
  ): Promise<QueuePauseResult> {
    const target = targetId === "me" ? actorId : targetId;
    const result = await this.run(actorId, queue, pbx, target, change);
    const body = result.body;
    await this.audit.append({
      actor: actorId,
      action: "queuePause",
      target,
      outcome: body.status,
      ...(body.status === "refused" ? { reason: body.reason } : {}),
      ...(body.status === "failed" ? { reason: body.message } : {}),
      detail: {
        queue,
        ...(pbx !== undefined ? { pbx } : {}),
        paused: change.paused,
        ...(change.reason ? { reason: change.reason } : {}),
      },
    });
    return result;
  }

  private async run(
    actorId: string,
    queue: string,
    pbx: string | undefined,
    targetId: string,
    change: QueuePauseChange,
  ): Promise<QueuePauseResult> {
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
    const refusal: QueueRefusal | undefined = queuePauseRefusal(actor, target, ref, directory);
    if (refusal) return refused(refusal.status, refusal.reason, refusal.message);
    if (!target) return refused(404, "unknown-target", `no user ${targetId}`);
    const member = this.callsight.model
      .queueState(ref.pbx, ref.name)
      ?.agents.find((a) => a.loggedIn && a.extension === target.extension && target.pbx === ref.pbx);
    if (!member)
      return refused(
        409,
        "not-a-member",
        `${target.id} is not a logged-in member of queue ${ref.name} (as its PBX reports)`,
      );
    const outcome = await this.execute(ref.pbx, {
      queue: ref.name,
      agent: member.agent,
      paused: change.paused,
      ...(change.paused && change.reason ? { reason: change.reason } : {}),
    });
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

  private async execute(
    pbx: string,
    req: { queue: string; agent: string; paused: boolean; reason?: string },
  ): Promise<CommandOutcome> {
    const driver = this.callsight.driver(pbx);
    if (!driver) return { status: "failed", message: `no connection to pbx ${pbx}` };
    try {
      return await driver.execute({ op: "queuePause", req });
    } catch (err) {
      return { status: "failed", message: err instanceof Error ? err.message : String(err) };
    }
  }
}

function refused(httpStatus: number, reason: string, message: string): QueuePauseResult {
  return { httpStatus, body: { status: "refused", reason, message } };
}

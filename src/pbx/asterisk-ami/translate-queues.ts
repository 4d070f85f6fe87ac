// AMI app_queue events -> normalized queue events: callers joining, leaving and abandoning, an agent taking
// a caller, members logging in and out and pausing (test/fixtures/queues/asterisk/32-34 show each).

import type { PbxEvent } from "../../domain/events.js";
import { memberExtension } from "../asterisk/queues.js";
import type { AmiFrame } from "./frame-parser.js";

/** The AMI events this file reads. */
export const AMI_QUEUE_EVENTS = [
  "QueueCallerJoin",
  "QueueCallerAbandon",
  "QueueCallerLeave",
  "AgentConnect",
  "QueueMemberAdded",
  "QueueMemberRemoved",
  "QueueMemberPause",
  "QueueMemberStatus",
] as const;

/**
 * app_queue events Callsight reads nothing from (the ring attempts show as dials on the channels). Not the
 * items of the resync's `QueueStatus` list (QueueParams, QueueMember, QueueEntry, QueueStatusComplete): the
 * frame parser skips ignored events unparsed, and the list would never see its end.
 */
export const AMI_IGNORED_QUEUE_EVENTS = [
  "AgentCalled",
  "AgentRingNoAnswer",
  "AgentComplete",
  "AgentDump",
  "QueueMemberPenalty",
  "QueueMemberRinginuse",
] as const;

const READ: ReadonlySet<string> = new Set(AMI_QUEUE_EVENTS);

export class AmiQueueTranslation {
  /** Callers whose QueueCallerAbandon came: their QueueCallerLeave that follows says no more. */
  private readonly abandoned = new Set<string>();

  reset(): void {
    this.abandoned.clear();
  }

  /** Translates a queue event; false when the frame is not one. */
  translate(name: string, f: AmiFrame, base: { pbx: string; at: number }, out: PbxEvent[]): boolean {
    if (!READ.has(name)) return false;
    const queue = f.Queue ?? "";
    if (!queue) return true;
    switch (name) {
      case "QueueCallerJoin": {
        if (!f.Uniqueid) return true;
        const position = Number.parseInt(f.Position ?? "", 10);
        out.push({
          ...base,
          type: "queue.callerJoined",
          queue,
          leg: f.Uniqueid,
          ...(position > 0 ? { position } : {}),
        });
        return true;
      }
      case "QueueCallerAbandon":
        if (!f.Uniqueid) return true;
        this.abandoned.add(f.Uniqueid);
        out.push({ ...base, type: "queue.callerLeft", queue, leg: f.Uniqueid, reason: "abandoned" });
        return true;
      case "QueueCallerLeave":
        if (!f.Uniqueid || this.abandoned.delete(f.Uniqueid)) return true;
        out.push({ ...base, type: "queue.callerLeft", queue, leg: f.Uniqueid, reason: "left" });
        return true;
      case "AgentConnect": {
        const agent = f.Interface ?? "";
        if (!f.Uniqueid || !agent) return true;
        const extension = memberExtension(agent);
        // A FreePBX member answers through a Local channel: its phone's leg is found by its extension.
        const dest = f.DestChannel ?? "";
        const agentLeg = f.DestUniqueid && dest && !dest.startsWith("Local/") ? f.DestUniqueid : undefined;
        out.push({
          ...base,
          type: "queue.answered",
          queue,
          leg: f.Uniqueid,
          agent,
          ...(extension ? { extension } : {}),
          ...(agentLeg ? { agentLeg } : {}),
        });
        return true;
      }
      default: {
        // QueueMemberAdded / Removed / Pause / Status: the member's whole state.
        const agent = f.Interface ?? "";
        if (!agent) return true;
        const extension = memberExtension(agent, f.StateInterface ?? "");
        const member = {
          ...base,
          type: "queue.member" as const,
          queue,
          agent,
          ...(extension ? { extension } : {}),
          ...(f.MemberName ? { name: f.MemberName } : {}),
        };
        if (name === "QueueMemberRemoved") {
          out.push({ ...member, loggedIn: false });
          return true;
        }
        const paused = f.Paused === "1";
        const reason = f.PausedReason ?? "";
        out.push({ ...member, loggedIn: true, paused, ...(paused && reason ? { pauseReason: reason } : {}) });
        return true;
      }
    }
  }
}

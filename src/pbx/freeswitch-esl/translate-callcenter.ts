// mod_callcenter's `callcenter::info` events -> normalized queue events: a caller (the "member") joining and
// leaving a queue, an agent taking it, agents logging in, out and going on break
// (test/fixtures/queues/freeswitch/30-32 show each).

import type { PbxEvent } from "../../domain/events.js";
import { type EslEvent, hdr } from "./frame-parser.js";

/** The CUSTOM subclass mod_callcenter reports on. */
export const CALLCENTER_SUBCLASS = "callcenter::info";

/** `1001@default` -> `1001`: an agent named after its extension (FusionPBX names agents by id: none). */
export function agentExtension(agent: string): string | undefined {
  return /^(\d{2,})(?:@|$)/.exec(agent)?.[1];
}

/** What an agent status means for its queues: logged in or not, on break or not. */
export function agentStatus(status: string): { loggedIn: boolean; paused?: boolean } | undefined {
  switch (status) {
    case "Logged Out":
      return { loggedIn: false };
    case "Available":
    case "Available (On Demand)":
      return { loggedIn: true, paused: false };
    case "On Break":
      return { loggedIn: true, paused: true };
    default:
      return undefined;
  }
}

export class CallcenterTranslation {
  /** Callers waiting (member session uuid -> queue): the end of one that was taken says no more. */
  private readonly waiting = new Map<string, string>();

  reset(): void {
    this.waiting.clear();
  }

  /** `takenFromQueue`: whether an intercept took the waiting caller (EslIntercepts). */
  translate(
    e: EslEvent,
    base: { pbx: string; at: number },
    out: PbxEvent[],
    takenFromQueue: (caller: string) => boolean = () => false,
  ): void {
    const queue = hdr(e, "CC-Queue") ?? "";
    const member = hdr(e, "CC-Member-Session-UUID") ?? "";
    switch (hdr(e, "CC-Action")) {
      case "member-queue-start":
        if (!queue || !member) return;
        this.waiting.set(member, queue);
        out.push({ ...base, type: "queue.callerJoined", queue, leg: member });
        return;
      case "bridge-agent-start": {
        const agent = hdr(e, "CC-Agent") ?? "";
        if (!queue || !member || !agent) return;
        if (this.waiting.delete(member))
          out.push({ ...base, type: "queue.callerLeft", queue, leg: member, reason: "left" });
        const extension = agentExtension(agent);
        const agentLeg = hdr(e, "CC-Agent-UUID");
        out.push({
          ...base,
          type: "queue.answered",
          queue,
          leg: member,
          agent,
          ...(extension ? { extension } : {}),
          ...(agentLeg ? { agentLeg } : {}),
        });
        return;
      }
      case "agent-offering": {
        // An agent offered a caller of this queue is one of its logged-in members (mod_callcenter tells of
        // tiers only through `callcenter_config`: this is how events show who serves which queue).
        const agent = hdr(e, "CC-Agent") ?? "";
        if (!queue || !agent) return;
        const extension = agentExtension(agent);
        out.push({
          ...base,
          type: "queue.member",
          queue,
          agent,
          ...(extension ? { extension } : {}),
          loggedIn: true,
        });
        return;
      }
      case "member-queue-end": {
        if (!queue || !member || !this.waiting.delete(member)) return;
        // BREAK_OUT: the caller hung up while waiting; a timeout or an exit key is leaving unanswered.
        // An intercept of the waiting caller (FusionPBX's **<ext> on a ringing agent) is a BREAK_OUT too.
        const abandoned = hdr(e, "CC-Cause") === "Cancel" && hdr(e, "CC-Cancel-Reason") === "BREAK_OUT";
        const pickedUp = abandoned && takenFromQueue(member);
        out.push({
          ...base,
          type: "queue.callerLeft",
          queue,
          leg: member,
          reason: pickedUp ? "picked-up" : abandoned ? "abandoned" : "left",
        });
        return;
      }
      case "agent-status-change": {
        const agent = hdr(e, "CC-Agent") ?? "";
        const status = hdr(e, "CC-Agent-Status") ?? "";
        const meaning = agentStatus(status);
        if (!agent || !meaning) return;
        const extension = agentExtension(agent);
        out.push({
          ...base,
          type: "queue.member",
          agent,
          ...(extension ? { extension } : {}),
          ...meaning,
          ...(meaning.paused ? { pauseReason: status } : {}),
        });
        return;
      }
      default:
        // members-count, bridge-agent-fail/-end, agent-state-change, agent-add…: the
        // channels' own events already say who rings and who talks.
        return;
    }
  }
}

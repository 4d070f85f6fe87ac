// The AMI simulator's app_queue actions. The simulated PBX keeps no queues.conf: `QueuePause` takes any
// interface as a member of the queue named and reports it back the way Asterisk 22 does for a member
// (test/fixtures/queues/asterisk/34-queue-pause: Response Success, then QueueMemberPause with Paused and
// PausedReason). A test adds members with AmiSimulator.addQueueMember; QueueStatus lists what the events said
// (live-state.ts).

import type { AmiCore } from "./command-kit.js";
import type { ActionHeaders, AmiConnection } from "./connection.js";

export function queuePause(core: AmiCore, s: AmiConnection, id: string | undefined, h: ActionHeaders): void {
  const queue = h.get("queue") ?? "";
  const iface = h.get("interface") ?? "";
  if (!iface) {
    s.error(id, "Need 'Interface' and 'Paused' parameters.");
    return;
  }
  const paused = /^(true|yes|1|on)$/i.test(h.get("paused") ?? "");
  const reason = paused ? (h.get("reason") ?? "") : "";
  s.success(id, "Interface paused successfully");
  const name = /^Local\/(\d+)@/.exec(iface)?.[1];
  core.emit([
    ["Event", "QueueMemberPause"],
    ["Privilege", "agent,all"],
    ["Timestamp", (Date.now() / 1000).toFixed(6)],
    ["Queue", queue],
    ["MemberName", name ? `Member ${name}` : iface],
    ["Interface", iface],
    ["StateInterface", name ? `hint:${name}@ext-local` : iface],
    ["Membership", "static"],
    ["Penalty", "0"],
    ["Paused", paused ? "1" : "0"],
    ["PausedReason", reason],
  ]);
}

/**
 * QueueAdd / QueueRemove of a dynamic member, answered as app_queue does: `Added interface to queue`, then
 * QueueMemberAdded; `Unable to add interface: Already there`; `Removed interface from queue`, then
 * QueueMemberRemoved; `Unable to remove interface: Not there`; `Member not dynamic` for a queues.conf member.
 */
export function queueMembership(
  core: AmiCore,
  s: AmiConnection,
  id: string | undefined,
  h: ActionHeaders,
  add: boolean,
): void {
  const queue = h.get("queue") ?? "";
  const iface = h.get("interface") ?? "";
  if (!queue || !iface) {
    s.error(id, `'Queue' and 'Interface' must be given`);
    return;
  }
  const member = core.state.queues.get(queue)?.get(iface);
  const stamp = (Date.now() / 1000).toFixed(6);
  if (add) {
    if (member) {
      s.error(id, "Unable to add interface: Already there");
      return;
    }
    s.success(id, "Added interface to queue");
    core.emit([
      ["Event", "QueueMemberAdded"],
      ["Privilege", "agent,all"],
      ["Timestamp", stamp],
      ["Queue", queue],
      ["MemberName", h.get("membername") ?? iface],
      ["Interface", iface],
      ["StateInterface", h.get("stateinterface") ?? iface],
      ["Membership", "dynamic"],
      ["Penalty", "0"],
      ["Paused", /^(true|yes|1|on)$/i.test(h.get("paused") ?? "") ? "1" : "0"],
      ["PausedReason", ""],
    ]);
    return;
  }
  if (!member) {
    s.error(id, "Unable to remove interface: Not there");
    return;
  }
  if (member.membership !== "dynamic") {
    s.error(id, "Member not dynamic");
    return;
  }
  s.success(id, "Removed interface from queue");
  core.emit([
    ["Event", "QueueMemberRemoved"],
    ["Privilege", "agent,all"],
    ["Timestamp", stamp],
    ["Queue", queue],
    ["MemberName", member.name],
    ["Interface", iface],
    ["StateInterface", member.stateInterface],
    ["Membership", "dynamic"],
  ]);
}

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

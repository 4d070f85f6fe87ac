// The ESL simulator's mod_callcenter: `callcenter_config agent set status <agent> '<status>'` answers and is
// reported back as FreeSWITCH 1.11 does (test/fixtures/queues/freeswitch/32-callcenter-agent-status): +OK, then
// CUSTOM callcenter::info agent-status-change. The simulated PBX takes any agent name as an agent.

import type { EslCore } from "./command-kit.js";

const STATUSES = new Set(["Logged Out", "Available", "Available (On Demand)", "On Break"]);

export function callcenterConfig(core: EslCore, args: readonly string[]): string {
  const [object, verb, key, agent, value] = args;
  if (object !== "agent" || verb !== "set" || key !== "status" || !agent || value === undefined)
    return "-ERR Unknown Command!\n";
  if (!STATUSES.has(value)) return "-ERR Invalid Agent Status!\n";
  core.emit({
    "Event-Name": "CUSTOM",
    "Event-Subclass": "callcenter::info",
    "CC-Agent": agent,
    "CC-Action": "agent-status-change",
    "CC-Agent-Status": value,
  });
  return "+OK\n";
}

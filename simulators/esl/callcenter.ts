// The ESL simulator's mod_callcenter, answered as FreeSWITCH 1.11 does
// (test/fixtures/queues/freeswitch/32-callcenter-agent-status and the resync's control files):
//   callcenter_config agent set status <agent> '<status>'   +OK, then CUSTOM callcenter::info agent-status-change
//   callcenter_config queue list                            one queue, sales@default
//   callcenter_config queue list agents <queue>             the agents `<ext>@default` of the simulated
//                                                           extensions (contact user/<ext>@<domain>), a table
//   callcenter_config queue list members <queue>            nobody waits (the simulated PBX queues no calls)
// The simulated PBX takes any agent name as an agent and starts every extension's agent Logged Out.

import type { EslCore } from "./command-kit.js";

const STATUSES = new Set(["Logged Out", "Available", "Available (On Demand)", "On Break"]);

const agentStatuses = new WeakMap<EslCore, Map<string, string>>();

function statuses(core: EslCore): Map<string, string> {
  let known = agentStatuses.get(core);
  if (!known) {
    known = new Map(core.extensions.map((ext) => [`${ext}@default`, "Logged Out"]));
    agentStatuses.set(core, known);
  }
  return known;
}

export function callcenterConfig(core: EslCore, args: readonly string[]): string {
  const [object, verb, key, name, value] = args;
  if (object === "queue" && verb === "list") {
    if (key === undefined)
      return "name|strategy|moh_sound|time_base_score|tier_rules_apply\nsales@default|ring-all|local_stream://moh|system|false\n+OK\n";
    if (key === "agents" && name) return agentList(core);
    if (key === "members" && name)
      return "queue|instance_id|uuid|session_uuid|cid_number|cid_name|system_epoch|joined_epoch|rejoined_epoch|bridge_epoch|abandoned_epoch|base_score|skill_score|serving_agent|serving_system|state|score\n+OK\n";
  }
  if (object !== "agent" || verb !== "set" || key !== "status" || !name || value === undefined)
    return "-ERR Unknown Command!\n";
  if (!STATUSES.has(value)) return "-ERR Invalid Agent Status!\n";
  statuses(core).set(name, value);
  core.emit({
    "Event-Name": "CUSTOM",
    "Event-Subclass": "callcenter::info",
    "CC-Agent": name,
    "CC-Action": "agent-status-change",
    "CC-Agent-Status": value,
  });
  return "+OK\n";
}

function agentList(core: EslCore): string {
  const rows = [...statuses(core)].map(([agent, status]) => {
    const ext = agent.slice(0, agent.indexOf("@"));
    return `${agent}|{call_timeout=20}user/${ext}@${core.domain}|${status}|Waiting|0`;
  });
  return ["name|contact|status|state|last_status_change", ...rows, "+OK", ""].join("\n");
}

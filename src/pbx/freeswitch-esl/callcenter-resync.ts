// mod_callcenter's queues at a resync (test/fixtures/queues/freeswitch/*.control.txt show the replies):
//   callcenter_config queue list                  the queues (`name|strategy|…`, then `+OK`)
//   callcenter_config queue list agents <queue>   its agents: name, contact, status, last_status_change
//   callcenter_config queue list members <queue>  its callers: session_uuid, joined_epoch, state
// mod_callcenter reports no event when a tier is added or removed: the resync is where an agent's queues are
// learned. Every tier's agent is listed, one `Logged Out` as logged out (a login through Callsight or the
// phone makes it available); `On Break` is paused (since its last status change). Callers `Waiting` or `Trying` wait. The agent's extension comes from its contact
// (`user/1001@domain`: FusionPBX names agents by id) or its name (`1001@default`).

import type { QueueSnapshot } from "../../domain/events.js";
import type { EslConnection } from "./connection.js";
import { agentExtension, agentStatus } from "./translate-callcenter.js";

export interface CallcenterReplies {
  queues: string;
  agents: Map<string, string | undefined>;
  members: Map<string, string | undefined>;
}

const SAFE_QUEUE = /^[\w.@+-]+$/;

/** Asks for every queue's agents and callers; undefined when FreeSWITCH has no mod_callcenter loaded. */
export async function readCallcenter(
  conn: EslConnection,
  timeoutMs: number,
): Promise<CallcenterReplies | undefined> {
  const ask = (command: string) => conn.api(command, { timeoutMs }).catch(() => undefined);
  const queues = await ask("callcenter_config queue list");
  if (queues === undefined || !queues.trim().startsWith("name|")) return undefined;
  const names = table(queues).flatMap((r) => (r.name && SAFE_QUEUE.test(r.name) ? [r.name] : []));
  const agents = new Map<string, string | undefined>();
  const members = new Map<string, string | undefined>();
  await Promise.all(
    names.map(async (q) => {
      agents.set(q, await ask(`callcenter_config queue list agents ${q}`));
      members.set(q, await ask(`callcenter_config queue list members ${q}`));
    }),
  );
  return { queues, agents, members };
}

export function callcenterSnapshot(pbx: string, at: number, replies: CallcenterReplies): QueueSnapshot {
  const queues: QueueSnapshot["queues"] = [];
  for (const q of table(replies.queues)) {
    if (!q.name) continue;
    const entry: QueueSnapshot["queues"][number] = { queue: q.name, callers: [], members: [] };
    for (const a of table(replies.agents.get(q.name))) {
      const status = agentStatus(a.status ?? "");
      if (!a.name || !status) continue;
      const extension = extensionOfAgent(a);
      const since = Number.parseInt(a.last_status_change ?? "", 10);
      entry.members.push({
        agent: a.name,
        ...(extension ? { extension } : {}),
        ...(status.loggedIn ? {} : { loggedIn: false }),
        paused: status.paused === true,
        ...(status.paused ? { pauseReason: a.status as string } : {}),
        ...(status.paused && since > 0 ? { pausedSince: since * 1000 } : {}),
      });
    }
    for (const m of table(replies.members.get(q.name))) {
      if (!m.session_uuid || (m.state !== "Waiting" && m.state !== "Trying")) continue;
      const joined = Number.parseInt(m.joined_epoch ?? "", 10);
      entry.callers.push({ leg: m.session_uuid, ...(joined > 0 ? { since: joined * 1000 } : {}) });
    }
    queues.push(entry);
  }
  return { pbx, at, type: "queue.snapshot", queues };
}

/** The agent of an extension in a `queue list agents` reply (by its contact, else its name). */
export function agentOfExtension(reply: string, extension: string): string | undefined {
  for (const a of table(reply)) {
    if (!a.name) continue;
    if (extensionOfAgent(a) === extension) return a.name;
  }
  return undefined;
}

function extensionOfAgent(a: Record<string, string>): string | undefined {
  return /user\/(\d+)@/.exec(a.contact ?? "")?.[1] ?? agentExtension(a.name ?? "");
}

/** A `a|b|c` table with its header line, up to `+OK`. */
function table(body: string | undefined): Record<string, string>[] {
  if (!body) return [];
  const lines = body
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && l !== "+OK");
  const header = lines[0]?.split("|");
  if (!header || lines[0]?.startsWith("-ERR")) return [];
  return lines.slice(1).map((line) => {
    const cells = line.split("|");
    return Object.fromEntries(header.map((h, i) => [h, cells[i] ?? ""]));
  });
}

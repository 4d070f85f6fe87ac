// What AsteriskAmiDriver asks Asterisk on every (re)connect before it trusts live events. The answers go
// to buildSnapshot (resync.ts).
//   CoreShowChannels                        every channel (must answer)
//   DeviceStateList                         device states: reachability and DND
//   PresenceStateList                       presence the users set
//   ParkedCalls                             parked calls
//   Status (Variables: MIXMONITOR_FILENAME) the recordings running: MixMonitors that began (or ended)
//                                           while the link was down included
//   QueueStatus                             queues: members (paused, with reason) and waiting callers

import type { Logger } from "pino";
import { STATUS_VARIABLES } from "./resync.js";
import type { AmiListResult, AmiSession } from "./session.js";

export interface AmiResyncLists {
  channels: AmiListResult;
  /** Undefined where Asterisk could not answer (the part is resynced without). */
  devices?: AmiListResult;
  presence?: AmiListResult;
  parked?: AmiListResult;
  status?: AmiListResult;
  queues?: AmiListResult;
}

/** Reads the resync lists in parallel. Only CoreShowChannels must answer; a lost session fails it all. */
export async function readResync(
  session: AmiSession,
  o: { pbx: string; timeoutMs: number; log: Logger },
): Promise<AmiResyncLists> {
  const { timeoutMs } = o;
  const optional = async (action: string, headers: Record<string, string> = {}) => {
    try {
      return await session.list(action, headers, { timeoutMs });
    } catch (err) {
      if (session.closed) throw err;
      // Old Asterisk without res_manager_devicestate / presencestate: resync without that part.
      o.log.warn({ pbx: o.pbx, action, err: (err as Error).message }, "AMI resync list failed");
      return undefined;
    }
  };
  const [channels, devices, presence, parked, status, queues] = await Promise.all([
    session.list("CoreShowChannels", {}, { timeoutMs }),
    optional("DeviceStateList"),
    optional("PresenceStateList"),
    optional("ParkedCalls"),
    optional("Status", { Variables: STATUS_VARIABLES }),
    optional("QueueStatus"),
  ]);
  return { channels, devices, presence, parked, status, queues };
}

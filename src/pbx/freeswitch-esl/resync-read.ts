// What FreeswitchEslDriver asks FreeSWITCH on every (re)connect before it trusts live events, and what it
// remembers between sessions to complete the next snapshot. The answers go to buildEslSnapshot (resync.ts).
//   show channels as json      every leg (its reply marks where live events start to count)
//   show calls as json         A/B pairs
//   show registrations as json registered phones
//   valet_info                 parked calls
//   db list/callsight_dnd      extensions with DND on (dialplan/freeswitch/callsight.xml's *78 / *79)
//   db list/callsight_status   statuses set through Callsight, then each one's status and note (status-db.ts)
//   uuid_exists <uuid>         each channel `show channels` listed: FreeSWITCH writes its channel table
//                              through a queue, so a channel that hung up a moment ago (its CHANNEL_HANGUP
//                              gone to no one, or read before the list and dropped) can still be listed
//   uuid_buglist <uuid>        each answered channel's media bugs: the recordings running (a recording the
//                              dialplan started while Callsight was away is followed, not repaired twice)
//   uuid_getvar <spy> …        the eavesdrop mode of each spy leg running at the time

import type { Logger } from "pino";
import type { MonitoringMode } from "../../domain/directory.js";
import type { PbxEvent, PbxSnapshot } from "../../domain/events.js";
import type { EslConnection } from "./connection.js";
import { eavesdropMode } from "./eavesdrop.js";
import { DND_REALM, dndListAnswered } from "./presence.js";
import { parseRows } from "./resync.js";
import { readStatuses, type StoredStatus } from "./status-db.js";

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;

export interface ResyncReplies {
  channels: string;
  calls?: string;
  registrations?: string;
  valet?: string;
  dnd?: string;
  /** The statuses kept in the db (undefined: FreeSWITCH did not answer the list). */
  statuses?: StoredStatus[];
  /** Channels `show channels` listed that FreeSWITCH no longer has. */
  ended: Set<string>;
  /** `uuid_buglist` of each answered channel (an error text where it failed). */
  mediaBugs: Map<string, string>;
  spyModes: Map<string, MonitoringMode>;
}

/**
 * Reads everything a resync needs. Only `show channels` must answer; the others count as unanswered (and
 * are logged) when FreeSWITCH refuses them. `onChannelsReply` runs when the channel list arrives: live
 * events from then on are not in it and must be replayed on top of the snapshot.
 */
export async function readResync(
  conn: EslConnection,
  o: { pbx: string; timeoutMs: number; log: Logger; onChannelsReply: () => void },
): Promise<ResyncReplies> {
  const timeoutMs = o.timeoutMs;
  const optional = (command: string) =>
    conn.api(command, { timeoutMs }).catch((err: Error) => {
      if (conn.closed) throw err;
      o.log.warn({ pbx: o.pbx, command, err: err.message }, "ESL resync command failed");
      return undefined;
    });
  const channelsP = conn.api("show channels as json", { timeoutMs, onReply: o.onChannelsReply });
  const [channels, calls, registrations, valet, dnd, statuses] = await Promise.all([
    channelsP,
    optional("show calls as json"),
    optional("show registrations as json"),
    optional("valet_info"),
    optional(`db list/${DND_REALM}`),
    readStatuses(conn, timeoutMs),
  ]);
  const ended = await endedChannels(conn, channels, timeoutMs);
  const spyModes = await readSpyModes(conn, channels, ended, timeoutMs);
  const mediaBugs = await readMediaBugs(conn, channels, ended, timeoutMs);
  return {
    channels,
    ended,
    mediaBugs,
    spyModes,
    ...(calls !== undefined ? { calls } : {}),
    ...(registrations !== undefined ? { registrations } : {}),
    ...(valet !== undefined ? { valet } : {}),
    ...(dnd !== undefined ? { dnd } : {}),
    ...(statuses !== undefined ? { statuses } : {}),
  };
}

/** The listed channels the switch says are gone (`uuid_exists` false; no answer counts as there). */
async function endedChannels(conn: EslConnection, channels: string, timeoutMs: number): Promise<Set<string>> {
  const uuids = parseRows(channels, "show channels", []).flatMap((r) =>
    r.uuid && SAFE_ID.test(r.uuid) ? [r.uuid] : [],
  );
  const exists = await Promise.all(
    uuids.map((uuid) => conn.api(`uuid_exists ${uuid}`, { timeoutMs }).catch(() => "true")),
  );
  return new Set(uuids.filter((_, i) => exists[i]?.trim() === "false"));
}

const ANSWERED = new Set(["ACTIVE", "HELD", "UNHELD"]);

/** The media bugs of each answered channel (recordings start on answer). */
async function readMediaBugs(
  conn: EslConnection,
  channels: string,
  ended: ReadonlySet<string>,
  timeoutMs: number,
): Promise<Map<string, string>> {
  const uuids = parseRows(channels, "show channels", []).flatMap((r) =>
    r.uuid && SAFE_ID.test(r.uuid) && !ended.has(r.uuid) && ANSWERED.has(r.callstate ?? "") ? [r.uuid] : [],
  );
  const bugs = await Promise.all(
    uuids.map((uuid) =>
      conn.api(`uuid_buglist ${uuid}`, { timeoutMs }).catch((err: Error) => `-ERR ${err.message}`),
    ),
  );
  return new Map(uuids.map((uuid, i) => [uuid, bugs[i] ?? ""]));
}

/** The mode of eavesdrops running at resync time is only in the spy legs' variables. */
async function readSpyModes(
  conn: EslConnection,
  channels: string,
  ended: ReadonlySet<string>,
  timeoutMs: number,
): Promise<Map<string, MonitoringMode>> {
  const modes = new Map<string, MonitoringMode>();
  const spies = parseRows(channels, "show channels", []).filter(
    (r) => r.application === "eavesdrop" && r.uuid,
  );
  for (const row of spies) {
    const uuid = row.uuid as string;
    if (!SAFE_ID.test(uuid) || ended.has(uuid)) continue;
    const get = (v: string) => conn.api(`uuid_getvar ${uuid} ${v}`, { timeoutMs }).catch(() => "");
    const [a, b] = await Promise.all([get("eavesdrop_whisper_aleg"), get("eavesdrop_whisper_bleg")]);
    modes.set(uuid, eavesdropMode(a.trim(), b.trim()));
  }
  return modes;
}

/**
 * What the driver last delivered about phones and DND. A snapshot only lists what is there now: the phones
 * that were registered and the DNDs that were on before, and are gone from its lists (they went while
 * Callsight was away), are added to it as unreachable / off.
 */
export class DeliveredPresence {
  private readonly registered = new Set<string>();
  private readonly dndOn = new Set<string>();

  observe(e: PbxEvent): void {
    if (e.type === "device.reachability") {
      if (e.reachable) this.registered.add(e.endpoint);
      else this.registered.delete(e.endpoint);
    } else if (e.type === "presence.dnd") {
      if (e.on) this.dndOn.add(e.extension);
      else this.dndOn.delete(e.extension);
    }
  }

  /** Adds what went away to `snapshot` (only from lists FreeSWITCH answered) and remembers the new lists. */
  complete(
    snapshot: PbxSnapshot,
    replies: Pick<ResyncReplies, "registrations" | "dnd">,
    registeredNow: Iterable<string>,
  ): void {
    if (replies.registrations !== undefined && !replies.registrations.trim().startsWith("-ERR")) {
      const now = new Set(registeredNow);
      for (const endpoint of this.registered)
        if (!now.has(endpoint)) snapshot.reachability.push({ endpoint, reachable: false });
      this.registered.clear();
      for (const endpoint of now) this.registered.add(endpoint);
    }
    if (dndListAnswered(replies.dnd)) {
      const now = new Set(snapshot.dnd.filter((d) => d.on).map((d) => d.extension));
      for (const extension of this.dndOn)
        if (!now.has(extension)) snapshot.dnd.push({ extension, on: false });
      this.dndOn.clear();
      for (const extension of now) this.dndOn.add(extension);
    }
  }
}

// A user's chosen status on FreeSWITCH, which has no presence store of its own that the dialplan and the
// phones share: Callsight keeps it in the db (mod_db) next to the DND switch the feature codes keep, and
// announces it the way the feature codes and the phones do.
//   db callsight_dnd/<ext>          = on while in DND (as `*78` / `*79` of dialplan/freeswitch/callsight.xml)
//   db callsight_status/<ext>       = away | dnd | available with a note (gone when available without one,
//                                     so a resync reads only the statuses that say something)
//   db callsight_status_note/<ext>  = the note, URL-encoded (gone when there is none)
//   CUSTOM callsight::dnd           callsight-extension, callsight-dnd: on | off (as the feature codes)
//   PRESENCE_IN                     proto sip, from <ext>@<domain>, rpid, status (the note): mod_sofia
//                                   tells the phones subscribed to the extension (their lamps); the
//                                   headers callsight-status / callsight-note say it is Callsight's
// The driver reads the two events back like any other (presence.ts): DND from callsight::dnd, away and the
// note from the PRESENCE_IN; and at a resync the db (`db list/callsight_status`, then each key).

import type { PbxSnapshot } from "../../domain/events.js";
import type { StatusRequest, UserStatus } from "../driver.js";
import type { EslConnection } from "./connection.js";
import {
  DND_EXTENSION_HEADER,
  DND_REALM,
  DND_STATE_HEADER,
  DND_SUBCLASS,
  STATUS_HEADER,
  STATUS_NOTE_HEADER,
} from "./presence.js";

export const STATUS_REALM = "callsight_status";
export const STATUS_NOTE_REALM = "callsight_status_note";

/** An extension usable as a db key and in `from` (the db api splits on `/`, the command line on spaces). */
const SAFE_KEY = /^[A-Za-z0-9_.+*#-]+$/;

export function usableStatusKey(extension: string): boolean {
  return SAFE_KEY.test(extension);
}

/**
 * The note as a db value: percent-encoded, also `! ' ( ) * ~`, so it holds no `/` (the db api's separator),
 * no quote or space (its argument parser's), and no line break (the event socket's).
 */
export function encodeNote(note: string): string {
  return encodeURIComponent(note).replace(
    /[!'()*~]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

export function decodeNote(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** A header value on one line: control characters (line breaks) become spaces. */
function oneLine(text: string): string {
  return text.replace(/\p{Cc}+/gu, " ").trim();
}

/** The db commands that keep a status, in order: DND first (what the dialplan checks before a bridge). */
export function statusDbCommands(req: StatusRequest): string[] {
  const ext = req.extension;
  const plain = req.status === "available" && !req.note;
  return [
    req.status === "dnd" ? `db insert/${DND_REALM}/${ext}/on` : `db delete/${DND_REALM}/${ext}`,
    plain ? `db delete/${STATUS_REALM}/${ext}` : `db insert/${STATUS_REALM}/${ext}/${req.status}`,
    req.note
      ? `db insert/${STATUS_NOTE_REALM}/${ext}/${encodeNote(req.note)}`
      : `db delete/${STATUS_NOTE_REALM}/${ext}`,
  ];
}

/** The `rpid` and `status` a phone shows for the status (PIDF activity and note). */
const PRESENCE_TEXT: Record<UserStatus, { rpid: string; text: string }> = {
  available: { rpid: "available", text: "Available" },
  away: { rpid: "away", text: "Away" },
  dnd: { rpid: "dnd", text: "Do not disturb" },
};

/** The two events, each as `sendevent` name and headers, in the order they go out. */
export function statusEvents(
  req: StatusRequest,
  domain: string,
): { name: string; headers: [string, string][] }[] {
  const ext = req.extension;
  const note = req.note ? oneLine(req.note) : "";
  const p = PRESENCE_TEXT[req.status];
  const dnd = {
    name: "CUSTOM",
    headers: [
      ["Event-Subclass", DND_SUBCLASS],
      [DND_EXTENSION_HEADER, ext],
      [DND_STATE_HEADER, req.status === "dnd" ? "on" : "off"],
    ] as [string, string][],
  };
  const presence = {
    name: "PRESENCE_IN",
    headers: [
      ["proto", "sip"],
      ["from", `${ext}@${domain}`],
      ["login", `${ext}@${domain}`],
      ["rpid", p.rpid],
      ["status", note || p.text],
      ["event_type", "presence"],
      ["alt_event_type", "dialog"],
      ["event_count", "1"],
      [STATUS_HEADER, req.status],
      ...(note ? ([[STATUS_NOTE_HEADER, note]] as [string, string][]) : []),
    ] as [string, string][],
  };
  // The switch that raises the status goes first, so the board never passes through `available` between two.
  return req.status === "dnd" ? [dnd, presence] : [presence, dnd];
}

export interface StoredStatus {
  extension: string;
  status: UserStatus;
  note?: string;
}

/**
 * The statuses kept in the db, for a resync: `db list/callsight_status`, then each extension's status and
 * note. Undefined when FreeSWITCH does not answer the list (no mod_db): the snapshot then says nothing.
 */
export async function readStatuses(
  conn: Pick<EslConnection, "api">,
  timeoutMs: number,
): Promise<StoredStatus[] | undefined> {
  const list = await conn.api(`db list/${STATUS_REALM}`, { timeoutMs }).catch(() => undefined);
  if (list === undefined) return undefined;
  const text = list.trim();
  if (text.startsWith("-")) return text === "-ERR no reply" ? [] : undefined;
  const out: StoredStatus[] = [];
  for (const extension of text.split(",").map((s) => s.trim())) {
    if (!usableStatusKey(extension)) continue;
    const [status, note] = await Promise.all([
      conn.api(`db select/${STATUS_REALM}/${extension}`, { timeoutMs }).catch(() => ""),
      conn.api(`db select/${STATUS_NOTE_REALM}/${extension}`, { timeoutMs }).catch(() => ""),
    ]);
    const s = status.trim();
    if (s !== "available" && s !== "away" && s !== "dnd") continue;
    const n = note.trim();
    out.push({ extension, status: s, ...(n && !n.startsWith("-ERR") ? { note: decodeNote(n) } : {}) });
  }
  return out;
}

/**
 * The chosen presence a kept status stands for. DND is the db's DND switch (listed on its own), so a
 * status `dnd` is reported as `available` with its note: `*79` on the phone then ends it, as on Asterisk.
 */
export function snapshotPresence(statuses: readonly StoredStatus[]): PbxSnapshot["presence"] {
  return statuses.map((s) => ({
    extension: s.extension,
    state: s.status === "away" ? "away" : "available",
    ...(s.note ? { message: s.note } : {}),
  }));
}

// Who can be reached and what users chose, from FreeSWITCH's events (EslTranslator hands them here):
// - registrations (CUSTOM sofia::register / unregister / expire) make a phone's endpoint reachable or not;
// - presence a phone published (PRESENCE_IN with proto `sip`) is the user's chosen presence;
// - do-not-disturb from the feature codes of dialplan/freeswitch/callsight.xml (*78 / *79), a CUSTOM
//   `callsight::dnd` event, is the user's DND switch.
//
// What the live FreeSWITCH 1.11 showed about registrations (test/live/freeswitch-esl.live.test.ts): without
// `multiple-registrations` (the default) it keeps one registration per phone. A phone that registers again
// under a new Call-ID (it rebooted) replaces its registration, and its unregister (Expires: 0) ends it
// whatever Call-ID it carries. So a registration is known by its Call-ID *and* the contact it came from:
// the same contact again replaces it, an unregister from that contact ends it. An expiry names the
// registration that lapsed (its Call-ID): a phone's newer registration from the same contact stays.

import type { PbxEvent, PresenceStateChanged } from "../../domain/events.js";
import { type EslEvent, hdr } from "./frame-parser.js";

/** The CUSTOM subclass the dialplan's DND feature codes fire (`event` application, channel headers included). */
export const DND_SUBCLASS = "callsight::dnd";
/** The extension whose DND changed, and `on` / `off`: headers of the callsight::dnd event. */
export const DND_EXTENSION_HEADER = "callsight-extension";
export const DND_STATE_HEADER = "callsight-dnd";
/** The db realm the feature codes keep DND in (`callsight_dnd/<extension>` = on), listed at a resync. */
export const DND_REALM = "callsight_dnd";
/**
 * Headers of the PRESENCE_IN Callsight fires when a user's status is set (status-db.ts): the status as
 * chosen (`available`, `away`, `dnd`) and the note. They say exactly what was chosen, whatever the rpid and
 * the status text (what the phones show) would otherwise be read as.
 */
export const STATUS_HEADER = "callsight-status";
export const STATUS_NOTE_HEADER = "callsight-note";

/** One registration of an endpoint: its SIP Call-ID and the phone's contact address (`host:port`). */
export interface RegistrationEntry {
  token: string;
  device?: string;
}

/** `"" <sip:1006@127.0.0.1:32781;transport=UDP>` or `sofia/internal/sip:1006@127.0.0.1:32781;…` -> `127.0.0.1:32781`. */
export function registrationDevice(contact: string | undefined): string | undefined {
  if (!contact) return undefined;
  const m = /sips?:([^;>\s"]+)/i.exec(contact);
  const address = m?.[1] ?? contact.trim();
  const at = address.lastIndexOf("@");
  const device = (at >= 0 ? address.slice(at + 1) : address).toLowerCase();
  return device || undefined;
}

/**
 * User-chosen presence from a PRESENCE_IN a phone published (rpid is the PIDF activity, status its
 * note). Line states (`on-the-phone`, FreeSWITCH's own "Registered"/"CS_ROUTING" notes) are not a
 * choice and give undefined: the model derives line state from the legs.
 */
export function userPresence(rpid: string, status: string): PresenceStateChanged["state"] | undefined {
  const r = rpid.toLowerCase();
  const s = status.toLowerCase().trim();
  if (r === "dnd" || r === "busy" || /\b(dnd|do not disturb)\b/.test(s)) return "dnd";
  if (
    [
      "away",
      "vacation",
      "holiday",
      "appointment",
      "meeting",
      "steppedout",
      "lunch",
      "breakfast",
      "dinner",
      "travel",
      "xa",
      "extended-away",
      "idle",
    ].includes(r) ||
    /^(away|be right back|brb|out to lunch|extended away|in a meeting)\b/.test(s)
  )
    return "away";
  if (r === "unavailable" || /^(unavailable|offline|closed)\b/.test(s)) return "unavailable";
  if (/^(available|online|open|ready)\b/.test(s) || r === "available" || r === "open") return "available";
  return undefined;
}

/**
 * Whether FreeSWITCH answered `db list/callsight_dnd`: a list, or nothing at all for an empty realm (the
 * event socket says "-ERR no reply" for an api that wrote nothing). Not when mod_db is missing.
 */
export function dndListAnswered(body: string | undefined): body is string {
  if (body === undefined) return false;
  const text = body.trim();
  return !text.startsWith("-") || text === "-ERR no reply";
}

/** `db list/callsight_dnd` (`1005,1002`; nothing when no one has DND on) -> the extensions with DND on. */
export function parseDndList(body: string | undefined, problems: string[]): string[] {
  if (body === undefined) return [];
  const text = body.trim();
  if (!dndListAnswered(body)) {
    problems.push(`db list/${DND_REALM}: ${text.split("\n")[0]}`);
    return [];
  }
  if (text.startsWith("-")) return [];
  return text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/** `sip:1001@example.com` or `1001@example.com` -> `1001`. */
function userOf(from: string): string {
  const user = from.startsWith("sip:") ? from.slice(4) : from;
  const atSign = user.indexOf("@");
  return atSign >= 0 ? user.slice(0, atSign) : user;
}

export class EslPresence {
  /** Endpoint -> its registrations, by Call-ID. */
  private readonly registrations = new Map<string, Map<string, RegistrationEntry>>();
  private readonly reachable = new Map<string, boolean>();

  constructor(
    private readonly pbx: string,
    /** Counts a presence event that says nothing Callsight reads. */
    private readonly ignored: () => void,
  ) {}

  reset(): void {
    this.registrations.clear();
    this.reachable.clear();
  }

  seed(
    reachability: readonly { endpoint: string; reachable: boolean }[],
    registrations: ReadonlyMap<string, readonly RegistrationEntry[]> = new Map(),
  ): void {
    for (const r of reachability) this.reachable.set(r.endpoint, r.reachable);
    for (const [endpoint, entries] of registrations)
      this.registrations.set(endpoint, new Map(entries.map((r) => [r.token, r])));
  }

  /** Handles a CUSTOM event; false when it is not one of presence's. */
  custom(sub: string, e: EslEvent, at: number, out: PbxEvent[]): boolean {
    if (sub === DND_SUBCLASS) {
      this.dnd(e, at, out);
      return true;
    }
    if (sub !== "sofia::register" && sub !== "sofia::unregister" && sub !== "sofia::expire") return false;
    const profile = hdr(e, "profile-name") ?? "internal";
    const user = hdr(e, "from-user") ?? hdr(e, "user") ?? hdr(e, "username");
    if (!user) return true;
    const endpoint = `sofia/${profile}/${user}`;
    const token = hdr(e, "call-id") ?? "";
    const device = registrationDevice(hdr(e, "contact"));
    let entries = this.registrations.get(endpoint);
    if (sub === "sofia::register") {
      if (!entries) {
        entries = new Map();
        this.registrations.set(endpoint, entries);
      }
      // The same phone registering again (a new Call-ID after a reboot) replaces its registration.
      if (device) for (const [t, r] of entries) if (r.device === device) entries.delete(t);
      entries.set(token, device ? { token, device } : { token });
    } else if (entries) {
      if (token) entries.delete(token);
      // An unregister ends the phone's registration whatever its Call-ID; an expiry only the one it names.
      if (device && (sub === "sofia::unregister" || !token))
        for (const [t, r] of entries) if (r.device === device) entries.delete(t);
      if (!token && !device) entries.clear();
    }
    this.setReachable(endpoint, (entries?.size ?? 0) > 0, at, out);
    return true;
  }

  /** A presence a phone published (PRESENCE_IN without a channel, proto `sip`). */
  presence(e: EslEvent, at: number, out: PbxEvent[]): void {
    if (hdr(e, STATUS_HEADER) !== undefined) {
      this.chosenStatus(e, at, out);
      return;
    }
    // Channel presence (a phone's line state, `proto: any`) and parking-lot presence (`proto: park`) are
    // derived from legs and valet events; only a presence a user published says what they chose.
    const proto = hdr(e, "proto") ?? "";
    if (hdr(e, "Unique-ID") !== undefined || proto === "park" || proto === "any" || proto === "conf") {
      this.ignored();
      return;
    }
    const user = userOf(hdr(e, "from") ?? hdr(e, "login") ?? "");
    const status = hdr(e, "status") ?? "";
    const state = userPresence(hdr(e, "rpid") ?? "", status);
    if (!user || !state) {
      this.ignored();
      return;
    }
    const message = status && status.toLowerCase() !== state ? status : "";
    out.push({
      pbx: this.pbx,
      at,
      type: "presence.state",
      extension: user,
      state,
      ...(message ? { message } : {}),
    });
  }

  /**
   * A status Callsight set (its PRESENCE_IN, status-db.ts). DND is the DND switch, reported by the
   * callsight::dnd event that goes with it, so a status `dnd` is the chosen presence `available` with its
   * note: `*79` on the phone then ends it, as it does on Asterisk.
   */
  private chosenStatus(e: EslEvent, at: number, out: PbxEvent[]): void {
    const status = hdr(e, STATUS_HEADER)?.trim().toLowerCase();
    const extension = userOf(hdr(e, "from") ?? hdr(e, "login") ?? "");
    if (!extension || (status !== "available" && status !== "away" && status !== "dnd")) {
      this.ignored();
      return;
    }
    const message = hdr(e, STATUS_NOTE_HEADER)?.trim() ?? "";
    out.push({
      pbx: this.pbx,
      at,
      type: "presence.state",
      extension,
      state: status === "away" ? "away" : "available",
      ...(message ? { message } : {}),
    });
  }

  private dnd(e: EslEvent, at: number, out: PbxEvent[]): void {
    const extension = hdr(e, DND_EXTENSION_HEADER)?.trim();
    const state = hdr(e, DND_STATE_HEADER)?.trim().toLowerCase();
    if (!extension || (state !== "on" && state !== "off")) {
      this.ignored();
      return;
    }
    out.push({ pbx: this.pbx, at, type: "presence.dnd", extension, on: state === "on" });
  }

  private setReachable(endpoint: string, reachable: boolean, at: number, out: PbxEvent[]): void {
    if (this.reachable.get(endpoint) === reachable) return;
    this.reachable.set(endpoint, reachable);
    out.push({ pbx: this.pbx, at, type: "device.reachability", endpoint, reachable });
  }
}

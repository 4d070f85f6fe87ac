// The ESL events and applications Callsight reads: the `event json` subscription, how a connection skips
// the rest unparsed, and when an event happened.

import { type EslEvent, hdr } from "./frame-parser.js";
import { DND_SUBCLASS } from "./presence.js";
import { CALLCENTER_SUBCLASS } from "./translate-callcenter.js";

/**
 * The `event json` subscription. Not `ALL`: on the captured traces `ALL` is 1,017 events for 14
 * calls, and CHANNEL_STATE, CODEC, CALL_UPDATE, API, RE_SCHEDULE, PLAYBACK_*, MEDIA_BUG_* and
 * CHANNEL_HANGUP_COMPLETE/DESTROY (the two largest events, every channel variable) carry nothing the
 * translation reads. Each entry is here because translate.ts reads it:
 */
export const ESL_EVENTS: readonly string[] = [
  "CHANNEL_CREATE", //       a leg appears: endpoint, direction, caller id, the call it belongs to
  "CHANNEL_PROGRESS", //     a leg FreeSWITCH created towards a phone rings…
  "CHANNEL_PROGRESS_MEDIA", // …or rings with early media
  "CHANNEL_ANSWER", //       answered
  "CHANNEL_BRIDGE", //       two legs talk (once per bridge, names both legs); merges their calls
  "CHANNEL_UNBRIDGE", //     they stop; also carries Caller-Transfer-Source after uuid_transfer
  "CHANNEL_CALLSTATE", //    RINGING/EARLY/ACTIVE/HELD/UNHELD as a fallback for the events above
  "CHANNEL_HOLD", //         uuid_hold / a phone's hold
  "CHANNEL_UNHOLD",
  "CHANNEL_HANGUP", //       the leg is gone, with its cause (PICKED_OFF ends an intercepted leg)
  "CHANNEL_EXECUTE", //      eavesdrop/three_way (monitoring + mode), intercept, valet_park (retriever)
  "CHANNEL_EXECUTE_COMPLETE", // eavesdrop ended while the spy leg stays up
  "RECORD_START", //         uuid_record / record_session started, with Record-File-Path
  "RECORD_STOP",
  "PRESENCE_IN", //          presence a phone published (rpid/status -> away, dnd, available)
  "HEARTBEAT", //            keep-alive: FreeSWITCH sends one every 20 s
  "BACKGROUND_JOB", //       bgapi results (originate for monitor/pickup/parked pickup)
  "CUSTOM",
  "sofia::register", //      device reachability
  "sofia::unregister",
  "sofia::expire",
  "valet_parking::info", //  parked (hold), retrieved (bridge), gave up (exit)
  DND_SUBCLASS, //           DND on / off from the dialplan's feature codes (*78 / *79, callsight.xml)
  CALLCENTER_SUBCLASS, //    queues (mod_callcenter): callers waiting, taken, abandoned; agents' status
];

/** Events Callsight reads nothing from. They are expected and not counted as unknown. */
export const IGNORED_EVENTS: ReadonlySet<string> = new Set([
  "CHANNEL_STATE",
  "CODEC",
  "CALL_UPDATE",
  "API",
  "HEARTBEAT",
  "RE_SCHEDULE",
  "BACKGROUND_JOB",
  "PLAYBACK_START",
  "PLAYBACK_STOP",
  "MEDIA_BUG_START",
  "MEDIA_BUG_STOP",
  "CHANNEL_PARK",
  "CHANNEL_UNPARK",
  "CHANNEL_APPLICATION",
  "CHANNEL_DATA",
  "CHANNEL_UUID",
  "DTMF",
  "PRESENCE_OUT",
  "PRESENCE_PROBE",
  "MESSAGE_WAITING",
  "MESSAGE_QUERY",
  "ROSTER",
  "SESSION_HEARTBEAT",
  "DEVICE_STATE",
  "CALL_SECURE",
  "CALL_SETUP_REQ",
  "CALL_DETAIL",
  "RECV_RTCP_MESSAGE",
  "RECV_INFO",
  "SEND_INFO",
  "RELOADXML",
  "MODULE_LOAD",
  "MODULE_UNLOAD",
  "STARTUP",
  "SHUTDOWN",
  "TALK",
  "NOTALK",
  "LOG",
]);

/** Applications whose CHANNEL_EXECUTE(_COMPLETE) translate() reads; `set`, `bridge`, `answer`… carry nothing new. */
export const APPLICATIONS_READ: ReadonlySet<string> = new Set([
  "eavesdrop",
  "three_way",
  "intercept",
  "valet_park",
]);

/**
 * Events translate() would read nothing from, told from the raw JSON body without parsing it: the
 * CHANNEL_EXECUTE(_COMPLETE) of other applications (a third of a call's subscribed events, the legs are
 * known from CHANNEL_CREATE and transfers show on CHANNEL_UNBRIDGE/CALLSTATE too) and a channel's own
 * PRESENCE_IN (it has a Unique-ID; line state comes from the legs). test/esl/golden.test.ts checks that
 * every trace translates to the same events with and without this.
 */
export function skipUnparsed(name: string, body: Buffer): boolean {
  if (name === "CHANNEL_EXECUTE" || name === "CHANNEL_EXECUTE_COMPLETE") {
    const i = body.indexOf('"Application":"', 0, "latin1");
    if (i < 0) return false;
    const start = i + 15;
    const end = body.indexOf(0x22, start);
    return end > start && !APPLICATIONS_READ.has(body.toString("latin1", start, end));
  }
  if (name === "PRESENCE_IN") return body.indexOf('"Unique-ID":"', 0, "latin1") >= 0;
  return false;
}

/** Lets a connection skip, unparsed, the event bodies translate() would ignore. */
export const ESL_EVENT_INTEREST = { ignore: IGNORED_EVENTS, skip: skipUnparsed };

/** `Event-Date-Timestamp` (µs since epoch) in ms. */
export function timestampOf(e: EslEvent): number | undefined {
  const ts = hdr(e, "Event-Date-Timestamp");
  if (ts === undefined) return undefined;
  const micros = Number(ts);
  return Number.isFinite(micros) && micros > 0 ? Math.floor(micros / 1000) : undefined;
}

// The ESL events and applications Callsight reads, how a connection skips the rest unparsed, and when
// an event happened.

import { type EslEvent, hdr } from "./frame-parser.js";

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

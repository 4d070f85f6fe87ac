// The AMI Filter expressions a session sends after login, so that Asterisk only sends the events
// translate.ts reads: a whitelist (the default), a blacklist, none, or an operator's own list.

import { AMI_QUEUE_EVENTS } from "./translate-queues.js";

/**
 * Positive (whitelist) filters: only what translate.ts reads reaches the session. Asterisk matches
 * each filter as a regular expression against the whole event text, so `Variable: MIXMONITOR_FILENAME`
 * keeps exactly the VarSet events that name a recording file and `Application: ChanSpy` keeps the
 * Newexten of a dialled ChanSpy (its options carry the listen/whisper/barge mode). `!Event: HangupRequest`
 * removes what `Event: Hangup` would otherwise let through. List items and responses are never filtered.
 *
 * Measured on the captured traces (test/fixtures/asterisk, 19 scenarios, 5,433 events, 2.53 MB;
 * test/ami/filters.test.ts proves every scenario still translates to the same normalized events):
 *   whitelist (this list)  -79.8 % events, -79.7 % bytes  (01 internal call: 83 -> 18 events, -80 % bytes)
 *   AMI_BLACKLIST_FILTERS  -73.9 % events, -73.9 % bytes  (loses only the recording file name)
 *   `!Event: VarSet` alone -60.6 % events, -61.7 % bytes
 */
export const AMI_WHITELIST_FILTERS: readonly string[] = [
  "Event: Newchannel",
  "Event: Newstate",
  "Event: NewCallerid",
  "Event: DialBegin",
  "Event: DialEnd",
  "Event: BridgeEnter",
  "Event: BridgeLeave",
  "Event: Hold",
  "Event: Unhold",
  "Event: Hangup",
  "Event: ParkedCall",
  "Event: UnParkedCall",
  "Event: Pickup",
  "Event: BlindTransfer",
  "Event: AttendedTransfer",
  "Event: OriginateResponse",
  "Event: ChanSpyStart",
  "Event: ChanSpyStop",
  "Event: MixMonitorStart",
  "Event: MixMonitorStop",
  "Event: DeviceStateChange",
  "Event: PeerStatus",
  "Event: PresenceStateChange",
  ...AMI_QUEUE_EVENTS.map((name) => `Event: ${name}`),
  "Variable: MIXMONITOR_FILENAME",
  "Application: ChanSpy",
  "!Event: HangupRequest",
];

/**
 * Negative (blacklist) filters: drop the noisiest events translate.ts ignores. Loses the recording
 * file name (VarSet MIXMONITOR_FILENAME) but keeps every event type nobody listed.
 */
export const AMI_BLACKLIST_FILTERS: readonly string[] = [
  "!Event: VarSet",
  "!Event: Cdr",
  "!Event: CEL",
  "!Event: RTCPSent",
  "!Event: RTCPReceived",
  "!Event: NewConnectedLine",
  "!Event: DialState",
  "!Event: HangupRequest",
  "!Event: SoftHangupRequest",
  "!Event: BridgeCreate",
  "!Event: BridgeDestroy",
  "!Event: ExtensionStatus",
  "!Event: PresenceStatus",
  "!Event: DTMFBegin",
  "!Event: DTMFEnd",
];

/** The driver's `filters` option: a named list or an explicit list of Filter expressions. */
export type AmiFilterSetting = "whitelist" | "blacklist" | "none" | readonly string[];

/** The Filter expressions a setting stands for. */
export function filterList(setting: AmiFilterSetting = "whitelist"): readonly string[] {
  if (setting === "whitelist") return AMI_WHITELIST_FILTERS;
  if (setting === "blacklist") return AMI_BLACKLIST_FILTERS;
  if (setting === "none") return [];
  return setting;
}

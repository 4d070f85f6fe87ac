// FreeSWITCH hangup causes: their Q.850 numbers, and what they say about a dial that ended unanswered.

import type { DialEnded } from "../../domain/events.js";

/**
 * FreeSWITCH cause names -> Q.850 numbers (fs:src/switch_channel.c CAUSE_CHART). FreeSWITCH's own
 * causes above 127 get the number Asterisk reports for the same situation, so that both PBXes give
 * the model the same hangups: a cancelled call is 127 on Asterisk (trace 02), a ringing leg picked up
 * elsewhere 26 "Answered elsewhere" (trace 09).
 */
export const HANGUP_CAUSES: Readonly<Record<string, number>> = {
  UNSPECIFIED: 0,
  UNALLOCATED_NUMBER: 1,
  NO_ROUTE_TRANSIT_NET: 2,
  NO_ROUTE_DESTINATION: 3,
  CHANNEL_UNACCEPTABLE: 6,
  CALL_AWARDED_DELIVERED: 7,
  NORMAL_CLEARING: 16,
  USER_BUSY: 17,
  NO_USER_RESPONSE: 18,
  NO_ANSWER: 19,
  SUBSCRIBER_ABSENT: 20,
  CALL_REJECTED: 21,
  NUMBER_CHANGED: 22,
  REDIRECTION_TO_NEW_DESTINATION: 23,
  EXCHANGE_ROUTING_ERROR: 25,
  DESTINATION_OUT_OF_ORDER: 27,
  INVALID_NUMBER_FORMAT: 28,
  FACILITY_REJECTED: 29,
  RESPONSE_TO_STATUS_ENQUIRY: 30,
  NORMAL_UNSPECIFIED: 31,
  NORMAL_CIRCUIT_CONGESTION: 34,
  NETWORK_OUT_OF_ORDER: 38,
  NORMAL_TEMPORARY_FAILURE: 41,
  SWITCH_CONGESTION: 42,
  ACCESS_INFO_DISCARDED: 43,
  REQUESTED_CHAN_UNAVAIL: 44,
  PRE_EMPTED: 45,
  FACILITY_NOT_SUBSCRIBED: 50,
  OUTGOING_CALL_BARRED: 52,
  INCOMING_CALL_BARRED: 54,
  BEARERCAPABILITY_NOTAUTH: 57,
  BEARERCAPABILITY_NOTAVAIL: 58,
  SERVICE_UNAVAILABLE: 63,
  BEARERCAPABILITY_NOTIMPL: 65,
  CHAN_NOT_IMPLEMENTED: 66,
  FACILITY_NOT_IMPLEMENTED: 69,
  SERVICE_NOT_IMPLEMENTED: 79,
  INVALID_CALL_REFERENCE: 81,
  INCOMPATIBLE_DESTINATION: 88,
  INVALID_MSG_UNSPECIFIED: 95,
  MANDATORY_IE_MISSING: 96,
  MESSAGE_TYPE_NONEXIST: 97,
  WRONG_MESSAGE: 98,
  IE_NONEXIST: 99,
  INVALID_IE_CONTENTS: 100,
  WRONG_CALL_STATE: 101,
  RECOVERY_ON_TIMER_EXPIRE: 102,
  MANDATORY_IE_LENGTH_ERROR: 103,
  PROTOCOL_ERROR: 111,
  INTERWORKING: 127,
  // FreeSWITCH-only causes, as Asterisk numbers the same situation.
  ORIGINATOR_CANCEL: 127,
  PICKED_OFF: 26,
  LOSE_RACE: 26,
  MANAGER_REQUEST: 16,
  BLIND_TRANSFER: 16,
  ATTENDED_TRANSFER: 16,
  SUCCESS: 16,
  ALLOTTED_TIMEOUT: 102,
  PROGRESS_TIMEOUT: 102,
  NO_PICKUP: 19,
  USER_CHALLENGE: 21,
  USER_NOT_REGISTERED: 20,
  MEDIA_TIMEOUT: 41,
  GATEWAY_DOWN: 38,
  SYSTEM_SHUTDOWN: 41,
  CRASH: 41,
};

export function hangupCause(name: string, q850?: string): number {
  const known = Object.hasOwn(HANGUP_CAUSES, name) ? HANGUP_CAUSES[name] : undefined;
  if (known !== undefined) return known;
  const n = q850 === undefined ? Number.NaN : Number.parseInt(q850, 10);
  return Number.isFinite(n) && n >= 0 && n <= 127 ? n : 0;
}

/** How an unanswered originated leg's hangup cause ends its dial. */
export function dialStatus(cause: string): DialEnded["status"] {
  switch (cause) {
    case "USER_BUSY":
      return "busy";
    case "ORIGINATOR_CANCEL":
    case "PICKED_OFF":
    case "LOSE_RACE":
      return "cancelled";
    case "NO_ANSWER":
    case "NO_USER_RESPONSE":
    case "ALLOTTED_TIMEOUT":
    case "PROGRESS_TIMEOUT":
      return "no-answer";
    case "SUBSCRIBER_ABSENT":
    case "USER_NOT_REGISTERED":
    case "DESTINATION_OUT_OF_ORDER":
    case "UNALLOCATED_NUMBER":
      return "unavailable";
    case "NORMAL_CIRCUIT_CONGESTION":
    case "SWITCH_CONGESTION":
      return "congestion";
    default:
      return "other";
  }
}

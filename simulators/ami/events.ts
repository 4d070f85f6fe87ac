// AMI events the simulator makes up rather than replays, in the shape the captured Asterisk sent
// them: phone state changes a test drives (presence, DND, reachability), FullyBooted after Login, a
// channel's hang-up, and an Originate's result.

import type { Fields } from "../ami-trace.js";
import { hintOf, snapshotFields } from "./live-state.js";
import type { SimChannel } from "./types.js";

/** A phone's presence changes: PresenceStateChange, then the hint's PresenceStatus. */
export function presenceEvents(ext: string, status: string, subtype: string, message: string): Fields[] {
  return [
    [
      ["Event", "PresenceStateChange"],
      ["Privilege", "call,all"],
      ["Timestamp", ""],
      ["Presentity", `CustomPresence:${ext}`],
      ["Status", status],
      ["Subtype", subtype],
      ["Message", message],
    ],
    [
      ["Event", "PresenceStatus"],
      ["Privilege", "call,all"],
      ["Timestamp", ""],
      ["Exten", ext],
      ["Context", "internal"],
      ["Hint", hintOf(ext)],
      ["Status", status],
      ["Subtype", subtype],
      ["Message", message],
    ],
  ];
}

/** DND is the custom device `Custom:DND<ext>` (BUSY when on), part of the extension's hint. */
export function dndEvent(ext: string, on: boolean): Fields {
  return [
    ["Event", "DeviceStateChange"],
    ["Privilege", "call,all"],
    ["Timestamp", ""],
    ["Device", `Custom:DND${ext}`],
    ["State", on ? "BUSY" : "NOT_INUSE"],
  ];
}

/** A phone's registration comes or goes: PeerStatus, then its device state. */
export function reachabilityEvents(ext: string, reachable: boolean): Fields[] {
  return [
    [
      ["Event", "PeerStatus"],
      ["Privilege", "system,all"],
      ["Timestamp", ""],
      ["ChannelType", "PJSIP"],
      ["Peer", `PJSIP/${ext}`],
      ["PeerStatus", reachable ? "Reachable" : "Unreachable"],
    ],
    [
      ["Event", "DeviceStateChange"],
      ["Privilege", "call,all"],
      ["Timestamp", ""],
      ["Device", `PJSIP/${ext}`],
      ["State", reachable ? "NOT_INUSE" : "UNAVAILABLE"],
    ],
  ];
}

/** What Asterisk sends a session that logged in with events on. */
export function fullyBootedEvent(): Fields {
  return [
    ["Event", "FullyBooted"],
    ["Privilege", "system,all"],
    ["Uptime", "3087"],
    ["LastReload", "3087"],
    ["Status", "Fully Booted"],
  ];
}

/** A channel hangs up: it leaves its bridge (if any), then Hangup with cause 16 (normal clearing). */
export function hangupEvents(c: SimChannel): Fields[] {
  const out: Fields[] = [];
  if (c.bridge) {
    out.push([
      ["Event", "BridgeLeave"],
      ["Privilege", "call,all"],
      ["Timestamp", ""],
      ["BridgeUniqueid", c.bridge],
      ["BridgeType", "basic"],
      ["BridgeTechnology", "simple_bridge"],
      ["BridgeCreator", "<unknown>"],
      ["BridgeName", "<unknown>"],
      ["BridgeNumChannels", "1"],
      ["BridgeVideoSourceMode", "none"],
      ...snapshotFields(c, ""),
    ]);
  }
  out.push([
    ["Event", "Hangup"],
    ["Privilege", "call,all"],
    ["Timestamp", ""],
    ...snapshotFields(c, ""),
    ["Cause", "16"],
    ["Cause-txt", "Normal Clearing"],
  ]);
  return out;
}

/** An async Originate's result; `Reason: 4` is answered, `0` failed. */
export function originateResponseEvent(o: {
  id: string | undefined;
  success: boolean;
  channel: string;
  application: string;
  data: string;
  uniqueid: string;
  callerNum: string;
  callerName: string;
}): Fields {
  return [
    ["Event", "OriginateResponse"],
    ["Privilege", "call,all"],
    ["Timestamp", ""],
    ...(o.id !== undefined ? ([["ActionID", o.id]] as Fields) : []),
    ["Response", o.success ? "Success" : "Failure"],
    ["Channel", o.channel],
    ["Application", o.application],
    ["Data", o.data],
    ["Reason", o.success ? "4" : "0"],
    ["Uniqueid", o.uniqueid],
    ["CallerIDNum", o.callerNum],
    ["CallerIDName", o.callerName],
  ];
}

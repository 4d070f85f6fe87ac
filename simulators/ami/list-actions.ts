// The AMI list actions the simulator answers from its live state, item by item as Asterisk does:
// CoreShowChannels, Status, ExtensionStateList, DeviceStateList, PresenceStateList, ParkedCalls, QueueStatus.

import type { Fields } from "../ami-trace.js";
import type { ActionHeaders, AmiConnection } from "./connection.js";
import { type AmiLiveState, hintOf, snapshotFields } from "./live-state.js";

export function coreShowChannels(s: AmiConnection, id: string | undefined, state: AmiLiveState): void {
  const items: Fields[] = [];
  for (const c of state.channels.values()) {
    const f: Fields = [["Event", "CoreShowChannel"]];
    if (id !== undefined) f.push(["ActionID", id]);
    f.push(...snapshotFields(c, ""));
    f.push(
      ["Application", c.application],
      ["ApplicationData", c.appData],
      ["Duration", hms(Date.now() - c.createdAt)],
      ["BridgeId", c.bridge],
    );
    items.push(f);
  }
  s.list(id, "Channels will follow", "CoreShowChannelsComplete", items);
}

/** `Status` with `Variables: A,B` answers `Variable: A=<value>` per channel, `(null)` when unset. */
export function status(
  s: AmiConnection,
  id: string | undefined,
  h: ActionHeaders,
  state: AmiLiveState,
): void {
  const variables = (h.get("variables") ?? "")
    .split(",")
    .map((v) => v.trim())
    .filter(Boolean);
  const items: Fields[] = [];
  for (const c of state.channels.values()) {
    const f: Fields = [["Event", "Status"], ...snapshotFields(c, "")];
    f.push(["BridgeID", c.bridge], ["Application", c.application], ["Data", c.appData]);
    f.push(["Seconds", String(Math.floor((Date.now() - c.createdAt) / 1000))]);
    for (const v of variables)
      f.push(["Variable", `${v}=${v === "MIXMONITOR_FILENAME" ? (c.mixMonitorFile ?? "(null)") : "(null)"}`]);
    if (id !== undefined) f.push(["ActionID", id]);
    items.push(f);
  }
  s.list(id, "Channel status will follow", "StatusComplete", items);
}

export function extensionStateList(s: AmiConnection, id: string | undefined, state: AmiLiveState): void {
  const items: Fields[] = [];
  for (const [ext, st] of state.extStates) {
    const f: Fields = [["Event", "ExtensionStatus"]];
    if (id !== undefined) f.push(["ActionID", id]);
    f.push(
      ["Exten", ext],
      ["Context", "internal"],
      ["Hint", hintOf(ext)],
      ["Status", st.status],
      ["StatusText", st.text],
    );
    items.push(f);
  }
  s.list(id, "Extension Statuses will follow", "ExtensionStateListComplete", items);
}

export function deviceStateList(s: AmiConnection, id: string | undefined, state: AmiLiveState): void {
  const items: Fields[] = [];
  for (const [device, st] of state.devices) {
    const f: Fields = [["Event", "DeviceStateChange"]];
    if (id !== undefined) f.push(["ActionID", id]);
    f.push(["Device", device], ["State", st]);
    items.push(f);
  }
  s.list(id, "Device State Changes will follow", "DeviceStateListComplete", items);
}

export function presenceStateList(s: AmiConnection, id: string | undefined, state: AmiLiveState): void {
  const items: Fields[] = [];
  for (const [presentity, p] of state.presence) {
    const f: Fields = [["Event", "PresenceStateChange"]];
    if (id !== undefined) f.push(["ActionID", id]);
    f.push(["Presentity", presentity], ["Status", p.status], ["Subtype", p.subtype], ["Message", p.message]);
    items.push(f);
  }
  s.list(id, "Presence State Changes will follow", "PresenceStateListComplete", items);
}

/** ParkedCalls: the parkee's snapshot, the lot and space, and the seconds left and spent. */
export function parkedCallsList(s: AmiConnection, id: string | undefined, state: AmiLiveState): void {
  const items: Fields[] = [];
  for (const p of state.parked.values()) {
    const c = state.channels.get(p.parkee);
    if (!c) continue;
    const elapsed = Math.floor((Date.now() - p.since) / 1000);
    const f: Fields = [["Event", "ParkedCall"], ...snapshotFields(c, "Parkee")];
    f.push(
      ["ParkerDialString", p.parkerDialString],
      ["Parkinglot", p.lot],
      ["ParkingSpace", p.space],
      ["ParkingTimeout", String(Math.max(0, p.timeout - elapsed))],
      ["ParkingDuration", String(elapsed)],
    );
    if (id !== undefined) f.push(["ActionID", id]);
    items.push(f);
  }
  s.list(id, "Parked calls will follow", "ParkedCallsComplete", items, [["Total", String(items.length)]]);
}

/** A duration as CoreShowChannel's `Duration: HH:MM:SS`. */
function hms(ms: number): string {
  const s = Math.floor(ms / 1000);
  const pad = (n: number): string => String(n).padStart(2, "0");
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
}

/**
 * QueueStatus: each queue the simulated PBX has members in (QueueParams, then a QueueMember per member, as
 * Asterisk 22 answers, test/fixtures/queues/asterisk/34-queue-pause.control.txt). It keeps no waiting
 * callers: no QueueEntry.
 */
export function queueStatusList(s: AmiConnection, id: string | undefined, state: AmiLiveState): void {
  const items: Fields[] = [];
  const withId = (f: Fields): Fields => (id !== undefined ? [...f, ["ActionID", id]] : f);
  for (const [queue, members] of state.queues) {
    items.push(
      withId([
        ["Event", "QueueParams"],
        ["Queue", queue],
        ["Max", "0"],
        ["Strategy", "ringall"],
        ["Calls", "0"],
      ]),
    );
    for (const [iface, m] of members)
      items.push(
        withId([
          ["Event", "QueueMember"],
          ["Queue", queue],
          ["Name", m.name],
          ["Location", iface],
          ["StateInterface", m.stateInterface],
          ["Membership", m.membership],
          ["Penalty", "0"],
          ["LastPause", String(m.lastPause)],
          ["LoginTime", String(m.loginTime)],
          ["InCall", "0"],
          ["Status", "1"],
          ["Paused", m.paused ? "1" : "0"],
          ["PausedReason", m.reason],
        ]),
      );
  }
  s.list(id, "Queue status will follow", "QueueStatusComplete", items);
}

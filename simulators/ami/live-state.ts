// What the AMI simulator knows of its PBX right now, kept from the events it emits: the live channels
// (with the snapshot fields Asterisk repeats in every event about them), who dialled whom, the parked
// calls, device, extension and presence states, and the running ChanSpy sessions. The list actions
// answer from it and the commands find their channels in it.

import { type Fields, get } from "../ami-trace.js";
import type { Instance, LiveChannelView, ParkedEntry, SimChannel, SpySession } from "./types.js";

/** The channel snapshot fields of an AMI event, in Asterisk's order (one group per channel it names). */
export const SNAPSHOT_KEYS = [
  "Channel",
  "ChannelState",
  "ChannelStateDesc",
  "CallerIDNum",
  "CallerIDName",
  "ConnectedLineNum",
  "ConnectedLineName",
  "Language",
  "AccountCode",
  "Context",
  "Exten",
  "Priority",
  "Uniqueid",
  "Linkedid",
] as const;

/** A channel's snapshot group, each key with `prefix` (`Parkee`, `Dest`, … or none). */
export function snapshotFields(c: SimChannel, prefix: string): Fields {
  return [
    [`${prefix}Channel`, c.name],
    [`${prefix}ChannelState`, c.state],
    [`${prefix}ChannelStateDesc`, c.stateDesc],
    [`${prefix}CallerIDNum`, c.callerNum],
    [`${prefix}CallerIDName`, c.callerName],
    [`${prefix}ConnectedLineNum`, c.connectedNum],
    [`${prefix}ConnectedLineName`, c.connectedName],
    [`${prefix}Language`, c.language],
    [`${prefix}AccountCode`, c.accountCode],
    [`${prefix}Context`, c.context],
    [`${prefix}Exten`, c.exten],
    [`${prefix}Priority`, c.priority],
    [`${prefix}Uniqueid`, c.uid],
    [`${prefix}Linkedid`, c.linkedid],
  ];
}

/** The hint of an extension in the captured dialplan: its phone, its DND and its presence. */
export function hintOf(ext: string): string {
  return `PJSIP/${ext}&Custom:DND${ext},CustomPresence:${ext}`;
}

/** A queue member as QueueStatus lists it. */
export interface QueueMemberEntry {
  name: string;
  stateInterface: string;
  membership: string;
  paused: boolean;
  reason: string;
  /** Epoch seconds of the last pause, 0 when never paused. */
  lastPause: number;
  loginTime: number;
}

export class AmiLiveState {
  readonly channels = new Map<string, SimChannel>();
  readonly byName = new Map<string, string>();
  /** Callee uniqueid -> caller uniqueid (from DialBegin). */
  readonly dialledBy = new Map<string, string>();
  readonly parked = new Map<string, ParkedEntry>();
  readonly devices = new Map<string, string>();
  readonly extStates = new Map<string, { status: string; text: string }>();
  readonly presence = new Map<string, { status: string; subtype: string; message: string }>();
  readonly spies = new Map<string, SpySession>();
  /** Queue name -> member interface -> the member, from QueueMemberAdded / Pause / Removed. */
  readonly queues = new Map<string, Map<string, QueueMemberEntry>>();
  /** Parking spaces a replaying call will park in (replays of a parking scenario must not collide). */
  readonly reservedSpaces = new Set<string>();

  constructor(extensions: readonly string[], unreachable: ReadonlySet<string>) {
    for (const ext of extensions) {
      this.devices.set(`PJSIP/${ext}`, unreachable.has(ext) ? "UNAVAILABLE" : "NOT_INUSE");
      this.extStates.set(
        ext,
        unreachable.has(ext) ? { status: "4", text: "Unavailable" } : { status: "0", text: "Idle" },
      );
    }
    this.devices.set("PJSIP/carrier", "NOT_INUSE");
  }

  /** The live channel of that name. */
  named(name: string): SimChannel | undefined {
    const uid = this.byName.get(name);
    return uid ? this.channels.get(uid) : undefined;
  }

  /** Keeps the live state the list actions answer from. */
  track(fields: Fields, inst?: Instance): void {
    const event = get(fields, "Event");
    switch (event) {
      case "Newchannel": {
        const uid = get(fields, "Uniqueid");
        const name = get(fields, "Channel");
        if (!uid || !name) break;
        const ch: SimChannel = {
          name,
          uid,
          linkedid: uid,
          state: "",
          stateDesc: "",
          callerNum: "",
          callerName: "",
          connectedNum: "",
          connectedName: "",
          language: "en",
          accountCode: "",
          context: "",
          exten: "",
          priority: "1",
          application: "",
          appData: "",
          bridge: "",
          createdAt: Date.now(),
        };
        if (inst) {
          ch.instance = inst;
          inst.channels.add(uid);
        }
        this.channels.set(uid, ch);
        this.byName.set(name, uid);
        break;
      }
      case "Hangup": {
        const uid = get(fields, "Uniqueid");
        const ch = uid ? this.channels.get(uid) : undefined;
        if (!uid || !ch) break;
        this.channels.delete(uid);
        if (this.byName.get(ch.name) === uid) this.byName.delete(ch.name);
        ch.instance?.channels.delete(uid);
        this.dialledBy.delete(uid);
        this.parked.delete(uid);
        return;
      }
      case "VarSet": {
        const ch = this.channels.get(get(fields, "Uniqueid") ?? "");
        if (ch && get(fields, "Variable") === "MIXMONITOR_FILENAME") ch.mixMonitorFile = get(fields, "Value");
        break;
      }
      case "Newexten": {
        const ch = this.channels.get(get(fields, "Uniqueid") ?? "");
        if (ch) {
          ch.application = get(fields, "Application") ?? ch.application;
          ch.appData = get(fields, "AppData") ?? ch.appData;
        }
        break;
      }
      case "DialBegin": {
        const caller = get(fields, "Uniqueid");
        const callee = get(fields, "DestUniqueid");
        if (caller && callee) this.dialledBy.set(callee, caller);
        break;
      }
      case "BridgeEnter": {
        const ch = this.channels.get(get(fields, "Uniqueid") ?? "");
        if (ch) ch.bridge = get(fields, "BridgeUniqueid") ?? "";
        break;
      }
      case "BridgeLeave": {
        const ch = this.channels.get(get(fields, "Uniqueid") ?? "");
        if (ch && ch.bridge === get(fields, "BridgeUniqueid")) ch.bridge = "";
        break;
      }
      case "ParkedCall": {
        const parkee = get(fields, "ParkeeUniqueid");
        if (!parkee) break;
        this.parked.set(parkee, {
          parkee,
          lot: get(fields, "Parkinglot") ?? "default",
          space: get(fields, "ParkingSpace") ?? "",
          parkerDialString: get(fields, "ParkerDialString") ?? "",
          timeout: Number.parseInt(get(fields, "ParkingTimeout") ?? "45", 10) || 45,
          since: Date.now(),
        });
        break;
      }
      case "UnParkedCall":
      case "ParkedCallGiveUp":
      case "ParkedCallTimeOut":
        this.parked.delete(get(fields, "ParkeeUniqueid") ?? "");
        break;
      case "DeviceStateChange": {
        const device = get(fields, "Device");
        if (device) this.devices.set(device, get(fields, "State") ?? "UNKNOWN");
        return;
      }
      case "ExtensionStatus": {
        const exten = get(fields, "Exten");
        if (exten)
          this.extStates.set(exten, {
            status: get(fields, "Status") ?? "0",
            text: get(fields, "StatusText") ?? "",
          });
        return;
      }
      case "QueueMemberAdded":
      case "QueueMemberPause": {
        const queue = get(fields, "Queue");
        const iface = get(fields, "Interface");
        if (!queue || !iface) return;
        const members = this.queues.get(queue) ?? new Map<string, QueueMemberEntry>();
        this.queues.set(queue, members);
        const paused = get(fields, "Paused") === "1";
        const before = members.get(iface);
        members.set(iface, {
          name: get(fields, "MemberName") ?? iface,
          stateInterface: get(fields, "StateInterface") ?? iface,
          membership: get(fields, "Membership") ?? "dynamic",
          paused,
          reason: paused ? (get(fields, "PausedReason") ?? "") : "",
          lastPause: paused && !before?.paused ? Math.floor(Date.now() / 1000) : (before?.lastPause ?? 0),
          loginTime: before?.loginTime ?? Math.floor(Date.now() / 1000),
        });
        return;
      }
      case "QueueMemberRemoved":
        this.queues.get(get(fields, "Queue") ?? "")?.delete(get(fields, "Interface") ?? "");
        return;
      case "PresenceStateChange": {
        const p = get(fields, "Presentity");
        if (p) {
          this.presence.set(p, {
            status: get(fields, "Status") ?? "",
            subtype: get(fields, "Subtype") ?? "",
            message: get(fields, "Message") ?? "",
          });
        }
        return;
      }
      case "ChanSpyStart": {
        const spy = this.spies.get(get(fields, "SpyerUniqueid") ?? "");
        const ch = spy ? this.channels.get(spy.spyUid) : undefined;
        if (spy && ch) {
          ch.application = "ChanSpy";
          ch.appData = spy.data;
        }
        break;
      }
      default:
        break;
    }
    // Every channel snapshot in the frame updates that channel.
    for (const [k] of fields) {
      if (!k.endsWith("Uniqueid") || k.endsWith("BridgeUniqueid")) continue;
      const prefix = k.slice(0, -"Uniqueid".length);
      const ch = this.channels.get(get(fields, k) ?? "");
      if (!ch || get(fields, `${prefix}Channel`) === undefined) continue;
      this.updateSnapshot(ch, fields, prefix);
    }
  }

  bridgeMembers(bridge: string): string[] {
    const out: string[] = [];
    for (const c of this.channels.values()) if (c.bridge === bridge) out.push(c.uid);
    return out;
  }

  view(c: SimChannel): LiveChannelView {
    const v: LiveChannelView = {
      name: c.name,
      uniqueid: c.uid,
      linkedid: c.linkedid,
      state: c.state,
      stateDesc: c.stateDesc,
      callerNum: c.callerNum,
      callerName: c.callerName,
      bridge: c.bridge,
      application: c.application,
      applicationData: c.appData,
    };
    if (c.instance) v.call = c.instance.id;
    return v;
  }

  /** The channel a command names: by exact name, else the first (bridged first) whose name starts so. */
  findChannel(prefix: string, exclude?: string): SimChannel | undefined {
    const exact = this.byName.get(prefix);
    if (exact && exact !== exclude) return this.channels.get(exact);
    let fallback: SimChannel | undefined;
    for (const c of this.channels.values()) {
      if (c.uid === exclude || this.spies.has(c.uid) || !c.name.startsWith(prefix)) continue;
      if (c.bridge) return c;
      fallback ??= c;
    }
    return this.channels.get(prefix) ?? fallback;
  }

  /** A parking space no live or replaying call uses (replays of a parking scenario must not collide). */
  freeSpace(preferred: string): string {
    const taken = new Set([...this.parked.values()].map((p) => p.space));
    let n = Number.parseInt(preferred, 10);
    if (!Number.isFinite(n)) return preferred;
    while (taken.has(String(n)) || this.reservedSpaces.has(String(n))) n++;
    return String(n);
  }

  private updateSnapshot(ch: SimChannel, fields: Fields, prefix: string): void {
    const v = (key: string): string | undefined => get(fields, `${prefix}${key}`);
    ch.state = v("ChannelState") ?? ch.state;
    ch.stateDesc = v("ChannelStateDesc") ?? ch.stateDesc;
    ch.callerNum = v("CallerIDNum") ?? ch.callerNum;
    ch.callerName = v("CallerIDName") ?? ch.callerName;
    ch.connectedNum = v("ConnectedLineNum") ?? ch.connectedNum;
    ch.connectedName = v("ConnectedLineName") ?? ch.connectedName;
    ch.language = v("Language") ?? ch.language;
    ch.accountCode = v("AccountCode") ?? ch.accountCode;
    ch.context = v("Context") ?? ch.context;
    ch.exten = v("Exten") ?? ch.exten;
    ch.priority = v("Priority") ?? ch.priority;
    ch.linkedid = v("Linkedid") ?? ch.linkedid;
  }
}

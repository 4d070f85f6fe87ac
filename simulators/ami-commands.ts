// The event sequences the real Asterisk emitted for each supervisor command, cut out of the traces:
//   ChanSpy originate  -> 10a/10b/10c spy leg (start part up to ChanSpyStart, stop part from ChanSpyStop)
//   PickupChan         -> 09 from the picker's Newchannel (part) and the end of that call (tail)
//   ParkedCall         -> 08 retrieval from the retriever's Newchannel (part) and the end (tail)
//   Redirect           -> 07 from the first BridgeLeave to the IVR (part) and the redirected leg's end (tail)
//   MixMonitor / Stop  -> 11a VarSet MIXMONITOR_FILENAME + MixMonitorStart, MixMonitorStop

import type { MonitoringMode } from "../src/domain/directory.js";
import {
  channelBase,
  type Fields,
  get,
  type Scenario,
  type TraceEvent,
  type TraceLibrary,
} from "./ami-trace.js";

export interface RoleChannel {
  uid: string;
  base: string;
  /** Linkedid of the channel in the template (its call). */
  linked: string;
  endpoint: string;
  callerNum: string;
  callerName: string;
}

export interface SpyTemplate {
  scenario: string;
  spy: RoleChannel;
  target: RoleChannel;
  start: TraceEvent[];
  stop: TraceEvent[];
  callerIdNum: string;
  callerIdName: string;
}

export interface PickupTemplate {
  caller: RoleChannel;
  target: RoleChannel;
  picker: RoleChannel;
  part: TraceEvent[];
  tail: TraceEvent[];
}

export interface RetrieveTemplate {
  parkee: RoleChannel;
  retriever: RoleChannel;
  parkingBridge: string;
  space: string;
  part: TraceEvent[];
  tail: TraceEvent[];
}

export interface RedirectTemplate {
  redirected: RoleChannel;
  peer: RoleChannel;
  /** Every other channel of the template (the IVR's later destination): its events are left out. */
  others: RoleChannel[];
  context: string;
  part: TraceEvent[];
  tail: TraceEvent[];
}

export interface MixMonitorTemplate {
  channel: RoleChannel;
  start: TraceEvent[];
  stop: TraceEvent[];
}

export interface CommandTemplates {
  spy: Record<MonitoringMode, SpyTemplate>;
  pickup: PickupTemplate;
  retrieve: RetrieveTemplate;
  redirect: RedirectTemplate;
  mixMonitor: MixMonitorTemplate;
}

export function loadCommandTemplates(library: TraceLibrary): CommandTemplates {
  return {
    spy: {
      listen: spyTemplate(library.scenario("10a")),
      whisper: spyTemplate(library.scenario("10b")),
      barge: spyTemplate(library.scenario("10c")),
    },
    pickup: pickupTemplate(library.scenario("09")),
    retrieve: retrieveTemplate(library.scenario("08")),
    redirect: redirectTemplate(library.scenario("07")),
    mixMonitor: mixMonitorTemplate(library.scenario("11a")),
  };
}

/** Rebases event times so the first one is at 0. */
export function rebase(events: readonly TraceEvent[], from?: number): TraceEvent[] {
  const t0 = from ?? events[0]?.t ?? 0;
  return events.map((e) => ({ fields: e.fields, t: Math.max(0, e.t - t0) }));
}

function ev(e: TraceEvent): string {
  return get(e.fields, "Event") ?? "";
}

function indexOf(events: readonly TraceEvent[], pred: (e: TraceEvent) => boolean, from = 0): number {
  for (let i = from; i < events.length; i++) if (pred(events[i] as TraceEvent)) return i;
  return -1;
}

function must(i: number, what: string): number {
  if (i < 0) throw new Error(`AMI trace template: ${what} not found`);
  return i;
}

/** The channel whose snapshot group (prefix) is in this frame. */
function role(fields: Fields, prefix: string): RoleChannel {
  const name = get(fields, `${prefix}Channel`) ?? "";
  const c = channelBase(name);
  const uid = get(fields, `${prefix}Uniqueid`) ?? "";
  return {
    uid,
    base: c?.base ?? name,
    linked: get(fields, `${prefix}Linkedid`) ?? uid,
    endpoint: c?.endpoint ?? name,
    callerNum: get(fields, `${prefix}CallerIDNum`) ?? "",
    callerName: get(fields, `${prefix}CallerIDName`) ?? "",
  };
}

/** Whether a frame mentions a channel (by uniqueid or name) anywhere. */
export function mentions(fields: Fields, ch: { uid: string; base: string }): boolean {
  for (const [, v] of fields) {
    if (v === ch.uid || v.includes(ch.base)) return true;
  }
  return false;
}

function deviceOf(fields: Fields, endpoint: string, ext: string): boolean {
  const e = get(fields, "Event");
  if (e === "DeviceStateChange") return get(fields, "Device") === endpoint;
  if (e === "ExtensionStatus") return get(fields, "Exten") === ext;
  return false;
}

function newchannelOf(events: readonly TraceEvent[], uid: string): number {
  return must(
    indexOf(events, (e) => ev(e) === "Newchannel" && get(e.fields, "Uniqueid") === uid),
    `Newchannel ${uid}`,
  );
}

function spyTemplate(s: Scenario): SpyTemplate {
  const events = s.events;
  const oi = must(
    indexOf(events, (e) => ev(e) === "OriginateResponse"),
    `${s.name} OriginateResponse`,
  );
  const startIdx = must(
    indexOf(events, (e) => ev(e) === "ChanSpyStart"),
    `${s.name} ChanSpyStart`,
  );
  const stopIdx = must(
    indexOf(events, (e) => ev(e) === "ChanSpyStop"),
    `${s.name} ChanSpyStop`,
  );
  const startEv = events[startIdx] as TraceEvent;
  const spy = role(startEv.fields, "Spyer");
  const target = role(startEv.fields, "Spyee");
  const originate = (events[oi] as TraceEvent).fields;
  const spyExt = spy.endpoint.slice(spy.endpoint.indexOf("/") + 1);
  const first = newchannelOf(events, spy.uid);
  const involves = (e: TraceEvent): boolean =>
    mentions(e.fields, spy) || deviceOf(e.fields, spy.endpoint, spyExt);
  const start = events.slice(first, startIdx + 1).filter(involves);
  const hangupIdx = must(
    indexOf(events, (e) => ev(e) === "Hangup" && get(e.fields, "Uniqueid") === spy.uid, stopIdx),
    `${s.name} spy Hangup`,
  );
  const hangupT = (events[hangupIdx] as TraceEvent).t;
  const stop = events
    .slice(stopIdx)
    .filter((e) => involves(e) && (e.t <= hangupT + 0.5 || mentions(e.fields, spy)));
  return {
    scenario: s.name,
    spy,
    target,
    start: rebase(start),
    stop: rebase(stop),
    callerIdNum: get(originate, "CallerIDNum") ?? "",
    callerIdName: get(originate, "CallerIDName") ?? "",
  };
}

const END_EVENTS = new Set(["HangupRequest", "SoftHangupRequest", "Hangup", "BridgeLeave"]);

function pickupTemplate(s: Scenario): PickupTemplate {
  const events = s.events;
  const pi = must(
    indexOf(events, (e) => ev(e) === "Pickup"),
    "09 Pickup",
  );
  const pickupEv = (events[pi] as TraceEvent).fields;
  const picker = role(pickupEv, "");
  const target = role(pickupEv, "Target");
  const dial = events[
    must(
      indexOf(events, (e) => ev(e) === "DialBegin" && get(e.fields, "DestUniqueid") === target.uid),
      "09 DialBegin to the target",
    )
  ] as TraceEvent;
  const caller = role(dial.fields, "");
  const start = newchannelOf(events, picker.uid);
  const end = must(
    indexOf(
      events,
      (e) => {
        const uid = get(e.fields, "Uniqueid");
        return END_EVENTS.has(ev(e)) && (uid === caller.uid || uid === picker.uid);
      },
      pi,
    ),
    "09 end of the picked-up call",
  );
  const t0 = (events[start] as TraceEvent).t;
  return {
    caller,
    target,
    picker,
    part: rebase(events.slice(start, end), t0),
    tail: rebase(events.slice(end), t0),
  };
}

function retrieveTemplate(s: Scenario): RetrieveTemplate {
  const events = s.events;
  const ui = must(
    indexOf(events, (e) => ev(e) === "UnParkedCall"),
    "08 UnParkedCall",
  );
  const un = (events[ui] as TraceEvent).fields;
  const parkee = role(un, "Parkee");
  const retriever = role(un, "Retriever");
  const pb = must(
    indexOf(events, (e) => ev(e) === "BridgeEnter" && get(e.fields, "BridgeType") === "parking"),
    "08 parking bridge",
  );
  const start = newchannelOf(events, retriever.uid);
  const end = must(
    indexOf(
      events,
      (e) => {
        const uid = get(e.fields, "Uniqueid");
        return (
          END_EVENTS.has(ev(e)) && ev(e) !== "BridgeLeave" && (uid === parkee.uid || uid === retriever.uid)
        );
      },
      ui,
    ),
    "08 end of the retrieved call",
  );
  const t0 = (events[start] as TraceEvent).t;
  return {
    parkee,
    retriever,
    parkingBridge: get((events[pb] as TraceEvent).fields, "BridgeUniqueid") ?? "",
    space: get(un, "ParkingSpace") ?? "",
    part: rebase(events.slice(start, end), t0),
    tail: rebase(events.slice(end), t0),
  };
}

function redirectTemplate(s: Scenario): RedirectTemplate {
  const events = s.events;
  const firstEnter = must(
    indexOf(events, (e) => ev(e) === "BridgeEnter"),
    "07 BridgeEnter",
  );
  const leave = must(
    indexOf(events, (e) => ev(e) === "BridgeLeave", firstEnter),
    "07 BridgeLeave",
  );
  const leaveEv = (events[leave] as TraceEvent).fields;
  const bridge = get(leaveEv, "BridgeUniqueid");
  const redirected = role(leaveEv, "");
  const peerIdx = must(
    indexOf(
      events,
      (e) =>
        ev(e) === "BridgeLeave" &&
        get(e.fields, "BridgeUniqueid") === bridge &&
        get(e.fields, "Uniqueid") !== redirected.uid,
      leave,
    ),
    "07 peer BridgeLeave",
  );
  const peer = role((events[peerIdx] as TraceEvent).fields, "");
  const dtmf = indexOf(events, (e) => ev(e) === "DTMFBegin", leave);
  const partEnd = dtmf < 0 ? events.length : dtmf;
  const others: RoleChannel[] = [];
  for (const e of events) {
    if (ev(e) !== "Newchannel") continue;
    const uid = get(e.fields, "Uniqueid");
    if (uid !== redirected.uid && uid !== peer.uid) others.push(role(e.fields, ""));
  }
  const notOthers = (e: TraceEvent): boolean => !others.some((o) => mentions(e.fields, o));
  const ivrEnter = indexOf(
    events,
    (e) => ev(e) === "Newexten" && get(e.fields, "Uniqueid") === redirected.uid,
    leave,
  );
  const context = ivrEnter < 0 ? "ivr" : (get((events[ivrEnter] as TraceEvent).fields, "Context") ?? "ivr");
  const endIdx = must(
    indexOf(
      events,
      (e) => ev(e) === "HangupRequest" && get(e.fields, "Uniqueid") === redirected.uid,
      partEnd,
    ),
    "07 end of the redirected leg",
  );
  const redirectedExt = redirected.endpoint;
  const tail = events
    .slice(endIdx)
    .filter(
      (e) =>
        notOthers(e) &&
        ev(e) !== "BridgeLeave" &&
        ev(e) !== "BridgeDestroy" &&
        (mentions(e.fields, redirected) ||
          (ev(e) === "DeviceStateChange" && get(e.fields, "Device") === redirectedExt)),
    );
  const t0 = (events[leave] as TraceEvent).t;
  return {
    redirected,
    peer,
    others,
    context,
    part: rebase(events.slice(leave, partEnd).filter(notOthers), t0),
    tail: rebase(tail, t0),
  };
}

function mixMonitorTemplate(s: Scenario): MixMonitorTemplate {
  const events = s.events;
  const si = must(
    indexOf(events, (e) => ev(e) === "MixMonitorStart"),
    "11a MixMonitorStart",
  );
  const channel = role((events[si] as TraceEvent).fields, "");
  const vi = indexOf(
    events,
    (e) =>
      ev(e) === "VarSet" &&
      get(e.fields, "Variable") === "MIXMONITOR_FILENAME" &&
      get(e.fields, "Uniqueid") === channel.uid,
  );
  const stopIdx = must(
    indexOf(events, (e) => ev(e) === "MixMonitorStop" && get(e.fields, "Uniqueid") === channel.uid),
    "11a MixMonitorStop",
  );
  const start =
    vi >= 0 && vi < si ? [events[vi] as TraceEvent, events[si] as TraceEvent] : [events[si] as TraceEvent];
  return { channel, start: rebase(start), stop: rebase([events[stopIdx] as TraceEvent]) };
}

// What the ESL simulator knows of its FreeSWITCH right now, kept from the events it emits: the live
// channels (identity from their first event, variables, call state, bridge partner), the valet
// parking slots, the phones' registrations and the running eavesdrops. `show channels/calls`,
// `valet_info`, `uuid_getvar` and the commands answer from it.

import { randomUUID } from "node:crypto";
import type { EslEvent } from "../../src/pbx/freeswitch-esl/frame-parser.js";
import { eventName, str } from "../esl-trace.js";
import type { EslChannelView, Instance, SimChannel, SpySession } from "./types.js";

/** What identifies a channel: kept from its first event and laid over command templates played on it. */
const IDENTITY_KEYS = [
  "Channel-Name",
  "Call-Direction",
  "Presence-Call-Direction",
  "Channel-Presence-ID",
  "Caller-Direction",
  "Caller-Logical-Direction",
  "Caller-Username",
  "Caller-Caller-ID-Name",
  "Caller-Caller-ID-Number",
  "Caller-Orig-Caller-ID-Name",
  "Caller-Orig-Caller-ID-Number",
  "Caller-ANI",
  "Caller-Network-Addr",
  "Caller-Channel-Name",
  "Caller-Unique-ID",
  "Caller-Context",
  "variable_sofia_profile_name",
  "variable_sip_gateway_name",
  "variable_sip_from_user",
  "variable_sip_to_user",
  "variable_presence_id",
];

/** The Other-Leg-* headers of an event and the other leg's own headers they repeat. */
const OTHER_LEG_FROM: [string, string][] = [
  ["Other-Leg-Channel-Name", "Channel-Name"],
  ["Other-Leg-Direction", "Call-Direction"],
  ["Other-Leg-Caller-ID-Name", "Caller-Caller-ID-Name"],
  ["Other-Leg-Caller-ID-Number", "Caller-Caller-ID-Number"],
  ["Other-Leg-Orig-Caller-ID-Name", "Caller-Orig-Caller-ID-Name"],
  ["Other-Leg-Orig-Caller-ID-Number", "Caller-Orig-Caller-ID-Number"],
  ["Other-Leg-Username", "Caller-Username"],
  ["Other-Leg-ANI", "Caller-ANI"],
];

export class EslLiveState {
  readonly channels = new Map<string, SimChannel>();
  /** `lot/space` -> the parked leg's uuid. */
  readonly parked = new Map<string, string>();
  readonly registrations = new Map<string, { token: string; profile: string }>();
  /** Spy leg uuid -> its eavesdrop. */
  readonly spies = new Map<string, SpySession>();

  /** `targetHungUp` ends an eavesdrop whose target hangs up (it runs as the target's hang-up is tracked). */
  constructor(
    registered: readonly string[],
    private readonly targetHungUp: (spy: SpySession) => void,
  ) {
    for (const ext of registered)
      this.registrations.set(ext, { token: `${randomUUID()}@127.0.0.1`, profile: "internal" });
  }

  /** Keeps the live state `show channels`, `valet_info` and `uuid_getvar` answer from. */
  track(event: EslEvent, inst?: Instance): void {
    const name = eventName(event);
    const uuid = str(event, "Unique-ID");
    if (name === "CUSTOM" && str(event, "Event-Subclass") === "valet_parking::info" && uuid) {
      const key = `${str(event, "Valet-Lot-Name") ?? "default"}/${str(event, "Valet-Extension") ?? ""}`;
      const action = str(event, "Action");
      if (action === "hold") this.parked.set(key, uuid);
      else if (this.parked.get(key) === uuid) this.parked.delete(key);
    }
    if (!uuid) return;
    let ch = this.channels.get(uuid);
    if (!ch) {
      if (name !== "CHANNEL_CREATE" && name !== "CHANNEL_OUTGOING") return;
      const identity: Record<string, string> = {};
      for (const k of IDENTITY_KEYS) {
        const v = str(event, k);
        if (v !== undefined) identity[k] = v;
      }
      ch = {
        uuid,
        identity,
        last: event,
        vars: {},
        direction: str(event, "Call-Direction") ?? "",
        callstate: str(event, "Channel-Call-State") ?? "DOWN",
        callUuid: "",
        application: "",
        appData: "",
        dest: str(event, "Caller-Destination-Number") ?? "",
        context: str(event, "Caller-Context") ?? "default",
        created: Math.floor(Date.now() / 1000),
      };
      this.channels.set(uuid, ch);
      if (inst && inst.scenario !== "command") {
        ch.instance = inst;
        inst.channels.add(uuid);
      }
    }
    for (const k in event) {
      if (k.startsWith("variable_")) ch.vars[k.slice(9)] = event[k] as string;
    }
    if (name === "CHANNEL_HANGUP_COMPLETE" || name === "CHANNEL_DESTROY") {
      this.channels.delete(uuid);
      for (const [key, leg] of this.parked) if (leg === uuid) this.parked.delete(key);
      return;
    }
    ch.last = event;
    const cs = str(event, "Channel-Call-State");
    if (cs && cs !== "HANGUP") ch.callstate = cs === "UNHELD" ? "ACTIVE" : cs;
    const callUuid = str(event, "Channel-Call-UUID");
    if (callUuid && name !== "CHANNEL_OUTGOING") ch.callUuid = callUuid;
    const dest = str(event, "Caller-Destination-Number");
    if (dest) ch.dest = dest;
    if (name === "CHANNEL_EXECUTE") {
      ch.application = str(event, "Application") ?? "";
      ch.appData = str(event, "Application-Data") ?? "";
    } else if (name === "CHANNEL_BRIDGE") {
      const a = str(event, "Bridge-A-Unique-ID") ?? uuid;
      const b = str(event, "Bridge-B-Unique-ID") ?? str(event, "Other-Leg-Unique-ID");
      const ca = this.channels.get(a);
      const cb = b ? this.channels.get(b) : undefined;
      if (ca && cb) {
        ca.peer = cb.uuid;
        cb.peer = ca.uuid;
        // A leg an originate created (interceptor, retriever) now belongs to the call it joined.
        const owner = ca.instance ?? cb.instance;
        for (const c of [ca, cb]) {
          if (!c.instance && owner) {
            c.instance = owner;
            owner.channels.add(c.uuid);
          }
        }
      }
    } else if (name === "CHANNEL_UNBRIDGE") {
      const a = str(event, "Bridge-A-Unique-ID") ?? uuid;
      const b = str(event, "Bridge-B-Unique-ID") ?? str(event, "Other-Leg-Unique-ID");
      for (const id of [a, b]) {
        const c = id ? this.channels.get(id) : undefined;
        if (c) c.peer = undefined;
      }
    } else if (name === "CHANNEL_HANGUP") {
      // eavesdrop ends with the leg it listens to; the originated spy leg then hangs up.
      for (const s of [...this.spies.values()]) if (s.target === uuid) this.targetHungUp(s);
      if (ch.peer) {
        const peer = this.channels.get(ch.peer);
        if (peer?.peer === uuid) peer.peer = undefined;
      }
    }
  }

  /** Live channels' identity laid over a template event played on them. */
  overlay(event: EslEvent): void {
    const uuid = str(event, "Unique-ID");
    const ch = uuid ? this.channels.get(uuid) : undefined;
    if (ch)
      for (const k of IDENTITY_KEYS)
        if (k in event && ch.identity[k] !== undefined) event[k] = ch.identity[k];
    const other = str(event, "Other-Leg-Unique-ID");
    const och = other ? this.channels.get(other) : undefined;
    if (och) {
      for (const [to, from] of OTHER_LEG_FROM) {
        if (to in event && och.identity[from] !== undefined) event[to] = och.identity[from];
      }
    }
  }

  view(c: SimChannel): EslChannelView {
    const v: EslChannelView = {
      uuid: c.uuid,
      name: c.identity["Channel-Name"] ?? "",
      direction: c.direction,
      callstate: c.callstate,
      application: c.application,
      applicationData: c.appData,
      callUuid: c.callUuid,
    };
    if (c.peer) v.peer = c.peer;
    if (c.instance) v.call = c.instance.id;
    return v;
  }
}

// Builds a `pbx.snapshot` from the answers to the resync GETs. Pure: no I/O, no state.
//   GET /channels      -> legs (ARI channels have no Linkedid: calls are grouped below)
//   GET /bridges       -> who talks to whom, parked calls (parking holding bridge), Callsight's own
//                         listen/whisper/barge bridges
//   GET /endpoints     -> device reachability (online / offline)
//   GET /deviceStates  -> Custom:DND<ext> (queried one by one: the list only holds ARI-owned states)
//                         and ONHOLD of the phones that are on a call
//
// Calls: legs that share a bridge, a caller and the channels its Dial() created (found from the
// caller's `Dial` application data and the callee's connected line), and the two halves of a Local
// channel form one call, named after its oldest channel, as Asterisk's Linkedid would be.

import type { MonitoringStarted, PbxSnapshot, SnapshotLeg } from "../../domain/events.js";
import { splitChannelName } from "../asterisk/channels.js";
import { chanSpySessions } from "../asterisk/chanspy.js";
import { dndExtension, dndOn } from "../asterisk/devices.js";
import { markHolders } from "../asterisk/hold.js";
import { EndpointClassifier } from "../endpoints.js";
import {
  callerNumber,
  isParkingBridge,
  isPlumbing,
  MONITOR_BRIDGE_PREFIX,
  parseMonitorBridgeName,
} from "./translate-names.js";
import { type AriBridge, type AriChannel, type AriDeviceState, type AriEndpoint, ariTime } from "./types.js";

export interface AriResyncInput {
  pbx: string;
  at: number;
  channels: readonly AriChannel[];
  bridges: readonly AriBridge[];
  endpoints?: readonly AriEndpoint[];
  deviceStates?: readonly AriDeviceState[];
  classifier?: EndpointClassifier;
  /** Add monitoring sessions of channels running ChanSpy (off when an AMI companion reports them). */
  chanSpyFromChannels?: boolean;
}

export interface AriResync {
  snapshot: PbxSnapshot;
  /** Monitoring sessions running now: the snapshot vocabulary has no place for them. */
  monitoring: MonitoringStarted[];
  /** Channels that are not parties (Local, Snoop, …) and their call, for the translator's state. */
  plumbing: { id: string; name: string; callId: string }[];
  /** Call id per channel id (legs and plumbing). */
  callIds: Map<string, string>;
}

export function buildAriSnapshot(input: AriResyncInput): AriResync {
  const classifier = input.classifier ?? new EndpointClassifier();
  const channels = input.channels.filter((c) => typeof c?.id === "string" && typeof c.name === "string");
  const callIds = groupCalls(channels, input.bridges);

  const conversation = new Map<string, string>();
  const parked: PbxSnapshot["parked"] = [];
  const monitoring: MonitoringStarted[] = [];
  const byId = new Map(channels.map((c) => [c.id, c]));
  for (const b of input.bridges) {
    const members = (b.channels ?? []).filter((id) => byId.has(id));
    if (isParkingBridge(b)) {
      for (const id of members) parked.push({ leg: id, lot: b.name || "default", space: "" });
      continue;
    }
    const monitor = parseMonitorBridgeName(b.name);
    if (monitor || b.name?.startsWith(MONITOR_BRIDGE_PREFIX)) {
      if (!monitor || !byId.has(monitor.target)) continue;
      for (const id of members) {
        const ch = byId.get(id);
        if (!ch || isPlumbing(ch.name)) continue;
        monitoring.push({
          pbx: input.pbx,
          at: input.at,
          type: "monitoring.started",
          spy: id,
          target: monitor.target,
          mode: monitor.mode,
        });
      }
      continue;
    }
    for (const id of members) conversation.set(id, b.id);
  }

  const legs: SnapshotLeg[] = [];
  const plumbing: AriResync["plumbing"] = [];
  for (const ch of channels) {
    if (isPlumbing(ch.name)) {
      plumbing.push({ id: ch.id, name: ch.name, callId: callIds.get(ch.id) ?? ch.id });
      continue;
    }
    const { endpoint, resource } = splitChannelName(ch.name);
    const side = classifier.side(endpoint, resource);
    const number = side === "internal" ? resource : callerNumber(ch);
    const app = ch.dialplan?.app_name ?? "";
    const exten = ch.dialplan?.exten ?? "";
    // Dial() creates callee channels running AppDial; originate creates them at `s` in state Down.
    const outgoing = app.startsWith("AppDial") || exten === "s" || ch.state === "Down";
    const dialled = !outgoing && exten && exten !== "s" ? exten : undefined;
    const leg: SnapshotLeg = {
      leg: ch.id,
      callId: callIds.get(ch.id) ?? ch.id,
      channel: ch.name,
      endpoint,
      side,
      number,
      state: ch.state === "Up" ? "up" : ch.state === "Ringing" ? "ringing" : "dialing",
      outgoing,
    };
    const rawName = ch.caller?.name ?? "";
    const name = rawName === "<unknown>" ? "" : rawName;
    if (name && name !== number && name !== callerNumber(ch)) leg.name = name;
    const bridge = conversation.get(ch.id);
    if (bridge) leg.bridge = bridge;
    if (dialled) leg.dialled = dialled;
    const created = ariTime(ch.creationtime);
    if (created !== undefined) leg.createdAt = created;
    legs.push(leg);
  }

  const reachability: PbxSnapshot["reachability"] = [];
  for (const ep of input.endpoints ?? []) {
    if (!ep?.technology || !ep.resource) continue;
    const endpoint = `${ep.technology}/${ep.resource}`;
    if (ep.state === "online") reachability.push({ endpoint, reachable: true });
    else if (ep.state === "offline") reachability.push({ endpoint, reachable: false });
  }

  const dnd: PbxSnapshot["dnd"] = [];
  const deviceStates = new Map<string, string>();
  for (const d of input.deviceStates ?? []) {
    if (!d || typeof d.name !== "string") continue;
    deviceStates.set(d.name, String(d.state ?? ""));
    const extension = dndExtension(d.name);
    if (extension && d.state !== "UNKNOWN" && d.state !== "INVALID")
      dnd.push({ extension, on: dndOn(d.state) });
  }
  markHolders(legs, deviceStates);

  if (input.chanSpyFromChannels ?? true) {
    const running = channels.map((c) => ({
      id: c.id,
      application: c.dialplan?.app_name ?? "",
      appData: c.dialplan?.app_data ?? "",
    }));
    for (const m of chanSpySessions(input.pbx, input.at, running, legs)) monitoring.push(m);
  }

  const snapshot: PbxSnapshot = {
    pbx: input.pbx,
    at: input.at,
    type: "pbx.snapshot",
    legs,
    reachability,
    presence: [],
    dnd,
    parked,
  };
  return { snapshot, monitoring, plumbing, callIds };
}

/** The device names a resync asks one by one: DND lamps of the extensions, and phones on a call. */
export function deviceStatesToQuery(
  endpoints: readonly AriEndpoint[],
  channels: readonly AriChannel[],
  classifier: EndpointClassifier,
): string[] {
  const names = new Set<string>();
  for (const ep of endpoints) {
    if (!ep?.technology || !ep.resource) continue;
    if (classifier.side(`${ep.technology}/${ep.resource}`, ep.resource) === "internal")
      names.add(`Custom:DND${ep.resource}`);
  }
  for (const ch of channels) {
    if (typeof ch?.name !== "string" || isPlumbing(ch.name)) continue;
    if (ch.state === "Up") names.add(splitChannelName(ch.name).endpoint);
  }
  return [...names];
}

/** Union-find over channels; each group is named after its oldest channel. */
function groupCalls(channels: readonly AriChannel[], bridges: readonly AriBridge[]): Map<string, string> {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let root = x;
    while (parent.get(root) !== root) root = parent.get(root) ?? root;
    let cur = x;
    while (cur !== root) {
      const next = parent.get(cur) ?? root;
      parent.set(cur, root);
      cur = next;
    }
    return root;
  };
  const union = (a: string, b: string): void => {
    if (!parent.has(a) || !parent.has(b)) return;
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(rb, ra);
  };
  for (const c of channels) parent.set(c.id, c.id);

  // Talking in one bridge (not a parking lot, not a supervisor's monitoring bridge).
  for (const b of bridges) {
    if (isParkingBridge(b) || b.name?.startsWith(MONITOR_BRIDGE_PREFIX)) continue;
    const members = b.channels ?? [];
    for (let i = 1; i < members.length; i++) union(members[0] as string, members[i] as string);
  }
  // The two halves of a Local channel.
  const byName = new Map(channels.map((c) => [c.name, c.id]));
  for (const c of channels) {
    if (c.name.startsWith("Local/") && c.name.endsWith(";1")) {
      const other = byName.get(`${c.name.slice(0, -2)};2`);
      if (other) union(c.id, other);
    }
  }
  // A callee still ringing (AppDial) belongs to the caller whose Dial() names its endpoint.
  const dialling = channels.filter((c) => c.dialplan?.app_name === "Dial");
  for (const callee of channels) {
    if (!(callee.dialplan?.app_name ?? "").startsWith("AppDial")) continue;
    const { endpoint } = splitChannelName(callee.name);
    const candidates = dialling.filter(
      (c) => c.id !== callee.id && dialTargets(c).some((t) => t === endpoint),
    );
    const connected = callee.connected?.number ?? "";
    const caller =
      candidates.find((c) => connected !== "" && callerNumber(c) === connected) ??
      (candidates.length === 1 ? candidates[0] : undefined);
    if (caller) union(caller.id, callee.id);
  }

  const oldest = new Map<string, AriChannel>();
  for (const c of channels) {
    const root = find(c.id);
    const current = oldest.get(root);
    if (!current || older(c, current)) oldest.set(root, c);
  }
  const out = new Map<string, string>();
  for (const c of channels) out.set(c.id, oldest.get(find(c.id))?.id ?? c.id);
  return out;
}

/** `PJSIP/1002&PJSIP/1003,30,tT` -> [`PJSIP/1002`, `PJSIP/1003`]; `PJSIP/1777@carrier` -> `PJSIP/carrier`. */
function dialTargets(c: AriChannel): string[] {
  const data = c.dialplan?.app_data ?? "";
  const first = data.split(",")[0] ?? "";
  return first
    .split("&")
    .map((t) => t.trim())
    .filter((t) => t.includes("/"))
    .map((t) => {
      const slash = t.indexOf("/");
      const tech = t.slice(0, slash);
      const rest = t.slice(slash + 1);
      const at = rest.indexOf("@");
      if (tech === "Local") return `Local/${rest}`;
      return at >= 0 ? `${tech}/${rest.slice(at + 1)}` : `${tech}/${rest}`;
    });
}

function older(a: AriChannel, b: AriChannel): boolean {
  const ta = ariTime(a.creationtime) ?? Number.POSITIVE_INFINITY;
  const tb = ariTime(b.creationtime) ?? Number.POSITIVE_INFINITY;
  if (ta !== tb) return ta < tb;
  return compareIds(a.id, b.id) < 0;
}

/** Uniqueids `1795373398.81` compare by time, then by sequence. */
function compareIds(a: string, b: string): number {
  const [as, an] = a.split(".");
  const [bs, bn] = b.split(".");
  const ds = Number(as) - Number(bs);
  if (Number.isFinite(ds) && ds !== 0) return ds;
  const dn = Number(an) - Number(bn);
  if (Number.isFinite(dn) && dn !== 0) return dn;
  return a < b ? -1 : a > b ? 1 : 0;
}

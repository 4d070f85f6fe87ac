// Builds a `pbx.snapshot` from the answers to the resync list actions. Pure: no I/O, no state.
//   CoreShowChannels  -> CoreShowChannel items (channel snapshot + Application, ApplicationData, BridgeId)
//   DeviceStateList   -> DeviceStateChange items (PJSIP/<ext> reachability, Custom:DND<ext> -> dnd)
//   PresenceStateList -> PresenceStateChange items (CustomPresence:<ext>)
//   ParkedCalls       -> ParkedCall items (Parkee* snapshot, Parkinglot, ParkingSpace)
//   Status (Variables: MIXMONITOR_FILENAME) -> Status items: the recordings running (see recordingsFromStatus)
//   QueueStatus       -> QueueParams / QueueMember / QueueEntry items: a `queue.snapshot` (see queuesFromStatus)

import type { MonitoringStarted, PbxSnapshot, QueueSnapshot, SnapshotLeg } from "../../domain/events.js";
import { isPartyChannel, PLUMBING, splitChannelName, unknownToEmpty } from "../asterisk/channels.js";
import { chanSpySessions } from "../asterisk/chanspy.js";
import {
  deviceReachable,
  dndExtension,
  dndOn,
  presenceState,
  presentityExtension,
} from "../asterisk/devices.js";
import { markHolders } from "../asterisk/hold.js";
import { memberExtension } from "../asterisk/queues.js";
import { MIXMONITOR_FILENAME } from "../asterisk/recording.js";
import { EndpointClassifier } from "../endpoints.js";
import { snapshotOf } from "./channel-snapshot.js";
import type { AmiFrame } from "./frame-parser.js";

export interface ResyncInput {
  pbx: string;
  /** When the snapshot was taken (ms since epoch). */
  at: number;
  channels: readonly AmiFrame[];
  devices?: readonly AmiFrame[];
  presence?: readonly AmiFrame[];
  parked?: readonly AmiFrame[];
  classifier?: EndpointClassifier;
}

export function buildSnapshot(input: ResyncInput): PbxSnapshot {
  const classifier = input.classifier ?? new EndpointClassifier();
  const parked: PbxSnapshot["parked"] = [];
  const parkedLegs = new Set<string>();
  for (const f of input.parked ?? []) {
    const parkee = snapshotOf(f, "Parkee");
    if (!parkee) continue;
    parkedLegs.add(parkee.uniqueid);
    parked.push({ leg: parkee.uniqueid, lot: f.Parkinglot ?? "default", space: f.ParkingSpace ?? "" });
  }

  const legs: SnapshotLeg[] = [];
  const seen = new Set<string>();
  for (const f of input.channels) {
    const leg = legOf(f, input.at, classifier, parkedLegs);
    if (!leg || seen.has(leg.leg)) continue;
    seen.add(leg.leg);
    legs.push(leg);
  }

  const reachability: PbxSnapshot["reachability"] = [];
  const dnd: PbxSnapshot["dnd"] = [];
  const deviceStates = new Map<string, string>();
  for (const f of input.devices ?? []) {
    const device = f.Device ?? "";
    const state = f.State ?? "";
    deviceStates.set(device, state);
    const extension = dndExtension(device);
    if (extension !== undefined) {
      if (extension) dnd.push({ extension, on: dndOn(state) });
      continue;
    }
    // park:701@parkedcalls, Queue:…, Custom:… are not devices of a user.
    if (device.includes(":") || !isPartyChannel(device)) continue;
    const reachable = deviceReachable(state);
    if (reachable !== undefined) reachability.push({ endpoint: device, reachable });
  }

  markHolders(legs, deviceStates);

  const presence: PbxSnapshot["presence"] = [];
  for (const f of input.presence ?? []) {
    const extension = presentityExtension(f.Presentity ?? "");
    if (!extension) continue;
    const message = f.Message ?? "";
    presence.push({ extension, state: presenceState(f.Status ?? ""), ...(message ? { message } : {}) });
  }

  return { pbx: input.pbx, at: input.at, type: "pbx.snapshot", legs, reachability, presence, dnd, parked };
}

/** What the resync asks `Status` for: the file of the channel's MixMonitor, if it started one. */
export const STATUS_VARIABLES = MIXMONITOR_FILENAME;

/**
 * The recordings running on the snapshot's legs, from the `Status` items answered with
 * `Variables: MIXMONITOR_FILENAME` (`Variable: MIXMONITOR_FILENAME=<file>`, `=(null)` when the channel
 * never started one). MixMonitor leaves the variable set after it stops, so a file `stopped` says ended
 * on that leg (a MixMonitorStop seen earlier) is not running. Undefined when the answer does not say
 * (no item carries the variable: an Asterisk that ignores `Variables`, or no answer at all) — then
 * nothing is concluded about recordings.
 */
export function recordingsFromStatus(
  status: readonly AmiFrame[] | undefined,
  legs: readonly SnapshotLeg[],
  stopped: (leg: string, file: string) => boolean = () => false,
): { leg: string; file: string }[] | undefined {
  if (!status) return undefined;
  const present = new Set(legs.map((l) => l.leg));
  const out: { leg: string; file: string }[] = [];
  let answered = status.length === 0;
  for (const f of status) {
    const variable = f.Variable ?? "";
    const prefix = `${STATUS_VARIABLES}=`;
    if (!variable.startsWith(prefix)) continue;
    answered = true;
    const file = variable.slice(prefix.length).trim();
    const leg = f.Uniqueid;
    if (!leg || !present.has(leg) || file === "" || file === "(null)" || stopped(leg, file)) continue;
    out.push({ leg, file });
  }
  return answered ? out : undefined;
}

/**
 * Monitoring sessions that were running when the snapshot was taken: a channel running ChanSpy on
 * a leg of the snapshot. The snapshot vocabulary has no place for them, so they follow it as events.
 */
export function monitoringFromChannels(
  pbx: string,
  at: number,
  channels: readonly AmiFrame[],
  legs: readonly SnapshotLeg[],
): MonitoringStarted[] {
  const running = channels.map((f) => ({
    id: f.Uniqueid,
    application: f.Application,
    appData: f.ApplicationData,
  }));
  return chanSpySessions(pbx, at, running, legs);
}

function legOf(
  f: AmiFrame,
  at: number,
  classifier: EndpointClassifier,
  parkedLegs: ReadonlySet<string>,
): SnapshotLeg | undefined {
  const ch = snapshotOf(f, "");
  if (!ch?.uniqueid) return undefined;
  const { tech, endpoint, resource } = splitChannelName(ch.name);
  if (PLUMBING.has(tech) || !ch.name.includes("/")) return undefined;
  const side = classifier.side(endpoint, resource);
  const callerNum = unknownToEmpty(ch.callerNum);
  const number = side === "internal" ? resource : callerNum;
  const application = f.Application ?? "";
  // Dial() creates callee channels running AppDial; Originate creates them at `s` in state Down.
  const outgoing = application.startsWith("AppDial") || ch.exten === "s" || ch.state === "0";
  const dialled = !outgoing && ch.exten && ch.exten !== "s" ? ch.exten : undefined;
  const name = unknownToEmpty(ch.callerName);
  const bridge = f.BridgeId ?? f.BridgeID ?? "";
  const leg: SnapshotLeg = {
    leg: ch.uniqueid,
    callId: ch.linkedid || ch.uniqueid,
    channel: ch.name,
    endpoint,
    side,
    number,
    state: ch.state === "6" || ch.stateDesc === "Up" ? "up" : ch.state === "5" ? "ringing" : "dialing",
    outgoing,
  };
  if (name && name !== callerNum) leg.name = name;
  // A parked call sits in the parking lot's holding bridge: not a conversation.
  if (bridge && !parkedLegs.has(ch.uniqueid)) leg.bridge = bridge;
  if (dialled) leg.dialled = dialled;
  // How long the channel has existed (CoreShowChannel `Duration`, Status `Seconds`): since the PBX created it.
  const age = channelAgeSeconds(f.Duration ?? f.Seconds);
  if (age !== undefined) leg.createdAt = at - age * 1000;
  return leg;
}

/** `00:02:05` (CoreShowChannel; hours may exceed 24), `125` (Status `Seconds`) -> seconds; else undefined. */
export function channelAgeSeconds(value: string | undefined): number | undefined {
  const text = value?.trim() ?? "";
  if (!/^\d+(:\d{1,2}){0,2}$/.test(text)) return undefined;
  return text.split(":").reduce((total, part) => total * 60 + Number(part), 0);
}

/**
 * The queues as `QueueStatus` lists them: every queue (`QueueParams`), its members (`QueueMember`: Location is
 * the interface, Name the member's name, Paused / PausedReason / LastPause in epoch seconds) and its waiting
 * callers (`QueueEntry`: Uniqueid, Position, Wait in seconds). Undefined without an answer.
 */
export function queuesFromStatus(
  pbx: string,
  at: number,
  frames: readonly AmiFrame[] | undefined,
): QueueSnapshot | undefined {
  if (!frames) return undefined;
  const queues = new Map<string, QueueSnapshot["queues"][number]>();
  const queueOf = (name: string) => {
    let q = queues.get(name);
    if (!q) {
      q = { queue: name, callers: [], members: [] };
      queues.set(name, q);
    }
    return q;
  };
  for (const f of frames) {
    const name = f.Queue ?? "";
    if (!name) continue;
    if (f.Event === "QueueParams") queueOf(name);
    else if (f.Event === "QueueMember") {
      const agent = f.Location ?? f.Interface ?? "";
      if (!agent) continue;
      const extension = memberExtension(agent, f.StateInterface ?? "");
      const paused = f.Paused === "1";
      const reason = f.PausedReason ?? "";
      const lastPause = Number.parseInt(f.LastPause ?? "", 10);
      queueOf(name).members.push({
        agent,
        ...(extension ? { extension } : {}),
        ...(f.Name || f.MemberName ? { name: (f.Name || f.MemberName) as string } : {}),
        paused,
        ...(paused && reason ? { pauseReason: reason } : {}),
        ...(paused && lastPause > 0 ? { pausedSince: lastPause * 1000 } : {}),
      });
    } else if (f.Event === "QueueEntry") {
      if (!f.Uniqueid) continue;
      const position = Number.parseInt(f.Position ?? "", 10);
      const wait = Number.parseInt(f.Wait ?? "", 10);
      queueOf(name).callers.push({
        leg: f.Uniqueid,
        ...(position > 0 ? { position } : {}),
        ...(wait >= 0 ? { since: at - wait * 1000 } : {}),
      });
    }
  }
  return { pbx, at, type: "queue.snapshot", queues: [...queues.values()] };
}

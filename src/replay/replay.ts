// Replays normalized events through the live model and reports what happened: the contract
// behind `callsight replay --json` (other tools read it).

import type { Party } from "../domain/calls.js";
import {
  type Directory,
  defaultSettings,
  makeDirectory,
  OPERATIONS,
  type User,
} from "../domain/directory.js";
import type { PbxEvent } from "../domain/events.js";
import { type CallView, LiveModel, type ModelChange } from "../domain/live-model.js";
import type { Presence } from "../domain/presence.js";

export interface ReplayParty {
  user?: string;
  number?: string;
  name?: string;
  external?: true;
}

export interface ReplayCall {
  id: string;
  direction: CallView["direction"];
  answered: boolean;
  state: CallView["state"];
  parties: ReplayParty[];
  /** The parties who answered (a phone that only rang is not one). */
  talkers: ReplayParty[];
  recorded: boolean;
  monitoring: { by: string; target: string; mode: string }[];
}

export interface ReplayResult {
  events: PbxEvent[];
  presenceTimeline: Record<string, Presence[]>;
  calls: ReplayCall[];
  final: { presence: Record<string, Presence>; activeCalls: ReplayCall[] };
}

export interface ReplayStep {
  event: PbxEvent;
  changes: ModelChange[];
}

/** Without a configured directory every internal endpoint in the trace becomes a user named by its extension. */
export function directoryFromEvents(events: readonly PbxEvent[]): Directory {
  const users = new Map<string, User>();
  const add = (pbx: string, extension: string, name?: string) => {
    const existing = users.get(extension);
    if (existing) {
      if (name && existing.name === extension) existing.name = name;
      return;
    }
    const settings = defaultSettings();
    for (const op of OPERATIONS) settings.operations[op] = true;
    users.set(extension, {
      id: extension,
      name: name ?? extension,
      extension,
      pbx,
      devices: [],
      departments: ["all"],
      role: "supervisor",
      settings,
    });
  };
  for (const e of events) {
    if (e.type === "leg.created" && e.side === "internal") add(e.pbx, e.number, e.name);
    else if (e.type === "presence.state" || e.type === "presence.dnd") add(e.pbx, e.extension);
    else if (e.type === "device.reachability") {
      const resource = e.endpoint.slice(e.endpoint.lastIndexOf("/") + 1);
      if (/^\d{2,6}$/.test(resource)) add(e.pbx, resource);
    } else if (e.type === "pbx.snapshot") {
      for (const l of e.legs) if (l.side === "internal") add(e.pbx, l.number, l.name);
    }
  }
  const sorted = [...users.values()].sort((a, b) => a.id.localeCompare(b.id));
  return makeDirectory([{ id: "all", name: "Everyone" }], sorted);
}

export function replay(
  events: readonly PbxEvent[],
  directory: Directory,
  onStep?: (step: ReplayStep) => void,
): ReplayResult {
  const model = new LiveModel(directory);
  const timeline: Record<string, Presence[]> = {};
  for (const id of directory.users.keys()) timeline[id] = [model.presenceOf(id)];
  const ended: CallView[] = [];
  for (const event of events) {
    const changes = model.apply(event);
    for (const c of changes) {
      if (c.kind === "presence") {
        const line = timeline[c.user] ?? [];
        if (line[line.length - 1] !== c.presence) line.push(c.presence);
        timeline[c.user] = line;
      } else if (c.kind === "call-ended") {
        ended.push(c.call);
      }
    }
    onStep?.({ event, changes });
  }
  const active = model.activeCalls();
  const all = [...ended, ...active].sort((a, b) => a.startedAt - b.startedAt);
  const presence: Record<string, Presence> = {};
  for (const id of directory.users.keys()) presence[id] = model.presenceOf(id);
  return {
    events: [...events],
    presenceTimeline: timeline,
    calls: all.map(toReplayCall),
    final: { presence, activeCalls: active.map(toReplayCall) },
  };
}

function toReplayParty(p: Party): ReplayParty {
  if (p.user) return { user: p.user };
  const out: ReplayParty = { number: p.number };
  if (p.name) out.name = p.name;
  if (p.external) out.external = true;
  return out;
}

export function toReplayCall(call: CallView): ReplayCall {
  return {
    id: call.id,
    direction: call.direction,
    answered: call.answered,
    state: call.state,
    parties: call.parties.map(toReplayParty),
    // Who answered first differs by PBX and driver; the set is what matters.
    talkers: call.talkers.map(toReplayParty).sort((a, b) => partyKey(a).localeCompare(partyKey(b))),
    recorded: call.recorded,
    monitoring: call.monitoring.map((s) => ({
      by: s.by ?? s.byNumber,
      target: s.target ?? s.targetLeg,
      mode: s.mode,
    })),
  };
}

function partyKey(p: ReplayParty): string {
  return "user" in p && p.user ? `u:${p.user}` : `n:${"number" in p ? p.number : ""}`;
}

// Calls and their legs, and what can be derived from them (direction, state, parties).

import type { MonitoringMode } from "./directory.js";
import type { LegEndpoint } from "./events.js";

export type LegState = "dialing" | "ringing" | "up";
export type CallDirection = "internal" | "inbound" | "outbound";
export type CallState = "ringing" | "up" | "held" | "parked" | "ended";

export interface Leg extends LegEndpoint {
  pbx: string;
  id: string;
  callId: string;
  channel: string;
  /** The directory user whose device this leg is on. */
  user?: string;
  /** On a trunk leg between two PBXes: the colleague on the other PBX it reaches. */
  reachedUser?: string;
  /**
   * On an outside leg a user's follow-me or call forward dialled: that user's extension. The leg is theirs
   * (`user`): their tile, presence and history show it, the outside number is not shown (party-visibility).
   */
  onBehalfOf?: string;
  outgoing: boolean;
  dialled?: string;
  state: LegState;
  /** Set on the leg whose side pressed hold (Asterisk) or was put on hold (FreeSWITCH). */
  held: boolean;
  bridge?: string;
  /** Set while the leg waits in a parking lot: where, since when and (when the PBX said) which user parked it. */
  parked?: { lot: string; space: string; at?: number; by?: string };
  recording: boolean;
  /** Recording files seen stopping on this leg (a PBX may report them as running at a resync). */
  stoppedRecordings?: string[];
  /** Present when this leg is a supervisor's listen / whisper / barge leg. */
  monitors?: { target: string; mode: MonitoringMode };
  createdAt: number;
  answeredAt?: number;
}

export interface Party {
  user?: string;
  number: string;
  name?: string;
  external: boolean;
}

export interface MonitoringSession {
  /** The supervisor's leg id. */
  spyLeg: string;
  by?: string;
  byNumber: string;
  target?: string;
  targetLeg: string;
  mode: MonitoringMode;
  startedAt: number;
  endedAt?: number;
}

/** Someone picked up a call ringing on another phone (directed pickup). */
export interface CallPickup {
  at: number;
  /** The picker. */
  by: Party;
  /** Whose ringing phone it was. */
  from?: Party;
}

/** The call was handed on: `by` transferred it, `to` took it over (when the model could tell). */
export interface CallTransfer {
  at: number;
  kind: "blind" | "attended";
  by?: Party;
  to?: Party;
}

export interface Call {
  pbx: string;
  id: string;
  legs: Set<string>;
  /** The first leg that called in (not created by the PBX towards a device). */
  originator?: string;
  startedAt: number;
  answeredAt?: number;
  endedAt?: number;
  /** Every party that ever had a leg in the call, in order of appearance. */
  history: Party[];
  /** The parties whose leg was answered at some point: who spoke (a phone that only rang did not). */
  talkers: Party[];
  monitoring: MonitoringSession[];
  /** Whether any leg was recorded at some point. */
  recorded: boolean;
  /** The originator's party, kept after its leg is gone (the call history names the caller). */
  caller?: Party;
  /** The parties whose phone the call was offered to or rang (whether or not they answered). */
  rang: Party[];
  /** The parties who answered busy. */
  busy: Party[];
  pickups: CallPickup[];
  transfers: CallTransfer[];
  /** The queue the caller first waited in (app_queue, mod_callcenter), as the PBX names it. */
  queue?: string;
}

export function legKey(pbx: string, id: string): string {
  return `${pbx}\u0000${id}`;
}

export function partyOf(leg: Leg): Party {
  const party: Party = { number: shownNumber(leg), external: isOutside(leg) };
  const user = leg.user ?? leg.reachedUser;
  if (user) party.user = user;
  if (leg.name && leg.onBehalfOf === undefined) party.name = leg.name;
  return party;
}

/**
 * A leg to the outside world. Not a trunk leg that reaches a colleague on another PBX, nor one a user's
 * follow-me or call forward dialled: that is the user, as on their desk phone.
 */
export function isOutside(leg: Pick<Leg, "side" | "reachedUser" | "user">): boolean {
  return leg.side === "external" && leg.reachedUser === undefined && leg.user === undefined;
}

/**
 * The number a leg stands for: a follow-me's or forward's leg is its user's extension (the outside number
 * it rings is the user's own, a mobile or a forward target, and never leaves the leg).
 */
export function shownNumber(leg: Pick<Leg, "number" | "onBehalfOf" | "user">): string {
  return leg.onBehalfOf !== undefined && leg.user !== undefined ? leg.onBehalfOf : leg.number;
}

export function sameParty(a: Party, b: Party): boolean {
  if (a.user || b.user) return a.user === b.user;
  return a.external === b.external && a.number === b.number;
}

/** The lists of parties a call keeps. */
export type PartyList = "history" | "talkers" | "rang" | "busy";

export function rememberParty(call: Call, party: Party, list: PartyList = "history"): void {
  const parties = call[list];
  const known = parties.find((p) => sameParty(p, party));
  if (!known) parties.push({ ...party });
  else if (party.name && !known.name) known.name = party.name;
}

/** A party's number or name became known later (an outbound trunk leg learns the dialled number). */
export function updateParty(call: Call, before: Party, after: Party): void {
  if (call.caller && sameParty(call.caller, before)) call.caller = { ...after };
  for (const list of ["history", "talkers", "rang", "busy"] as const) {
    const parties = call[list];
    const index = parties.findIndex((p) => sameParty(p, before));
    if (index < 0) {
      if (list === "history") rememberParty(call, after);
      continue;
    }
    const duplicate = parties.findIndex((p, i) => i !== index && sameParty(p, after));
    if (duplicate >= 0) parties.splice(index, 1);
    else parties[index] = { ...after };
  }
}

/** Legs of a call that are parties (monitoring legs are not). */
export function partyLegs(call: Call, legs: ReadonlyMap<string, Leg>): Leg[] {
  const out: Leg[] = [];
  for (const id of call.legs) {
    const leg = legs.get(legKey(call.pbx, id));
    if (leg && !leg.monitors) out.push(leg);
  }
  return out;
}

export function isMonitoringCall(call: Call, legs: ReadonlyMap<string, Leg>): boolean {
  if (call.legs.size === 0) return false;
  for (const id of call.legs) {
    if (!legs.get(legKey(call.pbx, id))?.monitors) return false;
  }
  return true;
}

export function callDirection(call: Call, legs: ReadonlyMap<string, Leg>): CallDirection {
  const originator = call.originator ? legs.get(legKey(call.pbx, call.originator)) : undefined;
  const firstParty = call.history[0];
  const callerExternal = originator ? isOutside(originator) : firstParty?.external === true;
  if (callerExternal && (originator || firstParty)) return "inbound";
  return call.history.some((p) => p.external) ? "outbound" : "internal";
}

/**
 * Whether a leg rings: the device said so, or the PBX is offering the call to it and the device has not answered
 * yet (a phone's 180 may come after the board already shows the offer). Presence and pickup both read this.
 */
export function legRings(leg: Pick<Leg, "state" | "outgoing">): boolean {
  return leg.state === "ringing" || (leg.outgoing && leg.state === "dialing");
}

/** Whether a leg is on hold: it pressed hold, or someone it is bridged with did. */
export function legOnHold(leg: Leg, legs: ReadonlyMap<string, Leg>, call: Call | undefined): boolean {
  if (leg.held || leg.parked) return true;
  if (!leg.bridge || !call) return false;
  for (const id of call.legs) {
    const peer = legs.get(legKey(call.pbx, id));
    if (peer && peer !== leg && peer.bridge === leg.bridge && peer.held) return true;
  }
  return false;
}

export function callState(call: Call, legs: ReadonlyMap<string, Leg>): CallState {
  if (call.endedAt !== undefined) return "ended";
  const members = partyLegs(call, legs);
  if (members.some((l) => l.parked)) return "parked";
  const up = members.filter((l) => l.state === "up");
  if (up.length === 0) return "ringing";
  // A caller the PBX answered (a queue's music) while the call is offered to phones: still ringing. A caller
  // alone with the PBX (an IVR, voicemail) is up.
  if (call.answeredAt === undefined && members.some((l) => l.id !== call.originator && legRings(l)))
    return "ringing";
  if (up.every((l) => legOnHold(l, legs, call))) return "held";
  return "up";
}

// A call as the rest of the system sees it: plain data, copied out of the model's legs and calls.

import {
  type Call,
  type CallDirection,
  type CallPickup,
  type CallState,
  type CallTransfer,
  callDirection,
  callState,
  isOutside,
  type Leg,
  legOnHold,
  legRings,
  type MonitoringSession,
  type Party,
  partyLegs,
  shownNumber,
} from "./calls.js";

export interface LegView {
  leg: string;
  user?: string;
  number: string;
  name?: string;
  external: boolean;
  state: "dialing" | "ringing" | "up" | "held" | "parked";
  recording: boolean;
  /** When this leg appeared. */
  since: number;
}

/** A call as the rest of the system sees it: plain data, no references into the model. */
export interface CallView {
  pbx: string;
  id: string;
  direction: CallDirection;
  state: CallState;
  answered: boolean;
  startedAt: number;
  answeredAt?: number;
  endedAt?: number;
  legs: LegView[];
  parties: Party[];
  /** The parties who answered at some point (the recording policy and a recording's people). */
  talkers: Party[];
  recording: boolean;
  recorded: boolean;
  parked?: { lot: string; space: string };
  /** When the model saw the call parked (absent when it learned the park from a PBX snapshot). */
  parkedAt?: number;
  /** The user who parked it, when the PBX named the parker's leg and that leg was a user's. */
  parkedBy?: string;
  monitoring: MonitoringSession[];
  // What the call history reads, on the view of an ended call only (endedCallView).
  /** Who started the call (its originator's party), when one did. */
  caller?: Party;
  /** The parties the call was offered to (their phone rang), answered or not; what the call history reads. */
  rang?: Party[];
  /** The parties who answered busy. */
  busy?: Party[];
  /** Directed pickups: who took the call ringing on whose phone. */
  pickups?: CallPickup[];
  /** Successful transfers. */
  transfers?: CallTransfer[];
  /** The queue the caller waited in, when it came through one. */
  queue?: string;
}

/** The view of a call now; `legs` are the model's legs (keyed by `legKey`). */
export function callView(call: Call, legs: ReadonlyMap<string, Leg>): CallView {
  const members = partyLegs(call, legs);
  const legViews: LegView[] = members.map((l) => {
    const view: LegView = {
      leg: l.id,
      number: shownNumber(l),
      external: isOutside(l),
      state: l.parked
        ? "parked"
        : legOnHold(l, legs, call) && l.state === "up"
          ? "held"
          : legRings(l)
            ? "ringing"
            : l.state,
      recording: l.recording,
      since: l.createdAt,
    };
    if (l.user) view.user = l.user;
    if (l.name && l.onBehalfOf === undefined) view.name = l.name;
    return view;
  });
  const view: CallView = {
    pbx: call.pbx,
    id: call.id,
    direction: callDirection(call, legs),
    state: callState(call, legs),
    answered: call.answeredAt !== undefined,
    startedAt: call.startedAt,
    legs: legViews,
    parties: call.history.map((p) => ({ ...p })),
    talkers: call.talkers.map((p) => ({ ...p })),
    recording: members.some((l) => l.recording),
    recorded: call.recorded,
    monitoring: call.monitoring.map((s) => ({ ...s })),
  };
  if (call.answeredAt !== undefined) view.answeredAt = call.answeredAt;
  if (call.endedAt !== undefined) view.endedAt = call.endedAt;
  const parked = members.find((l) => l.parked)?.parked;
  if (parked) {
    view.parked = { lot: parked.lot, space: parked.space };
    if (parked.at !== undefined) view.parkedAt = parked.at;
    if (parked.by !== undefined) view.parkedBy = parked.by;
  }
  return view;
}

/** The view of a call that just ended, with what the call history reads (callers, rings, pickups, transfers). */
export function endedCallView(call: Call, legs: ReadonlyMap<string, Leg>): CallView {
  const view = callView(call, legs);
  if (call.caller) view.caller = { ...call.caller };
  view.rang = call.rang.map((p) => ({ ...p }));
  view.busy = call.busy.map((p) => ({ ...p }));
  view.pickups = call.pickups.map((p) => structuredClone(p));
  view.transfers = call.transfers.map((t) => structuredClone(t));
  if (call.queue !== undefined) view.queue = call.queue;
  return view;
}

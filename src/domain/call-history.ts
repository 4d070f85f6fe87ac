// The call history: one row per ended call (not per leg), built from the live model's view of the call as it
// ended, and what a viewer may see of a row. Pure: no I/O.
//
// A row says when the call started and ended, its direction, its parties (users and outside numbers), how long
// it was talked, whether anyone answered, and for each party whether they started it, spoke, missed it (their
// phone rang and they did not answer, even when someone else then took the call) or answered busy; who picked
// it up from whose phone, its transfers, and whether it was recorded.
//
// What a viewer gets of a row follows the board's rules (docs/design.md, "Rules that decide what a viewer
// sees"; the rules themselves are in visibility.ts and party-visibility.ts and are not decided again here):
// - a row at all: admins, a party of the call (rule 5), or whoever may see the calls of one of its users (rule 2);
// - its details (call id, direction, recording flag, the parties, pickups and transfers) only to admins, its
//   parties and whoever may see the details of one of its users (rule 3); each colleague in them then as rule
//   3's other end allows (`seenParty`: a colleague who hides is only "a colleague"), in full for admins and
//   the call's own parties;
// - without details, the row is what a tile without details shows: one person's call, when, how long and
//   whether it was answered or missed, and nothing about whom it was with.

import type { CallView } from "./call-view.js";
import { type CallDirection, type Party, sameParty } from "./calls.js";
import type { Directory, User } from "./directory.js";
import { type SeenParty, seenParty } from "./party-visibility.js";
import { canSeeCallDetails, canSeeCalls, isAdmin } from "./visibility.js";

/** What became of one party on the call. */
export interface PartyOutcome {
  /** They started the call. */
  caller?: true;
  /** Their leg was answered at some point: they spoke on the call. */
  talked?: true;
  /** Their phone rang and they did not answer (the call may have been taken elsewhere, e.g. picked up). */
  missed?: true;
  /** They answered busy. */
  busy?: true;
  /**
   * Their phone rang and a colleague the call was offered to at the same time or next took it (a ring
   * group, a hunt group, a queue): not a call they missed.
   */
  answeredElsewhere?: true;
}

export type HistoryParty = Party & PartyOutcome;

export interface HistoryPickup {
  at: number;
  /** Who picked the call up. */
  by: Party;
  /** Whose ringing phone it was taken from. */
  from?: Party;
}

export interface HistoryTransfer {
  at: number;
  kind: "blind" | "attended";
  by?: Party;
  to?: Party;
}

/** One ended call. */
export interface HistoryRow {
  /** `<pbx>:<call id>`: one row per call. */
  id: string;
  pbx: string;
  call: string;
  direction: CallDirection;
  startedAt: number;
  answeredAt?: number;
  endedAt: number;
  /** From the first answer to the end, in ms (0 when nobody answered). */
  talkMs: number;
  answered: boolean;
  /** Nobody answered. */
  missed: boolean;
  /** In order of appearance. */
  parties: HistoryParty[];
  pickups: HistoryPickup[];
  transfers: HistoryTransfer[];
  recorded: boolean;
  /** The queue the caller waited in, when the call came through one. */
  queue?: string;
}

/** The id of the row of a call. */
export function historyRowId(pbx: string, call: string): string {
  return `${pbx}:${call}`;
}

function has(list: readonly Party[] | undefined, p: Party): boolean {
  return (list ?? []).some((q) => sameParty(q, p));
}

/** The row of a call that ended (the `call-ended` change's view, which carries rings, pickups and transfers). */
export function historyRow(call: CallView): HistoryRow {
  const endedAt = call.endedAt ?? call.startedAt;
  // A party the call was offered to answered it (a picker was not offered it: the phone it took it from missed it).
  const takenByOffered = call.talkers.some(
    (t) => has(call.rang, t) && !(call.caller && sameParty(call.caller, t)),
  );
  const parties = call.parties.map((p): HistoryParty => {
    const row: HistoryParty = { ...p };
    if (call.caller && sameParty(call.caller, p)) row.caller = true;
    if (has(call.talkers, p)) row.talked = true;
    else if (has(call.busy, p)) row.busy = true;
    // An outside number that did not answer is not someone's missed call.
    else if (!row.caller && !p.external && has(call.rang, p)) {
      if (takenByOffered) row.answeredElsewhere = true;
      // A queue call nobody took is the queue's (abandoned), not each agent's missed call.
      else if (call.queue === undefined) row.missed = true;
    }
    return row;
  });
  const caller = call.caller;
  const direction: CallDirection = caller
    ? caller.external
      ? "inbound"
      : parties.some((p) => p.external)
        ? "outbound"
        : "internal"
    : call.direction;
  const row: HistoryRow = {
    id: historyRowId(call.pbx, call.id),
    pbx: call.pbx,
    call: call.id,
    direction,
    startedAt: call.startedAt,
    endedAt,
    talkMs: call.answeredAt === undefined ? 0 : Math.max(0, endedAt - call.answeredAt),
    answered: call.answered,
    missed: !call.answered,
    parties,
    pickups: (call.pickups ?? []).map((p) => structuredClone(p)),
    transfers: (call.transfers ?? []).map((t) => structuredClone(t)),
    recorded: call.recorded,
  };
  if (call.answeredAt !== undefined) row.answeredAt = call.answeredAt;
  if (call.queue !== undefined) row.queue = call.queue;
  return row;
}

/** The directory users among a row's parties (whose history it is: the store indexes it under each). */
export function usersOfRow(row: Pick<HistoryRow, "parties">): string[] {
  const out: string[] = [];
  for (const p of row.parties) if (p.user !== undefined && !out.includes(p.user)) out.push(p.user);
  return out;
}

export type SeenHistoryParty = SeenParty & PartyOutcome;

/** A row as one viewer may see it. */
export interface SeenHistoryRow {
  startedAt: number;
  endedAt: number;
  talkMs: number;
  answered: boolean;
  /** Nobody answered. */
  missed: boolean;
  /** Without details: the one person whose call the viewer sees, and what became of it for them. */
  person?: { user: string } & Omit<PartyOutcome, "caller">;
  // The details (rule 3):
  id?: string;
  pbx?: string;
  call?: string;
  direction?: CallDirection;
  recorded?: boolean;
  queue?: string;
  parties?: SeenHistoryParty[];
  pickups?: { at: number; by: SeenParty; from?: SeenParty }[];
  transfers?: { at: number; kind: HistoryTransfer["kind"]; by?: SeenParty; to?: SeenParty }[];
}

function outcomeOf(p: PartyOutcome): PartyOutcome {
  const out: PartyOutcome = {};
  if (p.caller) out.caller = true;
  if (p.talked) out.talked = true;
  if (p.missed) out.missed = true;
  if (p.busy) out.busy = true;
  if (p.answeredElsewhere) out.answeredElsewhere = true;
  return out;
}

/**
 * What `viewer` may see of a row under `directory` (the rules of now, not of when the call ended), or
 * undefined when they may not see it at all. Built from scratch: only what the rules allow is copied.
 */
export function historyFor(directory: Directory, viewer: User, row: HistoryRow): SeenHistoryRow | undefined {
  const admin = isAdmin(viewer);
  const own = row.parties.some((p) => p.user === viewer.id);
  const users: User[] = [];
  for (const id of usersOfRow(row)) {
    const u = directory.users.get(id);
    if (u) users.push(u);
  }
  const callsOf = users.filter((u) => canSeeCalls(viewer, u));
  if (!admin && !own && callsOf.length === 0) return undefined;
  const seen: SeenHistoryRow = {
    startedAt: row.startedAt,
    endedAt: row.endedAt,
    talkMs: row.talkMs,
    answered: row.answered,
    missed: row.missed,
  };
  const details = admin || own || users.some((u) => canSeeCallDetails(viewer, u));
  if (!details) {
    // As on a tile without details: one person's call, not whom it was with (naming two people whose calls
    // the viewer sees on one row would say that they talked to each other).
    const person = callsOf[0] as User;
    const party = row.parties.find((p) => p.user === person.id);
    const { caller: _caller, ...outcome } = party ? outcomeOf(party) : {};
    seen.person = { user: person.id, ...outcome };
    return seen;
  }
  // Admins and the call's own parties get every party in full (rule 5); anyone else sees colleagues as rule 3's
  // other end allows.
  const full = admin || own;
  const see = (p: Party): SeenParty => seenParty(directory, p, full);
  seen.id = row.id;
  seen.pbx = row.pbx;
  seen.call = row.call;
  seen.direction = row.direction;
  seen.recorded = row.recorded;
  if (row.queue !== undefined) seen.queue = row.queue;
  seen.parties = row.parties.map((p) => ({ ...see(p), ...outcomeOf(p) }));
  seen.pickups = row.pickups.map((p) => {
    const out: { at: number; by: SeenParty; from?: SeenParty } = { at: p.at, by: see(p.by) };
    if (p.from) out.from = see(p.from);
    return out;
  });
  seen.transfers = row.transfers.map((t) => {
    const out: NonNullable<SeenHistoryRow["transfers"]>[number] = { at: t.at, kind: t.kind };
    if (t.by) out.by = see(t.by);
    if (t.to) out.to = see(t.to);
    return out;
  });
  return seen;
}

/** Whether a row, as the viewer sees it, names `user` (a party, or the person of a row without details). */
export function namesUser(seen: SeenHistoryRow, user: string): boolean {
  return seen.person?.user === user || (seen.parties ?? []).some((p) => p.user === user);
}

/** Whether, in a row as the viewer sees it, `user`'s phone rang and they did not answer. */
export function missedFor(seen: SeenHistoryRow, user: string): boolean {
  if (seen.person?.user === user) return seen.person.missed === true;
  return (seen.parties ?? []).some((p) => p.user === user && p.missed === true);
}

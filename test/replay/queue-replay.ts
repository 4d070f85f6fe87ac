// What the queue and queue-path golden tests share: replaying a capture of test/fixtures/queues/ through its
// driver's translation and the live model, and reading the outcome in the scenario descriptions' words.

import { expect } from "vitest";
import { type HistoryParty, type HistoryRow, historyRow } from "../../src/domain/call-history.js";
import type { CallView } from "../../src/domain/call-view.js";
import { makeDirectory } from "../../src/domain/directory.js";
import type { PbxEvent } from "../../src/domain/events.js";
import { LiveModel } from "../../src/domain/live-model.js";
import { readTrace } from "../../src/replay/formats.js";
import { directoryFromEvents, type ReplayResult, replay } from "../../src/replay/replay.js";

export type Format = "ami" | "ari" | "esl";
export const FILES: Record<Format, (name: string) => string> = {
  ami: (name) => `test/fixtures/queues/asterisk/${name}.ami.txt`,
  ari: (name) => `test/fixtures/queues/asterisk/${name}.ari.jsonl`,
  esl: (name) => `test/fixtures/queues/freeswitch/${name}.esl.txt`,
};

export interface Run {
  result: ReplayResult;
  rows: HistoryRow[];
  events: PbxEvent[];
  /** Every view of a call the model published while it was going on, in order. */
  views: CallView[];
}

export function eventsOf(format: Format, name: string): PbxEvent[] {
  const read = readTrace(FILES[format](name), format, { pbx: "main" });
  expect(read.problems).toEqual([]);
  return read.events;
}

/**
 * Replays capture `name`. The directory holds the extensions the capture shows a phone of, and `users`:
 * extensions that are users though no phone of theirs took part (one forwarded unconditionally).
 */
export function run(format: Format, name: string, users: readonly string[] = []): Run {
  const events = eventsOf(format, name);
  const seen = directoryFromEvents(events);
  const list = [...seen.users.values()];
  const template = list[0];
  if (template)
    for (const extension of users)
      if (!seen.users.has(extension)) list.push({ ...template, id: extension, name: extension, extension });
  const directory = users.length === 0 ? seen : makeDirectory([...seen.departments.values()], list);
  const result = replay(events, directory);
  const model = new LiveModel(directory);
  const rows: HistoryRow[] = [];
  const views: CallView[] = [];
  for (const e of events)
    for (const c of model.apply(e)) {
      if (c.kind === "call-ended") rows.push(historyRow(c.call));
      else if (c.kind === "call") views.push(c.call);
    }
  return { result, rows, events, views };
}

export const who = (p: { user?: string; number?: string }) => p.user ?? p.number ?? "";
export const sorted = (list: { user?: string; number?: string }[]) => list.map(who).sort();
export const CALLER = "15551234567";
export const MOBILE = "15557654321";

export const RANG_ONLY = ["available", "ringing", "available"];
export const ANSWERED = ["available", "ringing", "on-call", "available"];
export const CALLED_OUT = ["available", "on-call", "available"];

/** What became of each party in a row, in the .md's words. */
export function outcomes(row: HistoryRow): Record<string, string> {
  const word = (p: HistoryParty) =>
    p.caller
      ? "caller"
      : p.talked
        ? "talked"
        : p.missed
          ? "missed"
          : p.answeredElsewhere
            ? "taken by a colleague"
            : "-";
  return Object.fromEntries(row.parties.map((p) => [who(p), word(p)]));
}

export function party(row: HistoryRow, id: string): HistoryParty {
  const p = row.parties.find((x) => who(x) === id);
  expect(p, `${id} is a party of the row`).toBeDefined();
  return p!;
}

/** The capture's one call, ended, with everything idle afterwards. */
export function onlyCall(result: ReplayResult) {
  expect(result.calls, "one call, however many channels the PBX used").toHaveLength(1);
  const call = result.calls[0]!;
  expect(call.state).toBe("ended");
  expect(result.final.activeCalls).toEqual([]);
  for (const state of Object.values(result.final.presence)) expect(state).toBe("available");
  return call;
}

/** Who was talking (legs up) in each view of the call where at least two were, in order, deduplicated. */
export function talkingPairs(views: CallView[]): string[][] {
  const out: string[][] = [];
  for (const v of views) {
    const up = v.legs
      .filter((l) => l.state === "up")
      .map((l) => l.user ?? l.number ?? "")
      .sort();
    if (up.length < 2) continue;
    const last = out[out.length - 1];
    if (!last || last.join() !== up.join()) out.push(up);
  }
  return out;
}

/**
 * A call forwarded to a user's private outside number: the forwarding user's leg stands for them (their
 * extension, inside the PBX) in every view of it, and the number is in no view from the dial that says whose
 * forward it is on (AMI names the number a frame earlier), nor in the history.
 */
export function expectForwardedLeg(
  r: Pick<Run, "views" | "rows">,
  user: string,
  privateNumber: string,
): void {
  const forwarded = r.views.flatMap((v) => v.legs).filter((l) => l.user === user);
  expect(forwarded.length).toBeGreaterThan(0);
  for (const l of forwarded) expect(l).toMatchObject({ external: false, number: user });
  const since = r.views.findIndex((v) => v.legs.some((l) => l.user === user));
  expect(JSON.stringify(r.views.slice(since))).not.toContain(privateNumber);
  expect(JSON.stringify(r.rows)).not.toContain(privateNumber);
}

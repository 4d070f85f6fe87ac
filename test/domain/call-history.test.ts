// The call history's rows, built from the captured traces replayed through the driver translation and the
// live model. Each expectation is what the scenario's description (test/fixtures/<pbx>/NN-*.md) says
// happened, written from the .md: who called whom, who answered, who only rang, who was busy, who picked
// up, who transferred to whom.

import { describe, expect, it } from "vitest";
import {
  type HistoryRow,
  historyFor,
  historyRow,
  missedFor,
  namesUser,
} from "../../src/domain/call-history.js";
import { defaultSettings, makeDirectory, type User } from "../../src/domain/directory.js";
import type { PbxEvent } from "../../src/domain/events.js";
import { LiveModel } from "../../src/domain/live-model.js";
import { readTrace } from "../../src/replay/formats.js";
import { directoryFromEvents } from "../../src/replay/replay.js";

function eventsOf(pbx: "asterisk" | "freeswitch", name: string): PbxEvent[] {
  const read =
    pbx === "asterisk"
      ? readTrace(`test/fixtures/asterisk/${name}.ami.txt`, "ami", { pbx: "main" })
      : readTrace(`test/fixtures/freeswitch/${name}.esl.txt`, "esl", { pbx: "main" });
  expect(read.problems).toEqual([]);
  return read.events;
}

/** Every row the trace makes: one per call that ended. */
function rowsOf(pbx: "asterisk" | "freeswitch", name: string): HistoryRow[] {
  const events = eventsOf(pbx, name);
  const model = new LiveModel(directoryFromEvents(events));
  const rows: HistoryRow[] = [];
  for (const e of events) {
    for (const c of model.apply(e)) if (c.kind === "call-ended") rows.push(historyRow(c.call));
  }
  return rows;
}

function onlyRow(pbx: "asterisk" | "freeswitch", name: string): HistoryRow {
  const rows = rowsOf(pbx, name);
  expect(rows, "one row per call, not per leg").toHaveLength(1);
  return rows[0] as HistoryRow;
}

type Who = string;

/** A row in the words of a scenario description. */
function told(row: HistoryRow) {
  const who = (p: { user?: string; number: string }): Who => p.user ?? p.number;
  return {
    direction: row.direction,
    answered: row.answered,
    missed: row.missed,
    parties: row.parties.map((p) => ({
      who: who(p),
      ...(p.caller ? { caller: true } : {}),
      ...(p.talked ? { talked: true } : {}),
      ...(p.missed ? { missed: true } : {}),
      ...(p.busy ? { busy: true } : {}),
    })),
    pickups: row.pickups.map((p) => ({ by: who(p.by), from: p.from ? who(p.from) : undefined })),
    transfers: row.transfers.map((t) => ({
      kind: t.kind,
      by: t.by ? who(t.by) : undefined,
      to: t.to ? who(t.to) : undefined,
    })),
    recorded: row.recorded,
  };
}

const seconds = (ms: number) => Math.round(ms / 1000);

describe("history rows from the Asterisk captures (as each scenario's .md describes it)", () => {
  it("01-internal-answered: 1001 calls 1002, 1002 answers, ~2 s talk, caller hangs up", () => {
    const row = onlyRow("asterisk", "01-internal-answered");
    expect(told(row)).toEqual({
      direction: "internal",
      answered: true,
      missed: false,
      parties: [
        { who: "1001", caller: true, talked: true },
        { who: "1002", talked: true },
      ],
      pickups: [],
      transfers: [],
      recorded: false,
    });
    // "~2 s talk": 1.5 s of ringing, then 2 s in the bridge (Cdr BillableSeconds=2).
    expect(seconds(row.talkMs)).toBe(2);
    expect(seconds(row.endedAt - row.startedAt)).toBe(4);
    expect(row.id).toBe(`main:${row.call}`);
    expect(row.parties[0]).toMatchObject({
      user: "1001",
      number: "1001",
      name: "Alice Sales",
      external: false,
    });
  });

  it("02-internal-cancelled: nobody answers, 1001 gives up — a missed call for 1002 from 1001", () => {
    const row = onlyRow("asterisk", "02-internal-cancelled");
    expect(told(row)).toEqual({
      direction: "internal",
      answered: false,
      missed: true,
      parties: [
        { who: "1001", caller: true },
        { who: "1002", missed: true },
      ],
      pickups: [],
      transfers: [],
      recorded: false,
    });
    expect(row.talkMs).toBe(0);
    expect(row.answeredAt).toBeUndefined();
    // 1002 rang ~3 s before 1001 cancelled.
    expect(seconds(row.endedAt - row.startedAt)).toBe(3);
  });

  it("03-internal-busy: 1003 rejects with 486 Busy Here: no answer; 1003 was busy, it never rang", () => {
    const row = onlyRow("asterisk", "03-internal-busy");
    expect(told(row)).toEqual({
      direction: "internal",
      answered: false,
      missed: true,
      parties: [
        { who: "1001", caller: true },
        { who: "1003", busy: true },
      ],
      pickups: [],
      transfers: [],
      recorded: false,
    });
    expect(row.talkMs).toBe(0);
  });

  it("04-outbound-answered: 1001 calls 17778732492 through the carrier, answered, ~3 s talk", () => {
    const row = onlyRow("asterisk", "04-outbound-answered");
    expect(told(row)).toMatchObject({
      direction: "outbound",
      answered: true,
      parties: [
        { who: "1001", caller: true, talked: true },
        { who: "17778732492", talked: true },
      ],
    });
    expect(row.parties[1]).toMatchObject({ external: true });
    expect(seconds(row.talkMs)).toBe(3);
  });

  it("05-inbound-answered: 15551234567 (WIRELESS CALLER) calls the DID, 1002 answers, ~3 s talk", () => {
    const row = onlyRow("asterisk", "05-inbound-answered");
    expect(told(row)).toEqual({
      direction: "inbound",
      answered: true,
      missed: false,
      parties: [
        { who: "15551234567", caller: true, talked: true },
        { who: "1002", talked: true },
      ],
      pickups: [],
      transfers: [],
      recorded: false,
    });
    expect(row.parties[0]).toEqual({
      number: "15551234567",
      name: "WIRELESS CALLER",
      external: true,
      caller: true,
      talked: true,
    });
    expect(seconds(row.talkMs)).toBe(3);
  });

  it("09-directed-pickup: 1002 rings, 1003 picks it up with *81002 — missed for 1002, 1001 talks to 1003", () => {
    const row = onlyRow("asterisk", "09-directed-pickup");
    expect(told(row)).toEqual({
      direction: "internal",
      answered: true,
      missed: false,
      parties: [
        { who: "1001", caller: true, talked: true },
        { who: "1002", missed: true },
        { who: "1003", talked: true },
      ],
      pickups: [{ by: "1003", from: "1002" }],
      transfers: [],
      recorded: false,
    });
    // The picker's own call (its own Linkedid until the pickup) is absorbed, not a row of its own;
    // 1001 talks 4 s after the pickup.
    expect(seconds(row.talkMs)).toBe(4);
  });

  it("11b-mixmonitor-dialplan: the dialplan records 1001's outbound call", () => {
    const row = onlyRow("asterisk", "11b-mixmonitor-dialplan");
    expect(told(row)).toMatchObject({ direction: "outbound", answered: true, recorded: true });
  });

  it("15a-blind-transfer: 1002 answers the outside caller and blind-transfers them to 1003, who answers", () => {
    const row = onlyRow("asterisk", "15a-blind-transfer");
    expect(told(row)).toEqual({
      direction: "inbound",
      answered: true,
      missed: false,
      parties: [
        { who: "15551234567", caller: true, talked: true },
        { who: "1002", talked: true },
        { who: "1003", talked: true },
      ],
      pickups: [],
      transfers: [{ kind: "blind", by: "1002", to: "1003" }],
      recorded: false,
    });
    // The caller hangs up 12 s after the first answer: one call throughout.
    expect(seconds(row.talkMs)).toBe(12);
  });

  it("15b-attended-transfer: 1002 consults 1003 and hangs up; the outside caller ends up with 1003", () => {
    const row = onlyRow("asterisk", "15b-attended-transfer");
    expect(told(row)).toEqual({
      direction: "inbound",
      answered: true,
      missed: false,
      parties: [
        { who: "15551234567", caller: true, talked: true },
        { who: "1002", talked: true },
        { who: "1003", talked: true },
      ],
      pickups: [],
      transfers: [{ kind: "attended", by: "1002", to: "1003" }],
      recorded: false,
    });
    expect(seconds(row.talkMs)).toBe(16);
  });
});

describe("history rows from the FreeSWITCH captures", () => {
  it("01-internal-answered: 1001 -> 1002, answered, ~2 s together", () => {
    const row = onlyRow("freeswitch", "01-internal-answered");
    expect(told(row)).toMatchObject({
      direction: "internal",
      answered: true,
      missed: false,
      parties: [
        { who: "1001", caller: true, talked: true },
        { who: "1002", talked: true },
      ],
    });
  });

  it("02-internal-cancelled: never answered; 1002 rang ~3 s — a missed call from 1001", () => {
    const row = onlyRow("freeswitch", "02-internal-cancelled");
    expect(told(row)).toMatchObject({
      direction: "internal",
      answered: false,
      missed: true,
      parties: [
        { who: "1001", caller: true },
        { who: "1002", missed: true },
      ],
    });
    expect(row.talkMs).toBe(0);
  });

  it("05-inbound-answered: 15551234567 -> 1002, answered", () => {
    const row = onlyRow("freeswitch", "05-inbound-answered");
    expect(told(row)).toMatchObject({
      direction: "inbound",
      answered: true,
      parties: [
        { who: "15551234567", caller: true, talked: true },
        { who: "1002", talked: true },
      ],
    });
  });
});

describe("a viewer's view of a row (the board's rules)", () => {
  const settings = (over: Partial<User["settings"]> = {}) => ({ ...defaultSettings(), ...over });
  const user = (
    id: string,
    departments: string[],
    over: Partial<User["settings"]> = {},
    role: User["role"] = "agent",
  ): User => ({
    id,
    name: `User ${id}`,
    extension: id,
    pbx: "main",
    devices: [],
    departments,
    role,
    settings: settings(over),
  });
  // As in callsight.example.yaml: Bob does not show his calls, Carol does not share presence, Erin does
  // not see calls, and Dave is in another department.
  const directory = makeDirectory(
    [
      { id: "sales", name: "Sales" },
      { id: "support", name: "Support" },
    ],
    [
      user("1001", ["sales"]),
      user("1002", ["sales"], { showMyCalls: false }),
      user("1003", ["sales"], { sharePresence: false }),
      user("1004", ["support"]),
      user("1005", ["sales"], { calls: false }),
      user("admin", ["support"], {}, "admin"),
    ],
  );
  const viewer = (id: string) => directory.users.get(id) as User;
  const inbound = onlyRow("asterisk", "05-inbound-answered"); // outside caller -> 1002 (showMyCalls off)
  const pickup = onlyRow("asterisk", "09-directed-pickup"); // 1001 -> 1002, picked up by 1003

  it("a party sees their own call in full, outside number and all (rule 5)", () => {
    const seen = historyFor(directory, viewer("1002"), inbound);
    expect(seen?.parties?.[0]).toMatchObject({
      number: "15551234567",
      name: "WIRELESS CALLER",
      external: true,
    });
    expect(seen).toMatchObject({ call: inbound.call, direction: "inbound", recorded: false });
  });

  it("a colleague who sees Bob's calls but not whom he talks to gets no detail: when, how long, answered", () => {
    const seen = historyFor(directory, viewer("1001"), inbound);
    expect(seen).toEqual({
      startedAt: inbound.startedAt,
      endedAt: inbound.endedAt,
      talkMs: inbound.talkMs,
      answered: true,
      missed: false,
      person: { user: "1002", talked: true },
    });
    expect(JSON.stringify(seen)).not.toContain("15551234567");
  });

  it("nobody outside the call who may not see its users' calls gets the row", () => {
    expect(historyFor(directory, viewer("1004"), inbound)).toBeUndefined(); // another department
    expect(historyFor(directory, viewer("1005"), inbound)).toBeUndefined(); // calls: false
    expect(historyFor(directory, viewer("admin"), inbound)?.parties?.[0]?.number).toBe("15551234567");
  });

  it("details through one colleague; a colleague who hides is only 'a colleague', missed or not", () => {
    // 1001 called, 1002 (showMyCalls off) missed it, 1003 (sharePresence off) picked it up. Dave's view is
    // none (other department); Erin sees no calls; 1002 and 1003 are parties and see it in full.
    const seen = historyFor(directory, viewer("admin"), pickup);
    expect(seen?.pickups).toEqual([
      {
        at: pickup.pickups[0]?.at,
        by: expect.objectContaining({ user: "1003" }),
        from: expect.objectContaining({ user: "1002" }),
      },
    ]);
    const bobs = historyFor(directory, viewer("1002"), pickup);
    expect(bobs?.parties?.map((p) => p.user)).toEqual(["1001", "1002", "1003"]);
    expect(missedFor(bobs!, "1002")).toBe(true);
    // A sales colleague outside the call: details through Alice; Bob and Carol hide.
    const other = makeDirectory(
      [...directory.departments.values()],
      [...directory.users.values(), user("1006", ["sales"])],
    );
    const frank = historyFor(other, other.users.get("1006") as User, pickup);
    expect(frank?.parties).toEqual([
      { user: "1001", number: "1001", name: "Alice Sales", external: false, caller: true, talked: true },
      { external: false, missed: true },
      { external: false, talked: true },
    ]);
    expect(frank?.pickups).toEqual([
      { at: pickup.pickups[0]?.at, by: { external: false }, from: { external: false } },
    ]);
    expect(namesUser(frank!, "1002")).toBe(false);
    expect(namesUser(frank!, "1001")).toBe(true);
  });
});

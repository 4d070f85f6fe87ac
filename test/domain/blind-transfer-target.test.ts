// A blind transfer's target in the history is the leg the call offers next, whichever the PBX reports first:
// the transfer, then the target's channel (AMI), or the target's channel (created a moment before, and
// stamped with that time) and then the transfer — the order ARI delivered in about one live run in four.

import { describe, expect, it } from "vitest";
import { historyRow } from "../../src/domain/call-history.js";
import { defaultSettings, makeDirectory, type User } from "../../src/domain/directory.js";
import type { PbxEvent } from "../../src/domain/events.js";
import { LiveModel } from "../../src/domain/live-model.js";

const PBX = "main";
const user = (id: string): User => ({
  id,
  name: `User ${id}`,
  extension: id,
  pbx: PBX,
  devices: [],
  departments: ["sales"],
  role: "agent",
  settings: defaultSettings(),
});

function leg(id: string, at: number, ext: string | undefined, outgoing: boolean, callId = "c1"): PbxEvent {
  return {
    pbx: PBX,
    at,
    type: "leg.created",
    leg: id,
    callId,
    channel: ext ? `PJSIP/${ext}-${id}` : `PJSIP/carrier-${id}`,
    endpoint: ext ? `PJSIP/${ext}` : "PJSIP/carrier",
    side: ext ? "internal" : "external",
    number: ext ?? "15551234567",
    outgoing,
  };
}

const transfer = (at: number): PbxEvent => ({
  pbx: PBX,
  at,
  type: "call.transferred",
  kind: "blind",
  transferer: "alice",
  transferee: "caller",
  destination: "1003",
  success: true,
});

function transfersOf(events: PbxEvent[]) {
  const model = new LiveModel(makeDirectory([{ id: "sales", name: "Sales" }], [user("1001"), user("1003")]));
  const rows = [];
  for (const e of events)
    for (const c of model.apply(e)) if (c.kind === "call-ended") rows.push(historyRow(c.call));
  expect(rows).toHaveLength(1);
  return rows[0]!.transfers?.map((t) => `${t.kind} by ${t.by?.user} to ${t.to?.user}`);
}

const up = (id: string, at: number): PbxEvent => ({ pbx: PBX, at, type: "leg.answered", leg: id });
const gone = (id: string, at: number): PbxEvent => ({
  pbx: PBX,
  at,
  type: "leg.hangup",
  leg: id,
  cause: 16,
  causeText: "Normal Clearing",
});

describe("a blind transfer's target", () => {
  const start = [
    leg("caller", 1000, undefined, false),
    up("caller", 1000),
    leg("alice", 1001, "1001", true),
    up("alice", 1002),
  ];
  const end = [up("carol", 1600), gone("alice", 1601), gone("carol", 2000), gone("caller", 2001)];

  it("the transfer first, then the target's channel", () => {
    expect(transfersOf([...start, transfer(1500), leg("carol", 1510, "1003", true), ...end])).toEqual([
      "blind by 1001 to 1003",
    ]);
  });

  it("the target's channel first (already ringing), then the transfer", () => {
    expect(transfersOf([...start, leg("carol", 1490, "1003", true), transfer(1500), ...end])).toEqual([
      "blind by 1001 to 1003",
    ]);
  });

  // ARI, FreePBX queue (seen live): the caller's Local half runs the transfer's dialplan and dials the target,
  // which first belongs to the call the Local pair made up for itself and joins the caller's call later.
  it.each([
    ["before", 1490],
    ["after", 1510],
  ])(
    "the target's channel first in a call of its own (a Local pair's), announced %s the transfer, then moved into the call",
    (_, at) => {
      const carol = leg("carol", at, "1003", true, "local-pair");
      const moved = leg("carol", at + 20, "1003", true);
      const events = at < 1500 ? [carol, transfer(1500), moved] : [transfer(1500), carol, moved];
      expect(transfersOf([...start, ...events, ...end])).toEqual(["blind by 1001 to 1003"]);
    },
  );

  it("the target announced after the transfer but stamped before it (a channel held back until its Dial)", () => {
    expect(transfersOf([...start, transfer(1500), leg("carol", 1490, "1003", true), ...end])).toEqual([
      "blind by 1001 to 1003",
    ]);
  });
});

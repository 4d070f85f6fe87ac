// Several PBXes in one directory: a call from a user on one PBX to a user on another, over a trunk
// between them, is an internal call between two colleagues — on both PBXes.

import { describe, expect, it } from "vitest";
import { defaultSettings, makeDirectory, type User } from "../../src/domain/directory.js";
import type { PbxEvent } from "../../src/domain/events.js";
import { LiveModel } from "../../src/domain/live-model.js";
import { mustRecord } from "../../src/domain/recording-policy.js";

const user = (id: string, pbx: string, extension: string): User => ({
  id,
  name: id,
  extension,
  pbx,
  devices: [],
  departments: ["d"],
  role: "agent",
  settings: { ...defaultSettings(), recording: "external" },
});

const directory = makeDirectory(
  [{ id: "d", name: "One department across two sites" }],
  [user("alice", "paris", "1001"), user("bob", "lyon", "2001")],
);

function leg(
  pbx: string,
  id: string,
  callId: string,
  side: "internal" | "external",
  number: string,
  outgoing: boolean,
): PbxEvent {
  return {
    pbx,
    at: 1,
    type: "leg.created",
    leg: id,
    callId,
    channel: `${id}-chan`,
    endpoint: side === "internal" ? `PJSIP/${number}` : "PJSIP/site-trunk",
    side,
    number,
    outgoing,
  };
}

describe("calls between PBXes", () => {
  it("are internal on both sides when both ends are known users; presence stays with each user's PBX", () => {
    const model = new LiveModel(directory);
    // On paris: Alice dials 2001, which leaves over the trunk to lyon.
    model.apply(leg("paris", "p1", "P", "internal", "1001", false));
    model.apply(leg("paris", "p2", "P", "external", "2001", true));
    // On lyon: the trunk leg arrives from 1001 and rings Bob.
    model.apply(leg("lyon", "l1", "L", "external", "1001", false));
    model.apply(leg("lyon", "l2", "L", "internal", "2001", true));
    for (const e of ["p2", "p1"]) model.apply({ pbx: "paris", at: 2, type: "leg.answered", leg: e });
    for (const e of ["l2", "l1"]) model.apply({ pbx: "lyon", at: 2, type: "leg.answered", leg: e });

    const paris = model.call("paris", "P")!;
    const lyon = model.call("lyon", "L")!;
    expect(paris.direction).toBe("internal");
    expect(lyon.direction).toBe("internal");
    expect(paris.parties).toEqual([
      expect.objectContaining({ user: "alice", external: false }),
      expect.objectContaining({ user: "bob", number: "2001", external: false }),
    ]);
    expect(lyon.parties.map((p) => p.user)).toEqual(["alice", "bob"]);
    // Not an outside call: `external` recording does not apply.
    expect(mustRecord(directory, paris).required).toBe(false);
    // Each user's presence comes from their own PBX's legs, counted once.
    expect(model.presenceOf("alice")).toBe("on-call");
    expect(model.presenceOf("bob")).toBe("on-call");
    expect(model.legsOfUser("bob")).toHaveLength(1);
  });

  it("a trunk call to a number no user has stays an outside call", () => {
    const model = new LiveModel(directory);
    model.apply(leg("paris", "p1", "P", "internal", "1001", false));
    model.apply(leg("paris", "p2", "P", "external", "17778732492", true));
    expect(model.call("paris", "P")?.direction).toBe("outbound");
  });
});

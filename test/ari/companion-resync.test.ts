// The AMI companion's resync after its own link came back: the MixMonitors Asterisk reports running
// (Status, MIXMONITOR_FILENAME) become recording facts for the ARI model, as they do over AMI alone
// (failure 4 of the live suite): one that began while the companion was away is reported started, one that
// ended meanwhile on a leg still up is reported stopped, and nothing is said twice.

import { describe, expect, it } from "vitest";
import type { PbxEvent, PbxSnapshot, SnapshotLeg } from "../../src/domain/events.js";
import { AmiCompanion } from "../../src/pbx/asterisk-ari/companion.js";

const at = 1_700_000_000_000;

function leg(id: string, ext: string): SnapshotLeg {
  return {
    leg: id,
    callId: "c1",
    channel: `PJSIP/${ext}-0001`,
    side: "internal",
    endpoint: `PJSIP/${ext}`,
    number: ext,
    state: "up",
    outgoing: false,
  } as SnapshotLeg;
}

function snapshot(recordings: PbxSnapshot["recordings"], legs = [leg("1.1", "1001"), leg("1.2", "1002")]) {
  const s: PbxSnapshot = {
    pbx: "p",
    at,
    type: "pbx.snapshot",
    legs,
    reachability: [],
    presence: [],
    dnd: [],
    parked: [],
  };
  if (recordings) s.recordings = recordings;
  return s;
}

/** The companion fed AMI driver output directly (what its AMI link would deliver), collecting its facts. */
function companion() {
  const c = new AmiCompanion({ pbx: "p", host: "127.0.0.1", port: 1, username: "u", secret: "s" });
  const facts: PbxEvent[] = [];
  c.onFacts((f) => facts.push(...f));
  const deliver = (events: PbxEvent[]) =>
    (c as unknown as { receive(events: PbxEvent[]): void }).receive(events);
  return { c, facts, deliver };
}

const recordingFacts = (facts: PbxEvent[]) =>
  facts.filter((f) => f.type === "recording.started" || f.type === "recording.stopped");

describe("the AMI companion's resync and MixMonitor", () => {
  it("reports a MixMonitor that began while it was away, with its file", () => {
    const { c, facts, deliver } = companion();
    deliver([snapshot([{ leg: "1.2", file: "/spool/c1-1002-1.2.wav" }])]);
    expect(recordingFacts(facts)).toEqual([
      { pbx: "p", at, type: "recording.started", leg: "1.2", file: "/spool/c1-1002-1.2.wav" },
    ]);
    expect(c.isMixMonitored("1.2")).toBe(true);
    // The next resync finds it still running: nothing new.
    facts.length = 0;
    deliver([snapshot([{ leg: "1.2", file: "/spool/c1-1002-1.2.wav" }])]);
    expect(recordingFacts(facts)).toEqual([]);
  });

  it("stops one that ended while it was away on a leg still up (its file is finalized)", () => {
    const { c, facts, deliver } = companion();
    deliver([{ pbx: "p", at, type: "recording.started", leg: "1.1", file: "/spool/c1-1001-1.1.wav" }]);
    facts.length = 0;
    deliver([snapshot([])]);
    expect(recordingFacts(facts)).toEqual([
      { pbx: "p", at, type: "recording.stopped", leg: "1.1", file: "/spool/c1-1001-1.1.wav" },
    ]);
    expect(c.isMixMonitored("1.1")).toBe(false);
  });

  it("says nothing about recordings when the resync could not tell", () => {
    const { c, facts, deliver } = companion();
    deliver([{ pbx: "p", at, type: "recording.started", leg: "1.1", file: "/spool/c1-1001-1.1.wav" }]);
    facts.length = 0;
    deliver([snapshot(undefined)]);
    expect(recordingFacts(facts)).toEqual([]);
    expect(c.isMixMonitored("1.1")).toBe(true);
  });
});

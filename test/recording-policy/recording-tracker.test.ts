import { describe, expect, it } from "vitest";
import type { PbxEvent } from "../../src/domain/events.js";
import { RecordingTracker } from "../../src/recording/recording-tracker.js";
import { readTrace } from "../../src/replay/formats.js";

function finished(name: string) {
  const tracker = new RecordingTracker();
  const events = readTrace(`test/fixtures/asterisk/${name}.ami.txt`, "ami", { pbx: "main" }).events;
  return { done: events.flatMap((e) => tracker.observe(e)), tracker };
}

describe("recording tracker on the real captures", () => {
  it("11a: a MixMonitor started and stopped over AMI finishes with its file and the call id", () => {
    const { done, tracker } = finished("11a-mixmonitor-ami");
    expect(done).toEqual([
      expect.objectContaining({
        pbx: "main",
        callId: "1795373566.111",
        file: "/var/spool/asterisk/monitor/ami-rec-1002-1795373565.wav",
      }),
    ]);
    expect(done[0]!.stoppedAt - done[0]!.startedAt).toBeGreaterThan(4000);
    expect(tracker.activeRecordings()).toEqual([]);
  });

  it("11b: a dialplan MixMonitor has no stop event; the leg's hangup finishes it", () => {
    const { done } = finished("11b-mixmonitor-dialplan");
    expect(done).toEqual([
      expect.objectContaining({
        callId: "1795373585.113",
        file: "/var/spool/asterisk/monitor/rec-1001-17778732492-1795373585.113.wav",
      }),
    ]);
  });

  it("a duplicated stop finishes a recording once; a resync ends recordings whose legs are gone", () => {
    const tracker = new RecordingTracker();
    const base = { pbx: "p", at: 1 };
    const created: PbxEvent = {
      ...base,
      type: "leg.created",
      leg: "L1",
      callId: "C1",
      channel: "PJSIP/1001-1",
      endpoint: "PJSIP/1001",
      side: "internal",
      number: "1001",
      outgoing: false,
    };
    tracker.observe(created);
    tracker.observe({ ...base, type: "recording.started", leg: "L1", file: "/r/a.wav" });
    expect(tracker.observe({ ...base, at: 5, type: "recording.stopped", leg: "L1" })).toHaveLength(1);
    expect(tracker.observe({ ...base, at: 6, type: "recording.stopped", leg: "L1" })).toHaveLength(0);
    tracker.observe({ ...base, type: "recording.started", leg: "L1", file: "/r/b.wav" });
    const gone = tracker.observe({
      ...base,
      at: 9,
      type: "pbx.snapshot",
      legs: [],
      reachability: [],
      presence: [],
      dnd: [],
      parked: [],
    });
    expect(gone).toEqual([expect.objectContaining({ file: "/r/b.wav", callId: "C1", stoppedAt: 9 })]);
  });

  it("a resync that lists the recordings running starts those begun unseen and finishes those ended unseen", () => {
    const tracker = new RecordingTracker();
    const base = { pbx: "p", at: 1 };
    const leg = (id: string, callId: string) => ({
      leg: id,
      callId,
      channel: `PJSIP/${id}`,
      endpoint: "PJSIP/1001",
      side: "internal" as const,
      number: "1001",
      state: "up" as const,
      outgoing: false,
    });
    const snapshot = (at: number, recordings?: { leg: string; file?: string }[]): PbxEvent => ({
      ...base,
      at,
      type: "pbx.snapshot",
      legs: [leg("L1", "C1"), leg("L2", "C1")],
      reachability: [],
      presence: [],
      dnd: [],
      parked: [],
      ...(recordings ? { recordings } : {}),
    });
    tracker.observe(snapshot(1));
    tracker.observe({ ...base, type: "recording.started", leg: "L1", file: "/r/known.wav" });
    // Reconnect: L1's recording ended meanwhile (not listed); L2's began meanwhile (listed).
    const ended = tracker.observe(snapshot(7, [{ leg: "L2", file: "/r/dialplan.wav" }]));
    expect(ended).toEqual([
      expect.objectContaining({ leg: "L1", callId: "C1", file: "/r/known.wav", stoppedAt: 7 }),
    ]);
    expect(tracker.activeRecordings()).toEqual([
      { pbx: "p", leg: "L2", callId: "C1", file: "/r/dialplan.wav", startedAt: 7 },
    ]);
    // A snapshot that does not say (no `recordings`) changes nothing for legs still there.
    expect(tracker.observe(snapshot(8))).toEqual([]);
    // The recovered recording is queued when its leg ends.
    expect(
      tracker.observe({ ...base, at: 9, type: "leg.hangup", leg: "L2", cause: 16, causeText: "" }),
    ).toEqual([expect.objectContaining({ leg: "L2", file: "/r/dialplan.wav", startedAt: 7, stoppedAt: 9 })]);
  });
});

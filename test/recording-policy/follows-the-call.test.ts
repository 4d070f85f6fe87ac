// Recording follows the call: started on the leg recordingLegFor() picks as soon as the call is answered,
// it must last until the call ends — across blind and attended transfer, pickup and park/retrieve — and
// every party the call reaches afterwards is on the recording.

import { describe, expect, it } from "vitest";
import { makeDirectory } from "../../src/domain/directory.js";
import type { PbxEvent } from "../../src/domain/events.js";
import { LiveModel } from "../../src/domain/live-model.js";
import { recordingLegFor } from "../../src/recording/policy-enforcer.js";
import { RecordingTracker } from "../../src/recording/recording-tracker.js";
import { readTrace } from "../../src/replay/formats.js";
import { directoryFromEvents } from "../../src/replay/replay.js";

function follow(name: string) {
  const events = readTrace(`test/fixtures/asterisk/${name}.ami.txt`, "ami", { pbx: "p" }).events;
  const auto = directoryFromEvents(events);
  const model = new LiveModel(makeDirectory([...auto.departments.values()], [...auto.users.values()]));
  const tracker = new RecordingTracker();
  let recordedLeg: string | undefined;
  let callEnd = 0;
  const partiesWhileRecording = new Set<string>();
  const finished: ReturnType<RecordingTracker["observe"]> = [];
  const feed = (e: PbxEvent) => {
    const changes = model.apply(e);
    finished.push(...tracker.observe(e));
    for (const c of changes) {
      if (c.kind === "call" && c.call.answered && !recordedLeg) {
        recordedLeg = recordingLegFor(c.call)?.leg;
        if (recordedLeg)
          feed({ pbx: "p", at: e.at, type: "recording.started", leg: recordedLeg, file: `/r/${name}.wav` });
      }
      if (c.kind === "call" && recordedLeg && tracker.isRecording("p", recordedLeg)) {
        for (const l of c.call.legs) if (l.state === "up") partiesWhileRecording.add(l.user ?? l.number);
      }
      if (c.kind === "call-ended") callEnd = Math.max(callEnd, c.call.endedAt ?? 0);
    }
  };
  for (const e of events) feed(e);
  return { finished, callEnd, partiesWhileRecording };
}

describe("a recording started at answer lasts the whole call", () => {
  it.each([
    ["15a-blind-transfer", ["15551234567", "1002", "1003"]],
    ["15b-attended-transfer", ["15551234567", "1002", "1003"]],
    ["08-park-and-retrieve", ["15551234567", "1002", "1003"]],
    ["09-directed-pickup", ["1001", "1003"]],
  ])("%s", (name, parties) => {
    const { finished, callEnd, partiesWhileRecording } = follow(name);
    expect(finished).toHaveLength(1);
    // The recorded leg is among the last to hang up (legs of one call end within a few ms).
    expect(callEnd - finished[0]!.stoppedAt).toBeLessThan(50);
    for (const p of parties) expect(partiesWhileRecording).toContain(p);
  });
});

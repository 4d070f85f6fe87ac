// RecordingService: whose recording a finished file is, when the on-demand mark is gone by the time the
// file is queued (the user stopped it first, or the call simply ended in the same batch).

import pino from "pino";
import { describe, expect, it } from "vitest";
import { defaultSettings, makeDirectory, type User } from "../../src/domain/directory.js";
import type { PbxEvent } from "../../src/domain/events.js";
import { LiveModel } from "../../src/domain/live-model.js";
import type { FinalizeRecording } from "../../src/recording/recording-job.js";
import { RecordingService } from "../../src/recording/recording-service.js";

const user = (id: string, role: User["role"] = "agent"): User => ({
  id,
  name: id,
  extension: id,
  pbx: "p",
  devices: [],
  departments: ["d"],
  role,
  settings: { ...defaultSettings(), recording: "off" },
});
const directory = makeDirectory([{ id: "d", name: "D" }], [user("1002"), user("1004", "supervisor")]);

function setup() {
  const model = new LiveModel(directory);
  const jobs: FinalizeRecording[] = [];
  const service = new RecordingService({
    settings: { directory: "/spool", beepSeconds: 0, departments: {} },
    directory: () => directory,
    call: (pbx, id) => model.call(pbx, id),
    drivers: () => [],
    enqueue: async (job) => {
      jobs.push(job);
      return "queued";
    },
    audit: async () => undefined,
    logger: pino({ level: "silent" }),
  });
  const apply = (...events: PbxEvent[]) => {
    const changes = events.flatMap((e) => model.apply(e));
    service.observe(changes, events);
  };
  const base = { pbx: "p", at: 1 };
  // An outside caller (X) talking to 1002 (B).
  apply(
    {
      ...base,
      type: "leg.created",
      leg: "X",
      callId: "C",
      channel: "X",
      endpoint: "PJSIP/carrier",
      side: "external",
      number: "15551234567",
      outgoing: false,
    },
    {
      ...base,
      type: "leg.created",
      leg: "B",
      callId: "C",
      channel: "B",
      endpoint: "PJSIP/1002",
      side: "internal",
      number: "1002",
      outgoing: true,
    },
    { ...base, type: "leg.answered", leg: "B" },
    { ...base, type: "leg.answered", leg: "X" },
  );
  return { service, jobs, apply, base };
}

describe("RecordingService: a recording started on demand", () => {
  it("stays the supervisor's when the supervisor stops it (the mark is cleared before the stop arrives)", async () => {
    const { service, jobs, apply, base } = setup();
    service.enforcer.markOnDemand("p", "C", "1004");
    apply({ ...base, type: "recording.started", leg: "X", file: "/spool/rec.wav" });
    service.enforcer.markOnDemand("p", "C", undefined); // what record-stop does once the PBX accepted it
    apply({ ...base, type: "recording.stopped", leg: "X", file: "/spool/rec.wav" });
    await Promise.resolve();
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ onDemandBy: "1004", extension: "1002" });
  });

  it("stays the supervisor's, with the colleague's extension, when the call simply ends", async () => {
    const { service, jobs, apply, base } = setup();
    service.enforcer.markOnDemand("p", "C", "1004");
    apply({ ...base, type: "recording.started", leg: "X", file: "/spool/rec.wav" });
    apply(
      { ...base, type: "leg.hangup", leg: "B", cause: 16, causeText: "Normal Clearing" },
      { ...base, type: "recording.stopped", leg: "X", file: "/spool/rec.wav" },
      { ...base, type: "leg.hangup", leg: "X", cause: 16, causeText: "Normal Clearing" },
    );
    await Promise.resolve();
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ onDemandBy: "1004", extension: "1002" });
  });
});

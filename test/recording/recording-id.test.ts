// A recording's id is handed to viewers who may not see its call: it must not carry the call id, the leg or
// the PBX's file name (which names an extension), and must stay one id per recording.

import { describe, expect, it } from "vitest";
import { finalizeJobId } from "../../src/recording/recording-job.js";

const job = {
  pbx: "main",
  callId: "1796581816.37",
  leg: "1796581816.38",
  file: "/var/spool/asterisk/monitor/1796581816.37-1002-1796581816.38.wav",
};

describe("recording ids", () => {
  it("say nothing of the call, the leg or the file", () => {
    const id = finalizeJobId(job);
    for (const part of ["1796581816", "1002", "main", "monitor", ".wav"]) expect(id).not.toContain(part);
    expect(id).toMatch(/^[A-Za-z0-9_-]{24}$/);
  });

  it("are the same for the same recording, wherever its file is seen from, and differ between recordings", () => {
    expect(finalizeJobId({ ...job, file: "/recordings/1796581816.37-1002-1796581816.38.wav" })).toBe(
      finalizeJobId(job),
    );
    expect(finalizeJobId({ ...job, leg: "1796581816.39" })).not.toBe(finalizeJobId(job));
    // The parts cannot run into each other.
    expect(finalizeJobId({ ...job, pbx: "a|b", callId: "c" })).not.toBe(
      finalizeJobId({ ...job, pbx: "a", callId: "b|c" }),
    );
  });
});

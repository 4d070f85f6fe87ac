// Recordings as the live model follows them: which legs are being recorded now, which files were seen to stop,
// and whether a call was ever recorded.

import type { CallBook } from "./call-book.js";
import { type Call, type Leg, legKey } from "./calls.js";
import type { PbxSnapshot, RecordingStarted, RecordingStopped } from "./events.js";

/** A recording started or stopped on `leg` (in `call`). */
export function recordingChanged(
  leg: Leg,
  call: Call | undefined,
  e: RecordingStarted | RecordingStopped,
): void {
  leg.recording = e.type === "recording.started";
  if (e.type === "recording.stopped" && e.file && !leg.stoppedRecordings?.includes(e.file))
    leg.stoppedRecordings = [...(leg.stoppedRecordings ?? []), e.file];
  if (leg.recording && call) call.recorded = true;
}

/**
 * Which of the snapshot's legs are being recorded, as the PBX says (recordings that began or ended
 * unseen) — except a file this model saw stop on that leg (Asterisk keeps naming it after a stop).
 */
export function resyncRecordings(
  book: CallBook,
  s: PbxSnapshot,
  recorded: ReadonlyMap<string, string | undefined>,
): void {
  for (const sl of s.legs) {
    const leg = book.legs.get(legKey(s.pbx, sl.leg));
    if (!leg) continue;
    const file = recorded.get(sl.leg);
    leg.recording = recorded.has(sl.leg) && !(file && leg.stoppedRecordings?.includes(file));
    const call = book.callOf(leg);
    if (leg.recording && call) call.recorded = true;
  }
}

// ARI recordings (RecordingStarted / RecordingFinished / RecordingFailed): Callsight's own are of a
// Snoop channel on the recorded leg, or of a bridge.

import type { PbxEvent } from "../../domain/events.js";
import { snoopTarget } from "../asterisk/channels.js";
import { recordingFile } from "../asterisk/recording.js";
import type { AriCallState } from "./translate-state.js";
import type { AriEvent } from "./types.js";

/** The leg a recording is of, announced when it starts and when it ends. */
export function recording(s: AriCallState, e: AriEvent, at: number, out: PbxEvent[]): void {
  const r = e.recording;
  if (!r || typeof r.name !== "string") return;
  const target = r.target_uri ?? "";
  let leg = s.recordings.get(r.name);
  if (!leg && target.startsWith("channel:")) {
    const id = target.slice("channel:".length);
    const known = s.channels.get(id);
    leg = known?.leg ? id : snoopTarget(known?.name ?? "");
  } else if (!leg && target.startsWith("bridge:")) {
    const members = [...(s.bridges.get(target.slice("bridge:".length))?.members ?? [])];
    const legs = members.filter((id) => s.channels.get(id)?.leg);
    leg = legs.find((id) => s.channels.get(id)?.side === "external") ?? legs[0];
  }
  if (!leg || !s.channels.get(leg)?.leg) return;
  const file = recordingFile(r.name, r.format);
  if (e.type === "RecordingStarted") {
    s.recordings.set(r.name, leg);
    out.push({ pbx: s.pbx, at, type: "recording.started", leg, file });
  } else {
    s.recordings.delete(r.name);
    out.push({ pbx: s.pbx, at, type: "recording.stopped", leg, file });
  }
}

// Follows recordings through normalized events: which legs are being recorded, into which file, and
// when a recording is finished (stopped, or its leg hung up — a recording started in the dialplan
// gets no stop event when the call simply ends).

import type { PbxEvent } from "../domain/events.js";

export interface ActiveRecording {
  pbx: string;
  leg: string;
  callId: string;
  file?: string;
  startedAt: number;
}

export interface FinishedRecording extends ActiveRecording {
  stoppedAt: number;
}

export class RecordingTracker {
  private readonly active = new Map<string, ActiveRecording>();
  private readonly callOfLeg = new Map<string, string>();

  /** Feeds one event; returns the recordings it finished. */
  observe(e: PbxEvent): FinishedRecording[] {
    switch (e.type) {
      case "leg.created":
        this.callOfLeg.set(key(e.pbx, e.leg), e.callId);
        return [];
      case "leg.bridged":
        this.callOfLeg.set(key(e.pbx, e.leg), e.callId);
        return [];
      case "recording.started": {
        const k = key(e.pbx, e.leg);
        const existing = this.active.get(k);
        if (existing) {
          if (e.file && !existing.file) existing.file = e.file;
          return [];
        }
        this.active.set(k, {
          pbx: e.pbx,
          leg: e.leg,
          callId: this.callOfLeg.get(k) ?? e.leg,
          startedAt: e.at,
          ...(e.file ? { file: e.file } : {}),
        });
        return [];
      }
      case "recording.stopped":
        return this.finish(key(e.pbx, e.leg), e.at, e.file);
      case "leg.hangup": {
        const done = this.finish(key(e.pbx, e.leg), e.at);
        this.callOfLeg.delete(key(e.pbx, e.leg));
        return done;
      }
      case "pbx.snapshot": {
        // After a reconnect, recordings on legs that no longer exist ended while we were away.
        const present = new Set(e.legs.map((l) => key(e.pbx, l.leg)));
        const out: FinishedRecording[] = [];
        for (const [k, r] of this.active)
          if (r.pbx === e.pbx && !present.has(k)) out.push(...this.finish(k, e.at));
        return out;
      }
      default:
        return [];
    }
  }

  isRecording(pbx: string, leg: string): boolean {
    return this.active.has(key(pbx, leg));
  }

  activeRecordings(): ActiveRecording[] {
    return [...this.active.values()];
  }

  private finish(k: string, at: number, file?: string): FinishedRecording[] {
    const r = this.active.get(k);
    if (!r) return [];
    this.active.delete(k);
    return [{ ...r, ...(file && !r.file ? { file } : {}), stoppedAt: at }];
  }
}

function key(pbx: string, leg: string): string {
  return `${pbx}\u0000${leg}`;
}

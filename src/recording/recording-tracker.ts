// Follows recordings through normalized events: which legs are being recorded, into which file, and
// when a recording is finished (stopped, or its leg hung up — a recording started in the dialplan
// gets no stop event when the call simply ends).
//
// After a reconnect the PBX's snapshot says what is true now: a recording on a leg that is gone ended
// while the link was down (finished at the snapshot); and when the snapshot lists the recordings running
// (`recordings`, Asterisk over AMI), one that is not listed ended meanwhile too, and one listed that was
// not known began meanwhile (followed from here on, so its file is queued when it ends).

import type { PbxEvent, PbxSnapshot } from "../domain/events.js";

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
      case "pbx.snapshot":
        return this.resync(e);
      default:
        return [];
    }
  }

  private resync(e: PbxSnapshot): FinishedRecording[] {
    const present = new Map(e.legs.map((l) => [key(e.pbx, l.leg), l.callId]));
    const running = e.recordings && new Map(e.recordings.map((r) => [key(e.pbx, r.leg), r.file]));
    const out: FinishedRecording[] = [];
    for (const [k, r] of this.active) {
      if (r.pbx !== e.pbx) continue;
      // Gone with its leg, or (when the PBX lists its recordings) stopped on a leg that is still there.
      if (!present.has(k) || (running && !running.has(k))) out.push(...this.finish(k, e.at));
    }
    const prefix = key(e.pbx, "");
    for (const k of this.callOfLeg.keys())
      if (k.startsWith(prefix) && !present.has(k)) this.callOfLeg.delete(k);
    for (const [k, callId] of present) this.callOfLeg.set(k, callId);
    for (const r of e.recordings ?? []) {
      const k = key(e.pbx, r.leg);
      if (!present.has(k)) continue;
      const known = this.active.get(k);
      if (known) {
        if (r.file && !known.file) known.file = r.file;
        continue;
      }
      // Began while the link was down: from here on it is followed like any other.
      this.active.set(k, {
        pbx: e.pbx,
        leg: r.leg,
        callId: present.get(k) ?? r.leg,
        startedAt: e.at,
        ...(r.file ? { file: r.file } : {}),
      });
    }
    return out;
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

// On-demand recording through ARI: with the AMI companion, MixMonitor on the leg's channel as AMI does;
// without it, Callsight's own recordings, each a snoop channel on the leg (spy=both) recorded with
// POST /channels/{snoop}/record, and their end when stopped or when their channels go.

import { randomBytes } from "node:crypto";
import type { CommandOutcome, RecordingRequest } from "../driver.js";
import { failure } from "./command-outcomes.js";
import type { AmiCompanion } from "./companion.js";
import { type AriHttp, enc } from "./http.js";
import type { StasisChannels } from "./stasis.js";

/** What the recording sessions need from the driver. */
export interface RecordingContext {
  http: AriHttp;
  /** Callsight's Stasis application name: the snoop enters it. */
  app: string;
  stasis: Pick<StasisChannels, "waitChannel">;
  /** How long the snoop channel may take to arrive in the app. */
  stasisWaitMs: number;
  /** The AMI companion, when one is configured. */
  companion?: Pick<AmiCompanion, "connected" | "startRecording" | "isMixMonitored" | "stopRecording">;
  /** Hangs one of the driver's own channels up, quietly. */
  hangup(channelId: string): Promise<void>;
}

export class RecordingSessions {
  /** Callsight's own snoop recordings, by leg. */
  private readonly recordings = new Map<string, { name: string; snoopId: string }>();

  constructor(private readonly ctx: RecordingContext) {}

  /**
   * On-demand recording of the leg on `channel`. With the AMI companion: MixMonitor on the leg's channel,
   * as AMI does. Without it: a snoop channel on the leg (spy=both) recorded with
   * POST /channels/{snoop}/record. /bridges/{id}/record would need the call's bridge to be a Stasis
   * bridge (Asterisk answers 409 "Bridge not in Stasis application" for dialplan calls). The name is the
   * file name without its extension (`callsight-<callId>-<leg>-<ts>`), the format its extension.
   * ARI writes into Asterisk's recording directory (astspooldir/recording): an ARI-only site points
   * `recording.directory` there.
   */
  async start(req: RecordingRequest, channel: string, signal: AbortSignal): Promise<CommandOutcome> {
    // With the companion: MixMonitor, like the dialplan, into the monitor directory `recording.directory`
    // names (ARI's own recordings land in astspooldir/recording, where the worker would not find them).
    if (this.ctx.companion?.connected) return this.ctx.companion.startRecording(req.leg, channel, req.file);
    if (this.recordings.has(req.leg))
      return { status: "failed", message: "Callsight is already recording this leg" };
    const base = req.file.slice(req.file.lastIndexOf("/") + 1);
    const dot = base.lastIndexOf(".");
    const name = dot > 0 ? base.slice(0, dot) : base;
    const format = dot > 0 ? base.slice(dot + 1) : "wav";
    const snoopId = `callsight-rec-${randomBytes(6).toString("hex")}`;
    const { http, app } = this.ctx;
    try {
      await http.post(`/channels/${enc(req.leg)}/snoop`, {
        query: { spy: "both", whisper: "none", app, appArgs: "callsight,record", snoopId },
        signal,
      });
    } catch (err) {
      return failure(err, { 404: "the call has ended: there is nothing to record" });
    }
    const snoop = await this.ctx.stasis.waitChannel(snoopId, this.ctx.stasisWaitMs);
    if (snoop !== "started") {
      await this.ctx.hangup(snoopId);
      return { status: "failed", message: `the call ended before the recording started (${snoop})` };
    }
    try {
      await http.post(`/channels/${enc(snoopId)}/record`, {
        query: { name, format, ifExists: "fail", beep: false, maxDurationSeconds: 0, terminateOn: "none" },
        signal,
      });
    } catch (err) {
      await this.ctx.hangup(snoopId);
      return failure(err, {
        404: "the call has ended: there is nothing to record",
        409: "the recording could not start (already recording, or the snoop left the Stasis app)",
        422: `a recording named ${name} already exists`,
      });
    }
    this.recordings.set(req.leg, { name, snoopId });
    return { status: "accepted", leg: req.leg, detail: `recording ${name}.${format}` };
  }

  /** Stops Callsight's own recording of the leg, or the companion's MixMonitor on it. */
  async stop(req: { leg: string }, signal: AbortSignal): Promise<CommandOutcome> {
    const r = this.recordings.get(req.leg);
    if (r) {
      this.recordings.delete(req.leg);
      let outcome: CommandOutcome = { status: "accepted", detail: `stopped ${r.name}` };
      try {
        await this.ctx.http.post(`/recordings/live/${enc(r.name)}/stop`, { signal });
      } catch (err) {
        outcome = failure(err, { 404: "the recording had already stopped" });
      }
      await this.ctx.hangup(r.snoopId);
      return outcome;
    }
    const companion = this.ctx.companion;
    if (companion?.connected && companion.isMixMonitored(req.leg)) {
      return companion.stopRecording(req);
    }
    return {
      status: "refused",
      reason: "not-recording",
      message: companion
        ? "no recording Callsight knows of runs on this leg"
        : "Callsight did not start a recording on this leg; a MixMonitor started in the dialplan can only be " +
          "stopped through AMI (configure the AMI companion, pbx.companion)",
    };
  }

  /** A channel was destroyed: the recordings it belonged to (as the leg or the snoop) are over. */
  channelDestroyed(id: string): void {
    for (const [leg, r] of this.recordings) {
      if (r.snoopId === id || leg === id) this.recordings.delete(leg);
    }
  }

  /** A resync: the recordings whose snoop is no longer live (`live`: GET /channels) are over. */
  resynced(live: ReadonlySet<string>): void {
    for (const [leg, r] of [...this.recordings]) if (!live.has(r.snoopId)) this.recordings.delete(leg);
  }
}

// Listen / whisper / barge through ARI: Callsight's monitoring sessions, each a snoop channel on the
// monitored leg and the supervisor's phone in one mixing bridge, from the snoop request to the
// supervisor joining, and their end when either side goes. They survive an ARI reconnect.

import { randomBytes } from "node:crypto";
import type { CommandOutcome, LaterOutcome, MonitorRequest } from "../driver.js";
import { failure } from "./command-outcomes.js";
import { type AriHttp, enc } from "./http.js";
import type { StasisChannels } from "./stasis.js";
import { monitorBridgeName } from "./translate.js";

interface Monitor {
  target: string;
  snoopId: string;
  bridgeId: string;
  supervisor: string;
  snoopGone: boolean;
}

/** What the monitoring sessions need from the driver. */
export interface MonitorContext {
  http: AriHttp;
  /** Callsight's Stasis application name: the snoop and the supervisor's phone enter it. */
  app: string;
  stasis: Pick<StasisChannels, "has" | "awaited" | "waitChannel">;
  /** How long the snoop channel may take to arrive in the app. */
  stasisWaitMs: number;
  /** How long Asterisk rings the supervisor (originate `timeout`). */
  originateTimeoutSec: number;
  /** Hangs one of the driver's own channels up, quietly. */
  hangup(channelId: string): Promise<void>;
}

export class MonitorSessions {
  /** By the supervisor's channel id. */
  private readonly sessions = new Map<string, Monitor>();

  constructor(private readonly ctx: MonitorContext) {}

  /**
   * Listen / whisper / barge: a snoop channel on the monitored leg (spy=both; whisper none / out / both)
   * and the supervisor's phone, originated into this app, in one mixing bridge named
   * `callsight-monitor:<mode>:<leg>`. Barge is snoop both ways too, not the supervisor in the call's
   * bridge: the supervisor stays a monitoring session (never a party of the call, visible only to
   * whom rule 4 allows) and leaving cannot disturb the call's own bridge or its recordings.
   * Accepted once the supervisor's phone is called (202: Asterisk took it); `later` says whether they
   * answered and joined, or why not — the HTTP reply never waits for a phone to be answered.
   */
  async start(req: MonitorRequest, signal: AbortSignal): Promise<CommandOutcome> {
    const { http, app } = this.ctx;
    const tag = randomBytes(6).toString("hex");
    const m: Monitor = {
      target: req.targetLeg,
      snoopId: `callsight-snoop-${tag}`,
      bridgeId: `callsight-monitor-${tag}`,
      supervisor: `callsight-sup-${tag}`,
      snoopGone: false,
    };
    const whisper = req.mode === "barge" ? "both" : req.mode === "whisper" ? "out" : "none";
    try {
      await http.post(`/channels/${enc(req.targetLeg)}/snoop`, {
        query: { spy: "both", whisper, app, appArgs: "callsight,snoop", snoopId: m.snoopId },
        signal,
      });
    } catch (err) {
      return failure(err, {
        404: "the call has ended: there is nothing to listen to",
        400: "Asterisk refused the snoop",
      });
    }
    this.sessions.set(m.supervisor, m);
    const snoop = await this.ctx.stasis.waitChannel(m.snoopId, this.ctx.stasisWaitMs);
    if (snoop !== "started") {
      await this.end(m);
      return snoop === "destroyed"
        ? { status: "failed", message: "the call ended before the supervisor could join" }
        : { status: "failed", message: `the snoop channel did not reach the Stasis app (${snoop})` };
    }
    try {
      await http.post("/bridges", {
        query: { type: "mixing", bridgeId: m.bridgeId, name: monitorBridgeName(req.mode, req.targetLeg) },
        signal,
      });
      await http.post(`/bridges/${enc(m.bridgeId)}/addChannel`, {
        query: { channel: m.snoopId },
        signal,
      });
      await http.post("/channels", {
        query: {
          endpoint: req.supervisorEndpoint,
          app,
          appArgs: `callsight,${req.mode}`,
          channelId: m.supervisor,
          timeout: this.ctx.originateTimeoutSec,
          ...(req.callerId ? { callerId: req.callerId } : {}),
        },
        signal,
      });
    } catch (err) {
      await this.end(m);
      if (m.snoopGone)
        return { status: "failed", message: "the call ended before the supervisor could join" };
      return failure(err, {
        400: `${req.supervisorEndpoint} could not be called`,
        404: "the call ended before the supervisor could join",
        422: "the snoop channel left the Stasis app",
      });
    }
    // Asterisk took it: the supervisor's phone rings. Whether they answer and join is what becomes of it.
    return {
      status: "accepted",
      leg: m.supervisor,
      detail: `${req.mode} on ${req.targetLeg}: calling ${req.supervisorEndpoint}`,
      later: this.join(m, req, signal),
    };
  }

  /** The rest of a listen / whisper / barge once the supervisor's phone rings: answered, then bridged. */
  private async join(m: Monitor, req: MonitorRequest, signal: AbortSignal): Promise<LaterOutcome> {
    const answered = await this.ctx.stasis.waitChannel(
      m.supervisor,
      this.ctx.originateTimeoutSec * 1000 + 5000,
    );
    if (answered !== "started") {
      await this.end(m);
      if (m.snoopGone) return { result: "refused", message: "the call ended before the supervisor answered" };
      return answered === "timeout"
        ? { result: "timed-out", message: `${req.supervisorEndpoint} did not answer` }
        : {
            result: "refused",
            message:
              answered === "destroyed"
                ? `${req.supervisorEndpoint} did not answer (or hung up) before joining`
                : `${req.supervisorEndpoint} did not answer (${answered})`,
          };
    }
    if (m.snoopGone) {
      await this.end(m);
      return { result: "refused", message: "the call ended before the supervisor answered" };
    }
    try {
      await this.ctx.http.post(`/bridges/${enc(m.bridgeId)}/addChannel`, {
        query: { channel: m.supervisor },
        signal,
      });
    } catch (err) {
      await this.end(m);
      if (m.snoopGone) return { result: "refused", message: "the call ended before the supervisor answered" };
      const failed = failure(err, {
        400: "the supervisor hung up before joining",
        404: "the call ended before the supervisor answered",
        422: "the supervisor's channel left the Stasis app",
      });
      return { result: "refused", message: failed.status === "accepted" ? "" : failed.message };
    }
    if (req.beep) {
      await this.ctx.http
        .post(`/channels/${enc(m.supervisor)}/play`, { query: { media: "sound:beep" }, signal })
        .catch(() => undefined);
    }
    return { result: "joined", message: `${req.mode} on ${req.targetLeg}` };
  }

  /** A channel was destroyed: a supervisor leaving ends the session, and so does the monitored leg. */
  channelDestroyed(id: string): void {
    const asSupervisor = this.sessions.get(id);
    if (asSupervisor) void this.end(asSupervisor);
    for (const m of this.sessions.values()) {
      if (m.snoopId === id && !m.snoopGone) {
        // The monitored leg hung up (its snoop went with it): the supervisor leaves too (ChanSpy `E`).
        m.snoopGone = true;
        if (this.ctx.stasis.has(m.supervisor) || !this.ctx.stasis.awaited(m.supervisor)) void this.end(m);
        else void this.ctx.hangup(m.supervisor);
      }
    }
  }

  /** A resync: the sessions whose supervisor's channel is no longer live are over. */
  resynced(live: ReadonlySet<string>): void {
    for (const m of [...this.sessions.values()]) if (!live.has(m.supervisor)) void this.end(m);
  }

  private async end(m: Monitor): Promise<void> {
    this.sessions.delete(m.supervisor);
    await Promise.all([
      this.ctx.hangup(m.snoopId),
      this.ctx.hangup(m.supervisor),
      this.ctx.http.delete(`/bridges/${enc(m.bridgeId)}`, { timeoutMs: 3000 }).catch(() => undefined),
    ]);
  }
}

// The ARI driver's call commands as ARI requests, one handler per command of the PbxCommand union:
//   monitor         snoop + mixing bridge + the supervisor's phone originated into the app (monitor-sessions.ts)
//   takeOver        originate into the dialplan: `takeover` runs Bridge(<other party>)
//   pickup          originate into the dialplan: `pickup` runs PickupChan(<ringing channel>)
//   pickupParked    originate into the dialplan: `parked` runs ParkedCall(<lot>,<space>)
//   sendToIvr       POST /channels/{id}/continue in Stasis, else the AMI companion's Redirect
//   queuePause      the AMI companion's QueuePause (ARI has no queue actions)
//   queueLogin      the AMI companion's QueueAdd / QueueRemove
//   start/stop rec  snoop + POST /channels/{snoop}/record, or the AMI companion's MixMonitor
//                   (recording-sessions.ts)
//   dial            POST /channels: the caller's phone, then the destination in the PBX's own dialplan
//   setStatus       POST /asterisk/variable of PRESENCE_STATE(CustomPresence:<ext>) and DEVICE_STATE(Custom:DND<ext>)
// plus the recording policy, which only the companion can write (DBPut). Every HTTP error becomes a
// CommandOutcome (command-outcomes.ts); no command throws.

import { randomBytes } from "node:crypto";
import { statusVariables, usableStatusExtension } from "../asterisk/status.js";
import { asteriskCallerId, unusableDial } from "../dial-request.js";
import type {
  CommandOutcome,
  DialRequest,
  IvrRequest,
  MonitorRequest,
  ParkedPickupRequest,
  PbxCommand,
  PickupRequest,
  QueueLoginRequest,
  QueuePauseRequest,
  RecordingPolicyTable,
  RecordingRequest,
  StatusRequest,
  TakeOverRequest,
} from "../driver.js";
import { type CommandHandlers, dispatchCommand } from "../driver.js";
import { failure, notConnected, unknownLeg } from "./command-outcomes.js";
import type { AmiCompanion } from "./companion.js";
import { type AriHttp, enc } from "./http.js";
import type { DeliveredLegs } from "./link-merge.js";
import { MonitorSessions } from "./monitor-sessions.js";
import { RecordingSessions } from "./recording-sessions.js";
import type { StasisChannels } from "./stasis.js";
import type { AriChannel } from "./types.js";

/** What the ARI call commands need from the driver. */
export interface AriCommandContext {
  http: AriHttp;
  /** Callsight's Stasis application name. */
  app: string;
  /** The live session's signal (aborted when its WebSocket closes); none while ARI is not connected. */
  sessionSignal(): AbortSignal | undefined;
  /** The legs delivered so far, with their channel names: commands refuse unknown legs. */
  legs: Pick<DeliveredLegs, "has" | "channel">;
  stasis: Pick<StasisChannels, "has" | "awaited" | "waitChannel">;
  /** The AMI companion, when one is configured. */
  companion?: Pick<
    AmiCompanion,
    | "connected"
    | "sendToIvr"
    | "startRecording"
    | "isMixMonitored"
    | "stopRecording"
    | "publishRecordingPolicy"
    | "queuePause"
    | "queueLogin"
  >;
  /** Dialplan context with the `pickup`, `parked` and `takeover` extensions. */
  dialplanContext: string;
  /** How long Asterisk rings the supervisor / picker (originate `timeout`). */
  originateTimeoutSec: number;
  /** How long a Stasis channel (snoop) may take to arrive in the app. */
  stasisWaitMs: number;
}

export class AriCommands implements CommandHandlers {
  /** Listen / whisper / barge sessions. */
  private readonly monitors: MonitorSessions;
  /** On-demand recordings: Callsight's own snoops, or the companion's MixMonitors. */
  private readonly recordings: RecordingSessions;

  constructor(private readonly ctx: AriCommandContext) {
    this.monitors = new MonitorSessions({
      http: ctx.http,
      app: ctx.app,
      stasis: ctx.stasis,
      stasisWaitMs: ctx.stasisWaitMs,
      originateTimeoutSec: ctx.originateTimeoutSec,
      hangup: (channelId) => this.hangup(channelId),
    });
    this.recordings = new RecordingSessions({
      http: ctx.http,
      app: ctx.app,
      stasis: ctx.stasis,
      stasisWaitMs: ctx.stasisWaitMs,
      ...(ctx.companion ? { companion: ctx.companion } : {}),
      hangup: (channelId) => this.hangup(channelId),
    });
  }

  execute(command: PbxCommand): Promise<CommandOutcome> {
    return dispatchCommand(this, command);
  }

  /** Listen / whisper / barge (monitor-sessions.ts). */
  async monitor(req: MonitorRequest): Promise<CommandOutcome> {
    const signal = this.ctx.sessionSignal();
    if (!signal) return notConnected();
    if (!this.ctx.legs.has(req.targetLeg)) return unknownLeg(req.targetLeg);
    return this.monitors.start(req, signal);
  }

  /**
   * Take over: the other party runs in the dialplan, where ARI cannot add it to a bridge of its own (422),
   * so the supervisor's phone is originated into the `takeover` extension of the Callsight context, which
   * runs `Bridge(${CALLSIGHT_TARGET})` on the other party's channel: it leaves the agent for the supervisor,
   * and the agent, alone in the call's bridge, is hung up (dialplan/asterisk/callsight-ari.conf).
   */
  async takeOver(req: TakeOverRequest): Promise<CommandOutcome> {
    const signal = this.ctx.sessionSignal();
    if (!signal) return notConnected();
    const { legs } = this.ctx;
    if (!legs.has(req.agentLeg)) return unknownLeg(req.agentLeg);
    const other = legs.channel(req.otherLeg);
    if (!other) return unknownLeg(req.otherLeg);
    return this.originateInto(
      req.supervisorEndpoint,
      "takeover",
      { CALLSIGHT_TARGET: other, CALLSIGHT_AGENT: legs.channel(req.agentLeg) ?? "" },
      signal,
      `take ${other} over`,
    );
  }

  /**
   * Pickup: ARI cannot pick up a ringing channel that runs in the dialplan, so the picker's phone is
   * originated into the `pickup` extension of the Callsight context, which runs
   * `PickupChan(${CALLSIGHT_TARGET})` on the exact ringing channel (dialplan/asterisk/callsight-ari.conf).
   */
  async pickup(req: PickupRequest): Promise<CommandOutcome> {
    const signal = this.ctx.sessionSignal();
    if (!signal) return notConnected();
    const name = this.ctx.legs.channel(req.targetLeg);
    if (!name) return unknownLeg(req.targetLeg);
    let channel: AriChannel;
    try {
      channel = await this.ctx.http.get<AriChannel>(`/channels/${enc(req.targetLeg)}`, { signal });
    } catch (err) {
      return failure(err, { 404: "the call is no longer ringing: it was answered elsewhere or hung up" });
    }
    if (channel.state === "Up") return { status: "failed", message: "the call was already answered" };
    return this.originateInto(
      req.pickerEndpoint,
      "pickup",
      { CALLSIGHT_TARGET: name },
      signal,
      `pick up ${name}`,
    );
  }

  /**
   * Click-to-call: POST /channels rings the caller's phone with the caller's own caller id and, once it
   * answers, sends it to `extension` in the PBX's internal `context` (not Callsight's): the destination
   * is dialled as if the phone had dialled it. No Stasis and no companion; the dialled party ringing and
   * answering reach the board as the call's own events.
   */
  async dial(req: DialRequest): Promise<CommandOutcome> {
    const signal = this.ctx.sessionSignal();
    if (!signal) return notConnected();
    const unusable = unusableDial(req);
    if (unusable) return unusable;
    const channelId = `callsight-dial-${randomBytes(6).toString("hex")}`;
    try {
      await this.ctx.http.post("/channels", {
        query: {
          endpoint: req.callerEndpoint,
          extension: req.destination,
          context: req.context,
          priority: 1,
          callerId: asteriskCallerId(req),
          channelId,
          timeout: this.ctx.originateTimeoutSec,
        },
        signal,
      });
    } catch (err) {
      return failure(err, {
        400: `${req.callerEndpoint} could not be called`,
        404: `${req.callerEndpoint} does not exist`,
      });
    }
    return {
      status: "accepted",
      leg: channelId,
      detail: `calling ${req.callerEndpoint}, then ${req.destination}@${req.context}`,
    };
  }

  /** Parked pickup: the picker's phone is originated into `parked`, which runs ParkedCall(lot,space). */
  async pickupParked(req: ParkedPickupRequest): Promise<CommandOutcome> {
    const signal = this.ctx.sessionSignal();
    if (!signal) return notConnected();
    if (!req.space) {
      return {
        status: "refused",
        reason: "unknown-space",
        message:
          "the parking space of this call is not known (ARI without the AMI companion cannot always tell it)",
      };
    }
    return this.originateInto(
      req.pickerEndpoint,
      "parked",
      { CALLSIGHT_LOT: req.lot || "default", CALLSIGHT_SPACE: req.space },
      signal,
      `retrieve ${req.lot}/${req.space}`,
    );
  }

  /** A queue member's pause: ARI has no queue actions, the AMI companion's QueuePause carries it. */
  queuePause(req: QueuePauseRequest): Promise<CommandOutcome> {
    return this.queueAction("pausing a queue member", (companion) => companion.queuePause(req));
  }

  /** A queue login or logout: ARI has no queue actions, the AMI companion's QueueAdd / QueueRemove carry it. */
  queueLogin(req: QueueLoginRequest): Promise<CommandOutcome> {
    return this.queueAction("logging in to a queue", (companion) => companion.queueLogin(req));
  }

  private async queueAction(
    what: string,
    run: (companion: NonNullable<AriCommandContext["companion"]>) => Promise<CommandOutcome>,
  ): Promise<CommandOutcome> {
    const companion = this.ctx.companion;
    if (!companion)
      return {
        status: "refused",
        reason: "needs-ami-companion",
        message: `ARI has no queue actions: ${what} needs the AMI companion (pbx.companion)`,
      };
    if (!companion.connected)
      return {
        status: "failed",
        message: `the AMI companion link is not connected: ${what} cannot be done now`,
      };
    return run(companion);
  }

  /**
   * Send to IVR. A channel in this app's Stasis is `continue`d into the IVR. Any other channel runs in
   * the dialplan, and ARI cannot move it (POST /channels/{id}/continue answers 409 "Channel not in a
   * Stasis application"; /redirect is a SIP-level redirect, not a dialplan jump): that needs AMI
   * Redirect through the companion.
   */
  async sendToIvr(req: IvrRequest): Promise<CommandOutcome> {
    const signal = this.ctx.sessionSignal();
    if (!signal) return notConnected();
    if (!this.ctx.legs.has(req.leg)) return unknownLeg(req.leg);
    if (this.ctx.stasis.has(req.leg)) {
      try {
        await this.ctx.http.post(`/channels/${enc(req.leg)}/continue`, {
          query: { context: req.context, extension: req.exten, priority: 1 },
          signal,
        });
        return { status: "accepted", detail: `continued to ${req.exten}@${req.context}` };
      } catch (err) {
        return failure(err, {
          404: "the call has ended",
          409: "the channel left Callsight's Stasis application",
        });
      }
    }
    const companion = this.ctx.companion;
    if (companion) {
      if (!companion.connected)
        return {
          status: "failed",
          message: "the AMI companion link is not connected: cannot Redirect the call",
        };
      return companion.sendToIvr(req);
    }
    return {
      status: "refused",
      reason: "needs-ami-companion",
      message:
        "ARI cannot send this call to the IVR: it runs in the dialplan, and ARI only moves channels that are in " +
        "Callsight's Stasis application (continue answers 409). Configure the AMI companion (pbx.companion) " +
        "so Callsight can use AMI Redirect.",
    };
  }

  /** On-demand recording: the companion's MixMonitor, or a snoop channel recorded (recording-sessions.ts). */
  async startRecording(req: RecordingRequest): Promise<CommandOutcome> {
    const signal = this.ctx.sessionSignal();
    if (!signal) return notConnected();
    const channel = this.ctx.legs.channel(req.leg);
    if (channel === undefined) return unknownLeg(req.leg);
    return this.recordings.start(req, channel, signal);
  }

  async stopRecording(req: { leg: string }): Promise<CommandOutcome> {
    const signal = this.ctx.sessionSignal();
    if (!signal) return notConnected();
    return this.recordings.stop(req, signal);
  }

  /**
   * A user's status: ARI sets a global variable with POST /asterisk/variable, and Asterisk writes a
   * variable whose name ends in `)` through the dialplan function it names, so the two functions the
   * `*78` / `*79` feature codes write are set here as there (asterisk/status.ts; checked live on
   * Asterisk 22). PUT /deviceStates/{name} would not do: it only controls ARI's own `Stasis:` devices.
   * ARI reports the DND lamp back (DeviceStateChanged); the presence state only the AMI companion does.
   */
  async setStatus(req: StatusRequest): Promise<CommandOutcome> {
    const signal = this.ctx.sessionSignal();
    if (!signal) return notConnected();
    if (!usableStatusExtension(req.extension))
      return {
        status: "refused",
        reason: "invalid-argument",
        message: `unusable extension ${req.extension}`,
      };
    for (const { variable, value } of statusVariables(req)) {
      try {
        await this.ctx.http.post("/asterisk/variable", { query: { variable, value }, signal });
      } catch (err) {
        return failure(err, { 400: `Asterisk refused to set ${variable}` });
      }
    }
    return { status: "accepted", detail: `${req.extension} ${req.status}` };
  }

  /**
   * The dialplan enforces the recording policy from AstDB (dialplan/asterisk/callsight-recording.conf).
   * ARI has no AstDB resource (POST /asterisk/variable sets global dialplan variables, which the
   * dialplan does not read and Asterisk forgets on restart), so this goes through the AMI companion.
   */
  publishRecordingPolicy(policy: RecordingPolicyTable): Promise<CommandOutcome> {
    if (this.ctx.companion) return this.ctx.companion.publishRecordingPolicy(policy);
    return Promise.resolve({
      status: "failed",
      message:
        "the recording policy cannot be written to AstDB through ARI (ARI has no AstDB resource); " +
        "configure the AMI companion (pbx.companion) so Callsight can DBPut it. Until then only Callsight " +
        "itself starts the recordings the policy requires.",
    });
  }

  /** A channel was destroyed: the monitoring sessions and recordings it belonged to are over. */
  channelDestroyed(id: string): void {
    this.monitors.channelDestroyed(id);
    this.recordings.channelDestroyed(id);
  }

  /**
   * A resync: Callsight's own sessions outlive a lost WebSocket on the PBX side; those whose channels
   * are no longer live (`live`: GET /channels) are over.
   */
  resynced(live: ReadonlySet<string>): void {
    this.recordings.resynced(live);
    this.monitors.resynced(live);
  }

  private async originateInto(
    endpoint: string,
    extension: string,
    variables: Record<string, string>,
    signal: AbortSignal,
    what: string,
  ): Promise<CommandOutcome> {
    const channelId = `callsight-${extension}-${randomBytes(6).toString("hex")}`;
    try {
      await this.ctx.http.post("/channels", {
        query: {
          endpoint,
          extension,
          context: this.ctx.dialplanContext,
          priority: 1,
          channelId,
          timeout: this.ctx.originateTimeoutSec,
        },
        body: { variables },
        signal,
      });
    } catch (err) {
      return failure(err, { 400: `${endpoint} could not be called`, 404: `${endpoint} does not exist` });
    }
    return { status: "accepted", leg: channelId, detail: `calling ${endpoint} to ${what}` };
  }

  /** Hangs one of the driver's own channels up (a snoop, the supervisor), quietly: gone already is fine. */
  private async hangup(channelId: string): Promise<void> {
    await this.ctx.http.delete(`/channels/${enc(channelId)}`, { timeoutMs: 3000 }).catch(() => undefined);
  }
}

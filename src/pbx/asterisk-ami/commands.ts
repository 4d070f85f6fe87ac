// The AMI driver's call commands as AMI actions (ChanSpy, Bridge, PickupChan, ParkedCall by Originate;
// Redirect; MixMonitor; Setvar for a user's status; QueuePause), one case per command of the PbxCommand union. An Originate is accepted once
// Asterisk queued it; its OriginateResponse says `later` what became of it.

import { type QueueMemberTemplate, queueMemberOf } from "../asterisk/queues.js";
import { statusVariables, usableStatusExtension } from "../asterisk/status.js";
import { asteriskCallerId, unusableDial } from "../dial-request.js";
import type {
  CommandOutcome,
  DialRequest,
  IvrRequest,
  LaterOutcome,
  MonitorRequest,
  ParkedPickupRequest,
  PbxCommand,
  PickupRequest,
  QueueLoginRequest,
  QueuePauseRequest,
  RecordingRequest,
  StatusRequest,
  TakeOverRequest,
} from "../driver.js";
import { type CommandHandlers, dispatchCommand } from "../driver.js";
import type { AmiFrame } from "./frame-parser.js";
import type { AmiSession } from "./session.js";

/** How long an originate's OriginateResponse is waited for (Asterisk's own originate timeout is 30 s). */
const ORIGINATE_WAIT_MS = 60_000;

/** The ChanSpy options for each mode (as used in traces 10a/10b/10c); `q` is dropped when a beep is wanted. */
export function chanSpyOptions(mode: MonitorRequest["mode"], beep: boolean): string {
  const opts = mode === "barge" ? "qBE" : mode === "whisper" ? "qwE" : "qE";
  return beep ? opts.replace("q", "") : opts;
}

export interface AmiCommandContext {
  /** Leg (Uniqueid) -> channel name, as the session knows them. */
  channelOf: ReadonlyMap<string, string>;
  /** Sends one action; accepted with Asterisk's message, or failed with why. */
  action(action: string, headers: Record<string, string | undefined>): Promise<CommandOutcome>;
  /** The live session, when connected. */
  session(): AmiSession | undefined;
  actionTimeoutMs(): number;
  /** The member a queue login adds. */
  queueMember: QueueMemberTemplate;
}

export class AmiCommands implements CommandHandlers {
  /** Originates Asterisk queued, by ActionID: its OriginateResponse says what became of them. */
  private readonly originates = new Map<string, (outcome: LaterOutcome) => void>();

  constructor(private readonly ctx: AmiCommandContext) {}

  execute(command: PbxCommand): Promise<CommandOutcome> {
    return dispatchCommand(this, command);
  }

  monitor(req: MonitorRequest): Promise<CommandOutcome> {
    const target = this.ctx.channelOf.get(req.targetLeg);
    if (!target) return Promise.resolve(unknownLeg(req.targetLeg));
    return this.originate({
      Channel: req.supervisorEndpoint,
      Application: "ChanSpy",
      Data: `${target},${chanSpyOptions(req.mode, req.beep)}`,
      Async: "true",
      CallerID: req.callerId,
    });
  }

  /**
   * Take over: the supervisor's phone is originated into the dialplan application `Bridge(<channel>)`,
   * which takes the other party out of the call's bridge into a new one with the supervisor. The agent
   * is left alone in the call's two-party bridge and is hung up as it dissolves. (Not yet run against a
   * live Asterisk 22: the live suite has no take-over scenario.)
   */
  takeOver(req: TakeOverRequest): Promise<CommandOutcome> {
    const agent = this.ctx.channelOf.get(req.agentLeg);
    if (!agent) return Promise.resolve(unknownLeg(req.agentLeg));
    const other = this.ctx.channelOf.get(req.otherLeg);
    if (!other) return Promise.resolve(unknownLeg(req.otherLeg));
    return this.originate({
      Channel: req.supervisorEndpoint,
      Application: "Bridge",
      Data: other,
      Async: "true",
      CallerID: req.callerId,
    });
  }

  /**
   * Click-to-call: the caller's phone is originated into the dialplan (`Context`, `Exten`, priority 1) with
   * the caller's own caller id; once it answers, Asterisk runs the destination there as for a call the
   * phone dialled (its hooks, its trunk routes). The OriginateResponse (the phone answered, or not) is
   * `later`; the dialled party ringing and answering reach the board as the call's own events.
   */
  dial(req: DialRequest): Promise<CommandOutcome> {
    const unusable = unusableDial(req);
    if (unusable) return Promise.resolve(unusable);
    return this.originate({
      Channel: req.callerEndpoint,
      Context: req.context,
      Exten: req.destination,
      Priority: "1",
      CallerID: asteriskCallerId(req),
      Async: "true",
    });
  }

  pickup(req: PickupRequest): Promise<CommandOutcome> {
    const target = this.ctx.channelOf.get(req.targetLeg);
    if (!target) return Promise.resolve(unknownLeg(req.targetLeg));
    return this.originate({
      Channel: req.pickerEndpoint,
      Application: "PickupChan",
      Data: target,
      Async: "true",
    });
  }

  pickupParked(req: ParkedPickupRequest): Promise<CommandOutcome> {
    return this.originate({
      Channel: req.pickerEndpoint,
      Application: "ParkedCall",
      Data: `${req.lot},${req.space}`,
      Async: "true",
    });
  }

  sendToIvr(req: IvrRequest): Promise<CommandOutcome> {
    const channel = this.ctx.channelOf.get(req.leg);
    if (!channel) return Promise.resolve(unknownLeg(req.leg));
    return this.ctx.action("Redirect", {
      Channel: channel,
      Context: req.context,
      Exten: req.exten,
      Priority: "1",
    });
  }

  startRecording(req: RecordingRequest): Promise<CommandOutcome> {
    const channel = this.ctx.channelOf.get(req.leg);
    if (!channel) return Promise.resolve(unknownLeg(req.leg));
    return this.mixMonitor(channel, req.file);
  }

  /** MixMonitor on a channel by name (the ARI driver's companion knows the name, not the session's legs). */
  mixMonitor(channel: string, file: string): Promise<CommandOutcome> {
    return this.ctx.action("MixMonitor", { Channel: channel, File: file, Options: "b" });
  }

  stopRecording(req: { leg: string }): Promise<CommandOutcome> {
    const channel = this.ctx.channelOf.get(req.leg);
    if (!channel) return Promise.resolve(unknownLeg(req.leg));
    return this.ctx.action("StopMixMonitor", { Channel: channel });
  }

  /**
   * A user's status: `Setvar` of `PRESENCE_STATE(CustomPresence:<ext>)` and `DEVICE_STATE(Custom:DND<ext>)`,
   * without a channel (Asterisk writes the dialplan functions), as the `*78` / `*79` feature codes do
   * (asterisk/status.ts). Asterisk reports both back (PresenceStateChange, DeviceStateChange): that is
   * what the board shows.
   */
  async setStatus(req: StatusRequest): Promise<CommandOutcome> {
    if (!usableStatusExtension(req.extension))
      return {
        status: "refused",
        reason: "invalid-argument",
        message: `unusable extension ${req.extension}`,
      };
    let outcome: CommandOutcome = { status: "accepted" };
    for (const { variable, value } of statusVariables(req)) {
      outcome = await this.ctx.action("Setvar", { Variable: variable, Value: value });
      if (outcome.status !== "accepted") return outcome;
    }
    return { status: "accepted", detail: `${req.extension} ${req.status}` };
  }

  /**
   * A queue member paused (with the reason, as app_queue keeps it) or not: `QueuePause` on the member's
   * interface. Asterisk reports it back (QueueMemberPause): that is what the panel shows. A member the queue
   * does not have is refused ("Interface not found", test/fixtures/queues/asterisk/34).
   */
  async queuePause(req: QueuePauseRequest): Promise<CommandOutcome> {
    const outcome = await this.ctx.action("QueuePause", {
      Queue: req.queue,
      Interface: req.agent,
      Paused: req.paused ? "true" : "false",
      Reason: req.paused && req.reason ? req.reason : undefined,
    });
    if (outcome.status === "failed" && /interface not found/i.test(outcome.message))
      return {
        status: "refused",
        reason: "not-a-member",
        message: `${req.agent} is not a member of queue ${req.queue}`,
      };
    return outcome.status === "accepted"
      ? { status: "accepted", detail: `${req.agent} ${req.paused ? "paused" : "unpaused"} in ${req.queue}` }
      : outcome;
  }

  /**
   * A dynamic member logged in (`QueueAdd`, its interface from the pbx entry's template, its hint the state
   * interface) or out (`QueueRemove` of the member the PBX named). Asterisk reports it back
   * (QueueMemberAdded / QueueMemberRemoved): that is what the panel shows. A member queues.conf lists is
   * static and cannot be logged out.
   */
  async queueLogin(req: QueueLoginRequest): Promise<CommandOutcome> {
    const member = queueMemberOf(this.ctx.queueMember, req.extension);
    const iface = req.agent ?? member.interface;
    const outcome = req.loggedIn
      ? await this.ctx.action("QueueAdd", {
          Queue: req.queue,
          Interface: iface,
          StateInterface: member.stateInterface,
          MemberName: req.name,
          Paused: "false",
        })
      : await this.ctx.action("QueueRemove", { Queue: req.queue, Interface: iface });
    if (outcome.status === "failed") {
      const refusal = queueLoginRefusal(outcome.message, req, iface);
      if (refusal) return refusal;
    }
    return outcome.status === "accepted"
      ? {
          status: "accepted",
          detail: `${iface} ${req.loggedIn ? "logged in to" : "logged out of"} ${req.queue}`,
        }
      : outcome;
  }

  /**
   * Originate with `Async`: accepted once Asterisk queued it; `later` follows from its OriginateResponse
   * (Success: the phone answered and runs the application; Failure: reason 3 is no answer, others a refusal).
   */
  private async originate(headers: Record<string, string | undefined>): Promise<CommandOutcome> {
    const session = this.ctx.session();
    if (!session || session.closed) return { status: "failed", message: "AMI not connected" };
    let response: AmiFrame;
    try {
      response = await session.action("Originate", headers, {
        timeoutMs: this.ctx.actionTimeoutMs(),
      });
    } catch (err) {
      return { status: "failed", message: (err as Error).message };
    }
    const id = response.ActionID;
    const later =
      id === undefined
        ? undefined
        : new Promise<LaterOutcome>((resolve) => {
            const timer = setTimeout(
              () => settle({ result: "timed-out", message: "no OriginateResponse" }),
              ORIGINATE_WAIT_MS,
            );
            timer.unref?.();
            const settle = (outcome: LaterOutcome) => {
              clearTimeout(timer);
              this.originates.delete(id);
              resolve(outcome);
            };
            this.originates.set(id, settle);
          });
    return {
      status: "accepted",
      ...(response.Message ? { detail: response.Message } : {}),
      ...(later ? { later } : {}),
    };
  }

  /** What an OriginateResponse says about an originate this driver queued. */
  originateResponse(f: AmiFrame): void {
    const settle = f.ActionID === undefined ? undefined : this.originates.get(f.ActionID);
    if (!settle) return;
    const reason = f.Reason ?? "";
    settle(
      f.Response === "Success"
        ? { result: "joined" }
        : reason === "3"
          ? { result: "timed-out", message: `${f.Channel ?? "the phone"} did not answer` }
          : {
              result: "refused",
              message: `Asterisk could not originate ${f.Channel ?? ""} (reason ${reason || "unknown"})`,
            },
    );
  }
}

function unknownLeg(leg: string): CommandOutcome {
  return { status: "refused", reason: "unknown-leg", message: `no live channel known for leg ${leg}` };
}

/** app_queue's answers to QueueAdd / QueueRemove that are the PBX saying no, not a fault. */
function queueLoginRefusal(
  message: string,
  req: QueueLoginRequest,
  iface: string,
): CommandOutcome | undefined {
  if (/already there/i.test(message))
    return {
      status: "refused",
      reason: "already-logged-in",
      message: `${iface} is already in queue ${req.queue}`,
    };
  if (/not there/i.test(message))
    return { status: "refused", reason: "not-a-member", message: `${iface} is not in queue ${req.queue}` };
  if (/not dynamic/i.test(message))
    return {
      status: "refused",
      reason: "static-member",
      message: `${iface} is a static member of queue ${req.queue} (queues.conf): it cannot log out`,
    };
  if (/no such queue/i.test(message))
    return { status: "refused", reason: "unknown-queue", message: `the PBX has no queue ${req.queue}` };
  return undefined;
}

// The FreeSWITCH ESL driver's call commands as ESL api/bgapi commands, one handler per command of the
// PbxCommand union:
//   monitor        bgapi originate {eavesdrop vars,callsight_spy_target=<uuid>}user/<sup>@<domain> &eavesdrop(<uuid>)
//                  (traces 10a/b/c; the variable makes the leg a spy leg before it rings, see translate.ts)
//   pickup         bgapi originate {…}user/<picker>@<domain> &intercept(<caller's A-leg>)    (trace 09)
//   pickupParked   bgapi originate {…}user/<picker>@<domain> '&valet_park(<lot> <space>)'   (trace 08)
//   sendToIvr      api uuid_transfer <uuid> <exten> XML <context>                           (trace 07)
//   start/stop rec api uuid_record <uuid> start|stop <dir>/<file with the call id>          (trace 11)
//   takeOver       api uuid_transfer <other> 'bridge:user/<sup>@<domain>' inline
//   dial           bgapi originate {origination_caller_id_*=<caller>}user/<caller>@<domain> <destination> XML <context>
//   setStatus      api db insert|delete callsight_dnd / callsight_status / callsight_status_note, then
//                  sendevent CUSTOM callsight::dnd and sendevent PRESENCE_IN (status-db.ts)
// A bgapi originate is accepted once FreeSWITCH takes the job; its result says `later` what became of it
// (command-link.ts).

import path from "node:path";
import type { Logger } from "pino";
import type { PbxEvent } from "../../domain/events.js";
import { callerIdName, unusableDial } from "../dial-request.js";
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
  RecordingRequest,
  StatusRequest,
  TakeOverRequest,
} from "../driver.js";
import { type CommandHandlers, dispatchCommand } from "../driver.js";
import { agentOfExtension } from "./callcenter-resync.js";
import type { EslCommandLink } from "./command-link.js";
import { eavesdropVariables, SPY_TARGET_VARIABLE } from "./eavesdrop.js";
import { statusDbCommands, statusEvents, usableStatusKey } from "./status-db.js";
import type { EslTranslator } from "./translate.js";

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;
const SAFE_EXTEN = /^[A-Za-z0-9_*#+.@-]+$/;
const SAFE_ENDPOINT = /^[A-Za-z0-9_.:/@*#+-]+$/;

/** `{a=b,c='d e'}`: values with separators are single-quoted; quotes and braces inside are dropped. */
export function originateVariables(vars: Record<string, string | undefined>): string {
  const parts: string[] = [];
  for (const [k, raw] of Object.entries(vars)) {
    if (raw === undefined) continue;
    const v = raw.replace(/['{}\r\n]/g, "");
    parts.push(/[\s,^]/.test(v) ? `${k}='${v}'` : `${k}=${v}`);
  }
  return parts.length > 0 ? `{${parts.join(",")}}` : "";
}

/** `Name <number>`, `"Name" <number>`, `<number>` or a bare name. */
export function splitCallerId(callerId: string | undefined): { name?: string; number?: string } {
  if (!callerId) return {};
  const m = /^\s*"?([^"<]*?)"?\s*<([^>]*)>\s*$/.exec(callerId);
  if (!m) return { name: callerId.trim() };
  const out: { name?: string; number?: string } = {};
  if (m[1]) out.name = m[1];
  if (m[2]) out.number = m[2];
  return out;
}

/** What the ESL call commands need from the driver. */
export interface EslCommandContext {
  /** Whether a leg is live as delivered: commands refuse unknown legs. */
  knowsLeg(leg: string): boolean;
  /** Whether the session is up and resynced (what the translator knows is current). */
  connected(): boolean;
  /** What the live events told about calls: a ringing leg's caller, parked calls, running recordings. */
  calls: Pick<EslTranslator, "originatorOf" | "parkedIn" | "isRecording">;
  /** api and bgapi on the live connection. */
  link: Pick<EslCommandLink, "api" | "background" | "sendEvent">;
  /** Directory domain for `user/<ext>@<domain>` dial strings; none: FreeSWITCH's default domain. */
  domain: string | undefined;
  /** Directory on the FreeSWITCH host where uuid_record writes. */
  recordingDir: string;
  /** How long stopRecording waits for the RECORD_STOP after FreeSWITCH accepted the stop. */
  stopWaitMs: number;
  log: Logger;
  pbx: string;
}

export class EslCommands implements CommandHandlers {
  /** Recording paths started by startRecording, per leg. */
  private readonly recordings = new Map<string, string>();
  /** FreeSWITCH's global `domain`, once asked (for presence when the pbx entry names no domain). */
  private defaultDomain: string | undefined;
  private readonly stops: RecordingStopWaiters;

  constructor(private readonly ctx: EslCommandContext) {
    this.stops = new RecordingStopWaiters({ stopWaitMs: ctx.stopWaitMs, log: ctx.log, pbx: ctx.pbx });
  }

  execute(command: PbxCommand): Promise<CommandOutcome> {
    return dispatchCommand(this, command);
  }

  /** What an originate dials for an endpoint: `sofia/<profile>/<ext>` or a bare extension -> `user/<ext>@<domain>`. */
  dialString(endpoint: string): string | undefined {
    const e = endpoint.trim();
    if (!SAFE_ENDPOINT.test(e)) return undefined;
    const domain = this.ctx.domain ? `@${this.ctx.domain}` : "";
    if (!e.includes("/")) return `user/${e}${e.includes("@") ? "" : domain}`;
    const m = /^sofia\/([^/]+)\/(?:sips?:)?([^@/]+)$/.exec(e);
    if (m && m[1] !== "gateway") return `user/${m[2]}${domain}`;
    return e;
  }

  monitor(req: MonitorRequest): Promise<CommandOutcome> {
    const target = this.liveLeg(req.targetLeg);
    if (typeof target !== "string") return Promise.resolve(target);
    const dial = this.dialString(req.supervisorEndpoint);
    if (!dial) return Promise.resolve(invalid(`supervisor endpoint ${req.supervisorEndpoint}`));
    const cid = splitCallerId(req.callerId);
    const vars = originateVariables({
      origination_caller_id_name: cid.name ?? `Monitor ${req.mode}`,
      origination_caller_id_number: cid.number,
      eavesdrop_enable_dtmf: "true",
      ...eavesdropVariables(req.mode),
      // The leg is a spy leg from its CHANNEL_CREATE on: it never shows as the supervisor's own call while
      // it rings and is answered (eavesdrop only starts after the answer).
      [SPY_TARGET_VARIABLE]: target,
      // eavesdrop is silent; with a beep the supervisor hears a short tone when they answer.
      execute_on_answer: req.beep ? "playback tone_stream://%(200,0,800)" : undefined,
    });
    return this.ctx.link.background(`originate ${vars}${dial} &eavesdrop(${target})`);
  }

  /**
   * Take over: `uuid_transfer <other> 'bridge:<supervisor>' inline` moves the other party out of the call
   * to an inline dialplan that rings the supervisor's phone and bridges them; FreeSWITCH hangs up the
   * agent's leg, whose partner was transferred away.
   */
  takeOver(req: TakeOverRequest): Promise<CommandOutcome> {
    const agent = this.liveLeg(req.agentLeg);
    if (typeof agent !== "string") return Promise.resolve(agent);
    const other = this.liveLeg(req.otherLeg);
    if (typeof other !== "string") return Promise.resolve(other);
    const dial = this.dialString(req.supervisorEndpoint);
    if (!dial) return Promise.resolve(invalid(`supervisor endpoint ${req.supervisorEndpoint}`));
    return this.ctx.link.api(`uuid_transfer ${other} 'bridge:${dial}' inline`);
  }

  /**
   * Click-to-call: originate rings the caller's phone as the caller (origination_caller_id_*, which the
   * dialplan reads as `${caller_id_number}`) and, once it answers, transfers its leg to the destination
   * in the internal context of the XML dialplan, as if the phone had dialled it. The job's result (the
   * phone answered, or not) is `later`; the dialled party's leg is the call's own events.
   */
  dial(req: DialRequest): Promise<CommandOutcome> {
    const unusable = unusableDial(req);
    if (unusable) return Promise.resolve(unusable);
    const dial = this.dialString(req.callerEndpoint);
    if (!dial) return Promise.resolve(invalid(`caller endpoint ${req.callerEndpoint}`));
    const vars = originateVariables({
      origination_caller_id_number: req.callerIdNumber,
      origination_caller_id_name: callerIdName(req),
      // A phone's own calls carry their directory domain; an originated leg has none unless told (the
      // project's dialplan keys its monitoring hash on it: dialplan/freeswitch/callsight.xml).
      domain_name: this.ctx.domain,
      originate_timeout: "30",
    });
    return this.ctx.link.background(`originate ${vars}${dial} ${req.destination} XML ${req.context}`);
  }

  pickup(req: PickupRequest): Promise<CommandOutcome> {
    const target = this.liveLeg(req.targetLeg);
    if (typeof target !== "string") return Promise.resolve(target);
    const dial = this.dialString(req.pickerEndpoint);
    if (!dial) return Promise.resolve(invalid(`picker endpoint ${req.pickerEndpoint}`));
    // intercept answers the caller's A-leg and hangs its ringing B-leg up with PICKED_OFF (trace 09).
    const caller = this.ctx.calls.originatorOf(target);
    const app = caller ? `&intercept(${caller})` : `'&intercept(-bleg ${target})'`;
    const vars = originateVariables({ origination_caller_id_name: "Pickup" });
    return this.ctx.link.background(`originate ${vars}${dial} ${app}`);
  }

  pickupParked(req: ParkedPickupRequest): Promise<CommandOutcome> {
    if (!SAFE_EXTEN.test(req.lot) || !SAFE_EXTEN.test(req.space))
      return Promise.resolve(invalid(`parking slot ${req.lot}/${req.space}`));
    const dial = this.dialString(req.pickerEndpoint);
    if (!dial) return Promise.resolve(invalid(`picker endpoint ${req.pickerEndpoint}`));
    // valet_park on an empty slot parks the caller instead: only retrieve what is known to be parked.
    if (this.ctx.connected() && !this.ctx.calls.parkedIn(req.lot, req.space)) {
      return Promise.resolve({
        status: "refused",
        reason: "not-parked",
        message: `no call is parked in ${req.lot} ${req.space}`,
      });
    }
    // The retrieval is valet_park on the occupied slot (`valet_park default 5901`, trace 08).
    const vars = originateVariables({ origination_caller_id_name: `Parked ${req.space}` });
    return this.ctx.link.background(`originate ${vars}${dial} '&valet_park(${req.lot} ${req.space})'`);
  }

  sendToIvr(req: IvrRequest): Promise<CommandOutcome> {
    const leg = this.liveLeg(req.leg);
    if (typeof leg !== "string") return Promise.resolve(leg);
    if (!SAFE_EXTEN.test(req.exten) || !SAFE_EXTEN.test(req.context))
      return Promise.resolve(invalid(`destination ${req.exten}@${req.context}`));
    return this.ctx.link.api(`uuid_transfer ${leg} ${req.exten} XML ${req.context}`);
  }

  async startRecording(req: RecordingRequest): Promise<CommandOutcome> {
    const leg = this.liveLeg(req.leg);
    if (typeof leg !== "string") return leg;
    const base = path.posix.basename(req.file);
    const file = base.includes(req.callId) ? base : `${req.callId}-${base}`;
    if (!SAFE_EXTEN.test(file)) return invalid(`file name ${req.file}`);
    const full = path.posix.join(this.ctx.recordingDir, file);
    const outcome = await this.ctx.link.api(`uuid_record ${leg} start ${full}`);
    if (outcome.status === "accepted") this.recordings.set(leg, full);
    return outcome;
  }

  /**
   * FreeSWITCH answers `uuid_record … stop` before its RECORD_STOP reaches the socket — sometimes in the same
   * read, sometimes not. Whoever asked for the stop acts on the answer (the operations layer forgets who
   * recorded on demand), so the answer is only passed on once the recording's end has been delivered (or
   * the leg hung up, or `stopWaitMs` passed): the recording is finalized with who asked for it.
   */
  async stopRecording(req: { leg: string }): Promise<CommandOutcome> {
    const leg = this.liveLeg(req.leg);
    if (typeof leg !== "string") return leg;
    // Registered before the command is sent: the event may be read in the same chunk as the answer.
    const stopped = this.ctx.calls.isRecording(leg) ? this.stops.waitFor(leg) : undefined;
    const outcome = await this.ctx.link.api(`uuid_record ${leg} stop ${this.recordings.get(leg) ?? "all"}`);
    if (outcome.status === "accepted") {
      this.recordings.delete(leg);
      if (stopped) await stopped.wait;
    }
    stopped?.cancel();
    return outcome;
  }

  /**
   * A user's status, where the dialplan and the phones read it (status-db.ts): the db first (DND, status,
   * note), then the callsight::dnd event the `*78` / `*79` codes fire and a PRESENCE_IN for the phones'
   * lamps. The driver reads both events back, so the board shows what FreeSWITCH announced.
   */
  async setStatus(req: StatusRequest): Promise<CommandOutcome> {
    if (!usableStatusKey(req.extension)) return invalid(`extension ${req.extension}`);
    for (const command of statusDbCommands(req)) {
      const outcome = await this.ctx.link.api(command);
      if (outcome.status !== "accepted") return outcome;
    }
    const domain = await this.presenceDomain();
    if (typeof domain !== "string") return domain;
    for (const { name, headers } of statusEvents(req, domain)) {
      const outcome = await this.ctx.link.sendEvent(name, headers);
      if (outcome.status !== "accepted") return outcome;
    }
    return { status: "accepted", detail: `${req.extension} ${req.status}` };
  }

  /**
   * A queue member paused or not: mod_callcenter's agent status (`On Break` / `Available`), which holds the
   * agent in every queue it serves. FreeSWITCH keeps no pause reason. FreeSWITCH reports it back
   * (`agent-status-change`): that is what the panel shows.
   */
  async queuePause(req: QueuePauseRequest): Promise<CommandOutcome> {
    if (!/^[\w.@+-]+$/.test(req.agent)) return invalid(`agent ${req.agent}`);
    const status = req.paused ? "On Break" : "Available";
    const outcome = await this.ctx.link.api(`callcenter_config agent set status ${req.agent} '${status}'`);
    if (outcome.status === "failed" && /agent not found/i.test(outcome.message))
      return { status: "refused", reason: "not-a-member", message: `no agent ${req.agent}` };
    return outcome.status === "accepted" ? { status: "accepted", detail: `${req.agent} ${status}` } : outcome;
  }

  /**
   * A queue login or logout: mod_callcenter's agent status (`Available` / `Logged Out`), which holds the agent
   * in every queue it serves. The agent and its tiers are FusionPBX's: the extension's agent is looked up in
   * the queue's agent list when the PBX has not named it yet. FreeSWITCH reports it back (`agent-status-change`).
   */
  async queueLogin(req: QueueLoginRequest): Promise<CommandOutcome> {
    if (!/^[\w.@+-]+$/.test(req.queue)) return invalid(`queue ${req.queue}`);
    let agent = req.agent;
    if (agent === undefined) {
      const list = await this.ctx.link.api(`callcenter_config queue list agents ${req.queue}`);
      if (list.status === "failed" && /queue not found/i.test(list.message))
        return {
          status: "refused",
          reason: "unknown-queue",
          message: `FreeSWITCH has no queue ${req.queue}`,
        };
      if (list.status !== "accepted") return list;
      agent = agentOfExtension(list.detail ?? "", req.extension);
      if (agent === undefined)
        return {
          status: "refused",
          reason: "not-an-agent",
          message: `queue ${req.queue} has no agent for ${req.extension} (FusionPBX sets up agents and tiers)`,
        };
    }
    if (!/^[\w.@+-]+$/.test(agent)) return invalid(`agent ${agent}`);
    const status = req.loggedIn ? "Available" : "Logged Out";
    const outcome = await this.ctx.link.api(`callcenter_config agent set status ${agent} '${status}'`);
    if (outcome.status === "failed" && /agent not found/i.test(outcome.message))
      return { status: "refused", reason: "not-an-agent", message: `no agent ${agent}` };
    return outcome.status === "accepted" ? { status: "accepted", detail: `${agent} ${status}` } : outcome;
  }

  /** The domain of the users' presence (`<ext>@<domain>`): the configured one, else FreeSWITCH's `domain`. */
  private async presenceDomain(): Promise<string | CommandOutcome> {
    if (this.ctx.domain) return this.ctx.domain;
    if (this.defaultDomain) return this.defaultDomain;
    const outcome = await this.ctx.link.api("global_getvar domain");
    if (outcome.status !== "accepted") return outcome;
    const domain = (outcome.detail ?? "").trim();
    if (!domain || /\s/.test(domain))
      return { status: "failed", message: "FreeSWITCH has no `domain` variable: set the pbx entry's domain" };
    this.defaultDomain = domain;
    return domain;
  }

  /** Before listeners see `events`: forgets the recording paths of legs that hung up or a snapshot no longer lists. */
  legsDelivered(events: readonly PbxEvent[]): void {
    for (const e of events) {
      if (e.type === "leg.hangup") this.recordings.delete(e.leg);
      else if (e.type === "pbx.snapshot") {
        const live = new Set(e.legs.map((l) => l.leg));
        for (const leg of [...this.recordings.keys()]) if (!live.has(leg)) this.recordings.delete(leg);
      }
    }
  }

  /** Once every listener has seen `events`: a stopRecording waiting for one of these recordings' end returns. */
  eventsDelivered(events: readonly PbxEvent[]): void {
    this.stops.release(events);
  }

  private liveLeg(leg: string): string | CommandOutcome {
    if (!SAFE_ID.test(leg) || !this.ctx.knowsLeg(leg)) {
      return { status: "refused", reason: "unknown-leg", message: `no live channel known for leg ${leg}` };
    }
    return leg;
  }
}

/** stopRecording calls waiting for their leg's recording.stopped (or hangup) to be delivered. */
class RecordingStopWaiters {
  private readonly waiting = new Map<string, Set<() => void>>();

  constructor(private readonly o: { stopWaitMs: number; log: Logger; pbx: string }) {}

  /** Resolves when a recording.stopped or leg.hangup for `leg` has been delivered, or after `stopWaitMs`. */
  waitFor(leg: string): { wait: Promise<void>; cancel(): void } {
    let done: () => void = () => undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const wait = new Promise<void>((resolve) => {
      done = () => {
        clearTimeout(timer);
        const set = this.waiting.get(leg);
        set?.delete(done);
        if (set?.size === 0) this.waiting.delete(leg);
        resolve();
      };
    });
    let set = this.waiting.get(leg);
    if (!set) {
      set = new Set();
      this.waiting.set(leg, set);
    }
    set.add(done);
    timer = setTimeout(() => {
      this.o.log.debug({ pbx: this.o.pbx, leg }, "RECORD_STOP not seen after uuid_record stop");
      done();
    }, this.o.stopWaitMs);
    timer.unref?.();
    return { wait, cancel: done };
  }

  /** Releases the waiters of legs whose recording stopped or who hung up; a snapshot or a link change: all. */
  release(events: readonly PbxEvent[]): void {
    if (this.waiting.size === 0) return;
    for (const e of events) {
      const leg =
        e.type === "recording.stopped" || e.type === "leg.hangup"
          ? e.leg
          : e.type === "pbx.snapshot" || e.type === "pbx.connection"
            ? "*"
            : undefined;
      if (leg === undefined) continue;
      const waiting = leg === "*" ? [...this.waiting.values()] : [this.waiting.get(leg) ?? new Set()];
      for (const set of waiting) for (const done of [...set]) done();
    }
  }
}

function invalid(what: string): CommandOutcome {
  return { status: "refused", reason: "invalid-argument", message: `unusable ${what}` };
}

// FreeSWITCH ESL events -> normalized events. Deterministic and free of I/O, like AmiTranslator: it
// keeps only what ESL spreads over several events (which legs exist and which call each belongs to,
// who a leg was originated for, bridges, intercepts waiting for their PICKED_OFF, valet slots,
// eavesdrop sessions). Registrations, published presence and DND are presence.ts's.
//
// What the real FreeSWITCH showed (test/fixtures/freeswitch) and how it is read:
// - A B-leg's `Channel-Call-UUID` is its own uuid in CHANNEL_OUTGOING, the A-leg's from CHANNEL_CREATE
//   on, and its own again in CHANNEL_HANGUP_COMPLETE/DESTROY. So a leg's call is fixed when the leg
//   appears (an originated leg joins its originator's call, `Other-Type: originator`) and later values
//   are not trusted; bridges merge the two legs' calls (the older call wins).
// - CHANNEL_PROGRESS and CHANNEL_CALLSTATE RINGING/EARLY also arrive on the caller's A-leg (ringback):
//   only a leg FreeSWITCH created towards a device (`Call-Direction: outbound`) rings.
// - CHANNEL_BRIDGE/UNBRIDGE come once per bridge, on one leg, naming both (`Bridge-A/B-Unique-ID`).
// - A cancelled call ends with ORIGINATOR_CANCEL, an intercepted ringing leg with PICKED_OFF while the
//   interceptor (running `intercept <A-leg uuid>`) is bridged to the caller.
// - The eavesdrop mode is only in the spy leg's variables (`variable_eavesdrop_whisper_aleg/bleg`).
// - A spy leg Callsight originates is ringing and answered before it runs `eavesdrop`: it carries
//   `callsight_spy_target=<monitored leg>` from its CHANNEL_CREATE on, so it is a monitoring leg from
//   the start and never shows as a call of the supervisor's (live run, test/live/freeswitch-esl).
// - A recorded leg that hangs up sends CHANNEL_HANGUP before RECORD_STOP (trace 11b): the recording's end
//
// The pieces: channel-identity.ts (who a leg is), translate-legs.ts (legs, calls, bridges, hold),
// translate-parking.ts (valet parking), eavesdrop.ts (monitoring modes), hangup-causes.ts,
// event-interest.ts (what is read at all), presence.ts (registrations, published presence, DND).

import type { PbxEvent, PbxSnapshot } from "../../domain/events.js";
import { EndpointClassifier } from "../endpoints.js";
import type { IdentityRules } from "./channel-identity.js";
import { eavesdropModeOf } from "./eavesdrop.js";
import { IGNORED_EVENTS, timestampOf } from "./event-interest.js";
import { type EslEvent, hdr } from "./frame-parser.js";
import { dialStatus, hangupCause } from "./hangup-causes.js";
import { EslPresence, type RegistrationEntry } from "./presence.js";
import { CALLCENTER_SUBCLASS, CallcenterTranslation } from "./translate-callcenter.js";
import { EslIntercepts } from "./translate-intercepts.js";
import { EslLegs, type KnownLeg } from "./translate-legs.js";
import { EslParking } from "./translate-parking.js";

export {
  bridgeId,
  type ChannelFacts,
  factsOf,
  type IdentityRules,
  type LegIdentity,
  legIdentity,
  PLUMBING,
  parseChannelName,
} from "./channel-identity.js";
export { eavesdropMode, fsTrue, SPY_TARGET_VARIABLE } from "./eavesdrop.js";
export { APPLICATIONS_READ, ESL_EVENT_INTEREST, IGNORED_EVENTS, skipUnparsed } from "./event-interest.js";
export { HANGUP_CAUSES, hangupCause } from "./hangup-causes.js";

export interface EslTranslatorCounters {
  frames: number;
  events: number;
  ignored: number;
  unknown: Record<string, number>;
}

export interface EslTranslatorOptions {
  classifier?: EndpointClassifier;
  /** Sofia profiles facing carriers: their legs are external. Default `["external"]`. */
  externalProfiles?: readonly string[];
  now?: () => number;
}

/** Seeds for a translator that starts mid-flight (after a resync). */
export interface EslSeed {
  /** Outgoing leg -> the leg it was originated for. */
  originators?: ReadonlyMap<string, string>;
  /** Spy leg -> monitored leg. */
  monitoring?: ReadonlyMap<string, string>;
  /** Registered endpoint -> its registrations (SIP Call-IDs and contacts). */
  registrations?: ReadonlyMap<string, readonly RegistrationEntry[]>;
}

export class EslTranslator {
  /** Legs, their calls and bridges. */
  private readonly s: EslLegs;
  /** Interceptor leg -> the uuid it runs `intercept` on. */
  private readonly intercepts: EslIntercepts;
  /** Valet parking slots. */
  private readonly parking: EslParking;
  /** Registrations, published presence and DND. */
  private readonly presence: EslPresence;
  /** Queues (mod_callcenter). */
  private readonly callcenter = new CallcenterTranslation();
  private readonly rules: IdentityRules;
  private readonly now: () => number;
  readonly counters: EslTranslatorCounters = {
    frames: 0,
    events: 0,
    ignored: 0,
    unknown: Object.create(null) as Record<string, number>,
  };

  constructor(
    private readonly pbx: string,
    options: EslTranslatorOptions = {},
  ) {
    this.rules = {
      classifier: options.classifier ?? new EndpointClassifier(),
      externalProfiles: new Set(options.externalProfiles ?? ["external"]),
    };
    this.now = options.now ?? (() => 0);
    this.s = new EslLegs(pbx, this.rules);
    this.parking = new EslParking(pbx, this.s);
    this.intercepts = new EslIntercepts(this.s.legs);
    this.presence = new EslPresence(pbx, () => {
      this.counters.ignored++;
    });
  }

  /** Forget everything (a new session starts; the resync snapshot says what exists). */
  reset(): void {
    this.s.reset();
    this.intercepts.reset();
    this.parking.reset();
    this.presence.reset();
    this.callcenter.reset();
  }

  get identityRules(): IdentityRules {
    return this.rules;
  }

  /** Counts an event the connection skipped unparsed (see ESL_EVENT_INTEREST). */
  skipped(): void {
    this.counters.frames++;
    this.counters.ignored++;
  }

  /** Starts from what a resync found, so that live events continue it without re-announcing legs. */
  seed(snapshot: PbxSnapshot, seed: EslSeed = {}): void {
    for (const l of snapshot.legs) {
      const known: KnownLeg = {
        uuid: l.leg,
        leg: true,
        callId: l.callId,
        outgoing: l.outgoing,
        answered: l.state === "up",
        ringing: l.state === "ringing",
        held: l.held ?? false,
        transferSource: "?",
      };
      if (l.bridge) known.bridge = l.bridge;
      const originator = seed.originators?.get(l.leg);
      if (originator) known.originator = originator;
      const target = seed.monitoring?.get(l.leg);
      if (target) known.monitoring = target;
      this.s.legs.set(l.leg, known);
      this.s.noteCall(l.callId);
    }
    // Recordings running (when the snapshot says): their end is announced with the leg's hangup, as live.
    for (const r of snapshot.recordings ?? []) {
      const leg = this.s.legs.get(r.leg);
      if (leg) leg.recording = r.file ?? "";
    }
    for (const p of snapshot.parked) {
      const leg = this.s.legs.get(p.leg);
      if (!leg) continue;
      leg.parked = { lot: p.lot, space: p.space };
      this.parking.parkedAt.set(`${p.lot}/${p.space}`, p.leg);
    }
    this.presence.seed(snapshot.reachability, seed.registrations);
  }

  /** The call a live leg belongs to, as far as the translator knows. */
  callOf(leg: string): string | undefined {
    const l = this.s.legs.get(leg);
    return l?.leg ? l.callId : undefined;
  }

  /** The leg an outgoing leg was originated for (the caller of a ringing leg). */
  originatorOf(leg: string): string | undefined {
    return this.s.legs.get(leg)?.originator;
  }

  /** Whether a live leg is being recorded (RECORD_START seen, no RECORD_STOP yet). */
  isRecording(leg: string): boolean {
    return this.s.legs.get(leg)?.recording !== undefined;
  }

  /** The leg parked in a valet slot, if any. */
  parkedIn(lot: string, space: string): string | undefined {
    return this.parking.parkedAt.get(`${lot}/${space}`);
  }

  translate(e: EslEvent): PbxEvent[] {
    this.counters.frames++;
    const name = hdr(e, "Event-Name");
    if (name === undefined) return [];
    const out: PbxEvent[] = [];
    const at = timestampOf(e) ?? this.now();
    switch (name) {
      case "CHANNEL_CREATE":
      case "CHANNEL_OUTGOING":
      case "CHANNEL_ORIGINATE":
        this.s.ensure(e, at, out);
        break;
      case "CHANNEL_PROGRESS":
      case "CHANNEL_PROGRESS_MEDIA": {
        const l = this.s.ensure(e, at, out);
        if (l) this.s.ring(l, at, out);
        break;
      }
      case "CHANNEL_CALLSTATE": {
        const l = this.s.ensure(e, at, out);
        if (!l) break;
        const state = hdr(e, "Channel-Call-State");
        if (state === "RINGING" || state === "EARLY") this.s.ring(l, at, out);
        else if (state === "ACTIVE") {
          if (hdr(e, "Answer-State") === "answered") this.s.answer(l, at, out);
          this.s.hold(l, false, at, out);
        } else if (state === "HELD") this.s.hold(l, true, at, out);
        else if (state === "UNHELD") this.s.hold(l, false, at, out);
        this.s.transferCheck(l, e, at, out);
        break;
      }
      case "CHANNEL_ANSWER": {
        const l = this.s.ensure(e, at, out);
        if (l) this.s.answer(l, at, out);
        break;
      }
      case "CHANNEL_HOLD":
      case "CHANNEL_UNHOLD": {
        const l = this.s.ensure(e, at, out);
        if (l) this.s.hold(l, name === "CHANNEL_HOLD", at, out);
        break;
      }
      case "CHANNEL_BRIDGE":
        this.s.bridge(e, at, out);
        break;
      case "CHANNEL_UNBRIDGE":
        this.s.unbridge(e, at, out);
        break;
      case "CHANNEL_HANGUP":
      case "CHANNEL_HANGUP_COMPLETE":
      case "CHANNEL_DESTROY":
        this.hangup(e, at, out);
        break;
      case "CHANNEL_EXECUTE":
        this.execute(e, at, out);
        break;
      case "CHANNEL_EXECUTE_COMPLETE":
        this.executeComplete(e, at, out);
        break;
      case "RECORD_START":
      case "RECORD_STOP": {
        const l = this.s.ensure(e, at, out);
        if (!l) break;
        const file = hdr(e, "Record-File-Path");
        l.recording = name === "RECORD_START" ? (file ?? "") : undefined;
        out.push({
          pbx: this.pbx,
          at,
          type: name === "RECORD_START" ? "recording.started" : "recording.stopped",
          leg: l.uuid,
          ...(file ? { file } : {}),
        });
        break;
      }
      case "PRESENCE_IN":
        this.presence.presence(e, at, out);
        break;
      case "CUSTOM":
        this.custom(e, at, out);
        break;
      default:
        if (IGNORED_EVENTS.has(name)) this.counters.ignored++;
        else this.counters.unknown[name] = (this.counters.unknown[name] ?? 0) + 1;
    }
    this.counters.events += out.length;
    return out;
  }

  private hangup(e: EslEvent, at: number, out: PbxEvent[]): void {
    const uuid = hdr(e, "Unique-ID");
    if (!uuid) return;
    const l = this.s.legs.get(uuid);
    if (!l) return;
    this.s.legs.delete(uuid);
    this.s.forget(uuid);
    if (!l.leg) return;
    const cause = hdr(e, "Hangup-Cause") ?? hdr(e, "variable_hangup_cause") ?? "";
    const pickup = this.intercepts.pickedUp(l, cause);
    if (pickup) out.push({ pbx: this.pbx, at, type: "call.pickedUp", ...pickup });
    if (l.outgoing && !l.answered && l.originator && this.s.legs.get(l.originator)?.leg) {
      out.push({
        pbx: this.pbx,
        at,
        type: "dial.ended",
        caller: l.originator,
        callee: uuid,
        status: dialStatus(cause),
      });
    }
    if (l.monitoring)
      out.push({ pbx: this.pbx, at, type: "monitoring.stopped", spy: uuid, target: l.monitoring });
    if (l.parked) this.parking.unpark(l, "gave-up", at, out);
    // FreeSWITCH closes the file (RECORD_STOP) only after CHANNEL_HANGUP, when the leg is gone: the
    // recording ends here, while the leg still belongs to its call.
    if (l.recording !== undefined) {
      out.push({
        pbx: this.pbx,
        at,
        type: "recording.stopped",
        leg: uuid,
        ...(l.recording ? { file: l.recording } : {}),
      });
      l.recording = undefined;
    }
    this.intercepts.forget(uuid);
    this.s.referredAway(l, e, at, out);
    out.push({
      pbx: this.pbx,
      at,
      type: "leg.hangup",
      leg: uuid,
      cause: hangupCause(cause, hdr(e, "variable_hangup_cause_q850")),
      causeText: cause,
    });
  }

  private execute(e: EslEvent, at: number, out: PbxEvent[]): void {
    const l = this.s.ensure(e, at, out);
    if (!l) return;
    const app = hdr(e, "Application") ?? "";
    const data = (hdr(e, "Application-Data") ?? "").trim();
    switch (app) {
      case "eavesdrop":
      case "three_way": {
        const target = this.s.legs.get(data);
        if (!target?.leg || data === l.uuid) break;
        const mode = app === "three_way" ? "barge" : eavesdropModeOf(e);
        // Announced already when the leg appeared (a spy leg Callsight originated).
        if (l.monitoring === data && l.monitoringMode === mode) break;
        l.monitoring = data;
        l.monitoringMode = mode;
        out.push({ pbx: this.pbx, at, type: "monitoring.started", spy: l.uuid, target: data, mode });
        break;
      }
      case "intercept": {
        const target = data.startsWith("-bleg") ? data.slice(5).trim() : data;
        if (target) this.intercepts.intercept(l.uuid, target, hdr(e, "Caller-Destination-Number") ?? "");
        break;
      }
      case "valet_park":
        this.parking.valetPark(l.uuid, data);
        break;
    }
    this.s.transferCheck(l, e, at, out);
  }

  private executeComplete(e: EslEvent, at: number, out: PbxEvent[]): void {
    const app = hdr(e, "Application");
    if (app !== "eavesdrop" && app !== "three_way") return;
    const uuid = hdr(e, "Unique-ID");
    const l = uuid ? this.s.legs.get(uuid) : undefined;
    if (!l?.monitoring) return;
    out.push({ pbx: this.pbx, at, type: "monitoring.stopped", spy: l.uuid, target: l.monitoring });
    l.monitoring = undefined;
    l.monitoringMode = undefined;
  }

  private custom(e: EslEvent, at: number, out: PbxEvent[]): void {
    const sub = hdr(e, "Event-Subclass") ?? "";
    if (this.presence.custom(sub, e, at, out)) return;
    switch (sub) {
      case "valet_parking::info":
        this.parking.info(this.s.ensure(e, at, out), e, at, out);
        break;
      case CALLCENTER_SUBCLASS:
        this.callcenter.translate(e, { pbx: this.pbx, at }, out, (caller) =>
          this.intercepts.takenFromQueue(caller),
        );
        break;
      default: {
        const key = `CUSTOM::${sub}`;
        this.counters.unknown[key] = (this.counters.unknown[key] ?? 0) + 1;
      }
    }
  }
}

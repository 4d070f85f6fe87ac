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
//   is announced before the hangup, while the leg is still part of its call.

import type { MonitoringMode } from "../../domain/directory.js";
import type { DialEnded, LegEndpoint, PbxEvent, PbxSnapshot } from "../../domain/events.js";
import { EndpointClassifier } from "../endpoints.js";
import { type EslEvent, hdr } from "./frame-parser.js";
import { EslPresence, type RegistrationEntry } from "./presence.js";

/**
 * The channel variable FreeswitchEslDriver.monitor sets on the spy leg it originates: the monitored leg's
 * uuid. It is in the leg's CHANNEL_CREATE, so the leg is known as a spy leg before it rings.
 */
export const SPY_TARGET_VARIABLE = "callsight_spy_target";

/** Channel technologies that are FreeSWITCH plumbing, never a party of a call. */
export const PLUMBING: ReadonlySet<string> = new Set(["loopback", "error", "null"]);

/** Events Callsight reads nothing from. They are expected and not counted as unknown. */
export const IGNORED_EVENTS: ReadonlySet<string> = new Set([
  "CHANNEL_STATE",
  "CODEC",
  "CALL_UPDATE",
  "API",
  "HEARTBEAT",
  "RE_SCHEDULE",
  "BACKGROUND_JOB",
  "PLAYBACK_START",
  "PLAYBACK_STOP",
  "MEDIA_BUG_START",
  "MEDIA_BUG_STOP",
  "CHANNEL_PARK",
  "CHANNEL_UNPARK",
  "CHANNEL_APPLICATION",
  "CHANNEL_DATA",
  "CHANNEL_UUID",
  "DTMF",
  "PRESENCE_OUT",
  "PRESENCE_PROBE",
  "MESSAGE_WAITING",
  "MESSAGE_QUERY",
  "ROSTER",
  "SESSION_HEARTBEAT",
  "DEVICE_STATE",
  "CALL_SECURE",
  "CALL_SETUP_REQ",
  "CALL_DETAIL",
  "RECV_RTCP_MESSAGE",
  "RECV_INFO",
  "SEND_INFO",
  "RELOADXML",
  "MODULE_LOAD",
  "MODULE_UNLOAD",
  "STARTUP",
  "SHUTDOWN",
  "TALK",
  "NOTALK",
  "LOG",
]);

/** Applications whose CHANNEL_EXECUTE(_COMPLETE) translate() reads; `set`, `bridge`, `answer`… carry nothing new. */
export const APPLICATIONS_READ: ReadonlySet<string> = new Set([
  "eavesdrop",
  "three_way",
  "intercept",
  "valet_park",
]);

/**
 * Events translate() would read nothing from, told from the raw JSON body without parsing it: the
 * CHANNEL_EXECUTE(_COMPLETE) of other applications (a third of a call's subscribed events, the legs are
 * known from CHANNEL_CREATE and transfers show on CHANNEL_UNBRIDGE/CALLSTATE too) and a channel's own
 * PRESENCE_IN (it has a Unique-ID; line state comes from the legs). test/esl/golden.test.ts checks that
 * every trace translates to the same events with and without this.
 */
export function skipUnparsed(name: string, body: Buffer): boolean {
  if (name === "CHANNEL_EXECUTE" || name === "CHANNEL_EXECUTE_COMPLETE") {
    const i = body.indexOf('"Application":"', 0, "latin1");
    if (i < 0) return false;
    const start = i + 15;
    const end = body.indexOf(0x22, start);
    return end > start && !APPLICATIONS_READ.has(body.toString("latin1", start, end));
  }
  if (name === "PRESENCE_IN") return body.indexOf('"Unique-ID":"', 0, "latin1") >= 0;
  return false;
}

/** Lets a connection skip, unparsed, the event bodies translate() would ignore. */
export const ESL_EVENT_INTEREST = { ignore: IGNORED_EVENTS, skip: skipUnparsed };

/**
 * FreeSWITCH cause names -> Q.850 numbers (fs:src/switch_channel.c CAUSE_CHART). FreeSWITCH's own
 * causes above 127 get the number Asterisk reports for the same situation, so that both PBXes give
 * the model the same hangups: a cancelled call is 127 on Asterisk (trace 02), a ringing leg picked up
 * elsewhere 26 "Answered elsewhere" (trace 09).
 */
export const HANGUP_CAUSES: Readonly<Record<string, number>> = {
  UNSPECIFIED: 0,
  UNALLOCATED_NUMBER: 1,
  NO_ROUTE_TRANSIT_NET: 2,
  NO_ROUTE_DESTINATION: 3,
  CHANNEL_UNACCEPTABLE: 6,
  CALL_AWARDED_DELIVERED: 7,
  NORMAL_CLEARING: 16,
  USER_BUSY: 17,
  NO_USER_RESPONSE: 18,
  NO_ANSWER: 19,
  SUBSCRIBER_ABSENT: 20,
  CALL_REJECTED: 21,
  NUMBER_CHANGED: 22,
  REDIRECTION_TO_NEW_DESTINATION: 23,
  EXCHANGE_ROUTING_ERROR: 25,
  DESTINATION_OUT_OF_ORDER: 27,
  INVALID_NUMBER_FORMAT: 28,
  FACILITY_REJECTED: 29,
  RESPONSE_TO_STATUS_ENQUIRY: 30,
  NORMAL_UNSPECIFIED: 31,
  NORMAL_CIRCUIT_CONGESTION: 34,
  NETWORK_OUT_OF_ORDER: 38,
  NORMAL_TEMPORARY_FAILURE: 41,
  SWITCH_CONGESTION: 42,
  ACCESS_INFO_DISCARDED: 43,
  REQUESTED_CHAN_UNAVAIL: 44,
  PRE_EMPTED: 45,
  FACILITY_NOT_SUBSCRIBED: 50,
  OUTGOING_CALL_BARRED: 52,
  INCOMING_CALL_BARRED: 54,
  BEARERCAPABILITY_NOTAUTH: 57,
  BEARERCAPABILITY_NOTAVAIL: 58,
  SERVICE_UNAVAILABLE: 63,
  BEARERCAPABILITY_NOTIMPL: 65,
  CHAN_NOT_IMPLEMENTED: 66,
  FACILITY_NOT_IMPLEMENTED: 69,
  SERVICE_NOT_IMPLEMENTED: 79,
  INVALID_CALL_REFERENCE: 81,
  INCOMPATIBLE_DESTINATION: 88,
  INVALID_MSG_UNSPECIFIED: 95,
  MANDATORY_IE_MISSING: 96,
  MESSAGE_TYPE_NONEXIST: 97,
  WRONG_MESSAGE: 98,
  IE_NONEXIST: 99,
  INVALID_IE_CONTENTS: 100,
  WRONG_CALL_STATE: 101,
  RECOVERY_ON_TIMER_EXPIRE: 102,
  MANDATORY_IE_LENGTH_ERROR: 103,
  PROTOCOL_ERROR: 111,
  INTERWORKING: 127,
  // FreeSWITCH-only causes, as Asterisk numbers the same situation.
  ORIGINATOR_CANCEL: 127,
  PICKED_OFF: 26,
  LOSE_RACE: 26,
  MANAGER_REQUEST: 16,
  BLIND_TRANSFER: 16,
  ATTENDED_TRANSFER: 16,
  SUCCESS: 16,
  ALLOTTED_TIMEOUT: 102,
  PROGRESS_TIMEOUT: 102,
  NO_PICKUP: 19,
  USER_CHALLENGE: 21,
  USER_NOT_REGISTERED: 20,
  MEDIA_TIMEOUT: 41,
  GATEWAY_DOWN: 38,
  SYSTEM_SHUTDOWN: 41,
  CRASH: 41,
};

export function hangupCause(name: string, q850?: string): number {
  const known = Object.hasOwn(HANGUP_CAUSES, name) ? HANGUP_CAUSES[name] : undefined;
  if (known !== undefined) return known;
  const n = q850 === undefined ? Number.NaN : Number.parseInt(q850, 10);
  return Number.isFinite(n) && n >= 0 && n <= 127 ? n : 0;
}

// ---- channel identity ---------------------------------------------------------------------------

/** What a channel says about itself (one event's `Caller-*` block, its `Other-Leg-*` block, or a `show channels` row). */
export interface ChannelFacts {
  uuid: string;
  channel: string;
  direction: string;
  cidNum?: string;
  cidName?: string;
  dest?: string;
  calleeNum?: string;
  callUuid?: string;
  gateway?: string;
  profile?: string;
  dialedUser?: string;
  otherType?: string;
  otherUuid?: string;
}

export interface IdentityRules {
  classifier: EndpointClassifier;
  /** Sofia profiles whose legs are the outside world (carriers). */
  externalProfiles: ReadonlySet<string>;
}

/** `sofia/internal/1001@127.0.0.1:5101`, `sofia/internal/sip:1004@10.0.0.5:5060`, `sofia/gateway/carrier/1777…` */
export function parseChannelName(name: string): {
  tech: string;
  profile?: string;
  gateway?: string;
  user: string;
} {
  const parts = name.split("/");
  const tech = parts[0] ?? "";
  let profile: string | undefined;
  let gateway: string | undefined;
  let rest: string;
  if (tech === "sofia" && parts[1] === "gateway" && parts.length >= 4) {
    gateway = parts[2];
    rest = parts.slice(3).join("/");
  } else if (tech === "sofia" && parts.length >= 3) {
    profile = parts[1];
    rest = parts.slice(2).join("/");
  } else {
    rest = parts.slice(1).join("/");
  }
  if (rest.startsWith("sip:")) rest = rest.slice(4);
  else if (rest.startsWith("sips:")) rest = rest.slice(5);
  const at = rest.indexOf("@");
  let user = at < 0 ? rest : rest.slice(0, at);
  const semi = user.indexOf(";");
  if (semi >= 0) user = user.slice(0, semi);
  const out: { tech: string; profile?: string; gateway?: string; user: string } = { tech, user };
  if (profile !== undefined) out.profile = profile;
  if (gateway !== undefined) out.gateway = gateway;
  return out;
}

export interface LegIdentity extends LegEndpoint {
  channel: string;
  outgoing: boolean;
  dialled?: string;
}

/** Who a leg is: an internal phone (`sofia/<profile>/<ext>`) or the outside party behind a gateway/external profile. */
export function legIdentity(f: ChannelFacts, rules: IdentityRules): LegIdentity | undefined {
  if (!f.channel) return undefined;
  const p = parseChannelName(f.channel);
  if (PLUMBING.has(p.tech) || p.tech === "") return undefined;
  const outgoing = f.direction === "outbound";
  const profile = f.profile ?? p.profile;
  const gateway = f.gateway || p.gateway;
  const user = outgoing && f.dialedUser ? f.dialedUser : p.user;
  const internalEndpoint =
    p.tech === "sofia" ? `sofia/${profile ?? "internal"}/${user}` : `${p.tech}/${user}`;
  const external =
    gateway !== undefined ||
    (profile !== undefined && rules.externalProfiles.has(profile)) ||
    rules.classifier.side(internalEndpoint, user) === "external";
  let endpoint = internalEndpoint;
  let number = user;
  if (external) {
    endpoint = gateway
      ? `sofia/gateway/${gateway}`
      : p.tech === "sofia"
        ? `sofia/${profile}`
        : internalEndpoint;
    number = outgoing ? f.dest || f.calleeNum || user : f.cidNum || user;
  }
  const id: LegIdentity = {
    endpoint,
    side: external ? "external" : "internal",
    number,
    channel: f.channel,
    outgoing,
  };
  // The caller-id name of a leg FreeSWITCH created is the *caller's* name: only an incoming leg names its party.
  const name = f.cidName;
  if (!outgoing && name && name !== number && name !== "unknown" && name !== "Outbound Call") id.name = name;
  if (!outgoing && f.dest) id.dialled = f.dest;
  return id;
}

export function factsOf(e: EslEvent, other = false): ChannelFacts {
  if (other) {
    const f: ChannelFacts = {
      uuid: hdr(e, "Other-Leg-Unique-ID") ?? "",
      channel: hdr(e, "Other-Leg-Channel-Name") ?? "",
      direction: hdr(e, "Other-Leg-Direction") ?? "",
    };
    setIf(f, "cidNum", hdr(e, "Other-Leg-Caller-ID-Number"));
    setIf(f, "cidName", hdr(e, "Other-Leg-Caller-ID-Name"));
    setIf(f, "dest", hdr(e, "Other-Leg-Destination-Number"));
    setIf(f, "calleeNum", hdr(e, "Other-Leg-Callee-ID-Number"));
    return f;
  }
  const f: ChannelFacts = {
    uuid: hdr(e, "Unique-ID") ?? "",
    channel: hdr(e, "Channel-Name") ?? "",
    direction: hdr(e, "Call-Direction") ?? "",
  };
  setIf(f, "cidNum", hdr(e, "Caller-Caller-ID-Number"));
  setIf(f, "cidName", hdr(e, "Caller-Caller-ID-Name"));
  setIf(f, "dest", hdr(e, "Caller-Destination-Number"));
  setIf(f, "calleeNum", hdr(e, "Caller-Callee-ID-Number"));
  setIf(f, "callUuid", hdr(e, "Channel-Call-UUID"));
  setIf(f, "gateway", hdr(e, "variable_sip_gateway_name"));
  setIf(f, "profile", hdr(e, "variable_sofia_profile_name"));
  setIf(f, "dialedUser", hdr(e, "variable_dialed_user"));
  setIf(f, "otherType", hdr(e, "Other-Type"));
  setIf(f, "otherUuid", hdr(e, "Other-Leg-Unique-ID"));
  return f;
}

function setIf<K extends keyof ChannelFacts>(f: ChannelFacts, key: K, v: ChannelFacts[K] | undefined): void {
  if (v !== undefined && v !== "") f[key] = v;
}

/** One id for a bridge of two legs, whichever leg FreeSWITCH calls A. */
export function bridgeId(a: string, b: string): string {
  return a < b ? `${a}+${b}` : `${b}+${a}`;
}

/** FreeSWITCH's switch_true(). */
export function fsTrue(v: unknown): boolean {
  if (typeof v !== "string") return false;
  const s = v.toLowerCase();
  return (
    s === "true" ||
    s === "yes" ||
    s === "on" ||
    s === "1" ||
    s === "enabled" ||
    s === "active" ||
    s === "allow"
  );
}

/** eavesdrop's mode from the spy leg's variables: whisper to one leg = whisper, to both = barge. */
export function eavesdropMode(aleg: unknown, bleg: unknown): MonitoringMode {
  const a = fsTrue(aleg);
  const b = fsTrue(bleg);
  if (a && b) return "barge";
  if (a || b) return "whisper";
  return "listen";
}

function dialStatus(cause: string): DialEnded["status"] {
  switch (cause) {
    case "USER_BUSY":
      return "busy";
    case "ORIGINATOR_CANCEL":
    case "PICKED_OFF":
    case "LOSE_RACE":
      return "cancelled";
    case "NO_ANSWER":
    case "NO_USER_RESPONSE":
    case "ALLOTTED_TIMEOUT":
    case "PROGRESS_TIMEOUT":
      return "no-answer";
    case "SUBSCRIBER_ABSENT":
    case "USER_NOT_REGISTERED":
    case "DESTINATION_OUT_OF_ORDER":
    case "UNALLOCATED_NUMBER":
      return "unavailable";
    case "NORMAL_CIRCUIT_CONGESTION":
    case "SWITCH_CONGESTION":
      return "congestion";
    default:
      return "other";
  }
}

function timestampOf(e: EslEvent): number | undefined {
  const ts = hdr(e, "Event-Date-Timestamp");
  if (ts === undefined) return undefined;
  const micros = Number(ts);
  return Number.isFinite(micros) && micros > 0 ? Math.floor(micros / 1000) : undefined;
}

// ---- the translator ----------------------------------------------------------------------------

interface KnownLeg {
  uuid: string;
  /** false for plumbing channels (loopback/…): remembered so that they are not looked at again. */
  leg: boolean;
  callId: string;
  outgoing: boolean;
  answered: boolean;
  ringing: boolean;
  held: boolean;
  bridge?: string;
  /** The leg this leg was originated for (`Other-Type: originator`). */
  originator?: string;
  /** Target leg while this leg runs eavesdrop / three_way (or was originated to, see SPY_TARGET_VARIABLE). */
  monitoring?: string;
  monitoringMode?: MonitoringMode;
  /** Set between RECORD_START and RECORD_STOP: the file being written ("" when the event did not say). */
  recording?: string;
  parked?: { lot: string; space: string };
  /** Last `Caller-Transfer-Source` seen (`?` = unknown, adopt the next one silently). */
  transferSource?: string;
}

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

const GONE_KEPT = 20_000;

export class EslTranslator {
  private readonly legs = new Map<string, KnownLeg>();
  /** Legs that hung up: their trailing events (HANGUP_COMPLETE, DESTROY, UNBRIDGE…) must not bring them back. */
  private readonly gone = new Set<string>();
  /** Call id -> order of appearance: when two calls meet in a bridge, the older one wins. */
  private readonly callOrder = new Map<string, number>();
  private callSeq = 0;
  /** Interceptor leg -> the uuid it runs `intercept` on. */
  private readonly intercepts = new Map<string, string>();
  /** `lot/space` -> parked leg, and the leg running valet_park on an occupied slot (the retriever). */
  private readonly parkedAt = new Map<string, string>();
  private readonly retrievers = new Map<string, string>();
  /** Registrations, published presence and DND. */
  private readonly presence: EslPresence;
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
    this.presence = new EslPresence(pbx, () => {
      this.counters.ignored++;
    });
  }

  get identityRules(): IdentityRules {
    return this.rules;
  }

  /** Counts an event the connection skipped unparsed (see ESL_EVENT_INTEREST). */
  skipped(): void {
    this.counters.frames++;
    this.counters.ignored++;
  }

  /** Forget everything (a new session starts; the resync snapshot says what exists). */
  reset(): void {
    this.legs.clear();
    this.gone.clear();
    this.callOrder.clear();
    this.callSeq = 0;
    this.intercepts.clear();
    this.parkedAt.clear();
    this.retrievers.clear();
    this.presence.reset();
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
      this.legs.set(l.leg, known);
      this.noteCall(l.callId);
    }
    // Recordings running (when the snapshot says): their end is announced with the leg's hangup, as live.
    for (const r of snapshot.recordings ?? []) {
      const leg = this.legs.get(r.leg);
      if (leg) leg.recording = r.file ?? "";
    }
    for (const p of snapshot.parked) {
      const leg = this.legs.get(p.leg);
      if (!leg) continue;
      leg.parked = { lot: p.lot, space: p.space };
      this.parkedAt.set(`${p.lot}/${p.space}`, p.leg);
    }
    this.presence.seed(snapshot.reachability, seed.registrations);
  }

  /** The call a live leg belongs to, as far as the translator knows. */
  callOf(leg: string): string | undefined {
    const l = this.legs.get(leg);
    return l?.leg ? l.callId : undefined;
  }

  /** The leg an outgoing leg was originated for (the caller of a ringing leg). */
  originatorOf(leg: string): string | undefined {
    return this.legs.get(leg)?.originator;
  }

  /** Whether a live leg is being recorded (RECORD_START seen, no RECORD_STOP yet). */
  isRecording(leg: string): boolean {
    return this.legs.get(leg)?.recording !== undefined;
  }

  /** The leg parked in a valet slot, if any. */
  parkedIn(lot: string, space: string): string | undefined {
    return this.parkedAt.get(`${lot}/${space}`);
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
        this.ensure(e, at, out);
        break;
      case "CHANNEL_PROGRESS":
      case "CHANNEL_PROGRESS_MEDIA": {
        const l = this.ensure(e, at, out);
        if (l) this.ring(l, at, out);
        break;
      }
      case "CHANNEL_CALLSTATE": {
        const l = this.ensure(e, at, out);
        if (!l) break;
        const state = hdr(e, "Channel-Call-State");
        if (state === "RINGING" || state === "EARLY") this.ring(l, at, out);
        else if (state === "ACTIVE") {
          if (hdr(e, "Answer-State") === "answered") this.answer(l, at, out);
          this.hold(l, false, at, out);
        } else if (state === "HELD") this.hold(l, true, at, out);
        else if (state === "UNHELD") this.hold(l, false, at, out);
        this.transferCheck(l, e, at, out);
        break;
      }
      case "CHANNEL_ANSWER": {
        const l = this.ensure(e, at, out);
        if (l) this.answer(l, at, out);
        break;
      }
      case "CHANNEL_HOLD":
      case "CHANNEL_UNHOLD": {
        const l = this.ensure(e, at, out);
        if (l) this.hold(l, name === "CHANNEL_HOLD", at, out);
        break;
      }
      case "CHANNEL_BRIDGE":
        this.bridge(e, at, out);
        break;
      case "CHANNEL_UNBRIDGE":
        this.unbridge(e, at, out);
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
        const l = this.ensure(e, at, out);
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

  // ---- legs -------------------------------------------------------------------------------------

  /** The leg an event is about, announcing it if it is new. Undefined for plumbing and hung-up legs. */
  private ensure(e: EslEvent, at: number, out: PbxEvent[]): KnownLeg | undefined {
    const uuid = hdr(e, "Unique-ID");
    if (!uuid || this.gone.has(uuid)) return undefined;
    const known = this.legs.get(uuid);
    if (known) return known.leg ? known : undefined;
    const leg = this.create(factsOf(e), undefined, at, out);
    if (leg) {
      leg.transferSource = hdr(e, "Caller-Transfer-Source");
      this.spyFromStart(leg, e, at, out);
    }
    return leg;
  }

  private create(
    f: ChannelFacts,
    inheritCall: string | undefined,
    at: number,
    out: PbxEvent[],
  ): KnownLeg | undefined {
    const id = legIdentity(f, this.rules);
    if (!id) {
      this.legs.set(f.uuid, {
        uuid: f.uuid,
        leg: false,
        callId: f.uuid,
        outgoing: false,
        answered: false,
        ringing: false,
        held: false,
      });
      return undefined;
    }
    const originator = id.outgoing && f.otherType === "originator" && f.otherUuid ? f.otherUuid : undefined;
    const callId =
      inheritCall ?? (originator ? (this.legs.get(originator)?.callId ?? originator) : f.callUuid || f.uuid);
    const leg: KnownLeg = {
      uuid: f.uuid,
      leg: true,
      callId,
      outgoing: id.outgoing,
      answered: false,
      ringing: false,
      held: false,
    };
    if (originator) leg.originator = originator;
    this.legs.set(f.uuid, leg);
    this.noteCall(callId);
    out.push({
      pbx: this.pbx,
      at,
      type: "leg.created",
      leg: f.uuid,
      callId,
      channel: id.channel,
      endpoint: id.endpoint,
      side: id.side,
      number: id.number,
      ...(id.name ? { name: id.name } : {}),
      outgoing: id.outgoing,
      ...(id.dialled ? { dialled: id.dialled } : {}),
    });
    if (originator && this.legs.get(originator)?.leg) {
      out.push({
        pbx: this.pbx,
        at,
        type: "dial.started",
        caller: originator,
        callee: f.uuid,
        dialString: f.dest ?? id.number,
      });
    }
    return leg;
  }

  private noteCall(callId: string): void {
    if (this.callOrder.has(callId)) return;
    this.callOrder.set(callId, ++this.callSeq);
    if (this.callOrder.size > 2 * this.legs.size + 10_000) {
      const live = new Set<string>();
      for (const l of this.legs.values()) live.add(l.callId);
      for (const id of this.callOrder.keys()) if (!live.has(id)) this.callOrder.delete(id);
    }
  }

  private older(a: string, b: string): string {
    const oa = this.callOrder.get(a) ?? Number.MAX_SAFE_INTEGER;
    const ob = this.callOrder.get(b) ?? Number.MAX_SAFE_INTEGER;
    return ob < oa ? b : a;
  }

  private ring(l: KnownLeg, at: number, out: PbxEvent[]): void {
    // The A-leg hears ringback: only a leg FreeSWITCH created towards a device rings.
    if (!l.outgoing || l.answered || l.ringing) return;
    l.ringing = true;
    out.push({ pbx: this.pbx, at, type: "leg.ringing", leg: l.uuid });
  }

  private answer(l: KnownLeg, at: number, out: PbxEvent[]): void {
    if (l.answered) return;
    l.answered = true;
    out.push({ pbx: this.pbx, at, type: "leg.answered", leg: l.uuid });
    if (l.outgoing && l.originator && this.legs.get(l.originator)?.leg) {
      out.push({
        pbx: this.pbx,
        at,
        type: "dial.ended",
        caller: l.originator,
        callee: l.uuid,
        status: "answered",
      });
    }
  }

  private hold(l: KnownLeg, held: boolean, at: number, out: PbxEvent[]): void {
    if (l.held === held) return;
    l.held = held;
    out.push({ pbx: this.pbx, at, type: held ? "leg.held" : "leg.unheld", leg: l.uuid });
  }

  private bridge(e: EslEvent, at: number, out: PbxEvent[]): void {
    const main = this.ensure(e, at, out);
    if (!main) return;
    const a = hdr(e, "Bridge-A-Unique-ID") ?? main.uuid;
    const b = hdr(e, "Bridge-B-Unique-ID") ?? hdr(e, "Other-Leg-Unique-ID");
    const otherId = main.uuid === a ? b : a;
    if (!otherId || otherId === main.uuid || this.gone.has(otherId)) return;
    let other = this.legs.get(otherId);
    if (!other && hdr(e, "Other-Leg-Unique-ID") === otherId) {
      other = this.create(factsOf(e, true), main.callId, at, out);
    }
    if (!other?.leg) return;
    const callId = this.older(main.callId, other.callId);
    const bridge = bridgeId(main.uuid, other.uuid);
    const first = main.uuid === a ? main : other;
    const second = first === main ? other : main;
    for (const l of [first, second]) {
      l.callId = callId;
      l.bridge = bridge;
      l.answered = true;
      l.ringing = false;
      out.push({ pbx: this.pbx, at, type: "leg.bridged", leg: l.uuid, bridge, callId });
    }
  }

  private unbridge(e: EslEvent, at: number, out: PbxEvent[]): void {
    const uuid = hdr(e, "Unique-ID");
    const a = hdr(e, "Bridge-A-Unique-ID") ?? uuid;
    const b = hdr(e, "Bridge-B-Unique-ID") ?? hdr(e, "Other-Leg-Unique-ID");
    if (a && b) {
      const bridge = bridgeId(a, b);
      for (const id of [a, b]) {
        const l = this.legs.get(id);
        if (!l?.leg || l.bridge !== bridge) continue;
        l.bridge = undefined;
        l.held = false;
        out.push({ pbx: this.pbx, at, type: "leg.unbridged", leg: id, bridge });
      }
    }
    const main = uuid ? this.legs.get(uuid) : undefined;
    if (main?.leg) this.transferCheck(main, e, at, out);
  }

  private hangup(e: EslEvent, at: number, out: PbxEvent[]): void {
    const uuid = hdr(e, "Unique-ID");
    if (!uuid) return;
    const l = this.legs.get(uuid);
    if (!l) return;
    this.legs.delete(uuid);
    this.forget(uuid);
    if (!l.leg) return;
    const cause = hdr(e, "Hangup-Cause") ?? hdr(e, "variable_hangup_cause") ?? "";
    if (cause === "PICKED_OFF" || cause === "LOSE_RACE") {
      const picker = this.pickerOf(uuid, l);
      if (picker) out.push({ pbx: this.pbx, at, type: "call.pickedUp", picker, target: uuid });
    }
    if (l.outgoing && !l.answered && l.originator && this.legs.get(l.originator)?.leg) {
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
    if (l.parked) this.unpark(l, "gave-up", at, out);
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
    this.intercepts.delete(uuid);
    out.push({
      pbx: this.pbx,
      at,
      type: "leg.hangup",
      leg: uuid,
      cause: hangupCause(cause, hdr(e, "variable_hangup_cause_q850")),
      causeText: cause,
    });
  }

  private forget(uuid: string): void {
    this.gone.add(uuid);
    if (this.gone.size > GONE_KEPT) {
      const oldest = this.gone.values().next().value;
      if (oldest !== undefined) this.gone.delete(oldest);
    }
  }

  /** The interceptor of a ringing leg: its `intercept` names the leg or the leg's caller (trace 09). */
  private pickerOf(uuid: string, l: KnownLeg): string | undefined {
    for (const [picker, target] of this.intercepts) {
      if (target !== uuid && target !== l.originator) continue;
      this.intercepts.delete(picker);
      if (this.legs.get(picker)?.leg) return picker;
    }
    return undefined;
  }

  private execute(e: EslEvent, at: number, out: PbxEvent[]): void {
    const l = this.ensure(e, at, out);
    if (!l) return;
    const app = hdr(e, "Application") ?? "";
    const data = (hdr(e, "Application-Data") ?? "").trim();
    switch (app) {
      case "eavesdrop":
      case "three_way": {
        const target = this.legs.get(data);
        if (!target?.leg || data === l.uuid) break;
        const mode =
          app === "three_way"
            ? "barge"
            : eavesdropMode(e.variable_eavesdrop_whisper_aleg, e.variable_eavesdrop_whisper_bleg);
        // Announced already when the leg appeared (a spy leg Callsight originated).
        if (l.monitoring === data && l.monitoringMode === mode) break;
        l.monitoring = data;
        l.monitoringMode = mode;
        out.push({ pbx: this.pbx, at, type: "monitoring.started", spy: l.uuid, target: data, mode });
        break;
      }
      case "intercept": {
        const target = data.startsWith("-bleg") ? data.slice(5).trim() : data;
        if (target) this.intercepts.set(l.uuid, target);
        break;
      }
      case "valet_park": {
        const [lot, space] = data.split(/\s+/);
        if (!lot || !space) break;
        const key = `${lot}/${space}`;
        const parked = this.parkedAt.get(key);
        if (parked && parked !== l.uuid) this.retrievers.set(key, l.uuid);
        break;
      }
    }
    this.transferCheck(l, e, at, out);
  }

  private executeComplete(e: EslEvent, at: number, out: PbxEvent[]): void {
    const app = hdr(e, "Application");
    if (app !== "eavesdrop" && app !== "three_way") return;
    const uuid = hdr(e, "Unique-ID");
    const l = uuid ? this.legs.get(uuid) : undefined;
    if (!l?.monitoring) return;
    out.push({ pbx: this.pbx, at, type: "monitoring.stopped", spy: l.uuid, target: l.monitoring });
    l.monitoring = undefined;
    l.monitoringMode = undefined;
  }

  /**
   * A leg originated with `callsight_spy_target` (FreeswitchEslDriver.monitor) is a supervisor's spy leg
   * from its first event: it rings and is answered before `eavesdrop` runs, and must never show as a call
   * of its own in between. Its mode is in the same variables eavesdrop reads.
   */
  private spyFromStart(l: KnownLeg, e: EslEvent, at: number, out: PbxEvent[]): void {
    const target = hdr(e, `variable_${SPY_TARGET_VARIABLE}`);
    if (!target || target === l.uuid || !this.legs.get(target)?.leg) return;
    const mode = eavesdropMode(e.variable_eavesdrop_whisper_aleg, e.variable_eavesdrop_whisper_bleg);
    l.monitoring = target;
    l.monitoringMode = mode;
    out.push({ pbx: this.pbx, at, type: "monitoring.started", spy: l.uuid, target, mode });
  }

  /** `Caller-Transfer-Source: <epoch>:<uuid>:bl_xfer:<exten>/<context>/<dialplan>` changes on uuid_transfer. */
  private transferCheck(l: KnownLeg, e: EslEvent, at: number, out: PbxEvent[]): void {
    const source = hdr(e, "Caller-Transfer-Source");
    if (source === undefined || source === l.transferSource) return;
    const previous = l.transferSource;
    l.transferSource = source;
    if (previous === "?") return;
    const parts = source.split(":");
    if (parts[2] !== "bl_xfer") return;
    const [exten, context] = (parts.slice(3).join(":") || "").split("/");
    if (!exten) return;
    out.push({
      pbx: this.pbx,
      at,
      type: "leg.redirected",
      leg: l.uuid,
      destination: context ? `${exten}@${context}` : exten,
    });
  }

  // ---- parking (registrations, published presence and DND: presence.ts) ---------------------------

  private custom(e: EslEvent, at: number, out: PbxEvent[]): void {
    const sub = hdr(e, "Event-Subclass") ?? "";
    if (this.presence.custom(sub, e, at, out)) return;
    switch (sub) {
      case "valet_parking::info": {
        const l = this.ensure(e, at, out);
        const lot = hdr(e, "Valet-Lot-Name") ?? "default";
        const space = hdr(e, "Valet-Extension") ?? "";
        const action = hdr(e, "Action");
        if (!l || !space) break;
        if (action === "hold") {
          if (l.parked) break;
          l.parked = { lot, space };
          this.parkedAt.set(`${lot}/${space}`, l.uuid);
          out.push({ pbx: this.pbx, at, type: "call.parked", leg: l.uuid, lot, space });
        } else if (action === "bridge") {
          this.unpark(l, "retrieved", at, out);
        } else if (action === "exit") {
          this.unpark(l, "gave-up", at, out);
        }
        break;
      }
      default: {
        const key = `CUSTOM::${sub}`;
        this.counters.unknown[key] = (this.counters.unknown[key] ?? 0) + 1;
      }
    }
  }

  private unpark(l: KnownLeg, outcome: "retrieved" | "gave-up", at: number, out: PbxEvent[]): void {
    const parked = l.parked;
    if (!parked) return;
    l.parked = undefined;
    const key = `${parked.lot}/${parked.space}`;
    if (this.parkedAt.get(key) === l.uuid) this.parkedAt.delete(key);
    const retriever = this.retrievers.get(key);
    this.retrievers.delete(key);
    out.push({
      pbx: this.pbx,
      at,
      type: "call.unparked",
      leg: l.uuid,
      lot: parked.lot,
      space: parked.space,
      outcome,
      ...(outcome === "retrieved" && retriever && this.legs.get(retriever)?.leg ? { retriever } : {}),
    });
  }
}

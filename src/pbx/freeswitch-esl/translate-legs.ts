// The legs the ESL translation knows: which exist and which call each belongs to, who a leg was
// originated for, bridges, hold, and the events of a leg's life that need nothing else.

import type { MonitoringMode } from "../../domain/directory.js";
import type { PbxEvent } from "../../domain/events.js";
import { bridgeId, type ChannelFacts, factsOf, type IdentityRules, legIdentity } from "./channel-identity.js";
import { eavesdropModeOf, SPY_TARGET_VARIABLE } from "./eavesdrop.js";
import { type EslEvent, hdr } from "./frame-parser.js";

export interface KnownLeg {
  uuid: string;
  /** false for plumbing channels (loopback/…): remembered so that they are not looked at again. */
  leg: boolean;
  callId: string;
  outgoing: boolean;
  answered: boolean;
  ringing: boolean;
  held: boolean;
  bridge?: string;
  /** The extension (a phone's leg) or outside number the leg is for. */
  number?: string;
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
  /** On a loopback half a follow-me or call forward dialled: the extension it runs for (loopbackDiversion). */
  onBehalfOf?: string;
}

/**
 * FusionPBX's follow-me and call forward dial `[presence_id=<extension>@<domain>]loopback/<number>`, so the
 * extension's lamp shows the call: a loopback half whose presence is an extension other than the number it
 * runs for is that extension's diversion (test/fixtures/queues/freeswitch/33-followme-external, 34-…).
 */
function loopbackDiversion(e: EslEvent): string | undefined {
  if (!hdr(e, "Channel-Name")?.startsWith("loopback/")) return undefined;
  const extension = hdr(e, "variable_presence_id")?.split("@")[0];
  return extension && extension !== hdr(e, "Caller-Destination-Number") ? extension : undefined;
}

const GONE_KEPT = 20_000;

export class EslLegs {
  readonly legs = new Map<string, KnownLeg>();
  /** Legs that hung up: their trailing events (HANGUP_COMPLETE, DESTROY, UNBRIDGE…) must not bring them back. */
  readonly gone = new Set<string>();
  /** Call id -> order of appearance: when two calls meet in a bridge, the older one wins. */
  private readonly callOrder = new Map<string, number>();
  private callSeq = 0;

  constructor(
    private readonly pbx: string,
    private readonly rules: IdentityRules,
  ) {}

  reset(): void {
    this.legs.clear();
    this.gone.clear();
    this.callOrder.clear();
    this.callSeq = 0;
  }

  /** The leg an event is about, announcing it if it is new. Undefined for plumbing and hung-up legs. */
  ensure(e: EslEvent, at: number, out: PbxEvent[]): KnownLeg | undefined {
    const uuid = hdr(e, "Unique-ID");
    if (!uuid || this.gone.has(uuid)) return undefined;
    const known = this.legs.get(uuid);
    if (known?.leg && known.outgoing && known.originator === undefined && known.callId === uuid)
      this.joinQueueCaller(known, e, at, out);
    if (known && !known.leg && known.onBehalfOf === undefined) {
      const extension = loopbackDiversion(e);
      if (extension !== undefined) known.onBehalfOf = extension;
    }
    if (known) return known.leg ? known : undefined;
    const leg = this.create(factsOf(e), undefined, at, out);
    if (leg) {
      leg.transferSource = hdr(e, "Caller-Transfer-Source");
      this.spyFromStart(leg, e, at, out);
    } else {
      // A loopback B half runs the dialplan for the leg that dialled loopback/… (FusionPBX follow-me, call
      // forward): it, and so the legs it originates (the gateway leg), belong to that leg's call
      // (test/fixtures/queues/freeswitch/33-, 34-).
      const plumbing = this.legs.get(uuid);
      const from = hdr(e, "variable_other_loopback_from_uuid");
      if (plumbing && !plumbing.leg && from && from !== uuid)
        plumbing.callId = this.legs.get(from)?.callId ?? from;
      const extension = loopbackDiversion(e) ?? (from ? this.legs.get(from)?.onBehalfOf : undefined);
      if (plumbing && !plumbing.leg && extension !== undefined) plumbing.onBehalfOf = extension;
    }
    return leg;
  }

  create(
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
    // An originated leg belongs to the call it was originated for; a queue agent's leg (mod_callcenter
    // originates it with no Other-Leg) to its waiting caller's.
    const originator = !id.outgoing
      ? undefined
      : f.otherType === "originator" && f.otherUuid
        ? f.otherUuid
        : f.queueMember;
    const callId =
      inheritCall ?? (originator ? (this.legs.get(originator)?.callId ?? originator) : f.callUuid || f.uuid);
    const leg: KnownLeg = {
      uuid: f.uuid,
      leg: true,
      number: id.number,
      callId,
      outgoing: id.outgoing,
      answered: false,
      ringing: false,
      held: false,
    };
    if (originator) leg.originator = originator;
    this.legs.set(f.uuid, leg);
    this.noteCall(callId);
    out.push(this.legCreated(f.uuid, callId, id, at));
    const from = originator ? this.legs.get(originator) : undefined;
    if (from?.leg) {
      out.push({
        pbx: this.pbx,
        at,
        type: "dial.started",
        caller: originator,
        callee: f.uuid,
        dialString: f.dest ?? id.number,
      });
    } else if (from?.onBehalfOf !== undefined && id.side === "external") {
      // The gateway leg a follow-me's or forward's loopback dials: the extension's own call.
      out.push({
        pbx: this.pbx,
        at,
        type: "dial.started",
        callee: f.uuid,
        dialString: f.dest ?? id.number,
        onBehalfOf: from.onBehalfOf,
      });
    }
    return leg;
  }

  /**
   * A queue agent's leg first seen without its mod_callcenter variables (CHANNEL_OUTGOING comes before
   * CHANNEL_CREATE) joins its waiting caller's call once an event names the caller: announced again with
   * that call, which the model moves it into.
   */
  private joinQueueCaller(known: KnownLeg, e: EslEvent, at: number, out: PbxEvent[]): void {
    const f = factsOf(e);
    if (!f.queueMember) return;
    const id = legIdentity(f, this.rules);
    if (!id) return;
    known.originator = f.queueMember;
    known.callId = this.legs.get(f.queueMember)?.callId ?? f.queueMember;
    this.noteCall(known.callId);
    out.push(this.legCreated(known.uuid, known.callId, { ...id, outgoing: true }, at));
  }

  private legCreated(
    leg: string,
    callId: string,
    id: NonNullable<ReturnType<typeof legIdentity>>,
    at: number,
  ): PbxEvent {
    return {
      pbx: this.pbx,
      at,
      type: "leg.created",
      leg,
      callId,
      channel: id.channel,
      endpoint: id.endpoint,
      side: id.side,
      number: id.number,
      ...(id.name ? { name: id.name } : {}),
      outgoing: id.outgoing,
      ...(id.dialled ? { dialled: id.dialled } : {}),
    };
  }

  noteCall(callId: string): void {
    if (this.callOrder.has(callId)) return;
    this.callOrder.set(callId, ++this.callSeq);
    if (this.callOrder.size > 2 * this.legs.size + 10_000) {
      const live = new Set<string>();
      for (const l of this.legs.values()) live.add(l.callId);
      for (const id of this.callOrder.keys()) if (!live.has(id)) this.callOrder.delete(id);
    }
  }

  older(a: string, b: string): string {
    const oa = this.callOrder.get(a) ?? Number.MAX_SAFE_INTEGER;
    const ob = this.callOrder.get(b) ?? Number.MAX_SAFE_INTEGER;
    return ob < oa ? b : a;
  }

  ring(l: KnownLeg, at: number, out: PbxEvent[]): void {
    // The A-leg hears ringback: only a leg FreeSWITCH created towards a device rings.
    if (!l.outgoing || l.answered || l.ringing) return;
    l.ringing = true;
    out.push({ pbx: this.pbx, at, type: "leg.ringing", leg: l.uuid });
  }

  answer(l: KnownLeg, at: number, out: PbxEvent[]): void {
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

  hold(l: KnownLeg, held: boolean, at: number, out: PbxEvent[]): void {
    if (l.held === held) return;
    l.held = held;
    out.push({ pbx: this.pbx, at, type: held ? "leg.held" : "leg.unheld", leg: l.uuid });
  }

  bridge(e: EslEvent, at: number, out: PbxEvent[]): void {
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

  unbridge(e: EslEvent, at: number, out: PbxEvent[]): void {
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

  forget(uuid: string): void {
    this.gone.add(uuid);
    if (this.gone.size > GONE_KEPT) {
      const oldest = this.gone.values().next().value;
      if (oldest !== undefined) this.gone.delete(oldest);
    }
  }

  /**
   * A leg originated with `callsight_spy_target` (FreeswitchEslDriver.monitor) is a supervisor's spy leg
   * from its first event: it rings and is answered before `eavesdrop` runs, and must never show as a call
   * of its own in between. Its mode is in the same variables eavesdrop reads.
   */
  spyFromStart(l: KnownLeg, e: EslEvent, at: number, out: PbxEvent[]): void {
    const target = hdr(e, `variable_${SPY_TARGET_VARIABLE}`);
    if (!target || target === l.uuid || !this.legs.get(target)?.leg) return;
    const mode = eavesdropModeOf(e);
    l.monitoring = target;
    l.monitoringMode = mode;
    out.push({ pbx: this.pbx, at, type: "monitoring.started", spy: l.uuid, target, mode });
  }

  /**
   * A phone that blind-transferred its call with a SIP REFER hangs up with `transfer_to: blind:<the leg it
   * handed on>` and `transfer_destination: blind:<target>`: FreeSWITCH's only word of who transferred (the
   * leg handed on reports only a bl_xfer redirect, after the phone is gone) (test/fixtures/queues/freeswitch/
   * 35-callcenter-transfer-out). Called with the phone's CHANNEL_HANGUP, while the model still has its leg.
   */
  referredAway(l: KnownLeg, e: EslEvent, at: number, out: PbxEvent[]): void {
    const to = hdr(e, "variable_transfer_to");
    if (!to?.startsWith("blind:")) return;
    const transferee = to.slice("blind:".length);
    if (transferee === l.uuid || !this.legs.get(transferee)?.leg) return;
    const destination = hdr(e, "variable_transfer_destination")?.replace(/^blind:/, "");
    out.push({
      pbx: this.pbx,
      at,
      type: "call.transferred",
      kind: "blind",
      transferer: l.uuid,
      transferee,
      ...(destination ? { destination } : {}),
      success: true,
    });
  }

  /** `Caller-Transfer-Source: <epoch>:<uuid>:bl_xfer:<exten>/<context>/<dialplan>` changes on uuid_transfer. */
  transferCheck(l: KnownLeg, e: EslEvent, at: number, out: PbxEvent[]): void {
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
}

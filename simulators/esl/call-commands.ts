// The ESL simulator's api commands on a live leg, as the real FreeSWITCH played them: uuid_kill (the
// hang-up sequence), uuid_transfer (trace 07; `'bridge:<phone>' inline` is the take-over, trace 09's
// shape), uuid_record start|stop (trace 11) and uuid_hold [off] (trace 06).

import type { EslEvent } from "../../src/pbx/freeswitch-esl/frame-parser.js";
import { type EslTraceEvent, str } from "../esl-trace.js";
import { type EslCore, eslRewriter, newLegRewriter, playOnCall, steps } from "./command-kit.js";
import { stopSpy } from "./originate.js";
import type { SimChannel, Step } from "./types.js";

/** Hangs a leg up as FreeSWITCH would (uuid_kill): a spy leg ends its eavesdrop, a call leg its call. */
export function hangupLeg(core: EslCore, uuid: string, cause = "NORMAL_CLEARING"): boolean {
  const spy = core.state.spies.get(uuid);
  if (spy) {
    stopSpy(core, spy);
    return true;
  }
  const ch = core.state.channels.get(uuid);
  if (!ch) return false;
  const inst = ch.instance;
  const victims = new Set(inst ? [...inst.channels].filter((u) => core.state.channels.has(u)) : [uuid]);
  if (ch.peer && core.state.channels.has(ch.peer)) victims.add(ch.peer);
  const events = hangupEvents(core, [...victims], cause);
  if (inst) core.replays.replaceTail(inst, events, false);
  else core.replays.playNow(events);
  return true;
}

/**
 * FreeSWITCH's hang-up of these legs, 2 ms apart: per leg CHANNEL_HANGUP, CHANNEL_CALLSTATE HANGUP and
 * (bridged) CHANNEL_UNBRIDGE; then per leg CHANNEL_HANGUP_COMPLETE and CHANNEL_DESTROY.
 */
function hangupEvents(core: EslCore, victims: string[], cause: string): Step[] {
  const rw = eslRewriter();
  rw.keepUnmapped = true;
  const out: EslTraceEvent[] = [];
  let t = 0;
  const add = (event: EslEvent) => {
    out.push({ event, t });
    t += 0.002;
  };
  const done = new Set<string>();
  for (const uuid of victims) {
    const ch = core.state.channels.get(uuid);
    if (!ch) continue;
    const base = { ...ch.last, ...ch.identity, "Answer-State": "hangup", "Hangup-Cause": cause };
    add({
      ...base,
      "Event-Name": "CHANNEL_HANGUP",
      "Channel-State": "CS_HANGUP",
      "Channel-Call-State": ch.callstate,
    });
    add({
      ...base,
      "Event-Name": "CHANNEL_CALLSTATE",
      "Channel-Call-State": "HANGUP",
      "Original-Channel-Call-State": ch.callstate,
    });
    if (ch.peer && !done.has(ch.peer)) {
      add({
        ...base,
        "Event-Name": "CHANNEL_UNBRIDGE",
        "Bridge-A-Unique-ID": uuid,
        "Bridge-B-Unique-ID": ch.peer,
        "Other-Leg-Unique-ID": ch.peer,
      });
    }
    done.add(uuid);
  }
  for (const uuid of victims) {
    const ch = core.state.channels.get(uuid);
    if (!ch) continue;
    const base = { ...ch.last, ...ch.identity, "Answer-State": "hangup", "Hangup-Cause": cause };
    add({ ...base, "Event-Name": "CHANNEL_HANGUP_COMPLETE", "Channel-Call-State": "HANGUP" });
    add({
      ...base,
      "Event-Name": "CHANNEL_DESTROY",
      "Channel-State": "CS_DESTROY",
      "Channel-Call-State": "HANGUP",
    });
  }
  return steps(out, rw, 0, false);
}

/** `uuid_transfer <uuid> [-bleg|-both] <exten> [<dialplan> [<context>]]`. */
export function transfer(core: EslCore, args: string[]): string {
  const uuid = args[0] ?? "";
  const rest = args.slice(1).filter((a) => !a.startsWith("-"));
  const [exten, dialplan, context] = rest;
  const ch = core.state.channels.get(uuid);
  if (!ch || !exten) return "-ERR No such channel!\n";
  if (dialplan === "inline" && exten.startsWith("bridge:")) return transferToPhone(core, ch, exten.slice(7));
  const t = core.templates().transfer;
  const rw = eslRewriter();
  rw.ids.set(t.transferred, uuid);
  if (ch.peer) rw.ids.set(t.peer, ch.peer);
  rw.values.set(`:bl_xfer:${t.exten}/${t.context}/`, `:bl_xfer:${exten}/${context ?? t.context}/`);
  const part = steps(t.part, rw).filter((s) => ch.peer || str(s.event, "Unique-ID") !== t.peer);
  const tail = steps(t.tail, rw, (t.part[t.part.length - 1]?.t ?? 0) * 1000 + 1000);
  playOnCall(core, ch.instance, part, tail);
  return "+OK\n";
}

/**
 * `uuid_transfer <leg> 'bridge:<phone>' inline` (take over): the phone rings and is bridged with the
 * transferred leg; its partner's leg ends. Played from trace 09's intercept, which has the same shape:
 * a new phone joins one party of a call and the other party's leg goes away.
 */
function transferToPhone(core: EslCore, ch: SimChannel, dial: string): string {
  const ext = /^(?:user|sofia\/[^/]+)\/(?:sip:)?([^@/]+)/.exec(dial)?.[1];
  if (!ext || !core.extensions.includes(ext)) return "-ERR SUBSCRIBER_ABSENT\n";
  const t = core.templates().intercept;
  const rw = newLegRewriter(t.pickerExt, ext);
  rw.ids.set(t.caller, ch.uuid);
  if (ch.peer) rw.ids.set(t.ringing, ch.peer);
  const part = steps(t.part, rw).filter((st) => ch.peer || str(st.event, "Unique-ID") !== t.ringing);
  const tail = steps(t.tail, rw, (t.part[t.part.length - 1]?.t ?? 0) * 1000 + 500);
  playOnCall(core, ch.instance, part, tail);
  return "+OK\n";
}

/** `uuid_record <uuid> start|stop <path>`. */
export function record(core: EslCore, args: string[]): string {
  const [uuid = "", action = "", file = ""] = args;
  const ch = core.state.channels.get(uuid);
  if (!ch) return "-ERR Cannot locate session!\n";
  const t = core.templates().record;
  const rw = eslRewriter();
  rw.ids.set(t.leg, uuid);
  if (file && file !== "all") rw.values.set(t.file, file);
  if (action === "start") core.replays.playNow(steps(t.start, rw));
  else if (action === "stop") core.replays.playNow(steps(t.stop, rw));
  else return "-USAGE: <uuid> [start|stop|mask|unmask] <path> [<limit>]\n";
  return "+OK Success\n";
}

/** `uuid_hold [off|toggle] <uuid>`. */
export function hold(core: EslCore, args: string[]): string {
  const off = args[0] === "off";
  const uuid = (off || args[0] === "toggle" ? args[1] : args[0]) ?? "";
  if (!core.state.channels.has(uuid)) return "-ERR No such channel!\n";
  const t = core.templates().hold;
  const rw = eslRewriter();
  rw.ids.set(t.leg, uuid);
  core.replays.playNow(steps(off ? t.unhold : t.hold, rw));
  return "+OK Success\n";
}

// The supervisor operations Callsight starts with `originate <phone> &<app>(…)`, played by the ESL
// simulator from the event sequences the real FreeSWITCH emitted (esl-commands.ts):
//   &eavesdrop(<uuid>)         -> 10a/10b/10c: the spy leg (listen, whisper or barge by its variables)
//   &intercept([-bleg] <uuid>) -> 09: the picker's phone answers the caller, the ringing leg goes away
//   &valet_park(<lot> <space>) -> 08 (the new leg rung as in 09): the retriever's phone gets the parked call
//   <destination> XML <ctx>   -> click-to-call (dial.ts): the phone answers, then dials the destination
// The api reply (`+OK <uuid>` of the new leg) comes when that leg answers.

import type { MonitoringMode } from "../../src/domain/directory.js";
import { eavesdropMode } from "../../src/pbx/freeswitch-esl/eavesdrop.js";
import { str } from "../esl-trace.js";
import { type EslCore, newLegRewriter, playOnCall, splitArgs, splitVariables, steps } from "./command-kit.js";
import { dial as clickToCall } from "./dial.js";
import type { SpySession, Step } from "./types.js";

/** `originate [{vars}]<dial string> &<app>(<data>)` (one of the three applications) or `<destination> XML <context>`. */
export function originate(core: EslCore, spec: string): Promise<string> {
  const { vars, rest } = splitVariables(spec);
  const parts = splitArgs(rest);
  const dial = parts[0] ?? "";
  const app = parts[1] ?? "";
  const ext = /^(?:user|sofia\/[^/]+)\/(?:sip:)?([^@/]+)/.exec(dial)?.[1];
  if (!ext || !core.extensions.includes(ext)) return Promise.resolve("-ERR SUBSCRIBER_ABSENT\n");
  // Click-to-call: an extension or a number, dialled in the XML dialplan once the phone answers.
  if (app && !app.startsWith("&")) return clickToCall(core, ext, app);
  const m = /^&(\w+)\((.*)\)$/.exec(app);
  if (!m) return Promise.resolve("-ERR DESTINATION_OUT_OF_ORDER\n");
  const [, name, data = ""] = m;
  if (name === "eavesdrop") return eavesdrop(core, ext, data.trim(), vars);
  if (name === "intercept") return intercept(core, ext, data.trim());
  if (name === "valet_park") return retrieve(core, ext, data.trim());
  return Promise.resolve("-ERR DESTINATION_OUT_OF_ORDER\n");
}

function eavesdrop(
  core: EslCore,
  ext: string,
  target: string,
  vars: Record<string, string>,
): Promise<string> {
  if (!core.state.channels.has(target)) return Promise.resolve("-ERR NO_ANSWER\n");
  const mode: MonitoringMode = eavesdropMode(vars.eavesdrop_whisper_aleg, vars.eavesdrop_whisper_bleg);
  const t = core.templates().spy[mode];
  const rw = newLegRewriter(t.spyExt, ext);
  rw.ids.set(t.target, target);
  const spy = rw.id(t.spy);
  const session: SpySession = { spy, target, stop: steps(t.stop, rw), stopped: false };
  core.state.spies.set(spy, session);
  return new Promise((resolve) => {
    const inst = core.replays.playNow(steps(t.start, rw));
    inst.job = { leg: spy, resolve };
  });
}

/** The eavesdrop ends: its spy leg hangs up. */
export function stopSpy(core: EslCore, s: SpySession): void {
  if (s.stopped) return;
  s.stopped = true;
  core.state.spies.delete(s.spy);
  core.replays.playNow(s.stop);
}

function intercept(core: EslCore, ext: string, data: string): Promise<string> {
  let target = data;
  let bleg = false;
  if (target.startsWith("-bleg")) {
    bleg = true;
    target = target.slice(5).trim();
  }
  const ch = core.state.channels.get(target);
  if (!ch) return Promise.resolve("-ERR NO_ANSWER\n");
  // intercept answers the A-leg and hangs its ringing partner up; -bleg names the ringing leg itself.
  let caller = target;
  let ringing: string | undefined;
  if (bleg || ch.direction === "outbound") {
    ringing = target;
    caller = str(ch.last, "Other-Leg-Unique-ID") ?? ch.callUuid;
  } else {
    ringing = [...core.state.channels.values()].find((c) => c.uuid !== target && c.callUuid === target)?.uuid;
  }
  const callerCh = core.state.channels.get(caller);
  if (!callerCh) return Promise.resolve("-ERR NO_ANSWER\n");
  const t = core.templates().intercept;
  const rw = newLegRewriter(t.pickerExt, ext);
  rw.ids.set(t.caller, caller);
  if (ringing) rw.ids.set(t.ringing, ringing);
  const picker = rw.id(t.picker);
  const part = steps(t.part, rw).filter((s) => ringing || str(s.event, "Unique-ID") !== t.ringing);
  const tail = steps(t.tail, rw, (t.part[t.part.length - 1]?.t ?? 0) * 1000 + 500);
  return new Promise((resolve) => {
    playOnCall(core, callerCh.instance, part, tail).job = { leg: picker, resolve };
  });
}

function retrieve(core: EslCore, ext: string, data: string): Promise<string> {
  const [lot = "default", space = ""] = data.split(/\s+/);
  const parked = core.state.parked.get(`${lot}/${space}`);
  const ch = parked ? core.state.channels.get(parked) : undefined;
  // Real valet_park on an empty slot parks the caller; the simulator refuses instead.
  if (!parked || !ch) return Promise.resolve("-ERR NO_ANSWER\n");
  const t = core.templates().retrieve;
  const rw = newLegRewriter(t.retrieverExt, ext);
  rw.ids.set(t.parked, parked);
  if (space !== t.space) {
    rw.values.set(`${t.lot} ${t.space}`, `${lot} ${space}`);
    rw.values.set(`${t.space}@`, `${space}@`);
  }
  const retriever = rw.id(t.retriever);
  const slot = (s: Step): Step => {
    // Valet-Extension and the slot's presence are whole values: rewrite them after the uuids.
    const e = { ...s.event };
    if (e["Valet-Extension"] === t.space) e["Valet-Extension"] = space;
    if (e["Valet-Lot-Name"] === t.lot) e["Valet-Lot-Name"] = lot;
    if (e["unique-id"] === t.space) e["unique-id"] = space;
    if (e.login === t.space) e.login = space;
    return { ...s, event: e };
  };
  const part = steps(t.part, rw).map(slot);
  const tail = steps(t.tail, rw, (t.part[t.part.length - 1]?.t ?? 0) * 1000 + 500).map(slot);
  return new Promise((resolve) => {
    playOnCall(core, ch.instance, part, tail).job = { leg: retriever, resolve };
  });
}

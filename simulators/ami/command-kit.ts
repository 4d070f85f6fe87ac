// What the AMI simulator's commands are made of. A command plays the event sequence the real Asterisk
// emitted for it (ami-commands.ts) on live channels: the template's channels are bound to the live
// ones (their ids, names, caller ids) or to fresh ones on the commanding phone, the live snapshot is
// laid over every event that names a live channel, and channels the command leaves without an ending
// are hung up.

import type { CommandTemplates, RoleChannel } from "../ami-commands.js";
import {
  type Fields,
  get,
  type IdAllocator,
  Rewriter,
  type Scenario,
  set,
  type TraceEvent,
} from "../ami-trace.js";
import type { ReplayEngine } from "../replay-engine.js";
import { hangupEvents, originateResponseEvent } from "./events.js";
import { type AmiLiveState, SNAPSHOT_KEYS, snapshotFields } from "./live-state.js";
import { DEFAULT_NAMES, type Instance, type Post, type SimChannel, type Step } from "./types.js";

/** What the commands share with the simulator: its live state, replays, ids and event stream. */
export interface AmiCore {
  readonly state: AmiLiveState;
  readonly replays: ReplayEngine<Step>;
  readonly alloc: IdAllocator;
  readonly names: Readonly<Record<string, string>>;
  readonly extensions: readonly string[];
  /** The pace of command sequences, read when one plays. */
  commandTimeScale(): number;
  templates(): CommandTemplates;
  /** A captured call by name or prefix (`01`), as the trace library reads it. */
  scenario(name: string): Scenario;
  emit(fields: Fields, inst?: Instance): void;
}

/** Substitutes the live snapshot of existing channels into every group that names them. */
export function liveSubstitution(core: AmiCore, real: ReadonlySet<string>): Post {
  return (fields) => {
    const event = get(fields, "Event");
    if (event === "ExtensionStatus" && !core.extensions.includes(get(fields, "Exten") ?? ""))
      return undefined;
    for (const [k, v] of fields) {
      if (!k.endsWith("Uniqueid") || k.endsWith("BridgeUniqueid") || !real.has(v)) continue;
      const prefix = k.slice(0, -"Uniqueid".length);
      const ch = core.state.channels.get(v);
      if (!ch || get(fields, `${prefix}Channel`) === undefined) continue;
      // What the event itself changes on the channel stays as the template has it.
      const own = prefix === "";
      const keep = new Set<string>();
      if (own && event === "Newstate") keep.add("ChannelState").add("ChannelStateDesc");
      if (own && event === "NewCallerid") keep.add("CallerIDNum").add("CallerIDName");
      if (own && event === "NewConnectedLine") keep.add("ConnectedLineNum").add("ConnectedLineName");
      if (own && event === "Newexten") keep.add("Context").add("Exten").add("Priority");
      const snap = snapshotFields(ch, prefix);
      for (let i = 0; i < SNAPSHOT_KEYS.length; i++) {
        const key = SNAPSHOT_KEYS[i] as string;
        if (keep.has(key)) continue;
        const [fk, fv] = snap[i] as [string, string];
        if (get(fields, fk) !== undefined) set(fields, fk, fv);
      }
    }
    return fields;
  };
}

/** A template channel played by a live one: its ids, name, endpoint and caller id. */
export function existingRole(rw: Rewriter, tpl: RoleChannel, real: SimChannel): void {
  rw.ids.set(tpl.uid, real.uid);
  rw.linked.set(tpl.linked, real.linkedid);
  rw.token(tpl.base, real.name);
  const endpoint = real.name.includes("-") ? real.name.slice(0, real.name.lastIndexOf("-")) : real.name;
  rw.token(tpl.endpoint, endpoint);
  if (tpl.callerNum && tpl.callerNum !== real.callerNum) rw.exact.set(tpl.callerNum, real.callerNum);
  if (tpl.callerName && tpl.callerName !== real.callerName) rw.exact.set(tpl.callerName, real.callerName);
}

/** A channel the command creates on `ext`; returns the extension remap for freshInstance. */
export function newRole(core: AmiCore, rw: Rewriter, tpl: RoleChannel, ext: string): Record<string, string> {
  const tplExt = tpl.endpoint.slice(tpl.endpoint.indexOf("/") + 1);
  const name = core.names[ext];
  const tplName = DEFAULT_NAMES[tplExt];
  if (name !== undefined) {
    if (tpl.callerName) rw.exact.set(tpl.callerName, name);
    if (tplName) rw.exact.set(tplName, name);
  }
  return { [tplExt]: ext };
}

export function steps(events: readonly TraceEvent[], rw: Rewriter, post?: Post): Step[] {
  return events.map((e) => ({ at: e.t * 1000, fields: e.fields, rw, ...(post ? { post } : {}) }));
}

/** The posts one after the other; a dropped event stays dropped. */
export function compose(...posts: (Post | undefined)[]): Post {
  return (fields) => {
    let f: Fields | undefined = fields;
    for (const p of posts) {
      if (!f) return undefined;
      if (p) f = p(f);
    }
    return f;
  };
}

/** The OriginateResponse of a command's new channel, at `t` (s) in its sequence: after it answered. */
export function originateResponse(
  core: AmiCore,
  rw: Rewriter,
  o: { uid: string; endpoint: string; app: string; data: string; id: string | undefined; t: number },
): Step {
  const channel = [...core.state.channels.values()].find((c) => c.uid === o.uid)?.name;
  const ext = o.endpoint.slice(o.endpoint.indexOf("/") + 1);
  const fields = originateResponseEvent({
    id: o.id,
    success: true,
    channel: channel ?? o.endpoint,
    application: o.app,
    data: o.data,
    uniqueid: o.uid,
    callerNum: ext,
    callerName: core.names[ext] ?? "",
  });
  return {
    at: o.t * 1000,
    fields,
    rw,
    post: (f) => {
      const ch = core.state.channels.get(o.uid);
      if (ch) set(f, "Channel", ch.name);
      return f;
    },
  };
}

/** Channels of a call a command leaves without an ending: hung up now. */
export function orphans(core: AmiCore, inst: Instance, keep: string[]): void {
  const left = [...inst.channels].filter((u) => !keep.includes(u) && !core.state.spies.has(u));
  if (left.length === 0) return;
  for (const step of hangupSteps(core, left)) {
    const fields = step.rw.rewrite(step.fields);
    core.emit(fields, inst);
  }
}

/** The hang-up of these channels (spy legs end with their session instead). */
export function hangupSteps(core: AmiCore, uids: string[]): Step[] {
  const rw = new Rewriter();
  const out: Step[] = [];
  for (const uid of uids) {
    const c = core.state.channels.get(uid);
    if (!c) continue;
    if (core.state.spies.has(uid)) continue;
    for (const fields of hangupEvents(c)) out.push({ at: 0, rw, fields });
  }
  return out;
}

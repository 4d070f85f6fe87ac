// The AMI simulator's commands on one live channel, as the real Asterisk played them: Hangup, Redirect
// (trace 07: the channel leaves its bridge for the new dialplan place; its partner, left alone, hangs
// up) and MixMonitor / StopMixMonitor (trace 11a: VarSet MIXMONITOR_FILENAME + MixMonitorStart, then
// MixMonitorStop).

import { mentions } from "../ami-commands.js";
import { collectIds, freshInstance, get, Rewriter, set } from "../ami-trace.js";
import { type AmiCore, existingRole, hangupSteps, liveSubstitution, orphans, steps } from "./command-kit.js";
import { stopSpy } from "./spy.js";
import type { Post, SimChannel } from "./types.js";

/** Hangs a channel up as the PBX would (a spy leg ends its ChanSpy session); false if there is none. */
export function hangupChannel(core: AmiCore, channelName: string): boolean {
  const uid = core.state.byName.get(channelName);
  if (!uid) return false;
  const spy = core.state.spies.get(uid);
  if (spy) {
    stopSpy(core, spy);
    return true;
  }
  const ch = core.state.channels.get(uid);
  if (!ch) return false;
  const inst = ch.instance;
  // The whole replayed call ends, and whoever shares the channel's bridge.
  const victims = inst ? [...inst.channels] : [uid];
  const peers = ch.bridge ? core.state.bridgeMembers(ch.bridge).filter((u) => !victims.includes(u)) : [];
  const hangup = hangupSteps(core, [...victims, ...peers]);
  if (inst) core.replays.replaceTail(inst, hangup, false);
  else core.replays.playNow(hangup);
  return true;
}

/** Redirect `x` to `context`,`exten` (priority 1). */
export function playRedirect(core: AmiCore, x: SimChannel, context: string, exten: string): void {
  const tpl = core.templates().redirect;
  const peers = x.bridge ? core.state.bridgeMembers(x.bridge).filter((u) => u !== x.uid) : [];
  const peer = peers.length === 1 ? core.state.channels.get(peers[0] as string) : undefined;
  const rw = new Rewriter();
  existingRole(rw, tpl.redirected, x);
  if (peer) existingRole(rw, tpl.peer, peer);
  const skip = new Set([
    tpl.redirected.uid,
    tpl.redirected.base,
    ...(peer ? [tpl.peer.uid, tpl.peer.base] : []),
  ]);
  freshInstance(rw, collectIds([...tpl.part, ...tpl.tail]), core.alloc, {}, skip);
  if (x.bridge) {
    for (const b of collectIds(tpl.part).bridges) rw.bridges.set(b, x.bridge);
  }
  const live = liveSubstitution(core, new Set([x.uid, ...(peer ? [peer.uid] : [])]));
  const freshPeer = {
    uid: rw.ids.get(tpl.peer.uid) ?? tpl.peer.uid,
    base: rw.tokens.get(tpl.peer.base) ?? tpl.peer.base,
  };
  // The template's peer events name the template channel: keep those only when a real peer exists.
  const post: Post = (fields) => {
    if (!peer && mentions(fields, freshPeer)) return undefined;
    if (!x.bridge && (get(fields, "Event") === "BridgeLeave" || get(fields, "Event") === "BridgeDestroy"))
      return undefined;
    const f = live(fields);
    if (
      f &&
      get(f, "Event") === "Newexten" &&
      get(f, "Uniqueid") === x.uid &&
      get(f, "Context") === tpl.context
    ) {
      set(f, "Context", context);
      if (get(f, "Exten") === "s") set(f, "Exten", exten);
      if (get(f, "Extension") === "s") set(f, "Extension", exten);
    }
    return f;
  };
  const inst = x.instance ?? core.replays.create("redirect", [], core.commandTimeScale());
  orphans(core, inst, [x.uid, ...(peer ? [peer.uid] : [])]);
  core.replays.replaceTail(inst, steps(tpl.part, rw, post), false, steps(tpl.tail, rw, post));
}

/** MixMonitor on `ch` recording to `path` (MIXMONITOR_FILENAME is set to it). */
export function playMixMonitor(core: AmiCore, ch: SimChannel, path: string): void {
  const tpl = core.templates().mixMonitor;
  const rw = new Rewriter();
  existingRole(rw, tpl.channel, ch);
  const live = liveSubstitution(core, new Set([ch.uid]));
  const post: Post = (fields) => {
    const f = live(fields);
    if (f && get(f, "Variable") === "MIXMONITOR_FILENAME") set(f, "Value", path);
    return f;
  };
  core.replays.playNow(steps(tpl.start, rw, post));
}

export function playStopMixMonitor(core: AmiCore, ch: SimChannel): void {
  const tpl = core.templates().mixMonitor;
  const rw = new Rewriter();
  existingRole(rw, tpl.channel, ch);
  core.replays.playNow(steps(tpl.stop, rw, liveSubstitution(core, new Set([ch.uid]))));
}

// The supervisor operations Callsight starts with `Originate Application: …` on the supervisor's phone,
// played by the AMI simulator from the event sequences the real Asterisk emitted:
//   ChanSpy     -> 10a/10b/10c (spy.ts)
//   PickupChan  -> 09: the picker's phone answers the ringing channel's caller, the ringing leg goes away
//   ParkedCall  -> 08: the retriever's phone is bridged with the parked caller
//   Bridge      -> 09's shape too (take over): the phone joins one party, the other party's leg goes away

import { collectIds, freshInstance, get, Rewriter, set } from "../ami-trace.js";
import {
  type AmiCore,
  existingRole,
  liveSubstitution,
  newRole,
  originateResponse,
  orphans,
  steps,
} from "./command-kit.js";
import { startSpy } from "./spy.js";
import type { Post } from "./types.js";

/** Starts the application on `ext`'s new channel; false when there is nothing it could act on. */
export function originateApplication(
  core: AmiCore,
  app: string,
  ext: string,
  data: string,
  callerId: string | undefined,
  id?: string,
): boolean {
  switch (app.toLowerCase()) {
    case "chanspy":
      return startSpy(core, ext, data, callerId, id);
    case "pickupchan":
      return startPickup(core, ext, data, id);
    case "parkedcall":
      return startRetrieve(core, ext, data, id);
    case "bridge":
      return startTakeOver(core, ext, data, id);
    default:
      return false;
  }
}

/** PickupChan(<channel>): only a ringing channel (state 5) that someone dialled can be picked up. */
function startPickup(core: AmiCore, ext: string, data: string, id?: string): boolean {
  const target = core.state.findChannel(data.split("&")[0] ?? "");
  if (target?.state !== "5") return false;
  const callerUid = core.state.dialledBy.get(target.uid);
  const caller = callerUid ? core.state.channels.get(callerUid) : undefined;
  if (!caller) return false;
  const tpl = core.templates().pickup;
  const rw = new Rewriter();
  existingRole(rw, tpl.caller, caller);
  existingRole(rw, tpl.target, target);
  rw.linked.set(tpl.target.linked, target.linkedid);
  const extMap = newRole(core, rw, tpl.picker, ext);
  const skip = new Set([tpl.caller.uid, tpl.caller.base, tpl.target.uid, tpl.target.base]);
  freshInstance(rw, collectIds([...tpl.part, ...tpl.tail]), core.alloc, extMap, skip);
  const post = liveSubstitution(core, new Set([caller.uid, target.uid]));
  const pickerUid = rw.ids.get(tpl.picker.uid) ?? "";
  const inst =
    caller.instance ?? target.instance ?? core.replays.create("pickup", [], core.commandTimeScale());
  orphans(core, inst, [caller.uid, target.uid]);
  const part = steps(tpl.part, rw, post);
  part.push(
    originateResponse(core, rw, {
      uid: pickerUid,
      endpoint: `PJSIP/${ext}`,
      app: "PickupChan",
      data,
      id,
      t: tpl.part.at(-1)?.t ?? 0,
    }),
  );
  core.replays.replaceTail(inst, part, false, steps(tpl.tail, rw, post));
  return true;
}

/**
 * Originate into `Bridge(<channel>)` (take over): the phone answers and is bridged with that channel,
 * whose partner is left alone and hung up. Played from trace 09's pickup, which has the same shape: a
 * new phone joins one party of a call and the other party's leg goes away.
 */
function startTakeOver(core: AmiCore, ext: string, data: string, id?: string): boolean {
  const kept = core.state.findChannel(data.split(",")[0] ?? "");
  if (!kept?.bridge) return false;
  const peers = core.state.bridgeMembers(kept.bridge).filter((u) => u !== kept.uid);
  const agent = peers.length === 1 ? core.state.channels.get(peers[0] as string) : undefined;
  if (!agent) return false;
  const tpl = core.templates().pickup;
  const rw = new Rewriter();
  existingRole(rw, tpl.caller, kept);
  existingRole(rw, tpl.target, agent);
  rw.linked.set(tpl.target.linked, agent.linkedid);
  const extMap = newRole(core, rw, tpl.picker, ext);
  const skip = new Set([tpl.caller.uid, tpl.caller.base, tpl.target.uid, tpl.target.base]);
  freshInstance(rw, collectIds([...tpl.part, ...tpl.tail]), core.alloc, extMap, skip);
  const post = liveSubstitution(core, new Set([kept.uid, agent.uid]));
  const supervisorUid = rw.ids.get(tpl.picker.uid) ?? "";
  const inst =
    kept.instance ?? agent.instance ?? core.replays.create("take-over", [], core.commandTimeScale());
  orphans(core, inst, [kept.uid, agent.uid]);
  const part = steps(tpl.part, rw, post);
  part.push(
    originateResponse(core, rw, {
      uid: supervisorUid,
      endpoint: `PJSIP/${ext}`,
      app: "Bridge",
      data,
      id,
      t: tpl.part.at(-1)?.t ?? 0,
    }),
  );
  core.replays.replaceTail(inst, part, false, steps(tpl.tail, rw, post));
  return true;
}

/** ParkedCall(<lot>,<space>): the call parked in that space, if any. */
function startRetrieve(core: AmiCore, ext: string, data: string, id?: string): boolean {
  const [lot = "default", space = ""] = data.split(",").map((x) => x.trim());
  const entry = [...core.state.parked.values()].find((p) => p.space === space && (p.lot === lot || !lot));
  const parkee = entry ? core.state.channels.get(entry.parkee) : undefined;
  if (!entry || !parkee) return false;
  const tpl = core.templates().retrieve;
  const rw = new Rewriter();
  existingRole(rw, tpl.parkee, parkee);
  const extMap = newRole(core, rw, tpl.retriever, ext);
  if (parkee.bridge) rw.bridges.set(tpl.parkingBridge, parkee.bridge);
  if (tpl.space !== entry.space) {
    rw.exact.set(tpl.space, entry.space);
    rw.token(`park:${tpl.space}@parkedcalls`, `park:${entry.space}@parkedcalls`);
  }
  const skip = new Set([tpl.parkee.uid, tpl.parkee.base, tpl.parkingBridge]);
  freshInstance(rw, collectIds([...tpl.part, ...tpl.tail]), core.alloc, extMap, skip);
  const live = liveSubstitution(core, new Set([parkee.uid]));
  const post: Post = (fields) => {
    const f = live(fields);
    if (f && get(f, "Parkinglot") !== undefined) set(f, "Parkinglot", entry.lot);
    return f;
  };
  const retrieverUid = rw.ids.get(tpl.retriever.uid) ?? "";
  const inst = parkee.instance ?? core.replays.create("retrieve", [], core.commandTimeScale());
  orphans(core, inst, [parkee.uid]);
  const part = steps(tpl.part, rw, post);
  part.push(
    originateResponse(core, rw, {
      uid: retrieverUid,
      endpoint: `PJSIP/${ext}`,
      app: "ParkedCall",
      data,
      id,
      t: tpl.part.at(-1)?.t ?? 0,
    }),
  );
  core.replays.replaceTail(inst, part, false, steps(tpl.tail, rw, post));
  return true;
}

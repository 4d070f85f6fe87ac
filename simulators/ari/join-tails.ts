// What the ARI server plays once an originated phone is up in Callsight's pickup, parked or takeover
// dialplan: the end of trace 09 (the picker is bridged with the caller, the ringing target goes away
// with cause 26, answered elsewhere) or of trace 08 (the retriever is bridged with the parked caller),
// the captured roles bound to the live channels. The call's own replay stops there.

import { type AriChannel, isChannel } from "../../src/pbx/asterisk-ari/types.js";
import { AriRewriter, type AriScenario, endpointOf, freshAriInstance } from "../ari-trace.js";
import type { AriCore } from "./core.js";
import type { SimChannel } from "./types.js";

/** Trace 09 from the moment the picker's phone is up: the ringing leg is answered elsewhere (26). */
export function pickupTail(core: AriCore, picker: SimChannel, targetName: string): boolean {
  const target = [...core.state.channels.values()].find(
    (c) => c.ch.name === targetName || c.ch.id === targetName,
  );
  const callerId = target ? core.state.dialCaller.get(target.ch.id) : undefined;
  const caller = callerId ? core.state.channels.get(callerId) : undefined;
  if (!target || !caller || target.ch.state === "Up") return false;
  return joinTail(core, picker, target, caller, "pickup");
}

/**
 * `Bridge(${CALLSIGHT_TARGET})` in the takeover extension: the supervisor's phone (up) is bridged with
 * that channel and its partner, the agent, is hung up — trace 09's tail has that shape (a new phone
 * joins one party, the other party's leg goes away).
 */
export function takeOverTail(core: AriCore, supervisor: SimChannel, keptName: string): boolean {
  const kept = [...core.state.channels.values()].find((c) => c.ch.name === keptName || c.ch.id === keptName);
  if (!kept?.bridge) return false;
  const partners = [...core.state.channels.values()].filter((c) => c !== kept && c.bridge === kept.bridge);
  const agent = partners.length === 1 ? partners[0] : undefined;
  if (!agent) return false;
  return joinTail(core, supervisor, agent, kept, "take-over");
}

/** Trace 09's tail: `picker` is bridged with `caller`; `target` hangs up. */
function joinTail(
  core: AriCore,
  picker: SimChannel,
  target: SimChannel,
  caller: SimChannel,
  what: string,
): boolean {
  const s = core.library.scenario("09");
  const t = rolesOf09(s);
  const rw = freshAriInstance(
    { channels: new Map(), bridges: s.bridges },
    core.alloc,
    new Set(),
    new AriRewriter()
      .set(t.picker.id, picker.ch.id)
      .channel(t.picker.name, picker.ch.name)
      .set(t.target.id, target.ch.id)
      .channel(t.target.name, target.ch.name)
      .set(t.caller.id, caller.ch.id)
      .channel(t.caller.name, caller.ch.name)
      .set(endpointOf(t.picker.name), endpointOf(picker.ch.name))
      .set(endpointOf(t.target.name), endpointOf(target.ch.name))
      .set(endpointOf(t.caller.name), endpointOf(caller.ch.name)),
  );
  core.player.cut(target.instance);
  core.player.cut(caller.instance);
  const steps = s.events
    .filter((e) => e.t >= t.from)
    .map((e) => ({ at: (e.t - t.from) * 1000, event: e.event, rw }));
  const inst = core.player.playNow(what, steps);
  for (const id of [picker.ch.id, target.ch.id, caller.ch.id]) inst.channels.add(id);
  for (const c of [picker, target, caller]) c.instance = inst;
  return true;
}

/** Trace 08 from the moment the retriever's phone is up: the parked caller joins it. */
export function retrieveTail(core: AriCore, retriever: SimChannel, space: string): boolean {
  const parkeeId = core.state.parked.get(space);
  const parkee = parkeeId ? core.state.channels.get(parkeeId) : undefined;
  if (!parkee?.bridge) return false;
  const s = core.library.scenario("08");
  const t = rolesOf08(s);
  const rw = freshAriInstance(
    { channels: new Map(), bridges: new Set([...s.bridges].filter((b) => b !== t.holding)) },
    core.alloc,
    new Set(),
    new AriRewriter()
      .set(t.retriever.id, retriever.ch.id)
      .channel(t.retriever.name, retriever.ch.name)
      .set(t.parkee.id, parkee.ch.id)
      .channel(t.parkee.name, parkee.ch.name)
      .set(t.holding, parkee.bridge)
      .set(`park:${t.space}@parkedcalls`, `park:${space}@parkedcalls`)
      .set(endpointOf(t.retriever.name), endpointOf(retriever.ch.name)),
  );
  core.player.cut(parkee.instance);
  const steps = s.events
    .filter((e) => e.t >= t.from)
    .map((e) => ({ at: (e.t - t.from) * 1000, event: e.event, rw }));
  const inst = core.player.playNow("retrieve", steps);
  for (const id of [retriever.ch.id, parkee.ch.id]) inst.channels.add(id);
  for (const c of [retriever, parkee]) c.instance = inst;
  return true;
}

interface Role {
  id: string;
  name: string;
}

function roleOf(ch: AriChannel | undefined, what: string): Role {
  if (!ch) throw new Error(`trace has no ${what}`);
  return { id: ch.id, name: ch.name };
}

/** Trace 09: caller (1001), ringing target (1002, destroyed with cause 26), picker (1003, dials *81002). */
function rolesOf09(s: AriScenario): { caller: Role; target: Role; picker: Role; from: number } {
  const pickerCreated = s.events.find(
    (e) => e.event.type === "ChannelCreated" && e.event.channel?.dialplan?.exten?.startsWith("*8"),
  );
  const picker = roleOf(pickerCreated?.event.channel, "picker");
  const up = s.events.find(
    (e) =>
      e.event.type === "ChannelStateChange" &&
      e.event.channel?.id === picker.id &&
      e.event.channel.state === "Up",
  );
  const target = roleOf(
    s.events.find((e) => e.event.type === "ChannelDestroyed" && e.event.cause === 26)?.event.channel,
    "target",
  );
  const dial = s.events.find((e) => e.event.type === "Dial" && isChannel(e.event.caller));
  const caller = roleOf(dial?.event.caller as AriChannel | undefined, "caller");
  if (!up) throw new Error("trace 09: the picker never answers");
  return { caller, target, picker, from: up.t + 1e-6 };
}

/** Trace 08: parkee (the external caller in the holding bridge), retriever (1003, dials 701). */
function rolesOf08(s: AriScenario): {
  parkee: Role;
  retriever: Role;
  holding: string;
  space: string;
  from: number;
} {
  const entered = s.events.find(
    (e) => e.event.type === "ChannelEnteredBridge" && e.event.bridge?.bridge_class === "parking",
  );
  const parkee = roleOf(entered?.event.channel, "parkee");
  const holding = entered?.event.bridge?.id ?? "";
  const space =
    s.events
      .find((e) => e.event.type === "DeviceStateChanged" && e.event.device_state?.name.startsWith("park:"))
      ?.event.device_state?.name.slice(5)
      .split("@")[0] ?? "701";
  const created = s.events.find(
    (e) => e.event.type === "ChannelCreated" && e.event.channel?.dialplan?.exten === space,
  );
  const retriever = roleOf(created?.event.channel, "retriever");
  const up = s.events.find(
    (e) =>
      e.event.type === "ChannelStateChange" &&
      e.event.channel?.id === retriever.id &&
      e.event.channel.state === "Up",
  );
  if (!up) throw new Error("trace 08: the retriever never answers");
  return { parkee, retriever, holding, space, from: up.t + 1e-6 };
}

// Click-to-call on the ARI server: once the caller's originated phone is up in the PBX's own dialplan
// (POST /channels with an `extension` that is a phone or an outside number), its channel dials the
// destination as if the phone had dialled it. As the real Asterisk 22 does it (captured live, see
// test/live/support/dial-scenarios.ts): the originated channel runs the extension, Dial creates the
// destination's channel, it rings and answers, both are bridged. Played from the dialled part of trace
// 01 (internal 1001 -> 1002) or trace 04 (outbound 1001 -> 17778732492 over the carrier), the captured
// caller bound to the live phone (already up); the call then stays up until someone hangs up.

import type { AriEvent } from "../../src/pbx/asterisk-ari/types.js";
import { AriRewriter, endpointOf, freshAriInstance } from "../ari-trace.js";
import type { AriCore } from "./core.js";
import type { SimChannel, Step } from "./types.js";

/** Plays the dial of `destination` from `caller`'s channel; false when nothing here answers to it. */
export function dialTail(core: AriCore, caller: SimChannel, destination: string): boolean {
  const phone = core.state.endpointStates.has(`PJSIP/${destination}`);
  if (!phone && !/^\+?\d{7,}$/.test(destination)) return false;
  const s = core.library.scenario(phone ? "01" : "04");
  const created = s.events.filter((e) => e.event.type === "ChannelCreated");
  const from = created[0]?.event.channel;
  const to = created[1]?.event.channel;
  if (!from || !to) return false;
  const t0 = created[0]!.t;
  const callerEndpoint = endpointOf(caller.ch.name);
  const rw = new AriRewriter()
    .set(from.id, caller.ch.id)
    .channel(from.name, caller.ch.name)
    .set(endpointOf(from.name), callerEndpoint)
    .set(from.caller?.number ?? "", caller.ch.caller?.number ?? "")
    .set(from.caller?.name ?? "", caller.ch.caller?.name ?? "");
  const dialled = from.dialplan?.exten ?? "";
  if (!dialled) return false;
  if (phone) {
    rw.channel(to.name, core.alloc.channelName(`PJSIP/${destination}`))
      .set(endpointOf(to.name), `PJSIP/${destination}`)
      .set(dialled, destination);
  } else {
    rw.set(dialled, destination)
      .set(`${dialled}@carrier`, `${destination}@carrier`)
      .set(`PJSIP/${dialled}@carrier`, `PJSIP/${destination}@carrier`);
  }
  freshAriInstance({ channels: s.channels, bridges: s.bridges }, core.alloc, new Set(), rw);
  const steps: Step[] = [];
  for (const e of s.events) {
    if (e.t < t0 || e === created[0]) continue;
    // The call is held once answered: no hang-up from the capture.
    if (e.event.type === "ChannelHangupRequest") break;
    // The caller's own state changes already happened: it is up, and says so in every snapshot.
    if (e.event.type === "ChannelStateChange" && e.event.channel?.id === from.id) continue;
    steps.push({ at: 2 + (e.t - t0) * 1000, event: upIn(e.event, from.id), rw });
  }
  const inst = core.player.playNow(`dial ${destination}`, steps);
  inst.channels.add(caller.ch.id);
  inst.channels.add(rw.exact.get(to.id) ?? to.id);
  caller.instance = inst;
  return true;
}

/** A copy of the event in which every snapshot of channel `id` is Up. */
function upIn(event: AriEvent, id: string): AriEvent {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v !== "object" || v === null) return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = walk(x);
    if (out.id === id && typeof out.state === "string") out.state = "Up";
    return out;
  };
  return walk(event) as AriEvent;
}

// POST /channels on the ARI server: the supervisor's phone originated as trace 10a shows it
// (ChannelCreated Down, Dial, Ringing, Up, Dial ANSWER), ringing as long as `ringTime` says, then
// StasisStart in the app, or Callsight's dialplan: `pickup` (trace 09's pickup), `parked` (trace 08's
// retrieval) or `takeover` (trace 09's shape), or a phone or number in the PBX's own dialplan
// (click-to-call, dial-tail.ts); with nothing there the dialplan application fails and the phone hangs up.

import {
  type AriChannel,
  type AriEvent,
  formatAriTime,
  isChannel,
} from "../../src/pbx/asterisk-ari/types.js";
import { AriRewriter, type AriTraceEvent, type AriTraceLibrary, endpointOf } from "../ari-trace.js";
import { type AriCore, newChannelSnapshot } from "./core.js";
import { dialTail } from "./dial-tail.js";
import { HttpFailure } from "./http.js";
import { pickupTail, retrieveTail, takeOverTail } from "./join-tails.js";
import type { Step } from "./types.js";

/** Trace 10a's originated phone: its ids and caller id in the capture, and its events up to Dial ANSWER. */
export interface OriginateTemplate {
  id: string;
  name: string;
  endpoint: string;
  resource: string;
  cidNum: string;
  cidName: string;
  /** When (ms from ChannelCreated) it answered. */
  answerAt: number;
  events: AriTraceEvent[];
}

export function originate(core: AriCore, q: Record<string, string>, body: unknown): AriChannel {
  const endpoint = q.endpoint ?? "";
  if (!endpoint) throw new HttpFailure(400, "Endpoint must be specified");
  if (!core.state.endpointStates.has(endpoint)) throw new HttpFailure(400, "Allocation failed");
  if (!q.app && !q.extension) throw new HttpFailure(400, "Application or extension must be specified");
  const id = q.channelId || core.alloc.uniqueid();
  if (core.state.channels.has(id)) throw new HttpFailure(409, "Channel with given unique ID already exists");
  const name = core.alloc.channelName(endpoint);
  const resource = endpoint.slice(endpoint.indexOf("/") + 1);
  const variables =
    typeof body === "object" &&
    body !== null &&
    typeof (body as { variables?: unknown }).variables === "object"
      ? ((body as { variables: Record<string, string> }).variables ?? {})
      : {};
  const tpl = core.originateTemplate();
  const [cidName, cidNum] = parseCallerId(q.callerId, resource);
  const rw = new AriRewriter()
    .set(tpl.id, id)
    .channel(tpl.name, name)
    .set(tpl.endpoint, endpoint)
    .set(tpl.resource, resource)
    .set(tpl.cidNum, cidNum)
    .set(tpl.cidName, cidName);
  const ringFor = core.ringTime.get(endpoint);
  const steps: Step[] = [];
  const shift = typeof ringFor === "number" ? ringFor - tpl.answerAt : 0;
  for (const e of tpl.events) {
    if (e.t * 1000 >= tpl.answerAt && ringFor === "never") continue;
    steps.push({ at: e.t * 1000 >= tpl.answerAt ? e.t * 1000 + shift : e.t * 1000, event: e.event, rw });
  }
  const last = steps.length > 0 ? (steps[steps.length - 1] as Step).at : 0;
  if (ringFor === "never") {
    // Nobody answers: the originate's timeout (30 s by default) ends it with No Answer (cause 19).
    const timeoutMs = Number(q.timeout ?? 30) * 1000;
    steps.push({
      at: last + timeoutMs,
      event: { type: "noanswer" },
      run: () => core.events.hangupNow(id, 19, "No Answer"),
    });
  } else {
    steps.push({
      at: last + 2,
      event: { type: "after-answer" },
      run: () => afterAnswer(core, id, q, variables),
    });
  }
  const inst = core.player.playNow(`originate ${endpoint}`, steps);
  inst.channels.add(id);
  const snapshot = newChannelSnapshot(id, name, "Down", cidNum, cidName);
  snapshot.dialplan = {
    context: q.context ?? "default",
    exten: "s",
    priority: 1,
    app_name: "",
    app_data: "",
  };
  const c = core.state.channels.get(id);
  if (c) c.variables = { ...variables };
  return snapshot;
}

function afterAnswer(
  core: AriCore,
  id: string,
  q: Record<string, string>,
  variables: Record<string, string>,
): void {
  const c = core.state.channels.get(id);
  if (!c) return;
  if (q.app) {
    const args = (q.appArgs ?? "").split(",").filter((a) => a !== "");
    c.ch = {
      ...c.ch,
      dialplan: { ...c.ch.dialplan, app_name: "Stasis", app_data: [q.app, ...args].join(",") },
    };
    core.events.emit({
      type: "StasisStart",
      timestamp: formatAriTime(Date.now()),
      args,
      channel: { ...c.ch },
      application: q.app,
    });
    return;
  }
  if (q.extension === "pickup" && pickupTail(core, c, variables.CALLSIGHT_TARGET ?? "")) return;
  if (q.extension === "parked" && retrieveTail(core, c, variables.CALLSIGHT_SPACE ?? "")) return;
  if (q.extension === "takeover" && takeOverTail(core, c, variables.CALLSIGHT_TARGET ?? "")) return;
  // Click-to-call: a phone or an outside number, dialled in the PBX's own dialplan (dial-tail.ts).
  if (q.extension && dialTail(core, c, q.extension)) return;
  // Nothing to pick up / unknown extension: the dialplan application fails and hangs up.
  core.events.emit({
    type: "ChannelDialplan",
    timestamp: formatAriTime(Date.now()),
    dialplan_app: q.extension === "parked" ? "ParkedCall" : "PickupChan",
    dialplan_app_data: "",
    channel: {
      ...c.ch,
      dialplan: {
        context: q.context ?? "",
        exten: q.extension ?? "",
        priority: 1,
        app_name: "",
        app_data: "",
      },
    },
  });
  core.events.hangupNow(id, 16, "Normal Clearing");
}

/** Trace 10a: the supervisor's phone originated by Asterisk, from ChannelCreated to Dial ANSWER. */
export function loadOriginateTemplate(library: AriTraceLibrary): OriginateTemplate {
  const s = library.scenario("10a");
  const created = s.events.find(
    (e) =>
      e.event.type === "ChannelCreated" &&
      isChannel(e.event.channel) &&
      e.event.channel.state === "Down" &&
      e.event.channel.name.startsWith("PJSIP/1004"),
  );
  if (!created || !isChannel(created.event.channel)) throw new Error("trace 10a has no originated channel");
  const ch = created.event.channel;
  const endpoint = endpointOf(ch.name);
  const mine = (e: AriEvent): boolean =>
    (isChannel(e.channel) && e.channel.id === ch.id) ||
    (isChannel(e.peer) && e.peer.id === ch.id) ||
    (e.type === "DeviceStateChanged" && e.device_state?.name === endpoint);
  const events: AriTraceEvent[] = [];
  let answerAt = 0;
  for (const e of s.events) {
    if (e.t < created.t || !mine(e.event) || e.event.type === "ChannelVarset") continue;
    events.push({ t: e.t - created.t, event: e.event });
    if (e.event.type === "ChannelStateChange" && e.event.channel?.state === "Up" && !answerAt)
      answerAt = (e.t - created.t) * 1000;
    if (e.event.type === "Dial" && e.event.dialstatus === "ANSWER") break;
  }
  const callerSet = events.find((e) => e.event.type === "ChannelCallerId")?.event.channel?.caller;
  return {
    id: ch.id,
    name: ch.name,
    endpoint,
    resource: endpoint.slice(endpoint.indexOf("/") + 1),
    cidNum: callerSet?.number ?? "",
    cidName: callerSet?.name ?? "",
    answerAt,
    events,
  };
}

/** `"Name" <num>` -> [name, num]; a bare value is the number; none: no name, the endpoint's resource. */
function parseCallerId(callerId: string | undefined, fallback: string): [string, string] {
  if (!callerId) return ["", fallback];
  const m = /^\s*"?([^"<]*?)"?\s*<([^>]*)>\s*$/.exec(callerId);
  if (m) return [m[1] ?? "", m[2] ?? fallback];
  return ["", callerId];
}

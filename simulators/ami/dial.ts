// Click-to-call in the AMI simulator: `Originate` with `Context` / `Exten` rings the caller's phone and,
// once it answers, runs the extension: the phone's channel dials the destination as if the phone had
// dialled it. As the real Asterisk 22 does it (captured live, test/live/support/dial-scenarios.ts):
//   Newchannel (Down, Exten s) · DialBegin with no caller (DialString <ext>) · Newstate Ringing ·
//   DeviceStateChange RINGING · OriginateResponse Success (Reason 4) once it answered · Newstate Up ·
//   DialEnd ANSWER · DeviceStateChange INUSE
// then the dialled part of a captured call from that channel on: trace 01 (internal 1001 -> 1002) for
// an extension, trace 04 (outbound 1001 -> 17778732492 over the carrier) for an outside number. The
// call is held once answered (the test or a Hangup ends it); a destination neither gives is hung up.

import { type Fields, freshInstance, get, Rewriter, set, type TraceEvent } from "../ami-trace.js";
import type { AmiCore } from "./command-kit.js";
import { pausePoint } from "./pause-points.js";
import type { Post, Step } from "./types.js";

/** How long the caller's phone rings before it answers (ms, template time; the capture's was 0.8 s). */
const RING_MS = 800;

/** The template call a destination is dialled from, and the number it dials there. */
function templateFor(core: AmiCore, destination: string): { name: string; dialled: string } | undefined {
  if (core.extensions.includes(destination)) return { name: "01", dialled: "1002" };
  if (/^\+?\d{7,}$/.test(destination)) return { name: "04", dialled: "17778732492" };
  return undefined;
}

/** `"Name" <num>` or a bare number. */
function parseCallerId(cid: string | undefined): { name?: string; num?: string } {
  if (!cid) return {};
  const m = /^\s*"?([^"<]*?)"?\s*<([^>]*)>\s*$/.exec(cid);
  if (m) return { ...(m[1] ? { name: m[1] } : {}), ...(m[2] ? { num: m[2] } : {}) };
  return { num: cid.trim() };
}

/** Starts the click-to-call of `ext`'s phone to `destination` in `context`. */
export function originateExten(
  core: AmiCore,
  ext: string,
  context: string,
  destination: string,
  callerId: string | undefined,
  id: string | undefined,
): boolean {
  const tpl = templateFor(core, destination);
  const scenario = core.scenario(tpl?.name ?? "01");
  const events = scenario.events;
  const first = events.findIndex((e) => get(e.fields, "Event") === "Newchannel");
  if (first < 0) return false;
  const c = (events[first] as TraceEvent).fields;
  const caller = {
    uid: get(c, "Uniqueid") ?? "",
    name: get(c, "Channel") ?? "",
    num: get(c, "CallerIDNum") ?? "",
    cidName: get(c, "CallerIDName") ?? "",
  };
  const extMap: Record<string, string> = { [caller.num]: ext };
  if (tpl?.name === "01") extMap[tpl.dialled] = destination;
  const rw = freshInstance(new Rewriter(), scenario.ids, core.alloc, extMap);
  if (tpl?.name === "04") {
    rw.exact.set(tpl.dialled, destination);
    rw.token(tpl.dialled, destination);
  }
  const name = parseCallerId(callerId).name ?? core.names[ext];
  if (name !== undefined && caller.cidName) rw.exact.set(caller.cidName, name);

  const snapshot = (state: "0" | "5" | "6", connected: boolean, exten = "s", prefix = ""): Fields => [
    [`${prefix}Channel`, caller.name],
    [`${prefix}ChannelState`, state],
    [`${prefix}ChannelStateDesc`, state === "0" ? "Down" : state === "5" ? "Ringing" : "Up"],
    [`${prefix}CallerIDNum`, caller.num],
    [`${prefix}CallerIDName`, caller.cidName],
    [`${prefix}ConnectedLineNum`, connected ? caller.num : "<unknown>"],
    [`${prefix}ConnectedLineName`, connected ? caller.cidName : "<unknown>"],
    [`${prefix}Language`, "en"],
    [`${prefix}AccountCode`, ""],
    [`${prefix}Context`, context],
    [`${prefix}Exten`, exten],
    [`${prefix}Priority`, "1"],
    [`${prefix}Uniqueid`, caller.uid],
    [`${prefix}Linkedid`, caller.uid],
  ];
  const event = (name: string, rest: Fields): Fields => [
    ["Event", name],
    ["Privilege", "call,all"],
    ["Timestamp", ""],
    ...rest,
  ];
  const device = (state: string): Fields =>
    event("DeviceStateChange", [
      ["Device", `PJSIP/${caller.num}`],
      ["State", state],
    ]);
  const ringing: [number, Fields][] = [
    [0, event("Newchannel", snapshot("0", false))],
    [9, event("DialBegin", [...snapshot("0", true, "s", "Dest"), ["DialString", caller.num]])],
    [10, event("Newstate", snapshot("5", true))],
    [10, device("RINGING")],
    [
      RING_MS,
      event("OriginateResponse", [
        ...(id !== undefined ? ([["ActionID", id]] as Fields) : []),
        ["Response", "Success"],
        ["Channel", caller.name],
        ["Context", context],
        ["Exten", tpl?.dialled ?? destination],
        ["Reason", "4"],
        ["Uniqueid", caller.uid],
        ["CallerIDNum", caller.num],
        ["CallerIDName", caller.cidName],
      ]),
    ],
    [RING_MS + 1, event("Newstate", snapshot("6", true))],
    [RING_MS + 1, event("DialEnd", [...snapshot("6", true, "s", "Dest"), ["DialStatus", "ANSWER"]])],
    [RING_MS + 3, device("INUSE")],
  ];
  const steps: Step[] = ringing.map(([at, fields]) => ({ at, fields, rw }));
  if (!tpl) {
    // Nothing in the simulated dialplan answers to it: the phone's channel hangs up.
    steps.push(
      {
        at: RING_MS + 20,
        rw,
        fields: event("Hangup", [...snapshot("6", true, destination), ...UNALLOCATED]),
      },
      { at: RING_MS + 21, rw, fields: device("NOT_INUSE") },
    );
    core.replays.playNow(steps);
    return true;
  }
  // The captured call from its caller's channel on, that channel already up: its own Newchannel and
  // state changes are the ones above, and every later snapshot of it says Up.
  const callerUid = rw.ids.get(caller.uid) ?? caller.uid;
  const up: Post = (f) => {
    if (get(f, "Uniqueid") === callerUid && get(f, "ChannelState") !== undefined) {
      set(f, "ChannelState", "6");
      set(f, "ChannelStateDesc", "Up");
    }
    return f;
  };
  const t0 = (events[first] as TraceEvent).t;
  const rest = events.slice(first + 1).filter((e) => !ownStateChange(e, caller.uid));
  for (const e of rest) steps.push({ at: RING_MS + 6 + (e.t - t0) * 1000, fields: e.fields, rw, post: up });
  const inst = core.replays.create(`dial-${scenario.name}`, steps, core.commandTimeScale());
  // Held once both are talking: the call stays up until someone hangs up.
  const answered = pausePoint({ ...scenario, events: rest }, "answered");
  if (answered !== undefined) inst.pauseAt = ringing.length + answered;
  core.replays.play(inst);
  return true;
}

const UNALLOCATED: Fields = [
  ["Cause", "1"],
  ["Cause-txt", "Unallocated (unassigned) number"],
];

/** The template caller's Newstate events: its channel is already up when the dialled part starts. */
function ownStateChange(e: TraceEvent, uid: string): boolean {
  return get(e.fields, "Event") === "Newstate" && get(e.fields, "Uniqueid") === uid;
}

// The event sequences the real FreeSWITCH emitted for each supervisor command, cut out of the traces:
//   eavesdrop originate -> 10a/10b/10c spy leg: start part up to its hangup, stop part from it
//   intercept originate -> 09 from the interceptor's CHANNEL_OUTGOING to the bridge (part), the end (tail)
//   valet retrieval     -> the originated leg of 09 (how FreeSWITCH originates a phone: outgoing, ringing,
//                          answered) followed by 08 from the retriever's valet_park to the bridge, the end (tail)
//   uuid_transfer       -> 07 from the agent leg's hangup to the IVR's playback (part), the end (tail)
//   uuid_record         -> 11 RECORD_START + MEDIA_BUG_START, RECORD_STOP + MEDIA_BUG_STOP
//   uuid_hold [off]     -> 06 CHANNEL_CALLSTATE HELD + CHANNEL_HOLD, UNHELD + CHANNEL_UNHOLD + ACTIVE
//   originate to an extension (click-to-call) -> the originated leg of 09 (ringing, answered), then 01 (an
//                          extension) or 04 (an outside number) from the caller's bridge on (part), the end (tail)

import type { MonitoringMode } from "../src/domain/directory.js";
import type { EslEvent } from "../src/pbx/freeswitch-esl/frame-parser.js";
import { type EslTraceEvent, type EslTraceLibrary, eventName, scenarioEvents, str } from "./esl-trace.js";

export interface SpyTemplate {
  spy: string;
  target: string;
  /** The spy leg's extension in the template. */
  spyExt: string;
  start: EslTraceEvent[];
  stop: EslTraceEvent[];
}

export interface InterceptTemplate {
  caller: string;
  ringing: string;
  picker: string;
  pickerExt: string;
  part: EslTraceEvent[];
  tail: EslTraceEvent[];
}

export interface RetrieveTemplate {
  parked: string;
  retriever: string;
  retrieverExt: string;
  lot: string;
  space: string;
  part: EslTraceEvent[];
  tail: EslTraceEvent[];
}

export interface TransferTemplate {
  transferred: string;
  peer: string;
  exten: string;
  context: string;
  part: EslTraceEvent[];
  tail: EslTraceEvent[];
}

export interface RecordTemplate {
  leg: string;
  file: string;
  start: EslTraceEvent[];
  stop: EslTraceEvent[];
}

export interface HoldTemplate {
  leg: string;
  hold: EslTraceEvent[];
  unhold: EslTraceEvent[];
}

/** Click-to-call: the caller's phone originated, then its leg dials as a phone would (dialTemplate). */
export interface DialTemplate {
  /** The caller's leg (its uuid in the template). */
  caller: string;
  /** The extensions the template rings as the caller: the originated phone's (09) and the caller's (01/04). */
  callerExts: string[];
  /** What the template's caller dialled (`1002`, `17778732492`). */
  dialled: string;
  part: EslTraceEvent[];
  tail: EslTraceEvent[];
}

export interface EslCommandTemplates {
  spy: Record<MonitoringMode, SpyTemplate>;
  intercept: InterceptTemplate;
  retrieve: RetrieveTemplate;
  transfer: TransferTemplate;
  record: RecordTemplate;
  hold: HoldTemplate;
  dial: { extension: DialTemplate; outside: DialTemplate };
}

export function loadEslCommandTemplates(library: EslTraceLibrary): EslCommandTemplates {
  return {
    spy: {
      listen: spyTemplate(library, "10a"),
      whisper: spyTemplate(library, "10b"),
      barge: spyTemplate(library, "10c"),
    },
    intercept: interceptTemplate(library),
    retrieve: retrieveTemplate(library),
    transfer: transferTemplate(library),
    record: recordTemplate(library),
    hold: holdTemplate(library),
    dial: { extension: dialTemplate(library, "01"), outside: dialTemplate(library, "04") },
  };
}

/** Rebases event times so the first one is at 0. */
export function rebase(events: readonly EslTraceEvent[]): EslTraceEvent[] {
  const t0 = events[0]?.t ?? 0;
  return events.map((e) => ({ event: e.event, t: Math.max(0, e.t - t0) }));
}

function must(i: number, what: string): number {
  if (i < 0) throw new Error(`ESL trace template: ${what} not found`);
  return i;
}

function find(events: readonly EslTraceEvent[], pred: (e: EslEvent) => boolean, from = 0): number {
  for (let i = from; i < events.length; i++) if (pred((events[i] as EslTraceEvent).event)) return i;
  return -1;
}

function uid(e: EslEvent): string | undefined {
  return str(e, "Unique-ID");
}

function extOf(e: EslEvent): string {
  const m = /\/(?:sip:)?(\d+)@/.exec(str(e, "Channel-Name") ?? "");
  return m?.[1] ?? "";
}

/** Index just past a CHANNEL_BRIDGE and the CALL_UPDATEs that follow it. */
function afterBridge(events: readonly EslTraceEvent[], bridge: number): number {
  let i = bridge + 1;
  while (i < events.length && eventName((events[i] as EslTraceEvent).event) === "CALL_UPDATE") i++;
  return i;
}

function spyTemplate(library: EslTraceLibrary, name: string): SpyTemplate {
  const events = scenarioEvents(library.rawEvents(name), true);
  const exec = must(
    find(events, (e) => eventName(e) === "CHANNEL_EXECUTE" && str(e, "Application") === "eavesdrop"),
    `${name} eavesdrop`,
  );
  const execEvent = (events[exec] as EslTraceEvent).event;
  const spy = uid(execEvent) as string;
  const target = (str(execEvent, "Application-Data") ?? "").trim();
  const first = must(
    find(events, (e) => uid(e) === spy),
    `${name} spy leg`,
  );
  const hangup = must(
    find(events, (e) => uid(e) === spy && eventName(e) === "CHANNEL_HANGUP"),
    `${name} spy hangup`,
  );
  const mine = (e: EslEvent) =>
    uid(e) === spy ||
    eventName(e) === "BACKGROUND_JOB" ||
    ((eventName(e) === "MEDIA_BUG_START" || eventName(e) === "MEDIA_BUG_STOP") &&
      str(e, "Media-Bug-Function") === "eavesdrop");
  const start = events.slice(first, hangup).filter((e) => mine(e.event));
  const stop = events.slice(hangup).filter((e) => mine(e.event) && eventName(e.event) !== "BACKGROUND_JOB");
  return {
    spy,
    target,
    spyExt: extOf((events[first] as EslTraceEvent).event),
    start: rebase(start),
    stop: rebase(stop),
  };
}

function interceptTemplate(library: EslTraceLibrary): InterceptTemplate {
  const events = scenarioEvents(library.rawEvents("09"), true);
  const exec = must(
    find(events, (e) => eventName(e) === "CHANNEL_EXECUTE" && str(e, "Application") === "intercept"),
    "09 intercept",
  );
  const execEvent = (events[exec] as EslTraceEvent).event;
  const picker = uid(execEvent) as string;
  const caller = (str(execEvent, "Application-Data") ?? "").trim();
  const ringing = uid(
    (
      events[
        must(
          find(events, (e) => str(e, "Hangup-Cause") === "PICKED_OFF"),
          "09 PICKED_OFF",
        )
      ] as EslTraceEvent
    ).event,
  ) as string;
  const first = must(
    find(events, (e) => uid(e) === picker),
    "09 picker leg",
  );
  const bridge = must(
    find(events, (e) => eventName(e) === "CHANNEL_BRIDGE" && (uid(e) === picker || uid(e) === caller), exec),
    "09 bridge",
  );
  const end = afterBridge(events, bridge);
  const roles = new Set([picker, caller, ringing]);
  const ours = (e: EslEvent) => roles.has(uid(e) ?? "");
  return {
    caller,
    ringing,
    picker,
    pickerExt: extOf((events[first] as EslTraceEvent).event),
    part: rebase(events.slice(first, end).filter((e) => ours(e.event))),
    tail: events.slice(end).filter((e) => ours(e.event)),
  };
}

function retrieveTemplate(library: EslTraceLibrary): RetrieveTemplate {
  const events = scenarioEvents(library.rawEvents("08"), true);
  const hold = must(
    find(events, (e) => eventName(e) === "CUSTOM" && str(e, "Action") === "hold"),
    "08 valet hold",
  );
  const holdEvent = (events[hold] as EslTraceEvent).event;
  const parked = uid(holdEvent) as string;
  const lot = str(holdEvent, "Valet-Lot-Name") ?? "default";
  const space = str(holdEvent, "Valet-Extension") ?? "";
  const exec = must(
    find(
      events,
      (e) =>
        eventName(e) === "CHANNEL_EXECUTE" && str(e, "Application") === "valet_park" && uid(e) !== parked,
      hold,
    ),
    "08 retriever valet_park",
  );
  const retriever = uid((events[exec] as EslTraceEvent).event) as string;
  const bridge = must(
    find(events, (e) => eventName(e) === "CHANNEL_BRIDGE", exec),
    "08 bridge",
  );
  const end = afterBridge(events, bridge);
  const roles = new Set([parked, retriever]);
  const ours = (e: EslEvent) => roles.has(uid(e) ?? "") || (eventName(e) === "PRESENCE_IN" && !uid(e));
  // How FreeSWITCH originates a phone (trace 09's interceptor up to its answer), playing the retriever.
  const t09 = scenarioEvents(library.rawEvents("09"), true);
  const pickerExec = must(
    find(t09, (e) => eventName(e) === "CHANNEL_EXECUTE" && str(e, "Application") === "intercept"),
    "09 intercept",
  );
  const picker = uid((t09[pickerExec] as EslTraceEvent).event) as string;
  const pickerFirst = must(
    find(t09, (e) => uid(e) === picker),
    "09 picker leg",
  );
  const prelude = t09.slice(pickerFirst, pickerExec).filter((e) => uid(e.event) === picker);
  const preludeEnd = prelude[prelude.length - 1]?.t ?? 0;
  const retrieval = rebase(events.slice(exec, end).filter((e) => ours(e.event)));
  const relabelled = prelude.map((e) => ({ event: relabel(e.event, picker, retriever), t: e.t }));
  return {
    parked,
    retriever,
    retrieverExt: extOf((t09[pickerFirst] as EslTraceEvent).event),
    lot,
    space,
    part: rebase([...relabelled, ...retrieval.map((e) => ({ event: e.event, t: e.t + preludeEnd + 0.02 }))]),
    tail: events.slice(end).filter((e) => ours(e.event)),
  };
}

/** A copy of an event with one uuid replaced by another (a leg of one trace playing a role in another). */
function relabel(e: EslEvent, from: string, to: string): EslEvent {
  const out: EslEvent = {};
  for (const [k, v] of Object.entries(e))
    out[k] = typeof v === "string" && v.includes(from) ? v.split(from).join(to) : v;
  return out;
}

function transferTemplate(library: EslTraceLibrary): TransferTemplate {
  const events = scenarioEvents(library.rawEvents("07"), true);
  const unbridge = must(
    find(
      events,
      (e) =>
        eventName(e) === "CHANNEL_UNBRIDGE" && (str(e, "Caller-Transfer-Source") ?? "").includes(":bl_xfer:"),
    ),
    "07 transfer",
  );
  const u = (events[unbridge] as EslTraceEvent).event;
  const transferred = uid(u) as string;
  const peer =
    str(u, "Bridge-A-Unique-ID") === transferred
      ? (str(u, "Bridge-B-Unique-ID") ?? "")
      : (str(u, "Bridge-A-Unique-ID") ?? "");
  const dest = (str(u, "Caller-Transfer-Source") ?? "").split(":bl_xfer:")[1] ?? "";
  const [exten = "", context = ""] = dest.split("/");
  const bridge = must(
    find(events, (e) => eventName(e) === "CHANNEL_BRIDGE"),
    "07 bridge",
  );
  const start = afterBridge(events, bridge);
  const playback = must(
    find(events, (e) => eventName(e) === "PLAYBACK_START" && uid(e) === transferred, start),
    "07 IVR playback",
  );
  const roles = new Set([transferred, peer]);
  const ours = (e: EslEvent) => roles.has(uid(e) ?? "");
  return {
    transferred,
    peer,
    exten,
    context,
    part: rebase(events.slice(start, playback + 1).filter((e) => ours(e.event))),
    tail: events.slice(playback + 1).filter((e) => ours(e.event)),
  };
}

function recordTemplate(library: EslTraceLibrary): RecordTemplate {
  const events = scenarioEvents(library.rawEvents("11"), true);
  const start = must(
    find(events, (e) => eventName(e) === "RECORD_START"),
    "11 RECORD_START",
  );
  const startEvent = (events[start] as EslTraceEvent).event;
  const leg = uid(startEvent) as string;
  const file = str(startEvent, "Record-File-Path") ?? "";
  const stop = must(
    find(events, (e) => eventName(e) === "RECORD_STOP", start),
    "11 RECORD_STOP",
  );
  const pick = (from: number, names: string[]) =>
    events
      .slice(from)
      .filter((e) => uid(e.event) === leg && names.includes(eventName(e.event)))
      .slice(0, 2);
  return {
    leg,
    file,
    start: rebase(pick(start, ["RECORD_START", "MEDIA_BUG_START"])),
    stop: rebase(pick(stop, ["RECORD_STOP", "MEDIA_BUG_STOP"])),
  };
}

function holdTemplate(library: EslTraceLibrary): HoldTemplate {
  const events = scenarioEvents(library.rawEvents("06"), true);
  const hold = must(
    find(events, (e) => eventName(e) === "CHANNEL_CALLSTATE" && str(e, "Channel-Call-State") === "HELD"),
    "06 HELD",
  );
  const leg = uid((events[hold] as EslTraceEvent).event) as string;
  const unhold = must(
    find(
      events,
      (e) => eventName(e) === "CHANNEL_CALLSTATE" && str(e, "Channel-Call-State") === "UNHELD",
      hold,
    ),
    "06 UNHELD",
  );
  const mine = (names: string[], from: number, count: number) =>
    events
      .slice(from)
      .filter((e) => uid(e.event) === leg && names.includes(eventName(e.event)))
      .slice(0, count);
  return {
    leg,
    hold: rebase(mine(["CHANNEL_CALLSTATE", "CHANNEL_HOLD"], hold, 2)),
    unhold: rebase(mine(["CHANNEL_CALLSTATE", "CHANNEL_UNHOLD"], unhold, 3)),
  };
}

/**
 * Click-to-call as FreeSWITCH does it (`originate {…}user/<caller> <destination> XML <context>`, captured
 * live on 1.11): the caller's phone is originated like trace 09's interceptor (outgoing, ringing,
 * answered), then its leg runs the dialplan and bridges the destination as trace `name`'s caller does
 * (01: an extension, 04: an outside number over the gateway), its leg already answered.
 */
function dialTemplate(library: EslTraceLibrary, name: string): DialTemplate {
  const events = scenarioEvents(library.rawEvents(name), true);
  const created = must(
    find(events, (e) => eventName(e) === "CHANNEL_CREATE"),
    `${name} caller`,
  );
  const createdEvent = (events[created] as EslTraceEvent).event;
  const caller = uid(createdEvent) as string;
  const exec = must(
    find(
      events,
      (e) => uid(e) === caller && eventName(e) === "CHANNEL_EXECUTE" && str(e, "Application") === "bridge",
    ),
    `${name} bridge`,
  );
  const callee = uid(
    (
      events[
        must(
          find(events, (e) => eventName(e) === "CHANNEL_OUTGOING", exec),
          `${name} callee`,
        )
      ] as EslTraceEvent
    ).event,
  ) as string;
  const end = afterBridge(
    events,
    must(
      find(events, (e) => eventName(e) === "CHANNEL_BRIDGE", exec),
      `${name} bridged`,
    ),
  );
  const roles = new Set([caller, callee]);
  // The caller's leg is up already: none of its ringing or answering, and it says answered.
  const dialled = events.slice(exec, end).flatMap((e) => {
    const ev = e.event;
    if (!roles.has(uid(ev) ?? "")) return [];
    if (uid(ev) !== caller) return [e];
    const n = eventName(ev);
    if (n === "CHANNEL_PROGRESS" || n === "CHANNEL_ANSWER") return [];
    if (n === "CHANNEL_CALLSTATE" && str(ev, "Channel-Call-State") === "RINGING") return [];
    return [{ t: e.t, event: { ...ev, "Answer-State": "answered" } }];
  });
  // How FreeSWITCH originates a phone: trace 09's interceptor up to its answer, playing the caller.
  const t09 = scenarioEvents(library.rawEvents("09"), true);
  const pickerExec = must(
    find(t09, (e) => eventName(e) === "CHANNEL_EXECUTE" && str(e, "Application") === "intercept"),
    "09 intercept",
  );
  const picker = uid((t09[pickerExec] as EslTraceEvent).event) as string;
  const pickerFirst = must(
    find(t09, (e) => uid(e) === picker),
    "09 picker leg",
  );
  const prelude = t09
    .slice(pickerFirst, pickerExec)
    .filter((e) => uid(e.event) === picker)
    .map((e) => ({ event: relabel(e.event, picker, caller), t: e.t }));
  const preludeEnd = prelude[prelude.length - 1]?.t ?? 0;
  const from = rebase(dialled);
  return {
    caller,
    callerExts: [extOf((t09[pickerFirst] as EslTraceEvent).event), extOf(createdEvent)],
    dialled: str(createdEvent, "Caller-Destination-Number") ?? "",
    part: rebase([
      ...rebase(prelude),
      ...from.map((e) => ({ event: e.event, t: e.t + preludeEnd - (prelude[0]?.t ?? 0) + 0.02 })),
    ]),
    tail: events.slice(end).filter((e) => roles.has(uid(e.event) ?? "")),
  };
}

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
//                          (esl-dial-template.ts)
// The trace-cutting helpers they share: esl-template-cuts.ts.

import type { MonitoringMode } from "../src/domain/directory.js";
import type { EslEvent } from "../src/pbx/freeswitch-esl/frame-parser.js";
import { type DialTemplate, dialTemplate } from "./esl-dial-template.js";
import { afterBridge, extOf, find, must, rebase, relabel, uid } from "./esl-template-cuts.js";
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

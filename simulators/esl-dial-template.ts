// The click-to-call command template (originate to an extension) cut out of the ESL traces: the caller's
// phone originated as trace 09's interceptor is, then its leg dialling as 01's (an extension) or 04's (an
// outside number) caller does (esl-commands.ts holds the other command templates).

import { afterBridge, extOf, find, must, rebase, relabel, uid } from "./esl-template-cuts.js";
import { type EslTraceEvent, type EslTraceLibrary, eventName, scenarioEvents, str } from "./esl-trace.js";

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

/**
 * Click-to-call as FreeSWITCH does it (`originate {…}user/<caller> <destination> XML <context>`, captured
 * live on 1.11): the caller's phone is originated like trace 09's interceptor (outgoing, ringing,
 * answered), then its leg runs the dialplan and bridges the destination as trace `name`'s caller does
 * (01: an extension, 04: an outside number over the gateway), its leg already answered.
 */
export function dialTemplate(library: EslTraceLibrary, name: string): DialTemplate {
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

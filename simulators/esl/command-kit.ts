// What the ESL simulator's commands are made of. A command plays the event sequence the real
// FreeSWITCH emitted for it (esl-commands.ts): the template's uuids bound to the live legs it acts on
// and fresh ones for the legs it creates, the live legs' identity laid over each event. Also how a
// command line splits into its arguments (FreeSWITCH's quoting) and an originate's `{variables}`.

import type { EslEvent } from "../../src/pbx/freeswitch-esl/frame-parser.js";
import type { EslCommandTemplates } from "../esl-commands.js";
import { EslRewriter, type EslTraceEvent } from "../esl-trace.js";
import type { ReplayEngine } from "../replay-engine.js";
import type { EslLiveState } from "./live-state.js";
import type { Instance, Step } from "./types.js";

/** The simulated FreeSWITCH's Core-UUID (the same in every event, as for one running switch). */
export const CORE_UUID = "5c51b0c4-0e5f-4b4c-9d59-ca11516b7e00";

/** What the commands share with the simulator: its live state, replays and event stream. */
export interface EslCore {
  readonly state: EslLiveState;
  readonly replays: ReplayEngine<Step, Instance>;
  readonly extensions: readonly string[];
  /** The SIP domain of the phones. */
  readonly domain: string;
  /** FreeSWITCH's db (mod_db): `realm/key` -> value. */
  readonly db: Map<string, string>;
  templates(): EslCommandTemplates;
  emit(event: EslEvent, inst?: Instance): void;
}

/** A rewriter that leaves the Core-UUID alone. */
export function eslRewriter(): EslRewriter {
  const rw = new EslRewriter();
  rw.keep.add(CORE_UUID);
  return rw;
}

/** A rewriter for a template whose new leg rings `templateExt`: it rings `ext` instead. */
export function newLegRewriter(templateExt: string, ext: string): EslRewriter {
  const rw = eslRewriter();
  rw.ext(templateExt, ext);
  return rw;
}

/** Template events -> steps: role uuids bound to live channels, everything else fresh. */
export function steps(
  events: readonly EslTraceEvent[],
  rw: EslRewriter,
  offsetMs = 0,
  overlay = true,
): Step[] {
  const t0 = events[0]?.t ?? 0;
  return events.map((e) => ({ at: offsetMs + (e.t - t0) * 1000, event: e.event, rw, overlay }));
}

/** A command's steps: `part` now, `tail` after it, on the call's replay if it has one. */
export function playOnCall(core: EslCore, inst: Instance | undefined, part: Step[], tail: Step[]): Instance {
  if (inst) {
    core.replays.replaceTail(inst, part, false, tail);
    return inst;
  }
  return core.replays.playNow([...part, ...tail]);
}

/** Splits on blanks, keeping `'…'` and `"…"` together (and dropping the quotes), as FreeSWITCH does. */
export function splitArgs(s: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quote: string | undefined;
  let any = false;
  for (const c of s) {
    if (quote) {
      if (c === quote) quote = undefined;
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      any = true;
    } else if (c === " " || c === "\t") {
      if (cur || any) out.push(cur);
      cur = "";
      any = false;
    } else {
      cur += c;
      any = true;
    }
  }
  if (cur || any) out.push(cur);
  return out;
}

/** `{a=b,c='d e'}rest` -> variables and the rest. */
export function splitVariables(spec: string): { vars: Record<string, string>; rest: string } {
  const vars: Record<string, string> = {};
  if (!spec.startsWith("{")) return { vars, rest: spec };
  let i = 1;
  let quote = false;
  let cur = "";
  const pairs: string[] = [];
  for (; i < spec.length; i++) {
    const c = spec[i] as string;
    if (c === "'") quote = !quote;
    else if (!quote && c === ",") {
      pairs.push(cur);
      cur = "";
    } else if (!quote && c === "}") break;
    else cur += c;
  }
  if (cur) pairs.push(cur);
  for (const p of pairs) {
    const eq = p.indexOf("=");
    if (eq > 0) vars[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return { vars, rest: spec.slice(i + 1) };
}

/** The first word of a command line, lowercased (what holdCommands and Job-Command name). */
export function firstWord(s: string): string {
  const t = s.trim();
  const i = t.indexOf(" ");
  return (i < 0 ? t : t.slice(0, i)).toLowerCase();
}

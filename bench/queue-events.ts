// Events per call: how many PBX events a queue or ring-group call costs against a direct call, raw and
// normalized. `node dist/bench/queue-events.js` prints a Markdown table (`--json` the rows).
//
// AMI, per capture (the call events the ingest bench streams: no responses, list items or session noise):
//   frames, no filter       what a session with `filters: none` receives, as ami-ingest streams it
//   frames, whitelist       what the driver's default session receives: AMI_WHITELIST_FILTERS, applied with
//                           Asterisk's match_filter semantics (simulators/ami-filter.ts)
//   parsed                  of those, the frames AmiFrameParser parses (the rest AMI_FRAME_INTEREST skips by name)
//   normalized              PbxEvents AmiTranslator makes of the whitelisted frames
//   model changes           ModelChanges LiveModel.apply reports for them (directory: `sales` owns the queue)
// ESL, per capture (BACKGROUND_JOB excluded, as esl-ingest does):
//   events, ALL             what an `event json ALL` session receives
//   events, subscription    what the driver's `event json` subscription (ESL_EVENTS) receives
//   parsed                  of those, the events EslConnection parses (the rest ESL_EVENT_INTEREST skips)
//   normalized, model changes  as for AMI, from the subscribed events

import { AmiEventFilter } from "../simulators/ami-filter.js";
import { serialize, TraceLibrary } from "../simulators/ami-trace.js";
import { EslTraceLibrary } from "../simulators/esl-trace.js";
import type { PbxEvent } from "../src/domain/events.js";
import { LiveModel } from "../src/domain/live-model.js";
import { AMI_WHITELIST_FILTERS } from "../src/pbx/asterisk-ami/driver.js";
import { AmiFrameParser } from "../src/pbx/asterisk-ami/frame-parser.js";
import { AMI_FRAME_INTEREST, AmiTranslator } from "../src/pbx/asterisk-ami/translate.js";
import { ESL_EVENT_INTEREST } from "../src/pbx/freeswitch-esl/event-interest.js";
import { EslTranslator } from "../src/pbx/freeswitch-esl/translate.js";
import { subscribed } from "./esl-ingest.js";
import { AMI_QUEUE, amiQueueLibrary, ESL_QUEUE, eslQueueLibrary, PBX, queueDirectory } from "./queue-mix.js";

export interface CallEvents {
  pbx: "AMI" | "ESL";
  capture: string;
  what: string;
  calls: number;
  /** AMI: frames without filters; ESL: events of `event json ALL`. */
  unfiltered: number;
  /** AMI: frames through the whitelist; ESL: events of the subscription. */
  received: number;
  parsed: number;
  normalized: number;
  /** Normalized events by type. */
  types: Record<string, number>;
  changes: number;
}

function tally(events: readonly PbxEvent[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of events) out[e.type] = (out[e.type] ?? 0) + 1;
  return out;
}

export function amiCallEvents(library: TraceLibrary, name: string, what: string, calls = 1): CallEvents {
  const filter = new AmiEventFilter();
  for (const f of AMI_WHITELIST_FILTERS) filter.add(f);
  const s = library.scenario(name);
  const texts = s.events.map((e) => serialize(e.fields));
  const passed = texts.filter((t) => filter.passes(t));
  const translator = new AmiTranslator(PBX);
  const model = new LiveModel(queueDirectory(AMI_QUEUE));
  const normalized: PbxEvent[] = [];
  let parsed = 0;
  let changes = 0;
  const parser = new AmiFrameParser(
    {
      frame: (f) => {
        parsed++;
        for (const e of translator.translate(f)) {
          normalized.push(e);
          changes += model.apply(e).length;
        }
      },
      malformed: (reason) => {
        throw new Error(`${name}: malformed frame (${reason})`);
      },
    },
    undefined,
    { banner: false, interest: AMI_FRAME_INTEREST },
  );
  parser.push(passed.join(""));
  // The whitelist must not lose anything the translation reads.
  const unfilteredTranslator = new AmiTranslator(PBX);
  let unfilteredNormalized = 0;
  const all = new AmiFrameParser(
    {
      frame: (f) => {
        unfilteredNormalized += unfilteredTranslator.translate(f).length;
      },
      malformed: () => undefined,
    },
    undefined,
    { banner: false },
  );
  all.push(texts.join(""));
  if (unfilteredNormalized !== normalized.length)
    throw new Error(`${name}: ${normalized.length} events whitelisted, ${unfilteredNormalized} unfiltered`);
  return {
    pbx: "AMI",
    capture: s.name,
    what,
    calls,
    unfiltered: texts.length,
    received: passed.length,
    parsed,
    normalized: normalized.length,
    types: tally(normalized),
    changes,
  };
}

export function eslCallEvents(library: EslTraceLibrary, name: string, what: string, calls = 1): CallEvents {
  const raw = library.rawEvents(name).filter((e) => e["Event-Name"] !== "BACKGROUND_JOB");
  const sub = raw.filter(subscribed);
  const translator = new EslTranslator(PBX);
  const model = new LiveModel(queueDirectory(ESL_QUEUE));
  const normalized: PbxEvent[] = [];
  let parsed = 0;
  let changes = 0;
  for (const e of sub) {
    const n = String(e["Event-Name"]);
    if (ESL_EVENT_INTEREST.ignore.has(n) || ESL_EVENT_INTEREST.skip(n, Buffer.from(JSON.stringify(e)))) {
      translator.skipped();
      continue;
    }
    parsed++;
    for (const x of translator.translate(e)) {
      normalized.push(x);
      changes += model.apply(x).length;
    }
  }
  return {
    pbx: "ESL",
    capture: library.resolve(name),
    what,
    calls,
    unfiltered: raw.length,
    received: sub.length,
    parsed,
    normalized: normalized.length,
    types: tally(normalized),
    changes,
  };
}

export function callEventRows(): CallEvents[] {
  const ami = new TraceLibrary();
  const amiQ = amiQueueLibrary();
  const esl = new EslTraceLibrary();
  const eslQ = eslQueueLibrary();
  return [
    amiCallEvents(ami, "05", "direct inbound, answered"),
    amiCallEvents(ami, "14", "direct inbound burst (per call)", 50),
    amiCallEvents(amiQ, "30", "ring group ringall (3 phones), answered"),
    amiCallEvents(amiQ, "31", "ring group hunt (2 of 3 tried), answered"),
    amiCallEvents(amiQ, "32", "queue 400 (2 agents ring), answered"),
    amiCallEvents(amiQ, "33", "queue 400 (2 agents ring), abandoned"),
    amiCallEvents(amiQ, "34", "agent pause/unpause/add/remove (no call)", 0),
    eslCallEvents(esl, "05", "direct inbound, answered"),
    eslCallEvents(eslQ, "30", "callcenter queue (2 agents ring), answered"),
    eslCallEvents(eslQ, "31", "callcenter queue, abandoned"),
    eslCallEvents(eslQ, "32", "agent status/state, agent and tier add/remove (no call)", 0),
  ];
}

function main(): void {
  const rows = callEventRows();
  if (process.argv.includes("--json")) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  const per = (n: number, calls: number) => (calls > 1 ? `${Math.round((n / calls) * 100) / 100}` : `${n}`);
  const head =
    "| PBX | capture | what | raw (AMI no filter / ESL ALL) | received (AMI whitelist / ESL subscription) | parsed | normalized | model changes |";
  const lines = [head, "|---|---|---|---:|---:|---:|---:|---:|"];
  for (const r of rows) {
    const c = Math.max(1, r.calls);
    lines.push(
      `| ${r.pbx} | ${r.capture} | ${r.what} | ${per(r.unfiltered, c)} | ${per(r.received, c)} | ` +
        `${per(r.parsed, c)} | ${per(r.normalized, c)} | ${per(r.changes, c)} |`,
    );
  }
  lines.push("", "Normalized events by type:", "");
  for (const r of rows) {
    const types = Object.entries(r.types)
      .sort((a, b) => b[1] - a[1])
      .map(([t, n]) => `${t} ${per(n, Math.max(1, r.calls))}`)
      .join(", ");
    lines.push(`- ${r.pbx} ${r.capture}: ${types}`);
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}

if (process.argv[1]?.endsWith("queue-events.js")) main();

// `callsight replay <trace> --format ami|events [--config callsight.yaml] [--json]`

import { existsSync } from "node:fs";
import type { Directory } from "../domain/directory.js";
import type { PbxEvent } from "../domain/events.js";
import { EndpointClassifier } from "../pbx/endpoints.js";
import { readTrace, TRACE_FORMATS } from "../replay/formats.js";
import { directoryFromEvents, type ReplayStep, replay } from "../replay/replay.js";
import type { CliIo } from "./io.js";

export interface ReplayArgs {
  trace: string;
  format: string;
  config?: string;
  json: boolean;
  pbx?: string;
}

export async function replayCommand(args: ReplayArgs, io: CliIo): Promise<number> {
  if (!TRACE_FORMATS.includes(args.format)) {
    io.err(`callsight replay: unknown --format "${args.format}" (known: ${TRACE_FORMATS.join(", ")})`);
    return 2;
  }
  if (!existsSync(args.trace)) {
    io.err(`callsight replay: no such file ${args.trace}`);
    return 2;
  }
  let directory: Directory | undefined;
  let pbx = args.pbx ?? "pbx";
  let classifier = new EndpointClassifier();
  if (args.config) {
    const { loadConfig, endpointRulesFor } = await import("../config/load.js");
    const config = loadConfig(args.config);
    const pbxConfig = config.pbx.find((p) => p.id === args.pbx) ?? config.pbx[0];
    if (!pbxConfig) throw new Error(`${args.config}: no pbx configured`);
    pbx = pbxConfig.id;
    classifier = new EndpointClassifier(endpointRulesFor(config, pbx));
    directory = config.directory;
  }
  const read = readTrace(args.trace, args.format, { pbx, classifier });
  for (const problem of read.problems.slice(0, 20)) io.err(`warning: ${problem}`);
  if (read.problems.length > 20) io.err(`warning: ${read.problems.length - 20} more problems`);
  directory ??= directoryFromEvents(read.events);
  const start = read.events.find((e) => e.at > 0)?.at ?? 0;
  const onStep = args.json ? undefined : (step: ReplayStep) => io.out(describeStep(step, start));
  const result = replay(read.events, directory, onStep);
  if (args.json) {
    io.out(JSON.stringify(result, null, 2));
    return 0;
  }
  io.out("");
  io.out("calls:");
  for (const call of result.calls) {
    const parties = call.parties
      .map((p) => p.user ?? `${p.number}${p.external ? " (external)" : ""}`)
      .join(" <-> ");
    const monitoring = call.monitoring.map((m) => ` ${m.mode} by ${m.by} on ${m.target}`).join(",");
    io.out(
      `  ${call.id}  ${call.direction}  ${call.answered ? "answered" : "not answered"}  ${call.state}  ${parties}` +
        `${call.recorded ? "  recorded" : ""}${monitoring ? `  monitoring:${monitoring}` : ""}`,
    );
  }
  io.out("presence:");
  for (const [user, line] of Object.entries(result.presenceTimeline)) {
    io.out(`  ${user}: ${line.join(" -> ")}  (now ${result.final.presence[user]})`);
  }
  return 0;
}

function describeStep(step: ReplayStep, start: number): string {
  const e = step.event;
  const t = e.at > 0 && start > 0 ? `+${((e.at - start) / 1000).toFixed(3)}s` : "";
  const presence = step.changes
    .filter((c) => c.kind === "presence")
    .map((c) => (c.kind === "presence" ? `${c.user}: ${c.previous} -> ${c.presence}` : ""))
    .join(", ");
  return `${t.padStart(10)}  ${e.type.padEnd(20)} ${summary(e)}${presence ? `   [${presence}]` : ""}`;
}

function summary(e: PbxEvent): string {
  switch (e.type) {
    case "leg.created":
      return `${e.channel} ${e.side} ${e.number}${e.name ? ` "${e.name}"` : ""} call ${e.callId}`;
    case "leg.hangup":
      return `${e.leg} cause ${e.cause} ${e.causeText}`;
    case "leg.bridged":
      return `${e.leg} bridge ${e.bridge.slice(0, 8)} call ${e.callId}`;
    case "monitoring.started":
      return `${e.spy} ${e.mode} on ${e.target}`;
    case "device.reachability":
      return `${e.endpoint} ${e.reachable ? "reachable" : "unreachable"}`;
    case "presence.state":
      return `${e.extension} ${e.state}${e.message ? ` "${e.message}"` : ""}`;
    case "presence.dnd":
      return `${e.extension} dnd ${e.on ? "on" : "off"}`;
    case "call.parked":
      return `${e.leg} at ${e.lot}/${e.space}`;
    case "pbx.snapshot":
      return `${e.legs.length} legs`;
    default: {
      const { type: _t, pbx: _p, at: _a, ...rest } = e as PbxEvent & Record<string, unknown>;
      return Object.entries(rest)
        .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
        .join(" ");
    }
  }
}

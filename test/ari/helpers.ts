// Shared helpers for the ARI tests: a simulated ARI server with a driver connected to it and a live
// model fed by the driver, and a mirror that plays the AMI capture of the same call into an
// AmiSimulator (the AMI companion's view of the same PBX, with the same ids).

import { readFileSync } from "node:fs";
import type { Logger } from "pino";
import type { AmiSimulator } from "../../simulators/ami-simulator.js";
import { type Fields, get, parseAmiText, scenarioEvents } from "../../simulators/ami-trace.js";
import {
  type AriCallOptions,
  AriServer,
  type AriServerOptions,
  type AriSimCall,
} from "../../simulators/ari-server.js";
import { parseAriJsonl } from "../../simulators/ari-trace.js";
import type { PbxEvent } from "../../src/domain/events.js";
import { LiveModel, type ModelChange } from "../../src/domain/live-model.js";
import { AsteriskAriDriver, type AsteriskAriDriverOptions } from "../../src/pbx/asterisk-ari/driver.js";
import { ariTime } from "../../src/pbx/asterisk-ari/types.js";
import { readTrace } from "../../src/replay/formats.js";
import { replay, toReplayCall } from "../../src/replay/replay.js";
import { directory, silentLogger, waitFor } from "../ami/helpers.js";

export { capturingLogger, directory, silentLogger, sleep, waitFor } from "../ami/helpers.js";

export interface Harness {
  sim: AriServer;
  driver: AsteriskAriDriver;
  model: LiveModel;
  events: PbxEvent[];
  changes: ModelChange[];
  close(): Promise<void>;
}

export async function harness(
  opts: {
    /** An already started server (its calls may predate the driver); default: a fresh one. */
    server?: AriServer;
    sim?: AriServerOptions;
    driver?: Partial<AsteriskAriDriverOptions>;
    logger?: Logger;
    start?: boolean;
  } = {},
): Promise<Harness> {
  const sim = opts.server ?? new AriServer({ commandTimeScale: 0.05, ...opts.sim });
  if (!opts.server) await sim.start();
  const driver = new AsteriskAriDriver({
    pbx: "pbx",
    host: "127.0.0.1",
    port: sim.port,
    username: "callsight",
    secret: "callsight",
    backoff: { initialMs: 20, maxMs: 200 },
    originateTimeoutSec: 5,
    logger: opts.logger ?? silentLogger(),
    ...opts.driver,
  });
  const model = new LiveModel(directory("pbx"));
  const events: PbxEvent[] = [];
  const changes: ModelChange[] = [];
  driver.onEvents((batch) => {
    for (const e of batch) {
      events.push(e);
      for (const c of model.apply(e)) changes.push(c);
    }
  });
  if (opts.start ?? true) {
    driver.start();
    await waitFor(() => driver.status().connected, "ARI driver connected");
  }
  return {
    sim,
    driver,
    model,
    events,
    changes,
    close: async () => {
      await driver.stop();
      await sim.stop();
    },
  };
}

/**
 * Replays one capture on both links in step: the ARI stream on the AriServer and the AMI stream of the
 * same capture on the AmiSimulator, with the ids the ARI replay gave the call and the relative timing
 * of the capture (whichever link saw the first event starts first). `until` stops the AMI side at the
 * first frame it matches.
 */
export function replayOnBoth(
  ari: AriServer,
  ami: AmiSimulator,
  scenario: string,
  options: {
    timeScale?: number;
    pauseAt?: AriCallOptions["pauseAt"];
    until?: (fields: Fields) => boolean;
  } = {},
): { call: AriSimCall; mirrored: Promise<void> } {
  const scale = options.timeScale ?? 0.05;
  const call = ari.startCall(scenario, { pauseAt: 0, timeScale: scale });
  const frames = scenarioEvents(
    parseAmiText(readFileSync(`test/fixtures/asterisk/${scenario}.ami.txt`, "latin1")),
  );
  const stop = options.until ? frames.findIndex((f) => options.until?.(f.fields)) : -1;
  const played = stop >= 0 ? frames.slice(0, stop) : frames;
  const stamp = (f: { fields: Fields }) => Number.parseFloat(get(f.fields, "Timestamp") ?? "") * 1000;
  const amiFirst = frames.map(stamp).find((t) => Number.isFinite(t)) ?? call.capturedAt;
  const first = Math.min(amiFirst, call.capturedAt);
  const origin = Date.now() + 20;
  setTimeout(
    () => {
      call.resume();
      if (options.pauseAt !== undefined) ari.pause(call, options.pauseAt);
    },
    Math.max(0, origin + (call.capturedAt - first) * scale - Date.now()),
  );
  let last = first;
  const timers = played.map((f) => {
    const t = stamp(f);
    const at = Number.isFinite(t) ? t : last;
    last = at;
    return new Promise<void>((resolve) =>
      setTimeout(
        () => {
          ami.emitEvent(
            f.fields.map(([k, v]) => [
              k,
              k === "Timestamp" ? (Date.now() / 1000).toFixed(6) : call.rewrite(v),
            ]),
          );
          resolve();
        },
        Math.max(0, origin + (at - first) * scale - Date.now()),
      ),
    );
  });
  return { call, mirrored: Promise.all(timers).then(() => undefined) };
}

/**
 * Replays one capture on both links from one schedule, in the capture's order across the links (the
 * order the PBX made the events in, by its timestamps; equal times ARI first): each ARI event is
 * stepped out of the AriServer and each AMI event emitted on the AmiSimulator as its turn comes, so a
 * late timer on a loaded machine delays the replay but never reorders the simulated PBX. Both
 * simulators stamp events with the wall clock: an ARI event that follows an AMI one waits for the next
 * millisecond, so the PBX times order them as the capture does. Resolves when both are played.
 */
export async function replayInStep(
  ari: AriServer,
  ami: AmiSimulator,
  scenario: string,
  options: { timeScale?: number } = {},
): Promise<AriSimCall> {
  const scale = options.timeScale ?? 0.05;
  const call = ari.startCall(scenario, { pauseAt: 0, timeScale: scale });
  const file = `test/fixtures/asterisk/${scenario}`;
  type Turn = { t: number; ari?: number; ami?: Fields };
  const turns: Turn[] = [];
  let last = Number.NEGATIVE_INFINITY;
  parseAriJsonl(readFileSync(`${file}.ari.jsonl`, "utf8")).forEach((e, i) => {
    last = Math.max(last, ariTime(e.event.timestamp) ?? last);
    turns.push({ t: last, ari: i });
  });
  for (const f of scenarioEvents(parseAmiText(readFileSync(`${file}.ami.txt`, "latin1")))) {
    const t = Number.parseFloat(get(f.fields, "Timestamp") ?? "") * 1000;
    last = Number.isFinite(t) ? t : last;
    turns.push({ t: last, ami: f.fields });
  }
  // Stable sort: each link keeps its own order; equal times put ARI (listed first) first.
  turns.sort((a, b) => a.t - b.t);
  const first = turns[0]?.t ?? 0;
  const origin = Date.now();
  let amiAt = Number.NEGATIVE_INFINITY;
  for (const turn of turns) {
    const due = origin + (turn.t - first) * scale;
    while (Date.now() < due || (turn.ari !== undefined && Date.now() <= amiAt)) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, due - Date.now())));
    }
    if (turn.ari !== undefined) {
      ari.pause(call, turn.ari + 1);
      call.resume();
    } else if (turn.ami) {
      amiAt = Date.now();
      ami.emitEvent(turn.ami.map(([k, v]) => [k, call.rewrite(v)]));
    }
  }
  await call.done;
  return call;
}

export interface Outcome {
  calls: unknown[];
  timeline: Record<string, string[]>;
  states: Record<string, string[]>;
}

/** What a model went through: the ended calls, each user's presence line and each call's states. */
export function summarize(changes: readonly ModelChange[], initial: Record<string, string>): Outcome {
  const timeline: Record<string, string[]> = {};
  for (const [u, p] of Object.entries(initial)) timeline[u] = [p];
  const states: Record<string, string[]> = {};
  const calls: unknown[] = [];
  for (const c of changes) {
    if (c.kind === "presence") {
      const line = timeline[c.user] ?? [c.previous];
      timeline[c.user] = line;
      if (line[line.length - 1] !== c.presence) line.push(c.presence);
    } else if (c.kind === "call" || c.kind === "call-ended") {
      const line = states[c.call.id] ?? [];
      states[c.call.id] = line;
      const s = `${c.call.state}${c.call.parked ? `@${c.call.parked.space}` : ""}${c.call.recording ? "+rec" : ""}`;
      if (line[line.length - 1] !== s) line.push(s);
      if (c.kind === "call-ended") {
        const { id: _id, ...rest } = toReplayCall(c.call);
        calls.push(rest);
      }
    }
  }
  return { calls, timeline, states: Object.fromEntries(Object.values(states).map((s, i) => [String(i), s])) };
}

/** The model the AMI capture alone gives (the reference). */
export function amiOnly(scenario: string): Outcome {
  const read = readTrace(`test/fixtures/asterisk/${scenario}.ami.txt`, "ami", { pbx: "pbx" });
  const changes: ModelChange[] = [];
  const dir = directory("pbx");
  const initial = Object.fromEntries([...dir.users.keys()].map((u) => [u, "available"]));
  replay(read.events, dir, (step) => changes.push(...step.changes));
  return summarize(changes, initial);
}

// Queue-heavy ingest: is ingest throughput on a mix dominated by queue and ring-group calls within 10 % of the
// current figure? The ami-ingest / esl-ingest measurement (same loopback servers, same client code, the same
// re-id'd replication of the captures) on two mixes in the same process, interleaved run by run (the order
// alternating), so the answer does not compare figures across runs or machines:
//   current mix      exactly the stream behind ami.ingest.eventsPerSec / esl.ingest.eventsPerSec (each
//                    capture of test/fixtures/<pbx>, 20 copies on AMI, 40 on ESL's subscription)
//   queue-heavy mix  per copy the current mix's copy once plus the captures of test/fixtures/queues/<pbx>
//                    (ring groups, queue answered/abandoned, agent pause/status) repeated until they are at
//                    least 75 % of the events (QUEUE_SHARE); copies so the total is about the current mix's
// Both run against a directory where department `sales` owns the captures' queue (queue-mix.ts), as a site
// with queue panels is configured; the model's QueueBook takes every queue event. Board views (calls, queue
// panels) are not built here: the ingest benches measure socket -> parser -> translator -> LiveModel.apply.
//   ami.queues.currentMix.eventsPerSec    ours on the current mix; baseline asterisk-manager on it
//   ami.queues.queueMix.eventsPerSec      ours on the queue-heavy mix; baseline asterisk-manager on it
//   ami.queues.queueVsCurrentPct          queue-heavy / current, ours, best runs (100 = as fast)
//   ami.queues.queueMix.queueEventsPct    the queue captures' share of the queue-heavy mix
//   ami.queues.whitelisted.…              ours on both mixes as the driver's default session receives them
//                                         (AMI_WHITELIST_FILTERS, Asterisk's match_filter semantics), 5x copies
//   ….mbPerSec, ….bytesPerEvent           the mixes' event sizes differ: ESL is bound by bytes more than events
//   esl.queues.…                          the same on ESL's subscription (baseline modesl), and
//   esl.queues.…allEventsPerSec           on `event json ALL` (ours only)
// Best of `runs` per client and mix, as the ingest benches report; every run is logged.

import { AmiEventFilter } from "../simulators/ami-filter.js";
import { TraceLibrary } from "../simulators/ami-trace.js";
import { EslTraceLibrary } from "../simulators/esl-trace.js";
import type { LiveModel, LiveModelOptions } from "../src/domain/live-model.js";
import { AMI_WHITELIST_FILTERS } from "../src/pbx/asterisk-ami/driver.js";
import type { EslEvent } from "../src/pbx/freeswitch-esl/frame-parser.js";
import { buildScenarioStream, buildStream, type Figure, runBaseline, runOurs } from "./ami-ingest.js";
import {
  buildEslStream,
  buildEslTemplateStream,
  gcFunction,
  runModesl,
  runOurs as runOursEsl,
  subscribed,
} from "./esl-ingest.js";
import {
  AMI_QUEUE,
  amiQueueLibrary,
  amiScenarios,
  ESL_QUEUE,
  eslQueueLibrary,
  eslTemplates,
  PBX,
  QUEUE_SHARE,
  queueDirectory,
  queueRound,
} from "./queue-mix.js";

export interface QueueIngestOptions {
  /** Copies of the current mix. Default 20 (AMI) / 40 (ESL), as ami-ingest / esl-ingest. */
  copies?: number;
  /** Runs per client and mix, interleaved; the best is kept. Default 3. */
  runs?: number;
  /** Queue captures' share of the queue-heavy mix's events. Default 0.75. */
  share?: number;
  log?: (line: string) => void;
}

interface Stream {
  bytes: Buffer;
  events: number;
}

const round = (n: number) => Math.round(n);
const ratio = (x: number, y: number) => Math.round((x / y) * 100) / 100;
const pct = (x: number, y: number) => Math.round((x / y) * 1000) / 10;
const mb = (s: Stream) => (s.bytes.length / 1048576).toFixed(1);
const bytesPerEvent = (s: Stream) => Math.round(s.bytes.length / s.events);
/** MB/s at `eventsPerSec` on stream `s`. */
const mbPerSec = (eventsPerSec: number, s: Stream) =>
  Math.round(((eventsPerSec * s.bytes.length) / s.events / 1048576) * 10) / 10;

/**
 * The captures were made on two days (test/fixtures/queues/*: 6 and 7 December): with the queue panel's
 * day counted in UTC they would restart the day's counters twice per copy. Both mixes count one day.
 */
const ONE_DAY: LiveModelOptions = { dayOf: () => "bench" };

/** The queue-heavy mix went through the queue: callers were taken and abandoned, no call is left behind. */
function checkQueue(queue: string, what: string): (model: LiveModel) => void {
  return (model) => {
    const q = model.queueState(PBX, queue);
    if (!q || q.today.answered === 0 || q.today.abandoned === 0)
      throw new Error(
        `${what}: queue ${queue} saw no answered or abandoned caller (${JSON.stringify(q?.today)})`,
      );
    if (q.waiting.length !== 0)
      throw new Error(`${what}: ${q.waiting.length} callers left waiting in ${queue}`);
  };
}

/**
 * Runs `measure(mix)` for each mix, `runs` times, the order alternating run by run; keeps each mix's best.
 */
async function interleaved(
  runs: number,
  mixes: readonly string[],
  measure: (mix: string) => Promise<number>,
  log: (line: string) => void,
  what: string,
): Promise<Map<string, number>> {
  const best = new Map<string, number>();
  const gc = gcFunction();
  for (let r = 0; r < runs; r++) {
    const order = r % 2 === 0 ? mixes : [...mixes].reverse();
    const line: string[] = [];
    for (const mix of order) {
      gc();
      const v = await measure(mix);
      best.set(mix, Math.max(best.get(mix) ?? 0, v));
      line.push(`${mix} ${round(v)}`);
    }
    log(`${what} run ${r + 1}: ${line.join(", ")} ev/s`);
  }
  return best;
}

export async function benchAmiIngestQueues(opts: QueueIngestOptions = {}): Promise<Record<string, Figure>> {
  const log = opts.log ?? (() => undefined);
  const runs = opts.runs ?? 3;
  const library = new TraceLibrary();
  const mix = queueRound(
    amiScenarios(library),
    amiScenarios(amiQueueLibrary()),
    (s) => s.events.length,
    opts.share ?? QUEUE_SHARE,
  );
  const current = buildStream(opts.copies ?? 20, library);
  const copies = Math.max(1, Math.round(current.events / mix.events));
  const heavy = buildScenarioStream(copies, mix.items);
  const queueShare = pct(mix.queueEvents, mix.events);
  log(
    `ami-ingest-queues: current mix ${current.events} events ${mb(current)} MB; queue-heavy mix ${heavy.events} ` +
      `events ${mb(heavy)} MB (${copies} copies, queue captures x${mix.queueRepeats} per copy, ${queueShare} % ` +
      `of the events)`,
  );
  const dir = queueDirectory(AMI_QUEUE);
  const check = checkQueue(AMI_QUEUE, "ami queue-heavy mix");
  const streams: Record<string, Stream> = { current, queue: heavy };
  // Warm-up (JIT) on both mixes, both clients.
  const warm = { current: buildStream(2, library), queue: buildScenarioStream(1, mix.items) };
  for (const s of Object.values(warm)) {
    await runOurs(s.bytes, s.events, dir, undefined, ONE_DAY);
    await runBaseline(s.bytes, s.events);
  }
  const ours = await interleaved(
    runs,
    ["current", "queue"],
    (m) => {
      const s = streams[m] as Stream;
      return runOurs(s.bytes, s.events, dir, m === "queue" ? check : undefined, ONE_DAY);
    },
    log,
    "ami-ingest-queues ours",
  );
  const base = await interleaved(
    runs,
    ["current", "queue"],
    (m) => runBaseline((streams[m] as Stream).bytes, (streams[m] as Stream).events),
    log,
    "ami-ingest-queues asterisk-manager",
  );
  // The same two mixes as the driver's default session gets them (AMI_WHITELIST_FILTERS): a fifth of the
  // frames, so five times the copies.
  const filter = new AmiEventFilter();
  for (const f of AMI_WHITELIST_FILTERS) filter.add(f);
  const passes = (text: string) => filter.passes(text);
  const direct = amiScenarios(library);
  const wl: Record<string, Stream> = {
    current: buildScenarioStream(5 * (opts.copies ?? 20), direct, passes),
    queue: buildScenarioStream(5 * copies, mix.items, passes),
  };
  log(
    `ami-ingest-queues whitelisted: current mix ${wl.current?.events} events, queue-heavy mix ${wl.queue?.events} events`,
  );
  const white = await interleaved(
    runs,
    ["current", "queue"],
    (m) => {
      const s = wl[m] as Stream;
      return runOurs(s.bytes, s.events, dir, m === "queue" ? check : undefined, ONE_DAY);
    },
    log,
    "ami-ingest-queues whitelisted ours",
  );
  const oc = ours.get("current") ?? 0;
  const oq = ours.get("queue") ?? 0;
  const bc = base.get("current") ?? 0;
  const bq = base.get("queue") ?? 0;
  const wc = white.get("current") ?? 0;
  const wq = white.get("queue") ?? 0;
  return {
    "ami.queues.whitelisted.currentMix.eventsPerSec": { value: round(wc), unit: "events/s" },
    "ami.queues.whitelisted.queueMix.eventsPerSec": { value: round(wq), unit: "events/s" },
    "ami.queues.whitelisted.queueVsCurrentPct": { value: pct(wq, wc), unit: "%" },
    "ami.queues.currentMix.eventsPerSec": {
      value: round(oc),
      unit: "events/s",
      baseline: round(bc),
      ratio: ratio(oc, bc),
    },
    "ami.queues.queueMix.eventsPerSec": {
      value: round(oq),
      unit: "events/s",
      baseline: round(bq),
      ratio: ratio(oq, bq),
    },
    "ami.queues.queueVsCurrentPct": { value: pct(oq, oc), unit: "%" },
    "ami.queues.baselineQueueVsCurrentPct": { value: pct(bq, bc), unit: "%" },
    "ami.queues.queueMix.queueEventsPct": { value: queueShare, unit: "%" },
    "ami.queues.currentMix.mbPerSec": { value: mbPerSec(oc, current), unit: "MB/s" },
    "ami.queues.queueMix.mbPerSec": { value: mbPerSec(oq, heavy), unit: "MB/s" },
    "ami.queues.currentMix.bytesPerEvent": { value: bytesPerEvent(current), unit: "B" },
    "ami.queues.queueMix.bytesPerEvent": { value: bytesPerEvent(heavy), unit: "B" },
  };
}

export async function benchEslIngestQueues(opts: QueueIngestOptions = {}): Promise<Record<string, Figure>> {
  const log = opts.log ?? (() => undefined);
  const runs = opts.runs ?? 3;
  const library = new EslTraceLibrary();
  const sizeOnSubscription = (t: readonly EslEvent[]) =>
    t.filter((e) => e["Event-Name"] !== "BACKGROUND_JOB" && subscribed(e)).length;
  const mix = queueRound(
    eslTemplates(library),
    eslTemplates(eslQueueLibrary()),
    sizeOnSubscription,
    opts.share ?? QUEUE_SHARE,
  );
  const currentCopies = opts.copies ?? 40;
  const current = buildEslStream(currentCopies, subscribed, library);
  const copies = Math.max(1, Math.round(current.events / mix.events));
  const heavy = buildEslTemplateStream(copies, mix.items, subscribed);
  const currentAll = buildEslStream(currentCopies, () => true, library);
  const heavyAll = buildEslTemplateStream(copies, mix.items);
  const queueShare = pct(mix.queueEvents, mix.events);
  log(
    `esl-ingest-queues: subscribed current mix ${current.events} events ${mb(current)} MB; queue-heavy mix ` +
      `${heavy.events} events ${mb(heavy)} MB (${copies} copies, queue captures x${mix.queueRepeats} per copy, ` +
      `${queueShare} % of the events); ALL: current ${currentAll.events}, queue-heavy ${heavyAll.events}`,
  );
  const dir = queueDirectory(ESL_QUEUE);
  const check = checkQueue(ESL_QUEUE, "esl queue-heavy mix");
  const streams: Record<string, Stream> = {
    current,
    queue: heavy,
    "current ALL": currentAll,
    "queue ALL": heavyAll,
  };
  const warm = {
    current: buildEslStream(6, subscribed, library),
    queue: buildEslTemplateStream(1, mix.items, subscribed),
  };
  for (let i = 0; i < 2; i++) {
    for (const s of Object.values(warm)) {
      await runOursEsl(s.bytes, s.events, dir, undefined, ONE_DAY);
      await runModesl(s.bytes, s.events);
    }
  }
  const ourRun = (m: string) => {
    const s = streams[m] as Stream;
    return runOursEsl(s.bytes, s.events, dir, m.startsWith("queue") ? check : undefined, ONE_DAY);
  };
  const ours = await interleaved(runs, ["current", "queue"], ourRun, log, "esl-ingest-queues ours");
  const base = await interleaved(
    runs,
    ["current", "queue"],
    (m) => runModesl((streams[m] as Stream).bytes, (streams[m] as Stream).events),
    log,
    "esl-ingest-queues modesl",
  );
  const all = await interleaved(runs, ["current ALL", "queue ALL"], ourRun, log, "esl-ingest-queues ours");
  const oc = ours.get("current") ?? 0;
  const oq = ours.get("queue") ?? 0;
  const bc = base.get("current") ?? 0;
  const bq = base.get("queue") ?? 0;
  const ac = all.get("current ALL") ?? 0;
  const aq = all.get("queue ALL") ?? 0;
  return {
    "esl.queues.currentMix.eventsPerSec": {
      value: round(oc),
      unit: "events/s",
      baseline: round(bc),
      ratio: ratio(oc, bc),
    },
    "esl.queues.queueMix.eventsPerSec": {
      value: round(oq),
      unit: "events/s",
      baseline: round(bq),
      ratio: ratio(oq, bq),
    },
    "esl.queues.queueVsCurrentPct": { value: pct(oq, oc), unit: "%" },
    "esl.queues.baselineQueueVsCurrentPct": { value: pct(bq, bc), unit: "%" },
    "esl.queues.currentMix.allEventsPerSec": { value: round(ac), unit: "events/s" },
    "esl.queues.queueMix.allEventsPerSec": { value: round(aq), unit: "events/s" },
    "esl.queues.allQueueVsCurrentPct": { value: pct(aq, ac), unit: "%" },
    "esl.queues.queueMix.queueEventsPct": { value: queueShare, unit: "%" },
    "esl.queues.currentMix.mbPerSec": { value: mbPerSec(oc, current), unit: "MB/s" },
    "esl.queues.queueMix.mbPerSec": { value: mbPerSec(oq, heavy), unit: "MB/s" },
    "esl.queues.currentMix.bytesPerEvent": { value: bytesPerEvent(current), unit: "B" },
    "esl.queues.queueMix.bytesPerEvent": { value: bytesPerEvent(heavy), unit: "B" },
  };
}

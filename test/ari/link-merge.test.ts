// The merge of ARI's events and the AMI companion's facts by PBX time (link-merge.ts), without sockets
// or wall clock: the two links of a real capture (ARI's events through the ARI translator, the
// companion's facts through the companion's Filters and the AMI translator) are delivered in random
// interleavings that keep each link's own order, with the companion's barrier Pings answered at random
// PBX times, into a LiveModel that must end up as the AMI capture alone gives it. Timers and the clock
// are fake: nothing waits for the hold time until the end, where it passes.

import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AmiEventFilter } from "../../simulators/ami-filter.js";
import { type Fields, parseAmiText, scenarioEvents, serialize } from "../../simulators/ami-trace.js";
import { parseAriJsonl } from "../../simulators/ari-trace.js";
import type { PbxEvent } from "../../src/domain/events.js";
import { LiveModel, type ModelChange } from "../../src/domain/live-model.js";
import type { AmiFrame } from "../../src/pbx/asterisk-ami/frame-parser.js";
import { AmiTranslator } from "../../src/pbx/asterisk-ami/translate.js";
import { COMPANION_FACTS, COMPANION_FILTERS } from "../../src/pbx/asterisk-ari/companion-facts.js";
import type { Timers } from "../../src/pbx/asterisk-ari/held-facts.js";
import { type Link, LinkMerge, MergedLinks } from "../../src/pbx/asterisk-ari/link-merge.js";
import { AriTranslator } from "../../src/pbx/asterisk-ari/translate.js";
import { type AriEvent, ariTime } from "../../src/pbx/asterisk-ari/types.js";
import { amiOnly, directory, type Outcome, summarize } from "./helpers.js";

const HOLD_MS = 2000;
const SEED = 0x14_16;
const RUNS = 60;

class FakeTimers implements Timers {
  private seq = 0;
  private readonly due = new Map<number, { fn: () => void; at: number }>();
  constructor(private readonly now: () => number) {}
  set(fn: () => void, ms: number): unknown {
    this.due.set(++this.seq, { fn, at: this.now() + ms });
    return this.seq;
  }
  clear(handle: unknown): void {
    this.due.delete(handle as number);
  }
  get pending(): boolean {
    return this.due.size > 0;
  }
  /** Runs the timers that are due. */
  fire(): void {
    for (const [id, t] of [...this.due]) {
      if (t.at > this.now() || !this.due.has(id)) continue;
      this.due.delete(id);
      t.fn();
    }
  }
}

/** Every microtask and promise continuation queued so far has run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

interface AriMessage {
  raw: AriEvent;
  events: PbxEvent[];
  time: number | undefined;
}

interface CompanionRead {
  facts: PbxEvent[];
  time: number;
}

/** ARI's side: each message of the capture, translated as the driver does with a companion. */
function ariLink(scenario: string): AriMessage[] {
  const translator = new AriTranslator("pbx", undefined, {
    parkingFromBridges: false,
    mixMonitorFromVarset: false,
  });
  return parseAriJsonl(readFileSync(`test/fixtures/asterisk/${scenario}.ari.jsonl`, "utf8")).map(
    ({ event }) => ({
      raw: event,
      events: translator.translate(event),
      time: ariTime(event.timestamp),
    }),
  );
}

/** The companion's side: the events its Filters let through, translated, cut down to its facts. */
function companionLink(scenario: string): CompanionRead[] {
  const filter = new AmiEventFilter();
  for (const f of COMPANION_FILTERS) filter.add(f);
  const translator = new AmiTranslator("pbx");
  const out: CompanionRead[] = [];
  const text = readFileSync(`test/fixtures/asterisk/${scenario}.ami.txt`, "latin1");
  for (const { fields } of scenarioEvents(parseAmiText(text))) {
    if (!filter.passes(serialize(fields))) continue;
    const events = translator.translate(frameOf(fields));
    if (events.length === 0) continue;
    out.push({
      facts: events.filter((e) => COMPANION_FACTS.has(e.type)),
      time: Math.max(...events.map((e) => e.at)),
    });
  }
  return out;
}

function frameOf(fields: Fields): AmiFrame {
  const frame: AmiFrame = Object.create(null);
  for (const [k, v] of fields) if (!(k in frame)) frame[k] = v;
  return frame;
}

/** Which link delivers next (pick < bias: ARI), and how late each barrier's answer is (PBX ms). */
interface Schedule {
  bias: number;
  picks: number[];
  answerLag: number[];
}

const schedules = fc.record({
  bias: fc.integer({ min: 1, max: 9 }),
  picks: fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 50, maxLength: 400 }),
  answerLag: fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 20 }),
});

interface Run {
  outcome: Outcome;
  barriers: number;
  /** A barrier was asked for while one was outstanding. */
  overlapping: boolean;
}

/**
 * Delivers both links in the schedule's interleaving through MergedLinks (as the driver wires it) into
 * a model. `arrival`: the merge before issue 14 item 16 (facts without PBX time, ARI never waits).
 */
async function play(
  ari: readonly AriMessage[],
  companion: readonly CompanionRead[],
  schedule: Schedule,
  mode: "pbx-time" | "arrival",
): Promise<Run> {
  let now = 0;
  const timers = new FakeTimers(() => now);
  const dir = directory("pbx");
  const model = new LiveModel(dir);
  const initial = Object.fromEntries([...dir.users.keys()].map((u) => [u, "available"]));
  const changes: ModelChange[] = [];
  const gone = new Set<string>();
  let ai = 0;
  let ci = 0;
  let ariSeen = Number.NEGATIVE_INFINITY;
  let companionSeen = Number.NEGATIVE_INFINITY;
  let answer: { resolve(t: number): void; before: number; t: number } | undefined;
  let barriers = 0;
  let overlapping = false;
  const links = new MergedLinks({
    holdMs: HOLD_MS,
    now: () => now,
    timers,
    deliver: (events) => {
      for (const e of events) changes.push(...model.apply(e));
    },
    gone: (leg) => gone.has(leg),
    ...(mode === "pbx-time"
      ? {
          companion: {
            ordered: true,
            barrier: () =>
              new Promise<number>((resolve) => {
                if (answer) overlapping = true;
                // The PBX answers at a time no earlier than anything either link has delivered, after
                // every companion event it made before that time.
                const t =
                  Math.max(ariSeen, companionSeen, 0) +
                  (schedule.answerLag[barriers % schedule.answerLag.length] ?? 0);
                barriers++;
                let before = ci;
                while (before < companion.length && (companion[before] as CompanionRead).time < t) before++;
                answer = { resolve, before, t };
              }),
          },
        }
      : {}),
  });
  let k = 0;
  while (ai < ari.length || ci < companion.length || answer) {
    const pick = schedule.picks[k++ % schedule.picks.length] as number;
    const companionDone = ci >= companion.length && !answer;
    if (ai < ari.length && (pick < schedule.bias || companionDone)) {
      const m = ari[ai++] as AriMessage;
      if (m.raw.type === "ChannelDestroyed" && typeof m.raw.channel?.id === "string")
        gone.add(m.raw.channel.id);
      if (m.time !== undefined) ariSeen = Math.max(ariSeen, m.time);
      links.fromAri(m.events, m.time);
    } else if (answer && answer.before <= ci) {
      const a = answer;
      answer = undefined;
      a.resolve(a.t);
    } else if (ci < companion.length) {
      const c = companion[ci++] as CompanionRead;
      companionSeen = Math.max(companionSeen, c.time);
      links.fromCompanion(c.facts, mode === "pbx-time" ? c.time : undefined, true);
    }
    await settle();
  }
  // The hold time passes: what still waits for the other link (or for its legs) goes out.
  for (let i = 0; i < 100 && timers.pending; i++) {
    now += 100;
    timers.fire();
    await settle();
  }
  expect(links.waiting).toBe(0);
  return { outcome: summarize(changes, initial), barriers, overlapping };
}

function sameModel(live: Outcome, want: Outcome): boolean {
  try {
    expectSameModel(live, want);
    return true;
  } catch {
    return false;
  }
}

function expectSameModel(live: Outcome, want: Outcome): void {
  expect(live.calls).toEqual(want.calls);
  for (const [user, line] of Object.entries(want.timeline)) {
    expect(live.timeline[user] ?? ["available"], `presence of ${user}`).toEqual(line);
  }
  expect(live.states).toEqual(want.states);
}

describe("ARI + companion merged by PBX time, in any interleaving of the two sockets", () => {
  for (const scenario of [
    "13-presence-dnd",
    "08-park-and-retrieve",
    "10a-chanspy-listen",
    "11a-mixmonitor-ami",
  ]) {
    it(`${scenario}: every interleaving gives the AMI model`, async () => {
      const ari = ariLink(scenario);
      const companion = companionLink(scenario);
      const want = amiOnly(scenario);
      let barriers = 0;
      await fc.assert(
        fc.asyncProperty(schedules, async (schedule) => {
          const run = await play(ari, companion, schedule, "pbx-time");
          expect(run.overlapping).toBe(false);
          barriers += run.barriers;
          expectSameModel(run.outcome, want);
        }),
        { seed: SEED, numRuns: RUNS },
      );
      expect(barriers).toBeGreaterThan(0);
    }, 60_000);
  }

  it("13-presence-dnd: arrival order (the merge before) gets some interleavings wrong", async () => {
    const ari = ariLink("13-presence-dnd");
    const companion = companionLink("13-presence-dnd");
    const want = amiOnly("13-presence-dnd");
    let wrong = 0;
    for (const schedule of fc.sample(schedules, { seed: SEED, numRuns: RUNS })) {
      const run = await play(ari, companion, schedule, "arrival");
      if (!sameModel(run.outcome, want)) wrong++;
    }
    expect(wrong).toBeGreaterThan(0);
  }, 60_000);
});

// ---- the merge's rules, one by one ----------------------------------------------------------------

function fact(at: number, state: "available" | "dnd" = "dnd"): PbxEvent {
  return { pbx: "pbx", at, type: "presence.state", extension: "1002", state };
}

function ariEvent(at: number, leg = "L1"): PbxEvent {
  return { pbx: "pbx", at, type: "leg.answered", leg };
}

function merge(options: { ordered?: () => boolean; barrier?: () => Promise<number | undefined> } = {}) {
  const clock = { now: 0 };
  const timers = new FakeTimers(() => clock.now);
  const out: string[] = [];
  let noBarrier = 0;
  const pending: { resolve(t: number | undefined): void; reject(e: Error): void }[] = [];
  const m = new LinkMerge({
    holdMs: HOLD_MS,
    now: () => clock.now,
    timers,
    companionOrdered: options.ordered ?? (() => true),
    barrier:
      options.barrier ??
      (() =>
        new Promise<number | undefined>((resolve, reject) => {
          pending.push({ resolve, reject });
        })),
    release: (events: PbxEvent[], from: Link) => {
      for (const e of events) out.push(`${from}@${e.at}`);
    },
    noBarrier: () => {
      noBarrier++;
    },
  });
  const advance = async (ms: number) => {
    clock.now += ms;
    timers.fire();
    await settle();
  };
  return { m, out, pending, advance, noBarriers: () => noBarrier };
}

describe("LinkMerge", () => {
  it("holds an ARI event until a barrier Ping shows the companion has nothing earlier, one Ping at a time", async () => {
    const { m, out, pending } = merge();
    m.fromAri([ariEvent(1000)], 1000);
    await settle();
    m.fromAri([ariEvent(1001)], 1001);
    await settle();
    expect(out).toEqual([]);
    expect(pending).toHaveLength(1);
    pending[0]?.resolve(1000.4);
    await settle();
    expect(out).toEqual(["ari@1000"]);
    // 1001 is later than the answer: a second barrier.
    expect(pending).toHaveLength(2);
    pending[1]?.resolve(1003.2);
    await settle();
    expect(out).toEqual(["ari@1000", "ari@1001"]);
    expect(m.barriers).toBe(2);
  });

  it("puts a companion fact before a later ARI event that arrived first, and after an earlier one", async () => {
    const { m, out, pending } = merge();
    m.fromAri([ariEvent(1005)], 1005);
    await settle();
    m.fromCompanion([fact(1003)], 1003);
    await settle();
    expect(out).toEqual(["companion@1003"]);
    // A fact later than everything ARI has said waits for ARI to get past it.
    m.fromCompanion([fact(1009)], 1009);
    await settle();
    expect(out).toEqual(["companion@1003", "ari@1005"]);
    m.fromAri([ariEvent(1009, "L2")], 1009);
    await settle();
    expect(out).toEqual(["companion@1003", "ari@1005", "ari@1009"]);
    m.fromAri([], 1010);
    await settle();
    expect(out).toEqual(["companion@1003", "ari@1005", "ari@1009", "companion@1009"]);
    expect(pending).toHaveLength(1);
  });

  it("never holds anything longer than the hold time, then lets it out in time order", async () => {
    const { m, out, advance } = merge();
    m.fromAri([ariEvent(1000)], 1000);
    m.fromAri([ariEvent(1001, "L2")], 1001);
    await settle();
    await advance(HOLD_MS - 1);
    expect(out).toEqual([]);
    await advance(1);
    expect(out).toEqual(["ari@1000", "ari@1001"]);
    m.fromCompanion([fact(2000)], 2000);
    await advance(HOLD_MS - 1);
    expect(out).toHaveLength(2);
    await advance(1);
    expect(out).toEqual(["ari@1000", "ari@1001", "companion@2000"]);
  });

  it("after a failed barrier, sends no other before the hold time", async () => {
    const { m, out, pending, advance } = merge();
    m.fromAri([ariEvent(1000)], 1000);
    await settle();
    pending[0]?.reject(new Error("AMI connection lost"));
    await settle();
    m.fromAri([ariEvent(1001, "L2")], 1001);
    await settle();
    expect(pending).toHaveLength(1);
    await advance(HOLD_MS);
    expect(out).toEqual(["ari@1000", "ari@1001"]);
  });

  it("without companion ordering (down, or no Timestamp) nothing waits: arrival order, as before", async () => {
    const { m, out, pending } = merge({ ordered: () => false });
    m.fromAri([ariEvent(1005)], 1005);
    await settle();
    m.fromCompanion([fact(900)], undefined);
    m.fromAri([ariEvent(1006, "L2")], 1006);
    await settle();
    expect(out).toEqual(["ari@1005", "companion@900", "ari@1006"]);
    expect(pending).toHaveLength(0);
  });

  it("falls back to arrival order, once, when the Ping answer carries no Timestamp", async () => {
    const { m, out, pending, noBarriers } = merge();
    m.fromAri([ariEvent(1000)], 1000);
    await settle();
    pending[0]?.resolve(undefined);
    await settle();
    m.fromAri([ariEvent(1001, "L2")], 1001);
    await settle();
    expect(out).toEqual(["ari@1000", "ari@1001"]);
    expect(pending).toHaveLength(1);
    expect(noBarriers()).toBe(1);
  });

  it("drains everything in time order when the ARI session ends", async () => {
    const { m, out } = merge();
    m.fromAri([ariEvent(1005)], 1005);
    m.fromCompanion([fact(1001)], 1001);
    m.fromCompanion([fact(1007)], 1007);
    m.drain();
    expect(out).toEqual(["companion@1001", "ari@1005", "companion@1007"]);
    expect(m.size).toBe(0);
  });
});

describe("MergedLinks while an ARI snapshot is being built", () => {
  const links = (out: string[]) =>
    new MergedLinks({
      holdMs: HOLD_MS,
      now: () => 0,
      timers: new FakeTimers(() => 0),
      deliver: (events) => {
        for (const e of events) out.push(e.type === "pbx.snapshot" ? "snapshot" : `${e.type}@${e.at}`);
      },
      gone: () => false,
    });
  const member = (at: number): PbxEvent => ({
    pbx: "p",
    at,
    type: "queue.member",
    queue: "400",
    agent: "Local/1001@from-queue/n",
    loggedIn: true,
    paused: true,
  });
  const snapshot: PbxEvent = {
    pbx: "p",
    at: 5,
    type: "pbx.snapshot",
    legs: [],
    reachability: [],
    presence: [],
    dnd: [],
    parked: [],
  };

  it("a companion fact while ARI is down and no snapshot is being built goes nowhere", () => {
    const out: string[] = [];
    const m = links(out);
    m.fromCompanion([member(1)], undefined, false);
    m.resyncStarted();
    m.deliverNow([snapshot]);
    m.resynced();
    expect(out).toEqual(["snapshot"]);
  });

  it("one that comes while the snapshot is built follows it; one after ARI is up goes at once", () => {
    const out: string[] = [];
    const m = links(out);
    m.resyncStarted();
    m.fromCompanion([member(2)], undefined, false);
    m.fromCompanion([member(3)], undefined, false);
    expect(out).toEqual([]);
    m.deliverNow([snapshot]);
    m.resynced();
    m.fromCompanion([member(4)], undefined, true);
    expect(out).toEqual(["snapshot", "queue.member@2", "queue.member@3", "queue.member@4"]);
  });

  it("a snapshot that never went out keeps nothing for the next one", () => {
    const out: string[] = [];
    const m = links(out);
    m.resyncStarted();
    m.fromCompanion([member(2)], undefined, false);
    m.resyncFailed();
    m.fromCompanion([member(3)], undefined, false);
    m.resyncStarted();
    m.deliverNow([snapshot]);
    m.resynced();
    expect(out).toEqual(["snapshot"]);
  });
});

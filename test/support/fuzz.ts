// A seeded mutator for the parser fuzz guards (test/*/*.fuzz.test.ts): byte- and line-level mutations
// of real captures (test/fixtures), JSON-level mutations of event bodies, and random chunk boundaries.
// Cases come from fast-check with a fixed seed and a fixed count, so every run checks the same inputs
// and a failure names the case (its index and mutations) to replay.

import fc from "fast-check";
import { PBX_EVENT_TYPES, type PbxEvent } from "../../src/domain/events.js";
import { directoryFromEvents, replay } from "../../src/replay/replay.js";

/**
 * Where a case's randomness comes from: same seed, same cases. `CALLSIGHT_FUZZ_SEED` and
 * `CALLSIGHT_FUZZ_CASES` run other or more cases locally; the unit suite uses the defaults.
 */
export const FUZZ_SEED = Number(process.env.CALLSIGHT_FUZZ_SEED ?? 0x5eed14);
/** Cases per parser (issue 14: 2,000 each, a few seconds). */
export const FUZZ_CASES = Number(process.env.CALLSIGHT_FUZZ_CASES ?? 2000);
/** The vitest timeout of a fuzz test: generous, so a loaded machine does not fail it; a hang is a slow case. */
export const FUZZ_TIMEOUT_MS = Math.max(60_000, FUZZ_CASES * 30);
/** A single case that takes longer than this is a hang (a case takes well under 10 ms). */
export const CASE_BUDGET_MS = 2000;

/** Header names and values that have broken parsers: prototype members, protocol keys, odd bytes. */
export const PROTOTYPE_KEYS = [
  "__proto__",
  "constructor",
  "toString",
  "hasOwnProperty",
  "valueOf",
  "prototype",
  "isPrototypeOf",
  "__defineGetter__",
  "toJSON",
];

const ODD_TEXT = [
  "",
  " ",
  ":",
  ": ",
  "\r",
  "\n",
  "\r\n",
  "\r\n\r\n",
  "\n\n",
  "\0",
  "%",
  "%zz",
  "%00",
  "%E9",
  "é",
  "🎧",
  "\ufffd",
  "-1",
  "0",
  "NaN",
  "1e999",
  "99999999999999999999",
  "<unknown>",
  "{",
  "}",
  "[",
  '"',
  "\\",
  "null",
  "x".repeat(300),
];

export type ByteMutation =
  | { op: "flip"; at: number; byte: number }
  | { op: "insert"; at: number; text: string }
  | { op: "insertBytes"; at: number; bytes: number[] }
  | { op: "delete"; at: number; len: number }
  | { op: "duplicate"; from: number; len: number; to: number }
  | { op: "truncate"; at: number }
  | { op: "key"; at: number; key: string }
  | { op: "value"; at: number; value: string }
  | { op: "dropLine"; at: number };

/** Byte mutations; `words` are protocol words worth inserting whole (headers, markers). */
export function byteMutationArb(words: readonly string[]): fc.Arbitrary<ByteMutation> {
  const pos = fc.nat({ max: 0x7fffffff });
  const text = fc.oneof(
    fc.constantFrom(...words, ...PROTOTYPE_KEYS, ...ODD_TEXT),
    fc.string({ maxLength: 12, unit: "binary" }),
  );
  const keys = words.filter(isKey);
  const key =
    keys.length > 0 ? fc.constantFrom(...PROTOTYPE_KEYS, ...keys) : fc.constantFrom(...PROTOTYPE_KEYS);
  return fc.oneof(
    fc.record({ op: fc.constant("flip" as const), at: pos, byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ op: fc.constant("insert" as const), at: pos, text }),
    fc.record({
      op: fc.constant("insertBytes" as const),
      at: pos,
      bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }),
    }),
    fc.record({ op: fc.constant("delete" as const), at: pos, len: fc.integer({ min: 1, max: 64 }) }),
    fc.record({
      op: fc.constant("duplicate" as const),
      from: pos,
      len: fc.integer({ min: 1, max: 4096 }),
      to: pos,
    }),
    fc.record({ op: fc.constant("truncate" as const), at: pos }),
    // Weighted: header-name attacks are the ones issue 14 is about.
    fc.record({ op: fc.constant("key" as const), at: pos, key }),
    fc.record({ op: fc.constant("key" as const), at: pos, key }),
    fc.record({ op: fc.constant("value" as const), at: pos, value: text }),
    fc.record({ op: fc.constant("dropLine" as const), at: pos }),
  );
}

function isKey(word: string): boolean {
  return /^[A-Za-z_-][\w-]*$/.test(word);
}

/** Applies the mutations in order; positions wrap around the current length. `eol` is the protocol's line end. */
export function mutateBytes(input: Buffer, mutations: readonly ByteMutation[], eol: string): Buffer {
  let b = input;
  for (const m of mutations) {
    const n = b.length;
    const at = (p: number): number => p % (n + 1);
    switch (m.op) {
      case "flip": {
        if (n === 0) break;
        b = Buffer.from(b);
        b[m.at % n] = m.byte;
        break;
      }
      case "insert":
        b = splice(b, at(m.at), 0, Buffer.from(m.text, "utf8"));
        break;
      case "insertBytes":
        b = splice(b, at(m.at), 0, Buffer.from(m.bytes));
        break;
      case "delete":
        b = splice(b, at(m.at), m.len, Buffer.alloc(0));
        break;
      case "duplicate": {
        const from = at(m.from);
        b = splice(b, at(m.to), 0, Buffer.from(b.subarray(from, from + m.len)));
        break;
      }
      case "truncate":
        b = b.subarray(0, at(m.at));
        break;
      case "key":
      case "value":
      case "dropLine": {
        const { start, end } = lineAround(b, at(m.at), eol);
        const colon = b.indexOf(":", start);
        if (m.op === "dropLine")
          b = splice(b, start, Math.min(b.length, end + eol.length) - start, Buffer.alloc(0));
        else if (m.op === "key") {
          const keyEnd = colon >= 0 && colon < end ? colon : start;
          const replacement = colon >= 0 && colon < end ? m.key : `${m.key}: `;
          b = splice(b, start, keyEnd - start, Buffer.from(replacement, "utf8"));
        } else if (colon >= 0 && colon < end) {
          const valueStart = b[colon + 1] === 0x20 ? colon + 2 : colon + 1;
          b = splice(b, valueStart, Math.max(0, end - valueStart), Buffer.from(m.value, "utf8"));
        }
        break;
      }
    }
  }
  return b;
}

function splice(b: Buffer, at: number, remove: number, insert: Buffer): Buffer {
  return Buffer.concat([b.subarray(0, at), insert, b.subarray(Math.min(b.length, at + remove))]);
}

function lineAround(b: Buffer, at: number, eol: string): { start: number; end: number } {
  const before = at === 0 ? -1 : b.lastIndexOf(eol, at - 1);
  const start = before < 0 ? 0 : before + eol.length;
  const after = b.indexOf(eol, start);
  return { start, end: after < 0 ? b.length : after };
}

/** Splits `bytes` at the given points (wrapped into range, sorted, deduplicated). */
export function chunksOf(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    out.push(bytes.subarray(from, p));
    from = p;
  }
  out.push(bytes.subarray(from));
  return out;
}

export const cutsArb = fc.array(fc.nat({ max: 0x7fffffff }), { minLength: 1, maxLength: 12 });

// ---- JSON values ------------------------------------------------------------------------------

export type JsonMutation =
  | { op: "set"; node: number; value: unknown }
  | { op: "setField"; key: string; value: unknown }
  | { op: "delete"; node: number }
  | { op: "addKey"; node: number; key: string; value: unknown };

const ODD_VALUES: unknown[] = [
  null,
  0,
  -1,
  1.5,
  1e308,
  true,
  false,
  "",
  "x",
  ...PROTOTYPE_KEYS,
  "<unknown>",
  "%zz",
  [],
  [null],
  ["a", 1],
  {},
  { id: 1, name: null },
  { id: "", name: "" },
  { id: "x", name: "PJSIP/1001-1" },
  JSON.parse('{"__proto__":{"polluted":"yes"}}'),
  { constructor: { prototype: { polluted: "yes" } } },
];

export function jsonMutationArb(keys: readonly string[]): fc.Arbitrary<JsonMutation> {
  const node = fc.nat({ max: 0x7fffffff });
  const value = fc.oneof(fc.constantFrom(...ODD_VALUES), fc.string({ maxLength: 8 }), fc.integer());
  return fc.oneof(
    fc.record({ op: fc.constant("set" as const), node, value }),
    fc.record({ op: fc.constant("set" as const), node, value }),
    fc.record({ op: fc.constant("delete" as const), node }),
    // A field the translator reads, by name, at the top of the event.
    fc.record({ op: fc.constant("setField" as const), key: fc.constantFrom(...keys), value }),
    fc.record({
      op: fc.constant("addKey" as const),
      node,
      key: fc.constantFrom(...PROTOTYPE_KEYS, ...keys),
      value,
    }),
  );
}

type Slot = { parent: Record<string, unknown> | unknown[]; key: string | number };

/** Every place a value sits in `root` (depth first), so a mutation can pick one by number. */
function slots(root: unknown): Slot[] {
  const out: Slot[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      v.forEach((item, i) => {
        out.push({ parent: v, key: i });
        walk(item);
      });
    } else if (typeof v === "object" && v !== null) {
      for (const k of Object.keys(v)) {
        out.push({ parent: v as Record<string, unknown>, key: k });
        walk((v as Record<string, unknown>)[k]);
      }
    }
  };
  walk(root);
  return out;
}

/** Mutates a parsed JSON value in place (the values put in are deep copies, as JSON would give). */
export function mutateJson(root: unknown, mutations: readonly JsonMutation[]): unknown {
  for (const m of mutations) {
    if (m.op === "setField") {
      if (typeof root === "object" && root !== null && !Array.isArray(root)) {
        (root as Record<string, unknown>)[m.key] =
          m.value === undefined ? m.value : JSON.parse(JSON.stringify(m.value));
      }
      continue;
    }
    const all = slots(root);
    if (all.length === 0) continue;
    const slot = all[m.node % all.length]!;
    const parent = slot.parent as Record<string | number, unknown>;
    const copy = (v: unknown): unknown => (v === undefined ? v : JSON.parse(JSON.stringify(v)));
    if (m.op === "set") parent[slot.key] = copy(m.value);
    else if (m.op === "delete") {
      if (Array.isArray(parent)) parent.splice(slot.key as number, 1);
      else delete parent[slot.key];
    } else {
      const target = parent[slot.key];
      const obj = typeof target === "object" && target !== null && !Array.isArray(target) ? target : parent;
      if (!Array.isArray(obj)) {
        // defineProperty: a `__proto__` key is an own data property, as JSON.parse makes it.
        Object.defineProperty(obj, m.key, {
          value: copy(m.value),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
    }
  }
  return root;
}

/**
 * Throws unless `value` is plain data as the model and the API expect it: strings, finite numbers,
 * booleans, null, arrays and plain objects — no function or object a hostile header name pulled out of
 * a prototype (e.g. `lookup["constructor"]`), nowhere in a normalized event.
 */
export function assertPlainData(value: unknown, where = "event"): void {
  if (value === null || typeof value === "string" || typeof value === "boolean") return;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`${where} is ${value}`);
    return;
  }
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) assertPlainData(v, `${where}[${i}]`);
    return;
  }
  if (typeof value === "object") {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null)
      throw new Error(`${where} is a ${proto?.constructor?.name}`);
    for (const [k, v] of Object.entries(value)) if (v !== undefined) assertPlainData(v, `${where}.${k}`);
    return;
  }
  throw new Error(`${where} is a ${typeof value}`);
}

const STRING_FIELDS = new Set([
  "pbx",
  "leg",
  "callId",
  "channel",
  "endpoint",
  "number",
  "name",
  "dialled",
  "caller",
  "callee",
  "dialString",
  "bridge",
  "lot",
  "space",
  "parker",
  "retriever",
  "picker",
  "target",
  "transferer",
  "transferee",
  "destination",
  "spy",
  "file",
  "causeText",
  "extension",
  "message",
  "side",
  "status",
  "outcome",
  "kind",
  "mode",
  "state",
]);
const NUMBER_FIELDS = new Set(["at", "cause", "createdAt", "answeredAt"]);
const BOOLEAN_FIELDS = new Set(["outgoing", "success", "reachable", "on", "held"]);

/**
 * Throws unless each normalized event has a known type and every field the type of its name in
 * src/domain/events.ts, then applies them to a live model (replay): what a PBX sent must not be able to
 * break the model through a translator.
 */
export function assertEventsUsable(events: unknown[]): void {
  assertPlainData(events);
  const check = (o: Record<string, unknown>, where: string): void => {
    for (const [k, v] of Object.entries(o)) {
      if (v === undefined) continue;
      const want = STRING_FIELDS.has(k)
        ? "string"
        : NUMBER_FIELDS.has(k)
          ? "number"
          : BOOLEAN_FIELDS.has(k)
            ? "boolean"
            : undefined;
      if (want !== undefined && typeof v !== want) {
        throw new Error(`${where}.${k} is ${JSON.stringify(v)}, not a ${want}`);
      }
      if (Array.isArray(v)) {
        for (const [i, item] of v.entries()) check(item as Record<string, unknown>, `${where}.${k}[${i}]`);
      }
    }
  };
  events.forEach((e, i) => {
    const type = (e as { type?: unknown }).type;
    if (!PBX_EVENT_TYPES.includes(type as PbxEvent["type"])) throw new Error(`event ${i} has type ${type}`);
    check(e as Record<string, unknown>, `event ${i} (${type})`);
  });
  try {
    replay(events as PbxEvent[], directoryFromEvents(events as PbxEvent[]));
  } catch (err) {
    throw new Error(`model: ${(err as Error).message}`, { cause: err });
  }
}

/** Throws unless every counter is a number (a counter keyed by input must not hit a prototype member). */
export function assertCounts(counts: Record<string, unknown>, what: string): void {
  for (const [name, n] of Object.entries(counts)) {
    if (typeof n !== "number") throw new Error(`${what} for ${JSON.stringify(name)} is ${typeof n}`);
  }
}

// ---- running cases ----------------------------------------------------------------------------

export interface Crash {
  index: number;
  error: string;
  case: string;
}

export interface FuzzReport {
  cases: number;
  crashes: Crash[];
  /** Cases slower than CASE_BUDGET_MS, with their time. */
  slow: { index: number; ms: number }[];
  /** Cases whose events differed when the same bytes came in other chunks. */
  chunkMismatches: { index: number; detail: string }[];
  maxMs: number;
}

/**
 * Runs `check` on FUZZ_CASES samples of `arb` (fixed seed). `check` throws for a crash (the error is
 * recorded) and returns a mismatch text when chunking changed the outcome.
 */
export function runFuzz<T>(
  arb: fc.Arbitrary<T>,
  check: (input: T) => string | undefined,
  options: { seed?: number; cases?: number } = {},
): FuzzReport {
  const cases = fc.sample(arb, { seed: options.seed ?? FUZZ_SEED, numRuns: options.cases ?? FUZZ_CASES });
  const report: FuzzReport = { cases: cases.length, crashes: [], slow: [], chunkMismatches: [], maxMs: 0 };
  const before = Object.getOwnPropertyNames(Object.prototype).sort().join(",");
  cases.forEach((input, index) => {
    const started = performance.now();
    try {
      const mismatch = check(input);
      if (mismatch !== undefined) report.chunkMismatches.push({ index, detail: mismatch });
    } catch (err) {
      report.crashes.push({ index, error: describeError(err), case: JSON.stringify(input).slice(0, 600) });
    }
    const ms = performance.now() - started;
    report.maxMs = Math.max(report.maxMs, ms);
    if (ms > CASE_BUDGET_MS) report.slow.push({ index, ms: Math.round(ms) });
    const after = Object.getOwnPropertyNames(Object.prototype).sort().join(",");
    if (after !== before || ({} as Record<string, unknown>).polluted !== undefined) {
      throw new Error(`case ${index} polluted Object.prototype: ${JSON.stringify(input).slice(0, 600)}`);
    }
  });
  return report;
}

function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const lines = err.stack?.split("\n") ?? [];
  const frame = lines.find((l) => l.includes("/src/")) ?? lines.find((l) => l.includes("/test/"));
  // Numbers vary from case to case; the summary groups crashes by what and where.
  const message = err.message.replace(/-?\d+(\.\d+)?/g, "N");
  return `${err.name}: ${message}${frame ? ` (${frame.trim()})` : ""}`;
}

/** Fails with a short summary unless no case crashed, hung or depended on its chunking. */
export function expectClean(report: FuzzReport): void {
  const problems = report.crashes.length + report.slow.length + report.chunkMismatches.length;
  if (problems > 0) throw new Error(summarize(report));
}

/** One line per distinct crash message with its count and first case, for a failure message. */
export function summarize(report: FuzzReport): string {
  const byError = new Map<string, { count: number; first: Crash }>();
  for (const c of report.crashes) {
    const seen = byError.get(c.error);
    if (seen) seen.count++;
    else byError.set(c.error, { count: 1, first: c });
  }
  const lines = [...byError.values()].map(
    ({ count, first }) => `${count}× ${first.error}\n    first: case ${first.index} ${first.case}`,
  );
  const mismatches = report.chunkMismatches
    .slice(0, 5)
    .map((m) => `chunking changed case ${m.index}: ${m.detail}`);
  const slow = report.slow.slice(0, 5).map((s) => `case ${s.index} took ${s.ms} ms`);
  return [
    `${report.crashes.length} crashes, ${report.slow.length} slow cases, ${report.chunkMismatches.length} ` +
      `chunking mismatches in ${report.cases} cases (max ${Math.round(report.maxMs)} ms per case)`,
    ...lines,
    ...slow,
    ...mismatches,
  ].join("\n");
}

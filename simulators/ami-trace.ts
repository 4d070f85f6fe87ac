// Captured AMI traces as data: parsing `.ami.txt` byte streams into ordered frames, the call
// templates they contain, and the rewriting that turns one template into a fresh call instance
// (new Uniqueid/Linkedid, channel-name suffixes and bridge ids, consistently; optional extension remap).

import { randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** Header lines in wire order. Repeated keys stay repeated. */
export type Fields = [string, string][];

export interface TraceEvent {
  fields: Fields;
  /** Seconds since the first event of the scenario. */
  t: number;
}

export interface Scenario {
  name: string;
  events: TraceEvent[];
  ids: TemplateIds;
}

export interface TemplateIds {
  uniqueids: Set<string>;
  /** Channel base (name without `;1`/`;2`) -> endpoint part (`PJSIP/1001`, `Local/1003@internal`). */
  channels: Map<string, string>;
  bridges: Set<string>;
  parkingSpaces: Set<string>;
}

export function get(fields: Fields, key: string): string | undefined {
  for (const [k, v] of fields) if (k === key) return v;
  return undefined;
}

export function set(fields: Fields, key: string, value: string): void {
  for (const f of fields) {
    if (f[0] === key) {
      f[1] = value;
      return;
    }
  }
  fields.push([key, value]);
}

export function without(fields: Fields, key: string): Fields {
  return fields.filter(([k]) => k !== key);
}

export function serialize(fields: Fields): string {
  let out = "";
  for (const [k, v] of fields) out += `${k}: ${v}\r\n`;
  return `${out}\r\n`;
}

/** Splits a raw AMI byte stream (CRLF) into frames; the banner line is skipped. */
export function parseAmiText(text: string): Fields[] {
  const out: Fields[] = [];
  for (const block of text.split("\r\n\r\n")) {
    const fields: Fields = [];
    for (const line of block.split("\r\n")) {
      if (line.length === 0 || line.startsWith("Asterisk Call Manager/")) continue;
      const colon = line.indexOf(":");
      if (colon < 0) continue;
      const value = line.charCodeAt(colon + 1) === 32 ? line.slice(colon + 2) : line.slice(colon + 1);
      fields.push([line.slice(0, colon), value]);
    }
    if (fields.length > 0) out.push(fields);
  }
  return out;
}

/** Events a call template never replays: session bookkeeping and security notices. */
const NOT_CALL_EVENTS = new Set(["FullyBooted", "SuccessfulAuth", "ChallengeSent", "RequestBadFormat"]);

/** The events of a trace that make up its scenario: no responses, no list items, no session noise. */
export function scenarioEvents(frames: Fields[]): TraceEvent[] {
  const out: TraceEvent[] = [];
  let first: number | undefined;
  let last = 0;
  const stamped = frames.map((f) => Number.parseFloat(get(f, "Timestamp") ?? ""));
  const firstKnown = stamped.find((t) => Number.isFinite(t)) ?? 0;
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i] as Fields;
    const event = get(f, "Event");
    if (event === undefined || NOT_CALL_EVENTS.has(event)) continue;
    if (get(f, "Severity") !== undefined) continue;
    const actionId = get(f, "ActionID");
    if (actionId !== undefined && event !== "OriginateResponse") continue;
    const ts = stamped[i] as number;
    const abs = Number.isFinite(ts) ? ts : last || firstKnown;
    last = abs;
    first ??= abs;
    out.push({ fields: actionId === undefined ? f : without(f, "ActionID"), t: Math.max(0, abs - first) });
  }
  return out;
}

const CHANNEL_RE = /^([A-Za-z][A-Za-z0-9_]*\/.+)-([0-9a-f]{8})(;[12])?$/;
const ID_RE = /^\d+\.\d+$/;

export function channelBase(name: string): { base: string; endpoint: string } | undefined {
  const m = CHANNEL_RE.exec(name);
  if (!m) return undefined;
  return { base: `${m[1]}-${m[2]}`, endpoint: m[1] as string };
}

export function isBridgeKey(key: string): boolean {
  return key.endsWith("BridgeUniqueid") || key === "BridgeId" || key === "BridgeID";
}

function isUniqueidKey(key: string): boolean {
  const k = key.toLowerCase();
  return (k.endsWith("uniqueid") || k.endsWith("linkedid")) && !k.endsWith("bridgeuniqueid");
}

export function collectIds(events: readonly TraceEvent[]): TemplateIds {
  const ids: TemplateIds = {
    uniqueids: new Set(),
    channels: new Map(),
    bridges: new Set(),
    parkingSpaces: new Set(),
  };
  for (const { fields } of events) {
    for (const [k, v] of fields) {
      if (v === "") continue;
      if (isBridgeKey(k)) ids.bridges.add(v);
      else if (isUniqueidKey(k)) {
        if (ID_RE.test(v)) ids.uniqueids.add(v);
      } else if (k.endsWith("Channel")) {
        const c = channelBase(v);
        if (c) ids.channels.set(c.base, c.endpoint);
      } else if (k === "ParkingSpace") ids.parkingSpaces.add(v);
    }
  }
  return ids;
}

/** Where the traces are: `test/fixtures/asterisk` above this module (works from src/ and dist/). */
export function defaultTracesDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, "test", "fixtures", "asterisk");
    if (existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  return path.resolve("test/fixtures/asterisk");
}

export class TraceLibrary {
  private readonly cache = new Map<string, Scenario>();
  readonly names: string[];

  constructor(readonly dir: string = defaultTracesDir()) {
    this.names = readdirSync(dir)
      .filter((f) => f.endsWith(".ami.txt"))
      .map((f) => f.slice(0, -".ami.txt".length))
      .sort();
  }

  /** Full name from a prefix (`05` -> `05-inbound-answered`). */
  resolve(name: string): string {
    if (this.names.includes(name)) return name;
    const found = this.names.find((n) => n.startsWith(`${name}-`));
    if (!found) throw new Error(`no AMI trace named ${name} in ${this.dir}`);
    return found;
  }

  raw(name: string): string {
    return readFileSync(path.join(this.dir, `${this.resolve(name)}.ami.txt`), "latin1");
  }

  scenario(name: string): Scenario {
    const full = this.resolve(name);
    let s = this.cache.get(full);
    if (!s) {
      const events = scenarioEvents(
        parseAmiText(readFileSync(path.join(this.dir, `${full}.ami.txt`), "utf8")),
      );
      s = { name: full, events, ids: collectIds(events) };
      this.cache.set(full, s);
    }
    return s;
  }
}

export interface IdAllocator {
  uniqueid(): string;
  channelSuffix(): string;
  bridge(): string;
}

/** Asterisk-like ids: `<epoch>.<seq>` uniqueids, 8-hex channel suffixes, UUID bridges. */
export function sequentialIds(start = 1): IdAllocator {
  let seq = start;
  let chan = start;
  const epoch = Math.floor(Date.now() / 1000);
  return {
    uniqueid: () => `${epoch}.${seq++}`,
    channelSuffix: () => (chan++ & 0xffffffff).toString(16).padStart(8, "0"),
    bridge: () => randomUUID(),
  };
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Rewrites template frames into one instance. Key-aware: `*Linkedid` values go through `linked`
 * first (a call's Linkedid can differ from the Uniqueid of the same template channel once real
 * channels play the template's roles), bridge keys through `bridges`, whole values through
 * `exact` (extensions, parking spaces, numbers), and every other value through a token map
 * (channel names, ids and endpoint names inside values like `BRIDGEPEER` or `Dial` data).
 */
export class Rewriter {
  readonly ids = new Map<string, string>();
  readonly linked = new Map<string, string>();
  readonly bridges = new Map<string, string>();
  readonly exact = new Map<string, string>();
  readonly tokens = new Map<string, string>();
  private re?: RegExp;

  token(from: string, to: string): this {
    if (from !== to) {
      this.tokens.set(from, to);
      this.re = undefined;
    }
    return this;
  }

  rewrite(fields: Fields): Fields {
    const out: Fields = [];
    for (const [k, v] of fields) out.push([k, this.value(k, v)]);
    return out;
  }

  value(key: string, v: string): string {
    if (v === "" || key === "Timestamp") return v;
    if (isBridgeKey(key)) return this.bridges.get(v) ?? v;
    const lower = key.length > 7 ? key.slice(-8).toLowerCase() : "";
    if (lower === "linkedid") {
      const l = this.linked.get(v) ?? this.ids.get(v);
      if (l !== undefined) return l;
    } else if (lower === "uniqueid") {
      const u = this.ids.get(v);
      if (u !== undefined) return u;
    }
    const exact = this.exact.get(v);
    if (exact !== undefined) return exact;
    if (this.tokens.size === 0) return v;
    this.re ??= new RegExp(
      `(?<![\\w.])(?:${[...this.tokens.keys()]
        .sort((a, b) => b.length - a.length)
        .map(escapeRe)
        .join("|")})(?![\\w])`,
      "g",
    );
    this.re.lastIndex = 0;
    if (!this.re.test(v)) return v;
    this.re.lastIndex = 0;
    return v.replace(this.re, (m) => this.tokens.get(m) ?? m);
  }
}

/** Replaces every run of digits that is a key of `extMap`. */
export function remapEndpoint(endpoint: string, extMap: Readonly<Record<string, string>>): string {
  return endpoint.replace(/\d+/g, (d) => extMap[d] ?? d);
}

/** Adds the fresh-id and extension-remap entries of a template to a rewriter. */
export function freshInstance(
  r: Rewriter,
  ids: TemplateIds,
  alloc: IdAllocator,
  extMap: Readonly<Record<string, string>> = {},
  skip: ReadonlySet<string> = new Set(),
): Rewriter {
  for (const id of ids.uniqueids) if (!skip.has(id) && !r.ids.has(id)) r.ids.set(id, alloc.uniqueid());
  for (const [base, endpoint] of ids.channels) {
    if (skip.has(base) || r.tokens.has(base)) continue;
    r.token(base, `${remapEndpoint(endpoint, extMap)}-${alloc.channelSuffix()}`);
  }
  for (const b of ids.bridges) if (!skip.has(b) && !r.bridges.has(b)) r.bridges.set(b, alloc.bridge());
  for (const id of r.ids.keys()) r.token(id, r.ids.get(id) as string);
  for (const [from, to] of Object.entries(extMap)) {
    if (from === to) continue;
    r.exact.set(from, to);
    r.token(`PJSIP/${from}`, `PJSIP/${to}`);
    r.token(`DND${from}`, `DND${to}`);
    r.token(`CustomPresence:${from}`, `CustomPresence:${to}`);
  }
  return r;
}

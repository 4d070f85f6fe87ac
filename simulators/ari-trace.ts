// Captured ARI traces as data: `.ari.jsonl` streams (one event per line) split into scenarios, the
// ids they contain (channels, bridges), and the rewriting that turns one captured call into a fresh
// call instance (new channel ids, channel-name suffixes and bridge ids, consistently everywhere in
// the JSON, including channel snapshots nested in Dial, transfers and variable values).

import { randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type AriEvent, ariTime } from "../src/pbx/asterisk-ari/types.js";

export interface AriTraceEvent {
  /** Seconds since the first event of the scenario (never decreasing). */
  t: number;
  event: AriEvent;
}

export interface AriScenario {
  name: string;
  events: AriTraceEvent[];
  /** Channel id -> channel name, for every channel the scenario mentions. */
  channels: Map<string, string>;
  bridges: Set<string>;
}

export function defaultAriTracesDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const up of ["../..", "../../.."]) {
    const dir = path.resolve(here, up, "test/fixtures/asterisk");
    if (existsSync(dir)) return dir;
  }
  return path.resolve("test/fixtures/asterisk");
}

/** Parses a `.ari.jsonl` text into ordered, timed events; lines that are not events are skipped. */
export function parseAriJsonl(text: string): AriTraceEvent[] {
  const out: AriTraceEvent[] = [];
  let first: number | undefined;
  let last = 0;
  for (const line of text.split(/\r?\n/)) {
    const s = line.trim();
    if (!s || s.startsWith("#")) continue;
    let event: AriEvent;
    try {
      event = JSON.parse(s) as AriEvent;
    } catch {
      continue;
    }
    if (typeof event?.type !== "string") continue;
    const at = ariTime(event.timestamp);
    if (at !== undefined && first === undefined) first = at;
    const t = at !== undefined && first !== undefined ? Math.max(last, (at - first) / 1000) : last;
    last = t;
    out.push({ t, event });
  }
  return out;
}

/** Every channel (id -> name) and bridge id mentioned anywhere in the events. */
export function collectAriIds(events: readonly AriTraceEvent[]): {
  channels: Map<string, string>;
  bridges: Set<string>;
} {
  const channels = new Map<string, string>();
  const bridges = new Set<string>();
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) {
      for (const x of v) visit(x);
      return;
    }
    if (typeof v !== "object" || v === null) return;
    const o = v as Record<string, unknown>;
    if (typeof o.id === "string" && typeof o.name === "string" && "state" in o && "caller" in o) {
      channels.set(o.id, o.name);
    }
    if (typeof o.id === "string" && ("bridge_type" in o || "bridge_class" in o)) bridges.add(o.id);
    for (const k in o) visit(o[k]);
  };
  for (const e of events) visit(e.event);
  return { channels, bridges };
}

export class AriTraceLibrary {
  private readonly cache = new Map<string, AriScenario>();
  readonly names: string[];

  constructor(private readonly dir: string = defaultAriTracesDir()) {
    this.names = existsSync(dir)
      ? readdirSync(dir)
          .filter((f) => f.endsWith(".ari.jsonl"))
          .map((f) => f.slice(0, -".ari.jsonl".length))
          .sort()
      : [];
  }

  /** `05` or `05-inbound-answered` -> the scenario name. */
  resolve(nameOrPrefix: string): string {
    const exact = this.names.find((n) => n === nameOrPrefix);
    if (exact) return exact;
    const prefixed = this.names.filter((n) => n.startsWith(nameOrPrefix));
    if (prefixed.length === 1) return prefixed[0] as string;
    throw new Error(`unknown ARI scenario "${nameOrPrefix}" (known: ${this.names.join(", ")})`);
  }

  scenario(nameOrPrefix: string): AriScenario {
    const name = this.resolve(nameOrPrefix);
    let s = this.cache.get(name);
    if (!s) {
      const events = parseAriJsonl(readFileSync(path.join(this.dir, `${name}.ari.jsonl`), "utf8"));
      s = { name, events, ...collectAriIds(events) };
      this.cache.set(name, s);
    }
    return s;
  }
}

/** Fresh ids in Asterisk's shapes: uniqueids `<epoch>.<n>`, channel suffixes `-<8 hex>`, bridge UUIDs. */
export class AriIdAllocator {
  private seq = 0;
  private nameSeq = 0;
  private readonly epoch: number;

  constructor(epoch: number = Math.floor(Date.now() / 1000)) {
    this.epoch = epoch;
  }

  uniqueid(): string {
    return `${this.epoch}.${++this.seq}`;
  }

  /** `PJSIP/1001` -> `PJSIP/1001-0000a3f1`. */
  channelName(endpoint: string): string {
    return `${endpoint}-${(++this.nameSeq).toString(16).padStart(8, "0")}`;
  }

  bridgeId(): string {
    return randomUUID();
  }
}

/** Exact-string substitutions applied to every string of an event (deep). */
export class AriRewriter {
  readonly exact = new Map<string, string>();

  set(from: string, to: string): this {
    if (from !== to) this.exact.set(from, to);
    return this;
  }

  /** Maps a channel name; Local channel halves (`;1`, `;2`) follow their base name. */
  channel(fromName: string, toName: string): this {
    this.set(fromName, toName);
    if (fromName.endsWith(";1") || fromName.endsWith(";2")) {
      const base = fromName.slice(0, -2);
      const toBase = toName.endsWith(";1") || toName.endsWith(";2") ? toName.slice(0, -2) : toName;
      this.set(base, toBase);
      this.set(`${base};1`, `${toBase};1`);
      this.set(`${base};2`, `${toBase};2`);
    }
    return this;
  }

  apply<T>(value: T): T {
    return this.walk(value) as T;
  }

  private walk(v: unknown): unknown {
    if (typeof v === "string") return this.exact.get(v) ?? v;
    if (Array.isArray(v)) return v.map((x) => this.walk(x));
    if (typeof v !== "object" || v === null) return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = this.walk(x);
    return out;
  }
}

/** The endpoint part of a channel name: `PJSIP/1001-00000051` -> `PJSIP/1001`, `Local/x@y-0000;1` -> `Local/x@y`. */
export function endpointOf(name: string): string {
  const base = name.endsWith(";1") || name.endsWith(";2") ? name.slice(0, -2) : name;
  const dash = base.lastIndexOf("-");
  const slash = base.indexOf("/");
  return dash > slash ? base.slice(0, dash) : base;
}

/** A rewriter that gives every channel and bridge of a scenario a fresh identity. */
export function freshAriInstance(
  ids: { channels: Map<string, string>; bridges: Set<string> },
  alloc: AriIdAllocator,
  keep: ReadonlySet<string> = new Set(),
  rw: AriRewriter = new AriRewriter(),
): AriRewriter {
  const renamed = new Map<string, string>();
  for (const [id, name] of ids.channels) {
    if (keep.has(id) || rw.exact.has(id)) continue;
    rw.set(id, alloc.uniqueid());
    if (keep.has(name) || rw.exact.has(name)) continue;
    const base = name.endsWith(";1") || name.endsWith(";2") ? name.slice(0, -2) : name;
    let fresh = renamed.get(base);
    if (!fresh) {
      fresh = alloc.channelName(endpointOf(name));
      renamed.set(base, fresh);
    }
    rw.channel(name, name === base ? fresh : `${fresh}${name.slice(-2)}`);
  }
  for (const b of ids.bridges) if (!keep.has(b) && !rw.exact.has(b)) rw.set(b, alloc.bridgeId());
  return rw;
}

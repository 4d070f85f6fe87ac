// Captured FreeSWITCH ESL traces as data: parsing `.esl.txt` byte streams into ordered events, and
// the rewriting that turns a template into a fresh call instance (new uuids everywhere they appear,
// consistently; optional extension remap), plus the ESL serialisations (`event json` / `event plain`).

import { randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { decodeEventBody, type EslEvent, EslFrameParser } from "../src/pbx/freeswitch-esl/frame-parser.js";

export interface EslTraceEvent {
  event: EslEvent;
  /** Seconds since the first event of the scenario. */
  t: number;
}

export interface EslScenario {
  name: string;
  events: EslTraceEvent[];
  /** Channel uuids of the scenario (every Unique-ID). */
  channels: Set<string>;
}

export const UUID_RE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** Events of the capture session that are not part of a call scenario. */
const NOT_CALL_EVENTS = new Set(["API", "HEARTBEAT", "RE_SCHEDULE"]);

/** Every `text/event-*` event of a raw ESL stream, in order. */
export function parseEslStream(bytes: Buffer): EslEvent[] {
  const out: EslEvent[] = [];
  const parser = new EslFrameParser({
    frame: (f) => {
      const type = f.headers["Content-Type"];
      if ((type === "text/event-json" || type === "text/event-plain") && f.body) {
        const d = decodeEventBody(type, f.body);
        if (d.ok) out.push(d.event);
      }
    },
  });
  parser.push(bytes);
  return out;
}

function micros(e: EslEvent): number {
  const v = e["Event-Date-Timestamp"];
  const n = typeof v === "string" ? Number(v) : Number.NaN;
  return Number.isFinite(n) ? n : 0;
}

/** The call events of a trace with their time offsets. `keepJobs` keeps BACKGROUND_JOB (command templates use it as a marker). */
export function scenarioEvents(events: readonly EslEvent[], keepJobs = false): EslTraceEvent[] {
  const out: EslTraceEvent[] = [];
  let first: number | undefined;
  let last = 0;
  for (const e of events) {
    const name = e["Event-Name"];
    if (typeof name !== "string" || NOT_CALL_EVENTS.has(name)) continue;
    if (name === "BACKGROUND_JOB" && !keepJobs) continue;
    const ts = micros(e) || last;
    last = ts;
    first ??= ts;
    out.push({ event: e, t: Math.max(0, (ts - first) / 1e6) });
  }
  return out;
}

/** Where the traces are: `test/fixtures/freeswitch` above this module (works from src/ and dist/). */
export function defaultEslTracesDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, "test", "fixtures", "freeswitch");
    if (existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  return path.resolve("test/fixtures/freeswitch");
}

export class EslTraceLibrary {
  private readonly cache = new Map<string, EslScenario>();
  private readonly rawCache = new Map<string, EslEvent[]>();
  readonly names: string[];

  constructor(readonly dir: string = defaultEslTracesDir()) {
    this.names = readdirSync(dir)
      .filter((f) => f.endsWith(".esl.txt"))
      .map((f) => f.slice(0, -".esl.txt".length))
      .sort();
  }

  /** Full name from a prefix (`05` -> `05-inbound-answered`). */
  resolve(name: string): string {
    if (this.names.includes(name)) return name;
    const found = this.names.find((n) => n.startsWith(`${name}-`));
    if (!found) throw new Error(`no ESL trace named ${name} in ${this.dir}`);
    return found;
  }

  bytes(name: string): Buffer {
    return readFileSync(path.join(this.dir, `${this.resolve(name)}.esl.txt`));
  }

  /** Every event of the trace, BACKGROUND_JOB included. */
  rawEvents(name: string): EslEvent[] {
    const full = this.resolve(name);
    let events = this.rawCache.get(full);
    if (!events) {
      events = parseEslStream(this.bytes(full));
      this.rawCache.set(full, events);
    }
    return events;
  }

  scenario(name: string): EslScenario {
    const full = this.resolve(name);
    let s = this.cache.get(full);
    if (!s) {
      const events = scenarioEvents(this.rawEvents(full));
      const channels = new Set<string>();
      for (const { event } of events) {
        const u = event["Unique-ID"];
        if (typeof u === "string") channels.add(u);
      }
      s = { name: full, events, channels };
      this.cache.set(full, s);
    }
    return s;
  }
}

/** Keys whose digits are times, counters or sizes: an extension remap leaves them alone. */
const NUMERIC_KEY =
  /(Time|Timestamp|Sequence|Date|epoch|Index|Line-Number|Rate|Port|port|Codec|msec|Count|Length|Size|samples|seconds|_ms$)/;

/**
 * Rewrites template events into one instance: every uuid through `ids` (unknown uuids get fresh ones,
 * so two instances of a template never share an id), extensions through `exts` (whole digit runs only).
 */
export class EslRewriter {
  readonly ids = new Map<string, string>();
  readonly exts = new Map<string, string>();
  /** Exact values replaced wherever they appear as a whole value or inside one (parking slot, paths, destinations). */
  readonly values = new Map<string, string>();
  private extRe?: RegExp;
  /** Values never remapped (Core-UUID is the FreeSWITCH instance, not a call). */
  readonly keep = new Set<string>();

  /** When set, uuids nobody mapped stay as they are (events synthesised from live channels). */
  keepUnmapped = false;

  id(from: string): string {
    if (this.keep.has(from) || (this.keepUnmapped && !this.ids.has(from))) return from;
    let to = this.ids.get(from);
    if (!to) {
      to = randomUUID();
      this.ids.set(from, to);
    }
    return to;
  }

  ext(from: string, to: string): this {
    if (from !== to) {
      this.exts.set(from, to);
      this.extRe = undefined;
    }
    return this;
  }

  rewrite(e: EslEvent): EslEvent {
    const out: EslEvent = {};
    for (const key in e) {
      const v = e[key];
      out[key] = typeof v === "string" ? this.value(key, v) : v;
    }
    return out;
  }

  value(key: string, v: string): string {
    if (v === "" || key === "Core-UUID") return v;
    let s = v;
    if (s.length >= 36 && s.includes("-")) {
      UUID_RE.lastIndex = 0;
      if (UUID_RE.test(s)) {
        UUID_RE.lastIndex = 0;
        s = s.replace(UUID_RE, (m) => this.id(m));
      }
    }
    for (const [from, to] of this.values) if (s.includes(from)) s = s.split(from).join(to);
    if (this.exts.size > 0 && !NUMERIC_KEY.test(key)) {
      this.extRe ??= new RegExp(`(?<![\\d.])(${[...this.exts.keys()].join("|")})(?![\\d])`, "g");
      this.extRe.lastIndex = 0;
      if (this.extRe.test(s)) {
        this.extRe.lastIndex = 0;
        s = s.replace(this.extRe, (m) => this.exts.get(m) ?? m);
      }
    }
    return s;
  }
}

/** The extensions of a scenario's internal phones (`sofia/internal/<ext>@…`). */
export function scenarioExtensions(s: EslScenario): Set<string> {
  const exts = new Set<string>();
  for (const { event } of s.events) {
    const name = event["Channel-Name"];
    if (typeof name !== "string") continue;
    const m = /^sofia\/internal\/(?:sip:)?(\d+)@/.exec(name);
    if (m?.[1]) exts.add(m[1]);
  }
  return exts;
}

// ---- serialisation -----------------------------------------------------------------------------

/** `Content-Length` (bytes) + `Content-Type: text/event-json` + the JSON body, as mod_event_socket writes it. */
export function serializeJsonEvent(e: EslEvent): string {
  const body = JSON.stringify(e);
  return `Content-Length: ${Buffer.byteLength(body)}\nContent-Type: text/event-json\n\n${body}`;
}

/** `event plain`: url-encoded `Name: value` lines, the event body after an inner Content-Length. */
export function serializePlainEvent(e: EslEvent): string {
  let head = "";
  let body: string | undefined;
  for (const [k, v] of Object.entries(e)) {
    if (k === "_body") {
      body = String(v);
      continue;
    }
    if (k === "Content-Length") continue;
    head += `${k}: ${encodeURIComponent(typeof v === "string" ? v : JSON.stringify(v))}\n`;
  }
  const inner = body !== undefined ? `Content-Length: ${Buffer.byteLength(body)}\n\n${body}` : "\n";
  const text = head + inner;
  return `Content-Length: ${Buffer.byteLength(text)}\nContent-Type: text/event-plain\n\n${text}`;
}

export function eventName(e: EslEvent): string {
  const n = e["Event-Name"];
  return typeof n === "string" ? n : "";
}

export function str(e: EslEvent, key: string): string | undefined {
  const v = e[key];
  return typeof v === "string" ? v : undefined;
}

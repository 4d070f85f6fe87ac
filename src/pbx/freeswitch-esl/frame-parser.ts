// A streaming reader for the FreeSWITCH event socket. Every message is a header block ended by an
// empty line (`\n\n`); when it carries `Content-Length: N`, exactly N BYTES of body follow (UTF-8
// is counted in bytes, never in characters). It works on Buffers end to end and never rescans data
// it has already looked at: a header block is searched for in each new chunk only (plus the one
// byte that may straddle two chunks), and a body is waited for by counting bytes, so a 1 MB body
// arriving in 64 KB reads is copied once, not 16 times (modesl concatenates and rescans its whole
// buffer from byte 0 on every read).
//
// Broken input never stops the stream: a header block larger than `maxHeaderBytes` is dropped up to
// its end, bytes in front of a frame (what a lying Content-Length leaves behind) are skipped up to the
// next `Content-Length:`/`Content-Type:` line, and a body that is not valid JSON is reported, not thrown.

export interface EslFrame {
  headers: Record<string, string>;
  /** The body bytes. A view into the read buffer: decode it during the callback, or copy it. */
  body?: Buffer;
}

export interface EslParserHandlers {
  frame(frame: EslFrame): void;
  malformed?(reason: string, sample: string): void;
}

export interface EslParserLimits {
  /** Largest header block accepted. Default 64 KB (FreeSWITCH sends a few hundred bytes). */
  maxHeaderBytes?: number;
  /** Largest body accepted. Default 32 MB (a `show channels as json` with thousands of calls). */
  maxBodyBytes?: number;
}

const LF = 0x0a;

/**
 * FreeSWITCH's event type names (switch_event.c EVENT_NAMES: `CHANNEL_CREATE`, `CUSTOM`, …). Anything
 * else in `Event-Name` did not come from FreeSWITCH, and must not reach code that keys by it (a
 * `toString` event counted in a plain object's `unknown[name]` made a string of the count).
 */
const EVENT_NAME = /^[A-Z][A-Z0-9_]*$/;

/** Header names come from the wire: no prototype, so a `constructor` or `__proto__` header is just a header. */
function emptyHeaders(): Record<string, string> {
  return Object.create(null);
}
const EMPTY = Buffer.alloc(0);
const FRAME_START = /(Content-Length|Content-Type|Reply-Text|Event-Name): /;

export class EslFrameParser {
  private chunks: Buffer[] = [];
  private total = 0;
  /** Last byte of the data already searched for a header end (a `\n\n` may straddle two reads). */
  private lastByte = -1;
  private bodyFor?: Record<string, string>;
  private need = 0;
  private discarding = false;
  private readonly maxHeader: number;
  private readonly maxBody: number;

  constructor(
    private readonly handlers: EslParserHandlers,
    limits: EslParserLimits = {},
  ) {
    this.maxHeader = limits.maxHeaderBytes ?? 64 * 1024;
    this.maxBody = limits.maxBodyBytes ?? 32 * 1024 * 1024;
  }

  /** Bytes held, waiting for the rest of a frame. */
  get buffered(): number {
    return this.total;
  }

  /** Forget a partial frame (the connection it came from is gone). */
  reset(): void {
    this.chunks = [];
    this.total = 0;
    this.lastByte = -1;
    this.bodyFor = undefined;
    this.need = 0;
    this.discarding = false;
  }

  push(data: Buffer | string): void {
    const chunk = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    if (chunk.length === 0) return;
    if (this.discarding) {
      const end = headerEnd(chunk, 0, this.lastByte);
      if (end < 0) {
        this.lastByte = chunk[chunk.length - 1] as number;
        return;
      }
      this.discarding = false;
      this.lastByte = -1;
      this.feed(chunk.subarray(end + 1));
      return;
    }
    if (this.bodyFor || this.total === 0) {
      this.feed(chunk);
      return;
    }
    // Waiting for the end of a header block: look in the new bytes only.
    const end = headerEnd(chunk, 0, this.lastByte);
    if (end < 0) {
      this.chunks.push(chunk);
      this.total += chunk.length;
      this.lastByte = chunk[chunk.length - 1] as number;
      if (this.total > this.maxHeader) this.oversizedHeader();
      return;
    }
    // Copy the header block only, not the whole read it ends in.
    const head = Buffer.concat([...this.chunks, chunk.subarray(0, end + 1)]);
    this.chunks = [];
    this.total = 0;
    this.lastByte = -1;
    this.parse(head);
    this.feed(chunk.subarray(end + 1));
  }

  /** Completes a body being waited for (copying just its bytes), then parses what follows. */
  private feed(buf: Buffer): void {
    if (this.bodyFor) {
      const missing = this.need - this.total;
      if (buf.length < missing) {
        this.chunks.push(buf);
        this.total += buf.length;
        return;
      }
      const body =
        this.total === 0
          ? buf.subarray(0, missing)
          : Buffer.concat([...this.chunks, buf.subarray(0, missing)]);
      const headers = this.bodyFor;
      this.bodyFor = undefined;
      this.need = 0;
      this.chunks = [];
      this.total = 0;
      this.lastByte = -1;
      this.handlers.frame({ headers, body });
      buf = buf.subarray(missing);
    }
    if (buf.length > 0) this.parse(buf);
  }

  private oversizedHeader(): void {
    const first = this.chunks[0] ?? EMPTY;
    this.report(`header block larger than ${this.maxHeader} bytes`, first.subarray(0, 200));
    this.chunks = [];
    this.total = 0;
    this.discarding = true;
  }

  /** Frames from the start of a header block; keeps an unfinished header block or body for later. */
  private parse(buf: Buffer): void {
    let pos = 0;
    while (pos < buf.length) {
      // Blank lines between frames carry nothing.
      while (pos < buf.length && buf[pos] === LF) pos++;
      if (pos >= buf.length) return;
      const end = buf.indexOf("\n\n", pos, "latin1");
      if (end < 0) {
        this.keep(buf.subarray(pos));
        return;
      }
      if (end - pos > this.maxHeader) {
        this.report(`header block larger than ${this.maxHeader} bytes`, buf.subarray(pos, pos + 200));
        pos = end + 2;
        continue;
      }
      const text = buf.toString("utf8", pos, end);
      const parsed = this.headerBlock(text);
      pos = end + 2;
      if (!parsed) continue;
      const length = parsed["Content-Length"];
      if (length === undefined) {
        this.handlers.frame({ headers: parsed });
        continue;
      }
      const n = /^\d{1,10}$/.test(length) ? Number(length) : Number.NaN;
      if (!Number.isSafeInteger(n) || n > this.maxBody) {
        this.report(`unusable Content-Length ${JSON.stringify(length.slice(0, 20))}`, Buffer.from(text));
        continue;
      }
      if (buf.length - pos >= n) {
        this.handlers.frame({ headers: parsed, body: buf.subarray(pos, pos + n) });
        pos += n;
        continue;
      }
      this.bodyFor = parsed;
      this.need = n;
      this.keep(buf.subarray(pos));
      return;
    }
  }

  private keep(rest: Buffer): void {
    if (!this.bodyFor && rest.length > this.maxHeader) {
      this.report(`header block larger than ${this.maxHeader} bytes`, rest.subarray(0, 200));
      this.discarding = true;
      this.lastByte = rest[rest.length - 1] as number;
      return;
    }
    this.chunks = rest.length > 0 ? [rest] : [];
    this.total = rest.length;
    this.lastByte = rest.length > 0 ? (rest[rest.length - 1] as number) : -1;
  }

  /** `Name: value` lines. Garbage in front of the first header (a lying Content-Length) is skipped. */
  private headerBlock(text: string): Record<string, string> | undefined {
    let start = 0;
    const firstColon = text.indexOf(": ");
    const firstLf = text.indexOf("\n");
    const firstLineEnd = firstLf < 0 ? text.length : firstLf;
    if (firstColon <= 0 || firstColon > firstLineEnd || !isHeaderName(text, 0, firstColon)) {
      const m = FRAME_START.exec(text);
      if (!m || m.index === 0) {
        this.report("not an ESL header block", Buffer.from(text.slice(0, 200)));
        return undefined;
      }
      this.report("bytes before a frame skipped", Buffer.from(text.slice(0, Math.min(m.index, 200))));
      start = m.index;
    }
    const headers = emptyHeaders();
    let any = false;
    while (start < text.length) {
      let lf = text.indexOf("\n", start);
      if (lf < 0) lf = text.length;
      const lineEnd = lf > start && text.charCodeAt(lf - 1) === 13 ? lf - 1 : lf;
      const colon = text.indexOf(":", start);
      if (colon > start && colon < lineEnd) {
        const value =
          text.charCodeAt(colon + 1) === 32 ? text.slice(colon + 2, lineEnd) : text.slice(colon + 1, lineEnd);
        headers[text.slice(start, colon)] = value;
        any = true;
      }
      start = lf + 1;
    }
    if (!any) {
      this.report("not an ESL header block", Buffer.from(text.slice(0, 200)));
      return undefined;
    }
    return headers;
  }

  private report(reason: string, sample: Buffer): void {
    this.handlers.malformed?.(reason, sample.toString("utf8"));
  }
}

/** Index of the second `\n` of a `\n\n` in `chunk` (the first may be the previous chunk's last byte). */
function headerEnd(chunk: Buffer, from: number, previousByte: number): number {
  if (previousByte === LF && chunk[from] === LF) return from;
  const i = chunk.indexOf("\n\n", from, "latin1");
  return i < 0 ? -1 : i + 1;
}

function isHeaderName(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    // Header names are tokens: letters, digits, '-', '_', '.'
    if (
      !(
        (c >= 48 && c <= 57) ||
        (c >= 65 && c <= 90) ||
        (c >= 97 && c <= 122) ||
        c === 45 ||
        c === 95 ||
        c === 46
      )
    )
      return false;
  }
  return true;
}

// ---- event bodies -------------------------------------------------------------------------------

/** An event as FreeSWITCH serialised it: header name -> value (json values are strings; a few are arrays). */
export type EslEvent = Record<string, unknown>;

/** A string header of an event, or undefined. */
export function hdr(e: EslEvent, key: string): string | undefined {
  const v = e[key];
  return typeof v === "string" ? v : undefined;
}

/**
 * The Event-Name of a JSON event body without parsing it. FreeSWITCH writes `Event-Name` first
 * (`Event-Subclass` first for CUSTOM events), so the first 256 bytes are enough.
 */
export function peekEventName(body: Buffer): string | undefined {
  const head = body.toString("latin1", 0, Math.min(body.length, 256));
  const i = head.indexOf('"Event-Name":"');
  if (i < 0) return undefined;
  const start = i + 14;
  const end = head.indexOf('"', start);
  return end < 0 ? undefined : head.slice(start, end);
}

export type DecodedEvent = { ok: true; event: EslEvent } | { ok: false; reason: string };

/** Decodes a `text/event-json` or `text/event-plain` body. */
export function decodeEventBody(contentType: string | undefined, body: Buffer): DecodedEvent {
  if (contentType === "text/event-json") {
    let value: unknown;
    try {
      value = JSON.parse(body.toString("utf8"));
    } catch (err) {
      return { ok: false, reason: `event body is not JSON (${(err as Error).message})` };
    }
    if (typeof value !== "object" || value === null || Array.isArray(value))
      return { ok: false, reason: "event body is not a JSON object" };
    return checkEventName(value as EslEvent);
  }
  if (contentType === "text/event-plain") return decodePlainEvent(body);
  return { ok: false, reason: `unsupported event format ${contentType ?? "(none)"}` };
}

/** `Name: url-encoded value` lines, then (if the event has a body) `Content-Length: n`, a blank line and n bytes. */
export function decodePlainEvent(body: Buffer): DecodedEvent {
  const end = body.indexOf("\n\n", 0, "latin1");
  const headText = body.toString("utf8", 0, end < 0 ? body.length : end);
  const event: EslEvent = Object.create(null);
  for (const line of headText.split("\n")) {
    const colon = line.indexOf(": ");
    if (colon <= 0) continue;
    event[line.slice(0, colon)] = urlDecode(line.slice(colon + 2));
  }
  const length = event["Content-Length"];
  if (end >= 0 && typeof length === "string") {
    const n = Number.parseInt(length, 10);
    if (Number.isFinite(n)) event._body = body.toString("utf8", end + 2, end + 2 + n);
  }
  return checkEventName(event);
}

function checkEventName(event: EslEvent): DecodedEvent {
  const name = event["Event-Name"];
  if (typeof name !== "string") return { ok: false, reason: "event without Event-Name" };
  if (!EVENT_NAME.test(name)) {
    return { ok: false, reason: `Event-Name ${JSON.stringify(name.slice(0, 40))} is not an event type` };
  }
  return { ok: true, event };
}

/** decodeURIComponent that never throws (a stray `%` stays as it is). */
export function urlDecode(v: string): string {
  if (!v.includes("%")) return v;
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

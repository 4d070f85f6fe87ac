// Streaming AMI frame parser: `Key: Value\r\n` lines, a blank line ends a frame.
// Keys keep Asterisk's spelling (no lowercasing); a repeated key keeps every value in `repeated`.
// A frame that never ends within `maxFrameBytes` is reported as malformed and skipped, so one bad
// frame can neither stall the stream nor grow memory without bound. A frame is consumed from the
// buffer before it is parsed: one that cannot be parsed is reported and skipped, never read again.

import { StringDecoder } from "node:string_decoder";

/**
 * A frame's headers. Frames and `repeated` have no Object.prototype: a header named `constructor`,
 * `toString`, `hasOwnProperty` or `__proto__` is an ordinary key (issue 14: `constructor: x` made
 * `key in frame` true on a plain object and the parser threw on every later read).
 */
export type AmiFrame = Record<string, string>;

/**
 * Instances of a function whose prototype is a null-prototype object: no inherited members, and
 * unlike Object.create(null) (dictionary mode from the start) they keep V8's fast properties.
 */
function HeaderBag(): void {}
HeaderBag.prototype = Object.create(null);
const NewHeaderBag = HeaderBag as unknown as new () => Record<string, never>;

/** An empty frame without a prototype chain to Object.prototype. */
function emptyFrame(): AmiFrame {
  return new NewHeaderBag();
}

function emptyRepeated(): Record<string, string[]> {
  return new NewHeaderBag();
}

/**
 * Events the reader does not need, recognised from the frame's first line without parsing the frame.
 * `keepIfContains` rescues an ignored event whose text contains a marker (e.g. the one VarSet that
 * names a recording file). Skipping is the single largest saving on real traffic: two thirds of what
 * an unfiltered Asterisk sends is VarSet and Newexten.
 */
export interface FrameInterest {
  ignore: ReadonlySet<string>;
  keepIfContains?: ReadonlyMap<string, string>;
}

export interface AmiFrameSink {
  frame(frame: AmiFrame, repeated: Record<string, string[]> | undefined): void;
  banner?(line: string): void;
  malformed(reason: string, sample: string): void;
  /** An event the FrameInterest skipped. */
  skipped?(event: string): void;
}

const TERMINATOR = "\r\n\r\n";
const BANNER = "Asterisk Call Manager/";

export class AmiFrameParser {
  private buffer = "";
  private readonly decoder = new StringDecoder("utf8");
  private expectBanner: boolean;
  /** Skipping an oversized frame until its end shows up. */
  private discarding = false;

  constructor(
    private readonly sink: AmiFrameSink,
    private readonly maxFrameBytes = 256 * 1024,
    options: { banner?: boolean; interest?: FrameInterest } = {},
  ) {
    this.expectBanner = options.banner ?? true;
    this.interest = options.interest;
  }

  private readonly interest: FrameInterest | undefined;

  push(chunk: Buffer | string): void {
    this.buffer += typeof chunk === "string" ? chunk : this.decoder.write(chunk);
    let start = 0;
    if (this.expectBanner) {
      const eol = this.buffer.indexOf("\r\n");
      if (eol < 0) return;
      this.expectBanner = false;
      if (this.buffer.startsWith(BANNER)) {
        this.sink.banner?.(this.buffer.slice(0, eol));
        start = eol + 2;
      }
    }
    const buf = this.buffer;
    try {
      for (;;) {
        const end = buf.indexOf(TERMINATOR, start);
        if (end < 0) break;
        const from = start;
        // Consumed before anything can throw: a frame is never parsed twice.
        start = end + 4;
        if (this.discarding) this.discarding = false;
        else if (end > from) this.frameAt(buf, from, end);
      }
    } finally {
      this.buffer = start === 0 ? buf : buf.slice(start);
    }
    if (this.buffer.length > this.maxFrameBytes) {
      if (!this.discarding) {
        this.sink.malformed(`frame longer than ${this.maxFrameBytes} bytes`, this.buffer.slice(0, 200));
      }
      this.discarding = true;
      // Keep a tail so a terminator split across chunks is still found.
      this.buffer = this.buffer.slice(-3);
    }
  }

  /**
   * One frame: skipped, or parsed and delivered. Whatever throws on the way is reported with the frame
   * as a sample and the frame is dropped; the frames after it are read as usual.
   */
  private frameAt(buf: string, start: number, end: number): void {
    let stage = "could not be parsed";
    try {
      if (this.skip(buf, start, end)) return;
      const parsed = this.parseFrame(buf, start, end);
      if (!parsed) return;
      stage = "handler failed";
      this.sink.frame(parsed.frame, parsed.repeated);
    } catch (err) {
      this.sink.malformed(
        `frame ${stage}: ${err instanceof Error ? err.message : String(err)}`,
        buf.slice(start, Math.min(end, start + 200)),
      );
    }
  }

  private skip(buf: string, start: number, end: number): boolean {
    const interest = this.interest;
    if (!interest || !buf.startsWith("Event: ", start)) return false;
    let eol = buf.indexOf("\r\n", start);
    if (eol < 0 || eol > end) eol = end;
    const name = buf.slice(start + 7, eol);
    if (!interest.ignore.has(name)) return false;
    const marker = interest.keepIfContains?.get(name);
    // Search this frame only (an unbounded indexOf would scan the rest of the buffer for every VarSet).
    if (marker !== undefined && buf.slice(eol, end).includes(marker)) return false;
    this.sink.skipped?.(name);
    return true;
  }

  private parseFrame(
    buf: string,
    start: number,
    end: number,
  ): { frame: AmiFrame; repeated: Record<string, string[]> | undefined } | undefined {
    const frame = emptyFrame();
    let repeated: Record<string, string[]> | undefined;
    let pos = start;
    let bad = 0;
    while (pos < end) {
      let eol = buf.indexOf("\r\n", pos);
      if (eol < 0 || eol > end) eol = end;
      const colon = buf.indexOf(":", pos);
      if (colon < 0 || colon > eol) {
        bad++;
      } else {
        const key = buf.slice(pos, colon);
        const value =
          buf.charCodeAt(colon + 1) === 32 ? buf.slice(colon + 2, eol) : buf.slice(colon + 1, eol);
        const first = frame[key];
        if (first !== undefined) {
          repeated ??= emptyRepeated();
          const values = repeated[key] ?? [first];
          values.push(value);
          repeated[key] = values;
        } else {
          frame[key] = value;
        }
      }
      pos = eol + 2;
    }
    if (frame.Event === undefined && frame.Response === undefined) {
      this.sink.malformed(
        "frame has neither Event nor Response",
        buf.slice(start, Math.min(end, start + 200)),
      );
      return undefined;
    }
    if (bad > 0)
      this.sink.malformed(
        `${bad} line(s) without "Key: Value"`,
        buf.slice(start, Math.min(end, start + 200)),
      );
    return { frame, repeated };
  }
}

/** Serializes an action. Values must not contain CR or LF (that would inject headers). */
export function formatAction(action: string, headers: Record<string, string | string[] | undefined>): string {
  let out = `Action: ${action}\r\n`;
  for (const [key, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) {
      if (/[\r\n]/.test(v) || /[\r\n:]/.test(key)) throw new Error(`AMI header ${key} contains a line break`);
      out += `${key}: ${v}\r\n`;
    }
  }
  return `${out}\r\n`;
}

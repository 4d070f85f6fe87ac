// Streaming AMI frame parser: `Key: Value\r\n` lines, a blank line ends a frame.
// Keys keep Asterisk's spelling (no lowercasing); a repeated key keeps every value in `repeated`.
// A frame that never ends within `maxFrameBytes` is reported as malformed and skipped, so one bad
// frame can neither stall the stream nor grow memory without bound.

import { StringDecoder } from "node:string_decoder";

export type AmiFrame = Record<string, string>;

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
    for (;;) {
      const end = buf.indexOf(TERMINATOR, start);
      if (end < 0) break;
      if (this.discarding) this.discarding = false;
      else if (end > start && !this.skip(buf, start, end)) this.parseFrame(buf, start, end);
      start = end + 4;
    }
    this.buffer = start === 0 ? buf : buf.slice(start);
    if (this.buffer.length > this.maxFrameBytes) {
      if (!this.discarding) {
        this.sink.malformed(`frame longer than ${this.maxFrameBytes} bytes`, this.buffer.slice(0, 200));
      }
      this.discarding = true;
      // Keep a tail so a terminator split across chunks is still found.
      this.buffer = this.buffer.slice(-3);
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

  private parseFrame(buf: string, start: number, end: number): void {
    const frame: AmiFrame = {};
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
        if (key in frame) {
          repeated ??= {};
          const values = repeated[key] ?? [frame[key] as string];
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
      return;
    }
    if (bad > 0)
      this.sink.malformed(
        `${bad} line(s) without "Key: Value"`,
        buf.slice(start, Math.min(end, start + 200)),
      );
    this.sink.frame(frame, repeated);
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

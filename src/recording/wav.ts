// Reading the header of a RIFF/WAVE file: its audio format and, from the size of its data chunk,
// its duration. Only the chunk headers are read, never the audio itself, so a long recording costs
// a handful of small reads. Extra chunks (LIST, fact, ...) anywhere before or after the data are skipped.

import { open } from "node:fs/promises";

export type WavFormat = "pcm" | "alaw" | "mulaw";

export interface WavInfo {
  format: WavFormat;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  /** Bytes of audio in the data chunk. */
  dataBytes: number;
  durationMs: number;
}

/** What is wrong with a file that is not a usable WAV file; `message` says it in one line. */
export class WavError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WavError";
  }
}

const FORMAT_CODES: Record<number, WavFormat> = { 1: "pcm", 6: "alaw", 7: "mulaw" };
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
const PCM_BITS = new Set([8, 16, 24, 32]);
/** The data size a streaming writer puts in the header before it knows the real one. */
const STREAMING_SIZE = 0xffffffff;

/** Reads `length` bytes at `offset`; returns fewer at the end of the file. */
export type ByteSource = (offset: number, length: number) => Promise<Buffer>;

interface Fmt {
  code: number;
  channels: number;
  sampleRate: number;
  blockAlign: number;
  bitsPerSample: number;
}

function parseFmt(body: Buffer, size: number): Fmt {
  if (body.length < 16 || size < 16) {
    throw new WavError(
      `truncated WAV: fmt chunk is ${Math.min(body.length, size)} bytes, expected at least 16`,
    );
  }
  let code = body.readUInt16LE(0);
  if (code === WAVE_FORMAT_EXTENSIBLE && body.length >= 26) code = body.readUInt16LE(24);
  return {
    code,
    channels: body.readUInt16LE(2),
    sampleRate: body.readUInt32LE(4),
    blockAlign: body.readUInt16LE(12),
    bitsPerSample: body.readUInt16LE(14),
  };
}

function describe(fmt: Fmt, dataBytes: number): WavInfo {
  const format = FORMAT_CODES[fmt.code];
  if (!format)
    throw new WavError(`unsupported WAV format code ${fmt.code} (expected PCM 1, a-law 6 or mu-law 7)`);
  if (format === "pcm" && !PCM_BITS.has(fmt.bitsPerSample)) {
    throw new WavError(`unsupported PCM sample size: ${fmt.bitsPerSample} bits`);
  }
  if (format !== "pcm" && fmt.bitsPerSample !== 8) {
    throw new WavError(`unsupported ${format} sample size: ${fmt.bitsPerSample} bits (expected 8)`);
  }
  if (fmt.channels < 1) throw new WavError("invalid WAV: 0 channels");
  if (fmt.sampleRate < 1) throw new WavError("invalid WAV: sample rate 0");
  const bytesPerFrame = fmt.blockAlign || (fmt.channels * fmt.bitsPerSample) / 8;
  const frames = Math.floor(dataBytes / bytesPerFrame);
  return {
    format,
    channels: fmt.channels,
    sampleRate: fmt.sampleRate,
    bitsPerSample: fmt.bitsPerSample,
    dataBytes,
    durationMs: Math.round((frames * 1000) / fmt.sampleRate),
  };
}

/** Parses the header of a WAV file of `fileSize` bytes read through `read`. Throws a WavError when it is not one. */
export async function parseWav(read: ByteSource, fileSize: number): Promise<WavInfo> {
  const head = await read(0, 12);
  if (head.length < 12 || head.toString("latin1", 0, 4) !== "RIFF") {
    throw new WavError("not a WAV file: missing RIFF header");
  }
  if (head.toString("latin1", 8, 12) !== "WAVE") throw new WavError("not a WAV file: RIFF type is not WAVE");

  let fmt: Fmt | undefined;
  let data: { offset: number; size: number } | undefined;
  let offset = 12;
  while (offset + 8 <= fileSize) {
    const header = await read(offset, 8);
    if (header.length < 8) break;
    const id = header.toString("latin1", 0, 4);
    const size = header.readUInt32LE(4);
    const body = offset + 8;
    if (id === "fmt ") {
      const bytes = await read(body, Math.min(size, 64));
      if (size >= 16 && bytes.length < 16) {
        throw new WavError(`truncated WAV: the file ends inside the header (${fileSize} bytes)`);
      }
      fmt = parseFmt(bytes, size);
    } else if (id === "data") {
      const available = fileSize - body;
      if ((size === STREAMING_SIZE || size === 0) && available > 0) {
        // A header never completed (the writer streams, or died before writing the final size): the
        // audio is the rest of the file.
        data = { offset: body, size: available };
        if (fmt) return describe(fmt, available);
        break;
      }
      if (size > available) {
        throw new WavError(`truncated WAV: data chunk says ${size} bytes, file has ${available}`);
      }
      data = { offset: body, size };
    }
    if (fmt && data) return describe(fmt, data.size);
    offset = body + size + (size % 2);
  }
  if (!fmt) {
    throw new WavError(
      offset + 8 > fileSize && fileSize < 44
        ? `truncated WAV: the file ends inside the header (${fileSize} bytes)`
        : "not a WAV file: no fmt chunk",
    );
  }
  throw new WavError(`truncated WAV: no data chunk in ${fileSize} bytes`);
}

/** Parses a whole WAV file held in memory. */
export function parseWavBuffer(buffer: Buffer): Promise<WavInfo> {
  return parseWav(async (offset, length) => buffer.subarray(offset, offset + length), buffer.length);
}

/** Reads the header of the WAV file at `path`. */
export async function readWavInfo(path: string): Promise<WavInfo> {
  const handle = await open(path, "r");
  try {
    const { size } = await handle.stat();
    return await parseWav(async (offset, length) => {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, offset);
      return buffer.subarray(0, bytesRead);
    }, size);
  } finally {
    await handle.close();
  }
}

/** A WAV header for `dataBytes` of audio (16-bit PCM unless told otherwise); for tests and the bench. */
export function wavHeader(
  dataBytes: number,
  options: { sampleRate?: number; channels?: number; bitsPerSample?: number; formatCode?: number } = {},
): Buffer {
  const sampleRate = options.sampleRate ?? 8000;
  const channels = options.channels ?? 1;
  const bits = options.bitsPerSample ?? 16;
  const blockAlign = (channels * bits) / 8;
  const h = Buffer.alloc(44);
  h.write("RIFF", 0, "latin1");
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write("WAVE", 8, "latin1");
  h.write("fmt ", 12, "latin1");
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(options.formatCode ?? 1, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * blockAlign, 28);
  h.writeUInt16LE(blockAlign, 32);
  h.writeUInt16LE(bits, 34);
  h.write("data", 36, "latin1");
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

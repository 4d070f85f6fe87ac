import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseWavBuffer, readWavInfo, WavError, wavHeader } from "../../src/recording/wav.js";
import { tempDir, wavBytes } from "./helpers.js";

/** A LIST/INFO chunk as audio editors write it. */
function listChunk(): Buffer {
  const info = Buffer.from("INFOISFT\u000e\u0000\u0000\u0000Lavf58.76.100\u0000", "latin1");
  const header = Buffer.alloc(8);
  header.write("LIST", 0, "latin1");
  header.writeUInt32LE(info.length, 4);
  return Buffer.concat([header, info]);
}

/** Moves the chunks after `fmt ` so that `extra` sits between fmt and data. */
function withChunkBeforeData(wav: Buffer, extra: Buffer): Buffer {
  const out = Buffer.concat([wav.subarray(0, 36), extra, wav.subarray(36)]);
  out.writeUInt32LE(out.length - 8, 4);
  return out;
}

describe("readWavInfo", () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, remove } = await tempDir("wav"));
  });
  afterAll(() => remove());

  it("reads an 8 kHz 16-bit mono PCM file", async () => {
    const path = join(dir, "good.wav");
    await writeFile(path, wavBytes(2500));
    expect(await readWavInfo(path)).toEqual({
      format: "pcm",
      channels: 1,
      sampleRate: 8000,
      bitsPerSample: 16,
      dataBytes: 40_000,
      durationMs: 2500,
    });
  });

  it("skips a LIST chunk before the data and chunks after it", async () => {
    const path = join(dir, "list.wav");
    const trailing = listChunk();
    await writeFile(path, Buffer.concat([withChunkBeforeData(wavBytes(1000), listChunk()), trailing]));
    expect(await readWavInfo(path)).toMatchObject({ format: "pcm", dataBytes: 16_000, durationMs: 1000 });
  });

  it("reads mu-law and a-law files (format codes 7 and 6) and stereo 8-bit PCM", async () => {
    const mulaw = await parseWavBuffer(wavBytes(500, { bitsPerSample: 8, formatCode: 7 }));
    expect(mulaw).toMatchObject({ format: "mulaw", bitsPerSample: 8, dataBytes: 4000, durationMs: 500 });
    const alaw = await parseWavBuffer(wavBytes(250, { bitsPerSample: 8, formatCode: 6, sampleRate: 16_000 }));
    expect(alaw).toMatchObject({ format: "alaw", sampleRate: 16_000, durationMs: 250 });
    const stereo = await parseWavBuffer(wavBytes(1000, { bitsPerSample: 8, channels: 2 }));
    expect(stereo).toMatchObject({ format: "pcm", channels: 2, dataBytes: 16_000, durationMs: 1000 });
  });

  it("takes the rest of the file as audio when the writer never completed the header", async () => {
    for (const placeholder of [0xffffffff, 0]) {
      const header = wavHeader(0);
      header.writeUInt32LE(placeholder, 40);
      const info = await parseWavBuffer(Buffer.concat([header, Buffer.alloc(8000)]));
      expect(info).toMatchObject({ dataBytes: 8000, durationMs: 500 });
    }
    expect(await parseWavBuffer(wavHeader(0))).toMatchObject({ dataBytes: 0, durationMs: 0 });
  });

  it("refuses a truncated file, naming both sizes", async () => {
    const path = join(dir, "truncated.wav");
    await writeFile(path, wavBytes(1000).subarray(0, 44 + 6000));
    const error = await readWavInfo(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WavError);
    expect((error as Error).message).toBe("truncated WAV: data chunk says 16000 bytes, file has 6000");
  });

  it("refuses a file that ends inside the header", async () => {
    await expect(parseWavBuffer(wavBytes(1000).subarray(0, 30))).rejects.toThrow(
      "truncated WAV: the file ends inside the header (30 bytes)",
    );
  });

  it("refuses something that is not a WAV file", async () => {
    const path = join(dir, "not.wav");
    await writeFile(path, "this is not audio, just text that happens to be long enough\n");
    await expect(readWavInfo(path)).rejects.toThrow("not a WAV file: missing RIFF header");
    await writeFile(path, "");
    await expect(readWavInfo(path)).rejects.toThrow("not a WAV file: missing RIFF header");
    const avi = Buffer.from(wavHeader(0));
    avi.write("AVI ", 8, "latin1");
    await expect(parseWavBuffer(avi)).rejects.toThrow("not a WAV file: RIFF type is not WAVE");
  });

  it("refuses an unsupported format", async () => {
    await expect(parseWavBuffer(wavBytes(100, { formatCode: 85 }))).rejects.toThrow(
      "unsupported WAV format code 85",
    );
  });
});

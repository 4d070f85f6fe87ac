// The store: finalized recordings under `<store>/YYYY/MM/DD/<callId>-<ext>.wav` (UTC date of the
// start; ext is the recorded extension, or "call"), each with its metadata in a `.json` beside it.
//
// A recording first claims its name by creating the metadata file (atomically, with link(2): a name
// is never given to two recordings), then the audio is moved next to it. The metadata names the
// recording's id, so a finalize job that runs again after a crash finds its own name, whatever step
// it died in, and completes without making a second copy. Two segments of one call and extension
// get `-2`, `-3`, ... suffixes.

import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { copyFile, link, mkdir, open, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import type { CallDirection, Party } from "../domain/calls.js";
import type { FinalizeRecording } from "./recording-job.js";
import type { WavInfo } from "./wav.js";

export interface RecordingMetadata {
  /** The finalize job id: one recording, one id. */
  id: string;
  pbx: string;
  callId: string;
  leg: string;
  extension?: string;
  direction: CallDirection;
  parties: Party[];
  requiredBy: string[];
  onDemandBy?: string;
  startedAt: number;
  stoppedAt: number;
  durationMs: number;
  sizeBytes: number;
  sha256: string;
  wav: Omit<WavInfo, "durationMs">;
  /** Where the PBX wrote the file. */
  originalPath: string;
  /** The stored audio, relative to the store root (`2024/05/01/1700000000.12-1001.wav`). */
  file: string;
  storedAt: number;
}

export interface StoredRecording {
  metadata: RecordingMetadata;
  /** Absolute paths of the stored audio and metadata. */
  wavPath: string;
  jsonPath: string;
}

const SAFE = /[^A-Za-z0-9._-]/g;

function safeName(part: string): string {
  const cleaned = part.replace(SAFE, "_").replace(/^\.+/, "_");
  return cleaned === "" ? "_" : cleaned;
}

function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function isCode(err: unknown, code: string): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === code;
}

async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } catch {
    // Directories cannot be fsync'd on every filesystem.
  } finally {
    await handle.close();
  }
}

export async function sha256File(path: string): Promise<{ sha256: string; sizeBytes: number }> {
  const hash = createHash("sha256");
  let sizeBytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 64 * 1024 })) {
    hash.update(chunk as Buffer);
    sizeBytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest("hex"), sizeBytes };
}

/** Moves a file, with rename when it can, else copy + fsync + rename + unlink (across filesystems). */
export async function moveFile(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    if (!isCode(err, "EXDEV")) throw err;
    const temporary = join(dirname(to), `.${randomBytes(6).toString("hex")}.partial`);
    try {
      await copyFile(from, temporary);
      await fsyncPath(temporary);
      await rename(temporary, to);
    } catch (copyErr) {
      await unlink(temporary).catch(() => undefined);
      throw copyErr;
    }
    await fsyncPath(dirname(to));
    await unlink(from);
    return;
  }
  await fsyncPath(dirname(to));
}

export class RecordingStore {
  constructor(readonly root: string) {}

  /** The directory of a recording started at `startedAt` (UTC). */
  directoryFor(startedAt: number): string {
    const d = new Date(startedAt);
    const pad = (n: number) => String(n).padStart(2, "0");
    return join(this.root, String(d.getUTCFullYear()), pad(d.getUTCMonth() + 1), pad(d.getUTCDate()));
  }

  /** `<callId>-<ext>` with unsafe characters replaced. */
  baseName(job: Pick<FinalizeRecording, "callId" | "extension">): string {
    return `${safeName(job.callId)}-${safeName(job.extension ?? "call")}`;
  }

  /** The stored recording of job `id`, if an earlier run claimed a name for it (its audio may not have moved yet). */
  async find(
    job: Pick<FinalizeRecording, "callId" | "extension" | "startedAt">,
    id: string,
  ): Promise<StoredRecording | undefined> {
    const dir = this.directoryFor(job.startedAt);
    const base = this.baseName(job);
    // Names are claimed in order, so the recording's name, if any, comes before the first free one.
    for (let n = 1; ; n++) {
      const stem = join(dir, n === 1 ? base : `${base}-${n}`);
      const jsonPath = `${stem}.json`;
      const wavPath = `${stem}.wav`;
      const metadata = await this.readMetadata(jsonPath);
      if (metadata?.id === id) return { metadata, jsonPath, wavPath };
      if (metadata) continue;
      const taken = await Promise.all([exists(jsonPath), exists(wavPath)]);
      if (!taken[0] && !taken[1]) return undefined;
    }
  }

  /**
   * Stores `source` under a name claimed for `metadata.id` (the name found by an earlier run of the same
   * recording, or the first free one): writes the metadata, then moves the audio next to it.
   */
  async store(
    source: string,
    metadata: Omit<RecordingMetadata, "file" | "storedAt">,
    job: FinalizeRecording,
    afterClaim?: () => Promise<void> | void,
  ): Promise<StoredRecording> {
    const dir = this.directoryFor(job.startedAt);
    await mkdir(dir, { recursive: true });
    const existing = await this.find(job, metadata.id);
    const stored = existing
      ? await this.rewriteMetadata(existing, metadata)
      : await this.claim(dir, this.baseName(job), metadata);
    await afterClaim?.();
    await moveFile(source, stored.wavPath);
    return stored;
  }

  /** Whether the audio of a stored recording is complete: present, with the size and checksum of its metadata. */
  async verify(stored: StoredRecording): Promise<boolean> {
    const st = await stat(stored.wavPath).catch(() => undefined);
    if (!st || st.size !== stored.metadata.sizeBytes) return false;
    return (await sha256File(stored.wavPath)).sha256 === stored.metadata.sha256;
  }

  /** Deletes a stored recording's audio, then its metadata. */
  async remove(metadata: Pick<RecordingMetadata, "file">): Promise<void> {
    const wavPath = join(this.root, metadata.file);
    for (const path of [wavPath, wavPath.replace(/\.wav$/, ".json")]) {
      await unlink(path).catch((err: unknown) => {
        if (!isCode(err, "ENOENT")) throw err;
      });
    }
  }

  async readMetadata(jsonPath: string): Promise<RecordingMetadata | undefined> {
    try {
      return JSON.parse(await readFile(jsonPath, "utf8")) as RecordingMetadata;
    } catch (err) {
      if (isCode(err, "ENOENT") || err instanceof SyntaxError) return undefined;
      throw err;
    }
  }

  private complete(
    wavPath: string,
    metadata: Omit<RecordingMetadata, "file" | "storedAt">,
  ): RecordingMetadata {
    return { ...metadata, file: relative(this.root, wavPath), storedAt: Date.now() };
  }

  /** Claims the first free `<base>[-n].json` with link(2), which fails instead of replacing an existing name. */
  private async claim(
    dir: string,
    base: string,
    metadata: Omit<RecordingMetadata, "file" | "storedAt">,
  ): Promise<StoredRecording> {
    for (let n = 1; ; n++) {
      const stem = join(dir, n === 1 ? base : `${base}-${n}`);
      const wavPath = `${stem}.wav`;
      const jsonPath = `${stem}.json`;
      // Audio without metadata belongs to nobody we know of: leave it alone.
      if (await exists(wavPath)) continue;
      const full = this.complete(wavPath, metadata);
      const temporary = await this.writeTemporary(dir, full);
      try {
        // No directory fsync here: the move of the audio that follows syncs the directory.
        await link(temporary, jsonPath);
        return { metadata: full, wavPath, jsonPath };
      } catch (err) {
        if (!isCode(err, "EEXIST")) throw err;
        const other = await this.readMetadata(jsonPath);
        if (other?.id === metadata.id)
          return this.rewriteMetadata({ metadata: other, jsonPath, wavPath }, metadata);
      } finally {
        await unlink(temporary).catch(() => undefined);
      }
    }
  }

  private async rewriteMetadata(
    stored: StoredRecording,
    metadata: Omit<RecordingMetadata, "file" | "storedAt">,
  ): Promise<StoredRecording> {
    const full = this.complete(stored.wavPath, metadata);
    const dir = dirname(stored.jsonPath);
    const temporary = await this.writeTemporary(dir, full);
    await rename(temporary, stored.jsonPath);
    await fsyncPath(dir);
    return { ...stored, metadata: full };
  }

  private async writeTemporary(dir: string, metadata: RecordingMetadata): Promise<string> {
    const temporary = join(dir, `.${randomBytes(6).toString("hex")}.json.tmp`);
    await writeFile(temporary, `${JSON.stringify(metadata, null, 2)}\n`);
    await fsyncPath(temporary);
    return temporary;
  }
}

// Finalizing one stopped recording: wait until the PBX has stopped writing the file, check it is a
// WAV file, checksum it, move it into the store with its metadata, and index it. Every step can be
// run again: after a crash at any point, running the same job again completes it exactly once.

import { stat } from "node:fs/promises";
import type { Logger } from "pino";
import type { RecordingIndex } from "./recording-index.js";
import type { FinalizeRecording } from "./recording-job.js";
import { type RecordingStore, sha256File } from "./recording-store.js";
import { readWavInfo, WavError } from "./wav.js";

export type FinalizeStep = "settled" | "claimed" | "stored" | "indexed";

export interface FinalizeResult {
  id: string;
  /** The stored audio, relative to the store root. */
  file: string;
  durationMs: number;
  sizeBytes: number;
  sha256: string;
  /** True when an earlier run had already stored the file (a re-run after a crash, or a late duplicate). */
  recovered: boolean;
}

export interface FinalizerOptions {
  store: RecordingStore;
  index: RecordingIndex;
  /** How long the file's size and modification time must stay unchanged (default 2000 ms). */
  settleMs?: number;
  /** How often the file is looked at while waiting (default settleMs / 4, at most 250 ms). */
  pollMs?: number;
  /** Give up (and retry later) when the file still grows after this long (default 10 minutes). */
  maxWaitMs?: number;
  logger?: Logger;
  /** Called after each step; lets tests stop a run at a precise point. */
  afterStep?: (step: FinalizeStep, id: string) => Promise<void> | void;
}

export class RecordingFileMissingError extends Error {
  constructor(file: string, detail = "") {
    super(`recording file not found: ${file}${detail}`);
    this.name = "RecordingFileMissingError";
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class RecordingFinalizer {
  private readonly settleMs: number;
  private readonly pollMs: number;
  private readonly maxWaitMs: number;

  constructor(private readonly options: FinalizerOptions) {
    this.settleMs = options.settleMs ?? 2000;
    this.pollMs = options.pollMs ?? Math.max(10, Math.min(250, Math.floor(this.settleMs / 4)));
    this.maxWaitMs = options.maxWaitMs ?? 600_000;
  }

  async finalize(id: string, job: FinalizeRecording): Promise<FinalizeResult> {
    const { store, index } = this.options;
    const source = await this.settled(job.file);
    if (!source) return this.recover(id, job);
    await this.options.afterStep?.("settled", id);

    let wav: Awaited<ReturnType<typeof readWavInfo>>;
    try {
      wav = await readWavInfo(job.file);
    } catch (err) {
      if (err instanceof WavError) throw new Error(`${err.message}: ${job.file}`);
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return this.recover(id, job);
      throw err;
    }
    const { sha256, sizeBytes } = await sha256File(job.file);
    const { durationMs, ...format } = wav;
    const stored = await store.store(
      job.file,
      {
        id,
        pbx: job.pbx,
        callId: job.callId,
        leg: job.leg,
        ...(job.extension !== undefined && { extension: job.extension }),
        direction: job.direction,
        parties: job.parties,
        requiredBy: job.requiredBy,
        ...(job.onDemandBy !== undefined && { onDemandBy: job.onDemandBy }),
        startedAt: job.startedAt,
        stoppedAt: job.stoppedAt,
        durationMs,
        sizeBytes,
        sha256,
        wav: format,
        originalPath: job.file,
      },
      job,
      () => this.options.afterStep?.("claimed", id),
    );
    await this.options.afterStep?.("stored", id);
    await index.add(stored.metadata);
    await this.options.afterStep?.("indexed", id);
    this.options.logger?.info({ id, file: stored.metadata.file, durationMs, sizeBytes }, "recording stored");
    return { id, file: stored.metadata.file, durationMs, sizeBytes, sha256, recovered: false };
  }

  /** The source is gone: an earlier run may have moved it into the store already. */
  private async recover(id: string, job: FinalizeRecording): Promise<FinalizeResult> {
    const stored = await this.options.store.find(job, id);
    if (!stored) throw new RecordingFileMissingError(job.file);
    if (!(await this.options.store.verify(stored))) {
      throw new RecordingFileMissingError(
        job.file,
        ` (the stored copy ${stored.wavPath} is missing or incomplete)`,
      );
    }
    await this.options.index.add(stored.metadata);
    await this.options.afterStep?.("indexed", id);
    const m = stored.metadata;
    this.options.logger?.info({ id, file: m.file }, "recording was already stored; index completed");
    return {
      id,
      file: m.file,
      durationMs: m.durationMs,
      sizeBytes: m.sizeBytes,
      sha256: m.sha256,
      recovered: true,
    };
  }

  /**
   * Waits until the file's size and modification time have not changed for the settle time. A file last
   * modified longer ago than that is settled at once. Undefined when the file does not exist.
   */
  private async settled(file: string): Promise<true | undefined> {
    const start = Date.now();
    let last = await statOrUndefined(file);
    if (!last) return undefined;
    const age = Date.now() - last.mtimeMs;
    if (age >= this.settleMs) return true;
    let unchangedSince = Date.now();
    for (;;) {
      await sleep(this.pollMs);
      const now = Date.now();
      const current = await statOrUndefined(file);
      if (!current) return undefined;
      if (current.size !== last.size || current.mtimeMs !== last.mtimeMs) {
        last = current;
        unchangedSince = now;
      } else if (now - unchangedSince >= this.settleMs) {
        return true;
      }
      if (now - start > this.maxWaitMs) {
        throw new Error(
          `recording file still being written after ${Math.round(this.maxWaitMs / 1000)} s: ${file}`,
        );
      }
    }
  }
}

async function statOrUndefined(file: string) {
  try {
    return await stat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

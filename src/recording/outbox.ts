// The outbox: finalize jobs that could not reach Redis when their recording stopped, kept in a small
// local append-only file (one JSON line per job, fsync'd before `append` returns) until Redis is back.
//
// Flushing never loses a job, even if the process dies in the middle or another process shares the
// file: the file is first renamed to `<file>.flushing-<unique>` (new appends start a fresh file), every
// job of it is re-enqueued, and only then is it deleted. A flush that dies or fails leaves the renamed
// file behind and the next flush sends it again; finalize job ids are deterministic, so sending a job
// twice makes one job. An append that raced with the rename (its line went into a file a flusher may
// already have read) writes its line again into the fresh file.

import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Logger } from "pino";
import { type FinalizeRecording, isFinalizeRecording } from "./recording-job.js";

/** Where a job goes when the outbox is flushed: must throw when it could not be delivered. */
export interface OutboxSink {
  addToRedis(job: FinalizeRecording): Promise<unknown>;
}

export interface FlushResult {
  /** Jobs delivered by this flush. */
  flushed: number;
  /** Jobs still in the outbox (delivery failed, or appended meanwhile). */
  remaining: number;
}

export const DEFAULT_OUTBOX_PATH = "/var/lib/callsight/outbox/recordings.jsonl";

async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on a directory; the rename itself is still atomic.
  } finally {
    await handle.close();
  }
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === "ENOENT";
}

export class RecordingOutbox {
  private flushing: Promise<FlushResult> | undefined;

  constructor(
    readonly path: string,
    private readonly logger?: Logger,
  ) {}

  /** Appends a job durably: when this resolves, the job survives a crash of the process or the machine. */
  async append(job: FinalizeRecording): Promise<void> {
    const line = `${JSON.stringify(job)}\n`;
    await mkdir(dirname(this.path), { recursive: true });
    for (;;) {
      const created = !(await this.exists(this.path));
      const handle = await open(this.path, "a");
      let written: number;
      try {
        await handle.write(line);
        await handle.sync();
        written = (await handle.stat()).ino;
      } finally {
        await handle.close();
      }
      if (created) await fsyncDirectory(dirname(this.path));
      // Still the outbox file? Then any later flush reads the line. Otherwise a flusher renamed the file
      // while we wrote and may have read it before our line: write it again (a duplicate is harmless).
      const current = await stat(this.path).catch((err: unknown) => {
        if (isMissing(err)) return undefined;
        throw err;
      });
      if (current?.ino === written) return;
    }
  }

  /** Number of jobs waiting in the outbox (including files of an unfinished flush). */
  async pending(): Promise<number> {
    let count = 0;
    for (const file of [this.path, ...(await this.flushFiles())]) count += (await this.readJobs(file)).length;
    return count;
  }

  /**
   * Sends every job of the outbox to `sink` and removes the delivered files. Stops at the first job
   * that cannot be delivered (Redis still away) and keeps it, and everything after it, for the next flush.
   * Concurrent calls share one flush.
   */
  flush(sink: OutboxSink): Promise<FlushResult> {
    if (!this.flushing) {
      this.flushing = this.doFlush(sink).finally(() => {
        this.flushing = undefined;
      });
    }
    return this.flushing;
  }

  /** Flushes now, then every `intervalMs`, whenever there is something to flush. */
  startFlusher(sink: OutboxSink, intervalMs = 5000): { stop(): Promise<void> } {
    let stopped = false;
    const tick = async () => {
      if (stopped || !(await this.hasWork())) return;
      const result = await this.flush(sink);
      if (result.flushed > 0) {
        this.logger?.info(
          { flushed: result.flushed, remaining: result.remaining },
          "recording outbox flushed",
        );
      }
    };
    const run = () => {
      tick().catch((err: unknown) => this.logger?.warn({ err }, "recording outbox flush failed"));
    };
    const timer = setInterval(run, intervalMs);
    timer.unref();
    run();
    return {
      stop: async () => {
        stopped = true;
        clearInterval(timer);
        await this.flushing?.catch(() => undefined);
      },
    };
  }

  private async hasWork(): Promise<boolean> {
    const main = await stat(this.path).catch(() => undefined);
    if (main && main.size > 0) return true;
    return (await this.flushFiles()).length > 0;
  }

  private async doFlush(sink: OutboxSink): Promise<FlushResult> {
    await this.rotate();
    let flushed = 0;
    const files = await this.flushFiles();
    for (let i = 0; i < files.length; i++) {
      const file = files[i]!;
      const jobs = await this.readJobs(file);
      for (let j = 0; j < jobs.length; j++) {
        try {
          await sink.addToRedis(jobs[j]!);
        } catch (err) {
          this.logger?.debug({ err }, "recording outbox: Redis still unreachable");
          let remaining = jobs.length - j;
          for (const later of files.slice(i + 1)) remaining += (await this.readJobs(later)).length;
          remaining += (await this.readJobs(this.path)).length;
          return { flushed, remaining };
        }
        flushed++;
      }
      await unlink(file).catch((err: unknown) => {
        if (!isMissing(err)) throw err;
      });
      await fsyncDirectory(dirname(this.path));
    }
    return { flushed, remaining: (await this.readJobs(this.path)).length };
  }

  /** Moves the current outbox file aside for flushing; new appends start a new file. */
  private async rotate(): Promise<void> {
    const main = await stat(this.path).catch(() => undefined);
    if (!main || main.size === 0) return;
    const unique = `${Date.now().toString().padStart(15, "0")}-${process.pid}-${randomBytes(4).toString("hex")}`;
    try {
      await rename(this.path, `${this.path}.flushing-${unique}`);
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
    await fsyncDirectory(dirname(this.path));
  }

  private async flushFiles(): Promise<string[]> {
    const dir = dirname(this.path);
    const prefix = `${basename(this.path)}.flushing-`;
    try {
      return (await readdir(dir))
        .filter((name) => name.startsWith(prefix))
        .sort()
        .map((name) => join(dir, name));
    } catch (err) {
      if (isMissing(err)) return [];
      throw err;
    }
  }

  private async readJobs(file: string): Promise<FinalizeRecording[]> {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      if (isMissing(err)) return [];
      throw err;
    }
    const jobs: FinalizeRecording[] = [];
    for (const line of text.split("\n")) {
      if (line.trim() === "") continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        // A line torn by a crash in the middle of an append: its append never returned, so the caller
        // did not count on it.
        this.logger?.warn({ file, line: line.slice(0, 200) }, "recording outbox: skipping a torn line");
        continue;
      }
      if (isFinalizeRecording(parsed)) jobs.push(parsed);
      else this.logger?.warn({ file, line: line.slice(0, 200) }, "recording outbox: skipping an invalid job");
    }
    return jobs;
  }

  private async exists(path: string): Promise<boolean> {
    return stat(path).then(
      () => true,
      () => false,
    );
  }
}

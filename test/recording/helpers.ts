// Shared pieces of the recording pipeline tests: WAV files on disk, finalize jobs, and a private
// redis-server that a test can stop and start again on the same port.

import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import type { FinalizeRecording } from "../../src/recording/recording-job.js";
import { wavHeader } from "../../src/recording/wav.js";
import { freePort } from "../../src/runtime/local-redis.js";
import { waitFor } from "../ami/helpers.js";

export { freePort };

export async function tempDir(label: string): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `callsight-${label}-`));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A WAV file: 8 kHz 16-bit mono by default, `ms` long, with random audio. */
export function wavBytes(
  ms: number,
  options: { sampleRate?: number; channels?: number; bitsPerSample?: number; formatCode?: number } = {},
): Buffer {
  const sampleRate = options.sampleRate ?? 8000;
  const bytesPerFrame = ((options.channels ?? 1) * (options.bitsPerSample ?? 16)) / 8;
  const dataBytes = Math.round((sampleRate * ms) / 1000) * bytesPerFrame;
  return Buffer.concat([wavHeader(dataBytes, options), randomBytes(dataBytes)]);
}

export async function writeWav(path: string, ms = 1000): Promise<Buffer> {
  const bytes = wavBytes(ms);
  await writeFile(path, bytes);
  return bytes;
}

let counter = 0;

/** A finalize job for `file`, with parties alice (1001) and an external number. */
export function recordingJob(file: string, overrides: Partial<FinalizeRecording> = {}): FinalizeRecording {
  counter++;
  return {
    pbx: "main",
    callId: `1700000000.${counter}`,
    leg: `PJSIP/1001-0000${counter}`,
    extension: "1001",
    file,
    startedAt: Date.UTC(2024, 4, 1, 12, 0, 0) + counter * 1000,
    stoppedAt: Date.UTC(2024, 4, 1, 12, 5, 0) + counter * 1000,
    direction: "inbound",
    parties: [
      { number: "+15550100", external: true },
      { user: "alice", number: "1001", name: "Alice", external: false },
    ],
    requiredBy: ["alice"],
    ...overrides,
  };
}

/**
 * A redis-server of our own, persisting to an append-only file in `dir` (fsync on every write), so that
 * it can be killed and started again on the same port with its data.
 */
export class OwnRedis {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(dir: string): Promise<OwnRedis> {
    const redis = new OwnRedis(await freePort(), dir);
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(
      "redis-server",
      [
        "--port",
        String(this.port),
        "--bind",
        "127.0.0.1",
        "--dir",
        this.dir,
        "--save",
        "",
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
      ],
      { stdio: "ignore" },
    );
    this.child = child;
    process.once("exit", () => child.kill("SIGKILL"));
    await waitFor(
      async () => {
        const probe = new Redis(this.url, {
          lazyConnect: true,
          maxRetriesPerRequest: 0,
          retryStrategy: () => null,
        });
        probe.on("error", () => undefined);
        try {
          await probe.connect();
          return (await probe.ping()) === "PONG";
        } catch {
          return false;
        } finally {
          probe.disconnect();
        }
      },
      `redis-server on port ${this.port}`,
      10_000,
      50,
    );
  }

  /** Kills the server without letting it shut down cleanly. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    this.child = undefined;
  }
}

// Child processes of the live suite (PBXes, sipp phones, Callsight itself): each one logs to a file
// in the run's folder, is stopped by its id, and every one still running is stopped when the suite
// ends — even after a failure — so nothing is left listening.

import { type ChildProcess, spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { createWriteStream } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";

export interface Spawned {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** Resolves with the exit code (or the signal's name) when the process ends. */
  exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has ended. */
  stop(graceMs?: number): Promise<void>;
  log(): Promise<string>;
}

const running = new Set<Spawned>();

export async function spawnLogged(
  name: string,
  command: string,
  args: string[],
  options: { dir: string; env?: NodeJS.ProcessEnv; cwd?: string },
): Promise<Spawned> {
  await mkdir(join(options.dir, "logs"), { recursive: true });
  const logFile = join(options.dir, "logs", `${name}.log`);
  const out = createWriteStream(logFile, { flags: "a" });
  const child = spawn(command, args, {
    cwd: options.cwd ?? options.dir,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.pipe(out, { end: false });
  child.stderr?.pipe(out, { end: false });
  const exited = new Promise<number | string>((resolve) => {
    child.once("error", (err) => {
      out.write(`\n[spawn error] ${err.message}\n`);
      resolve("spawn-error");
    });
    child.once("close", (code, signal) => resolve(code ?? signal ?? "unknown"));
  });
  const spawned: Spawned = {
    name,
    child,
    logFile,
    exited,
    async stop(graceMs = 5000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
        await exited;
        clearTimeout(timer);
      }
      running.delete(spawned);
    },
    log: () => readFile(logFile, "utf8").catch(() => ""),
  };
  running.add(spawned);
  void exited.then(() => {
    running.delete(spawned);
    out.end();
  });
  return spawned;
}

/** Stops every process the suite started that is still running. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop(3000)));
}

/** A loopback port free for both TCP and UDP right now. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createServer();
      s.once("error", reject);
      s.listen(0, "127.0.0.1", () => {
        const a = s.address();
        s.close(() => resolve(typeof a === "object" && a ? a.port : 0));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const u = createSocket("udp4");
      u.once("error", () => resolve(false));
      u.bind(port, "127.0.0.1", () => u.close(() => resolve(true)));
    });
    if (udpFree && !taken.has(port)) {
      taken.add(port);
      return port;
    }
  }
}
const taken = new Set<number>();

/** `count` consecutive even-aligned free UDP ports (an RTP range). */
export async function freeUdpRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const start = 20000 + 2 * Math.floor(Math.random() * 10000);
    const ok = await Promise.all(
      Array.from({ length: count }, (_, i) => start + i).map(
        (p) =>
          new Promise<boolean>((resolve) => {
            if (taken.has(p)) return resolve(false);
            const u = createSocket("udp4");
            u.once("error", () => resolve(false));
            u.bind(p, "127.0.0.1", () => u.close(() => resolve(true)));
          }),
      ),
    );
    if (ok.every(Boolean)) {
      for (let i = 0; i < count; i++) taken.add(start + i);
      return start;
    }
  }
  throw new Error(`no ${count} consecutive free UDP ports`);
}

/** Polls `check` until it returns something truthy; fails with `what` and the last value after `ms`. */
export async function until<T>(
  check: () => T | Promise<T>,
  what: string,
  ms = 15_000,
  everyMs = 100,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      last = await check();
      if (last) return last as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${ms} ms waiting for ${what} (last: ${describe(last)})`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

function describe(value: unknown): string {
  if (value instanceof Error) return value.message;
  const text = JSON.stringify(value);
  return text && text.length > 600 ? `${text.slice(0, 600)}…` : String(text);
}

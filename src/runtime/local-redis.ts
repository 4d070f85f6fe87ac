// A private redis-server from PATH on a free loopback port (the demo and the tests use it when no
// REDIS_URL is given). It keeps nothing on disk and stops with its owner — unless given a `dataDir`:
// then it writes every change to an append-only file there (fsync'd on each write), so that a server
// stopped and started again on the same port with the same folder has all its data back, as a Redis
// restarted by its operator would.

import { type ChildProcess, spawn } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { createServer } from "node:net";
import { Redis } from "ioredis";

export interface LocalRedis {
  url: string;
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const address = s.address();
      s.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

export interface LocalRedisOptions {
  /** Keep the data in this folder (append-only file, fsync'd on every write) across restarts. */
  dataDir?: string;
}

export async function startLocalRedis(port?: number, options: LocalRedisOptions = {}): Promise<LocalRedis> {
  const p = port ?? (await freePort());
  const persistence = options.dataDir
    ? ["--dir", options.dataDir, "--appendonly", "yes", "--appendfsync", "always"]
    : ["--appendonly", "no"];
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
  const child = spawn(
    "redis-server",
    ["--port", String(p), "--bind", "127.0.0.1", "--save", "", ...persistence],
    { stdio: "ignore" },
  );
  const failed = new Promise<never>((_, reject) => {
    child.once("error", (err) => reject(new Error(`cannot start redis-server: ${err.message}`)));
    child.once("exit", (code) => reject(new Error(`redis-server exited with code ${code}`)));
  });
  failed.catch(() => undefined);
  const kill = () => child.kill();
  process.once("exit", kill);
  const url = `redis://127.0.0.1:${p}`;
  for (let i = 0; i < 100; i++) {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on("error", () => undefined);
    try {
      await Promise.race([probe.connect().then(() => probe.ping()), failed]);
      probe.disconnect();
      return {
        url,
        port: p,
        child,
        stop: () =>
          new Promise<void>((resolve) => {
            process.removeListener("exit", kill);
            if (child.exitCode !== null) return resolve();
            child.once("exit", () => resolve());
            child.kill();
          }),
      };
    } catch (err) {
      probe.disconnect();
      if (child.exitCode !== null || (err as Error).message.startsWith("cannot start")) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  child.kill();
  throw new Error(`redis-server on port ${p} did not answer`);
}
